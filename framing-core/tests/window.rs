//! `Window`, the adapters' read loop, over a buffer: frames taken whole and
//! pulled, a buffer other than the one it recorded (shorter) read without
//! a panic, and a decoder that consumes more than it was fed kept within
//! the window.

use framing_core::adapter::{Pull, Window};
use framing_core::{Decoder, Layout};

static LAYOUT: Layout = Layout::builder("!H").build_or_panic();

fn decoder() -> Decoder<&'static Layout, heapless::Vec<u8, 64>> {
    Decoder::new(&LAYOUT, heapless::Vec::new())
}

#[test]
fn frames_taken_whole_drop_their_bytes_and_a_partial_one_waits() {
    let mut buf = [0u8; 32];
    let mut window = Window::new();
    let mut dec = decoder();
    // Two whole frames (payloads "ab", "cde") and the head of a third.
    let stream = b"\x00\x02ab\x00\x03cde\x00\x05xy";
    let room = window.room(&mut buf);
    room[..stream.len()].copy_from_slice(stream);
    window.filled(stream.len());

    let (from, _) = window.take(&buf, &mut dec).expect("the first frame, whole");
    assert_eq!((from, window.start()), (0, 4));
    let (from, _) = window
        .take(&buf, &mut dec)
        .expect("the second frame, whole");
    assert_eq!((from, window.start()), (4, 9));
    // The third is not whole: nothing taken, nothing dropped.
    assert!(window.take(&buf, &mut dec).is_none());
    assert_eq!(window.start(), 9);
    match window.pull(&buf, &mut dec, usize::MAX) {
        Pull::Read { need } => assert_eq!(need, 7, "the third frame's whole length"),
        other => panic!("expected a read, got {other:?}"),
    }
    assert!(window.is_waiting());
}

#[test]
fn a_shorter_buffer_than_the_window_recorded_is_clamped_not_a_panic() {
    let mut buf = [0u8; 32];
    let mut window = Window::new();
    let stream = b"\x00\x02ab\x00\x03cde";
    window.room(&mut buf)[..stream.len()].copy_from_slice(stream);
    window.filled(stream.len());
    let mut dec = decoder();
    // Five of the nine bytes the window recorded: the first frame is
    // still whole in them, the second is not.
    let short = &buf[..5];
    let (from, _) = window
        .take(short, &mut dec)
        .expect("the first frame, whole");
    assert_eq!((from, window.start()), (0, 4));
    assert!(window.take(short, &mut dec).is_none());
    // An empty buffer: no bytes, no frame, no panic.
    assert!(window.take(&[], &mut dec).is_none());
    assert_eq!(window.since(&[], 4), &[] as &[u8]);
    assert_eq!(window.since(&buf, 4), &stream[4..]);
}

/// A `Feed` that breaks its contract: it says it consumed more than it was
/// given.
struct Greedy;

impl framing_core::adapter::Feed for Greedy {
    type Item<'a> = ();

    fn feed(&mut self, input: &[u8], _last: bool, _hold: usize) -> framing_core::adapter::Fed {
        framing_core::adapter::Fed {
            consumed: input.len() + 5,
            result: Ok(None),
            need: 0,
        }
    }

    fn item<'a>(&'a self, _input: &'a [u8], _found: framing_core::adapter::Found) {}
}

#[test]
// The contract is `debug_assert`ed: a debug build stops there.
#[cfg_attr(debug_assertions, should_panic(expected = "consumed more than fed"))]
fn a_decoder_consuming_more_than_it_was_fed_drops_what_it_was_fed() {
    let mut buf = [0u8; 16];
    let mut window = Window::new();
    window.room(&mut buf)[..6].copy_from_slice(b"abcdef");
    window.filled(6);
    match window.pull(&buf, &mut Greedy, 0) {
        Pull::Read { need: 0 } => {}
        other => panic!("expected a read, got {other:?}"),
    }
    // All six bytes dropped, no more: the window is empty, not past its end.
    assert_eq!((window.start(), window.end()), (6, 6));
    assert!(window.is_empty());
}
