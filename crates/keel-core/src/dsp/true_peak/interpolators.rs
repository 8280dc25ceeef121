//! The two streaming, per-channel interpolators, with the same interface. Each keeps its window
//! in a [`DelayLine`] and evaluates it with the shared [`kernel`].

use super::bs1770::{self, BS1770_FACTOR, BS1770_TAPS_PER_PHASE};
use super::design::{CENTRAL_SLOTS, MAX_TAPS_PER_PHASE, ReconstructorDesign, RingBound, max_phase_l1};
use super::kernel;
use crate::dsp::cpu::{self, SimdLevel};
use crate::dsp::delay::DelayLine;
use crate::dsp::level::peak;

/// Non-finite input would poison the window for `taps` samples; treat it as silence instead.
#[inline(always)]
pub(super) fn sanitize(x: f32) -> f32 {
    if x.is_finite() { x } else { 0.0 }
}

/// ITU-R BS.1770 Annex 2 4x true-peak interpolator for one channel, streaming.
///
/// Timing: after pushing input sample `x[n]`, the four phases are the interpolated values at
/// positions `m - 1 + (2p + 1)/8`, `p = 0..3`, where `m = n - 5` ([`Self::latency`]). They lie
/// strictly inside the interval `(m-1, m)`; the Annex 2 filter never lands on an input sample,
/// so a caller that wants the samples too must add `|x[m]|` itself. Values within +-1/2 sample
/// of sample `m` are phases 2 and 3 of the push that delivers `m` and phases 0 and 1 of the next.
///
/// The sample rate does not change the filter (always 4x, as in the standard).
#[derive(Clone, Debug)]
pub struct Bs1770Interpolator {
    sample_rate: f64,
    coefs: [f32; BS1770_TAPS_PER_PHASE * BS1770_FACTOR],
    delay: DelayLine,
    level: SimdLevel,
}

impl Bs1770Interpolator {
    /// Input samples between a pushed sample and the end of the interval its phases cover.
    pub const LATENCY: usize = 5;

    pub fn new(sample_rate: f64) -> Self {
        Self {
            sample_rate,
            coefs: bs1770::window_coefficients(),
            delay: DelayLine::new(BS1770_TAPS_PER_PHASE),
            level: cpu::level(),
        }
    }

    pub fn sample_rate(&self) -> f64 {
        self.sample_rate
    }

    pub fn reset(&mut self) {
        self.delay.reset();
    }

    /// Delay, in input samples, from a pushed sample `n` to the sample `m = n - latency` that
    /// ends the interval the returned values cover.
    pub fn latency(&self) -> usize {
        Self::LATENCY
    }

    pub fn oversampling(&self) -> usize {
        BS1770_FACTOR
    }

    /// Position of phase `p` relative to the sample `m` that ends its interval, in samples
    /// (always negative: `-7/8, -5/8, -3/8, -1/8`).
    pub fn phase_offset(&self, phase: usize) -> f64 {
        (2 * phase + 1) as f64 / 8.0 - 1.0
    }

    /// Pushes one sample and returns the largest `|value|` of the four phases (see the type docs
    /// for which positions they are).
    #[inline]
    pub fn push(&mut self, x: f32) -> f32 {
        self.delay.write(sanitize(x));
        kernel::window_peak(self.level, BS1770_FACTOR, &self.coefs, self.delay.window())
    }

    /// Pushes one sample and writes the four phases, earliest first, to `out[..4]`; returns 4.
    /// Panics if `out` is shorter than 4.
    #[inline]
    pub fn push_phases(&mut self, x: f32, out: &mut [f32]) -> usize {
        self.delay.write(sanitize(x));
        kernel::window_phases(self.level, BS1770_FACTOR, &self.coefs, self.delay.window(), out);
        BS1770_FACTOR
    }
}

/// Accurate true-peak interpolator for one channel, streaming (see [`ReconstructorDesign`]).
///
/// Timing: after pushing input sample `x[n]`, the `L` phases are the band-limited
/// reconstruction at positions `m - 1 + k/L`, `k = 1..=L`, where `m = n - latency` and
/// `latency = taps_per_phase/2 - 1`. They cover the half-open interval `(m-1, m]`; the last phase
/// is `x[m]` itself, so the running maximum of [`Self::push`] includes the sample peak. Values
/// within +-1/2 sample of sample `m` are phases `k >= L/2` of the push that delivers `m` and
/// phases `k <= L/2` of the next push.
#[derive(Clone, Debug)]
pub struct Reconstructor {
    design: ReconstructorDesign,
    sample_rate: f64,
    coefs: Box<[f32]>,
    l1_norm: f64,
    delay: DelayLine,
    level: SimdLevel,
}

impl Reconstructor {
    pub fn new(sample_rate: f64) -> Self {
        Self::with_design(
            sample_rate,
            ReconstructorDesign::for_sample_rate(sample_rate),
        )
    }

    /// Panics if the design exceeds [`MAX_FACTOR`] or [`MAX_TAPS_PER_PHASE`], or if the factor
    /// is not 2, 4, 8 or 16, or the taps are odd.
    pub fn with_design(sample_rate: f64, design: ReconstructorDesign) -> Self {
        assert!(
            matches!(design.factor, 2 | 4 | 8 | 16),
            "factor must be 2, 4, 8 or 16"
        );
        assert!(
            design.taps_per_phase.is_multiple_of(2) && design.taps_per_phase <= MAX_TAPS_PER_PHASE
        );
        let coefs = design.coefficients().into_boxed_slice();
        let l1_norm = max_phase_l1(&coefs, design.factor);
        Self {
            design,
            sample_rate,
            coefs,
            l1_norm,
            delay: DelayLine::new(design.taps_per_phase),
            level: cpu::level(),
        }
    }

    /// The kernel build in use (`cpu::level` when made).
    pub fn kernel(&self) -> SimdLevel {
        self.level
    }

    /// Runs the portable build even where the CPU has wider vectors (results are identical; for
    /// comparisons).
    pub fn force_portable_kernel(&mut self) {
        self.level = SimdLevel::Portable;
    }

    /// The current window, oldest first (for the tracker's bounds).
    pub(super) fn window(&self) -> &[f32] {
        self.delay.window()
    }

    /// See [`ReconstructorDesign::ring_bound`].
    pub fn ring_bound(&self) -> RingBound {
        self.design.ring_bound(&self.coefs)
    }

    pub fn design(&self) -> ReconstructorDesign {
        self.design
    }

    pub fn sample_rate(&self) -> f64 {
        self.sample_rate
    }

    pub fn reset(&mut self) {
        self.delay.reset();
    }

    /// Delay, in input samples, from a pushed sample `n` to the sample `m = n - latency` that
    /// ends the interval the returned values cover.
    pub fn latency(&self) -> usize {
        self.design.taps_per_phase / 2 - 1
    }

    pub fn oversampling(&self) -> usize {
        self.design.factor
    }

    pub fn taps_per_phase(&self) -> usize {
        self.design.taps_per_phase
    }

    /// Largest sum of `|coefficient|` over a phase: no interpolated value can exceed
    /// `l1_norm * max |x|` over the window that produced it.
    pub fn l1_norm(&self) -> f64 {
        self.l1_norm
    }

    /// Position of phase `k` (0-based index into [`Self::push_phases`] output) relative to the
    /// sample `m` that ends its interval, in samples: `(k + 1)/L - 1`, from `-(L-1)/L` to 0.
    pub fn phase_offset(&self, phase: usize) -> f64 {
        (phase + 1) as f64 / self.design.factor as f64 - 1.0
    }

    /// Magnitude response of the interpolation filter in dB at `freq` Hz (relative to DC = 0 dB),
    /// computed exactly from the f32 coefficients in use.
    pub fn response_db(&self, freq: f64) -> f64 {
        let (l, t) = (self.design.factor, self.design.taps_per_phase);
        let (mut re, mut im) = (0.0f64, 0.0f64);
        for w in 0..t {
            for k in 1..=l {
                let time = (t / 2) as f64 - 1.0 - w as f64 + k as f64 / l as f64;
                let angle = std::f64::consts::TAU * freq / self.sample_rate * time;
                let c = f64::from(self.coefs[w * l + (k - 1)]);
                re += c * angle.cos();
                im -= c * angle.sin();
            }
        }
        20.0 * (re.hypot(im) / l as f64).log10()
    }

    /// Appends a sample to the delay line without interpolating (for callers that skip).
    #[inline(always)]
    pub fn write(&mut self, x: f32) {
        self.delay.write(sanitize(x));
    }

    /// Largest `|value|` over the interval ending at the current delayed sample (the interval
    /// the last [`Self::write`] delivered).
    #[inline]
    pub fn interval_max(&self) -> f32 {
        kernel::window_peak(self.level, self.design.factor, &self.coefs, self.delay.window())
    }

    /// Pushes one sample and returns the largest `|value|` over the interval `(m-1, m]`.
    #[inline]
    pub fn push(&mut self, x: f32) -> f32 {
        self.write(x);
        self.interval_max()
    }

    /// Pushes one sample and writes the `L` phases, earliest first, to `out[..L]`; returns `L`.
    /// Panics if `out` is shorter than [`Self::oversampling`].
    #[inline]
    pub fn push_phases(&mut self, x: f32, out: &mut [f32]) -> usize {
        self.write(x);
        kernel::window_phases(self.level, self.design.factor, &self.coefs, self.delay.window(), out);
        self.design.factor
    }

    /// Largest `|value|` the reconstruction would still produce if only zeros followed: covers
    /// every position after the current delayed sample, including the ringing after the last
    /// input. Does not change the state.
    pub fn tail_max(&self) -> f32 {
        let t = self.design.taps_per_phase;
        let mut scratch = [0.0f32; 2 * MAX_TAPS_PER_PHASE];
        scratch[..t].copy_from_slice(self.delay.window());
        let mut max = 0.0f32;
        for shift in 1..t {
            let window = &scratch[shift..shift + t];
            let value = kernel::window_peak(self.level, self.design.factor, &self.coefs, window);
            max = max.max(value);
        }
        max
    }

    /// Upper bound on [`Self::interval_max`] for the current window, at about a quarter of its
    /// cost: the eight samples around the interval exactly, the rest through `outer_l1` (from
    /// [`Self::ring_bound`]) times their largest magnitude.
    pub fn central_bound(&self, outer_l1: f32) -> f32 {
        let window = self.delay.window();
        let (l, centre) = (self.design.factor, self.design.taps_per_phase / 2);
        let central = centre - CENTRAL_SLOTS / 2..centre + CENTRAL_SLOTS / 2;
        let coefs = &self.coefs[central.start * l..central.end * l];
        let samples = &window[central.clone()];
        let partial = kernel::window_peak(self.level, l, coefs, samples);
        let outer = peak(&window[..central.start]).max(peak(&window[central.end..]));
        partial + outer_l1 * outer
    }
}
