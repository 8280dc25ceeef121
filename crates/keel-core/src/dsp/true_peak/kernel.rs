//! The polyphase kernel every true-peak reading goes through: the meters (one window per input
//! sample) and the limiter's detector (several consecutive windows at once). One arithmetic for
//! both, so the limiter sees bit for bit what a meter will read.
//!
//! Coefficients are tap-major with the phases as lanes (`c[w * L + k]` multiplies window slot
//! `w` for phase `k`), so the inner loop is a lane-wise multiply-add the compiler vectorises.
//! Even and odd taps go to separate accumulators (tap counts are even), so the additions form
//! two dependency chains; the order is fixed, so every build computes the same values.

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

/// Largest |value| over the phases of one window, for any of the supported factors.
#[inline]
pub fn window_peak(level: SimdLevel, factor: usize, coefs: &[f32], window: &[f32]) -> f32 {
    match factor {
        16 => max_abs(&phases::<16>(level, coefs, window)),
        8 => max_abs(&phases::<8>(level, coefs, window)),
        4 => max_abs(&phases::<4>(level, coefs, window)),
        _ => max_abs(&phases::<2>(level, coefs, window)),
    }
}

/// Writes the phases of one window, earliest first, to `out[..factor]`.
#[inline]
pub fn window_phases(level: SimdLevel, factor: usize, coefs: &[f32], window: &[f32], out: &mut [f32]) {
    match factor {
        16 => out[..16].copy_from_slice(&phases::<16>(level, coefs, window)),
        8 => out[..8].copy_from_slice(&phases::<8>(level, coefs, window)),
        4 => out[..4].copy_from_slice(&phases::<4>(level, coefs, window)),
        _ => out[..2].copy_from_slice(&phases::<2>(level, coefs, window)),
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
}
