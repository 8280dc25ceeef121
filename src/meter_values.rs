//! Meter values handed from the audio thread to the editor: plain atomics, written once per
//! block, read whenever the editor paints. Requests from the editor (reset, pause) travel back
//! the same way. No locks, no allocation.

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

#[derive(Debug, Default)]
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
    /// Set by the editor; the audio thread resets the meter and clears the flag.
    pub reset_requested: AtomicBool,
    /// Set by the editor; the audio thread pauses integration while it is true.
    pub paused: AtomicBool,
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
