//! The one printer of `serve` and `tap`: a thread of its own writes the
//! lines the event loop queues, in the order they were queued, to stdout
//! (frames) or stderr (the log), so that no connection ever waits for a
//! terminal or a pipe.
//!
//! The queue is bounded in bytes, not lines ([`OUTPUT_BUDGET`]): a line that
//! does not fit is dropped whole and counted, and the count is printed in
//! its place, in order with the lines around it. Shutting down lets the
//! thread finish the line it is writing (never half a line), print what is
//! queued until a deadline, and count what it could not print.

use std::collections::VecDeque;
use std::io::{self, BufWriter, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::Instant;

use crate::watch::Line;

/// Bytes of lines kept for a slow stdout before lines are dropped.
pub(crate) const OUTPUT_BUDGET: usize = 64 * 1024 * 1024;

/// Where a line goes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Stream {
    /// Frames.
    Stdout,
    /// The log: connections closed and why, refusals, warnings.
    Stderr,
}

enum Entry {
    Line(Stream, Vec<u8>),
    /// A line the printer makes, and its weight in the queue.
    Later(Stream, usize, Box<dyn FnOnce() -> Vec<u8> + Send>),
    /// Lines for this stream dropped here, because the queue was full.
    Dropped(Stream, u64),
}

/// When the printer stops.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// Running.
    No,
    /// Print what is queued, then stop; at the deadline (if any), stop after
    /// the line being written.
    Drain(Option<Instant>),
}

struct State {
    queue: VecDeque<Entry>,
    /// Bytes of the lines in `queue`.
    bytes: usize,
    stop: Stop,
    /// Whether new lines are still taken.
    open: bool,
    /// Lines written.
    printed: u64,
    /// Lines not printed: dropped while the queue was full, left in the
    /// queue at the deadline, or queued after the output closed.
    lost: u64,
    /// Whether the thread has finished.
    done: bool,
}

struct Shared {
    state: Mutex<State>,
    /// Signalled when a line is queued or the stop changes.
    work: Condvar,
    /// Signalled when the thread finishes.
    finished: Condvar,
    /// Told when the thread finishes, for the event loop.
    done: tokio::sync::Notify,
    budget: usize,
    json: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half
        // changed in a way that matters here: go on with it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The sending side: cheap to clone, never blocks.
#[derive(Clone)]
pub(crate) struct Output {
    shared: Arc<Shared>,
}

/// What the printer did, for the summary.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Printed {
    /// Lines written.
    pub(crate) printed: u64,
    /// Lines not printed (dropped whole, and counted in order; or still
    /// queued at the shutdown deadline).
    pub(crate) lost: u64,
    /// Whether the thread finished within the deadline.
    pub(crate) finished: bool,
}

impl Output {
    /// Starts the printer thread with a queue of `budget` bytes. `json`:
    /// the count of dropped stdout lines is printed as a JSON object.
    pub(crate) fn start(budget: usize, json: bool) -> io::Result<Output> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                bytes: 0,
                stop: Stop::No,
                open: true,
                printed: 0,
                lost: 0,
                done: false,
            }),
            work: Condvar::new(),
            finished: Condvar::new(),
            done: tokio::sync::Notify::new(),
            budget,
            json,
        });
        let theirs = Arc::clone(&shared);
        thread::Builder::new()
            .name("printer".into())
            .spawn(move || run(&theirs))?;
        Ok(Output { shared })
    }

    /// Queues one line (ending with `\n`) for `stream`, or drops and counts
    /// it if the queue is full.
    pub(crate) fn line(&self, stream: Stream, line: Vec<u8>) {
        let cost = line.len();
        self.push(stream, cost, Entry::Line(stream, line));
    }

    /// Queues a line for stdout, made now or by the printer.
    pub(crate) fn frame(&self, line: Line) {
        match line {
            Line::Ready(bytes) => self.line(Stream::Stdout, bytes),
            Line::Later(cost, make) => self.push(
                Stream::Stdout,
                cost,
                Entry::Later(Stream::Stdout, cost, make),
            ),
        }
    }

    fn push(&self, stream: Stream, cost: usize, entry: Entry) {
        let mut state = self.shared.lock();
        if !state.open {
            state.lost += 1;
            return;
        }
        if state.bytes.saturating_add(cost) > self.shared.budget {
            state.lost += 1;
            match state.queue.back_mut() {
                Some(Entry::Dropped(s, n)) if *s == stream => *n += 1,
                _ => state.queue.push_back(Entry::Dropped(stream, 1)),
            }
        } else {
            state.bytes += cost;
            state.queue.push_back(entry);
        }
        drop(state);
        self.shared.work.notify_one();
    }

    /// Queues a log line for stderr (a newline is added).
    pub(crate) fn log(&self, text: impl Into<String>) {
        let mut line = text.into().into_bytes();
        line.push(b'\n');
        self.line(Stream::Stderr, line);
    }

    /// Takes no more lines; lets the printer write what is queued until
    /// `deadline` (`None`: all of it), finishing the line it is writing.
    /// Closing again changes nothing.
    pub(crate) fn close(&self, deadline: Option<Instant>) {
        let mut state = self.shared.lock();
        state.open = false;
        if state.stop == Stop::No {
            state.stop = Stop::Drain(deadline);
        }
        drop(state);
        self.shared.work.notify_one();
    }

    /// Waits until the printer has finished, at most until `until` (then
    /// says so: a line is being written to a stdout that takes nothing).
    pub(crate) fn wait(&self, until: Option<Instant>) -> Printed {
        let mut state = self.shared.lock();
        while !state.done {
            match until {
                None => {
                    state = self
                        .shared
                        .finished
                        .wait(state)
                        .unwrap_or_else(|e| e.into_inner());
                }
                Some(t) => {
                    let left = t.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    state = self
                        .shared
                        .finished
                        .wait_timeout(state, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
        Printed {
            printed: state.printed,
            lost: state.lost,
            finished: state.done,
        }
    }

    /// Waits, on the event loop, until the printer is done (all written,
    /// or stopped at its deadline).
    pub(crate) async fn done(&self) {
        if self.shared.lock().done {
            return;
        }
        // The thread stores a permit when it finishes: none is missed.
        self.shared.done.notified().await;
    }
}

/// The printer thread.
fn run(shared: &Shared) {
    let mut stdout = BufWriter::with_capacity(64 * 1024, io::stdout());
    let mut stderr = io::stderr();
    let mut state = shared.lock();
    loop {
        if let Stop::Drain(deadline) = state.stop {
            let late = deadline.is_some_and(|d| Instant::now() >= d);
            if state.queue.is_empty() || late {
                let left: u64 = state
                    .queue
                    .iter()
                    .map(|e| match e {
                        Entry::Line(..) | Entry::Later(..) => 1,
                        // Already counted when dropped.
                        Entry::Dropped(..) => 0,
                    })
                    .sum();
                state.lost += left;
                state.queue.clear();
                state.bytes = 0;
                break;
            }
        }
        let Some(entry) = state.queue.pop_front() else {
            // Nothing queued: what was written is on its way out before
            // the wait.
            drop(state);
            let _ = stdout.flush();
            state = shared.lock();
            if state.queue.is_empty() && state.stop == Stop::No {
                state = shared.work.wait(state).unwrap_or_else(|e| e.into_inner());
            }
            continue;
        };
        match &entry {
            Entry::Line(_, line) => state.bytes -= line.len(),
            Entry::Later(_, cost, _) => state.bytes -= cost,
            Entry::Dropped(..) => {}
        }
        drop(state);
        let written = match entry {
            Entry::Line(Stream::Stdout, line) => stdout.write_all(&line).is_ok(),
            Entry::Later(Stream::Stdout, _, make) => stdout.write_all(&make()).is_ok(),
            Entry::Later(Stream::Stderr, _, make) => {
                let _ = stdout.flush();
                stderr.write_all(&make()).is_ok()
            }
            Entry::Line(Stream::Stderr, line) => {
                // In order with the frames around it.
                let _ = stdout.flush();
                stderr.write_all(&line).is_ok()
            }
            Entry::Dropped(Stream::Stdout, n) => {
                let note = if shared.json {
                    format!("{{\"not_printed\":{n},\"why\":\"stdout did not keep up\"}}\n")
                } else {
                    format!("framing: {n} lines not printed: stdout did not keep up\n")
                };
                let _ = stdout.write_all(note.as_bytes());
                false
            }
            Entry::Dropped(Stream::Stderr, n) => {
                let _ = stdout.flush();
                let _ = writeln!(
                    stderr,
                    "framing: {n} log lines not printed: stderr did not keep up"
                );
                false
            }
        };
        state = shared.lock();
        if written {
            state.printed += 1;
        }
    }
    drop(state);
    let _ = stdout.flush();
    let mut state = shared.lock();
    state.done = true;
    drop(state);
    shared.finished.notify_all();
    shared.done.notify_one();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_drops_whole_lines_and_counts_them() {
        let shared = Shared {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                bytes: 0,
                stop: Stop::No,
                open: true,
                printed: 0,
                lost: 0,
                done: false,
            }),
            work: Condvar::new(),
            finished: Condvar::new(),
            done: tokio::sync::Notify::new(),
            budget: 10,
            json: false,
        };
        // No thread: the queue alone.
        let out = Output {
            shared: Arc::new(shared),
        };
        out.line(Stream::Stdout, b"12345\n".to_vec());
        out.line(Stream::Stdout, b"123456\n".to_vec()); // 13 > 10: dropped
        out.line(Stream::Stdout, b"1234567\n".to_vec()); // dropped, same marker
        out.line(Stream::Stdout, b"123\n".to_vec()); // fits: 10
        let state = out.shared.lock();
        assert_eq!(state.lost, 2);
        assert_eq!(state.bytes, 10);
        let kinds: Vec<String> = state
            .queue
            .iter()
            .map(|e| match e {
                Entry::Line(_, l) => String::from_utf8_lossy(l).trim().to_string(),
                Entry::Dropped(_, n) => format!("dropped {n}"),
                Entry::Later(..) => "later".into(),
            })
            .collect();
        assert_eq!(kinds, ["12345", "dropped 2", "123"]);
    }
}
