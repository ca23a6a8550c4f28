"""Modbus TCP with pymodbus on both sides: its ModbusTcpClient asks a small
server here whose answers are pymodbus PDUs framed by pymodbus's own socket
framer (FramerSocket.buildFrame); the server reads each request with the same
framer (handleFrame) and the client must return the values the server put in.

Frames (preset `modbus-tcp`: "!HHHB", length field 2, adjust -1): fields
[transaction id, protocol id 0, length, unit id], payload = the PDU.
"""

import struct
import threading
import traceback

from common import TIMEOUT, check, frame, listener, main, need, read_exactly, side

REGISTERS = list(range(1000, 1000 + 125))  # the most one read returns: a 251-byte PDU


def mbap_frames(stream, names):
    out = []
    pos = 0
    i = 0
    while pos < len(stream):
        tid, proto, length, unit = struct.unpack_from("!HHHB", stream, pos)
        pdu = stream[pos + 7 : pos + 6 + length]
        out.append(frame([tid, proto, length, unit], pdu, note=names[i]))
        pos += 6 + length
        i += 1
    check(pos == len(stream), "frames end where the stream ends")
    return out


def generate():
    need("pymodbus", "pymodbus")
    from pymodbus.client import ModbusTcpClient
    from pymodbus.framer import FramerSocket
    from pymodbus.pdu import DecodePDU, ExceptionResponse
    from pymodbus.pdu import bit_message as bm
    from pymodbus.pdu import register_message as rm

    server = listener()
    port = server.getsockname()[1]
    up = bytearray()
    down = bytearray()
    names_up, names_down = [], []
    errors = []

    def serve():
        try:
            conn, _ = server.accept()
            conn.settimeout(TIMEOUT)
            framer = FramerSocket(DecodePDU(True))
            while True:
                head = conn.recv(7, 0)
                if not head:
                    break
                head += read_exactly(conn, 7 - len(head))
                tid, proto, length, unit = struct.unpack("!HHHB", head)
                raw = head + read_exactly(conn, length - 1)
                up.extend(raw)
                used, req = framer.handleFrame(raw, 0, 0)
                check(used == len(raw) and req is not None, f"pymodbus read the request {raw.hex()}")
                check(req.transaction_id == tid and req.dev_id == unit, "the framer's tid and unit")
                names_up.append(type(req).__name__)
                if isinstance(req, rm.ReadHoldingRegistersRequest):
                    resp = rm.ReadHoldingRegistersResponse(registers=REGISTERS[: req.count])
                elif isinstance(req, rm.WriteSingleRegisterRequest):
                    resp = rm.WriteSingleRegisterResponse(address=req.address, registers=req.registers)
                elif isinstance(req, rm.WriteMultipleRegistersRequest):
                    resp = rm.WriteMultipleRegistersResponse(address=req.address, count=req.count)
                elif isinstance(req, bm.ReadCoilsRequest) and req.address < 100:
                    resp = bm.ReadCoilsResponse(bits=[i % 3 == 0 for i in range(req.count)])
                else:  # illegal data address
                    resp = ExceptionResponse(req.function_code, 2)
                resp.transaction_id = tid
                resp.dev_id = unit
                names_down.append(type(resp).__name__)
                out = framer.buildFrame(resp)
                down.extend(out)
                conn.sendall(out)
            conn.close()
        except Exception as e:
            errors.append(f"server: {e!r}")
            traceback.print_exc()

    thread = threading.Thread(target=serve)
    thread.start()
    client = ModbusTcpClient("127.0.0.1", port=port, timeout=TIMEOUT, retries=0)
    try:
        check(client.connect(), "pymodbus connected")
        r = client.read_holding_registers(10, count=3, device_id=1)
        check(not r.isError() and r.registers == REGISTERS[:3], f"registers {r}")
        r = client.read_holding_registers(0, count=125, device_id=17)
        check(r.registers == REGISTERS, "125 registers")
        r = client.write_register(40, 0xBEEF, device_id=1)
        check(not r.isError() and r.address == 40, f"write_register {r}")
        r = client.write_registers(100, [1, 2, 3, 0xFFFF], device_id=2)
        check(not r.isError() and r.count == 4, f"write_registers {r}")
        r = client.read_coils(5, count=19, device_id=1)
        check(r.bits[:19] == [i % 3 == 0 for i in range(19)], f"coils {r.bits}")
        r = client.read_coils(300, count=1, device_id=1)
        check(r.isError() and r.exception_code == 2, f"an exception response {r}")
    finally:
        client.close()
        thread.join(TIMEOUT)
        server.close()
    check(not errors, "; ".join(errors))
    client_frames = mbap_frames(bytes(up), names_up)
    server_frames = mbap_frames(bytes(down), names_down)
    check([f["fields"][0] for f in client_frames] == [f["fields"][0] for f in server_frames], "tids match")
    return {"client": side(up, client_frames), "server": side(down, server_frames)}


if __name__ == "__main__":
    main("modbus-tcp", "pymodbus", generate)
