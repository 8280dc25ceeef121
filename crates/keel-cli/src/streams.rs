//! Running several measurements over one file's audio at once: the audio is read batch by
//! batch, and every stream (a measurement that takes the batches in order, such as the
//! loudness or one channel's true peaks) runs on whichever thread is free.
//!
//! No thread owns a stream, so no core waits while another has work queued: the reading thread
//! runs streams too when it is far enough ahead, and a stream that fell behind is taken up
//! first. A batch is recycled once every stream has taken it in.

use super::error::{CliError, CliResult};
use keel_core::dsp::denormals::FlushDenormals;
use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Planar audio: `batch[channel][frame]`.
pub type Batch = Vec<Vec<f32>>;
/// One measurement, fed every batch in order.
pub type Stream<'a> = Box<dyn FnMut(&Batch) + Send + 'a>;

struct State {
    /// Batches from number `first` on, read and not yet taken in by every stream.
    batches: VecDeque<Arc<Batch>>,
    first: usize,
    /// Batches read so far; `ended` once the reading stopped (at the end or on an error).
    read: usize,
    ended: bool,
    /// Per stream: batches taken in, and whether a thread is running it now.
    done: Vec<usize>,
    busy: Vec<bool>,
    /// Buffers every stream is through with, to read into again.
    spare: Vec<Batch>,
    /// A stream panicked: the measurement cannot be trusted.
    failed: bool,
}

impl State {
    /// The stream furthest behind that has a batch waiting and no thread on it.
    fn next_stream(&self) -> Option<usize> {
        (0..self.done.len()).filter(|&k| !self.busy[k] && self.done[k] < self.read).min_by_key(|&k| self.done[k])
    }

    fn all_done(&self) -> bool {
        self.ended && self.done.iter().all(|&d| d == self.read)
    }

    /// Batches read beyond the slowest stream.
    fn ahead(&self) -> usize {
        self.read - self.done.iter().copied().min().unwrap_or(self.read)
    }
}

struct Shared<'a> {
    state: Mutex<State>,
    changed: Condvar,
    streams: Vec<Mutex<Stream<'a>>>,
}

impl Shared<'_> {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs one batch of the stream [`State::next_stream`] picks; false when none can run.
    fn run_one(&self) -> bool {
        let (k, batch) = {
            let mut state = self.lock();
            let Some(k) = state.next_stream() else { return false };
            state.busy[k] = true;
            let batch = Arc::clone(&state.batches[state.done[k] - state.first]);
            (k, batch)
        };
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut stream = self.streams[k].lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            stream(&batch);
        }));
        drop(batch);
        let mut state = self.lock();
        state.busy[k] = false;
        state.done[k] += 1;
        state.failed |= ran.is_err();
        let slowest = state.done.iter().copied().min().unwrap_or(0);
        while state.first < slowest {
            let Some(batch) = state.batches.pop_front() else { break };
            state.first += 1;
            if let Ok(buffer) = Arc::try_unwrap(batch) {
                state.spare.push(buffer);
            }
        }
        self.changed.notify_all();
        true
    }

    /// Runs streams until every one has taken in every batch the reading produced.
    fn work_until_done(&self) {
        loop {
            if self.run_one() {
                continue;
            }
            let mut state = self.lock();
            while !state.all_done() && state.next_stream().is_none() {
                state = self.changed.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            if state.all_done() {
                return;
            }
        }
    }
}

/// Reads batches with `read` (which fills the buffer it is given and returns the frames read,
/// 0 at the end) and runs every stream over every batch, in order per stream, on this thread
/// and as many more as make one per core, but no more threads than streams (more would only
/// take turns on the same cores). At most `ahead` batches are held beyond the slowest stream.
/// With `keep`, returns every batch, in order. `path` names the file in errors.
pub fn run_streams<'a>(
    path: &Path,
    mut read: impl FnMut(&mut Batch) -> CliResult<usize>,
    streams: Vec<Stream<'a>>,
    ahead: usize,
    keep: bool,
) -> CliResult<Vec<Arc<Batch>>> {
    let count = streams.len();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let helpers = (cores - 1).min(count.saturating_sub(1));
    let shared = Shared {
        state: Mutex::new(State {
            batches: VecDeque::new(),
            first: 0,
            read: 0,
            ended: false,
            done: vec![0; count],
            busy: vec![false; count],
            spare: Vec::new(),
            failed: false,
        }),
        changed: Condvar::new(),
        streams: streams.into_iter().map(Mutex::new).collect(),
    };
    let mut kept = Vec::new();
    let reading = std::thread::scope(|scope| {
        for _ in 0..helpers {
            scope.spawn(|| {
                let _flush = FlushDenormals::new();
                shared.work_until_done();
            });
        }
        let reading = (|| -> CliResult<()> {
            loop {
                // Room to read ahead, running streams meanwhile.
                loop {
                    if shared.lock().ahead() < ahead.max(1) {
                        break;
                    }
                    if !shared.run_one() {
                        let mut state = shared.lock();
                        while state.ahead() >= ahead.max(1) && state.next_stream().is_none() {
                            state = shared.changed.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
                        }
                    }
                }
                let mut batch = shared.lock().spare.pop().unwrap_or_default();
                let frames = read(&mut batch)?;
                if frames == 0 {
                    return Ok(());
                }
                let batch = Arc::new(batch);
                if keep {
                    kept.push(Arc::clone(&batch));
                }
                let mut state = shared.lock();
                state.batches.push_back(batch);
                state.read += 1;
                shared.changed.notify_all();
            }
        })();
        shared.lock().ended = true;
        shared.changed.notify_all();
        shared.work_until_done();
        reading
    });
    reading?;
    if shared.lock().failed {
        return Err(CliError::input(format!("{}: a measuring thread failed", path.display())));
    }
    Ok(kept)
}
