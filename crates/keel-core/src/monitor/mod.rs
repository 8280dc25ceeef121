//! Monitoring: what the listener hears, never what is rendered. Both stages run after the
//! output meter, in the plugin only (`keel render` and the chain never use them), and pass the
//! audio through bit for bit while off.
//!
//! - [`PlatformPlayback`]: a platform's player, applying its normalization gain from the
//!   loudness measured so far and, for Spotify's Loud mode, its limiter ([`PlaybackLimiter`]).
//! - [`LevelMatch`]: the unprocessed input, latency-aligned, at the loudness of the processed
//!   output, for a fair comparison of the processing.

mod level_match;
mod playback;
mod playback_limiter;

pub use level_match::LevelMatch;
pub use playback::PlatformPlayback;
pub use playback_limiter::PlaybackLimiter;

use crate::dsp::compressor::detector::one_pole_keep;
use crate::dsp::level::db_to_gain;

/// A gain in dB that follows a wanted value with a one-pole, stepped once per block and applied
/// as a linear ramp of the linear gain across the block.
#[derive(Clone, Copy, Debug, Default)]
struct BlockGain {
    db: f64,
}

impl BlockGain {
    /// Moves toward `wanted` (time constant `seconds`) over a block of `n` samples; returns the
    /// linear gain at the block's start and its step per sample.
    fn follow(&mut self, wanted: f64, seconds: f64, sample_rate: f64, n: usize) -> (f64, f64) {
        let start = db_to_gain(self.db);
        self.db = wanted + (self.db - wanted) * one_pole_keep(seconds, sample_rate).powi(n as i32);
        (start, (db_to_gain(self.db) - start) / n.max(1) as f64)
    }
}
