//! K-weighting design: the standard's 48 kHz tables, independently computed coefficients at
//! 44.1 and 96 kHz, the response at reference frequencies, and the analog prototype at every
//! rate from 8 kHz to 384 kHz.

use keel_core::dsp::k_weighting::{KWeighting, design};
use keel_core::dsp::loudness::LoudnessMeter;
use std::f64::consts::TAU;

const RATES: [f64; 13] = [
    8_000.0, 11_025.0, 16_000.0, 22_050.0, 32_000.0, 44_100.0, 48_000.0, 88_200.0, 96_000.0,
    176_400.0, 192_000.0, 352_800.0, 384_000.0,
];

fn assert_close(what: &str, a: f64, b: f64, tolerance: f64) {
    assert!((a - b).abs() <= tolerance, "{what}: {a} vs {b}");
}

#[test]
fn coefficients_at_48k_are_the_bs1770_tables() {
    let k = design(48_000.0);
    let shelf = [
        1.53512485958697,
        -2.69169618940638,
        1.19839281085285,
        -1.69065929318241,
        0.73248077421585,
    ];
    let high_pass = [1.0, -2.0, 1.0, -1.99004745483398, 0.99007225036621];
    let s = k.shelf;
    let h = k.high_pass;
    for (i, (got, want)) in [s.b0, s.b1, s.b2, s.a1, s.a2].iter().zip(shelf).enumerate() {
        assert_close(&format!("shelf {i}"), *got, want, 1e-13);
    }
    for (i, (got, want)) in [h.b0, h.b1, h.b2, h.a1, h.a2]
        .iter()
        .zip(high_pass)
        .enumerate()
    {
        assert_close(&format!("high-pass {i}"), *got, want, 1e-13);
    }
}

#[test]
fn coefficients_at_44k1_and_96k_match_an_independent_computation() {
    // Computed in numpy from the same analog parameters (docs/loudness-notes.md §1.2).
    let cases = [
        (
            44_100.0,
            [
                1.53084123005035,
                -2.65097999515473,
                1.16907907992159,
                -1.66365511325602,
                0.71259542807323,
            ],
            [-1.98916967362980, 0.98919903578704],
        ),
        (
            96_000.0,
            [
                1.55971422897580,
                -2.92674157825108,
                1.37826120231582,
                -1.84460946989011,
                0.85584332293064,
            ],
            [-1.99501754472472, 0.99502375904092],
        ),
    ];
    for (fs, shelf, high_pass) in cases {
        let k = design(fs);
        let s = k.shelf;
        for (got, want) in [s.b0, s.b1, s.b2, s.a1, s.a2].iter().zip(shelf) {
            assert_close(&format!("{fs} shelf"), *got, want, 1e-13);
        }
        assert_close(&format!("{fs} hp a1"), k.high_pass.a1, high_pass[0], 1e-13);
        assert_close(&format!("{fs} hp a2"), k.high_pass.a2, high_pass[1], 1e-13);
    }
}

#[test]
fn response_at_48k_matches_the_reference_points() {
    let k = design(48_000.0);
    let points = [
        (20.0, -13.28),
        (38.0, -6.00),
        (100.0, -1.13),
        (500.0, 0.04),
        (997.0, 0.691),
        (1000.0, 0.698),
        (2000.0, 3.07),
        (10_000.0, 4.04),
    ];
    for (f, db) in points {
        // docs/loudness-notes.md §1.2 rounds to 0.01 dB (0.001 at 997 and 1000 Hz).
        let tolerance = if db == 0.691 || db == 0.698 {
            0.0006
        } else {
            0.006
        };
        assert_close(&format!("{f} Hz"), k.magnitude_db(f), db, tolerance);
    }
}

/// The analog prototypes the design starts from at `f` Hz; with `warp_fs`, at the frequency the
/// prewarped bilinear transform maps `f` to for that sample rate (separately per section, since
/// each is prewarped at its own corner).
fn analog_k_weighting_db(f: f64, warp_fs: Option<f64>) -> f64 {
    let warped = |f: f64, f0: f64| match warp_fs {
        Some(fs) => {
            f0 * (std::f64::consts::PI * f / fs).tan() / (std::f64::consts::PI * f0 / fs).tan()
        }
        None => f,
    };
    let shelf = {
        let (f0, q, gain_db, exponent) = (
            1681.974450955533,
            0.7071752369554196,
            3.999843853973347,
            0.4996667741545416,
        );
        let (vh, vb) = (
            10f64.powf(gain_db / 20.0),
            10f64.powf(gain_db / 20.0).powf(exponent),
        );
        let w = warped(f, f0) / f0; // s = j w
        let (nr, ni) = (1.0 - vh * w * w, vb * w / q);
        let (dr, di) = (1.0 - w * w, w / q);
        20.0 * (nr.hypot(ni) / dr.hypot(di)).log10()
    };
    let high_pass = {
        let (f0, q) = (38.13547087602444, 0.5003270373238773);
        let w = warped(f, f0) / f0;
        let (dr, di) = (1.0 - w * w, w / q);
        // The standard's numerator is 1, -2, 1 without normalisation, so the section's passband
        // gain is 1 + K/Q + K^2 with K = tan(pi f0 / fs): +0.043 dB in the 48 kHz table. Without
        // a rate, use that table's gain.
        let k = (std::f64::consts::PI * f0 / warp_fs.unwrap_or(48_000.0)).tan();
        let gain = 1.0 + k / q + k * k;
        20.0 * (gain * (w * w) / dr.hypot(di)).log10()
    };
    shelf + high_pass
}

#[test]
fn every_rate_from_8k_to_384k_is_the_prewarped_analog_prototype() {
    for fs in RATES {
        let k = design(fs);
        for i in 0..=60 {
            let f = 10.0 * (0.45 * fs / 10.0).powf(i as f64 / 60.0);
            let digital = k.magnitude_db(f);
            assert_close(
                &format!("{fs} Hz at {f:.1} Hz"),
                digital,
                analog_k_weighting_db(f, Some(fs)),
                1e-6,
            );
        }
        // And from 44.1 kHz up, warping and the rate-dependent high-pass gain stay under 0.05 dB
        // from the 48 kHz response, to 4 kHz.
        if fs >= 44_100.0 {
            for i in 0..=40 {
                let f = 10.0 * 400f64.powf(i as f64 / 40.0);
                assert_close(
                    &format!("{fs} Hz unwarped {f:.1} Hz"),
                    k.magnitude_db(f),
                    analog_k_weighting_db(f, None),
                    0.05,
                );
            }
        }
    }
}

#[test]
fn a_full_scale_997_hz_mono_sine_reads_minus_3_01_lufs_plus_the_warping() {
    for fs in RATES {
        let len = (2.0 * fs) as usize;
        let sine: Vec<f32> = (0..len)
            .map(|n| (TAU * 997.0 * n as f64 / fs).sin() as f32)
            .collect();
        // BS.1770: -3.01 LKFS for a 0 dBFS 997 Hz sine in one front channel at 48 kHz; other
        // rates move that by the warping and the high-pass gain (+0.3 dB at 8 kHz, -0.04 dB at
        // 384 kHz), as in libebur128 and the ebur128 crate.
        let expected = -0.691 + 10.0 * 0.5f64.log10() + analog_k_weighting_db(997.0, Some(fs));
        if fs >= 44_100.0 {
            assert_close(&format!("{fs} Hz expectation"), expected, -3.0103, 0.05);
        }
        let mut meter = LoudnessMeter::new(1, fs).unwrap();
        meter.process(&[&sine]);
        assert_close(
            &format!("{fs} Hz momentary"),
            meter.reading().momentary,
            expected,
            0.002,
        );

        // The filter alone: mean square of the K-weighted sine over the second second.
        let mut filter = KWeighting::<1>::new(fs);
        let mut energy = [0.0];
        filter.accumulate_energy([&sine[..len / 2]], len / 2, &mut energy);
        energy = [0.0];
        filter.accumulate_energy([&sine[len / 2..]], len / 2, &mut energy);
        let lufs = -0.691 + 10.0 * (energy[0] / (len / 2) as f64).log10();
        assert_close(&format!("{fs} Hz filter"), lufs, expected, 0.002);
    }
}
