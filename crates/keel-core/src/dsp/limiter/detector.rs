//! The limiter's detector: for every sample interval, the largest |value| that either true-peak
//! reading in `true_peak` can take there (the BS.1770 Annex 2 filter and the full-band
//! reconstruction), from one shared window.
//!
//! It runs the meters' coefficients through the meters' kernel (`true_peak::kernel`), so it reads
//! bit-identical values: whatever a meter will see in the limiter's input, the limiter has seen.
//! The half-band runs once per sample for a whole block (`kernel::two_x_block`, shared with the
//! meter's tracker); the rest only where a bound says an interval could need gain.

use crate::dsp::cpu::{self, SimdLevel};
use crate::dsp::true_peak::bs1770::{self, BS1770_FACTOR as BS_PHASES, BS1770_TAPS_PER_PHASE as BS_TAPS};
use crate::dsp::true_peak::design::{
    FineBound, HALF_BAND_TAPS, ROUNDING_MARGIN, ReconstructorDesign, TWO_X, WINDOW, max_phase_l1,
};
use crate::dsp::true_peak::kernel::{
    BLOCK, BLOCK_TWO_X, bs1770_group_peaks, fine_phases_rows, max_abs, phases_for_group, twelve_sample_peaks,
    two_x_block, two_x_window_peaks,
};

#[derive(Clone, Debug)]
pub struct UnionDetector {
    fine_factor: usize,
    half_band: [f32; HALF_BAND_TAPS],
    /// Second stage of the reconstruction, tap-major with phases as lanes.
    fine: Box<[f32]>,
    /// Annex 2 coefficients, tap-major with the 4 phases as lanes, taps reversed to window order.
    bs1770_rows: [[f32; BS_PHASES]; BS_TAPS],
    /// Where the 12-tap BS.1770 window starts inside the reconstruction's window, so both cover
    /// the same interval.
    bs1770_offset: usize,
    /// No second-stage value exceeds this times the largest |y| in its 2x window, no Annex 2
    /// value this times the largest |x| in its window (plus room for f32 rounding).
    fine_l1: f32,
    /// The tighter second check on an interval that `fine_l1` lets through.
    fine_bound: FineBound,
    bs1770_l1: f32,
    /// Either filter's output is at most this times the largest |x| in the whole window.
    bound_gain: f32,
    /// What a steady low tone of amplitude 1 reads: the Annex 2 phases 0 and 3 have a DC gain of
    /// 1.00159 (+0.0138 dB), the reconstruction is normalised to 1.
    low_frequency_gain: f64,
    level: SimdLevel,
}

impl UnionDetector {
    pub fn new(sample_rate: f64) -> Self {
        let design = ReconstructorDesign::for_sample_rate(sample_rate);
        let fine = design.fine_coefficients().into_boxed_slice();
        let bs1770 = bs1770::window_coefficients();
        let composite = design.composite_coefficients();
        let factor = design.factor();
        let composite_l1 =
            (0..factor).map(|k| (0..WINDOW).map(|w| composite[w * factor + k].abs()).sum::<f64>()).fold(0.0, f64::max);
        let margin = 1.0 + ROUNDING_MARGIN;
        let bs1770_l1 = max_phase_l1(&bs1770, BS_PHASES);
        Self {
            fine_factor: design.fine_factor,
            half_band: design.half_band_coefficients(),
            fine_l1: (max_phase_l1(&fine, design.fine_factor) * margin) as f32,
            fine_bound: FineBound::new(&fine, design.fine_factor),
            fine,
            bs1770_rows: bs1770::window_rows(),
            // The reconstruction's interval m is read from x[m - WINDOW/2 ..= m + WINDOW/2 - 1];
            // the Annex 2 interval (m-1, m) from x[m-6 ..= m+5].
            bs1770_offset: WINDOW / 2 - BS_TAPS / 2,
            bs1770_l1: (bs1770_l1 * margin) as f32,
            bound_gain: (composite_l1.max(bs1770_l1) * margin) as f32,
            low_frequency_gain: bs1770::low_frequency_gain(),
            level: cpu::level(),
        }
    }

    /// Window length; the interval a value covers ends `taps/2 - 1` samples before the newest.
    pub fn taps(&self) -> usize {
        WINDOW
    }

    pub fn oversampling(&self) -> usize {
        2 * self.fine_factor
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
    /// `m` = new sample `i` minus `taps/2 - 1`; or 0 where a bound proves it is at most
    /// `threshold` (the caller needs nothing there).
    pub fn detect(&self, history: &[f32], out: &mut [f32], threshold: f64) {
        debug_assert_eq!(history.len(), WINDOW - 1 + out.len());
        let frames = out.len().min(history.len().saturating_sub(WINDOW - 1));
        for (p, piece) in out[..frames].chunks_mut(BLOCK).enumerate() {
            let history = &history[p * BLOCK..p * BLOCK + WINDOW - 1 + piece.len()];
            macro_rules! run {
                ($lanes:literal) => {
                    match self.level {
                        // SAFETY: `level` comes from `cpu::level`, which reports AVX2 and up
                        // only on a CPU that has them.
                        #[cfg(target_arch = "x86_64")]
                        SimdLevel::Avx2 | SimdLevel::Avx512 => unsafe {
                            kernel_avx2::<$lanes>(self, history, piece, threshold)
                        },
                        _ => kernel::<$lanes>(self, history, piece, threshold),
                    }
                };
            }
            match self.fine_factor {
                16 => run!(16),
                _ => run!(8),
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn kernel_avx2<const LB: usize>(d: &UnionDetector, history: &[f32], out: &mut [f32], threshold: f64) {
    kernel::<LB>(d, history, out, threshold);
}

/// Up to `BLOCK` intervals: the 2x stream for all of them at once (the half-band is shared by
/// neighbouring intervals), the bounds of each filter per interval, and each filter only where
/// its bound exceeds `threshold`. A filter left out is provably at or under `threshold`, so the
/// value is still exact wherever it exceeds `threshold`.
#[inline(always)]
fn kernel<const LB: usize>(d: &UnionDetector, history: &[f32], out: &mut [f32], threshold: f64) {
    let n = out.len();
    let mut y = [0.0f32; BLOCK_TWO_X];
    two_x_block(&d.half_band, history, n, &mut y);
    let mut fine_peaks = [0.0f32; BLOCK];
    two_x_window_peaks(&y, n, &mut fine_peaks);
    let mut bs_peaks = [0.0f32; BLOCK];
    twelve_sample_peaks(&history[d.bs1770_offset..], n, &mut bs_peaks);
    let (fine_rows, _) = d.fine.as_chunks::<LB>();
    let bs_rows = &d.bs1770_rows;
    // Every test below is `f64::from(value) > threshold` for an f32 value, which is exactly
    // `value > limit` with `limit` the largest f32 at or under the threshold: f32 compares that
    // vectorise.
    let limit = f32_at_or_below(threshold);
    // The Annex 2 filter eight intervals at a time wherever one of them needs it: with the
    // intervals as lanes it costs less than one interval alone. An interval computed without
    // needing it is under the threshold anyway and reads 0 below.
    let mut values = [0.0f32; BLOCK];
    let needs_bs = |i: usize| d.bs1770_l1 * bs_peaks[i] > limit;
    for start in (0..n).step_by(BS_GROUP) {
        let end = (start + BS_GROUP).min(n);
        if !(start..end).any(needs_bs) {
            continue;
        }
        if end - start == BS_GROUP {
            let group = bs1770_group_peaks::<BS_GROUP>(bs_rows, &history[start + d.bs1770_offset..]);
            values[start..end].copy_from_slice(&group);
        } else {
            for i in (start..end).filter(|&i| needs_bs(i)) {
                let bs_window: &[f32; BS_TAPS] =
                    history[i + d.bs1770_offset..][..BS_TAPS].try_into().expect("a whole Annex 2 window");
                let [bs] = phases_for_group::<BS_PHASES, 1>(bs_rows, bs_window);
                values[i] = max_abs(&bs);
            }
        }
    }
    // The intervals the plain bound lets through, listed without a branch per interval; the
    // second stage runs on those the tighter bound lets through too.
    const { assert!(BLOCK <= 256, "interval indices are listed as u8") };
    let mut listed = [0u8; BLOCK];
    let mut count = 0;
    for i in 0..n {
        listed[count] = i as u8;
        count += usize::from(d.fine_l1 * fine_peaks[i] > limit);
    }
    for &i in &listed[..count] {
        let i = usize::from(i);
        let two_x = &y[2 * i..2 * i + TWO_X];
        if d.fine_bound.of(two_x, fine_peaks[i]) > limit {
            let [early, late] = fine_phases_rows::<LB>(fine_rows, two_x);
            let (a, b) = (max_abs(&early), max_abs(&late));
            let fine = if b > a { b } else { a };
            values[i] = if fine > values[i] { fine } else { values[i] };
        }
    }
    for (value, &v) in out.iter_mut().zip(&values) {
        *value = if v > limit { v } else { 0.0 };
    }
}

/// The largest f32 not above `x` (finite `x` within the f32 range).
fn f32_at_or_below(x: f64) -> f32 {
    let rounded = x as f32;
    if f64::from(rounded) > x { rounded.next_down() } else { rounded }
}

/// Intervals the Annex 2 filter runs on at once: eight lanes of an AVX2 register.
const BS_GROUP: usize = 8;

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
                detector.detect(&history[start..start + taps - 1 + chunk.len()], chunk, 0.0);
            }
            // With a threshold, values proven under it read 0 and the others are unchanged.
            let mut skipped = vec![0.0f32; signal.len()];
            detector.detect(&history, &mut skipped, 1.5);
            for (u, s) in union.iter().zip(&skipped) {
                assert!(*s == *u || (*s == 0.0 && *u <= 1.5));
            }
            assert!(skipped.iter().any(|&s| s == 0.0) && skipped.iter().any(|&s| s > 1.5));
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
