//! `tap`: a man in the middle that forwards every byte unchanged, both ways,
//! and prints the frames it sees go by, on the event loop of
//! [`crate::net`]: one thread for every connection, one for the printer.
//!
//! Each direction reads through a [`Wire`], which writes every byte it
//! reads on to the other side before it reads more; framing-std's async
//! `FrameReader` decodes what the wire read, and a frame's line is queued
//! once its last byte was written on. A bad frame stops only the printing
//! of its direction: the wire goes on forwarding. A sender's end is passed
//! on as a half-close; a failed read or write, or a deadline, closes both
//! sides.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use framing_core::Layout;
use framing_std::tokio::FrameReader;
use tokio::net::TcpStream;
use tokio::sync::Notify;

use crate::commands::resolve;
use crate::net::{self, Activity, End, LimitArgs, Shared, Signals, Wire};
use crate::options::{DownHeaderArgs, HeaderArgs};
use crate::output::{Output, Stream, OUTPUT_BUDGET};
use crate::pcap_out::PcapOut;
use crate::serve::{header_format, READ_CAPACITY};
use crate::watch::{Ctx, Dir, ShowArgs, Stats, View};
use crate::Fail;

/// How long connecting to the upstream may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What every tapped connection shares.
struct Common {
    shared: Shared,
    view: View,
    layouts: [Layout; 2],
    upstream: Vec<SocketAddr>,
    /// `--pcap-out`: the capture of what is forwarded.
    pcap: Option<Arc<PcapOut>>,
}

/// How a direction went, for the connection's summary line.
struct Outcome {
    text: String,
    clean: bool,
}

/// Reads, forwards and prints one direction until it ends; a failure that
/// closes the connection wakes the other direction through `abort`.
async fn direction(mut reader: FrameReader<Wire>, ctx: Ctx, c: &Common, abort: &Notify) -> Outcome {
    let name = ctx.dir.name();
    let run = async {
        let tally = net::read_frames(
            &mut reader,
            ctx,
            &c.view,
            &c.shared.out,
            &c.shared.stats,
            None,
            c.shared.limits.write,
        )
        .await;
        let ended = match &tally.end {
            End::Clean => reader.get_mut().end().await.map_err(|e| e.to_string()),
            End::Decode(why, offset) => {
                // In order with the frames: what stopped the printing, and
                // where; then the rest is only forwarded.
                let wire = reader.get_mut();
                match wire.forward().await {
                    Ok(()) => {
                        if let Some(line) = c.view.error_line(&ctx, why, *offset) {
                            c.shared.out.line(Stream::Stdout, line);
                        }
                        wire.stop_decoding();
                        wire.pass().await.map_err(|e| e.to_string())
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
            End::Closed(why) => Err(why.clone()),
        };
        (tally, ended)
    };
    let (tally, ended) = tokio::select! {
        done = run => done,
        () = abort.notified() => {
            c.shared.stats.failed(ctx.dir);
            return Outcome {
                text: format!("{name}: closed with the other direction"),
                clean: false,
            };
        }
    };
    if ended.is_err() {
        abort.notify_one();
    }
    let (end, clean) = match (&tally.end, &ended) {
        (End::Clean, Ok(())) => ("ended on a frame boundary".to_string(), true),
        (End::Decode(why, _), Ok(())) => (format!("failed: {why}"), false),
        (End::Decode(why, _), Err(e)) => (format!("failed: {why}; then {e}"), false),
        (_, Err(e)) => (format!("failed: {e}"), false),
        (End::Closed(why), Ok(())) => (format!("failed: {why}"), false),
    };
    if !clean {
        c.shared.stats.failed(ctx.dir);
    }
    Outcome {
        text: format!(
            "{name}: {} frames, {} bytes, {end}",
            tally.frames, tally.bytes
        ),
        clean,
    }
}

/// Taps one connection: connects it to the upstream and forwards both ways
/// until both have ended. Returns whether both directions decoded cleanly.
async fn tap_one(client: TcpStream, peer: SocketAddr, conn: u64, c: &Common) -> bool {
    let out = &c.shared.out;
    let server = match net::connect(&c.upstream, CONNECT_TIMEOUT).await {
        Ok(s) => s,
        Err(e) => {
            out.log(format!(
                "connection from {peer}: cannot connect to the upstream: {e}; closed"
            ));
            return false;
        }
    };
    // The tap forwards what it reads at once; Nagle would hold it back.
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let rec = c.pcap.as_ref().map(|p| {
        let upstream = server.peer_addr().unwrap_or(c.upstream[0]);
        p.connection(conn, peer, upstream)
    });
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let limits = c.shared.limits;
    let activity = Activity::new();
    let wire = |read, write, dir| {
        Wire::new(
            read,
            Some(write),
            limits,
            Arc::clone(&activity),
            Arc::clone(&c.shared.held),
        )
        .recording(rec.clone(), dir)
    };
    let up = FrameReader::with_capacity(
        READ_CAPACITY,
        wire(client_read, server_write, 0),
        c.layouts[0],
    );
    let down = FrameReader::with_capacity(
        READ_CAPACITY,
        wire(server_read, client_write, 1),
        c.layouts[1],
    );
    let abort = Notify::new();
    let ctx = |dir| Ctx {
        conn,
        peer,
        dir,
        at: None,
    };
    let (up, down) = tokio::join!(
        direction(up, ctx(Dir::Up), c, &abort),
        direction(down, ctx(Dir::Down), c, &abort)
    );
    if let Some(rec) = rec {
        rec.close();
    }
    out.log(format!(
        "connection from {peer}: {}; {}",
        up.text, down.text
    ));
    up.clean && down.clean
}

/// `framing tap`.
#[allow(clippy::too_many_arguments)]
pub fn tap(
    listen: &str,
    upstream: &str,
    once: bool,
    limits: &LimitArgs,
    show: &ShowArgs,
    dir: Option<&str>,
    up: &HeaderArgs,
    down: &DownHeaderArgs,
    pcap_out: Option<&std::path::Path>,
) -> Result<(), Fail> {
    let up_layout = up.layout_of(crate::options::Side::Client)?;
    let down_layout = down.over(up).layout().map_err(|e| match e {
        Fail::Usage(m) => Fail::Usage(format!("down: {m}")),
        other => other,
    })?;
    let limits = limits.limits()?;
    let view = View::new(
        show,
        [header_format(&up_layout), header_format(&down_layout)],
        dir,
    )?;
    let upstream_addrs = resolve(upstream, "upstream")?;
    let addrs = resolve(listen, "listen")?;
    let rt = net::runtime()?;
    let out = Output::start(OUTPUT_BUDGET, view.json)
        .map_err(|e| Fail::Data(format!("cannot start the printer thread: {e}")))?;
    let pcap =
        match pcap_out {
            Some(path) => Some(PcapOut::create(path, out.clone()).map_err(|e| {
                Fail::Data(format!("cannot write --pcap-out {}: {e}", path.display()))
            })?),
            None => None,
        };
    let common = Arc::new(Common {
        shared: Shared {
            limits,
            held: Arc::new(AtomicUsize::new(0)),
            out: out.clone(),
            stats: Arc::new(Stats::default()),
        },
        view,
        layouts: [up_layout, down_layout],
        upstream: upstream_addrs,
        pcap,
    });
    let both = [Dir::Up, Dir::Down];
    let result = rt.block_on(async {
        let listener = net::listen(&addrs)
            .map_err(|e| Fail::Data(format!("cannot listen on {listen}: {e}")))?;
        let local = listener
            .local_addr()
            .map_err(|e| Fail::Data(format!("cannot listen on {listen}: {e}")))?;
        let mut signals = Signals::new()?;
        // Two descriptors a connection: the client's and the upstream's.
        eprintln!("listening on {local}, forwarding to {upstream}");
        let max = net::fit_connections(limits.max_connections, 2, &out);
        if once {
            let (client, peer) = listener
                .accept()
                .await
                .map_err(|e| Fail::Data(format!("accept failed: {e}")))?;
            common
                .shared
                .stats
                .connections
                .fetch_add(1, Ordering::Relaxed);
            let clean = tap_one(client, peer, 1, &common).await;
            net::finish(&out, common.shared.stats.summary(&both), None);
            return if clean {
                Ok(())
            } else {
                Err(Fail::Data(format!(
                    "the connection from {peer} had a bad frame, a truncated stream or an error"
                )))
            };
        }
        net::accept_loop(
            &listener,
            &common.shared,
            max,
            &mut signals,
            |client, peer, conn, slot| {
                let common = Arc::clone(&common);
                tokio::spawn(async move {
                    tap_one(client, peer, conn, &common).await;
                    drop(slot);
                });
            },
        )
        .await;
        drop(listener);
        net::shut_down(&out, &mut signals, common.shared.stats.summary(&both)).await;
        Ok(())
    });
    rt.shutdown_background();
    if let Some(pcap) = &common.pcap {
        pcap.flush();
    }
    result
}
