#[derive(framing_core::Header)]
#[framing(byte_order = "network", max_payload = 65536)]
struct Msg {
    #[framing(constant = 0xCAFE)]
    magic: u16,
    #[framing(length)]
    len: u16,
}

#[derive(framing_core::Header)]
#[framing(byte_order = "network")]
struct Flag {
    #[framing(length)]
    len: bool,
}

fn main() {}
