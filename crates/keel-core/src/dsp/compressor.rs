//! Feed-forward stereo bus compressor (Giannoulis, Massberg and Reiss, JAES 2012;
//! docs/dsp-notes.md §3).
//!
//! Per sample: optional side-chain high-pass (detector path only) -> peak or RMS level in dB ->
//! soft-knee static curve -> stereo link on the louder channel -> smooth decoupled
//! attack/release on the gain reduction in dB -> gain (makeup included) applied to the audio,
//! crossfaded with the dry signal by `mix`. Audio and dry path share one optional lookahead
//! delay, so they stay aligned at every mix setting.
//!
//! Continuous settings ramp linearly per sample over [`RAMP_SECONDS`]; nothing depends on how the
//! host splits blocks.

pub mod detector;
pub mod gain_computer;
pub mod sidechain;

use crate::dsp::delay::DelayLine;
use crate::dsp::level::all_finite;
pub use detector::DetectorMode;
use detector::{Ballistics, CrestFactor, LevelDetector, POWER_FLOOR, one_pole_keep};
use gain_computer::{Curve, slope_from_ratio};
use crate::dsp::level::db_to_gain;
use crate::dsp::ramp::LinearRamp;
use sidechain::{DetectorFilter, butterworth};
use std::ops::RangeInclusive;

pub const THRESHOLD_DB: RangeInclusive<f32> = -60.0..=0.0;
/// Ratio n:1; `f32::INFINITY` is "limit".
pub const RATIO: RangeInclusive<f32> = 1.0..=20.0;
pub const KNEE_DB: RangeInclusive<f32> = 0.0..=24.0;
pub const ATTACK_MS: RangeInclusive<f32> = 0.1..=100.0;
pub const RELEASE_MS: RangeInclusive<f32> = 5.0..=2000.0;
pub const MAKEUP_DB: RangeInclusive<f32> = -24.0..=24.0;
pub const SIDECHAIN_HPF_HZ: RangeInclusive<f32> = 20.0..=500.0;
/// Time over which continuous settings move to a new value.
pub const RAMP_SECONDS: f64 = 0.02;

/// Everything the compressor needs, in natural units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompressorSettings {
    /// Off crossfades to the (delayed) dry signal over [`RAMP_SECONDS`]; latency is unchanged.
    pub enabled: bool,
    pub threshold_db: f32,
    /// n for n:1, from 1; `f32::INFINITY` (or anything above 20) means limit.
    pub ratio: f32,
    pub knee_db: f32,
    pub attack_ms: f32,
    pub release_ms: f32,
    /// Program-dependent release: the release time scales with 2/crest^2 of the side-chain over
    /// 200 ms, between 5 % of `release_ms` and `release_ms` (a sine releases at `release_ms`).
    pub auto_release: bool,
    pub detector: DetectorMode,
    /// Manual makeup, added to the auto makeup when that is on.
    pub makeup_db: f32,
    /// Adds the curve's reduction at 0 dBFS, so a full-scale tone leaves at full scale.
    pub auto_makeup: bool,
    /// Side-chain high-pass corner (2nd-order Butterworth), `None` = off.
    pub sidechain_hpf_hz: Option<f32>,
    /// Stereo link 0..1: each channel's gain reduction moves this far towards the reduction
    /// the louder channel asks for (1 = the same gain on both channels).
    pub link: f32,
    /// Wet share 0..1 of a linear crossfade between the delayed dry signal and the compressed one.
    pub mix: f32,
}

impl Default for CompressorSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            threshold_db: -18.0,
            ratio: 2.0,
            knee_db: 6.0,
            attack_ms: 10.0,
            release_ms: 100.0,
            auto_release: false,
            detector: DetectorMode::Peak,
            makeup_db: 0.0,
            auto_makeup: false,
            sidechain_hpf_hz: None,
            link: 1.0,
            mix: 1.0,
        }
    }
}

/// NaN-proof clamp: a NaN setting falls back to `fallback` (the limiter uses this too).
pub(crate) fn clamp_or(value: f32, range: &RangeInclusive<f32>, fallback: f32) -> f32 {
    if value.is_nan() { fallback } else { value.clamp(*range.start(), *range.end()) }
}

impl CompressorSettings {
    /// Every field inside its range; NaN falls back to the default.
    pub fn clamped(&self) -> Self {
        let d = Self::default();
        Self {
            threshold_db: clamp_or(self.threshold_db, &THRESHOLD_DB, d.threshold_db),
            ratio: if self.ratio > *RATIO.end() { f32::INFINITY } else { clamp_or(self.ratio, &RATIO, d.ratio) },
            knee_db: clamp_or(self.knee_db, &KNEE_DB, d.knee_db),
            attack_ms: clamp_or(self.attack_ms, &ATTACK_MS, d.attack_ms),
            release_ms: clamp_or(self.release_ms, &RELEASE_MS, d.release_ms),
            makeup_db: clamp_or(self.makeup_db, &MAKEUP_DB, d.makeup_db),
            sidechain_hpf_hz: self
                .sidechain_hpf_hz
                .filter(|f| !f.is_nan())
                .map(|f| clamp_or(f, &SIDECHAIN_HPF_HZ, 100.0)),
            link: clamp_or(self.link, &(0.0..=1.0), d.link),
            mix: clamp_or(self.mix, &(0.0..=1.0), d.mix),
            ..*self
        }
    }
}


pub struct Compressor {
    sample_rate: f64,
    settings: CompressorSettings,
    /// Set by `new`/`reset`: the next `set_params` jumps instead of ramping.
    fresh: bool,
    threshold: LinearRamp,
    knee: LinearRamp,
    slope: LinearRamp,
    makeup_db: LinearRamp,
    link: LinearRamp,
    mix: LinearRamp,
    /// Curve and the power below which it gives no reduction, valid while no curve ramp runs.
    settled_curve: Curve,
    settled_knee_start_power: f64,
    attack_keep: f64,
    release_keep: f64,
    /// ln(release_keep) = -1 / (release time * fs), for auto release's per-sample coefficient.
    release_log_keep: f64,
    sidechain_hpf: Option<[DetectorFilter; 2]>,
    level: [LevelDetector; 2],
    ballistics: [Ballistics; 2],
    crest: CrestFactor,
    delay: [DelayLine; 2],
    /// Disabled and fully crossfaded out: only the delay runs, detector state is cleared.
    idle: bool,
    /// Fully linked: only the left smoother runs; the right one is logically its copy.
    right_follows_left: bool,
    gain_reduction_db: f32,
    /// Highest detector power of either channel in the current block (for the editor's dot).
    block_detector_power: f64,
    detector_level_db: f32,
}

impl Compressor {
    /// `lookahead_samples` delays the audio (wet and dry alike) behind the detector; it is the
    /// compressor's whole latency. Pass 0 for a zero-latency compressor.
    pub fn new(sample_rate: f64, lookahead_samples: usize) -> Self {
        let settings = CompressorSettings::default();
        let ramp = (RAMP_SECONDS * sample_rate).round() as usize;
        let mut this = Self {
            sample_rate,
            settings,
            fresh: true,
            threshold: LinearRamp::new(0.0, ramp),
            knee: LinearRamp::new(0.0, ramp),
            slope: LinearRamp::new(0.0, ramp),
            makeup_db: LinearRamp::new(0.0, ramp),
            link: LinearRamp::new(1.0, ramp),
            mix: LinearRamp::new(1.0, ramp),
            settled_curve: Curve { threshold_db: 0.0, knee_db: 0.0, slope: 0.0 },
            settled_knee_start_power: 0.0,
            attack_keep: 0.0,
            release_keep: 0.0,
            release_log_keep: 0.0,
            sidechain_hpf: None,
            level: [LevelDetector::new(sample_rate); 2],
            ballistics: [Ballistics::default(); 2],
            crest: CrestFactor::new(sample_rate),
            delay: [DelayLine::new(lookahead_samples), DelayLine::new(lookahead_samples)],
            idle: false,
            right_follows_left: false,
            gain_reduction_db: 0.0,
            block_detector_power: 0.0,
            detector_level_db: f32::NEG_INFINITY,
        };
        this.set_params(&settings);
        // The caller's first settings apply at once too.
        this.fresh = true;
        this
    }

    pub fn sample_rate(&self) -> f64 {
        self.sample_rate
    }

    /// Samples of delay from input to output, fixed at construction.
    pub fn latency(&self) -> usize {
        self.delay[0].delay()
    }

    pub fn settings(&self) -> CompressorSettings {
        self.settings
    }

    /// Largest gain reduction of the wet path during the last block, in dB (>= 0).
    pub fn gain_reduction_db(&self) -> f32 {
        self.gain_reduction_db
    }

    /// Highest detector level (peak or RMS, after the side-chain filter) in the last block, dB;
    /// negative infinity while the compressor is off.
    pub fn detector_level_db(&self) -> f32 {
        self.detector_level_db
    }

    /// Clears all signal state; the next `set_params` applies without ramping.
    pub fn reset(&mut self) {
        self.clear_detector();
        self.delay.iter_mut().for_each(DelayLine::reset);
        for ramp in
            [&mut self.threshold, &mut self.knee, &mut self.slope, &mut self.makeup_db, &mut self.link, &mut self.mix]
        {
            ramp.snap();
        }
        self.settle_curve();
        self.idle = !self.settings.enabled;
        self.gain_reduction_db = 0.0;
        self.fresh = true;
    }

    pub fn set_params(&mut self, settings: &CompressorSettings) {
        let s = settings.clamped();
        let target_curve = Curve {
            threshold_db: f64::from(s.threshold_db),
            knee_db: f64::from(s.knee_db),
            slope: slope_from_ratio(f64::from(s.ratio)),
        };
        let auto_makeup = if s.auto_makeup { target_curve.auto_makeup_db() } else { 0.0 };
        self.threshold.set_target(target_curve.threshold_db);
        self.knee.set_target(target_curve.knee_db);
        self.slope.set_target(target_curve.slope);
        self.makeup_db.set_target(f64::from(s.makeup_db) + auto_makeup);
        self.link.set_target(f64::from(s.link));
        self.mix.set_target(if s.enabled { f64::from(s.mix) } else { 0.0 });
        self.attack_keep = one_pole_keep(f64::from(s.attack_ms) * 1e-3, self.sample_rate);
        self.release_keep = one_pole_keep(f64::from(s.release_ms) * 1e-3, self.sample_rate);
        self.release_log_keep = self.release_keep.ln();

        if s.sidechain_hpf_hz != self.settings.sidechain_hpf_hz || self.fresh {
            self.sidechain_hpf = match (s.sidechain_hpf_hz, self.sidechain_hpf) {
                (None, _) => None,
                (Some(hz), Some(mut filters)) => {
                    let coeffs = butterworth(f64::from(hz), self.sample_rate, true);
                    filters.iter_mut().for_each(|f| f.set_coeffs(coeffs));
                    Some(filters)
                }
                (Some(hz), None) => Some([DetectorFilter::new(butterworth(f64::from(hz), self.sample_rate, true)); 2]),
            };
        }

        if self.fresh {
            for ramp in [
                &mut self.threshold,
                &mut self.knee,
                &mut self.slope,
                &mut self.makeup_db,
                &mut self.link,
                &mut self.mix,
            ] {
                ramp.snap();
            }
            self.idle = !s.enabled;
            self.fresh = false;
        }
        self.settings = s;
        self.settle_curve();
    }

    fn curve_is_ramping(&self) -> bool {
        self.threshold.is_ramping() || self.knee.is_ramping() || self.slope.is_ramping()
    }

    /// Caches the curve and its knee start once the curve ramps have finished.
    fn settle_curve(&mut self) {
        self.settled_curve =
            Curve { threshold_db: self.threshold.current(), knee_db: self.knee.current(), slope: self.slope.current() };
        let knee_start_db = self.settled_curve.threshold_db - 0.5 * self.settled_curve.knee_db;
        self.settled_knee_start_power = if self.curve_is_ramping() { 0.0 } else { 10f64.powf(knee_start_db / 10.0) };
    }

    fn clear_detector(&mut self) {
        self.level.iter_mut().for_each(LevelDetector::reset);
        self.ballistics.iter_mut().for_each(Ballistics::reset);
        self.right_follows_left = false;
        self.crest.reset();
        if let Some(filters) = &mut self.sidechain_hpf {
            filters.iter_mut().for_each(DetectorFilter::reset);
        }
    }

    /// Processes planar stereo in place. Any length, including 0; a mono caller passes the same
    /// samples in both. A block containing NaN or infinity is processed as silence.
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        debug_assert_eq!(left.len(), right.len(), "channel blocks differ in length");
        let frames = left.len().min(right.len());
        let (left, right) = (&mut left[..frames], &mut right[..frames]);
        if !(all_finite(left) && all_finite(right)) {
            left.fill(0.0);
            right.fill(0.0);
        }
        let mut max_reduction = 0.0f64;
        self.block_detector_power = 0.0;
        let mut i = 0;
        while i < frames {
            if !self.idle && !self.settings.enabled && !self.mix.is_ramping() {
                // Crossfade to dry finished: from here on the output is the delayed input.
                self.idle = true;
                self.clear_detector();
            }
            if self.idle {
                if self.settings.enabled {
                    self.idle = false;
                } else {
                    self.delay[0].process(&mut left[i..]);
                    self.delay[1].process(&mut right[i..]);
                    // Ramps still land where they were heading, as if they had run.
                    for ramp in
                        [&mut self.threshold, &mut self.knee, &mut self.slope, &mut self.makeup_db, &mut self.link]
                    {
                        ramp.snap();
                    }
                    self.settle_curve();
                    break;
                }
            }
            max_reduction = max_reduction.max(self.tick(&mut left[i], &mut right[i]));
            i += 1;
        }
        if !self.curve_is_ramping() && self.settled_knee_start_power == 0.0 {
            self.settle_curve();
        }
        self.level.iter_mut().for_each(LevelDetector::flush_denormals);
        self.ballistics.iter_mut().for_each(Ballistics::flush_denormals);
        self.crest.flush_denormals();
        if let Some(filters) = &mut self.sidechain_hpf {
            filters.iter_mut().for_each(DetectorFilter::flush_denormals);
        }
        self.gain_reduction_db = max_reduction as f32;
        self.detector_level_db = if self.block_detector_power > 0.0 {
            (10.0 * self.block_detector_power.log10()) as f32
        } else {
            f32::NEG_INFINITY
        };
    }

    /// One frame; returns the larger of the two channels' gain reductions in dB.
    #[inline(always)]
    fn tick(&mut self, left: &mut f32, right: &mut f32) -> f64 {
        let (curve, knee_start_power) = if self.curve_is_ramping() {
            let curve = Curve {
                threshold_db: self.threshold.advance(),
                knee_db: self.knee.advance(),
                slope: self.slope.advance(),
            };
            (curve, 0.0)
        } else {
            if self.settled_knee_start_power == 0.0 {
                // A ramp ended on the previous frame.
                self.settle_curve();
            }
            (self.settled_curve, self.settled_knee_start_power)
        };

        let (mut side_l, mut side_r) = (f64::from(*left), f64::from(*right));
        if let Some([hpf_l, hpf_r]) = &mut self.sidechain_hpf {
            side_l = hpf_l.tick(side_l);
            side_r = hpf_r.tick(side_r);
        }
        let mode = self.settings.detector;
        let power_l = self.level[0].power(mode, side_l);
        let power_r = self.level[1].power(mode, side_r);
        self.block_detector_power = self.block_detector_power.max(power_l.max(power_r));
        let release_keep = if self.settings.auto_release {
            let scale = self.crest.release_scale((side_l * side_l).max(side_r * side_r));
            // keep = exp(-1/(tau*scale*fs)) = release_keep^(1/scale)
            (self.release_log_keep / scale).exp()
        } else {
            self.release_keep
        };

        let reduction_of = |power: f64| -> f64 {
            if power <= knee_start_power { 0.0 } else { curve.gain_reduction_db(10.0 * power.max(POWER_FLOOR).log10()) }
        };
        let link = self.link.advance();
        let (smoothed_l, smoothed_r) = if link == 1.0 {
            // The curve is monotone, so the louder channel's reduction is the linked one, and
            // both smoothers would see the same input: run one.
            self.right_follows_left = true;
            let linked = reduction_of(power_l.max(power_r));
            let smoothed = self.ballistics[0].process(linked, self.attack_keep, release_keep);
            (smoothed, smoothed)
        } else {
            if self.right_follows_left {
                self.ballistics[1] = self.ballistics[0];
                self.right_follows_left = false;
            }
            let reduction_l = reduction_of(power_l);
            let reduction_r = reduction_of(power_r);
            let linked = reduction_l.max(reduction_r);
            let target_l = reduction_l * (1.0 - link) + linked * link;
            let target_r = reduction_r * (1.0 - link) + linked * link;
            (
                self.ballistics[0].process(target_l, self.attack_keep, release_keep),
                self.ballistics[1].process(target_r, self.attack_keep, release_keep),
            )
        };

        let makeup = self.makeup_db.advance();
        let mix = self.mix.advance();
        let gain_l = (1.0 - mix) + mix * db_to_gain(makeup - smoothed_l);
        let gain_r =
            if smoothed_r == smoothed_l { gain_l } else { (1.0 - mix) + mix * db_to_gain(makeup - smoothed_r) };
        *left = self.delay[0].tick(*left) * gain_l as f32;
        *right = self.delay[1].tick(*right) * gain_r as f32;
        smoothed_l.max(smoothed_r)
    }
}
