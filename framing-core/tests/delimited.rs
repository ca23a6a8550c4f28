//! Framings without a length: COBS, SLIP and byte-string delimiters, at
//! every split, with vectors from outside (the COBS paper's and Wikipedia's
//! examples, RFC 1055's escaping).

use framing_core::{
    Checksum, DecodeErrorKind, Decoded, Decoder, EncodeError, Layout, Oversize, Recovery,
    StreamDecoder,
};

#[allow(dead_code)]
#[path = "../../fuzz/src/checks.rs"]
mod checks;

use checks::Out;

fn frame(payload: &[u8]) -> Out {
    Out::Frame {
        header: Vec::new(),
        payload: payload.to_vec(),
    }
}

/// Every cut in two and byte by byte give `want`, with a 4 KiB buffer.
fn at_every_split(layout: Layout, bytes: &[u8], want: &[Out]) {
    assert_eq!(checks::run_whole(layout, 4096, &[bytes]), want, "whole");
    for cut in 0..=bytes.len() {
        let chunks = [&bytes[..cut], &bytes[cut..]];
        assert_eq!(
            checks::run_whole(layout, 4096, &chunks),
            want,
            "cut at {cut}"
        );
    }
    let bytes: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(
        checks::run_whole(layout, 4096, &bytes),
        want,
        "byte by byte"
    );
}

fn encode(layout: &Layout, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; layout.max_encoded_len(payload.len()).unwrap()];
    let n = layout.encode(payload, &mut out).unwrap();
    out.truncate(n);
    out
}

const COBS: Layout = Layout::cobs().build_or_panic();
const SLIP: Layout = Layout::slip().build_or_panic();
const LINES: Layout = Layout::delimited(b"\n").build_or_panic();
const CRLF: Layout = Layout::delimited(b"\r\n").build_or_panic();

#[test]
fn cobs_matches_the_wikipedia_examples() {
    // (decoded, encoded without the trailing zero), from the COBS article's
    // table, except that a run of 254 non-zero bytes is closed with the
    // final `01` block Cheshire and Baker's code writes (the article leaves
    // it out; the decoder takes both).
    let run254: Vec<u8> = (1..=254).collect();
    let run255: Vec<u8> = (1..=255).collect();
    let mut enc254 = vec![0xff];
    enc254.extend(1..=254u8);
    enc254.push(0x01);
    let mut enc255 = vec![0xff];
    enc255.extend(1..=254u8);
    enc255.extend([0x02, 0xff]);
    let mut zero_then_254 = vec![0u8];
    zero_then_254.extend(1..=254u8);
    let mut enc_zero_then_254 = vec![0x01, 0xff];
    enc_zero_then_254.extend(1..=254u8);
    enc_zero_then_254.push(0x01);
    let cases: Vec<(Vec<u8>, Vec<u8>)> = vec![
        (vec![0x00], vec![0x01, 0x01]),
        (vec![0x00, 0x00], vec![0x01, 0x01, 0x01]),
        (vec![0x00, 0x11, 0x00], vec![0x01, 0x02, 0x11, 0x01]),
        (
            vec![0x11, 0x22, 0x00, 0x33],
            vec![0x03, 0x11, 0x22, 0x02, 0x33],
        ),
        (
            vec![0x11, 0x22, 0x33, 0x44],
            vec![0x05, 0x11, 0x22, 0x33, 0x44],
        ),
        (
            vec![0x11, 0x00, 0x00, 0x00],
            vec![0x02, 0x11, 0x01, 0x01, 0x01],
        ),
        (run254, enc254),
        (run255, enc255),
        (zero_then_254, enc_zero_then_254),
    ];
    let mut wire = Vec::new();
    let mut want = Vec::new();
    for (decoded, encoded) in &cases {
        let mut expect = encoded.clone();
        expect.push(0);
        assert_eq!(encode(&COBS, decoded), expect, "{decoded:02x?}");
        assert!(expect.len() <= COBS.max_encoded_len(decoded.len()).unwrap());
        wire.extend_from_slice(&expect);
        want.push(frame(decoded));
    }
    assert_eq!(checks::run_whole(COBS, 4096, &[&wire]), want);
    // The short ones at every split.
    let short: usize = cases[..6].iter().map(|(_, e)| e.len() + 1).sum();
    at_every_split(COBS, &wire[..short], &want[..6]);
}

#[test]
fn slip_escapes_as_rfc_1055_says() {
    // END inside is ESC ESC_END, ESC is ESC ESC_ESC; the frame ends with END.
    let payload = b"\x01\xc0\x02\xdb\x03";
    let wire = encode(&SLIP, payload);
    assert_eq!(wire, b"\x01\xdb\xdc\x02\xdb\xdd\x03\xc0");
    // A leading END (RFC 1055's line-noise flush) and empty frames are skipped.
    let mut stream = vec![0xc0];
    stream.extend_from_slice(&wire);
    stream.extend_from_slice(b"\xc0\xc0ok\xc0");
    at_every_split(SLIP, &stream, &[frame(payload), frame(b"ok")]);
    // A bad escape costs its frame (resync is on by default for delimited
    // layouts) and is reported with the bytes skipped.
    let bad = b"ab\xdb\x41cd\xc0next\xc0";
    at_every_split(
        SLIP,
        bad,
        &[
            Out::Recovered(Recovery::Skipped {
                offset: 0,
                bytes: 7,
            }),
            frame(b"next"),
        ],
    );
    // With resync off it is an error naming the byte.
    let strict = Layout::slip().resync(false).build().unwrap();
    let got = checks::run_whole(strict, 64, &[bad]);
    let Some(Out::Err(e)) = got.last() else {
        panic!("{got:?}")
    };
    assert_eq!(e.kind(), DecodeErrorKind::SlipEscape { byte: 0x41 });
    assert_eq!(e.offset(), 0);
}

#[test]
fn cobs_frames_of_one_block_whole_in_a_chunk_are_slices_of_it() {
    let cobs = Layout::cobs().build().unwrap();
    let mut d = Decoder::new(&cobs, framing_core::heapless::Vec::<u8, 300>::new());
    // Several blocks whole in the chunk are decoded (copied); one is lent.
    // One block ("hi"), two blocks ("a\0b": decoded, so copied), one block
    // of 254 bytes (code 0xff: no pending zero), an empty frame (code 1,
    // lent too: an empty slice at its place in the chunk).
    let mut chunk = b"\x03hi\x00\x02a\x02b\x00\xff".to_vec();
    chunk.extend([b'x'; 254]);
    chunk.extend(b"\x00\x01\x00");
    // 254 bytes then "yz" (code 0xff: no zero between the blocks), and
    // "\0\0" (three blocks of no data).
    chunk.push(0xff);
    chunk.extend([b'w'; 254]);
    chunk.extend(b"\x03yz\x00\x01\x01\x01\x00");
    let mut input = &chunk[..];
    let mut got = Vec::new();
    while let Some(Decoded::Frame(f)) = d.decode(&mut input).unwrap() {
        let p = f.payload();
        let lent = chunk.as_ptr_range().contains(&p.as_ptr());
        got.push((p.to_vec(), lent));
    }
    assert_eq!(input, b"");
    assert_eq!(
        got,
        [
            (b"hi".to_vec(), true),
            (b"a\0b".to_vec(), false),
            (vec![b'x'; 254], true),
            (Vec::new(), true),
            ([vec![b'w'; 254], b"yz".to_vec()].concat(), false),
            (vec![0, 0], false),
        ]
    );
    assert_eq!(d.finish(), Ok(None));
}

/// COBS in chunks of every size from 1 to 40 bytes, each cut landing on
/// code bytes, data and delimiters in turn: `feed`'s shortcuts (D2 from
/// `Idle` and `Scan`, a block ending exactly at a chunk's end, D1' from
/// `Scan`) give what the general loop alone gives, and the frames sent,
/// with a roomy buffer and with one a frame overflows.
#[test]
fn cobs_in_chunks_of_every_size_matches_the_loop_alone() {
    let payloads: Vec<Vec<u8>> = vec![
        b"hello, cobs world".to_vec(),
        Vec::new(),
        vec![0],
        vec![0x11; 253],
        vec![0x22; 254],
        vec![0x33; 255],
        [vec![7; 20], vec![0], vec![8; 9]].concat(),
        b"x".to_vec(),
        vec![0, 0, 1],
        (0..=255u8).rev().collect(),
    ];
    let mut stream = Vec::new();
    let mut want = Vec::new();
    for p in &payloads {
        stream.extend(encode(&COBS, p));
        want.push(frame(p));
    }
    // A delimiter alone between frames is skipped, and junk (a code byte
    // announcing more than comes before the delimiter) is corrupt.
    stream.push(0);
    stream.extend(encode(&COBS, b"after noise"));
    want.push(frame(b"after noise"));
    let mut junk = stream.clone();
    junk.extend(b"\x09abc\x00");
    junk.extend(encode(&COBS, b"last"));
    for size in 1..=40 {
        let chunks: Vec<&[u8]> = stream.chunks(size).collect();
        assert_eq!(checks::run_whole(COBS, 4096, &chunks), want, "{size}");
        for (bytes, cap) in [(&stream, 4096), (&junk, 4096), (&stream, 200)] {
            let chunks: Vec<&[u8]> = bytes.chunks(size).collect();
            assert_eq!(
                checks::run_whole_with(COBS, cap, &chunks, true),
                checks::run_general(COBS, cap, &chunks, false),
                "{size}-byte chunks, a {cap}-byte buffer"
            );
        }
    }
}

/// COBS frames of several blocks whole in the input (the shortcut's one
/// search for the delimiter, then a walk over the code bytes): with every
/// buffer size around the frame's decoded size, and with a zero planted
/// in each block's data in turn (the delimiter comes early, inside a
/// block), the frames and reports are the general loop's, and a frame
/// that fits arrives as sent.
#[test]
fn cobs_frames_of_several_blocks_whole_match_the_loop_at_every_cap() {
    let payloads: Vec<Vec<u8>> = vec![
        vec![0x41; 600],
        [vec![1; 254], vec![0], vec![2; 10], vec![0], vec![3; 300]].concat(),
        [vec![9; 3], vec![0, 0], vec![4; 508]].concat(),
        (0..1000u32).map(|i| (i % 251) as u8).collect(),
    ];
    for p in &payloads {
        let wire = encode(&COBS, p);
        let mut after = wire.clone();
        after.extend(encode(&COBS, b"next"));
        for cap in p.len().saturating_sub(3)..=p.len() + 3 {
            let got = checks::run_whole(COBS, cap, &[&after]);
            assert_eq!(
                got,
                checks::run_general(COBS, cap, &[&after], false),
                "cap {cap}"
            );
            if cap >= p.len() {
                assert_eq!(got, [frame(p), frame(b"next")], "cap {cap}");
            }
        }
        // A zero in the data of every block but the first (the first
        // block's own test is `cobs_first_block`'s), one at a time.
        let mut code_at = wire[0] as usize;
        while code_at < wire.len() - 1 {
            let next = code_at + wire[code_at] as usize;
            for zero_at in [code_at + 1, next - 1] {
                if zero_at <= code_at || zero_at >= next {
                    continue;
                }
                let mut bad = after.clone();
                bad[zero_at] = 0;
                for cap in [p.len(), 4096] {
                    let got = checks::run_whole(COBS, cap, &[&bad]);
                    assert_eq!(
                        got,
                        checks::run_general(COBS, cap, &[&bad], false),
                        "zero at {zero_at}, cap {cap}"
                    );
                    assert!(
                        matches!(got.first(), Some(Out::Recovered(_))),
                        "zero at {zero_at}: {got:?}"
                    );
                    assert_eq!(got.last(), Some(&frame(b"next")), "zero at {zero_at}");
                }
            }
            code_at = next;
        }
    }
}

/// An empty chunk is no frame begun: between frames (before the first,
/// and after one lent) `decode` consumes nothing and returns nothing, and
/// the stream still ends cleanly; inside a frame it changes nothing.
#[test]
fn an_empty_chunk_begins_no_frame() {
    for layout in [COBS, SLIP, LINES, CRLF] {
        let mut d = Decoder::new(&layout, framing_core::heapless::Vec::<u8, 64>::new());
        let mut empty: &[u8] = &[];
        assert_eq!(d.decode(&mut empty).map(|f| f.is_some()), Ok(false));
        let wire = encode(&layout, b"one");
        let mut input = &wire[..];
        let Ok(Some(Decoded::Frame(f))) = d.decode(&mut input) else {
            panic!("{layout:?}: the frame")
        };
        assert_eq!(f.payload(), b"one");
        assert_eq!(d.decode(&mut empty).map(|f| f.is_some()), Ok(false));
        assert_eq!(d.finish(), Ok(None), "{layout:?}: ended between frames");
        // Inside a frame: its first bytes, nothing, then the rest.
        let mut d = Decoder::new(&layout, framing_core::heapless::Vec::<u8, 64>::new());
        let wire = encode(&layout, b"two");
        let (a, b) = wire.split_at(2);
        let mut a = a;
        assert_eq!(d.decode(&mut a).map(|f| f.is_some()), Ok(false));
        assert_eq!(d.decode(&mut empty).map(|f| f.is_some()), Ok(false));
        let mut b = b;
        let Ok(Some(Decoded::Frame(f))) = d.decode(&mut b) else {
            panic!("{layout:?}: the frame split by an empty chunk")
        };
        assert_eq!(f.payload(), b"two");
        assert_eq!(d.finish(), Ok(None));
    }
}

/// D1 for SLIP: a frame with no escape whole in the chunk is lent from
/// it; one with an escape is decoded into the buffer (copied), an END
/// first is an empty frame skipped, and a frame cut by the chunk's end
/// is finished from the next one.
#[test]
fn slip_frames_with_no_escape_whole_in_a_chunk_are_slices_of_it() {
    let mut d = Decoder::new(&SLIP, framing_core::heapless::Vec::<u8, 64>::new());
    let chunk: &[u8] = b"\xc0first\xc0a\xdb\xdcb\xc0\xc0third\xc0four";
    let mut input = chunk;
    let mut got = Vec::new();
    while let Some(Decoded::Frame(f)) = d.decode(&mut input).unwrap() {
        let p = f.payload();
        got.push((p.to_vec(), chunk.as_ptr_range().contains(&p.as_ptr())));
    }
    assert_eq!(input, b"");
    assert_eq!(
        got,
        [
            (b"first".to_vec(), true),
            (b"a\xc0b".to_vec(), false),
            (b"third".to_vec(), true),
        ]
    );
    let mut more: &[u8] = b"th\xc0";
    let Some(Decoded::Frame(f)) = d.decode(&mut more).unwrap() else {
        panic!("the frame begun in the last chunk")
    };
    assert_eq!(f.payload(), b"fourth");
    assert_eq!(d.finish(), Ok(None));
    at_every_split(
        SLIP,
        b"\xc0first\xc0a\xdb\xdcb\xc0\xc0third\xc0fourth\xc0",
        &[
            frame(b"first"),
            frame(b"a\xc0b"),
            frame(b"third"),
            frame(b"fourth"),
        ],
    );
}

/// A decoder of `layout` holding at most 64 bytes, and a window over
/// `stream`, all of it read (a read buffer of 128 bytes).
fn window_over(
    layout: &'static Layout,
    stream: &[u8],
) -> (WindowDecoder, framing_core::adapter::Window, [u8; 128]) {
    let mut room = [0u8; 128];
    let mut window = framing_core::adapter::Window::new();
    window.room(&mut room)[..stream.len()].copy_from_slice(stream);
    window.filled(stream.len());
    (
        Decoder::new(layout, framing_core::heapless::Vec::new()),
        window,
        room,
    )
}

type WindowDecoder = Decoder<&'static Layout, framing_core::heapless::Vec<u8, 64>>;

/// The next frame `Window::take` takes: its payload, and whether it was
/// lent from `buf`.
fn taken(
    w: &mut framing_core::adapter::Window,
    buf: &[u8],
    d: &mut WindowDecoder,
) -> Option<(Vec<u8>, bool)> {
    let (from, at) = w.take(buf, d)?;
    let p = d.frame(w.since(buf, from), at).payload();
    Some((p.to_vec(), buf.as_ptr_range().contains(&p.as_ptr())))
}

/// The next frame `Window::pull` finds (a frame, not a read or a report).
fn pulled(w: &mut framing_core::adapter::Window, buf: &[u8], d: &mut WindowDecoder) -> Vec<u8> {
    use framing_core::adapter::{Found, Pull};
    match w.pull(buf, d, 0) {
        Pull::Found {
            at,
            found: Found::Item(frame),
        } => d.frame(w.since(buf, at), frame).payload().to_vec(),
        other => panic!("expected a frame, got {other:?}"),
    }
}

/// Each of `want` taken in turn by `Window::take`, lent from `buf`.
fn take_each(
    w: &mut framing_core::adapter::Window,
    buf: &[u8],
    d: &mut WindowDecoder,
    want: &[&[u8]],
) {
    for want in want {
        let got = taken(w, buf, d).expect("a frame taken whole");
        assert_eq!(got, (want.to_vec(), true));
    }
}

/// `Window::take` takes nothing and changes nothing: the next frame is
/// `pull`'s.
fn left_to_pull(w: &mut framing_core::adapter::Window, buf: &[u8], d: &mut WindowDecoder) {
    let start = w.start();
    assert!(w.take(buf, d).is_none());
    assert_eq!(w.start(), start);
}

/// The adapters' take for SLIP (`Window::take`): a frame with no escape,
/// whole at the start of the unfed bytes, taken and lent from the buffer;
/// an escape, or an END first, left to `pull`, which gives the same frames
/// the loop gives.
#[test]
fn slip_frames_with_no_escape_are_taken_whole_and_the_rest_pulled() {
    let stream: &[u8] = b"first\xc0second\xc0a\xdb\xdcb\xc0\xc0last\xc0";
    let (mut d, mut window, room) = window_over(&SLIP, stream);
    let buf = &room[..stream.len()];
    take_each(&mut window, buf, &mut d, &[b"first", b"second"]);
    // An escape: the take leaves it to `pull`, changing nothing.
    left_to_pull(&mut window, buf, &mut d);
    assert_eq!(pulled(&mut window, buf, &mut d), b"a\xc0b");
    // An END first (an empty frame, skipped by the loop), then "last".
    left_to_pull(&mut window, buf, &mut d);
    assert_eq!(pulled(&mut window, buf, &mut d), b"last");
}

/// A sender that begins every SLIP frame with an END too (RFC 1055's
/// advice, `sliplib`'s way): the empty frame between two ENDs is skipped
/// with the frame before it, so every frame after the first begins the
/// unfed bytes and is taken whole.
#[test]
fn slip_frames_each_begun_with_an_end_are_taken_after_the_first() {
    let stream: &[u8] = b"\xc0one\xc0\xc0two\xc0\xc0three\xc0";
    let (mut d, mut window, room) = window_over(&SLIP, stream);
    let buf = &room[..stream.len()];
    // The first begins with an END (an empty frame): the loop's.
    left_to_pull(&mut window, buf, &mut d);
    assert_eq!(pulled(&mut window, buf, &mut d), b"one");
    take_each(&mut window, buf, &mut d, &[b"two", b"three"]);
    assert_eq!(window.start(), stream.len());
    at_every_split(
        SLIP,
        stream,
        &[frame(b"one"), frame(b"two"), frame(b"three")],
    );
}

/// The adapters' take for COBS (`Window::take`): a frame of one block
/// (no zero in its payload, at most 254 bytes), whole at the start of the
/// unfed bytes, taken and lent from the buffer after its code byte, the
/// empty frame included; a frame of several blocks, a corrupt one and one
/// not whole left to `pull`, which gives the same frames the loop gives.
#[test]
fn cobs_frames_of_one_block_are_taken_whole_and_the_rest_pulled() {
    // "one", "", "a\0b" (two blocks), "xy", a corrupt frame (a zero in
    // its first block's data), "ok", and "tail" not whole.
    let stream: &[u8] = b"\x04one\x00\x01\x00\x02a\x02b\x00\x03xy\x00\x05a\x00\x03ok\x00\x05tai";
    let (mut d, mut window, room) = window_over(&COBS, stream);
    let buf = &room[..stream.len()];
    take_each(&mut window, buf, &mut d, &[b"one", b""]);
    // Two blocks: the take leaves it to `pull`, changing nothing.
    left_to_pull(&mut window, buf, &mut d);
    assert_eq!(pulled(&mut window, buf, &mut d), b"a\0b");
    take_each(&mut window, buf, &mut d, &[b"xy"]);
    // The corrupt frame: not taken; `pull` reports it (COBS skips it)
    // and goes on.
    left_to_pull(&mut window, buf, &mut d);
    match window.pull(buf, &mut d, 0) {
        framing_core::adapter::Pull::Found {
            found: framing_core::adapter::Found::Recovered(r),
            ..
        } => assert_eq!(
            r,
            framing_core::Recovery::Skipped {
                offset: 16,
                bytes: 3
            }
        ),
        other => panic!("expected the corrupt frame's report, got {other:?}"),
    }
    take_each(&mut window, buf, &mut d, &[b"ok"]);
    // The decoder counted every byte taken or pulled.
    assert_eq!(d.offset(), 23);
    // Not whole: not taken, nothing consumed.
    left_to_pull(&mut window, buf, &mut d);
    assert_eq!(d.offset(), 23);
}

/// A COBS frame of one block longer than the decoder can hold is not
/// taken: `pull` reports it, at its first byte, as the loop does.
#[test]
fn a_cobs_frame_of_one_block_over_the_cap_is_left_to_pull() {
    // 70 bytes of data in one block; the window's decoder holds 64.
    let stream = [&[71u8][..], &[7u8; 70], &[0]].concat();
    let (mut d, mut window, room) = window_over(&COBS, &stream);
    let buf = &room[..stream.len()];
    left_to_pull(&mut window, buf, &mut d);
    match window.pull(buf, &mut d, 0) {
        framing_core::adapter::Pull::Failed(e) => assert_eq!(
            (e.kind(), e.offset()),
            (
                framing_core::DecodeErrorKind::FrameTooLarge {
                    needed: 72,
                    capacity: 64
                },
                0
            )
        ),
        other => panic!("expected the oversized frame's error, got {other:?}"),
    }
}

#[test]
fn lines_lying_whole_in_a_chunk_are_slices_of_it() {
    let mut d = Decoder::new(&LINES, framing_core::heapless::Vec::<u8, 64>::new());
    let chunk: &[u8] = b"first\nsecond\n\nthird";
    let mut input = chunk;
    let mut got = Vec::new();
    while let Some(Decoded::Frame(f)) = d.decode(&mut input).unwrap() {
        let p = f.payload();
        // Borrowed from the chunk: the same memory.
        assert!(chunk.as_ptr_range().contains(&p.as_ptr()) || p.is_empty());
        got.push(p.to_vec());
    }
    assert_eq!(got, [&b"first"[..], b"second", b""]);
    assert_eq!(input, b"");
    let mut more: &[u8] = b" line\n";
    let Some(Decoded::Frame(f)) = d.decode(&mut more).unwrap() else {
        panic!("the line begun in the last chunk")
    };
    assert_eq!(f.payload(), b"third line");
    assert_eq!(d.finish(), Ok(None));
    // Every split, CRLF split between \r and \n included.
    at_every_split(
        CRLF,
        b"GET / HTTP/1.0\r\nHost: x\r\n\r\n",
        &[frame(b"GET / HTTP/1.0"), frame(b"Host: x"), frame(b"")],
    );
    // A lone \r inside is data.
    at_every_split(CRLF, b"a\rb\r\r\n", &[frame(b"a\rb\r")]);
}

#[test]
fn an_unterminated_frame_at_the_end_says_how_many_bytes_were_held() {
    for (layout, wire, held) in [
        (LINES, &b"ok\npartial"[..], 7u64),
        (COBS, &b"\x02a\x00\x03bc"[..], 2),
        (SLIP, &b"a\xc0bc\xdb\xdc"[..], 3),
    ] {
        let got = checks::run_whole(layout, 64, &[wire]);
        let Some(Out::Err(e)) = got.last() else {
            panic!("{got:?}")
        };
        assert_eq!(e.kind(), DecodeErrorKind::Unterminated { held }, "{wire:?}");
        assert_eq!(got.len(), 2, "the frame before is delivered");
        assert!(e.to_string().contains("no delimiter"), "{e}");
    }
}

#[test]
fn oversized_frames_fail_or_are_discarded_to_the_next_delimiter() {
    let strict = Layout::delimited(b"\n").max_payload(4).build().unwrap();
    let wire = b"ok\ntoo long\nfine\n";
    let got = checks::run_whole(strict, 64, &[wire]);
    let Some(Out::Err(e)) = got.last() else {
        panic!("{got:?}")
    };
    assert_eq!(e.offset(), 3);
    assert!(
        matches!(e.kind(), DecodeErrorKind::TooLong { length: 9, max: 4 }),
        "{e}"
    );
    let lenient = Layout::delimited(b"\n")
        .max_payload(4)
        .on_oversize(Oversize::Discard)
        .build()
        .unwrap();
    let want = [
        frame(b"ok"),
        Out::Recovered(Recovery::Discarded {
            offset: 3,
            length: 9,
        }),
        frame(b"fine"),
    ];
    at_every_split(lenient, wire, &want);
    // The decoder's buffer is a limit too (a 6-byte buffer, no max).
    assert_eq!(
        checks::run_whole(
            Layout::cobs()
                .on_oversize(Oversize::Discard)
                .build()
                .unwrap(),
            6,
            &[&encode(&COBS, b"0123456789"), &encode(&COBS, b"abc")]
        ),
        [
            Out::Recovered(Recovery::Discarded {
                offset: 0,
                length: 12
            }),
            frame(b"abc")
        ]
    );
}

/// SLIP frames each begun with an END, with a CRC-16 trailer: a flipped
/// bit costs its frame alone, reported at its offset with its length up
/// to its own END (the empty frame after it is not counted, whether or not
/// D1 took it with a good frame), at every split.
#[test]
fn slip_with_a_crc16_trailer_costs_one_frame_for_a_flipped_bit() {
    let layout = Layout::slip()
        .trailer(Checksum::Crc16Xmodem)
        .build()
        .unwrap();
    let (a, b, c) = (
        encode(&layout, b"temperature=21"),
        encode(&layout, b"humidity=40"),
        encode(&layout, b"pressure=1013"),
    );
    let mut wire = [&[0xc0][..], &a, &[0xc0], &b, &[0xc0], &c].concat();
    let at_b = 1 + a.len() + 1;
    wire[at_b + 3] ^= 0x04;
    let got = checks::run_whole(layout, 64, &[&wire]);
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0], frame(b"temperature=21"));
    assert!(
        matches!(
            got[1],
            Out::Recovered(Recovery::Corrupt { offset, length, .. })
                if offset == at_b as u64 && length == b.len() as u64
        ),
        "{got:?}"
    );
    assert_eq!(got[2], frame(b"pressure=1013"));
    at_every_split(layout, &wire, &got);
}

#[test]
fn cobs_with_a_crc16_trailer_costs_one_frame_for_a_flipped_bit() {
    let layout = Layout::cobs()
        .trailer(Checksum::Crc16Xmodem)
        .build()
        .unwrap();
    let a = encode(&layout, b"\x00temperature=21\x00");
    let b = encode(&layout, b"humidity=40");
    let c = encode(&layout, b"pressure=1013");
    let mut wire = [a.clone(), b.clone(), c.clone()].concat();
    wire[a.len() + 3] ^= 0x04;
    let got = checks::run_whole(layout, 64, &[&wire]);
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0], frame(b"\x00temperature=21\x00"));
    assert!(matches!(
        got[1],
        Out::Recovered(Recovery::Corrupt { offset, length, .. })
            if offset == a.len() as u64 && length == b.len() as u64
    ));
    assert_eq!(got[2], frame(b"pressure=1013"));
    at_every_split(layout, &wire, &got);
}

#[test]
fn a_stream_that_starts_mid_frame_costs_that_frame() {
    let whole = [encode(&COBS, b"first"), encode(&COBS, b"second")].concat();
    // Start in the middle of the first frame's block.
    let wire = &whole[3..];
    let got = checks::run_whole(COBS, 64, &[wire]);
    assert_eq!(got.last(), Some(&frame(b"second")), "{got:?}");
    at_every_split(COBS, wire, &got);
}

#[test]
fn encoders_refuse_what_would_not_decode() {
    let mut out = [0u8; 32];
    assert_eq!(
        LINES.encode(b"two\nlines", &mut out),
        Err(EncodeError::DelimiterInFrame { at: 3 })
    );
    // A frame ending in "=" would read as an earlier "==".
    let eqeq = Layout::delimited(b"==").build().unwrap();
    assert_eq!(
        eqeq.encode(b"x=", &mut out),
        Err(EncodeError::DelimiterInFrame { at: 1 })
    );
    // A frame ending in \r is fine with CRLF: the first CRLF is its end.
    assert_eq!(CRLF.encode(b"ends\r", &mut out), Ok(7));
    assert_eq!(
        checks::run_whole(CRLF, 64, &[&out[..7]]),
        [frame(b"ends\r")]
    );
    assert_eq!(COBS.encode_header(3, &mut out), Err(EncodeError::Delimited));
    let mut out = [0u8; 32];
    assert_eq!(
        COBS.encode(&[1; 40], &mut out[..10]),
        Err(EncodeError::BufferTooSmall {
            needed: 42,
            available: 10
        })
    );
    assert_eq!(out[..10], [0; 10], "nothing written");
    // Any bytes round-trip through COBS and SLIP.
    for layout in [COBS, SLIP] {
        let payload: Vec<u8> = (0..=255u8)
            .chain((0..600).map(|i| ((i % 7) * 0x40) as u8))
            .collect();
        let wire = encode(&layout, &payload);
        assert!(wire.len() <= layout.max_encoded_len(payload.len()).unwrap());
        assert_eq!(checks::run_whole(layout, 4096, &[&wire]), [frame(&payload)]);
    }
}

/// An empty SLIP frame is an END alone, which the decoder skips as
/// padding: the encoder refuses it (it used to write it, `Ok`, and the
/// frame vanished), with a message saying why. An empty COBS frame (`01
/// 00`), an empty line and an empty SLIP payload with a trailer all
/// arrive.
#[test]
fn an_empty_slip_frame_is_refused_and_other_empty_frames_arrive() {
    let mut out = [0u8; 8];
    let e = SLIP.encode(b"", &mut out).unwrap_err();
    assert_eq!(e, EncodeError::EmptyFrame);
    assert!(e.to_string().contains("empty SLIP frame"), "{e}");
    assert_eq!(out, [0; 8], "nothing written");

    assert_eq!(encode(&COBS, b""), [0x01, 0x00]);
    at_every_split(COBS, b"\x01\x00\x02x\x00", &[frame(b""), frame(b"x")]);
    assert_eq!(encode(&LINES, b""), b"\n");
    at_every_split(LINES, b"\nx\n", &[frame(b""), frame(b"x")]);
    let checked = Layout::slip()
        .trailer(Checksum::Crc16Xmodem)
        .build_or_panic();
    let wire = encode(&checked, b"");
    assert_eq!(wire.len(), 3);
    assert_eq!(checks::run_whole(checked, 64, &[&wire]), [frame(b"")]);
}

/// A streaming decoder over a delimited layout cannot be built (it was
/// built failed, with the same error, before).
#[test]
fn a_stream_decoder_refuses_delimited_layouts() {
    let refused = StreamDecoder::try_new(&LINES, framing_core::heapless::Vec::<u8, 16>::new());
    assert_eq!(
        refused.err().map(|e| e.kind()),
        Some(DecodeErrorKind::NotStreamable)
    );
    for layout in [&LINES, &COBS] {
        let built = StreamDecoder::try_new(layout, framing_core::heapless::Vec::<u8, 16>::new());
        assert!(built.is_err());
    }
    let panicked = std::panic::catch_unwind(|| {
        StreamDecoder::new(&LINES, framing_core::heapless::Vec::<u8, 16>::new());
    });
    assert!(
        panicked.is_err(),
        "new built a streaming decoder over lines"
    );
    // A length layout builds.
    let length = Layout::new("!H");
    assert!(StreamDecoder::try_new(&length, framing_core::heapless::Vec::<u8, 16>::new()).is_ok());
}

mod common;

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn layouts() -> impl Strategy<Value = Layout> {
        (0usize..5, any::<bool>(), any::<bool>(), 1u64..300).prop_map(
            |(kind, crc, discard, max)| {
                let b = match kind {
                    0 => Layout::cobs(),
                    1 => Layout::slip(),
                    2 => Layout::delimited(b"\n"),
                    3 => Layout::delimited(b"\r\n"),
                    _ => Layout::delimited(b"=="),
                };
                let b = if crc {
                    b.trailer(Checksum::Crc16Modbus)
                } else {
                    b
                };
                let b = if discard {
                    b.on_oversize(Oversize::Discard)
                } else {
                    b
                };
                b.max_payload(max).build().unwrap()
            },
        )
    }

    use super::common::split;

    proptest! {
        /// Encoded frames decode to themselves whatever the split; frames
        /// and junk give the same frames, reports and errors whole, in
        /// chunks and byte by byte, and never loop (the oracle bounds the
        /// outputs by the bytes).
        #[test]
        fn any_split_of_frames_and_junk_decodes_the_same(
            layout in layouts(),
            payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..80), 0..8),
            junk in prop::collection::vec(prop_oneof![Just(0u8), Just(0xc0), Just(0xdb), Just(b'\n'), Just(b'='), any::<u8>()], 0..40),
            junk_at in any::<usize>(),
            cuts in prop::collection::vec(any::<usize>(), 0..12),
            cap in prop_oneof![Just(4096usize), 8usize..64],
        ) {
            let mut stream = Vec::new();
            let mut want = Vec::new();
            for p in &payloads {
                let mut out = vec![0u8; layout.max_encoded_len(p.len()).unwrap()];
                // Whatever the encoder accepts arrives (an empty SLIP frame,
                // which would not, is refused).
                if let Ok(n) = layout.encode(p, &mut out) {
                    stream.extend_from_slice(&out[..n]);
                    want.push(frame(p));
                }
            }
            // Encode then decode is the identity.
            prop_assert_eq!(&checks::run_whole(layout, 4096, &[&stream]), &want);
            let chunks = split(&stream, &cuts);
            prop_assert_eq!(&checks::run_whole(layout, 4096, &chunks), &want);
            // With junk somewhere: the same, whatever the split.
            let at = junk_at % (stream.len() + 1);
            stream.splice(at..at, junk.iter().copied());
            let whole = checks::run_whole(layout, cap, &[&stream]);
            let chunks = split(&stream, &cuts);
            prop_assert_eq!(&checks::run_whole(layout, cap, &chunks), &whole);
            let bytes: Vec<&[u8]> = stream.chunks(1).collect();
            prop_assert_eq!(&checks::run_whole(layout, cap, &bytes), &whole);
            prop_assert_eq!(&checks::run_whole_with(layout, cap, &chunks, true), &whole);
        }
    }
}
