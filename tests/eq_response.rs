//! EQ magnitude against the analog prototypes and against its own exact `response()`,
//! measured from processed impulse responses.

mod common;

use keel_core::dsp::eq::design::{BandSettings, FilterKind, Placement, analog_response, design_band};
use keel_core::dsp::eq::{BANDS, Equalizer, response};
use realfft::RealFftPlanner;
use realfft::num_complex::Complex64;

fn band(kind: FilterKind, freq_hz: f64, gain_db: f64, q: f64) -> BandSettings {
    BandSettings { enabled: true, kind, freq_hz, gain_db, q, slope_db_oct: 12, placement: Placement::Stereo }
}

fn bands_with(first: BandSettings) -> [BandSettings; BANDS] {
    let mut bands = [BandSettings::default(); BANDS];
    bands[0] = first;
    bands
}

/// Left channel's impulse response of the EQ through its real processing path.
fn impulse_response(bands: &[BandSettings; BANDS], fs: f64, len: usize) -> Vec<f64> {
    let mut eq = Equalizer::new(fs);
    eq.set_bands(bands);
    eq.snap();
    let mut left = vec![0.0f32; len];
    let mut right = vec![0.0f32; len];
    left[0] = 1.0;
    right[0] = 1.0;
    eq.process(&mut left, &mut right);
    left.iter().map(|&v| f64::from(v)).collect()
}

/// Discrete-time Fourier transform of a finite impulse response at one frequency.
fn dtft(ir: &[f64], freq_hz: f64, fs: f64) -> Complex64 {
    let w = std::f64::consts::TAU * freq_hz / fs;
    ir.iter().enumerate().map(|(n, &h)| Complex64::from_polar(h, -w * n as f64)).sum()
}

fn db(c: Complex64) -> f64 {
    20.0 * c.norm().log10()
}

fn log_points(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n).map(|i| lo * (hi / lo).powf(i as f64 / (n - 1) as f64)).collect()
}

#[test]
fn bell_1k_matches_analog_within_a_hundredth_of_a_db() {
    let fs = 48_000.0;
    let b = band(FilterKind::Bell, 1000.0, 6.0, 1.0);
    let ir = impulse_response(&bands_with(b), fs, 1 << 16);
    let mut worst = 0.0f64;
    for f in log_points(20.0, 20_000.0, 10) {
        let err = db(dtft(&ir, f, fs)) - db(analog_response(&b, fs, f));
        worst = worst.max(err.abs());
    }
    println!("bell 1 kHz +6 dB Q1 @48k: worst |digital - analog| = {worst:.4} dB");
    assert!(worst <= 0.01, "worst error {worst} dB");
}

#[test]
fn bell_16k_is_not_cramped_at_44k1() {
    let fs = 44_100.0;
    let b = band(FilterKind::Bell, 16_000.0, 6.0, 1.0);
    let ir = impulse_response(&bands_with(b), fs, 1 << 14);
    let err = |f: f64| (db(dtft(&ir, f, fs)) - db(analog_response(&b, fs, f))).abs();
    let worst_to_18k = log_points(20.0, 18_000.0, 200).into_iter().map(err).fold(0.0, f64::max);
    let at_20k = err(20_000.0);
    println!("bell 16 kHz @44.1k: worst to 18 kHz {worst_to_18k:.3} dB, at 20 kHz {at_20k:.3} dB");
    assert!(worst_to_18k <= 0.25);
    assert!(at_20k <= 0.5);
}

/// Worst |digital - analog| up to 20 kHz over f0 <= 16 kHz, gains +-12 dB, at 44.1/48/96 kHz.
fn worst_error(kinds: &[FilterKind], qs: &[f64]) -> (f64, String) {
    let mut worst = (0.0f64, String::new());
    for fs in [44_100.0, 48_000.0, 96_000.0] {
        for &kind in kinds {
            for f0 in log_points(20.0, 16_000.0, 25) {
                for &q in qs {
                    for gain in [-12.0, -6.0, -1.0, 1.0, 6.0, 12.0] {
                        let b = band(kind, f0, gain, q);
                        let d = design_band(&b, fs);
                        for f in log_points(20.0, 20_000.0, 120) {
                            let err = (db(d.response(f, fs)) - db(analog_response(&b, fs, f))).abs();
                            if err > worst.0 {
                                worst = (err, format!("{kind:?} f0 {f0:.0} Hz Q {q} {gain:+} dB @{fs} Hz, at {f:.0} Hz"));
                            }
                        }
                    }
                }
            }
        }
    }
    worst
}

#[test]
fn bells_follow_analog_up_to_20k() {
    let worst = worst_error(&[FilterKind::Bell], &[0.5, 0.707, 1.0, 2.0, 4.0]);
    println!("bells, Q 0.5..4: worst {:.3} dB ({})", worst.0, worst.1);
    assert!(worst.0 <= 0.7, "{worst:?}");
}

/// Includes Q 4 shelves near Nyquist, whose resonant zeros lie close to it (two sections each).
#[test]
fn shelves_follow_analog_up_to_20k() {
    let worst = worst_error(&[FilterKind::LowShelf, FilterKind::HighShelf], &[0.5, 0.707, 1.0, 2.0, 4.0]);
    println!("shelves, Q 0.5..4: worst {:.3} dB ({})", worst.0, worst.1);
    assert!(worst.0 <= 0.7, "{worst:?}");
}

#[test]
fn fourth_order_butterworth_high_pass_at_100_hz() {
    let fs = 48_000.0;
    let b = BandSettings { slope_db_oct: 24, ..band(FilterKind::HighPass, 100.0, 0.0, std::f64::consts::FRAC_1_SQRT_2) };
    let ir = impulse_response(&bands_with(b), fs, 1 << 17);
    let at_100 = db(dtft(&ir, 100.0, fs));
    let at_50 = db(dtft(&ir, 50.0, fs));
    let at_25 = db(dtft(&ir, 25.0, fs));
    println!("BW4 HP 100 Hz: {at_100:.3} dB @100, {at_50:.3} dB @50, {at_25:.3} dB @25");
    assert!((at_100 + 3.01).abs() <= 0.05);
    assert!((at_50 + 24.1).abs() <= 0.1);
    assert!((at_25 + 48.2).abs() <= 0.2);
}

#[test]
fn response_agrees_with_measured_impulse_response() {
    let fs = 48_000.0;
    let mut bands = [BandSettings::default(); BANDS];
    bands[0] = BandSettings { slope_db_oct: 18, ..band(FilterKind::HighPass, 30.0, 0.0, 0.707) };
    bands[1] = band(FilterKind::LowShelf, 120.0, 3.0, 0.707);
    bands[2] = band(FilterKind::Bell, 400.0, -4.0, 2.0);
    bands[3] = band(FilterKind::Bell, 2500.0, 2.5, 0.8);
    bands[4] = band(FilterKind::Notch, 6000.0, 0.0, 4.0);
    bands[5] = band(FilterKind::HighShelf, 9000.0, 2.0, 0.6);
    bands[6] = band(FilterKind::Tilt, 1000.0, -2.0, 1.0);
    bands[7] = BandSettings { slope_db_oct: 12, ..band(FilterKind::LowPass, 19_000.0, 0.0, 0.707) };
    let n = 1 << 17;
    let ir = impulse_response(&bands, fs, n);
    let mut spectrum = RealFftPlanner::<f64>::new().plan_fft_forward(n).make_output_vec();
    let mut input = ir.clone();
    RealFftPlanner::<f64>::new().plan_fft_forward(n).process(&mut input, &mut spectrum).unwrap();
    let mut worst = 0.0f64;
    for (k, bin) in spectrum.iter().enumerate() {
        let f = k as f64 * fs / n as f64;
        // Exclude the notch's null, where dB differences of tiny values mean nothing.
        if !(20.0..=20_000.0).contains(&f) || (f / 6000.0).log2().abs() < 0.05 {
            continue;
        }
        let expected = response(&bands, fs, f);
        worst = worst.max((db(*bin) - db(expected)).abs());
    }
    println!("response() vs measured FFT, 20 Hz..20 kHz: worst {worst:.5} dB");
    assert!(worst <= 0.01);
}

#[test]
fn band_pass_and_notch_have_the_prototype_shape() {
    for fs in [44_100.0, 48_000.0, 96_000.0] {
        for f0 in [50.0, 1000.0, 10_000.0] {
            let bp = design_band(&band(FilterKind::BandPass, f0, 0.0, 2.0), fs);
            assert!(db(bp.response(f0, fs)).abs() < 0.05, "band-pass peak at {f0} @{fs}");
            assert!(db(bp.response(f0 / 8.0, fs)) < -20.0);
            let notch = design_band(&band(FilterKind::Notch, f0, 0.0, 2.0), fs);
            assert!(db(notch.response(f0, fs)) < -80.0);
            assert!(db(notch.response(f0 / 8.0, fs)).abs() < 0.1);
        }
    }
}

#[test]
fn tilt_is_half_the_gain_at_each_end_and_flat_at_its_frequency() {
    let fs = 48_000.0;
    let d = design_band(&band(FilterKind::Tilt, 1000.0, 6.0, 1.0), fs);
    assert!((db(d.response(10.0, fs)) + 3.0).abs() < 0.05);
    assert!((db(d.response(fs / 2.0 * 0.999, fs)) - 3.0).abs() < 0.1);
    assert!(db(d.response(1000.0, fs)).abs() < 0.1);
}

#[test]
fn every_design_in_range_is_stable_and_finite() {
    for fs in [8_000.0, 22_050.0, 44_100.0, 48_000.0, 96_000.0, 192_000.0, 384_000.0] {
        for kind in FilterKind::ALL {
            for f0 in log_points(10.0, 30_000.0, 30) {
                for q in [0.1, 0.3, 0.707, 2.0, 6.0, 18.0] {
                    for gain in [-24.0, -3.0, 0.0, 0.5, 24.0] {
                        for slope in [6, 12, 18, 24, 30, 36, 42, 48] {
                            let b = BandSettings { slope_db_oct: slope, ..band(kind, f0, gain, q) };
                            let d = design_band(&b, fs);
                            for c in &d.sections[..d.count] {
                                assert!(c.is_finite() && c.is_stable(), "{b:?} @{fs}: {c:?}");
                            }
                        }
                    }
                }
            }
        }
    }
}
