use framing_core::U24;

#[derive(framing_core::Header)]
struct Msg {
    #[framing(length)]
    len: u16,
    other: U24,
}

#[derive(framing_core::Header)]
struct Constant {
    #[framing(length)]
    len: u16,
    #[framing(constant = 7)]
    tag: U24,
}

fn main() {}
