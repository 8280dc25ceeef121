//! Meter values handed from the audio thread to the editor, without locks or allocation after
//! construction:
//!
//! - [`MeterValues::publish`] hands over one [`MeterSnapshot`] per block: every reading of that
//!   block, read back whole by [`MeterValues::snapshot`] (a sequence lock over atomic words: the
//!   writer never waits; a reader that overlapped a write reads again);
//! - peak holds keep the largest value until the editor takes it, so no peak between two
//!   frames is lost;
//! - histories are rings of values at a steady interval.
//!
//! Requests from the editor (reset, pause) travel back through flags.

use atomic_float::AtomicF64;
use keel_core::dsp::loudness::LoudnessReading;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering, fence};

/// Every reading of one block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeterSnapshot {
    pub loudness: LoudnessReading,
    /// Gain reduction during the block, dB (>= 0).
    pub compressor_gr_db: f64,
    pub limiter_gr_db: f64,
    /// Highest compressor detector level (after the side-chain filter) in the block, dB.
    pub compressor_detector_db: f64,
    /// Blocks published before this one.
    pub block: u64,
}

impl Default for MeterSnapshot {
    fn default() -> Self {
        let silent = f64::NEG_INFINITY;
        Self {
            loudness: LoudnessReading {
                momentary: silent,
                short_term: silent,
                integrated: silent,
                loudness_range: silent,
                lra_stable: false,
                max_momentary: silent,
                max_short_term: silent,
                true_peak_dbtp: silent,
                reconstructed_peak_dbtp: silent,
                sample_peak_dbfs: silent,
            },
            compressor_gr_db: 0.0,
            limiter_gr_db: 0.0,
            compressor_detector_db: silent,
            block: 0,
        }
    }
}

const WORDS: usize = 14;

impl MeterSnapshot {
    fn to_words(self) -> [u64; WORDS] {
        let r = self.loudness;
        [
            r.momentary.to_bits(),
            r.short_term.to_bits(),
            r.integrated.to_bits(),
            r.loudness_range.to_bits(),
            u64::from(r.lra_stable),
            r.max_momentary.to_bits(),
            r.max_short_term.to_bits(),
            r.true_peak_dbtp.to_bits(),
            r.sample_peak_dbfs.to_bits(),
            self.compressor_gr_db.to_bits(),
            self.limiter_gr_db.to_bits(),
            self.compressor_detector_db.to_bits(),
            self.block,
            r.reconstructed_peak_dbtp.to_bits(),
        ]
    }

    fn from_words(w: [u64; WORDS]) -> Self {
        let f = |i: usize| f64::from_bits(w[i]);
        Self {
            loudness: LoudnessReading {
                momentary: f(0),
                short_term: f(1),
                integrated: f(2),
                loudness_range: f(3),
                lra_stable: w[4] != 0,
                max_momentary: f(5),
                max_short_term: f(6),
                true_peak_dbtp: f(7),
                reconstructed_peak_dbtp: f(13),
                sample_peak_dbfs: f(8),
            },
            compressor_gr_db: f(9),
            limiter_gr_db: f(10),
            compressor_detector_db: f(11),
            block: w[12],
        }
    }
}

/// One snapshot at a time from one writer to any readers. The sequence number is odd while a
/// write is under way; a reader accepts words only if the number was even and unchanged around
/// its copy.
#[derive(Debug)]
struct SnapshotCell {
    sequence: AtomicU64,
    words: [AtomicU64; WORDS],
}

impl SnapshotCell {
    fn new(snapshot: MeterSnapshot) -> Self {
        Self { sequence: AtomicU64::new(0), words: snapshot.to_words().map(AtomicU64::new) }
    }

    /// Single writer (the audio thread): never waits.
    fn write(&self, snapshot: MeterSnapshot) {
        let sequence = self.sequence.load(Ordering::Relaxed);
        self.sequence.store(sequence.wrapping_add(1), Ordering::Relaxed);
        // The odd number is visible before any word changes.
        fence(Ordering::Release);
        for (word, value) in self.words.iter().zip(snapshot.to_words()) {
            word.store(value, Ordering::Relaxed);
        }
        self.sequence.store(sequence.wrapping_add(2), Ordering::Release);
    }

    /// A copy no write overlapped, or `None` after `attempts` overlapped ones.
    fn try_read(&self, attempts: usize) -> Option<MeterSnapshot> {
        for _ in 0..attempts {
            let before = self.sequence.load(Ordering::Acquire);
            if before % 2 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let words = std::array::from_fn(|i| self.words[i].load(Ordering::Relaxed));
            // The copy is complete before the sequence number is read again.
            fence(Ordering::Acquire);
            if self.sequence.load(Ordering::Relaxed) == before {
                return Some(MeterSnapshot::from_words(words));
            }
        }
        None
    }
}

/// The largest non-negative value since the reader last took it. For non-negative floats the
/// bit patterns order like the values, so an integer `fetch_max` is a float max.
#[derive(Debug, Default)]
pub struct MaxSinceRead(AtomicU64);

impl MaxSinceRead {
    pub fn accumulate(&self, value: f64) {
        if value > 0.0 {
            self.0.fetch_max(value.to_bits(), Ordering::Relaxed);
        }
    }

    pub fn take(&self) -> f64 {
        f64::from_bits(self.0.swap(0, Ordering::Relaxed))
    }
}

/// A fixed ring of values written by the audio thread at a steady interval, read by the editor
/// (oldest first). Allocated once, at construction.
#[derive(Debug)]
pub struct History {
    values: Box<[AtomicF64]>,
    written: AtomicU64,
    /// Values before this count were cleared by a reset.
    start: AtomicU64,
    interval_seconds: f64,
}

impl History {
    pub fn new(len: usize, interval_seconds: f64) -> Self {
        Self {
            values: (0..len).map(|_| AtomicF64::new(f64::NEG_INFINITY)).collect(),
            written: AtomicU64::new(0),
            start: AtomicU64::new(0),
            interval_seconds,
        }
    }

    pub fn interval_seconds(&self) -> f64 {
        self.interval_seconds
    }

    pub fn capacity(&self) -> usize {
        self.values.len()
    }

    /// Audio thread: appends one value.
    pub fn push(&self, value: f64) {
        let written = self.written.load(Ordering::Relaxed);
        self.values[(written % self.values.len() as u64) as usize].store(value, Ordering::Relaxed);
        self.written.store(written + 1, Ordering::Release);
    }

    /// Forgets everything written so far (the editor's meter reset).
    pub fn clear(&self) {
        self.start.store(self.written.load(Ordering::Acquire), Ordering::Relaxed);
    }

    /// Editor: the values still held, oldest first, into `out` (cleared first).
    pub fn copy_into(&self, out: &mut Vec<f64>) {
        out.clear();
        let written = self.written.load(Ordering::Acquire);
        let len = self.values.len() as u64;
        let first = written.saturating_sub(len).max(self.start.load(Ordering::Relaxed));
        out.extend((first..written).map(|i| self.values[(i % len) as usize].load(Ordering::Relaxed)));
    }
}

/// Seconds of short-term loudness kept for the history graph, and its resolution.
pub const LOUDNESS_HISTORY_SECONDS: f64 = 300.0;
pub const LOUDNESS_HISTORY_INTERVAL: f64 = 0.1;
/// Seconds of gain reduction kept for the limiter's history, and its resolution.
pub const GAIN_HISTORY_SECONDS: f64 = 10.0;
pub const GAIN_HISTORY_INTERVAL: f64 = 0.01;

#[derive(Debug)]
pub struct MeterValues {
    /// The latest block's readings.
    readings: SnapshotCell,
    /// Largest gain reduction since the editor last looked, dB (>= 0).
    pub compressor_gr_peak_db: MaxSinceRead,
    pub limiter_gr_peak_db: MaxSinceRead,
    /// Sample peaks of the plugin's input and output since the editor last looked, linear.
    pub input_peak: [MaxSinceRead; 2],
    pub output_peak: [MaxSinceRead; 2],
    /// Short-term loudness of the output, every `LOUDNESS_HISTORY_INTERVAL` seconds.
    pub short_term_history: History,
    /// Limiter gain reduction (largest per interval), every `GAIN_HISTORY_INTERVAL` seconds.
    pub limiter_gr_history: History,
    /// Set by the editor; the audio thread resets the meter and clears the flag.
    pub reset_requested: AtomicBool,
    /// Set by the editor; the audio thread pauses integration while it is true.
    pub paused: AtomicBool,
}

impl Default for MeterValues {
    fn default() -> Self {
        let slots = |seconds: f64, interval: f64| (seconds / interval).round() as usize;
        Self {
            readings: SnapshotCell::new(MeterSnapshot::default()),
            compressor_gr_peak_db: MaxSinceRead::default(),
            limiter_gr_peak_db: MaxSinceRead::default(),
            input_peak: Default::default(),
            output_peak: Default::default(),
            short_term_history: History::new(
                slots(LOUDNESS_HISTORY_SECONDS, LOUDNESS_HISTORY_INTERVAL),
                LOUDNESS_HISTORY_INTERVAL,
            ),
            limiter_gr_history: History::new(slots(GAIN_HISTORY_SECONDS, GAIN_HISTORY_INTERVAL), GAIN_HISTORY_INTERVAL),
            reset_requested: AtomicBool::new(false),
            paused: AtomicBool::new(false),
        }
    }
}

impl MeterValues {
    /// Audio thread, once per block (one writer only). Never waits.
    pub fn publish(&self, snapshot: &MeterSnapshot) {
        self.readings.write(*snapshot);
    }

    /// Editor: the latest block's readings, all from that block. Reads again while a write
    /// overlaps; should the writer keep overlapping, the readings of no block yet.
    pub fn snapshot(&self) -> MeterSnapshot {
        self.readings.try_read(1000).unwrap_or_default()
    }

    /// Editor: the loudness readings of the latest snapshot.
    pub fn reading(&self) -> LoudnessReading {
        self.snapshot().loudness
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_reads_back_whole() {
        let cell = SnapshotCell::new(MeterSnapshot::default());
        let mut snapshot = MeterSnapshot::default();
        snapshot.loudness.integrated = -14.2;
        snapshot.loudness.lra_stable = true;
        snapshot.limiter_gr_db = 3.5;
        snapshot.block = 7;
        cell.write(snapshot);
        assert_eq!(cell.try_read(1), Some(snapshot));
    }

    #[test]
    fn history_keeps_the_newest_values_oldest_first() {
        let history = History::new(4, 0.1);
        let mut out = Vec::new();
        history.copy_into(&mut out);
        assert!(out.is_empty());
        for v in 1..=6 {
            history.push(f64::from(v));
        }
        history.copy_into(&mut out);
        assert_eq!(out, [3.0, 4.0, 5.0, 6.0]);
        history.clear();
        history.push(7.0);
        history.copy_into(&mut out);
        assert_eq!(out, [7.0]);
    }

    #[test]
    fn max_since_read_is_a_float_max_and_resets_on_take() {
        let hold = MaxSinceRead::default();
        hold.accumulate(0.5);
        hold.accumulate(2.25);
        hold.accumulate(1.0);
        hold.accumulate(-3.0);
        assert_eq!(hold.take(), 2.25);
        assert_eq!(hold.take(), 0.0);
    }
}
