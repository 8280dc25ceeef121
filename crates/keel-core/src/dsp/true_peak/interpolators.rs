//! The two streaming, per-channel interpolators, with the same interface. Each keeps its window
//! in a [`DelayLine`] and evaluates it with the shared [`kernel`].

use super::bs1770::{self, BS1770_FACTOR, BS1770_TAPS_PER_PHASE};
use super::design::{HALF_BAND_OUTPUTS, HALF_BAND_TAPS, ReconstructorDesign, TWO_X, WINDOW, two_x_window};
use super::kernel;
use crate::dsp::cpu::{self, SimdLevel};
use crate::dsp::delay::DelayLine;

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

    /// The last [`BS1770_TAPS_PER_PHASE`] samples written, oldest first: the window of the
    /// newest interval.
    #[inline(always)]
    pub fn window(&self) -> &[f32] {
        self.delay.window()
    }

    /// Appends a sample to the window without interpolating (for callers that skip).
    #[inline(always)]
    pub fn write(&mut self, x: f32) {
        self.delay.write(sanitize(x));
    }

    /// Pushes one sample and returns the largest `|value|` of the four phases (see the type docs
    /// for which positions they are).
    #[inline]
    pub fn push(&mut self, x: f32) -> f32 {
        self.delay.write(sanitize(x));
        kernel::bs1770_peak(self.level, &self.coefs, self.delay.window())
    }

    /// Largest `|value|` the filter would still produce if only zeros followed (the ringing
    /// after the last input). Does not change the state.
    pub fn tail_max(&self) -> f32 {
        let mut scratch = [0.0f32; 2 * BS1770_TAPS_PER_PHASE];
        scratch[..BS1770_TAPS_PER_PHASE].copy_from_slice(self.delay.window());
        (1..=BS1770_TAPS_PER_PHASE)
            .map(|shift| {
                let window = &scratch[shift..shift + BS1770_TAPS_PER_PHASE];
                kernel::bs1770_peak(self.level, &self.coefs, window)
            })
            .fold(0.0f32, f32::max)
    }

    /// Pushes one sample and writes the four phases, earliest first, to `out[..4]`; returns 4.
    /// Panics if `out` is shorter than 4.
    #[inline]
    pub fn push_phases(&mut self, x: f32, out: &mut [f32]) -> usize {
        self.delay.write(sanitize(x));
        out[..BS1770_FACTOR].copy_from_slice(&kernel::bs1770_phases(self.level, &self.coefs, self.delay.window()));
        BS1770_FACTOR
    }
}

/// Full-band reconstruction of one channel, streaming (see [`ReconstructorDesign`]).
///
/// Timing: after pushing input sample `x[n]`, the `L` phases are the reconstruction at
/// positions `m - 1 + k/L`, `k = 1..=L`, where `m = n - latency` and `latency = WINDOW/2 - 1`.
/// They cover the half-open interval `(m-1, m]`; the last phase is `x[m]` itself, so the
/// running maximum of [`Self::push`] includes the sample peak. Values within +-1/2 sample of
/// sample `m` are phases `k >= L/2` of the push that delivers `m` and phases `k <= L/2` of the
/// next push.
#[derive(Clone, Debug)]
pub struct Reconstructor {
    design: ReconstructorDesign,
    sample_rate: f64,
    half_band: [f32; HALF_BAND_TAPS],
    fine: Box<[f32]>,
    composite_f64: Box<[f64]>,
    l1_norm: f64,
    delay: DelayLine,
    /// Half-band outputs of the current window; the first `half_valid` are up to date (each
    /// write shifts them one place, so consecutive intervals compute one new output each).
    half: [f32; HALF_BAND_OUTPUTS],
    half_valid: usize,
    level: SimdLevel,
}

impl Reconstructor {
    pub fn new(sample_rate: f64) -> Self {
        let design = ReconstructorDesign::for_sample_rate(sample_rate);
        let composite_f64 = design.composite_coefficients().into_boxed_slice();
        let factor = design.factor();
        let l1_norm = (0..factor)
            .map(|k| (0..WINDOW).map(|w| composite_f64[w * factor + k].abs()).sum::<f64>())
            .fold(0.0, f64::max);
        Self {
            design,
            sample_rate,
            half_band: design.half_band_coefficients(),
            fine: design.fine_coefficients().into_boxed_slice(),
            composite_f64,
            l1_norm,
            delay: DelayLine::new(WINDOW),
            half: [0.0; HALF_BAND_OUTPUTS],
            half_valid: 0,
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

    pub fn design(&self) -> ReconstructorDesign {
        self.design
    }

    pub fn sample_rate(&self) -> f64 {
        self.sample_rate
    }

    pub fn reset(&mut self) {
        self.delay.reset();
        self.half_valid = 0;
    }

    /// Delay, in input samples, from a pushed sample `n` to the sample `m = n - latency` that
    /// ends the interval the returned values cover.
    pub fn latency(&self) -> usize {
        WINDOW / 2 - 1
    }

    pub fn oversampling(&self) -> usize {
        self.design.factor()
    }

    /// Input samples one interval's values are computed from.
    pub fn taps_per_phase(&self) -> usize {
        WINDOW
    }

    /// Largest sum of `|coefficient|` over a phase of the composite filter: no interpolated
    /// value can exceed `l1_norm * max |x|` over the window that produced it.
    pub fn l1_norm(&self) -> f64 {
        self.l1_norm
    }

    /// Position of phase `k` (0-based index into [`Self::push_phases`] output) relative to the
    /// sample `m` that ends its interval, in samples: `(k + 1)/L - 1`, from `-(L-1)/L` to 0.
    pub fn phase_offset(&self, phase: usize) -> f64 {
        (phase + 1) as f64 / self.design.factor() as f64 - 1.0
    }

    /// Magnitude response of the whole reconstruction in dB at `freq` Hz (relative to DC = 0 dB),
    /// from its composite coefficients.
    pub fn response_db(&self, freq: f64) -> f64 {
        let l = self.design.factor();
        let (mut re, mut im) = (0.0f64, 0.0f64);
        for w in 0..WINDOW {
            for k in 1..=l {
                let time = (WINDOW / 2) as f64 - 1.0 - w as f64 + k as f64 / l as f64;
                let angle = std::f64::consts::TAU * freq / self.sample_rate * time;
                let c = self.composite_f64[w * l + (k - 1)];
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
        if self.half_valid > 0 {
            self.half.copy_within(1.., 0);
            self.half_valid -= 1;
        }
    }

    /// The current interval's 2x stream, computing only the half-band outputs not yet cached.
    #[inline]
    fn two_x(&mut self) -> [f32; TWO_X] {
        let window = self.delay.window();
        for q in self.half_valid..HALF_BAND_OUTPUTS {
            [self.half[q]] = kernel::half_band_group::<1>(&self.half_band, &window[q..]);
        }
        self.half_valid = HALF_BAND_OUTPUTS;
        let half = self.half;
        two_x_window(window, |q, _| half[q])
    }

    /// Largest `|value|` over the interval ending at the current delayed sample (the interval
    /// the last [`Self::write`] delivered).
    #[inline]
    pub fn interval_max(&mut self) -> f32 {
        let y = self.two_x();
        kernel::fine_peak(self.level, self.design.fine_factor, &self.fine, &y)
    }

    #[inline]
    fn peak_of(&self, window: &[f32]) -> f32 {
        let y = kernel::two_x_stream(&self.half_band, window);
        kernel::fine_peak(self.level, self.design.fine_factor, &self.fine, &y)
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
        let y = self.two_x();
        kernel::fine_phases_into(self.level, self.design.fine_factor, &self.fine, &y, out);
        2 * self.design.fine_factor
    }

    /// Largest `|value|` the reconstruction would still produce if only zeros followed: covers
    /// every position after the current delayed sample, including the ringing after the last
    /// input. Does not change the state.
    pub fn tail_max(&self) -> f32 {
        let mut scratch = [0.0f32; 2 * WINDOW];
        scratch[..WINDOW].copy_from_slice(self.delay.window());
        (1..WINDOW)
            .map(|shift| self.peak_of(&scratch[shift..shift + WINDOW]))
            .fold(0.0f32, f32::max)
    }
}
