#[derive(framing_core::Header)]
#[framing(byte_order = "little")]
struct Msg {
    name: String,
    wide: u128,
    words: [u16; 2],
    #[framing(length)]
    len: u32,
}

fn main() {}
