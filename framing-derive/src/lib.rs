//! `#[derive(Header)]` for [framing-core]: a Rust struct describes a
//! header once, and the derive gives its `Layout`, its CPython `struct`
//! format string, a zero-copy view with typed getters, a by-value read
//! and typed encoding. Use it through framing-core's `derive` feature
//! (`framing_core::Header`), as serde's derives are used through serde.
//!
//! See [`Header`] for the attributes and what is generated.
//!
//! [framing-core]: https://docs.rs/framing-core
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{
    parse_macro_input, Data, DeriveInput, Expr, ExprLit, ExprUnary, Fields, Ident, Lit, LitByteStr,
    LitStr, Token, Type, UnOp,
};

/// The workspace README's examples, run as doctests (they use the derive).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

/// framing-core's default largest payload (`DEFAULT_MAX_PAYLOAD`, 8 MiB).
const DEFAULT_MAX_PAYLOAD: i128 = 8 * 1024 * 1024;

/// Derives `framing_core::TypedHeader` for a struct with named fields, one
/// field per `struct` value, in order.
///
/// ```
/// use framing_core::{Decoded, Decoder, TypedHeader};
///
/// #[derive(framing_core::Header, Clone, Copy, Debug, PartialEq)]
/// #[framing(byte_order = "network", max_payload = 65536)]
/// struct Msg {
///     #[framing(constant = 0xCAFE)]
///     magic: u16,
///     #[framing(constant = 1)]
///     version: u8,
///     flags: u8,
///     #[framing(length, adjust = -8)]
///     len: u32,
/// }
///
/// assert_eq!(Msg::FORMAT, "!HBBI");
/// let msg = Msg { magic: 0, version: 0, flags: 3, len: 0 };
/// let mut out = [0u8; 16];
/// let n = msg.encode(b"hi", &mut out)?; // the length and constants filled in
/// assert_eq!(&out[..n], b"\xca\xfe\x01\x03\x00\x00\x00\x0ahi");
///
/// let mut decoder = Decoder::new(&Msg::LAYOUT, framing_core::heapless::Vec::<u8, 64>::new());
/// let mut input = &out[..n];
/// let frame = decoder.decode(&mut input)?.and_then(Decoded::frame).unwrap();
/// let view = frame.view::<Msg>().unwrap(); // reads in place
/// assert_eq!((view.flags(), view.len()), (3, 10));
/// assert_eq!(frame.typed::<Msg>(), Some(Msg { magic: 0xCAFE, version: 1, flags: 3, len: 10 }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Field types
///
/// | Rust | `struct` code | Rust | `struct` code |
/// |---|---|---|---|
/// | `i8` `u8` | `b` `B` | `i64` `u64` | `q` `Q` |
/// | `i16` `u16` | `h` `H` | `bool` | `?` |
/// | `i32` `u32` | `i` `I` | `f32` `f64` | `f` `d` |
/// | `[u8; N]` | `Ns` (the raw bytes) | `U24` | `3s`: a 3-byte length field, as a number in the byte order |
///
/// # Struct attributes, `#[framing(...)]`
///
/// - `byte_order = "native" | "native_std" | "little" | "big" | "network"`
///   (or the prefix itself, `"@" "=" "<" ">" "!"`): the format's prefix.
///   Default `"native"` (`@`, native alignment), as in `struct`.
/// - `max_payload = N`: the largest payload. Default: 8 MiB, or less if
///   the length field cannot hold that.
/// - `length_adjust = K`: payload length = length value + K (or `adjust` on
///   the length field).
/// - `varint_length`, `varint_max_bytes = N`: the length is a varint after
///   the header (no length field).
/// - `ascii_length = "decimal" | "hex"` with `length_end = b":"`, and
///   `ascii_max_digits = N`: the length is ASCII digits after the header.
/// - `trailer = "crc32" | "crc32c" | "crc16-xmodem" | "crc16-modbus" |
///   "crc16-ccitt-false"`, `trailer_covers = "frame" | "payload"`,
///   `trailer_byte_order = "big" | "little" | ...`.
/// - `on_oversize = "fail" | "discard"`, `resync`, `frame_end = b","`,
///   `preface = b"..."`, `preface_until = b"\r\n\r\n"` with
///   `preface_max = N`, `first_frame = &OTHER_LAYOUT` (a `&'static Layout`).
/// - `crate = "framing_std::framing_core"`: where the generated code finds
///   framing-core, for a crate that has it only through framing-std
///   (default `::framing_core`).
///
/// # Field attributes
///
/// - `length`: this field holds the length (exactly one, unless the length
///   is a varint or ASCII digits): an integer, `[u8; 1..=8]` or `U24`;
///   `adjust = K` beside it.
/// - `constant = V`: a magic number or version (an integer, `true`/`false`,
///   a float, or a byte string for `[u8; N]`): encoding writes it whatever
///   the struct holds, decoding rejects a frame without it.
/// - `pad = N`, `pad_after = N`: N pad bytes (`Nx`) before or after the field.
///
/// # What is generated, for `struct Msg`
///
/// - `Msg::FORMAT` (`&str`), `Msg::LAYOUT` (`Layout`), `Msg::SIZE`.
/// - `MsgView<'a>`: a `Copy` view over the header's bytes with a getter per
///   field (`fn flags(&self) -> u8`; `&'a [u8; N]` for byte strings),
///   `MsgView::new(&[u8])`, `as_bytes` and `get` (the `Msg`).
/// - `Msg::view(&[u8])`, `Msg::from_bytes(&[u8])`, `Msg::from_header(&Header)`,
///   `msg.encode(payload, out)`, `msg.encode_header(len, out)`,
///   `msg.encode_parts(payload, scratch)`, `msg.values()` (for any
///   writer's `write_frame_with(payload, &msg.values())`, blocking,
///   embedded or async), and the `TypedHeader` impl behind `Frame::typed`
///   and `Frame::view`.
///
/// Misuse is a compile error at the field: two length fields, a constant
/// that does not fit its field, an unsupported type, a length field that
/// cannot hold `max_payload`, an unknown attribute. The const builder
/// checks the rest when `LAYOUT` is evaluated, also at compile time.
#[proc_macro_derive(Header, attributes(framing))]
pub fn derive_header(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// A field's Rust type, as far as the format is concerned.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ty {
    /// An integer: its code, its size and whether it is signed.
    Int {
        code: char,
        size: usize,
        signed: bool,
    },
    Bool,
    F32,
    F64,
    /// `[u8; N]`.
    Bytes(usize),
    /// `U24` (framing-core's): `3s`, read as a number in the byte order;
    /// the length field only.
    U24,
}

impl Ty {
    fn parse(ty: &Type, field: &Ident) -> syn::Result<Ty> {
        let unsupported = || {
            syn::Error::new_spanned(
                ty,
                format!(
                    "field `{field}`: unsupported type `{}` for #[derive(Header)]: expected one of \
                     i8 u8 i16 u16 i32 u32 i64 u64 bool f32 f64 [u8; N] U24",
                    quote!(#ty).to_string().replace(" ;", ";")
                ),
            )
        };
        match ty {
            // A type from a `macro_rules!` `$t:ty`, or in parentheses.
            Type::Group(g) => Ty::parse(&g.elem, field),
            Type::Paren(p) => Ty::parse(&p.elem, field),
            Type::Path(p) if p.qself.is_none() => {
                // framing-core's `U24`, by any path (`U24`, `framing_core::U24`).
                if p.path.segments.last().is_some_and(|s| {
                    s.ident == "U24" && matches!(s.arguments, syn::PathArguments::None)
                }) {
                    return Ok(Ty::U24);
                }
                let Some(ident) = p.path.get_ident() else {
                    return Err(unsupported());
                };
                let int = |code, size, signed| Ty::Int { code, size, signed };
                Ok(match ident.to_string().as_str() {
                    "i8" => int('b', 1, true),
                    "u8" => int('B', 1, false),
                    "i16" => int('h', 2, true),
                    "u16" => int('H', 2, false),
                    "i32" => int('i', 4, true),
                    "u32" => int('I', 4, false),
                    "i64" => int('q', 8, true),
                    "u64" => int('Q', 8, false),
                    "bool" => Ty::Bool,
                    "f32" => Ty::F32,
                    "f64" => Ty::F64,
                    _ => return Err(unsupported()),
                })
            }
            Type::Array(a) => {
                let is_u8 =
                    matches!(&*a.elem, Type::Path(p) if p.qself.is_none() && p.path.is_ident("u8"));
                let n = match &a.len {
                    Expr::Lit(ExprLit {
                        lit: Lit::Int(n), ..
                    }) => n.base10_parse::<usize>().ok(),
                    _ => None,
                };
                match (is_u8, n) {
                    (true, Some(n)) => Ok(Ty::Bytes(n)),
                    (true, None) => Err(syn::Error::new_spanned(
                        &a.len,
                        format!("field `{field}`: #[derive(Header)] needs the length of a [u8; N] field as an integer literal"),
                    )),
                    _ => Err(unsupported()),
                }
            }
            _ => Err(unsupported()),
        }
    }

    /// The format's code for this type.
    fn code(self) -> String {
        match self {
            Ty::Int { code, .. } => code.to_string(),
            Ty::Bool => "?".into(),
            Ty::F32 => "f".into(),
            Ty::F64 => "d".into(),
            Ty::Bytes(n) => format!("{n}s"),
            Ty::U24 => "3s".into(),
        }
    }

    /// The most a length field of this type holds, or `None` if it cannot
    /// hold a length.
    fn length_capacity(self) -> Option<i128> {
        match self {
            Ty::Int { size, signed, .. } => Some(if signed {
                (1i128 << (8 * size - 1)) - 1
            } else {
                (1i128 << (8 * size)) - 1
            }),
            Ty::Bytes(n) if (1..=8).contains(&n) => Some((1i128 << (8 * n)) - 1),
            Ty::U24 => Some((1i128 << 24) - 1),
            _ => None,
        }
    }
}

/// A `#[framing(...)]` value with the span to blame.
struct Spanned2<T> {
    value: T,
    span: Span,
}

#[derive(Default)]
struct StructOpts {
    byte_order: Option<Spanned2<char>>,
    max_payload: Option<Spanned2<i128>>,
    length_adjust: Option<Spanned2<i128>>,
    varint: bool,
    varint_max_bytes: Option<Spanned2<i128>>,
    ascii_length: Option<Spanned2<String>>,
    length_end: Option<LitByteStr>,
    ascii_max_digits: Option<Spanned2<i128>>,
    trailer: Option<Spanned2<String>>,
    trailer_covers: Option<Spanned2<String>>,
    trailer_byte_order: Option<Spanned2<char>>,
    on_oversize: Option<Spanned2<String>>,
    resync: bool,
    frame_end: Option<LitByteStr>,
    preface: Option<LitByteStr>,
    preface_until: Option<LitByteStr>,
    preface_max: Option<Spanned2<i128>>,
    first_frame: Option<Expr>,
    krate: Option<syn::Path>,
}

#[derive(Default)]
struct FieldOpts {
    length: Option<Span>,
    adjust: Option<Spanned2<i128>>,
    constant: Option<Expr>,
    pad: usize,
    pad_after: usize,
}

struct FieldInfo<'a> {
    ident: &'a Ident,
    vis: &'a syn::Visibility,
    ty: Ty,
    rust_ty: &'a Type,
    opts: FieldOpts,
}

/// An integer literal, possibly negated.
fn int_of(expr: &Expr) -> syn::Result<i128> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(n), ..
        }) => n.base10_parse::<i128>(),
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => match &**expr {
            Expr::Lit(ExprLit {
                lit: Lit::Int(n), ..
            }) => n.base10_parse::<i128>().map(|v| -v),
            _ => Err(syn::Error::new_spanned(expr, "expected an integer literal")),
        },
        Expr::Group(g) => int_of(&g.expr),
        _ => Err(syn::Error::new_spanned(expr, "expected an integer literal")),
    }
}

fn parse_int(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Spanned2<i128>> {
    let expr: Expr = meta.value()?.parse()?;
    Ok(Spanned2 {
        value: int_of(&expr)?,
        span: expr.span(),
    })
}

fn parse_str(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Spanned2<String>> {
    let s: LitStr = meta.value()?.parse()?;
    Ok(Spanned2 {
        value: s.value(),
        span: s.span(),
    })
}

/// A flag: `resync` alone, or `resync = true`.
fn parse_flag(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<bool> {
    if meta.input.peek(Token![=]) {
        let b: syn::LitBool = meta.value()?.parse()?;
        Ok(b.value)
    } else {
        Ok(true)
    }
}

fn byte_order(s: &Spanned2<String>) -> syn::Result<Spanned2<char>> {
    let c = match s.value.as_str() {
        "native" | "@" => '@',
        "native_std" | "=" => '=',
        "little" | "<" => '<',
        "big" | ">" => '>',
        "network" | "!" => '!',
        other => {
            return Err(syn::Error::new(
                s.span,
                format!(
                    "unknown byte order {other:?}: expected \"native\", \"native_std\", \
                     \"little\", \"big\" or \"network\""
                ),
            ))
        }
    };
    Ok(Spanned2 {
        value: c,
        span: s.span,
    })
}

fn unknown(meta: &syn::meta::ParseNestedMeta<'_>, known: &str) -> syn::Error {
    let name = meta
        .path
        .get_ident()
        .map_or_else(|| "?".to_string(), ToString::to_string);
    meta.error(format!(
        "unknown framing attribute `{name}`: expected one of {known}"
    ))
}

const STRUCT_KEYS: &str = "byte_order, max_payload, length_adjust, varint_length, \
    varint_max_bytes, ascii_length, length_end, ascii_max_digits, trailer, trailer_covers, \
    trailer_byte_order, on_oversize, resync, frame_end, preface, preface_until, preface_max, \
    first_frame, crate";
const FIELD_KEYS: &str = "length, adjust, constant, pad, pad_after";

fn struct_opts(input: &DeriveInput) -> syn::Result<StructOpts> {
    let mut o = StructOpts::default();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("framing")) {
        attr.parse_nested_meta(|meta| {
            let p = &meta.path;
            if p.is_ident("byte_order") {
                o.byte_order = Some(byte_order(&parse_str(&meta)?)?);
            } else if p.is_ident("max_payload") {
                o.max_payload = Some(parse_int(&meta)?);
            } else if p.is_ident("length_adjust") {
                o.length_adjust = Some(parse_int(&meta)?);
            } else if p.is_ident("varint_length") {
                o.varint = parse_flag(&meta)?;
            } else if p.is_ident("varint_max_bytes") {
                o.varint_max_bytes = Some(parse_int(&meta)?);
            } else if p.is_ident("ascii_length") {
                o.ascii_length = Some(parse_str(&meta)?);
            } else if p.is_ident("length_end") {
                o.length_end = Some(meta.value()?.parse()?);
            } else if p.is_ident("ascii_max_digits") {
                o.ascii_max_digits = Some(parse_int(&meta)?);
            } else if p.is_ident("trailer") {
                o.trailer = Some(parse_str(&meta)?);
            } else if p.is_ident("trailer_covers") {
                o.trailer_covers = Some(parse_str(&meta)?);
            } else if p.is_ident("trailer_byte_order") {
                o.trailer_byte_order = Some(byte_order(&parse_str(&meta)?)?);
            } else if p.is_ident("on_oversize") {
                o.on_oversize = Some(parse_str(&meta)?);
            } else if p.is_ident("resync") {
                o.resync = parse_flag(&meta)?;
            } else if p.is_ident("frame_end") {
                o.frame_end = Some(meta.value()?.parse()?);
            } else if p.is_ident("preface") {
                o.preface = Some(meta.value()?.parse()?);
            } else if p.is_ident("preface_until") {
                o.preface_until = Some(meta.value()?.parse()?);
            } else if p.is_ident("preface_max") {
                o.preface_max = Some(parse_int(&meta)?);
            } else if p.is_ident("first_frame") {
                o.first_frame = Some(meta.value()?.parse()?);
            } else if p.is_ident("crate") {
                let path: LitStr = meta.value()?.parse()?;
                o.krate = Some(path.parse()?);
            } else {
                return Err(unknown(&meta, STRUCT_KEYS));
            }
            Ok(())
        })?;
    }
    Ok(o)
}

fn field_opts(field: &syn::Field) -> syn::Result<FieldOpts> {
    let mut o = FieldOpts::default();
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("framing")) {
        attr.parse_nested_meta(|meta| {
            let p = &meta.path;
            if p.is_ident("length") {
                o.length = Some(p.span());
            } else if p.is_ident("adjust") {
                o.adjust = Some(parse_int(&meta)?);
            } else if p.is_ident("constant") {
                o.constant = Some(meta.value()?.parse()?);
            } else if p.is_ident("pad") || p.is_ident("pad_after") {
                let n = parse_int(&meta)?;
                let n = usize::try_from(n.value)
                    .map_err(|_| syn::Error::new(n.span, "expected a pad byte count"))?;
                if p.is_ident("pad") {
                    o.pad = n;
                } else {
                    o.pad_after = n;
                }
            } else {
                return Err(unknown(&meta, FIELD_KEYS));
            }
            Ok(())
        })?;
    }
    Ok(o)
}

/// The builder call for a constant, checked against the field's type.
fn constant_value(
    f: &FieldInfo<'_>,
    expr: &Expr,
    krate: &TokenStream2,
) -> syn::Result<TokenStream2> {
    let name = f.ident;
    let lit = match expr {
        Expr::Lit(ExprLit { lit, .. }) => Some(lit),
        _ => None,
    };
    let mismatch = |what: &str| {
        syn::Error::new_spanned(
            expr,
            format!("the constant of field `{name}` must be {what}"),
        )
    };
    match f.ty {
        Ty::Int { .. } => {
            let v = int_of(expr).map_err(|_| mismatch("an integer literal"))?;
            let cap = f.ty.length_capacity().unwrap_or(0);
            let min = match f.ty {
                Ty::Int { signed: true, .. } => -cap - 1,
                _ => 0,
            };
            if v < min || v > cap {
                let ty = f.rust_ty;
                return Err(syn::Error::new_spanned(
                    expr,
                    format!(
                        "constant {v} does not fit field `{name}` ({}: {min}..={cap})",
                        quote!(#ty)
                    ),
                ));
            }
            Ok(quote!(#krate::Value::Int(#v)))
        }
        Ty::Bool => match lit {
            Some(Lit::Bool(b)) => Ok(quote!(#krate::Value::Bool(#b))),
            _ => Err(mismatch("`true` or `false`")),
        },
        Ty::F32 | Ty::F64 => {
            let neg;
            let inner = match expr {
                Expr::Unary(ExprUnary {
                    op: UnOp::Neg(_),
                    expr,
                    ..
                }) => {
                    neg = true;
                    &**expr
                }
                e => {
                    neg = false;
                    e
                }
            };
            let v: f64 = match inner {
                Expr::Lit(ExprLit {
                    lit: Lit::Float(x), ..
                }) => x.base10_parse()?,
                Expr::Lit(ExprLit {
                    lit: Lit::Int(x), ..
                }) => x.base10_parse()?,
                _ => return Err(mismatch("a float literal")),
            };
            let v = if neg { -v } else { v };
            if f.ty == Ty::F32 && v.is_finite() && (v as f32).is_infinite() {
                return Err(syn::Error::new_spanned(
                    expr,
                    format!("constant {v} does not fit field `{name}` (f32)"),
                ));
            }
            Ok(quote!(#krate::Value::Float(#v)))
        }
        Ty::U24 => Err(syn::Error::new_spanned(
            expr,
            format!(
                "field `{name}` is a U24, which is for the length field: \
                 a 3-byte constant is a [u8; 3] with a byte string"
            ),
        )),
        Ty::Bytes(n) => match lit {
            Some(Lit::ByteStr(b)) => {
                if b.value().len() > n {
                    return Err(syn::Error::new_spanned(
                        expr,
                        format!(
                            "constant of {} bytes does not fit field `{name}` ([u8; {n}])",
                            b.value().len()
                        ),
                    ));
                }
                Ok(quote!(#krate::Value::Bytes(#b)))
            }
            _ => Err(mismatch("a byte string literal (b\"...\")")),
        },
    }
}

fn pad(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => "x".into(),
        n => format!("{n}x"),
    }
}

#[allow(clippy::too_many_lines)] // one pass from the struct to the items
fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let name = &input.ident;
    let vis = &input.vis;
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "#[derive(Header)] does not support generic structs",
        ));
    }
    let named =
        match &input.data {
            Data::Struct(s) => match &s.fields {
                Fields::Named(n) => &n.named,
                Fields::Unit => &syn::punctuated::Punctuated::new(),
                Fields::Unnamed(u) => return Err(syn::Error::new_spanned(
                    u,
                    "#[derive(Header)] needs named fields (each field's getter is named after it)",
                )),
            },
            _ => {
                return Err(syn::Error::new_spanned(
                    name,
                    "#[derive(Header)] applies to structs only",
                ))
            }
        };
    let opts = struct_opts(input)?;
    let krate = match &opts.krate {
        Some(path) => quote!(#path),
        None => quote!(::framing_core),
    };
    let mut fields = Vec::new();
    let mut errors: Option<syn::Error> = None;
    let mut push_err = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    for f in named {
        let ident = f.ident.as_ref().expect("named field");
        if ["new", "as_bytes", "get"].contains(&ident.to_string().as_str()) {
            push_err(syn::Error::new_spanned(
                ident,
                format!(
                    "field `{ident}` would name a getter that the view already has \
                     (`new`, `as_bytes` and `get` are taken): rename the field"
                ),
            ));
            continue;
        }
        match (Ty::parse(&f.ty, ident), field_opts(f)) {
            (Ok(ty), Ok(opts)) => fields.push(FieldInfo {
                ident,
                vis: &f.vis,
                ty,
                rust_ty: &f.ty,
                opts,
            }),
            (Err(e), _) | (_, Err(e)) => push_err(e),
        }
    }
    if let Some(e) = errors {
        return Err(e);
    }

    let after_header =
        opts.varint || opts.varint_max_bytes.is_some() || opts.ascii_length.is_some();
    // The length field, checked.
    let mut length: Option<(usize, &FieldInfo<'_>)> = None;
    let mut adjust = opts.length_adjust.as_ref().map(|a| a.value);
    for (i, f) in fields.iter().enumerate() {
        if let Some(a) = &f.opts.adjust {
            if f.opts.length.is_none() {
                return Err(syn::Error::new(
                    a.span,
                    format!(
                        "`adjust` on field `{}`, which is not the length field",
                        f.ident
                    ),
                ));
            }
            if adjust.is_some() {
                return Err(syn::Error::new(a.span, "the length adjust is given twice"));
            }
            adjust = Some(a.value);
        }
        if f.opts.length.is_none() {
            continue;
        }
        if let Some((_, first)) = length {
            return Err(syn::Error::new_spanned(
                f.ident,
                format!(
                    "two length fields: `{}` and `{}` (a header has one)",
                    first.ident, f.ident
                ),
            ));
        }
        if after_header {
            return Err(syn::Error::new_spanned(
                f.ident,
                format!(
                    "field `{}` is a length field, but the length is a varint or ASCII digits after the header",
                    f.ident
                ),
            ));
        }
        if f.opts.constant.is_some() {
            return Err(syn::Error::new_spanned(
                f.ident,
                format!("field `{}` is both the length and a constant", f.ident),
            ));
        }
        if f.ty.length_capacity().is_none() {
            return Err(syn::Error::new_spanned(
                f.rust_ty,
                format!(
                    "length field `{}` must be an integer, [u8; 1..=8] or U24",
                    f.ident
                ),
            ));
        }
        length = Some((i, f));
    }
    for (i, f) in fields.iter().enumerate() {
        if f.ty == Ty::U24 && length.is_none_or(|(l, _)| l != i) {
            return Err(syn::Error::new_spanned(
                f.rust_ty,
                format!(
                    "field `{}` is a U24, which is for the length field only: \
                     a free 3-byte field is [u8; 3]",
                    f.ident
                ),
            ));
        }
    }
    if length.is_none() && !after_header {
        return Err(syn::Error::new_spanned(
            name,
            "no length: mark a field #[framing(length)], or put #[framing(varint_length)] \
             or #[framing(ascii_length = ..., length_end = ...)] on the struct",
        ));
    }
    let adjust_v = adjust.unwrap_or(0);
    if i64::try_from(adjust_v).is_err() {
        return Err(syn::Error::new(
            Span::call_site(),
            "the length adjust must fit an i64",
        ));
    }
    // The largest payload, checked against the length field.
    let mut max_payload = opts.max_payload.as_ref().map(|m| m.value);
    if let Some(m) = &opts.max_payload {
        if u64::try_from(m.value).is_err() {
            return Err(syn::Error::new(m.span, "max_payload must fit a u64"));
        }
    }
    if let Some((_, f)) = length {
        let cap = f.ty.length_capacity().unwrap_or(0);
        let ty = f.rust_ty;
        match max_payload {
            Some(m) if m - adjust_v > cap => {
                return Err(syn::Error::new_spanned(
                    f.ident,
                    format!(
                        "length field `{}` ({}) holds at most {cap}, too little for \
                         max_payload {m} with adjust {adjust_v}: widen it or lower max_payload",
                        f.ident,
                        quote!(#ty)
                    ),
                ));
            }
            Some(_) => {}
            None => {
                let most = cap + adjust_v;
                if most < 0 {
                    return Err(syn::Error::new_spanned(
                        f.ident,
                        format!(
                            "length field `{}` cannot hold any payload with adjust {adjust_v}",
                            f.ident
                        ),
                    ));
                }
                if most < DEFAULT_MAX_PAYLOAD {
                    max_payload = Some(most);
                }
            }
        }
    }

    // FORMAT.
    let order = opts.byte_order.as_ref().map_or('@', |o| o.value);
    let mut format = order.to_string();
    for f in &fields {
        format.push_str(&pad(f.opts.pad));
        format.push_str(&f.ty.code());
        format.push_str(&pad(f.opts.pad_after));
    }

    // LAYOUT: the builder calls.
    let mut calls = Vec::new();
    if let Some((i, _)) = length {
        calls.push(quote!(.length_field(#i)));
    }
    if adjust_v != 0 {
        let a = adjust_v as i64;
        calls.push(quote!(.length_adjust(#a)));
    }
    if let Some(m) = max_payload {
        let m = m as u64;
        calls.push(quote!(.max_payload(#m)));
    }
    for (i, f) in fields.iter().enumerate() {
        if let Some(c) = &f.opts.constant {
            let v = constant_value(f, c, &krate)?;
            calls.push(quote!(.constant(#i, #v)));
        }
    }
    let usize_of = |v: &Spanned2<i128>, what: &str| {
        usize::try_from(v.value)
            .map_err(|_| syn::Error::new(v.span, format!("{what} must be a byte count")))
    };
    if opts.varint {
        calls.push(quote!(.varint_length()));
    }
    if let Some(m) = &opts.varint_max_bytes {
        let m = usize_of(m, "varint_max_bytes")?;
        calls.push(quote!(.varint_max_bytes(#m)));
    }
    if let Some(radix) = &opts.ascii_length {
        let r = match radix.value.as_str() {
            "decimal" => quote!(#krate::Radix::Decimal),
            "hex" => quote!(#krate::Radix::Hex),
            other => {
                return Err(syn::Error::new(
                    radix.span,
                    format!("unknown radix {other:?}: expected \"decimal\" or \"hex\""),
                ))
            }
        };
        let Some(end) = &opts.length_end else {
            return Err(syn::Error::new(
                radix.span,
                "ascii_length needs length_end = b\"...\" (the bytes after the digits)",
            ));
        };
        calls.push(quote!(.ascii_length(#r, #end)));
        if let Some(m) = &opts.ascii_max_digits {
            let m = usize_of(m, "ascii_max_digits")?;
            calls.push(quote!(.ascii_max_digits(#m)));
        }
    } else if let Some(end) = &opts.length_end {
        return Err(syn::Error::new_spanned(
            end,
            "length_end without ascii_length",
        ));
    }
    if let Some(t) = &opts.trailer {
        let c = match t.value.as_str() {
            "crc32" => quote!(Crc32),
            "crc32c" => quote!(Crc32c),
            "crc16-xmodem" => quote!(Crc16Xmodem),
            "crc16-modbus" => quote!(Crc16Modbus),
            "crc16-ccitt-false" => quote!(Crc16CcittFalse),
            other => {
                return Err(syn::Error::new(
                    t.span,
                    format!(
                        "unknown trailer {other:?}: expected \"crc32\", \"crc32c\", \
                         \"crc16-xmodem\", \"crc16-modbus\" or \"crc16-ccitt-false\""
                    ),
                ))
            }
        };
        calls.push(quote!(.trailer(#krate::Checksum::#c)));
        if let Some(cov) = &opts.trailer_covers {
            let c = match cov.value.as_str() {
                "frame" => quote!(Frame),
                "payload" => quote!(Payload),
                other => {
                    return Err(syn::Error::new(
                        cov.span,
                        format!(
                            "unknown trailer_covers {other:?}: expected \"frame\" or \"payload\""
                        ),
                    ))
                }
            };
            calls.push(quote!(.trailer_covers(#krate::Covers::#c)));
        }
        if let Some(o) = &opts.trailer_byte_order {
            let o = order_tokens(o.value, &krate);
            calls.push(quote!(.trailer_byte_order(#o)));
        }
    } else if let Some(span) = opts
        .trailer_covers
        .as_ref()
        .map(|c| c.span)
        .or(opts.trailer_byte_order.as_ref().map(|o| o.span))
    {
        return Err(syn::Error::new(span, "a trailer option without `trailer`"));
    }
    if let Some(o) = &opts.on_oversize {
        let p = match o.value.as_str() {
            "fail" => quote!(Fail),
            "discard" => quote!(Discard),
            other => {
                return Err(syn::Error::new(
                    o.span,
                    format!("unknown on_oversize {other:?}: expected \"fail\" or \"discard\""),
                ))
            }
        };
        calls.push(quote!(.on_oversize(#krate::Oversize::#p)));
    }
    if opts.resync {
        calls.push(quote!(.resync(true)));
    }
    if let Some(end) = &opts.frame_end {
        calls.push(quote!(.frame_end(#end)));
    }
    if let Some(p) = &opts.preface {
        calls.push(quote!(.preface(#p)));
    }
    match (&opts.preface_until, &opts.preface_max) {
        (Some(end), Some(max)) => {
            let max = usize_of(max, "preface_max")?;
            calls.push(quote!(.preface_until(#end, #max)));
        }
        (Some(end), None) => {
            return Err(syn::Error::new_spanned(
                end,
                "preface_until needs preface_max = N",
            ))
        }
        (None, Some(max)) => {
            return Err(syn::Error::new(
                max.span,
                "preface_max without preface_until",
            ))
        }
        (None, None) => {}
    }
    if let Some(first) = &opts.first_frame {
        calls.push(quote!(.first_frame(#first)));
    }

    // Reading: a getter per field.
    let view = format_ident!("{}View", name);
    let read_fn = |_: Ty| match order {
        '<' => format_ident!("from_le_bytes"),
        '>' | '!' => format_ident!("from_be_bytes"),
        _ => format_ident!("from_ne_bytes"),
    };
    let mut getters = Vec::new();
    let mut checks = Vec::new();
    let mut inits = Vec::new();
    let mut debug_fields = Vec::new();
    let mut values = Vec::new();
    let mut fixed = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let ident = f.ident;
        let fvis = f.vis;
        let rust_ty = f.rust_ty;
        let doc = format!(
            "Field `{ident}` (value {i} of `{name}::FORMAT`, `{}`), read in place.",
            f.ty.code()
        );
        let from = read_fn(f.ty);
        // Numbers are read byte by byte at constant offsets into the
        // header array: the compiler checks every index (no run-time
        // bounds check) and folds the bytes into one load.
        let array = |size: usize| {
            let at = (0..size).map(|k| quote!(self.bytes[AT + #k]));
            quote!([#(#at),*])
        };
        let (size, ret, body) = match f.ty {
            Ty::Int { size, .. } => {
                let a = array(size);
                (size, quote!(#rust_ty), quote!(#rust_ty::#from(#a)))
            }
            Ty::F32 | Ty::F64 => {
                let size = if f.ty == Ty::F32 { 4usize } else { 8 };
                let a = array(size);
                (size, quote!(#rust_ty), quote!(#rust_ty::#from(#a)))
            }
            Ty::Bytes(size) => (
                size,
                quote!(&'a [u8; #size]),
                quote!(#krate::__private::bytes::<#size>(self.bytes, AT)),
            ),
            Ty::Bool => (1, quote!(bool), quote!(self.bytes[AT] != 0)),
            Ty::U24 => {
                let a = array(3);
                (3, quote!(#krate::U24), quote!(#krate::U24::#from(#a)))
            }
        };
        getters.push(quote! {
            #[doc = #doc]
            #[inline]
            #[must_use]
            #fvis fn #ident(&self) -> #ret {
                const AT: usize = #krate::__private::offset(&#name::LAYOUT, #i);
                #body
            }
        });
        checks.push(quote! {
            #krate::__private::check(&#name::LAYOUT, #i, #size);
        });
        inits.push(if matches!(f.ty, Ty::Bytes(_)) {
            quote!(#ident: *self.#ident())
        } else {
            quote!(#ident: self.#ident())
        });
        let ident_str = ident.to_string();
        debug_fields.push(quote!(.field(#ident_str, &self.#ident())));
        let is_length = length.is_some_and(|(l, _)| l == i);
        if is_length || f.opts.constant.is_some() {
            // The encoder writes these itself; a read here keeps the
            // user's crate from calling them never read.
            fixed.push(quote!(&self.#ident));
        } else {
            values.push(if matches!(f.ty, Ty::Bytes(_)) {
                quote!((#i, #krate::Value::Bytes(&self.#ident)))
            } else {
                quote!((#i, #krate::Value::from(self.#ident)))
            });
        }
    }
    let n_values = values.len();
    let view_str = view.to_string();
    let view_doc = format!(
        "A zero-copy view of a `{name}` header: typed getters that read its bytes in place. \
         Generated by `#[derive(Header)]`."
    );
    let format_doc = format!("The CPython `struct` format string of `{name}`: `{format:?}`.");
    let order_doc = "A view of the first `SIZE` bytes of `header`, or `None` if it is shorter.";

    Ok(quote! {
        #[allow(dead_code)]
        impl #name {
            #[doc = #format_doc]
            #vis const FORMAT: &'static str = #format;

            /// The header's layout, built and checked at compile time by
            /// `Layout::builder`.
            #vis const LAYOUT: #krate::Layout =
                #krate::Layout::builder(#format) #(#calls)* .build_or_panic();

            /// The fixed header's size in bytes (`struct.calcsize(FORMAT)`).
            #vis const SIZE: usize = #name::LAYOUT.header_len();

            #[doc = #order_doc]
            #[inline]
            #vis fn view(header: &[u8]) -> ::core::option::Option<#view<'_>> {
                #view::new(header)
            }

            /// The values of the first `SIZE` bytes of `header`, or `None`
            /// if it is shorter.
            #[inline]
            #vis fn from_bytes(header: &[u8]) -> ::core::option::Option<Self> {
                <Self as #krate::TypedHeader>::from_bytes(header)
            }

            /// The values of a decoded header, or `None` if it is shorter
            /// than `SIZE`.
            #[inline]
            #vis fn from_header(header: &#krate::Header<'_>) -> ::core::option::Option<Self> {
                <Self as #krate::TypedHeader>::from_header(header)
            }

            /// This header's values for the fields that are neither the
            /// length nor constants, as `(index, value)` pairs: what
            /// `Layout::encode_with` and the writers' `write_frame_with`
            /// take (`writer.write_frame_with(payload, &msg.values())`).
            #[inline]
            #vis fn values(&self) -> [(usize, #krate::Value<'_>); #n_values] {
                <Self as #krate::TypedHeader>::values(self)
            }

            /// Writes a frame of this header and `payload` into the start
            /// of `out` and returns its length: the length and constants
            /// are the layout's, every other value this header's.
            ///
            /// # Errors
            /// As `Layout::encode_with`.
            #[inline]
            #vis fn encode(&self, payload: &[u8], out: &mut [u8]) -> ::core::result::Result<usize, #krate::EncodeError> {
                <Self as #krate::TypedHeader>::encode(self, payload, out)
            }

            /// Writes the head of a frame of this header and a payload of
            /// `payload_len` bytes, as `Layout::encode_header_with`.
            ///
            /// # Errors
            /// As `Layout::encode_header_with`.
            #[inline]
            #vis fn encode_header(&self, payload_len: usize, out: &mut [u8]) -> ::core::result::Result<usize, #krate::EncodeError> {
                <Self as #krate::TypedHeader>::encode_header(self, payload_len, out)
            }

            /// The frame of this header and `payload` as head, body and
            /// trailer, as `Layout::encode_parts`.
            ///
            /// # Errors
            /// As `Layout::encode_parts`.
            #[inline]
            #vis fn encode_parts<'s, 'p>(&self, payload: &'p [u8], scratch: &'s mut [u8]) -> ::core::result::Result<#krate::Parts<'s, 'p>, #krate::EncodeError> {
                <Self as #krate::TypedHeader>::encode_parts(self, payload, scratch)
            }
        }

        // Each field's struct code is the size of its Rust type and lies in
        // the header (native alignment differs between targets), and the
        // layout builds: checked at compile time.
        const _: () = {
            #(#checks)*
        };

        #[doc = #view_doc]
        #[derive(Clone, Copy, PartialEq, Eq)]
        #vis struct #view<'a> {
            bytes: &'a [u8; #name::SIZE],
        }

        // A getter per field, named after it: a field named `len` makes a
        // `len` with no `is_empty`, which is right for a header.
        #[allow(dead_code, clippy::len_without_is_empty)]
        impl<'a> #view<'a> {
            #[doc = #order_doc]
            #[inline]
            #vis fn new(header: &'a [u8]) -> ::core::option::Option<Self> {
                match #krate::__private::head::<{ #name::SIZE }>(header) {
                    ::core::option::Option::Some(bytes) => ::core::option::Option::Some(Self { bytes }),
                    ::core::option::Option::None => ::core::option::Option::None,
                }
            }

            /// The header's bytes.
            #[inline]
            #[must_use]
            #vis fn as_bytes(&self) -> &'a [u8; #name::SIZE] {
                self.bytes
            }

            /// Every value, copied out.
            #[inline]
            #[must_use]
            #vis fn get(&self) -> #name {
                #name { #(#inits),* }
            }

            #(#getters)*
        }

        #[automatically_derived]
        impl ::core::fmt::Debug for #view<'_> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(#view_str) #(#debug_fields)* .finish()
            }
        }

        impl #krate::TypedHeader for #name {
            const FORMAT: &'static str = #name::FORMAT;
            const LAYOUT: #krate::Layout = #name::LAYOUT;
            const SIZE: usize = #name::SIZE;
            type View<'a> = #view<'a>;

            #[inline]
            fn view(header: &[u8]) -> ::core::option::Option<#view<'_>> {
                #view::new(header)
            }

            #[inline]
            fn from_bytes(header: &[u8]) -> ::core::option::Option<Self> {
                match #view::new(header) {
                    ::core::option::Option::Some(v) => ::core::option::Option::Some(v.get()),
                    ::core::option::Option::None => ::core::option::Option::None,
                }
            }

            type Values<'a> = [(usize, #krate::Value<'a>); #n_values];

            #[inline]
            fn values(&self) -> [(usize, #krate::Value<'_>); #n_values] {
                let _ = (#(#fixed,)*);
                [#(#values),*]
            }
        }
    })
}

fn order_tokens(c: char, krate: &TokenStream2) -> TokenStream2 {
    match c {
        '@' => quote!(#krate::ByteOrder::Native),
        '=' => quote!(#krate::ByteOrder::NativeStandard),
        '<' => quote!(#krate::ByteOrder::Little),
        '>' => quote!(#krate::ByteOrder::Big),
        _ => quote!(#krate::ByteOrder::Network),
    }
}
