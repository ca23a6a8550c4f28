//! The process keeps a copy of the first 64 distinct layouts its readers
//! and codecs are built with, for their owned frames to refer to; past
//! those, frames share a counted one. A binary of its own: it fills the
//! process's list, which the other tests' readers share.

use std::io;

use framing_std::{FrameReader, Layout, OwnedFrame};

/// A short `!H` frame (copied into its `ReadBytes` while the layout is
/// kept) then a long one (shared with the read buffer).
const SHORT_THEN_LONG: &[u8] = b"\x00\x02hi\x00\x28abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN";

#[test]
fn past_the_layouts_the_process_keeps_frames_read_the_same() {
    // More distinct layouts than the process keeps (64): each reader's
    // frames, short and long, still carry their bytes and their layout.
    for max in 1000..1100 {
        let layout = Layout::builder("!H").max_payload(max).build().unwrap();
        let frames: Vec<OwnedFrame> = FrameReader::new(SHORT_THEN_LONG, layout)
            .collect::<io::Result<_>>()
            .unwrap();
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].payload(), b"hi");
        assert_eq!(frames[1].payload(), &SHORT_THEN_LONG[6..]);
        for frame in &frames {
            assert_eq!(frame.layout().max_payload(), max);
        }
    }
}
