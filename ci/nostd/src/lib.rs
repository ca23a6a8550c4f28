//! Builds only if framing-core and everything it pulls in are `no_std`.
#![no_std]

use core::panic::PanicInfo;

use framing_core::{Decoded, Decoder, Event, Layout, StreamDecoder, Value};

const LAYOUT: Layout = Layout::builder("<HI")
    .length_field(1)
    .constant(0, Value::Int(0x7e7e))
    .max_payload(1024)
    .build_or_panic();

/// A typed header: the derive's generated code must be `no_std` too.
#[derive(framing_core::Header)]
#[framing(byte_order = "little", max_payload = 1024)]
struct Typed {
    #[framing(constant = 0x7e7e)]
    sync: u16,
    #[framing(length)]
    len: u32,
}

/// A 3-byte length (`U24`), as HTTP/2's.
#[derive(framing_core::Header)]
#[framing(byte_order = "network", max_payload = 1024)]
struct Http2 {
    #[framing(length)]
    len: framing_core::U24,
    kind: u8,
}

/// Decodes `len` bytes at `data` and returns how many frames were found, or
/// -1 on a bad stream. Exported so the linker keeps the decoder's code.
#[no_mangle]
pub extern "C" fn framing_count_frames(data: &[u8; 64]) -> i32 {
    // The layout is shared, not copied: each decoder holds a reference.
    let mut decoder = Decoder::new(&LAYOUT, heapless::Vec::<u8, 256>::new());
    let mut streaming = StreamDecoder::new(&LAYOUT, heapless::Vec::<u8, 6>::new());
    let mut frames = 0;
    for chunk in data.chunks(5) {
        let mut c = chunk;
        loop {
            match decoder.decode(&mut c) {
                Ok(Some(Decoded::Frame(_))) => frames += 1,
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return -1,
            }
        }
        let mut c = chunk;
        while let Ok(Some(event)) = streaming.decode(&mut c) {
            if let Event::End = event {
                frames += 1;
            }
        }
    }
    let mut out = [0u8; 16];
    if LAYOUT.encode(b"ping", &mut out).is_err() {
        return -1;
    }
    // The same frame from the typed header, read back through its view.
    let mut typed = [0u8; 16];
    match (Typed { sync: 0, len: 0 }).encode(b"ping", &mut typed) {
        Ok(n) if typed[..n] == out[..n] => {}
        _ => return -1,
    }
    let mut h2 = [0u8; 16];
    let ping = Http2 {
        len: framing_core::U24::MIN,
        kind: 1,
    };
    match ping.encode(b"ping", &mut h2) {
        Ok(8) if Http2::view(&h2).is_some_and(|v| v.len().get() == 4 && v.kind() == 1) => {}
        _ => return -1,
    }
    match Typed::view(&typed) {
        Some(view) if view.len() == 4 && view.sync() == 0x7e7e => frames,
        _ => -1,
    }
}

#[panic_handler]
fn panic(_: &PanicInfo<'_>) -> ! {
    loop {}
}
