//! `serve`: every connection on one event-loop thread (see [`crate::net`]),
//! with a cap on connections, timeouts that a bad client cannot outwait,
//! and a budget for the bytes of frames in flight.

use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use framing_core::Layout;
use framing_std::tokio::{FrameReader, FrameWriter};
use tokio::net::TcpStream;

use crate::commands::resolve;
use crate::net::{self, Activity, End, LimitArgs, Shared, Signals, Wire};
use crate::options::HeaderArgs;
use crate::output::{Output, OUTPUT_BUDGET};
use crate::watch::{Ctx, Dir, ShowArgs, Stats, View};
use crate::Fail;

/// The read buffer of a served connection, allocated at its first byte:
/// small, as most connections wait more than they read; a longer frame
/// grows it as its bytes arrive.
pub(crate) const READ_CAPACITY: usize = 8 * 1024;

/// The echo's write batch: frames are written as they come.
const WRITE_CAPACITY: usize = 4 * 1024;

/// What every connection of `serve` shares.
struct Common {
    shared: Shared,
    view: View,
    layout: Layout,
    echo: bool,
}

/// Serves one connection; returns its frames, bytes and how it ended.
async fn serve_one(
    stream: TcpStream,
    peer: SocketAddr,
    conn: u64,
    c: &Common,
) -> (u64, u64, Result<(), String>) {
    let _ = stream.set_nodelay(true);
    let (read, write) = stream.into_split();
    let limits = c.shared.limits;
    let wire = Wire::new(
        read,
        None,
        limits,
        Activity::new(),
        Arc::clone(&c.shared.held),
    );
    let mut reader = FrameReader::with_capacity(READ_CAPACITY, wire, c.layout);
    // Without --echo the write half is kept as it is, open, until the end.
    let mut writer = FrameWriter::with_capacity(WRITE_CAPACITY, write, c.layout);
    let ctx = Ctx {
        conn,
        peer,
        dir: Dir::Up,
        at: None,
    };
    let tally = net::read_frames(
        &mut reader,
        ctx,
        &c.view,
        &c.shared.out,
        &c.shared.stats,
        c.echo.then_some(&mut writer),
        limits.write,
    )
    .await;
    if !matches!(tally.end, End::Clean) {
        c.shared.stats.failed(Dir::Up);
    }
    let result = match tally.end {
        End::Clean => Ok(()),
        End::Decode(why, _) | End::Closed(why) => Err(why),
    };
    (tally.frames, tally.bytes, result)
}

fn summary(peer: &SocketAddr, frames: u64, bytes: u64, result: &Result<(), String>) -> String {
    let end = match result {
        Ok(()) => "ended on a frame boundary".to_string(),
        Err(m) => format!("failed: {m}"),
    };
    format!("connection from {peer}: {frames} frames, {bytes} bytes, {end}")
}

/// `framing serve`.
pub fn serve(
    listen: &str,
    echo: bool,
    once: bool,
    limits: &LimitArgs,
    show: &ShowArgs,
    header: &HeaderArgs,
) -> Result<(), Fail> {
    let layout = header.layout()?;
    let limits = limits.limits()?;
    let view = View::new(show, [header_format(&layout), None], Some("up"))?;
    let addrs = resolve(listen, "listen")?;
    let rt = net::runtime()?;
    let out = Output::start(OUTPUT_BUDGET, view.json)
        .map_err(|e| Fail::Data(format!("cannot start the printer thread: {e}")))?;
    let common = Arc::new(Common {
        shared: Shared {
            limits,
            held: Arc::new(AtomicUsize::new(0)),
            out: out.clone(),
            stats: Arc::new(Stats::default()),
        },
        view,
        layout,
        echo,
    });
    let result = rt.block_on(async {
        let listener = net::listen(&addrs)
            .map_err(|e| Fail::Data(format!("cannot listen on {listen}: {e}")))?;
        let local = listener
            .local_addr()
            .map_err(|e| Fail::Data(format!("cannot listen on {listen}: {e}")))?;
        let mut signals = Signals::new()?;
        // First on stderr, before any other line: scripts wait for it.
        eprintln!("listening on {local}");
        let max = net::fit_connections(limits.max_connections, 1, &out);
        if once {
            let (stream, peer) = listener
                .accept()
                .await
                .map_err(|e| Fail::Data(format!("accept failed: {e}")))?;
            common
                .shared
                .stats
                .connections
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let (frames, bytes, result) = serve_one(stream, peer, 1, &common).await;
            // Every line printed before the summary and the exit.
            net::finish(&out, common.shared.stats.summary(&[Dir::Up]), None);
            eprintln!("{}", summary(&peer, frames, bytes, &result));
            return result.map_err(Fail::Data);
        }
        net::accept_loop(
            &listener,
            &common.shared,
            max,
            &mut signals,
            |stream, peer, conn, slot| {
                let common = Arc::clone(&common);
                tokio::spawn(async move {
                    let (frames, bytes, result) = serve_one(stream, peer, conn, &common).await;
                    // Free before saying so: a client that reads the
                    // summary may connect again at once.
                    drop(slot);
                    common
                        .shared
                        .out
                        .log(summary(&peer, frames, bytes, &result));
                });
            },
        )
        .await;
        drop(listener);
        net::shut_down(&out, &mut signals, common.shared.stats.summary(&[Dir::Up])).await;
        Ok(())
    });
    // Connections still open are dropped with the runtime, at once.
    rt.shutdown_background();
    result
}

/// The header format of `layout`, for --match (`None` for a framing
/// without a header).
pub(crate) fn header_format(layout: &Layout) -> Option<&framing_core::Format> {
    layout.delimiter().is_none().then(|| layout.format())
}
