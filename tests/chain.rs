//! The whole chain: latency honesty in every mode and in bypass, block-size independence,
//! recovery from NaN/Inf, and no allocation while processing.

mod common;

use common::assert_no_alloc;
use keel_core::chain::{Chain, ChainSettings};
use keel_core::dsp::eq::design::{BandSettings, FilterKind, Placement};
use keel_core::dsp::rng::Rng;

fn busy_settings() -> ChainSettings {
    let mut s = ChainSettings::default();
    s.eq[0] = BandSettings { enabled: true, kind: FilterKind::HighPass, freq_hz: 30.0, gain_db: 0.0, q: 0.707, slope_db_oct: 24, placement: Placement::Stereo };
    s.eq[1] = BandSettings { enabled: true, kind: FilterKind::Bell, freq_hz: 2500.0, gain_db: 3.0, q: 1.0, slope_db_oct: 12, placement: Placement::Mid };
    s.compressor.enabled = true;
    s.compressor.threshold_db = -24.0;
    s.limiter.enabled = true;
    s.limiter.drive_db = 6.0;
    s.out_gain_db = -0.5;
    s
}

fn noise(seed: u64, len: usize, amp: f64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..len).map(|_| (amp * rng.bipolar()) as f32).collect()
}

fn run(settings: &ChainSettings, fs: f64, l: &[f32], r: &[f32], block: usize) -> (Vec<f32>, Vec<f32>) {
    let mut chain = Chain::new(fs);
    chain.set_settings(settings);
    let (mut l, mut r) = (l.to_vec(), r.to_vec());
    for (lc, rc) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
        chain.process(lc, rc);
    }
    (l, r)
}

#[test]
fn reported_latency_is_the_measured_delay_in_every_mode_and_in_bypass() {
    for fs in [44_100.0, 48_000.0, 88_200.0, 96_000.0, 192_000.0] {
        let latency = Chain::new(fs).latency();
        assert_eq!(latency, Chain::latency_for(fs));
        for (name, settings) in [
            ("default", ChainSettings::default()),
            ("bypass", ChainSettings { bypass: true, ..busy_settings() }),
            ("limiter off", ChainSettings { limiter: keel_core::dsp::limiter::LimiterSettings { enabled: false, ..busy_settings().limiter }, ..ChainSettings::default() }),
        ] {
            let mut impulse = vec![0.0f32; latency + 64];
            impulse[0] = 0.25;
            let (l, _) = run(&settings, fs, &impulse, &impulse, 32);
            let peak = l.iter().enumerate().max_by(|a, b| a.1.abs().total_cmp(&b.1.abs())).unwrap().0;
            assert_eq!(peak, latency, "{name} at {fs} Hz");
        }
    }
}

#[test]
fn default_settings_are_a_pure_delay() {
    let fs = 48_000.0;
    let l = noise(1, 10_000, 0.5);
    let r = noise(2, 10_000, 0.5);
    let (ol, or) = run(&ChainSettings::default(), fs, &l, &r, 512);
    let d = Chain::new(fs).latency();
    assert_eq!(&ol[d..], &l[..l.len() - d]);
    assert_eq!(&or[d..], &r[..r.len() - d]);
}

#[test]
fn output_is_identical_for_any_host_block_size() {
    let fs = 48_000.0;
    let l = noise(3, 48_000, 0.7);
    let r = noise(4, 48_000, 0.7);
    let settings = busy_settings();
    let reference = run(&settings, fs, &l, &r, 4096);
    for block in [1, 17, 64] {
        assert!(run(&settings, fs, &l, &r, block) == reference, "block size {block}");
    }
}

#[test]
fn non_finite_input_silences_the_block_and_the_chain_recovers() {
    let fs = 48_000.0;
    let mut chain = Chain::new(fs);
    chain.set_settings(&busy_settings());
    let mut l = noise(5, 512, 0.5);
    let mut r = l.clone();
    chain.process(&mut l, &mut r);
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut l = noise(6, 512, 0.5);
        let mut r = l.clone();
        l[100] = bad;
        chain.process(&mut l, &mut r);
        assert!(l.iter().chain(&r).all(|&x| x == 0.0));
        for _ in 0..20 {
            let mut l = noise(7, 512, 0.5);
            let mut r = l.clone();
            chain.process(&mut l, &mut r);
            assert!(l.iter().chain(&r).all(|x| x.is_finite() && x.abs() <= 1.0));
        }
    }
    assert_eq!(chain.non_finite_blocks(), 3);
}

#[test]
fn processing_with_changing_settings_allocates_nothing() {
    let fs = 48_000.0;
    let mut chain = Chain::new(fs);
    let mut settings = busy_settings();
    chain.set_settings(&settings);
    let mut l = noise(8, 1024, 0.5);
    let mut r = l.clone();
    assert_no_alloc(|| {
        for k in 0..64 {
            settings.eq[1].gain_db = (k % 7) as f64;
            settings.compressor.ratio = 1.0 + (k % 5) as f32;
            settings.limiter.ceiling_db = -((k % 3) as f32);
            settings.bypass = k % 16 == 8;
            chain.set_settings(&settings);
            chain.process(&mut l, &mut r);
        }
    });
}
