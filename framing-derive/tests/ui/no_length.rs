#[derive(framing_core::Header)]
#[framing(byte_order = "network")]
struct Msg {
    kind: u8,
    len: u32,
}

#[derive(framing_core::Header)]
#[framing(byte_order = "network", varint_length)]
struct Both {
    #[framing(length)]
    len: u32,
}

fn main() {}
