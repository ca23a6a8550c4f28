#[derive(framing_core::Header)]
#[framing(byte_order = "network", max_paylod = 100)]
struct Msg {
    #[framing(length)]
    len: u32,
}

#[derive(framing_core::Header)]
#[framing(byte_order = "network")]
struct Field {
    #[framing(lenght)]
    len: u32,
}

#[derive(framing_core::Header)]
#[framing(byte_order = "middle")]
struct Order {
    #[framing(length)]
    len: u32,
}

fn main() {}
