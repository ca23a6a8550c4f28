#[derive(framing_core::Header)]
#[framing(byte_order = "network")]
struct Msg {
    #[framing(constant = 0x1CAFE)]
    magic: u16,
    #[framing(length)]
    len: u32,
}

#[derive(framing_core::Header)]
#[framing(byte_order = "network")]
struct Signed {
    #[framing(constant = -129)]
    magic: i8,
    #[framing(length)]
    len: u32,
}

#[derive(framing_core::Header)]
#[framing(byte_order = "network")]
struct Tag {
    #[framing(constant = b"TOOLONG")]
    tag: [u8; 4],
    #[framing(length)]
    len: u32,
}

fn main() {}
