//! A platform's player: its normalization gain, from the integrated loudness and true peak
//! measured so far (the rules of `targets::evaluate`: up and down, down only, or up only to the
//! true-peak limit), and its limiter where the platform has one. The gain follows the loudness
//! as it settles with a 0.3 s time constant, interpolated across each block; switched off, it
//! returns to 0 dB with a 50 ms one and then passes the audio through untouched.

use super::{BlockGain, PlaybackLimiter};
use crate::targets::{PlatformTarget, PlaybackLimiterSpec, evaluate};

const SETTLE_SECONDS: f64 = 0.3;
/// Switched off, the gain returns to 0 dB faster.
const RELEASE_SECONDS: f64 = 0.05;
/// Below this the gain counts as 0 dB and a switched-off player passes audio through exactly.
const UNITY_DB: f64 = 1e-4;

pub struct PlatformPlayback {
    sample_rate: f64,
    target: Option<&'static PlatformTarget>,
    /// The gain applied at the end of the last block.
    gain: BlockGain,
    /// Sized once; used while the platform has a limiter.
    limiter: PlaybackLimiter,
    limiting: bool,
}

impl PlatformPlayback {
    /// Everything is allocated here.
    pub fn new(sample_rate: f64) -> Self {
        let any = PlaybackLimiterSpec { ceiling_dbfs: 0.0, attack_ms: 5.0, release_ms: 100.0 };
        Self {
            sample_rate,
            target: None,
            gain: BlockGain::default(),
            limiter: PlaybackLimiter::new(any, sample_rate),
            limiting: false,
        }
    }

    /// Plays as `target` from now on (None: off); a repeated target changes nothing.
    pub fn set_target(&mut self, target: Option<&'static PlatformTarget>) {
        if target.map(|t| t.id) == self.target.map(|t| t.id) {
            return;
        }
        self.target = target;
        let spec = target.and_then(|t| t.playback_limiter);
        self.limiting = spec.is_some();
        if let Some(spec) = spec {
            self.limiter.set_spec(spec);
        }
    }

    pub fn target(&self) -> Option<&'static PlatformTarget> {
        self.target
    }

    /// The normalization gain applied now, dB.
    pub fn gain_db(&self) -> f64 {
        self.gain.db
    }

    /// The player's limiter's gain now, dB (0 without one).
    pub fn limiter_gain_db(&self) -> f64 {
        if self.limiting { 20.0 * self.limiter.gain().log10() } else { 0.0 }
    }

    /// Whether it changes the audio at all.
    pub fn is_active(&self) -> bool {
        self.target.is_some() || self.gain.db.abs() > UNITY_DB
    }

    /// Plays one block in place, given the output's integrated loudness and BS.1770 true peak
    /// so far; `right` is None for a mono bus.
    pub fn process(
        &mut self,
        left: &mut [f32],
        mut right: Option<&mut [f32]>,
        integrated_lufs: f64,
        true_peak_dbtp: f64,
    ) {
        if !self.is_active() {
            self.gain.db = 0.0;
            return;
        }
        let wanted = self.target.map_or(0.0, |t| evaluate(t, integrated_lufs, true_peak_dbtp).gain_db);
        let seconds = if self.target.is_some() { SETTLE_SECONDS } else { RELEASE_SECONDS };
        let ramp = self.gain.follow(wanted, seconds, self.sample_rate, left.len());
        ramp.apply(left);
        if let Some(r) = right.as_deref_mut() {
            ramp.apply(r);
        }
        if self.limiting {
            self.limiter.process(left, right);
        }
        if self.target.is_none() && self.gain.db.abs() <= UNITY_DB {
            self.gain.db = 0.0;
        }
    }
}
