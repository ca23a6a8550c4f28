// What the const builder refuses is a compile error too: resync needs a
// constant to find the next header by.
#[derive(framing_core::Header)]
#[framing(byte_order = "network", resync)]
struct Msg {
    #[framing(length)]
    len: u32,
}

fn main() {
    let _ = Msg::LAYOUT;
}
