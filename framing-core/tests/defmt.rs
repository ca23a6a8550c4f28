//! Every public value a firmware would log implements `defmt::Format`.
#![cfg(feature = "defmt")]

fn loggable<T: defmt::Format>() {}

#[test]
fn errors_headers_and_values_are_defmt_format() {
    loggable::<framing_core::DecodeError>();
    loggable::<framing_core::DecodeErrorKind>();
    loggable::<framing_core::EncodeError>();
    loggable::<framing_core::LayoutError>();
    loggable::<framing_core::FormatError>();
    loggable::<framing_core::Header<'static>>();
    loggable::<framing_core::Frame<'static>>();
    loggable::<framing_core::Value<'static>>();
    loggable::<framing_core::Event<'static>>();
    loggable::<framing_core::Decoded<framing_core::Frame<'static>>>();
    loggable::<framing_core::Recovery>();
    #[cfg(feature = "embedded-io")]
    loggable::<framing_core::embedded::Error<embedded_io::ErrorKind>>();
}
