#[derive(framing_core::Header)]
#[framing(byte_order = "network")]
struct Msg {
    get: u8,
    #[framing(length)]
    len: u32,
}

fn main() {}
