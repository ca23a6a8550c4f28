//! D7: between frames, a line not whole yet is kept back in the adapter's
//! buffer (nothing consumed, `need` one byte more than it holds) when the
//! adapter can hold it, so it is lent from there once whole, as I0 keeps a
//! length frame; and the search for its delimiter resumes where the last
//! one stopped.

use framing_core::adapter::{Feed, Found};
use framing_core::{DecodeErrorKind, Decoded, Decoder, Layout, Oversize};
use proptest::prelude::*;

// The adapter's loop (`run_held`: bytes kept back fed again with more, by
// `feed`, by `take_or_hold` then `feed`, or by the general loop alone) and
// the whole decode it is held to are the fuzz targets' oracle.
#[allow(dead_code)]
#[path = "../../fuzz/src/checks.rs"]
mod checks;

mod common;
use checks::{run_held, run_whole, Drive};
use common::split;

static LINES: Layout = Layout::delimited(b"\n").max_payload(16).build_or_panic();
static CRLF: Layout = Layout::delimited(b"\r\n").max_payload(16).build_or_panic();

fn decoder(layout: &'static Layout) -> Decoder<&'static Layout, heapless::Vec<u8, 64>> {
    Decoder::new(layout, heapless::Vec::new())
}

/// The payload of the frame `found` in `input`, and whether it was lent
/// from the input (not from the decoder's buffer).
fn payload(
    d: &Decoder<&'static Layout, heapless::Vec<u8, 64>>,
    input: &[u8],
    found: Found,
) -> (Vec<u8>, bool) {
    let Found::Item(at) = found else {
        panic!("expected a frame, got {found:?}")
    };
    let from_input = at.in_input().is_some();
    match d.item(input, found) {
        Decoded::Frame(f) => (f.payload().to_vec(), from_input),
        other => panic!("expected a frame, got {other:?}"),
    }
}

#[test]
fn a_line_begun_is_kept_back_then_lent_from_the_input() {
    let mut d = decoder(&LINES);
    for input in [&b"he"[..], b"hello", b"hello wor"] {
        let fed = d.feed(input, false, 64);
        assert_eq!(fed.consumed, 0, "kept back: {input:?}");
        assert_eq!(fed.result, Ok(None));
        assert_eq!(fed.need, input.len() + 1, "one byte more: {input:?}");
    }
    let input = b"hello world\nnext";
    let fed = d.feed(input, false, 64);
    assert_eq!(fed.consumed, 12);
    let found = fed.result.unwrap().expect("the line, whole");
    assert_eq!(payload(&d, input, found), (b"hello world".to_vec(), true));
    // What follows is kept back in turn.
    let fed = d.feed(b"next", false, 64);
    assert_eq!((fed.consumed, fed.need), (0, 5));
}

#[test]
fn take_or_hold_answers_as_feed_does() {
    let (mut a, mut b) = (decoder(&LINES), decoder(&LINES));
    for input in [&b"abc"[..], b"abcdef"] {
        assert_eq!(a.take_or_hold(input, 64), Err(input.len() + 1));
        let fed = b.feed(input, false, 64);
        assert_eq!((fed.consumed, fed.need), (0, input.len() + 1));
    }
    let (consumed, at) = a.take_or_hold(b"abcdef\n", 64).expect("the line");
    assert_eq!((consumed, at.in_input()), (7, Some(0..6)));
    // Without room to keep it (`hold` 0), `take` leaves the line to `feed`.
    let mut c = decoder(&LINES);
    assert_eq!(c.take_or_hold(b"abc", 0), Err(0));
    assert_eq!(
        c.take_or_hold(b"abc", 3),
        Err(0),
        "four bytes needed, three held"
    );
}

#[test]
fn the_search_resumes_where_it_stopped() {
    // The adapter offers the bytes it kept back and more after them; the
    // first ones were searched already. Offered different bytes of the
    // same length (against `Feed`'s contract), a delimiter among them is
    // not seen: proof that they are not searched again.
    let mut d = decoder(&LINES);
    assert_eq!(d.feed(b"abcd", false, 64).need, 5);
    let input = b"a\ncdef\n";
    let fed = d.feed(input, false, 64);
    assert_eq!(fed.consumed, 7);
    let found = fed.result.unwrap().expect("a line");
    assert_eq!(payload(&d, input, found), (b"a\ncdef".to_vec(), true));
}

#[test]
fn a_longer_delimiter_split_across_reads_is_found() {
    let mut d = decoder(&CRLF);
    // "ab\r" may end with the delimiter's start: searched to before it.
    assert_eq!(d.feed(b"ab\r", false, 64).need, 4);
    assert_eq!(d.feed(b"ab\r\r", false, 64).need, 5);
    let input = b"ab\r\r\n";
    let fed = d.feed(input, false, 64);
    assert_eq!(fed.consumed, 5);
    let found = fed.result.unwrap().expect("the line");
    assert_eq!(payload(&d, input, found), (b"ab\r".to_vec(), true));
}

#[test]
fn a_line_longer_than_hold_is_assembled_by_the_decoder() {
    let mut d = decoder(&LINES);
    // Kept back while it fits, then taken into the decoder's buffer.
    assert_eq!(d.feed(b"abcd", false, 6).need, 5);
    let fed = d.feed(b"abcdef", false, 6);
    assert_eq!((fed.consumed, fed.need, fed.result), (6, 0, Ok(None)));
    let input = b"gh\n";
    let fed = d.feed(input, false, 6);
    assert_eq!(fed.consumed, 3);
    let found = fed.result.unwrap().expect("the line");
    assert_eq!(payload(&d, input, found), (b"abcdefgh".to_vec(), false));
}

#[test]
fn a_line_over_the_maximum_is_the_same_error_kept_back_or_not() {
    // 17 bytes and no delimiter: over the 16-byte maximum, not kept.
    let long = [b'x'; 17];
    let mut kept = decoder(&LINES);
    let mut plain = decoder(&LINES);
    assert_eq!(kept.feed(&long[..16], false, 64).need, 17);
    let a = kept.feed(&long, false, 64);
    let b = plain.feed(&long, false, 0);
    assert_eq!(a, b);
    let mut end = long.to_vec();
    end.push(b'\n');
    let a = kept.feed(&end[a.consumed..], false, 64);
    let b = plain.feed(&end[b.consumed..], false, 0);
    assert_eq!(a, b);
    let e = a.result.expect_err("an oversized line");
    assert!(matches!(e.kind(), DecodeErrorKind::TooLong { .. }), "{e}");
    assert_eq!(e.offset(), 0);
}

#[test]
fn at_the_end_of_the_stream_nothing_is_kept_back() {
    let mut d = decoder(&LINES);
    assert_eq!(d.feed(b"abc", false, 64).need, 4);
    let fed = d.feed(b"abc", true, 64);
    let e = fed.result.expect_err("an unterminated line");
    assert!(
        matches!(e.kind(), DecodeErrorKind::Unterminated { held: 3 }),
        "{e}"
    );
}

#[test]
fn a_reset_forgets_the_search() {
    let mut d = decoder(&LINES);
    assert_eq!(d.feed(b"abcd", false, 64).need, 5);
    d.reset();
    // Other bytes now: searched from their start.
    let input = b"a\n";
    let fed = d.feed(input, false, 64);
    let found = fed.result.unwrap().expect("a line");
    assert_eq!(payload(&d, input, found), (b"a".to_vec(), true));
}

proptest! {
    /// Lines kept back (D7) or not: the same frames, reports and errors at
    /// the same offsets as one whole decode, whatever the split and `hold`,
    /// for a one-byte and a two-byte delimiter, lines over the maximum
    /// (failed, or discarded) and a last line left unterminated.
    #[test]
    fn lines_kept_back_decode_as_the_whole_stream(
        words in proptest::collection::vec(
            proptest::collection::vec(
                prop_oneof![Just(b'a'), Just(b'\r'), Just(b'\n'), Just(b'x')],
                0..24,
            ),
            0..12,
        ),
        cuts in proptest::collection::vec(any::<usize>(), 0..16),
        crlf in any::<bool>(),
        discard in any::<bool>(),
    ) {
        let sep: &'static [u8] = if crlf { b"\r\n" } else { b"\n" };
        let mut b = Layout::delimited(sep).max_payload(16);
        if discard {
            b = b.on_oversize(Oversize::Discard);
        }
        let layout = b.build().expect("a lines layout");
        let stream: Vec<u8> = words.join(sep);
        let chunks = split(&stream, &cuts);
        let cap = 64;
        let whole = run_whole(layout, cap, &[&stream]);
        for hold in [cap, 8, 1] {
            for drive in [Drive::Feed, Drive::Take, Drive::General] {
                prop_assert_eq!(
                    &run_held(layout, cap, hold, &chunks, drive),
                    &whole,
                    "hold {}, {:?}, chunks {:?}",
                    hold,
                    drive,
                    &chunks
                );
            }
        }
    }
}
