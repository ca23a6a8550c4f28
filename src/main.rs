//! The `framing` command: decode, encode, serve, send and tap frames whose fixed
//! header is a Python `struct` format string, and a demo of the problem it
//! solves.
//!
//! Exit codes: 0 success, 1 a data or network error (bad frame, truncated
//! stream, refused connection), 2 a usage error (bad option, invalid header
//! format). Errors go to stderr as one sentence.

mod commands;
mod demo;
mod dissector;
mod net;
mod options;
mod output;
mod pcap;
mod pcap_out;
mod serve;
mod show;
mod tap;
mod watch;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use options::{DownHeaderArgs, HeaderArgs};

/// Frame byte streams with fixed headers described by Python `struct` format strings.
#[derive(Parser, Debug)]
#[command(name = "framing", version, about, long_about = None)]
#[command(after_help = "Examples:\n  \
    framing demo\n  \
    framing encode hello world | framing decode --json\n  \
    framing serve --listen 127.0.0.1:0 --echo\n  \
    framing send --connect 127.0.0.1:9000 --recv 1 ping\n  \
    framing tap --listen 127.0.0.1:9001 --upstream 127.0.0.1:9000")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Read a byte stream from FILE (or stdin) and print each frame.
    #[command(after_help = "Examples:\n  \
        framing decode capture.bin\n  \
        framing decode --json --header '<HBxI' --length-field 2 --field 0=0xCAFE < capture.bin\n  \
        framing decode --pcap traffic.pcapng --protocol mqtt --json\n\n\
        A stream that ends inside a frame is an error (exit 1); frames before it are printed.\n\
        With --pcap, so is a TCP direction cut inside a frame or missing bytes (a line says\n\
        which, with its offset); the other directions are decoded to their end.")]
    Decode {
        /// The stream to read; stdin when absent.
        file: Option<std::path::PathBuf>,
        /// One JSON object per frame per line: {"fields": [...], "index": N,
        /// "length": N, "offset": B, "payload_hex": "...", "text": "...",
        /// "trailer": "..."}: "text" when the payload is UTF-8; "index"
        /// counts frames from 1, "offset" is the frame's first byte in the
        /// stream; no "fields" for a framing without a header, no
        /// "trailer" without one. WebSocket frames add "fin", "rsv",
        /// "opcode", "masked" (and "payload_hex" is unmasked); RESP frames
        /// add "resp", the value's type ("array", "bulk", "simple", ...).
        /// A preface prints first as {"preface_hex": "..."}. Recovery
        /// reports are {"recovered": ..., "offset": B, ...}.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        header: HeaderArgs,
        #[command(flatten)]
        pcap: pcap::PcapArgs,
    },
    /// Write one frame per PAYLOAD (or per line of stdin) to stdout.
    #[command(after_help = "Examples:\n  \
        framing encode hello world > frames.bin\n  \
        framing encode --hex --header '<H' 00ff10\n  \
        printf 'a\\nb\\n' | framing encode --header '!HH' --length-field 1 --field 0=7")]
    Encode {
        /// Payloads as UTF-8 text (hex with --hex); stdin lines when absent.
        payloads: Vec<String>,
        /// Payloads are hex.
        #[arg(long)]
        hex: bool,
        #[command(flatten)]
        header: HeaderArgs,
    },
    /// Listen for connections and print every frame received.
    #[command(after_help = "Examples:\n  \
        framing serve --listen 127.0.0.1:0\n  \
        framing serve --listen 0.0.0.0:9000 --json --echo\n  \
        framing serve --listen 127.0.0.1:9000 --once   # exit 0 after a clean connection, 1 otherwise\n  \
        framing serve --listen 0.0.0.0:9000 --max-connections 100 --idle-timeout 10\n\n\
        One thread serves every connection (an event loop), one prints; past\n\
        --max-connections (or --max-buffered) new ones are accepted and closed at once,\n\
        counted in one log line a second. A connection is closed, with its reason on\n\
        stderr, when it sends nothing for --idle-timeout seconds between frames, when a\n\
        frame is not whole --frame-timeout seconds after its first byte, when (--echo)\n\
        it reads no echo for --write-timeout seconds, or when its bytes take the frames\n\
        in flight past --max-buffered. SIGINT or SIGTERM: stop accepting, print what is\n\
        queued (the line being printed is finished) and a summary, exit 0; a second\n\
        signal exits at once.")]
    Serve {
        /// Address to listen on; port 0 picks a free port.
        #[arg(long, value_name = "ADDR")]
        listen: String,
        /// Send every frame back to its sender.
        #[arg(long)]
        echo: bool,
        /// Exit after the first connection ends: 0 if it ended on a frame
        /// boundary, 1 if it ended inside a frame or sent a bad frame.
        #[arg(long)]
        once: bool,
        #[command(flatten)]
        limits: net::LimitArgs,
        #[command(flatten)]
        show: watch::ShowArgs,
        #[command(flatten)]
        header: HeaderArgs,
    },
    /// Forward connections to an upstream, every byte unchanged both ways, and print the frames.
    #[command(after_help = "Examples:\n  \
        framing tap --listen 127.0.0.1:9001 --upstream 127.0.0.1:9000\n  \
        framing tap --listen 127.0.0.1:9001 --upstream 127.0.0.1:9000 --json \\\n      \
        --header '<HBxI' --length-field 2 --field 0=0xCAFE --down-resync\n\n\
        Frames from the client to the upstream are \"up\", the replies \"down\"; --down-header\n\
        and the other --down-* options describe the replies when they differ. A bad frame or\n\
        a truncated stream is printed with its byte offset and ends the printing of that\n\
        direction; forwarding goes on untouched, half-closes included. Lines come in the\n\
        order the bytes were forwarded, both directions together. A failed read or write,\n\
        or a timeout, closes both sides; --max-connections, --idle-timeout (no byte either\n\
        way), --frame-timeout, --write-timeout (a side that takes nothing) and\n\
        --max-buffered apply as in serve, and so do SIGINT and SIGTERM.")]
    Tap {
        /// Address to listen on for clients; port 0 picks a free port.
        #[arg(long, value_name = "ADDR")]
        listen: String,
        /// Address each client's connection is forwarded to.
        #[arg(long, value_name = "ADDR")]
        upstream: String,
        /// Exit after the first connection ends: 0 if both directions
        /// decoded cleanly to a frame boundary, 1 otherwise.
        #[arg(long)]
        once: bool,
        /// Print only the frames of one direction (both are forwarded).
        #[arg(long, value_name = "DIR", value_parser = ["up", "down"])]
        dir: Option<String>,
        /// Write what is forwarded to FILE as a pcapng capture (Wireshark,
        /// tshark, `framing decode --pcap`): each connection as one TCP
        /// connection from the client to the upstream, synthesised
        /// (Ethernet, IPv4 or IPv6, a handshake, consistent sequence
        /// numbers, a FIN for each half-close, an RST for another end),
        /// stamped with the time each read was made.
        #[arg(long, value_name = "FILE")]
        pcap_out: Option<std::path::PathBuf>,
        #[command(flatten)]
        limits: net::LimitArgs,
        #[command(flatten)]
        show: watch::ShowArgs,
        #[command(flatten)]
        header: HeaderArgs,
        #[command(flatten)]
        down: DownHeaderArgs,
    },
    /// Connect, send one frame per PAYLOAD (or per stdin line), and optionally read replies.
    #[command(after_help = "Examples:\n  \
        framing send --connect 127.0.0.1:9000 hello world\n  \
        framing send --connect 127.0.0.1:9000 --recv 1 --json ping")]
    Send {
        /// Address to connect to.
        #[arg(long, value_name = "ADDR")]
        connect: String,
        /// Payloads as UTF-8 text (hex with --hex); stdin lines when absent.
        payloads: Vec<String>,
        /// Payloads are hex.
        #[arg(long)]
        hex: bool,
        /// After sending, read N frames back and print them.
        #[arg(long, value_name = "N", default_value_t = 0)]
        recv: u64,
        /// Print received frames as JSON lines.
        #[arg(long)]
        json: bool,
        /// Seconds to wait for each reply frame.
        #[arg(long, value_name = "SECS", default_value_t = 30.0)]
        timeout: f64,
        #[command(flatten)]
        header: HeaderArgs,
    },
    /// Show the TCP "sticking" problem on loopback, then the same traffic framed.
    Demo,
    /// Write a Wireshark Lua dissector for the layout to stdout.
    #[command(after_help = "Examples:\n  \
        framing dissector --port 9000 > proto.lua\n  \
        framing dissector --header '<HBxI' --length-field 2 --field 0=0xCAFE --trailer crc32 > proto.lua\n  \
        framing dissector --protocol mqtt --port 1883 > mqtt.lua\n  \
        framing dissector --protocol postgres --port 5432 > pg.lua\n  \
        framing dissector --protocol redis --port 6379 > redis.lua\n  \
        framing dissector --header '' --ascii-length dec --length-end 3a --frame-end 2c > netstring.lua\n  \
        tshark -X lua_script:proto.lua -d tcp.port==9000,framing -r capture.pcapng -T fields -e framing.v0\n\n\
        The dissector uses Wireshark's TCP reassembly (dissect_tcp_pdus). Each header value is\n\
        a field NAME.vN (NAME.up.vN and NAME.down.vN when the directions differ), with\n\
        NAME.length, NAME.payload, NAME.trailer and NAME.frame_end; a constant, frame end,\n\
        length or trailer checksum that is wrong is expert info (NAME.constant,\n\
        NAME.bad_length, NAME.bad_checksum). Frames sent to\n\
        the server's port (--port, or the one -d/Decode As matched) are up, the others down.\n\
        ASCII lengths (netstring, syslog-octet: --ascii-length dec|hex, --length-end,\n\
        --ascii-max-digits) are read digit by digit; a malformed one is NAME.bad_length and\n\
        the rest of that direction is left undissected, as decode --pcap stops there.\n\
        A fixed preface (http2, amqp091) and one that ends at given bytes (--preface-until)\n\
        are NAME.preface; a first frame with its own layout (postgres: --first-header) has\n\
        the fields NAME.first.vN (NAME.up.first.vN). RESP (redis) values are walked to their\n\
        end: NAME.payload, their type NAME.resp. Lines end at their delimiter (NAME.frame_end).\n\
        Cobs and slip, lines with a trailer or --discard-oversize, and WebSocket (Wireshark\n\
        has its own dissector) are refused (exit 2).")]
    Dissector {
        #[command(flatten)]
        args: dissector::DissectorArgs,
        #[command(flatten)]
        header: HeaderArgs,
    },
    /// List the named protocols --protocol takes: one per line, its name
    /// first, then the options it stands for and the specification it
    /// follows.
    #[command(after_help = "Examples:\n  \
        framing protocols\n  \
        framing decode --protocol http2 --json < client-to-server.bin\n  \
        framing decode --protocol postgres --from server --json < server-to-client.bin\n  \
        framing tap --protocol amqp091 --listen 127.0.0.1:5673 --upstream 127.0.0.1:5672")]
    Protocols,
}

/// Why a command failed, and so its exit code.
#[derive(Debug)]
pub enum Fail {
    /// A bad option or header format: exit 2.
    Usage(String),
    /// Bad data, a truncated stream, a network failure: exit 1.
    Data(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Decode {
            file,
            json,
            header,
            pcap,
        } => match &pcap.pcap {
            Some(path) => pcap::decode(path, json, &header, &pcap),
            None => commands::decode(file.as_deref(), json, &header),
        },
        Command::Encode {
            payloads,
            hex,
            header,
        } => commands::encode(&payloads, hex, &header),
        Command::Serve {
            listen,
            echo,
            once,
            limits,
            show,
            header,
        } => serve::serve(&listen, echo, once, &limits, &show, &header),
        Command::Tap {
            listen,
            upstream,
            once,
            dir,
            pcap_out,
            limits,
            show,
            header,
            down,
        } => tap::tap(
            &listen,
            &upstream,
            once,
            &limits,
            &show,
            dir.as_deref(),
            &header,
            &down,
            pcap_out.as_deref(),
        ),
        Command::Send {
            connect,
            payloads,
            hex,
            recv,
            json,
            timeout,
            header,
        } => commands::send(&connect, &payloads, hex, recv, json, timeout, &header),
        Command::Dissector { args, header } => {
            let argv: Vec<String> = std::env::args().skip(2).collect();
            dissector::dissector(&header, &args, &argv)
        }
        Command::Demo => demo::run(),
        Command::Protocols => {
            for p in framing_core::protocols::ALL {
                println!("{:<20} {}  [{}]", p.name, p.options, p.spec);
            }
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail::Data(msg)) => {
            eprintln!("framing: {msg}");
            ExitCode::from(1)
        }
        Err(Fail::Usage(msg)) => {
            eprintln!("framing: {msg}");
            ExitCode::from(2)
        }
    }
}
