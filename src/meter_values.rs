//! Meter values handed from the audio thread to the editor: plain atomics, written once per
//! block, read whenever the editor paints. Requests from the editor (reset, pause) travel back
//! the same way. No locks, no allocation after construction.

use crate::dsp::loudness::LoudnessReading;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// An f64 stored as its bits.
#[derive(Debug)]
pub struct AtomicF64(AtomicU64);

impl AtomicF64 {
    pub fn new(value: f64) -> Self {
        Self(AtomicU64::new(value.to_bits()))
    }

    pub fn load(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }

    pub fn store(&self, value: f64) {
        self.0.store(value.to_bits(), Ordering::Relaxed);
    }
}

impl Default for AtomicF64 {
    fn default() -> Self {
        Self::new(f64::NEG_INFINITY)
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
        self.values[(written % self.values.len() as u64) as usize].store(value);
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
        out.extend((first..written).map(|i| self.values[(i % len) as usize].load()));
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
    pub momentary: AtomicF64,
    pub short_term: AtomicF64,
    pub integrated: AtomicF64,
    pub loudness_range: AtomicF64,
    pub lra_stable: AtomicBool,
    pub max_momentary: AtomicF64,
    pub max_short_term: AtomicF64,
    pub true_peak_dbtp: AtomicF64,
    pub sample_peak_dbfs: AtomicF64,
    /// Gain reduction during the last block, dB (>= 0).
    pub compressor_gr_db: AtomicF64,
    pub limiter_gr_db: AtomicF64,
    /// Largest gain reduction since the editor last looked, dB (>= 0).
    pub compressor_gr_peak_db: MaxSinceRead,
    pub limiter_gr_peak_db: MaxSinceRead,
    /// Highest compressor detector level (after the side-chain filter) in the last block, dB.
    pub compressor_detector_db: AtomicF64,
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
            momentary: AtomicF64::default(),
            short_term: AtomicF64::default(),
            integrated: AtomicF64::default(),
            loudness_range: AtomicF64::default(),
            lra_stable: AtomicBool::new(false),
            max_momentary: AtomicF64::default(),
            max_short_term: AtomicF64::default(),
            true_peak_dbtp: AtomicF64::default(),
            sample_peak_dbfs: AtomicF64::default(),
            compressor_gr_db: AtomicF64::new(0.0),
            limiter_gr_db: AtomicF64::new(0.0),
            compressor_gr_peak_db: MaxSinceRead::default(),
            limiter_gr_peak_db: MaxSinceRead::default(),
            compressor_detector_db: AtomicF64::default(),
            input_peak: Default::default(),
            output_peak: Default::default(),
            short_term_history: History::new(
                slots(LOUDNESS_HISTORY_SECONDS, LOUDNESS_HISTORY_INTERVAL),
                LOUDNESS_HISTORY_INTERVAL,
            ),
            limiter_gr_history: History::new(
                slots(GAIN_HISTORY_SECONDS, GAIN_HISTORY_INTERVAL),
                GAIN_HISTORY_INTERVAL,
            ),
            reset_requested: AtomicBool::new(false),
            paused: AtomicBool::new(false),
        }
    }
}

impl MeterValues {
    pub fn publish(&self, reading: &LoudnessReading) {
        self.momentary.store(reading.momentary);
        self.short_term.store(reading.short_term);
        self.integrated.store(reading.integrated);
        self.loudness_range.store(reading.loudness_range);
        self.lra_stable.store(reading.lra_stable, Ordering::Relaxed);
        self.max_momentary.store(reading.max_momentary);
        self.max_short_term.store(reading.max_short_term);
        self.true_peak_dbtp.store(reading.true_peak_dbtp);
        self.sample_peak_dbfs.store(reading.sample_peak_dbfs);
    }

    pub fn reading(&self) -> LoudnessReading {
        LoudnessReading {
            momentary: self.momentary.load(),
            short_term: self.short_term.load(),
            integrated: self.integrated.load(),
            loudness_range: self.loudness_range.load(),
            lra_stable: self.lra_stable.load(Ordering::Relaxed),
            max_momentary: self.max_momentary.load(),
            max_short_term: self.max_short_term.load(),
            true_peak_dbtp: self.true_peak_dbtp.load(),
            sample_peak_dbfs: self.sample_peak_dbfs.load(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
