#[derive(framing_core::Header)]
#[framing(byte_order = "network")]
struct Msg {
    #[framing(length)]
    len: u32,
    #[framing(length)]
    other: u16,
}

fn main() {}
