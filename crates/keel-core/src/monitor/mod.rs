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

/// The one-pole coefficient that moves a value 1 - 1/e of the way in `seconds`, per sample.
fn one_pole(seconds: f64, sample_rate: f64) -> f64 {
    (-1.0 / (seconds * sample_rate).max(1e-9)).exp()
}
