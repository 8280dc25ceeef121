//! The limiter's detector: for every sample interval, the largest |value| that either true-peak
//! meter in `true_peak` can read there, from one shared window.
//!
//! It evaluates the reconstructor's own coefficients and the BS.1770 Annex 2 table with the
//! meters' kernel (`true_peak::kernel`), so it reads bit-identical values: whatever a meter will
//! see in the limiter's input, the limiter has seen. The meters run one window per sample; here
//! several consecutive windows are in flight at once (same per-lane arithmetic), which keeps the
//! pipelines busy.

use crate::dsp::cpu::{self, SimdLevel};
use crate::dsp::true_peak::bs1770::{self, BS1770_FACTOR as BS_PHASES, BS1770_TAPS_PER_PHASE as BS_TAPS};
use crate::dsp::true_peak::design::{ReconstructorDesign, max_phase_l1};
use crate::dsp::true_peak::kernel::{max_abs, phases_for_group};

#[derive(Clone, Debug)]
pub struct UnionDetector {
    taps: usize,
    factor: usize,
    /// Reconstructor coefficients, tap-major with phases as lanes (`coefficients()` layout).
    reconstructor: Box<[f32]>,
    /// Annex 2 coefficients, tap-major with the 4 phases as lanes, taps reversed to window order.
    bs1770: [f32; BS_TAPS * BS_PHASES],
    /// Where the 12-tap BS.1770 window starts inside the reconstructor's window, so both cover
    /// the same interval.
    bs1770_offset: usize,
    /// No value either filter produces exceeds this times the largest |x| in its window
    /// (largest per-phase coefficient l1 norm, plus room for f32 rounding).
    bound_gain: f32,
    /// What a steady low tone of amplitude 1 reads: the Annex 2 phases 0 and 3 have a DC gain of
    /// 1.00159 (+0.0138 dB), the reconstruction is normalised to 1.
    low_frequency_gain: f64,
    level: SimdLevel,
}

impl UnionDetector {
    pub fn new(sample_rate: f64) -> Self {
        let design = ReconstructorDesign::for_sample_rate(sample_rate);
        let (taps, factor) = (design.taps_per_phase, design.factor);
        assert!(taps / 2 >= BS_TAPS / 2 && taps % 2 == 0, "reconstructor window must contain the BS.1770 window");
        let reconstructor = design.coefficients().into_boxed_slice();
        let bs1770 = bs1770::window_coefficients();
        let bound_gain =
            (max_phase_l1(&reconstructor, factor).max(max_phase_l1(&bs1770, BS_PHASES)) * (1.0 + 1e-5)) as f32;
        let low_frequency_gain = bs1770::low_frequency_gain();
        Self {
            taps,
            factor,
            reconstructor,
            bs1770,
            // The Reconstructor's interval m is read from x[m - taps/2 ..= m + taps/2 - 1]; the
            // Annex 2 interval (m-1, m) from x[m-6 ..= m+5].
            bs1770_offset: taps / 2 - BS_TAPS / 2,
            bound_gain,
            low_frequency_gain,
            level: cpu::level(),
        }
    }

    /// Window length; the interval a value covers ends `taps/2 - 1` samples before the newest.
    pub fn taps(&self) -> usize {
        self.taps
    }

    pub fn oversampling(&self) -> usize {
        self.factor
    }

    /// See the field doc: `detect` never returns more than this times the window's max |x|.
    pub fn bound_gain(&self) -> f32 {
        self.bound_gain
    }

    /// Reading of a steady low-frequency tone per unit amplitude (>= 1).
    pub fn low_frequency_gain(&self) -> f64 {
        self.low_frequency_gain
    }

    /// `history` is `taps - 1` samples followed by `out.len()` new ones. `out[i]` is the largest
    /// |interpolated value| (samples included) of both filters over the interval `(m-1, m]`,
    /// `m` = new sample `i` minus `taps/2 - 1`.
    pub fn detect(&self, history: &[f32], out: &mut [f32]) {
        debug_assert_eq!(history.len(), self.taps - 1 + out.len());
        let frames = out.len().min(history.len().saturating_sub(self.taps - 1));
        let out = &mut out[..frames];
        macro_rules! run {
            ($lanes:literal) => {
                match self.level {
                    // SAFETY: `level` comes from `cpu::level`, which reports AVX2 and up only on
                    // a CPU that has them.
                    #[cfg(target_arch = "x86_64")]
                    SimdLevel::Avx2 | SimdLevel::Avx512 => unsafe { kernel_avx2::<$lanes>(self, history, out) },
                    _ => kernel::<$lanes, 2>(self, history, out),
                }
            };
        }
        match self.factor {
            16 => run!(16),
            8 => run!(8),
            4 => run!(4),
            _ => run!(2),
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn kernel_avx2<const L: usize>(d: &UnionDetector, history: &[f32], out: &mut [f32]) {
    kernel::<L, 2>(d, history, out);
}

/// `S` samples per pass, each with its own accumulators: independent add chains keep the
/// pipelines busy.
#[inline(always)]
fn kernel<const L: usize, const S: usize>(d: &UnionDetector, history: &[f32], out: &mut [f32]) {
    let (rows, _) = d.reconstructor.as_chunks::<L>();
    let rows = &rows[..d.taps];
    let (bs_rows, _) = d.bs1770.as_chunks::<BS_PHASES>();
    let (groups, rest) = out.as_chunks_mut::<S>();
    for (g, group) in groups.iter_mut().enumerate() {
        let i = g * S;
        let window = &history[i..i + d.taps + S - 1];
        let acc = phases_for_group::<L, S>(rows, window);
        let bs_acc = phases_for_group::<BS_PHASES, S>(bs_rows, &window[d.bs1770_offset..]);
        for s in 0..S {
            let (a, b) = (max_abs(&acc[s]), max_abs(&bs_acc[s]));
            group[s] = if b > a { b } else { a };
        }
    }
    let done = groups.len() * S;
    for (j, value) in rest.iter_mut().enumerate() {
        let i = done + j;
        let window = &history[i..i + d.taps];
        let [acc] = phases_for_group::<L, 1>(rows, window);
        let [bs_acc] = phases_for_group::<BS_PHASES, 1>(bs_rows, &window[d.bs1770_offset..]);
        let (a, b) = (max_abs(&acc), max_abs(&bs_acc));
        *value = if b > a { b } else { a };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::rng::Rng;
    use crate::dsp::true_peak::{Bs1770Interpolator, Reconstructor};

    /// The detector must read exactly what the meters read, interval by interval.
    #[test]
    fn reads_what_both_meters_read() {
        for fs in [44_100.0, 48_000.0, 96_000.0, 192_000.0] {
            let detector = UnionDetector::new(fs);
            let taps = detector.taps();
            let mut rng = Rng::new(11);
            let signal: Vec<f32> = (0..3000).map(|_| (2.0 * rng.gaussian()) as f32).collect();
            let mut history = vec![0.0f32; taps - 1];
            history.extend_from_slice(&signal);
            let mut union = vec![0.0f32; signal.len()];
            for (start, chunk) in union.chunks_mut(37).enumerate().map(|(c, ch)| (c * 37, ch)) {
                detector.detect(&history[start..start + taps - 1 + chunk.len()], chunk);
            }
            let mut reconstructor = Reconstructor::new(fs);
            let mut bs1770 = Bs1770Interpolator::new(fs);
            let rc: Vec<f32> = signal.iter().map(|&x| reconstructor.push(x)).collect();
            let bs: Vec<f32> = signal.iter().map(|&x| bs1770.push(x)).collect();
            // Same interval m: the reconstructor reports it taps/2 - 1 samples after x[m],
            // BS.1770 five samples after.
            let lag = taps / 2 - 1 - Bs1770Interpolator::LATENCY;
            for i in lag..signal.len() {
                assert_eq!(union[i], rc[i].max(bs[i - lag]), "fs {fs}, sample {i}");
            }
            let max_x = crate::dsp::level::peak(&signal);
            assert!(union.iter().all(|&v| v <= detector.bound_gain() * max_x));
        }
    }
}
