//! The full-band reconstruction filter: what a DAC's reconstruction (or a careful meter) makes of
//! the samples, flat within 0.01 dB to 0.46 fs and -6 dB at fs/2, and the bounds that follow
//! from its coefficients (docs/dsp-notes.md §1.5).
//!
//! Two stages, so it costs about what a 16x, 32-tap filter costs:
//! 1. A 2x half-band: a Kaiser-windowed sinc (beta 10) over 96 input samples with its cutoff at
//!    fs/2. It sets the response: flat to 0.467 fs, -6 dB at fs/2, -99 dB from 0.533 fs.
//! 2. A short windowed sinc on the 2x stream (16 taps, 16, 8 or 4 phases), flat to 0.56 fs and
//!    rejecting that stream's images from 1.44 fs: it only places the points.
//!
//! Together: 32x up to 192 kHz (16x above), read from a window of
//! [`WINDOW`] input samples.

use crate::dsp::windowed_sinc::kaiser_sinc;

/// Input samples the half-band reads for one 2x sample.
pub const HALF_BAND_TAPS: usize = 96;
/// Kaiser beta of the half-band: about 99 dB of image rejection over 96 samples.
pub const HALF_BAND_BETA: f64 = 10.0;
/// Taps per phase of the second stage, on the 2x stream.
pub const FINE_TAPS: usize = 16;
/// Input samples one interval's values depend on: the second stage's window spans 17 samples
/// of the 2x stream (two consecutive windows), whose nine half-band samples reach 48 input
/// samples further each way.
pub const WINDOW: usize = HALF_BAND_TAPS + FINE_TAPS / 2;
/// Half-band outputs one interval needs.
pub const HALF_BAND_OUTPUTS: usize = FINE_TAPS / 2 + 1;
/// Samples of the 2x stream one interval reads: two overlapping second-stage windows.
pub const TWO_X: usize = 2 * HALF_BAND_OUTPUTS - 1;
/// Largest overall oversampling factor any [`ReconstructorDesign`] uses.
pub const MAX_FACTOR: usize = 32;
/// Passband edge of the second stage, as a fraction of the input rate.
const FINE_PASSBAND: f64 = 0.56;

/// The two stages for one sample rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReconstructorDesign {
    /// Phases of the second stage (16 or 8); the overall factor is twice this.
    pub fine_factor: usize,
    pub fine_beta: f64,
}

impl ReconstructorDesign {
    /// 32x keeps the worst timing under-read of content at fs/2, 20*log10(cos(pi/(2*32))), at
    /// 0.01 dB, up to 192 kHz (at 16x a 192 kHz limiter read 0.018 dB over on the reference of
    /// tests/limiter_reconstruction.rs); 16x above, where the cost per second doubles again.
    pub fn for_sample_rate(sample_rate: f64) -> Self {
        let fine_factor = if sample_rate < 200_000.0 { 16 } else { 8 };
        // Transition of the second stage relative to its own (2x) rate, centred on its Nyquist:
        // from FINE_PASSBAND * fs to 2 fs - FINE_PASSBAND * fs.
        let transition = 1.0 - FINE_PASSBAND;
        let order = (fine_factor * FINE_TAPS - 1) as f64;
        let attenuation_db =
            8.0 + 2.285 * std::f64::consts::TAU * transition / fine_factor as f64 * order;
        Self {
            fine_factor,
            fine_beta: 0.1102 * (attenuation_db.min(120.0) - 8.7),
        }
    }

    /// Overall oversampling factor.
    pub fn factor(&self) -> usize {
        2 * self.fine_factor
    }

    /// The half-band's taps: `c[s]` multiplies window slot `s` (`x[j - 47 + s]`) for the value
    /// at `j + 1/2`. Exactly symmetric and normalised to unit DC gain.
    pub fn half_band_coefficients(&self) -> [f32; HALF_BAND_TAPS] {
        let half = (HALF_BAND_TAPS / 2) as f64;
        let taps: Vec<f64> = (0..HALF_BAND_TAPS)
            .map(|s| kaiser_sinc(half - 0.5 - s as f64, half, HALF_BAND_BETA))
            .collect();
        let dc: f64 = taps.iter().sum();
        let mut coefs = [0.0f32; HALF_BAND_TAPS];
        for s in 0..HALF_BAND_TAPS / 2 {
            let c = (taps[s] / dc) as f32;
            coefs[s] = c;
            coefs[HALF_BAND_TAPS - 1 - s] = c;
        }
        coefs
    }

    /// The second stage, tap-major with phases as lanes: `c[w * L + (k - 1)]` multiplies window
    /// slot `w` (slot 0 oldest) for phase `k = 1..=L`, which interpolates the 2x stream at
    /// `n - 1 + k/L` where `n` sits in slot `FINE_TAPS / 2`. Each phase has unit DC gain; the
    /// last is exactly `y[n]`.
    pub fn fine_coefficients(&self) -> Vec<f32> {
        polyphase_sinc(self.fine_factor, FINE_TAPS, self.fine_beta)
    }

    /// The whole filter as one polyphase filter on the input, in f64, same layout as
    /// [`Self::fine_coefficients`] with [`Self::factor`] lanes and [`WINDOW`] slots: phase `k`
    /// interpolates `m - 1 + k/factor`, `x[m]` in slot `WINDOW / 2`. For bounds and responses;
    /// the signal path runs the two stages.
    pub fn composite_coefficients(&self) -> Vec<f64> {
        let factor = self.factor();
        let half_band: Vec<f64> = self
            .half_band_coefficients()
            .iter()
            .map(|&c| f64::from(c))
            .collect();
        let fine: Vec<f64> = self
            .fine_coefficients()
            .iter()
            .map(|&c| f64::from(c))
            .collect();
        let mut composite = vec![0.0; WINDOW * factor];
        for slot in 0..WINDOW {
            let mut window = [0.0f64; WINDOW];
            window[slot] = 1.0;
            let y = two_x_window(&window, |_, w| {
                w.iter().zip(&half_band).map(|(x, c)| x * c).sum()
            });
            for part in 0..2 {
                for k in 0..self.fine_factor {
                    let value: f64 = (0..FINE_TAPS)
                        .map(|w| fine[w * self.fine_factor + k] * y[part + w])
                        .sum();
                    composite[slot * factor + part * self.fine_factor + k] = value;
                }
            }
        }
        composite
    }
}

/// Relative headroom the bounds carry for f32 rounding: a computed value exceeds its exact bound
/// by far less than this.
pub const ROUNDING_MARGIN: f64 = 1e-5;

/// Input samples around the interval weighed one by one in [`CentreBound`].
const CENTRE_INPUTS: usize = 12;
/// Slot of the first of them in an interval's input window (the interval ends at slot
/// `WINDOW / 2`).
const CENTRE_INPUT_FIRST: usize = WINDOW / 2 - CENTRE_INPUTS / 2;
/// Relative f32 rounding of the two stages, as a share of `l1(half-band) * l1(second stage)`
/// times the window's peak: under 40 roundings of 2^-24 each way, taken ten times over.
const TWO_STAGE_ROUNDING: f64 = 400.0 / (1u64 << 24) as f64;

/// A bound on every value of one interval taken from its input window alone, so it can decide
/// whether the half-band needs to run at all, at a small fraction of its cost.
///
/// Each of the [`CENTRE_INPUTS`] samples around the interval times the largest |composite
/// coefficient| any phase gives its slot, plus the other slots' largest |coefficients| times
/// the window's peak. Every phase's exact value is a sum of coefficient times sample, so none
/// exceeds it. The computed values also carry the f32 rounding of both stages, which grows with
/// the product of their L1 norms rather than with the value, so the rest carries an allowance
/// for it besides the relative margin.
#[derive(Clone, Copy, Debug)]
pub struct CentreBound {
    centre: [f32; CENTRE_INPUTS],
    rest: f32,
}

impl CentreBound {
    pub fn new(design: &ReconstructorDesign) -> Self {
        let margin = 1.0 + ROUNDING_MARGIN;
        let factor = design.factor();
        let composite = design.composite_coefficients();
        let largest = |slot: usize| (0..factor).map(|k| composite[slot * factor + k].abs()).fold(0.0, f64::max);
        let centre_slots = CENTRE_INPUT_FIRST..CENTRE_INPUT_FIRST + CENTRE_INPUTS;
        let centre = std::array::from_fn(|j| (largest(CENTRE_INPUT_FIRST + j) * margin) as f32);
        let half_band_l1: f64 = design.half_band_coefficients().iter().map(|c| f64::from(c.abs())).sum();
        let rounding = TWO_STAGE_ROUNDING * half_band_l1 * max_phase_l1(&design.fine_coefficients(), design.fine_factor);
        let rest: f64 = (0..WINDOW).filter(|s| !centre_slots.contains(s)).map(largest).sum();
        Self { centre, rest: (rest * margin + rounding) as f32 }
    }

    /// `out[i]` bounds |value| over interval `i`, whose input window is `history[i..i + WINDOW]`,
    /// for `i < N`; `peak` is the largest |x| over all those windows.
    #[inline(always)]
    pub fn of_intervals<const N: usize>(&self, history: &[f32], peak: f32) -> [f32; N] {
        let centre = &history[CENTRE_INPUT_FIRST..CENTRE_INPUT_FIRST + N - 1 + CENTRE_INPUTS];
        let mut bounds = [self.rest * peak; N];
        for (j, &weight) in self.centre.iter().enumerate() {
            let inputs: &[f32; N] = centre[j..j + N].try_into().expect("history holds every window");
            for (bound, x) in bounds.iter_mut().zip(inputs) {
                *bound += weight * x.abs();
            }
        }
        bounds
    }
}

/// Slots of the second stage's window weighed one by one in [`FineBound`]: those around the
/// interval (which sits between slots 7 and 8); the others only through the window's peak.
const CENTRE_SLOTS: usize = 6;
const BOUND_CENTRE: std::ops::Range<usize> = FINE_TAPS / 2 - CENTRE_SLOTS / 2..FINE_TAPS / 2 + CENTRE_SLOTS / 2;

/// A bound on the second stage's values over one interval, tighter than `l1 * max |y|` where
/// the 2x stream peaks away from the interval, and a small fraction of an evaluation's cost.
///
/// For the earlier and the later half of the phases apart: each central slot's |y| times the
/// largest |coefficient| any of those phases gives that slot, plus the rest of the slots' largest
/// |coefficients| times the window's peak. Every phase's value is a sum of coefficient times
/// sample, so none exceeds its half's bound. The coefficients carry a margin beyond the f32
/// rounding of both the bound and the value, so a value the bound clears is never computed
/// larger than it.
#[derive(Clone, Copy, Debug)]
pub struct FineBound {
    centre: [[f32; CENTRE_SLOTS]; 2],
    rest: [f32; 2],
}

impl FineBound {
    /// From second-stage coefficients in the layout of [`ReconstructorDesign::fine_coefficients`].
    pub fn new(fine: &[f32], lanes: usize) -> Self {
        let margin = 1.0 + ROUNDING_MARGIN;
        let largest = |slot: usize, half: usize| {
            let phases = half * lanes / 2..(half + 1) * lanes / 2;
            let max = phases.map(|k| f64::from(fine[slot * lanes + k].abs())).fold(0.0, f64::max);
            max * margin
        };
        let centre = [0, 1].map(|half| {
            let mut weights = [0.0f32; CENTRE_SLOTS];
            for (w, slot) in weights.iter_mut().zip(BOUND_CENTRE) {
                *w = largest(slot, half) as f32;
            }
            weights
        });
        let rest = [0, 1].map(|half| {
            (0..FINE_TAPS).filter(|s| !BOUND_CENTRE.contains(s)).map(|slot| largest(slot, half)).sum::<f64>() as f32
        });
        Self { centre, rest }
    }

    /// Bound on |value| over both second-stage windows of one interval: `two_x` is its 2x
    /// stream ([`TWO_X`] samples), `peak` the largest |y| in it.
    #[inline(always)]
    pub fn of(&self, two_x: &[f32], peak: f32) -> f32 {
        let mut bound = 0.0f32;
        for window in 0..2 {
            let centre = &two_x[window + BOUND_CENTRE.start..window + BOUND_CENTRE.end];
            for half in 0..2 {
                let mut sum = self.rest[half] * peak;
                for (w, y) in self.centre[half].iter().zip(centre) {
                    sum += w * y.abs();
                }
                bound = if sum > bound { sum } else { bound };
            }
        }
        bound
    }
}

/// The 17 samples of the 2x stream around one interval, from its input window: half-band
/// values (output `q` computed by `half_band` from a 96-sample slice) at the even slots, input samples at
/// the odd ones. Slot 9 of the result is the interval's own sample, `x[m]`.
#[inline(always)]
pub fn two_x_window<T: Copy + Default>(
    window: &[T],
    mut half_band: impl FnMut(usize, &[T]) -> T,
) -> [T; TWO_X] {
    let mut y = [T::default(); TWO_X];
    for q in 0..HALF_BAND_OUTPUTS {
        y[2 * q] = half_band(q, &window[q..q + HALF_BAND_TAPS]);
    }
    for q in 0..HALF_BAND_OUTPUTS - 1 {
        y[2 * q + 1] = window[HALF_BAND_TAPS / 2 + q];
    }
    y
}

/// A windowed-sinc interpolator by `factor` with `taps` per phase, cutoff at the input's
/// Nyquist, in the tap-major layout of [`ReconstructorDesign::fine_coefficients`].
fn polyphase_sinc(factor: usize, taps: usize, beta: f64) -> Vec<f32> {
    let half = (taps / 2) as f64;
    let mut coefs = vec![0.0f32; factor * taps];
    for k in 1..=factor {
        if k == factor {
            // Integer position: a pure delay, so the reconstruction contains the samples.
            coefs[(taps / 2) * factor + (k - 1)] = 1.0;
            continue;
        }
        let phase: Vec<f64> = (0..taps)
            .map(|w| kaiser_sinc(half - w as f64 - 1.0 + k as f64 / factor as f64, half, beta))
            .collect();
        let dc: f64 = phase.iter().sum();
        for (w, c) in phase.iter().enumerate() {
            coefs[w * factor + (k - 1)] = (c / dc) as f32;
        }
    }
    coefs
}

/// The largest sum of |coefficient| over the phases of a tap-major, phase-lane layout with
/// `lanes` phases: no output of the filter exceeds this times the largest |x| in its window.
pub fn max_phase_l1(coefs: &[f32], lanes: usize) -> f64 {
    (0..lanes)
        .map(|k| {
            coefs
                .iter()
                .skip(k)
                .step_by(lanes)
                .map(|c| f64::from(c.abs()))
                .sum::<f64>()
        })
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Magnitude response of the composite filter (phases interleaved into one impulse
    /// response at the oversampled rate), in dB re DC.
    fn response_db(design: &ReconstructorDesign, relative_freq: f64) -> f64 {
        let factor = design.factor();
        let c = design.composite_coefficients();
        let (mut re, mut im) = (0.0f64, 0.0f64);
        for w in 0..WINDOW {
            for k in 1..=factor {
                let time = (WINDOW / 2) as f64 - 1.0 - w as f64 + k as f64 / factor as f64;
                let angle = std::f64::consts::TAU * relative_freq * time;
                re += c[w * factor + k - 1] * angle.cos();
                im -= c[w * factor + k - 1] * angle.sin();
            }
        }
        20.0 * (re.hypot(im) / factor as f64).log10()
    }

    #[test]
    fn flat_to_0_46_fs_minus_6_db_at_half_the_rate_and_images_rejected() {
        for fs in [44_100.0, 96_000.0, 192_000.0] {
            let d = ReconstructorDesign::for_sample_rate(fs);
            let ripple = (0..=460)
                .map(|i| response_db(&d, i as f64 / 1000.0).abs())
                .fold(0.0, f64::max);
            let at_half = response_db(&d, 0.5);
            let stop = (540..=(1000 * d.factor() / 2))
                .step_by(7)
                .map(|i| response_db(&d, i as f64 / 1000.0))
                .fold(f64::NEG_INFINITY, f64::max);
            assert!(ripple < 0.01, "{fs}: passband ripple {ripple} dB");
            assert!((at_half + 6.02).abs() < 0.1, "{fs}: {at_half} dB at fs/2");
            assert!(stop < -90.0, "{fs}: images at {stop} dB");
        }
    }

    #[test]
    fn phases_sum_to_one_and_the_last_is_the_sample() {
        let d = ReconstructorDesign::for_sample_rate(48_000.0);
        let c = d.composite_coefficients();
        let factor = d.factor();
        for k in 0..factor {
            let dc: f64 = (0..WINDOW).map(|w| c[w * factor + k]).sum();
            assert!((dc - 1.0).abs() < 1e-6, "phase {k}: {dc}");
        }
        for w in 0..WINDOW {
            let expected = if w == WINDOW / 2 { 1.0 } else { 0.0 };
            assert_eq!(c[w * factor + factor - 1], expected);
        }
        let hb = d.half_band_coefficients();
        assert!(hb.iter().zip(hb.iter().rev()).all(|(a, b)| a == b));
    }

    /// Every phase of an interval stays within its [`CentreBound`], exactly (f64, through the
    /// composite) and as the kernels compute it (f32, two stages): on noise with a spike
    /// anywhere in the window, and on windows whose signs follow one phase's coefficients, which
    /// bring that phase closest to the bound.
    #[test]
    fn centre_bound_holds_for_every_phase() {
        use crate::dsp::true_peak::kernel;
        for fs in [48_000.0, 192_000.0, 384_000.0] {
            let design = ReconstructorDesign::for_sample_rate(fs);
            let bound = CentreBound::new(&design);
            let (factor, composite) = (design.factor(), design.composite_coefficients());
            let (half_band, fine) = (design.half_band_coefficients(), design.fine_coefficients());
            let mut rng = crate::dsp::rng::Rng::new(23);
            let mut tight = 0.0f64;
            for trial in 0..6_000 {
                let mut x: [f32; WINDOW] = std::array::from_fn(|_| rng.gaussian() as f32);
                if trial % 2 == 0 {
                    x[trial % WINDOW] *= 4.0;
                } else {
                    let phase = trial / 2 % factor;
                    for (s, v) in x.iter_mut().enumerate() {
                        *v = 0.7f32.copysign(composite[s * factor + phase] as f32);
                    }
                }
                let peak = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                let [limit] = bound.of_intervals::<1>(&x, peak);
                let two_x = kernel::two_x_stream(&half_band, &x);
                for level in [crate::dsp::cpu::SimdLevel::Portable, crate::dsp::cpu::level()] {
                    let computed = kernel::fine_peak(level, design.fine_factor, &fine, &two_x);
                    assert!(computed <= limit, "fs {fs}, trial {trial}: {computed} over {limit}");
                }
                for k in 0..factor {
                    let exact: f64 = (0..WINDOW).map(|s| composite[s * factor + k] * f64::from(x[s])).sum();
                    assert!(exact.abs() <= f64::from(limit), "fs {fs}, trial {trial}, phase {k}");
                    tight = tight.max(exact.abs() / f64::from(limit));
                }
            }
            // Not vacuous: the phase its signs follow comes within a quarter of it (the bound takes
            // each slot's largest coefficient over all phases, which no single phase has).
            assert!(tight > 0.75, "fs {fs}: closest {tight}");
        }
    }

    /// Every phase of both second-stage windows stays within the bound, computed in f64 and in
    /// the f32 the kernels use, on streams whose peak sits anywhere, including right at the
    /// interval (where the bound is tightest).
    #[test]
    fn fine_bound_holds_for_every_phase() {
        for fs in [48_000.0, 192_000.0, 384_000.0] {
            let design = ReconstructorDesign::for_sample_rate(fs);
            let lanes = design.fine_factor;
            let fine = design.fine_coefficients();
            let bound = FineBound::new(&fine, lanes);
            let mut rng = crate::dsp::rng::Rng::new(17);
            let mut tight = 0.0f64;
            for trial in 0..20_000 {
                let mut y: [f32; TWO_X] = std::array::from_fn(|_| rng.gaussian() as f32);
                y[trial % TWO_X] *= 4.0;
                let peak = y.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                let limit = bound.of(&y, peak);
                // As the meters and the limiter compute it, in f32.
                for level in [crate::dsp::cpu::SimdLevel::Portable, crate::dsp::cpu::level()] {
                    let computed = crate::dsp::true_peak::kernel::fine_peak(level, lanes, &fine, &y);
                    assert!(computed <= limit, "fs {fs}, trial {trial}: {computed} over {limit}");
                }
                // Exactly, in f64.
                for window in 0..2 {
                    for k in 0..lanes {
                        let exact: f64 =
                            (0..FINE_TAPS).map(|w| f64::from(fine[w * lanes + k]) * f64::from(y[window + w])).sum();
                        assert!(exact.abs() <= f64::from(limit), "fs {fs}, trial {trial}");
                        tight = tight.max(exact.abs() / f64::from(limit));
                    }
                }
            }
            // Not vacuous: some values come close to it.
            assert!(tight > 0.9, "fs {fs}: closest {tight}");
        }
    }
}

