//! EQ processing: precision against an independent f64 reference, block-size independence,
//! placement, the scalar reference path, click-free automation, and no allocation.

mod common;

use common::{assert_no_alloc, rms_db};
use keel_core::dsp::biquad::ScalarSection;
use keel_core::dsp::eq::design::{BandSettings, FilterKind, Placement, design_band};
use keel_core::dsp::eq::{BANDS, Equalizer};
use keel_core::dsp::rng::Rng;

fn band(kind: FilterKind, freq_hz: f64, gain_db: f64, q: f64) -> BandSettings {
    BandSettings { enabled: true, kind, freq_hz, gain_db, q, slope_db_oct: 12, placement: Placement::Stereo }
}

fn noise(seed: u64, len: usize, rms_dbfs: f64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let scale = 10f64.powf(rms_dbfs / 20.0) * 3f64.sqrt();
    (0..len).map(|_| (rng.bipolar() * scale) as f32).collect()
}

fn eight_bands() -> [BandSettings; BANDS] {
    [
        BandSettings { slope_db_oct: 24, ..band(FilterKind::HighPass, 25.0, 0.0, 0.707) },
        band(FilterKind::LowShelf, 90.0, 2.0, 0.707),
        band(FilterKind::Bell, 250.0, -3.0, 1.5),
        band(FilterKind::Bell, 900.0, 1.5, 0.9),
        BandSettings { placement: Placement::Mid, ..band(FilterKind::Bell, 3000.0, -2.0, 2.0) },
        BandSettings { placement: Placement::Side, ..band(FilterKind::HighShelf, 8000.0, 3.0, 0.7) },
        BandSettings { placement: Placement::Left, ..band(FilterKind::Bell, 12_000.0, 1.0, 1.0) },
        band(FilterKind::LowPass, 20_000.0, 0.0, 0.707),
    ]
}

fn process_in_blocks(bands: &[BandSettings; BANDS], fs: f64, l: &[f32], r: &[f32], block: usize) -> (Vec<f32>, Vec<f32>) {
    let mut eq = Equalizer::new(fs);
    eq.set_bands(bands);
    eq.snap();
    let (mut l, mut r) = (l.to_vec(), r.to_vec());
    for (lc, rc) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
        eq.process(lc, rc);
    }
    (l, r)
}

/// Independent reference: plain f64 transposed direct form II per section, no lanes, no
/// smoothing, fed the same f32 input, with the result kept in f64.
fn reference(settings: &BandSettings, fs: f64, input: &[f32]) -> Vec<f64> {
    let design = design_band(settings, fs);
    let mut sections = vec![ScalarSection::default(); design.count];
    input
        .iter()
        .map(|&x| {
            let mut y = f64::from(x);
            for (s, c) in sections.iter_mut().zip(&design.sections) {
                y = s.tick(c, y);
            }
            y
        })
        .collect()
}

#[test]
fn low_bands_keep_f64_precision() {
    let fs = 96_000.0;
    let input = noise(1, 5 * 96_000, -15.0);
    for settings in [
        BandSettings { slope_db_oct: 12, ..band(FilterKind::HighPass, 20.0, 0.0, 0.707) },
        band(FilterKind::LowShelf, 30.0, 6.0, 0.707),
    ] {
        let mut bands = [BandSettings::default(); BANDS];
        bands[0] = settings;
        let (out, _) = process_in_blocks(&bands, fs, &input, &input, 512);
        let expected = reference(&settings, fs, &input);
        let err: Vec<f64> = out.iter().zip(&expected).map(|(&o, &e)| f64::from(o) - e).collect();
        let err_db = rms_db(&err);
        println!("{:?} {} Hz @96k: error against f64 reference {err_db:.1} dBFS RMS", settings.kind, settings.freq_hz);
        assert!(err_db <= -110.0);
    }
}

#[test]
fn output_is_identical_for_any_host_block_size() {
    let fs = 48_000.0;
    let l = noise(2, 48_000, -12.0);
    let r = noise(3, 48_000, -12.0);
    let bands = eight_bands();
    let reference = process_in_blocks(&bands, fs, &l, &r, 4096);
    for block in [1, 17, 64] {
        assert_eq!(process_in_blocks(&bands, fs, &l, &r, block), reference, "block size {block}");
    }
}

#[test]
fn automation_is_identical_for_any_host_block_size() {
    // Settings change at the same absolute sample positions; the output must not depend on
    // how the host cut the blocks around them.
    let fs = 48_000.0;
    let l = noise(4, 48_000, -12.0);
    let run = |block: usize| {
        let mut eq = Equalizer::new(fs);
        let mut bands = eight_bands();
        eq.set_bands(&bands);
        eq.snap();
        let (mut l, mut r) = (l.clone(), l.clone());
        for start in (0..l.len()).step_by(block) {
            let end = (start + block).min(l.len());
            if start % 4096 == 0 {
                bands[3].freq_hz = 500.0 + start as f64 / 20.0;
                bands[2].kind = if start % 8192 == 0 { FilterKind::Bell } else { FilterKind::Notch };
                eq.set_bands(&bands);
            }
            eq.process(&mut l[start..end], &mut r[start..end]);
        }
        (l, r)
    };
    let reference = run(4096);
    for block in [1, 64, 512] {
        assert!(run(block) == reference, "block size {block}");
    }
}

#[test]
fn side_band_leaves_mono_untouched() {
    let fs = 48_000.0;
    let mono = noise(5, 48_000, -6.0);
    let mut bands = [BandSettings::default(); BANDS];
    bands[0] = BandSettings { placement: Placement::Side, ..band(FilterKind::Bell, 2000.0, 12.0, 0.5) };
    bands[1] = BandSettings { placement: Placement::Side, slope_db_oct: 48, ..band(FilterKind::HighPass, 300.0, 0.0, 0.707) };
    let (l, r) = process_in_blocks(&bands, fs, &mono, &mono, 256);
    let diff: Vec<f64> = l.iter().chain(&r).zip(mono.iter().chain(&mono)).map(|(&a, &b)| f64::from(a - b)).collect();
    let peak = diff.iter().fold(0.0f64, |m, d| m.max(d.abs()));
    println!("side-only bands on mono: peak difference {:.1} dBFS", 20.0 * peak.max(1e-300).log10());
    assert!(peak == 0.0 || 20.0 * peak.log10() < -140.0);
}

#[test]
fn placement_routes_each_band_to_its_channel() {
    let fs = 48_000.0;
    let l = noise(6, 8192, -12.0);
    let r = noise(7, 8192, -12.0);
    let mut bands = [BandSettings::default(); BANDS];
    bands[0] = BandSettings { placement: Placement::Left, ..band(FilterKind::Bell, 1000.0, 9.0, 1.0) };
    let (out_l, out_r) = process_in_blocks(&bands, fs, &l, &r, 512);
    assert_eq!(out_r, r, "a left band must not touch the right channel");
    assert_ne!(out_l, l);
}

#[test]
fn lane_kernel_equals_scalar_reference_bit_for_bit() {
    let fs = 44_100.0;
    let l = noise(8, 20_000, -10.0);
    let r = noise(9, 20_000, -10.0);
    let bands = eight_bands();
    let (lane_l, lane_r) = process_in_blocks(&bands, fs, &l, &r, 333);
    let mut eq = Equalizer::new(fs);
    eq.set_bands(&bands);
    eq.snap();
    let (mut sl, mut sr) = (l.clone(), r.clone());
    eq.process_scalar_reference(&mut sl, &mut sr);
    assert_eq!(lane_l, sl);
    assert_eq!(lane_r, sr);
}

/// Largest sample-to-sample step of the output beyond what the steady filter itself produces.
fn max_step(x: &[f32]) -> f32 {
    x.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max)
}

#[test]
fn fast_automation_and_type_changes_do_not_click() {
    // A 100 Hz sine at -6 dBFS: its own largest step is 2*pi*100/48000*0.5 = 0.0065. Sweeping a
    // +12 dB bell across it every 10 ms, and flipping band types, must not add steps anywhere
    // near a click (bound: 4x the largest step of the loudest steady state, +12 dB).
    let fs = 48_000.0;
    let n = 96_000;
    let sine: Vec<f32> = (0..n).map(|i| (0.5 * (std::f64::consts::TAU * 100.0 * i as f64 / fs).sin()) as f32).collect();
    let mut eq = Equalizer::new(fs);
    let mut bands = [BandSettings::default(); BANDS];
    bands[0] = band(FilterKind::Bell, 40.0, 12.0, 1.0);
    eq.set_bands(&bands);
    eq.snap();
    let (mut l, mut r) = (sine.clone(), sine.clone());
    for (k, (lc, rc)) in l.chunks_mut(480).zip(r.chunks_mut(480)).enumerate() {
        bands[0].freq_hz = if k % 2 == 0 { 40.0 } else { 400.0 };
        bands[0].gain_db = if k % 3 == 0 { 12.0 } else { -12.0 };
        bands[1] = if k % 10 == 5 {
            band(FilterKind::HighPass, 30.0, 0.0, 0.707)
        } else {
            BandSettings { enabled: k % 20 < 10, ..band(FilterKind::LowShelf, 60.0, 4.0, 0.7) }
        };
        eq.set_bands(&bands);
        eq.process(lc, rc);
        assert!(lc.iter().all(|x| x.is_finite()));
    }
    let bound = 4.0 * max_step(&sine) * 10f32.powf(12.0 / 20.0);
    let step = max_step(&l);
    println!("largest output step {step:.4}, bound {bound:.4}");
    assert!(step < bound);
}

#[test]
fn processing_allocates_nothing() {
    let fs = 48_000.0;
    let mut eq = Equalizer::new(fs);
    let mut bands = eight_bands();
    eq.set_bands(&bands);
    eq.snap();
    let mut l = noise(10, 4096, -12.0);
    let mut r = l.clone();
    assert_no_alloc(|| {
        for k in 0..32 {
            bands[k % BANDS].gain_db = (k as f64 * 0.7) % 6.0;
            bands[(k + 3) % BANDS].kind = if k % 2 == 0 { FilterKind::Bell } else { FilterKind::HighShelf };
            eq.set_bands(&bands);
            eq.process(&mut l, &mut r);
        }
    });
}
