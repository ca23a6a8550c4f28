//! Decoding and encoding allocate nothing: a counting global allocator sees
//! no allocation while frames of every shape go through both decoders and
//! the encoder.
#![allow(unsafe_code)] // implementing GlobalAlloc is unsafe; the crate under test is not

use std::alloc::{GlobalAlloc, Layout as AllocLayout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use framing_core::{
    Decoded, Decoder, Event, Layout, Oversize, Recovery, SliceBuffer, StreamDecoder, Value,
};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Whether this thread's allocations are counted: the test's own
    /// thread only. The test harness's other threads allocate when they
    /// like (the main thread while it waits for the test), which counted
    /// here failed the test about one run in six.
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

/// Counts an allocation made on a counted thread. A `const` thread-local
/// without a destructor: reading it allocates nothing.
fn count() {
    if COUNTED.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
    }
}

// SAFETY: defers to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: AllocLayout) -> *mut u8 {
        count();
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: AllocLayout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: AllocLayout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const LAYOUT: Layout = Layout::builder("<HBxI")
    .length_field(2)
    .constant(0, Value::Int(0xCAFE))
    .max_payload(300)
    .on_oversize(Oversize::Discard)
    .build_or_panic();

#[test]
fn decoding_and_encoding_allocate_nothing() {
    // Everything the test needs is on the stack, prepared before counting.
    let mut stream = [0u8; 4096];
    let mut storage = [0u8; 512];
    COUNTED.with(|c| c.set(true));
    let before = ALLOCATIONS.load(Ordering::SeqCst);

    let mut len = 0;
    for (i, size) in [0usize, 1, 17, 300, 5, 250].into_iter().enumerate() {
        let payload = [i as u8; 300];
        len += LAYOUT.encode(&payload[..size], &mut stream[len..]).unwrap();
        let mut header = [0u8; 8];
        LAYOUT
            .encode_header_with(size, &[(1, Value::Int(i as i128))], &mut header)
            .unwrap();
    }
    // An oversized frame, discarded without buffering.
    stream[len..len + 8].copy_from_slice(b"\xfe\xca\x00\x00\xe8\x03\x00\x00");
    len += 8 + 1000;
    let stream = &stream[..len];

    let mut frames = 0;
    let mut payload_bytes = 0;
    let mut discarded = 0;
    for chunk_size in [1, 7, 64, 1500, 4096] {
        // Owned and shared layouts alike.
        let mut whole = Decoder::new(LAYOUT, heapless::Vec::<u8, 512>::new());
        let mut lent = Decoder::new(&LAYOUT, SliceBuffer::new(&mut storage));
        let mut streaming = StreamDecoder::new(&LAYOUT, heapless::Vec::<u8, 8>::new());
        for chunk in stream.chunks(chunk_size) {
            let (f, p, d) = drain(&mut whole, chunk);
            (frames, payload_bytes, discarded) = (frames + f, payload_bytes + p, discarded + d);
            let (f, p, d) = drain(&mut lent, chunk);
            (frames, payload_bytes, discarded) = (frames + f, payload_bytes + p, discarded + d);
            let mut c = chunk;
            loop {
                match streaming.decode(&mut c).unwrap() {
                    Some(Event::Payload(p)) => payload_bytes += p.len(),
                    Some(Event::Recovered(r)) => {
                        assert_discarded(r);
                        discarded += 1;
                    }
                    Some(_) => {}
                    None => break,
                }
            }
        }
        assert_eq!(lent.finish(), Ok(None));
        assert_eq!(whole.finish(), Ok(None));
        assert_eq!(streaming.finish(), Ok(None));
    }
    let after = ALLOCATIONS.load(Ordering::SeqCst);
    assert_eq!(after - before, 0, "decoding or encoding allocated");
    #[cfg(feature = "derive")]
    typed_headers_allocate_nothing();
    // Two whole-frame decoders, five chunkings each.
    assert_eq!(frames, 2 * 5 * 6);
    // Three decoders, five chunkings each.
    assert_eq!(discarded, 3 * 5);
    assert_eq!(payload_bytes, 3 * 5 * (1 + 17 + 300 + 5 + 250));
}

/// Checks the one report the stream causes: the oversized frame at byte
/// 621 (six frames before it: 8-byte headers and 573 payload bytes).
fn assert_discarded(r: Recovery) {
    assert_eq!(
        r,
        Recovery::Discarded {
            offset: 6 * 8 + 573,
            length: 1000
        }
    );
}

/// Decodes all of `chunk`, returning (frames, payload bytes, discards).
fn drain<L, B>(d: &mut Decoder<L, B>, mut chunk: &[u8]) -> (usize, usize, usize)
where
    L: core::borrow::Borrow<Layout>,
    B: framing_core::Buffer,
{
    let (mut frames, mut bytes, mut discarded) = (0, 0, 0);
    loop {
        match d.decode(&mut chunk) {
            Ok(Some(Decoded::Frame(f))) => {
                frames += 1;
                bytes += f.payload().len();
                assert_eq!(f.header().value(0), Some(Value::Int(0xCAFE)));
            }
            Ok(Some(Decoded::Preface(_))) => panic!("no preface"),
            Ok(Some(Decoded::Recovered(r))) => {
                assert_discarded(r);
                discarded += 1;
            }
            Ok(None) => return (frames, bytes, discarded),
            Err(e) => panic!("{e}"),
            other => panic!("not expected here: {other:?}"),
        }
    }
}

/// The derive's generated code allocates nothing either: encoding from a
/// typed header, its values, the view and the by-value read. Called from
/// the test above: the counter is global, so one test counts at a time.
#[cfg(feature = "derive")]
fn typed_headers_allocate_nothing() {
    #[derive(framing_core::Header, Clone, Copy, Debug, PartialEq)]
    #[framing(byte_order = "little", max_payload = 300, trailer = "crc16-xmodem")]
    struct Typed {
        #[framing(constant = 0xCAFE)]
        magic: u16,
        kind: u8,
        tag: [u8; 4],
        #[framing(pad = 1, length)]
        len: u32,
    }
    let mut stream = [0u8; 1024];
    let mut storage = [0u8; 512];
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    let mut len = 0;
    for (i, size) in [0usize, 1, 17, 300].into_iter().enumerate() {
        let payload = [i as u8; 300];
        let msg = Typed {
            magic: 0,
            kind: i as u8,
            tag: *b"abcd",
            len: 0,
        };
        len += msg.encode(&payload[..size], &mut stream[len..]).unwrap();
        let mut scratch = [0u8; Typed::SIZE];
        let parts = msg.encode_parts(&payload[..size], &mut scratch).unwrap();
        assert_eq!(parts.head().len(), Typed::SIZE);
        assert_eq!(msg.values().len(), 2);
    }
    let mut decoder = Decoder::new(&Typed::LAYOUT, SliceBuffer::new(&mut storage));
    let mut input = &stream[..len];
    let mut kinds = 0u32;
    while let Some(Decoded::Frame(frame)) = decoder.decode(&mut input).unwrap() {
        let view = frame.view::<Typed>().unwrap();
        let value: Typed = frame.typed().unwrap();
        assert_eq!(view.get(), value);
        assert_eq!(view.len() as usize, frame.payload().len());
        kinds += u32::from(view.kind());
    }
    assert_eq!(kinds, 6);
    assert_eq!(ALLOCATIONS.load(Ordering::SeqCst), before);
}
