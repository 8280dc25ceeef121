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
    /// linear ramp from the gain at the block's start to the new one.
    fn follow(&mut self, wanted: f64, seconds: f64, sample_rate: f64, n: usize) -> GainRamp {
        let start = db_to_gain(self.db);
        self.db = wanted + (self.db - wanted) * one_pole_keep(seconds, sample_rate).powi(n as i32);
        GainRamp { start, step: (db_to_gain(self.db) - start) / n.max(1) as f64 }
    }
}

/// A block's linear gain ramp: sample `i` gets `start + step * (i + 1)`, so the block's last
/// sample has the new gain.
#[derive(Clone, Copy, Debug)]
struct GainRamp {
    start: f64,
    step: f64,
}

impl GainRamp {
    fn at(&self, i: usize) -> f64 {
        self.start + self.step * (i + 1) as f64
    }

    /// Scales a channel in place along the ramp.
    fn apply(&self, channel: &mut [f32]) {
        for (i, x) in channel.iter_mut().enumerate() {
            *x = (f64::from(*x) * self.at(i)) as f32;
        }
    }
}
