//! The running true-peak maximum the loudness meter keeps, and offline true peaks of whole
//! signals.

use super::bs1770::BS1770_TAPS_PER_PHASE;
use super::design::RingBound;
use super::interpolators::{Bs1770Interpolator, Reconstructor, sanitize};

/// Headroom for f32 rounding: a computed value exceeds its exact bound by far less than this.
const ROUNDING_MARGIN: f64 = 1e-5;
/// Share of the running peak that the far part of the window may use up in the bound: samples
/// above `FAR_SHARE * peak / far` anywhere in the window force the interpolator to run.
const FAR_SHARE: f64 = 0.4;

/// Running true-peak maximum of one channel through a [`Reconstructor`], running the
/// interpolator only where it could raise the maximum.
///
/// Every interpolated value is a weighted sum of the window samples, so it is bounded through
/// the L1 norms of the coefficients. Three checks, cheapest first, each exact:
/// 1. Runs of samples too small to matter even from the centre of a window are only written to
///    the delay line (in bulk).
/// 2. Ring bound: `near * M0 + next * M1 + far * Mfar` (see [`RingBound`]). A sample is
///    "far-hot" if, when it arrives, `|x| > FAR_SHARE * peak / far`; while no far-hot sample is in
///    the window, `Mfar` is at most that threshold, and the interval passes if
///    `near * M0 + next * M1 <= (1 - FAR_SHARE - 1e-5) * peak`, from the four central samples.
/// 3. Central bound ([`Reconstructor::central_bound`]): the eight central taps exactly, the rest
///    by their L1 norm; the interval passes if that is at most `(1 - 1e-5) * peak`.
///
/// Only an interval failing all three is interpolated. The 1e-5 margins exceed the f32 rounding
/// of the dot products. Thresholds only rise (the peak only grows), so a sample that passed them
/// keeps passing: every skipped interval provably stays at or below the running peak, the result
/// is identical to running the interpolator everywhere, and identical for any block segmentation.
#[derive(Clone, Debug)]
pub struct TruePeakTracker {
    interp: Reconstructor,
    bound: RingBound,
    peak: f32,
    /// `|x|` above this makes the far part of the bound unknown for the next `T` pushes.
    far_threshold: f32,
    /// Central ring bound above this means the finer check must run.
    near_limit: f32,
    /// [`Reconstructor::central_bound`] above this means the interval must be interpolated.
    peak_limit: f32,
    /// `|x|` at or below this cannot fail the central check from any central slot.
    quiet_threshold: f32,
    far_countdown: usize,
    warm_countdown: usize,
    /// Interval evaluations actually run (for tests and benches).
    evaluations: u64,
}

impl TruePeakTracker {
    pub fn new(sample_rate: f64) -> Self {
        let interp = Reconstructor::new(sample_rate);
        let bound = interp.ring_bound();
        Self {
            interp,
            bound,
            peak: 0.0,
            far_threshold: 0.0,
            near_limit: 0.0,
            peak_limit: 0.0,
            quiet_threshold: 0.0,
            far_countdown: 0,
            warm_countdown: 0,
            evaluations: 0,
        }
    }

    pub fn reset(&mut self) {
        self.interp.reset();
        self.set_peak(0.0);
        self.far_countdown = 0;
        self.warm_countdown = 0;
        self.evaluations = 0;
    }

    pub fn reconstructor(&self) -> &Reconstructor {
        &self.interp
    }

    /// Largest interpolated `|value|` so far, through the delayed sample (`latency` behind the
    /// input). It includes the samples themselves up to that point. Linear, not dB.
    pub fn peak(&self) -> f32 {
        self.peak
    }

    /// [`Self::peak`] including the positions still in the delay line and the ringing after the
    /// last sample, as if zeros followed. For the end of a file; does not change the state.
    pub fn peak_with_tail(&self) -> f32 {
        self.peak.max(self.interp.tail_max())
    }

    pub fn evaluations(&self) -> u64 {
        self.evaluations
    }

    fn set_peak(&mut self, peak: f32) {
        let p = f64::from(peak);
        self.peak = peak;
        self.far_threshold = (FAR_SHARE * p / self.bound.far) as f32;
        self.peak_limit = ((1.0 - ROUNDING_MARGIN) * p) as f32;
        let near_limit = (1.0 - FAR_SHARE - ROUNDING_MARGIN) * p;
        self.near_limit = near_limit as f32;
        self.quiet_threshold = (near_limit / (self.bound.near + self.bound.next)) as f32;
    }

    pub fn process(&mut self, samples: &[f32]) {
        let taps = self.interp.taps_per_phase();
        let centre = taps / 2;
        let mut i = 0;
        while i < samples.len() {
            if self.far_countdown == 0 && self.warm_countdown == 0 {
                // Quiet run: only the delay line needs the last `taps` samples of it.
                let threshold = self.quiet_threshold.min(self.far_threshold);
                let run = cold_run_length(&samples[i..], threshold);
                if run > 0 {
                    let start = (i + run).saturating_sub(taps).max(i);
                    for &x in &samples[start..i + run] {
                        self.interp.write(x);
                    }
                    i += run;
                    continue;
                }
            }
            let x = sanitize(samples[i]);
            self.interp.write(x);
            let magnitude = x.abs();
            if magnitude > self.far_threshold {
                self.far_countdown = taps;
            }
            if magnitude > self.quiet_threshold {
                self.warm_countdown = taps;
            }
            let ring_bound_fails = self.far_countdown > 0 || {
                let w = self.interp.window();
                let m0 = w[centre - 1].abs().max(w[centre].abs());
                let m1 = w[centre - 2].abs().max(w[centre + 1].abs());
                let central = self.bound.near as f32 * m0 + self.bound.next as f32 * m1;
                central > self.near_limit
            };
            // Second, tighter check before the full interpolation.
            if ring_bound_fails
                && self.interp.central_bound(self.bound.outer as f32) > self.peak_limit
            {
                self.evaluate();
            }
            self.far_countdown = self.far_countdown.saturating_sub(1);
            self.warm_countdown = self.warm_countdown.saturating_sub(1);
            i += 1;
        }
    }

    #[inline]
    fn evaluate(&mut self) {
        let value = self.interp.interval_max();
        self.evaluations += 1;
        if value > self.peak {
            self.set_peak(value);
        }
    }
}

/// Number of leading samples with `|x| <= threshold` (NaN counts as cold: it is written as 0).
/// A whole chunk is tested at once (a branch-free compare the compiler vectorises), then the
/// samples of the first chunk that fails one by one.
#[inline]
fn cold_run_length(samples: &[f32], threshold: f32) -> usize {
    const CHUNK: usize = 16;
    let cold = |x: &f32| !(x.abs() > threshold);
    let (chunks, _) = samples.as_chunks::<CHUNK>();
    let mut n = 0;
    for chunk in chunks {
        if !chunk.iter().fold(true, |all, x| all & cold(x)) {
            break;
        }
        n += CHUNK;
    }
    n + samples[n..].iter().take_while(|x| cold(x)).count()
}

/// Offline true peak (linear) of a whole signal with the [`Reconstructor`], zero-padded so the
/// last samples and the ringing after them are included. For tests and tools.
pub fn true_peak_of(samples: &[f32], sample_rate: f64) -> f32 {
    let mut interp = Reconstructor::new(sample_rate);
    let mut peak = 0.0f32;
    for &x in samples {
        peak = peak.max(interp.push(x));
    }
    peak.max(interp.tail_max())
}

/// Offline true peak (linear) with the BS.1770 Annex 2 filter, zero-padded to flush; the input
/// samples themselves are not included (take the max with the sample peak if wanted).
pub fn bs1770_true_peak_of(samples: &[f32], sample_rate: f64) -> f32 {
    let mut interp = Bs1770Interpolator::new(sample_rate);
    let mut peak = 0.0f32;
    for &x in samples
        .iter()
        .chain(std::iter::repeat_n(&0.0, BS1770_TAPS_PER_PHASE))
    {
        peak = peak.max(interp.push(x));
    }
    peak
}

