//! A player's limiter without lookahead, as Spotify documents its Loud mode's: a ceiling on
//! sample values, a 5 ms attack and a 100 ms release (taken as one-pole time constants; the
//! attack lands on its target once within 0.01 dB). It adds no latency, so a sudden peak
//! passes over the ceiling for about the attack time, as the player's would. The detector holds
//! each peak for 25 ms before the release starts, so a steady tone down to 20 Hz gets one steady
//! gain (and settles at the ceiling exactly) instead of a gain that breathes between its peaks;
//! Spotify does not document its detector.

use crate::dsp::compressor::detector::one_pole_keep;
use crate::dsp::level::db_to_gain;
use crate::dsp::sliding_min::SlidingMin;
use crate::targets::PlaybackLimiterSpec;

const HOLD_SECONDS: f64 = 0.025;
/// 0.01 dB, as a gain ratio minus one.
const SNAP: f64 = 1.2e-3;

pub struct PlaybackLimiter {
    sample_rate: f64,
    ceiling: f64,
    attack: f64,
    release: f64,
    /// Sliding minimum of -|peak|: the largest recent peak, negated.
    hold: SlidingMin<f32>,
    gain: f64,
}

impl PlaybackLimiter {
    /// A limiter to `spec` at `sample_rate`; its only buffer is allocated here.
    pub fn new(spec: PlaybackLimiterSpec, sample_rate: f64) -> Self {
        let hold = ((HOLD_SECONDS * sample_rate).round() as usize).max(1);
        let mut limiter = Self {
            sample_rate,
            ceiling: 1.0,
            attack: 0.0,
            release: 0.0,
            hold: SlidingMin::new(hold, hold, f32::INFINITY),
            gain: 1.0,
        };
        limiter.set_spec(spec);
        limiter
    }

    /// Takes another ceiling, attack and release, and starts afresh; no allocation.
    pub fn set_spec(&mut self, spec: PlaybackLimiterSpec) {
        // A hair under the ceiling, so rounding to f32 cannot land a settled peak above it.
        self.ceiling = db_to_gain(spec.ceiling_dbfs) * (1.0 - 1e-6);
        self.attack = one_pole_keep(spec.attack_ms / 1000.0, self.sample_rate);
        self.release = one_pole_keep(spec.release_ms / 1000.0, self.sample_rate);
        self.reset();
    }

    pub fn reset(&mut self) {
        self.hold.reset();
        self.gain = 1.0;
    }

    /// The gain it applies now (1 = not limiting).
    pub fn gain(&self) -> f64 {
        self.gain
    }

    /// Limits in place; `right` is None for a mono bus. Both channels get one gain.
    pub fn process(&mut self, left: &mut [f32], mut right: Option<&mut [f32]>) {
        for i in 0..left.len() {
            let r = right.as_deref().map_or(0.0, |r| r[i].abs());
            let peak = -self.hold.push(-left[i].abs().max(r));
            let target = if f64::from(peak) > self.ceiling { self.ceiling / f64::from(peak) } else { 1.0 };
            if target < self.gain {
                self.gain = target + (self.gain - target) * self.attack;
                // Within 0.01 dB: land on the target, so a steady level settles exactly (a 20 dB
                // overshoot does so in 45 ms).
                if self.gain - target < SNAP * target {
                    self.gain = target;
                }
            } else {
                self.gain = target + (self.gain - target) * self.release;
            }
            left[i] = (f64::from(left[i]) * self.gain) as f32;
            if let Some(r) = right.as_deref_mut() {
                r[i] = (f64::from(r[i]) * self.gain) as f32;
            }
        }
    }
}
