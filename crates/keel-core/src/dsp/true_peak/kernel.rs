//! The polyphase kernel every true-peak reading goes through: the meters (one window per input
//! sample) and the limiter's detector (several consecutive windows at once). One arithmetic for
//! both, so the limiter sees bit for bit what a meter will read: every output is accumulated in
//! the same order whatever the group size.
//!
//! Coefficients are tap-major with the phases as lanes (`c[w * L + k]` multiplies window slot
//! `w` for phase `k`), so the inner loop is a lane-wise multiply-add the compiler vectorises.
//! Even and odd taps go to separate accumulators (tap counts are even), so the additions form
//! two dependency chains; the order is fixed, so every build computes the same values.

use super::bs1770::{BS1770_FACTOR, BS1770_TAPS_PER_PHASE};
use super::design::{FINE_TAPS, HALF_BAND_OUTPUTS, HALF_BAND_TAPS, TWO_X, two_x_window};
use crate::dsp::cpu::SimdLevel;

/// The phases of `S` consecutive windows starting at `window[0]` (`window` holds at least
/// `taps + S - 1` samples). Per lane: even and odd taps in two accumulators, taps in order, the
/// odd sum added to the even one at the end.
#[inline(always)]
pub fn phases_for_group<const L: usize, const S: usize>(rows: &[[f32; L]], window: &[f32]) -> [[f32; L]; S] {
    let (row_pairs, _) = rows.as_chunks::<2>();
    let mut even = [[0.0f32; L]; S];
    let mut odd = [[0.0f32; L]; S];
    // Window pair p starts at tap 2p: its first S values meet the even tap, the next S the odd.
    for (pair, w) in row_pairs.iter().zip(window.windows(S + 1).step_by(2)) {
        let (x0, x1) = (&w[..S], &w[1..]);
        for s in 0..S {
            for k in 0..L {
                even[s][k] += pair[0][k] * x0[s];
                odd[s][k] += pair[1][k] * x1[s];
            }
        }
    }
    for s in 0..S {
        for k in 0..L {
            even[s][k] += odd[s][k];
        }
    }
    even
}

/// `S` consecutive outputs of the symmetric half-band (`coefs` exactly symmetric): output `s`
/// reads `window[s..s + 96]`, folding the two halves first so each tap pair costs one multiply.
/// Even and odd pairs in two accumulators, pairs in order.
#[inline(always)]
pub fn half_band_group<const S: usize>(coefs: &[f32; HALF_BAND_TAPS], window: &[f32]) -> [f32; S] {
    const HALF: usize = HALF_BAND_TAPS / 2;
    let window = &window[..HALF_BAND_TAPS + S - 1];
    // Fixed-size views, so the lane loops below compile to whole-register operations.
    let at = |start: usize| -> &[f32; S] { window[start..start + S].try_into().expect("window holds every lane") };
    let mut even = [0.0f32; S];
    let mut odd = [0.0f32; S];
    for p in 0..HALF / 2 {
        let t = 2 * p;
        let (c0, c1) = (coefs[t], coefs[t + 1]);
        let (a0, b0) = (at(t), at(HALF_BAND_TAPS - 1 - t));
        let (a1, b1) = (at(t + 1), at(HALF_BAND_TAPS - 2 - t));
        for s in 0..S {
            even[s] += c0 * (a0[s] + b0[s]);
            odd[s] += c1 * (a1[s] + b1[s]);
        }
    }
    for s in 0..S {
        even[s] += odd[s];
    }
    even
}

/// Largest |value| over the four Annex 2 phases of each of `S` consecutive windows, the first
/// starting at `x[0]` (`x` holds at least `S + 11` samples). The windows are the lanes here, but
/// each value is accumulated as [`phases_for_group`] accumulates it (even and odd taps in two
/// accumulators, taps in order, odd added to even), so it is bit-identical to a meter's.
#[inline(always)]
pub fn bs1770_group_peaks<const S: usize>(rows: &[[f32; BS1770_FACTOR]; BS1770_TAPS_PER_PHASE], x: &[f32]) -> [f32; S] {
    let at = |start: usize| -> &[f32; S] { x[start..start + S].try_into().expect("x holds every window") };
    let mut even = [[0.0f32; S]; BS1770_FACTOR];
    let mut odd = [[0.0f32; S]; BS1770_FACTOR];
    for p in 0..BS1770_TAPS_PER_PHASE / 2 {
        let (x0, x1) = (at(2 * p), at(2 * p + 1));
        for k in 0..BS1770_FACTOR {
            let (c0, c1) = (rows[2 * p][k], rows[2 * p + 1][k]);
            for s in 0..S {
                even[k][s] += c0 * x0[s];
                odd[k][s] += c1 * x1[s];
            }
        }
    }
    let mut peaks = [0.0f32; S];
    for k in 0..BS1770_FACTOR {
        for s in 0..S {
            let v = (even[k][s] + odd[k][s]).abs();
            peaks[s] = if v > peaks[s] { v } else { peaks[s] };
        }
    }
    peaks
}

/// Largest |value|; the input is finite (windows are sanitised), so a plain compare is exact and
/// lets the halving tree compile to packed max instructions.
#[inline(always)]
pub fn max_abs<const N: usize>(values: &[f32; N]) -> f32 {
    let mut v = values.map(f32::abs);
    let mut width = N;
    while width > 1 {
        width /= 2;
        for k in 0..width {
            v[k] = if v[k + width] > v[k] { v[k + width] } else { v[k] };
        }
    }
    v[0]
}

#[inline(always)]
fn phases_portable<const L: usize>(coefs: &[f32], window: &[f32]) -> [f32; L] {
    let (rows, _) = coefs.as_chunks::<L>();
    let [phases] = phases_for_group::<L, 1>(rows, window);
    phases
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn phases_avx2<const L: usize>(coefs: &[f32], window: &[f32]) -> [f32; L] {
    phases_portable::<L>(coefs, window)
}

/// Every phase of one window (`window.len()` taps).
#[inline(always)]
pub fn phases<const L: usize>(level: SimdLevel, coefs: &[f32], window: &[f32]) -> [f32; L] {
    #[cfg(target_arch = "x86_64")]
    if level >= SimdLevel::Avx2 {
        // SAFETY: `level` comes from `cpu::level`, which reports AVX2 only on a CPU that has it.
        return unsafe { phases_avx2::<L>(coefs, window) };
    }
    let _ = level;
    phases_portable::<L>(coefs, window)
}

/// Largest |value| over the four phases of one BS.1770 Annex 2 window.
#[inline]
pub fn bs1770_peak(level: SimdLevel, coefs: &[f32], window: &[f32]) -> f32 {
    max_abs(&phases::<BS1770_FACTOR>(level, coefs, window))
}

/// The four phases of one BS.1770 Annex 2 window, earliest first.
#[inline]
pub fn bs1770_phases(level: SimdLevel, coefs: &[f32], window: &[f32]) -> [f32; BS1770_FACTOR] {
    phases::<BS1770_FACTOR>(level, coefs, window)
}

/// Intervals one call of [`two_x_block`] covers at most.
pub const BLOCK: usize = 128;
/// Length of the 2x stream of `n` consecutive intervals ([`two_x_block`]'s output for them).
pub const fn two_x_len(n: usize) -> usize {
    2 * (n + HALF_BAND_OUTPUTS - 1)
}
/// Length of [`two_x_block`]'s output for a whole [`BLOCK`].
pub const BLOCK_TWO_X: usize = two_x_len(BLOCK);
/// Half-band outputs computed together: four AVX2 registers per accumulator, enough independent
/// additions to keep the adders busy (with one register the two accumulator chains set the pace).
const HALF_BAND_GROUP: usize = 32;

/// The 2x stream of `n <= BLOCK` consecutive intervals from `history` (`WINDOW - 1 + n`
/// samples): interval `i` reads `y[2i..2i + TWO_X]`, laid out as [`two_x_window`] lays out one.
/// The half-band runs once per sample here, 32 (then 8) outputs at a time (same per-output arithmetic
/// as one at a time).
#[inline(always)]
pub fn two_x_block(half_band: &[f32; HALF_BAND_TAPS], history: &[f32], n: usize, y: &mut [f32]) {
    let outputs = n + HALF_BAND_OUTPUTS - 1;
    let mut half = [0.0f32; BLOCK + HALF_BAND_OUTPUTS - 1];
    let (groups, _) = half[..outputs].as_chunks_mut::<HALF_BAND_GROUP>();
    for (g, group) in groups.iter_mut().enumerate() {
        *group = half_band_group::<HALF_BAND_GROUP>(half_band, &history[g * HALF_BAND_GROUP..]);
    }
    let mut done = groups.len() * HALF_BAND_GROUP;
    let (groups, rest) = half[done..outputs].as_chunks_mut::<8>();
    for group in groups.iter_mut() {
        *group = half_band_group::<8>(half_band, &history[done..]);
        done += 8;
    }
    for (j, value) in rest.iter_mut().enumerate() {
        [*value] = half_band_group::<1>(half_band, &history[done + j..]);
    }
    // Interleaved as pairs (half-band value, then the input sample it precedes), which compiles
    // to vector shuffles instead of one store per value.
    let centres = &history[HALF_BAND_TAPS / 2..HALF_BAND_TAPS / 2 + outputs - 1];
    let (pairs, _) = y.as_chunks_mut::<2>();
    for ((pair, &h), &x) in pairs.iter_mut().zip(&half[..outputs - 1]).zip(centres) {
        *pair = [h, x];
    }
    y[2 * (outputs - 1)] = half[outputs - 1];
}

/// One doubling step of a sliding maximum: `to[j] = max(from[j], from[j + width])`, over the
/// whole fixed-size buffer (a constant trip count with separate source and destination, so it
/// compiles to packed max instructions; entries past the data are zeros and stay harmless).
#[inline(always)]
fn widen<const N: usize>(from: &[f32; N], to: &mut [f32; N], width: usize) {
    for j in 0..N - width {
        to[j] = if from[j + width] > from[j] { from[j + width] } else { from[j] };
    }
}

/// `out[i]` = largest |y| over interval `i`'s 2x stream, `y[2i..2i + TWO_X]`, for the `n`
/// intervals of a [`two_x_block`] (`y` zero past them).
#[inline(always)]
pub fn two_x_window_peaks(y: &[f32; BLOCK_TWO_X], n: usize, out: &mut [f32; BLOCK]) {
    const { assert!(TWO_X == 17) };
    let magnitudes = y.map(f32::abs);
    let (mut a, mut b) = ([0.0f32; BLOCK_TWO_X], [0.0f32; BLOCK_TWO_X]);
    widen(&magnitudes, &mut a, 1); // 2 values from j
    widen(&a, &mut b, 2); // 4
    widen(&b, &mut a, 4); // 8
    widen(&a, &mut b, 8); // 16
    for i in 0..n {
        let (m16, last) = (b[2 * i], magnitudes[2 * i + 16]);
        out[i] = if last > m16 { last } else { m16 };
    }
}

/// `out[i]` = largest |x| over `x[i..i + 12]` for `i < n` (`x` holds at least `n + 11`
/// samples): the BS.1770 window of each interval.
#[inline(always)]
pub fn twelve_sample_peaks(x: &[f32], n: usize, out: &mut [f32; BLOCK]) {
    const LEN: usize = BLOCK + 11;
    let mut magnitudes = [0.0f32; LEN];
    for (m, v) in magnitudes.iter_mut().zip(&x[..n + 11]) {
        *m = v.abs();
    }
    let (mut a, mut b) = ([0.0f32; LEN], [0.0f32; LEN]);
    widen(&magnitudes, &mut a, 1); // 2
    widen(&a, &mut b, 2); // 4
    widen(&b, &mut a, 4); // 8
    for i in 0..n {
        out[i] = if a[i + 4] > a[i] { a[i + 4] } else { a[i] };
    }
}


/// The second stage's phases over both halves of one interval, from its 2x stream (`two_x`
/// holds at least `TWO_X` samples). The same per-lane order as [`phases_for_group`] (even and
/// odd taps in two accumulators, taps in order), written over fixed sizes with the lanes
/// innermost: left to itself the compiler unrolls the eight tap pairs and vectorises across the
/// two windows instead, at a third of the speed.
#[inline(always)]
pub fn fine_phases_rows<const LB: usize>(fine_rows: &[[f32; LB]], two_x: &[f32]) -> [[f32; LB]; 2] {
    let rows: &[[f32; LB]; FINE_TAPS] = fine_rows[..FINE_TAPS].try_into().expect("second stage has FINE_TAPS rows");
    let y: &[f32; TWO_X] = two_x[..TWO_X].try_into().expect("2x stream of one interval");
    let mut even = [[0.0f32; LB]; 2];
    let mut odd = [[0.0f32; LB]; 2];
    for p in 0..FINE_TAPS / 2 {
        let (r0, r1) = (&rows[2 * p], &rows[2 * p + 1]);
        for s in 0..2 {
            let (x0, x1) = (y[2 * p + s], y[2 * p + 1 + s]);
            for k in 0..LB {
                even[s][k] += r0[k] * x0;
                odd[s][k] += r1[k] * x1;
            }
        }
    }
    for s in 0..2 {
        for k in 0..LB {
            even[s][k] += odd[s][k];
        }
    }
    even
}

/// The 2x stream around one interval from its [`WINDOW`](super::design::WINDOW) input samples
/// (layout of [`two_x_window`]).
#[inline]
pub fn two_x_stream(half_band: &[f32; HALF_BAND_TAPS], window: &[f32]) -> [f32; TWO_X] {
    two_x_window(window, |_, w| half_band_group::<1>(half_band, w)[0])
}

#[inline(always)]
fn fine_portable<const LB: usize>(fine: &[f32], two_x: &[f32; TWO_X]) -> [[f32; LB]; 2] {
    let (rows, _) = fine.as_chunks::<LB>();
    fine_phases_rows::<LB>(rows, two_x)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn fine_avx2<const LB: usize>(fine: &[f32], two_x: &[f32; TWO_X]) -> [[f32; LB]; 2] {
    fine_portable::<LB>(fine, two_x)
}

/// The second stage over both halves of an interval: `2 * LB` phases, earliest first.
#[inline(always)]
fn fine_phases<const LB: usize>(level: SimdLevel, fine: &[f32], two_x: &[f32; TWO_X]) -> [[f32; LB]; 2] {
    #[cfg(target_arch = "x86_64")]
    if level >= SimdLevel::Avx2 {
        // SAFETY: `level` comes from `cpu::level`, which reports AVX2 only on a CPU that has it.
        return unsafe { fine_avx2::<LB>(fine, two_x) };
    }
    let _ = level;
    fine_portable::<LB>(fine, two_x)
}

/// Largest |value| of the full-band reconstruction over one interval, from its 2x stream;
/// `fine_factor` is 16 or 8.
#[inline]
pub fn fine_peak(level: SimdLevel, fine_factor: usize, fine: &[f32], two_x: &[f32; TWO_X]) -> f32 {
    fn peak<const LB: usize>(halves: [[f32; LB]; 2]) -> f32 {
        let (a, b) = (max_abs(&halves[0]), max_abs(&halves[1]));
        if b > a { b } else { a }
    }
    match fine_factor {
        16 => peak(fine_phases::<16>(level, fine, two_x)),
        _ => peak(fine_phases::<8>(level, fine, two_x)),
    }
}

/// Writes the `2 * fine_factor` phases of one interval, earliest first, to `out`.
#[inline]
pub fn fine_phases_into(level: SimdLevel, fine_factor: usize, fine: &[f32], two_x: &[f32; TWO_X], out: &mut [f32]) {
    fn write<const LB: usize>(halves: [[f32; LB]; 2], out: &mut [f32]) {
        out[..LB].copy_from_slice(&halves[0]);
        out[LB..2 * LB].copy_from_slice(&halves[1]);
    }
    match fine_factor {
        16 => write(fine_phases::<16>(level, fine, two_x), out),
        _ => write(fine_phases::<8>(level, fine, two_x), out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_compute_what_single_windows_compute() {
        let coefs: Vec<f32> = (0..8 * 4).map(|i| ((i * 37 % 11) as f32 - 5.0) / 7.0).collect();
        let (rows, _) = coefs.as_chunks::<4>();
        let signal: Vec<f32> = (0..20).map(|i| ((i * 13 % 17) as f32 - 8.0) / 9.0).collect();
        let groups = phases_for_group::<4, 3>(rows, &signal[5..]);
        for s in 0..3 {
            assert_eq!(groups[s], phases::<4>(SimdLevel::Portable, &coefs, &signal[5 + s..5 + s + 8]));
            assert_eq!(groups[s], phases::<4>(crate::dsp::cpu::level(), &coefs, &signal[5 + s..5 + s + 8]));
        }
        assert_eq!(max_abs(&[0.5, -2.0, 1.0, 0.0]), 2.0);
    }

    #[test]
    fn half_band_groups_compute_what_single_outputs_compute() {
        let coefs = crate::dsp::true_peak::ReconstructorDesign::for_sample_rate(48_000.0).half_band_coefficients();
        let signal: Vec<f32> = (0..120).map(|i| ((i * 13 % 17) as f32 - 8.0) / 9.0).collect();
        let group = half_band_group::<9>(&coefs, &signal[3..]);
        for s in 0..9 {
            let [single] = half_band_group::<1>(&coefs, &signal[3 + s..]);
            assert_eq!(group[s], single);
            let plain: f64 = (0..HALF_BAND_TAPS).map(|t| f64::from(coefs[t]) * f64::from(signal[3 + s + t])).sum();
            assert!((f64::from(single) - plain).abs() < 1e-5);
        }
    }

    #[test]
    fn annex2_group_peaks_are_the_single_windows_peaks() {
        let coefs = crate::dsp::true_peak::bs1770::window_coefficients();
        let rows = &crate::dsp::true_peak::bs1770::window_rows();
        let mut rng = crate::dsp::rng::Rng::new(3);
        let signal: Vec<f32> = (0..40).map(|_| (2.0 * rng.gaussian()) as f32).collect();
        let group = bs1770_group_peaks::<8>(rows, &signal[5..]);
        for s in 0..8 {
            let window = &signal[5 + s..5 + s + BS1770_TAPS_PER_PHASE];
            assert_eq!(group[s], bs1770_peak(SimdLevel::Portable, &coefs, window));
            assert_eq!(group[s], bs1770_peak(crate::dsp::cpu::level(), &coefs, window));
        }
    }
}
