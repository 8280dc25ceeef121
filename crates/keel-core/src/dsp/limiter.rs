//! Lookahead true-peak limiter for the ceiling as read by the BS.1770 4x meter and the 16x
//! reconstruction meter in `true_peak` (docs/dsp-notes.md §1).
//!
//! Per channel: drive -> union detector (every value either meter can read in each sample
//! interval) -> required gain `min(1, ceiling / peak)` -> stereo link -> hold over
//! latency + 1 + taps samples (this spreads each requirement over every sample the meters'
//! interpolation windows touch, and covers the whole attack) -> a second, 30 ms hold fed by a
//! 500 Hz low-passed detector so bass is not modulated within its period -> release ->
//! moving-average attack -> applied to the input delayed by the latency.
//!
//! What is guaranteed, exactly and on every sample (asserted in debug builds): the gain applied
//! to a sample is at most `ceiling / peak` for every interval whose interpolation window
//! contains it, where `peak` is the very value the meter computes there (same coefficients, same
//! f32 order). A meter reading is a weighted sum over its window, so where the gain is constant
//! across a window (steady limiting, onsets, releases: the extra hold keeps the gain flat over
//! the window of the last interval that set it) the reading is at most the ceiling.
//!
//! What remains without a margin, measured by tests/limiter.rs: f32 rounding of
//! the output products (about 1e-5 dB on either meter), and a second-order term when a new,
//! deeper peak starts an attack ramp inside the window of the interval that set the previous
//! gain: samples late in that window are turned down more than early ones, and if the late ones
//! pull the interpolated value down (negative lobes) the reading rises a little. On the limiter
//! test signals the 16x meter reads at most +0.0003 dB; adversarial binary noise bursts with a
//! 5 ms release reach about +0.014 dB at 44.1 kHz. Removing it needs about one more meter window
//! of lookahead (48 samples at 44.1 kHz), which the 2 ms budget does not have there. The 12-tap
//! BS.1770 window is short enough that this term stays at rounding level. The limiter therefore
//! aims [`DETECTION_MARGIN_DB`] (0.001 dB) under the set ceiling, its only margin: on those
//! signals both meters then read at or under the ceiling (worst -0.0007 dB by the 16x meter);
//! the adversarial bursts stay about +0.013 dB over.

pub mod detector;
pub mod envelope;

use crate::dsp::compressor::sidechain::{DetectorFilter, butterworth};
use crate::dsp::compressor::clamp_or;
use crate::dsp::level::all_finite;
use crate::dsp::delay::DelayLine;
use crate::dsp::ramp::LinearRamp;
use crate::dsp::true_peak::WINDOW;
use detector::UnionDetector;
use envelope::{GainEnvelope, ReleaseCoefs};
use std::ops::RangeInclusive;

pub const CEILING_DB: RangeInclusive<f32> = -20.0..=0.0;
pub const DRIVE_DB: RangeInclusive<f32> = 0.0..=24.0;
pub const RELEASE_MS: RangeInclusive<f32> = 1.0..=1000.0;
/// The limiter aims this far under the set ceiling. It covers the f32 rounding of the output
/// (about 1e-5 dB) and the reconstruction meter's residual when a deeper attack starts inside
/// the window of the previous peak (at most 0.0003 dB on the test material), so both meters read
/// at or under the ceiling. 0.001 dB is 0.012 % in amplitude: inaudible, and the only margin.
pub const DETECTION_MARGIN_DB: f32 = 0.001;
/// Time over which drive, ceiling and link move to a new value.
pub const RAMP_SECONDS: f64 = 0.02;
/// Length of the gain ramp into a peak, where the lookahead budget allows.
pub const ATTACK_SECONDS: f64 = 0.001;
/// Latency never exceeds this at 22.05 kHz and above (3.3 ms at 44.1 kHz, 3.1 ms at 48 kHz).
pub const MAX_LOOKAHEAD_SECONDS: f64 = 0.005;
/// Shortest attack ramp, used only below 32 kHz where the reconstruction's window alone nearly
/// fills the budget.
const MIN_ATTACK_SAMPLES: usize = 8;
/// Corner of the bass detector (2nd-order Butterworth low-pass).
pub const BASS_CORNER_HZ: f64 = 500.0;
/// Hold of the bass detector: half a period of 16.7 Hz, so the gain stays flat between the
/// peaks of any bass tone above that.
pub const BASS_HOLD_SECONDS: f64 = 0.030;
/// Frames per internal pass.
const CHUNK: usize = 128;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LimiterSettings {
    /// Off: no gain change and no drive (ramped), same latency.
    pub enabled: bool,
    /// dBTP.
    pub ceiling_db: f32,
    /// Input gain in dB.
    pub drive_db: f32,
    /// Time constant of the exponential recovery.
    pub release_ms: f32,
    /// Program-dependent release: dips deeper than the running average gain recover with
    /// `release_ms`, sustained reduction recovers 8 times slower.
    pub auto_release: bool,
    /// Stereo link 0..1: each channel's required gain moves this far towards the lower of the
    /// two (1 = identical gain on both channels).
    pub link: f32,
}

impl Default for LimiterSettings {
    fn default() -> Self {
        Self { enabled: true, ceiling_db: -1.0, drive_db: 0.0, release_ms: 50.0, auto_release: false, link: 1.0 }
    }
}

impl LimiterSettings {
    /// Every field inside its range; NaN falls back to the default.
    pub fn clamped(&self) -> Self {
        let d = Self::default();
        Self {
            ceiling_db: clamp_or(self.ceiling_db, &CEILING_DB, d.ceiling_db),
            drive_db: clamp_or(self.drive_db, &DRIVE_DB, d.drive_db),
            release_ms: clamp_or(self.release_ms, &RELEASE_MS, d.release_ms),
            link: clamp_or(self.link, &(0.0..=1.0), d.link),
            ..*self
        }
    }
}

/// Lengths, in samples, that follow from the sample rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// Interpolation window of the detector (and of the reconstruction meter).
    pub taps: usize,
    /// Moving-average attack length.
    pub attack: usize,
    /// Input-to-output delay: `taps + attack - 2`, the attack with the meter window spread in
    /// (docs/dsp-notes.md §1.2).
    pub latency: usize,
    /// Hold window of the required gain.
    pub hold: usize,
    pub bass_hold: usize,
}

impl Geometry {
    pub fn for_sample_rate(sample_rate: f64) -> Self {
        let taps = WINDOW;
        let budget = (MAX_LOOKAHEAD_SECONDS * sample_rate).floor() as usize;
        let attack = ((ATTACK_SECONDS * sample_rate).round() as usize)
            .min((budget + 2).saturating_sub(taps))
            .max(MIN_ATTACK_SAMPLES);
        let latency = taps + attack - 2;
        Self {
            taps,
            attack,
            latency,
            // latency + 1 is the minimum for the guarantee; the extra window keeps the gain flat
            // over a whole interpolation window at the onset of a peak.
            hold: latency + 1 + taps,
            bass_hold: (BASS_HOLD_SECONDS * sample_rate).round() as usize,
        }
    }
}

/// Largest f32 not above `g`, so rounding never raises the applied gain.
#[inline(always)]
fn gain_to_f32_down(g: f64) -> f32 {
    let g32 = g as f32;
    // g is positive, so the next f32 down is one bit pattern lower. Branch-free: which way the
    // rounding went is random from sample to sample.
    f32::from_bits(g32.to_bits() - u32::from(f64::from(g32) > g))
}

/// Gain needed to bring `peak` to `ceiling`, never above unity.
#[inline(always)]
fn required_gain(peak: f64, ceiling: f64) -> f64 {
    if peak > ceiling { ceiling / peak } else { 1.0 }
}

/// Debug-build proof obligation: the gain applied to each output sample is at most the smallest
/// required gain of every interval whose interpolation window contains that sample.
#[cfg(debug_assertions)]
#[derive(Clone, Debug)]
struct GuaranteeCheck {
    spread: crate::dsp::sliding_min::SlidingMin<f64>,
    /// Delays the spread requirement from its last contributing interval to its output time.
    pending: Box<[f64]>,
    pos: usize,
}

#[cfg(debug_assertions)]
impl GuaranteeCheck {
    fn new(g: &Geometry) -> Self {
        Self {
            spread: crate::dsp::sliding_min::SlidingMin::new(g.taps, g.taps, f64::INFINITY),
            pending: vec![1.0; g.latency + 1 - (g.taps - 1)].into_boxed_slice(),
            pos: 0,
        }
    }

    fn reset(&mut self) {
        self.spread.reset();
        self.pending.fill(1.0);
        self.pos = 0;
    }

    /// Takes the newest interval's required gain, returns the bound for this output sample.
    fn push(&mut self, required: f64) -> f64 {
        let spread = self.spread.push(required);
        let bound = std::mem::replace(&mut self.pending[self.pos], spread);
        self.pos = (self.pos + 1) % self.pending.len();
        bound
    }
}

pub struct Limiter {
    sample_rate: f64,
    settings: LimiterSettings,
    fresh: bool,
    geometry: Geometry,
    detector: UnionDetector,
    /// Per channel: the last `taps - 1` driven samples, then room for one chunk.
    history: [Box<[f32]>; 2],
    bass: [DetectorFilter; 2],
    envelopes: [GainEnvelope; 2],
    /// Fully linked: only the left envelope runs, and the right one is logically its copy.
    right_follows_left: bool,
    delay: [DelayLine; 2],
    drive: LinearRamp,
    ceiling: LinearRamp,
    link: LinearRamp,
    release: ReleaseCoefs,
    gain_reduction_db: f32,
    #[cfg(debug_assertions)]
    checks: [GuaranteeCheck; 2],
    /// The bounds `check` found for the current output sample.
    #[cfg(debug_assertions)]
    pending_bounds: [f64; 2],
}

impl Limiter {
    pub fn new(sample_rate: f64) -> Self {
        let geometry = Geometry::for_sample_rate(sample_rate);
        let detector = UnionDetector::new(sample_rate);
        debug_assert_eq!(detector.taps(), geometry.taps);
        let history_len = geometry.taps - 1 + CHUNK;
        let bass = DetectorFilter::new(butterworth(BASS_CORNER_HZ, sample_rate, false));
        let envelope = GainEnvelope::new(geometry.hold, geometry.bass_hold, geometry.attack);
        let ramp = (RAMP_SECONDS * sample_rate).round() as usize;
        let settings = LimiterSettings::default();
        let mut this = Self {
            sample_rate,
            settings,
            fresh: true,
            geometry,
            detector,
            history: [vec![0.0; history_len].into_boxed_slice(), vec![0.0; history_len].into_boxed_slice()],
            bass: [bass; 2],
            envelopes: [envelope.clone(), envelope],
            right_follows_left: false,
            delay: [DelayLine::new(geometry.latency), DelayLine::new(geometry.latency)],
            drive: LinearRamp::new(1.0, ramp),
            ceiling: LinearRamp::new(1.0, ramp),
            link: LinearRamp::new(1.0, ramp),
            release: ReleaseCoefs::fixed(0.05, sample_rate),
            gain_reduction_db: 0.0,
            #[cfg(debug_assertions)]
            checks: [GuaranteeCheck::new(&geometry), GuaranteeCheck::new(&geometry)],
            #[cfg(debug_assertions)]
            pending_bounds: [1.0; 2],
        };
        this.set_params(&settings);
        this.fresh = true;
        this
    }

    /// The latency a limiter at this rate reports, without building one.
    pub fn latency_for(sample_rate: f64) -> usize {
        Geometry::for_sample_rate(sample_rate).latency
    }

    pub fn sample_rate(&self) -> f64 {
        self.sample_rate
    }

    /// Input-to-output delay in samples; fixed per sample rate, the same when disabled.
    pub fn latency(&self) -> usize {
        self.geometry.latency
    }

    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    pub fn settings(&self) -> LimiterSettings {
        self.settings
    }

    /// Largest gain reduction applied during the last block, in dB (>= 0).
    pub fn gain_reduction_db(&self) -> f32 {
        self.gain_reduction_db
    }

    /// Clears all signal state; the next `set_params` applies without ramping.
    pub fn reset(&mut self) {
        self.history.iter_mut().for_each(|h| h.fill(0.0));
        self.bass.iter_mut().for_each(DetectorFilter::reset);
        self.envelopes.iter_mut().for_each(GainEnvelope::reset);
        self.right_follows_left = false;
        self.delay.iter_mut().for_each(DelayLine::reset);
        for ramp in [&mut self.drive, &mut self.ceiling, &mut self.link] {
            ramp.snap();
        }
        #[cfg(debug_assertions)]
        self.checks.iter_mut().for_each(GuaranteeCheck::reset);
        self.gain_reduction_db = 0.0;
        self.fresh = true;
    }

    pub fn set_params(&mut self, settings: &LimiterSettings) {
        let s = settings.clamped();
        let db_to_gain = |db: f32| crate::dsp::level::db_to_gain(f64::from(db));
        self.drive.set_target(if s.enabled { db_to_gain(s.drive_db) } else { 1.0 });
        self.ceiling.set_target(db_to_gain(s.ceiling_db - DETECTION_MARGIN_DB));
        self.link.set_target(f64::from(s.link));
        let release_s = f64::from(s.release_ms) * 1e-3;
        self.release = if s.auto_release {
            ReleaseCoefs::automatic(release_s, self.sample_rate)
        } else {
            ReleaseCoefs::fixed(release_s, self.sample_rate)
        };
        if self.fresh {
            for ramp in [&mut self.drive, &mut self.ceiling, &mut self.link] {
                ramp.snap();
            }
            self.fresh = false;
        }
        self.settings = s;
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
        let mut min_gain = 1.0f64;
        for (l, r) in left.chunks_mut(CHUNK).zip(right.chunks_mut(CHUNK)) {
            min_gain = min_gain.min(self.process_chunk(l, r));
        }
        self.bass.iter_mut().for_each(DetectorFilter::flush_denormals);
        self.gain_reduction_db = (-20.0 * min_gain.log10()) as f32;
    }

    /// Debug builds: feeds the newest requirements to the checkers and stores the bounds that
    /// the gains for the current output sample must respect.
    #[cfg(debug_assertions)]
    fn check(&mut self, left: f64, right: f64) {
        self.pending_bounds = [self.checks[0].push(left), self.checks[1].push(right)];
    }

    /// Up to `CHUNK` frames; returns the smallest gain applied.
    fn process_chunk(&mut self, left: &mut [f32], right: &mut [f32]) -> f64 {
        let n = left.len();
        let kept = self.geometry.taps - 1;
        let mut ceiling = [0.0f64; CHUNK];
        let mut link = [0.0f64; CHUNK];
        if self.drive.is_ramping() || self.ceiling.is_ramping() || self.link.is_ramping() {
            for i in 0..n {
                let drive = self.drive.advance() as f32;
                left[i] *= drive;
                right[i] *= drive;
                ceiling[i] = self.ceiling.advance();
                link[i] = self.link.advance();
            }
        } else {
            let drive = self.drive.current() as f32;
            if drive != 1.0 {
                left.iter_mut().chain(right.iter_mut()).for_each(|x| *x *= drive);
            }
            ceiling.fill(self.ceiling.current());
            link.fill(self.link.current());
        }
        self.history[0][kept..kept + n].copy_from_slice(left);
        self.history[1][kept..kept + n].copy_from_slice(right);

        // Zero peak means "nothing required". Off, nothing is detected; on, a channel whose
        // window provably stays under the ceiling everywhere skips the interpolators.
        let detecting = self.settings.enabled;
        let mut peak = [[0.0f32; CHUNK]; 2];
        let mut bass = [[0.0f64; CHUNK]; 2];
        let lowest_ceiling = ceiling[..n].iter().copied().fold(f64::INFINITY, f64::min);
        if detecting {
            for (history, peak) in self.history.iter().zip(&mut peak) {
                let history = &history[..kept + n];
                let max_abs = crate::dsp::level::peak(history);
                if f64::from(max_abs) * f64::from(self.detector.bound_gain()) > lowest_ceiling {
                    self.detector.detect(history, &mut peak[..n], lowest_ceiling);
                }
            }
        }
        // Scaled to what the main detector reads on a low tone, so both holds agree on the gain
        // a steady bass note needs and the gain does not creep between its peaks. Both channels
        // in one loop, so the two filters' dependency chains overlap.
        let scale = self.detector.low_frequency_gain();
        let [bass_l, bass_r] = &mut self.bass;
        for i in 0..n {
            bass[0][i] = bass_l.tick(f64::from(left[i])).abs() * scale;
            bass[1][i] = bass_r.tick(f64::from(right[i])).abs() * scale;
        }
        if !detecting {
            bass = [[0.0; CHUNK]; 2];
        }
        self.history[0].copy_within(n..n + kept, 0);
        self.history[1].copy_within(n..n + kept, 0);

        let mut gains_f64 = [[1.0f64; CHUNK]; 2];
        for i in 0..n {
            let c = ceiling[i];
            let k = link[i];
            let gains = if k == 1.0 {
                // Both envelopes would see the same input: run one, and let the right one be its
                // copy from here on (taken when the link drops below 1).
                self.right_follows_left = true;
                let linked = required_gain(f64::from(peak[0][i].max(peak[1][i])), c);
                let linked_bass = required_gain(bass[0][i].max(bass[1][i]), c);
                #[cfg(debug_assertions)]
                self.check(linked, linked);
                let g = self.envelopes[0].tick(linked, linked_bass, &self.release);
                [g, g]
            } else {
                let own = [required_gain(f64::from(peak[0][i]), c), required_gain(f64::from(peak[1][i]), c)];
                let own_bass = [required_gain(bass[0][i], c), required_gain(bass[1][i], c)];
                let linked = own[0].min(own[1]);
                let linked_bass = own_bass[0].min(own_bass[1]);
                // The min() keeps rounding of the blend from ever loosening a channel's own need.
                let blend = |own: f64, linked: f64| (own * (1.0 - k) + linked * k).min(own);
                let required = [blend(own[0], linked), blend(own[1], linked)];
                #[cfg(debug_assertions)]
                self.check(required[0], required[1]);
                if self.right_follows_left {
                    let [l, r] = &mut self.envelopes;
                    r.copy_from(l);
                    self.right_follows_left = false;
                }
                [
                    self.envelopes[0].tick(required[0], blend(own_bass[0], linked_bass), &self.release),
                    self.envelopes[1].tick(required[1], blend(own_bass[1], linked_bass), &self.release),
                ]
            };
            #[cfg(debug_assertions)]
            for (ch, &gain) in gains.iter().enumerate() {
                let bound = self.pending_bounds[ch];
                assert!(gain <= bound, "limiter applied gain {gain} above the required {bound}");
            }
            gains_f64[0][i] = gains[0];
            gains_f64[1][i] = gains[1];
        }
        // Outside the envelope's serial loop, so these passes vectorise.
        self.delay[0].process(left);
        self.delay[1].process(right);
        let mut min_gain = 1.0f64;
        for (channel, gains) in [left, right].into_iter().zip(&gains_f64) {
            for (x, &g) in channel.iter_mut().zip(gains) {
                *x *= gain_to_f32_down(g);
                min_gain = min_gain.min(g);
            }
        }
        min_gain
    }
}
