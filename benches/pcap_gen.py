"""Writes the synthetic captures `decode --pcap` is measured on (BENCHMARKS.md).

python3 benches/pcap_gen.py normal normal.pcap  # 100 connections, 2000 1-KiB frames each way,
                                                # 1448-byte segments, one pair in 50 swapped
python3 benches/pcap_gen.py gap gap.pcap        # one connection: a byte never captured, then 400 MB
"""
import struct, sys, random
def pkt(src,dst,seq,flags,data):
    ip=bytes([0x45,0])+struct.pack('>H',40+len(data))+bytes([0,0,0x40,0,64,6,0,0])+bytes(src[0])+bytes(dst[0])
    tcp=struct.pack('>HHII',src[1],dst[1],seq,0)+bytes([0x50,flags,0xff,0xff,0,0,0,0])
    return bytes([2,0,0,0,0,2,2,0,0,0,0,1,8,0])+ip+tcp+data
mode=sys.argv[1]; out=open(sys.argv[2],'wb')
out.write(struct.pack('<IHHiIII',0xa1b2c3d4,2,4,0,0,262144,1))
n=[0]
def w(p):
    n[0]+=1
    out.write(struct.pack('<IIII',1767225600+n[0]//1000000,n[0]%1000000,len(p),len(p))); out.write(p)
random.seed(1)
S=([10,0,0,2],7000)
if mode=='normal':
    # 100 connections, 2000 frames of 1 KiB each way, 1448-byte segments, 1 in 50 swapped with the next
    frame=struct.pack('>I',1024)+b'x'*1024
    for c in range(100):
        C=([10,0,1,c%250],30000+c)
        stream=frame*2000
        w(pkt(C,S,0,2,b'')); w(pkt(S,C,0,0x12,b''))
        segs=[(i,stream[i:i+1448]) for i in range(0,len(stream),1448)]
        for i in range(0,len(segs)-1,50):
            segs[i],segs[i+1]=segs[i+1],segs[i]
        for off,d in segs:
            w(pkt(C,S,1+off,0x18,d)); w(pkt(S,C,1+off,0x18,d))
        w(pkt(C,S,1+len(stream),0x11,b'')); w(pkt(S,C,1+len(stream),0x11,b''))
else:
    # one connection, byte 4 never captured, then 400 MB in 1448-byte segments
    C=([10,0,1,1],30000)
    w(pkt(C,S,0,2,b'')); w(pkt(C,S,1,0x18,b'\0\0\0'))
    d=b'y'*1448
    for i in range(400*1000*1000//1448):
        w(pkt(C,S,5+i*1448,0x18,d))
out.close()
