//! The ITU-R BS.1770 Annex 2 true-peak filter: the standard's table, and the same taps laid out
//! the way the kernels read them. Both the meter and the limiter's detector take their layout
//! from here.

/// BS.1770-5 Annex 2 interpolation filter, indexed `[phase][tap]` (the standard's table has taps
/// as rows and phases as columns). Phase `p` output for input `x[n]` is `sum_k TAPS[p][k] * x[n-k]`.
pub const BS1770_TAPS: [[f64; 12]; 4] = [
    [
        0.0017089843750,
        0.0109863281250,
        -0.0196533203125,
        0.0332031250000,
        -0.0594482421875,
        0.1373291015625,
        0.9721679687500,
        -0.1022949218750,
        0.0476074218750,
        -0.0266113281250,
        0.0148925781250,
        -0.0083007812500,
    ],
    [
        -0.0291748046875,
        0.0292968750000,
        -0.0517578125000,
        0.0891113281250,
        -0.1665039062500,
        0.4650878906250,
        0.7797851562500,
        -0.2003173828125,
        0.1015625000000,
        -0.0582275390625,
        0.0330810546875,
        -0.0189208984375,
    ],
    [
        -0.0189208984375,
        0.0330810546875,
        -0.0582275390625,
        0.1015625000000,
        -0.2003173828125,
        0.7797851562500,
        0.4650878906250,
        -0.1665039062500,
        0.0891113281250,
        -0.0517578125000,
        0.0292968750000,
        -0.0291748046875,
    ],
    [
        -0.0083007812500,
        0.0148925781250,
        -0.0266113281250,
        0.0476074218750,
        -0.1022949218750,
        0.9721679687500,
        0.1373291015625,
        -0.0594482421875,
        0.0332031250000,
        -0.0196533203125,
        0.0109863281250,
        0.0017089843750,
    ],
];

pub const BS1770_FACTOR: usize = 4;
pub const BS1770_TAPS_PER_PHASE: usize = 12;

/// The taps in window order with the phases as lanes: `c[w * 4 + p]` multiplies window slot `w`
/// (slot 0 oldest, slot 11 the newest sample) for phase `p`. Slot `w` holds `x[n - 11 + w]`,
/// which the standard's tap `k = 11 - w` multiplies. Exact in f32: the taps are multiples of
/// 2^-13.
pub fn window_coefficients() -> [f32; BS1770_TAPS_PER_PHASE * BS1770_FACTOR] {
    let mut coefs = [0.0f32; BS1770_TAPS_PER_PHASE * BS1770_FACTOR];
    for w in 0..BS1770_TAPS_PER_PHASE {
        for p in 0..BS1770_FACTOR {
            coefs[w * BS1770_FACTOR + p] = BS1770_TAPS[p][BS1770_TAPS_PER_PHASE - 1 - w] as f32;
        }
    }
    coefs
}

/// [`window_coefficients`] as rows, one per window slot with the phases as lanes: the form the
/// grouped kernels take.
pub fn window_rows() -> [[f32; BS1770_FACTOR]; BS1770_TAPS_PER_PHASE] {
    let coefs = window_coefficients();
    std::array::from_fn(|w| std::array::from_fn(|p| coefs[w * BS1770_FACTOR + p]))
}

/// What a steady low tone of amplitude 1 reads through the filter: the largest phase DC gain
/// (phases 0 and 3 sum to 1.00159, +0.0138 dB).
pub fn low_frequency_gain() -> f64 {
    BS1770_TAPS.iter().map(|phase| phase.iter().sum::<f64>().abs()).fold(1.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_layout_reverses_the_taps_and_is_exact_in_f32() {
        let coefs = window_coefficients();
        for p in 0..BS1770_FACTOR {
            for k in 0..BS1770_TAPS_PER_PHASE {
                let c = coefs[(BS1770_TAPS_PER_PHASE - 1 - k) * BS1770_FACTOR + p];
                assert_eq!(f64::from(c), BS1770_TAPS[p][k]);
            }
        }
        assert!((20.0 * low_frequency_gain().log10() - 0.0138).abs() < 0.0005);
    }
}
