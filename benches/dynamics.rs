//! Compressor, limiter and the whole chain, stereo, 48 kHz, 512-frame blocks, on two seconds of a loud
//! drums-bass-noise program that the benches walk through block by block (so detector state,
//! gain reduction and the limiter's skip logic see real program, not one repeated block).
//! Throughput is in stereo frames, so criterion's time per element is ns per frame.
//!
//! No in-process peer: x42-dpl (true-peak mode) is C++; measured separately, not in this bench,
//! it takes about 208 ns per stereo frame on this class of machine (2-core x86-64 VM).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use keel_core::chain::{Chain, ChainSettings};
use keel_core::dsp::compressor::{Compressor, CompressorSettings, DetectorMode};
use keel_core::dsp::eq::design::{BandSettings, FilterKind, Placement};
use keel_core::dsp::limiter::{Limiter, LimiterSettings};
use keel_core::dsp::rng::Rng;
use std::f64::consts::TAU;
use std::hint::black_box;

const FS: f64 = 48_000.0;
const BLOCK: usize = 512;
const PROGRAM_BLOCKS: usize = 188; // about 2 s

/// Kick every 0.5 s, noise snare, a 55 Hz bass and a noise bed; peaks near 0 dBFS.
fn program(seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..BLOCK * PROGRAM_BLOCKS)
        .map(|n| {
            let t = n as f64 / FS;
            let beat = t % 0.5;
            let kick = (TAU * (50.0 * beat + 3.0 * (1.0 - (-beat / 0.03).exp()))).sin() * (-beat / 0.15).exp();
            let noise = rng.gaussian();
            let snare = if beat >= 0.25 { 0.4 * noise * (-(beat - 0.25) / 0.05).exp() } else { 0.0 };
            let bass = 0.3 * (TAU * 55.0 * t).sin();
            (0.5 * kick + snare + bass + 0.05 * noise).clamp(-1.0, 1.0) as f32
        })
        .collect()
}

/// Walks through the program one block per iteration.
struct Feed {
    left: Vec<f32>,
    right: Vec<f32>,
    block: usize,
    out_left: Vec<f32>,
    out_right: Vec<f32>,
}

impl Feed {
    fn new() -> Self {
        Self { left: program(1), right: program(2), block: 0, out_left: vec![0.0; BLOCK], out_right: vec![0.0; BLOCK] }
    }

    fn next(&mut self) -> (&mut [f32], &mut [f32]) {
        let range = self.block * BLOCK..(self.block + 1) * BLOCK;
        self.block = (self.block + 1) % PROGRAM_BLOCKS;
        self.out_left.copy_from_slice(&self.left[range.clone()]);
        self.out_right.copy_from_slice(&self.right[range]);
        (&mut self.out_left, &mut self.out_right)
    }
}

fn bench_compressor(c: &mut Criterion) {
    let mut group = c.benchmark_group("compressor_stereo_48k");
    group.throughput(Throughput::Elements(BLOCK as u64));
    let cases = [
        (
            "peak_linked",
            CompressorSettings { threshold_db: -24.0, ratio: 4.0, knee_db: 6.0, ..CompressorSettings::default() },
        ),
        (
            "rms_auto_release_sc_hpf_link50_mix70",
            CompressorSettings {
                threshold_db: -24.0,
                ratio: 4.0,
                knee_db: 6.0,
                detector: DetectorMode::Rms,
                auto_release: true,
                auto_makeup: true,
                sidechain_hpf_hz: Some(100.0),
                link: 0.5,
                mix: 0.7,
                ..CompressorSettings::default()
            },
        ),
    ];
    for (name, settings) in cases {
        let mut comp = Compressor::new(FS, 0);
        comp.set_params(&settings);
        let mut feed = Feed::new();
        group.bench_function(BenchmarkId::new(name, BLOCK), |b| {
            b.iter(|| {
                let (l, r) = feed.next();
                comp.process(black_box(l), black_box(r));
            })
        });
    }
    group.finish();
}

fn bench_limiter(c: &mut Criterion) {
    let mut group = c.benchmark_group("limiter_stereo_48k");
    group.throughput(Throughput::Elements(BLOCK as u64));
    let cases = [
        // Limiting all the time: every interval goes through the interpolators.
        ("drive_12dB_linked", LimiterSettings { drive_db: 12.0, ..LimiterSettings::default() }),
        ("drive_12dB_link50", LimiterSettings { drive_db: 12.0, link: 0.5, ..LimiterSettings::default() }),
        // Catching only the peaks (a typical safety limiter).
        ("drive_0dB_linked", LimiterSettings { drive_db: 0.0, ..LimiterSettings::default() }),
    ];
    for (name, settings) in cases {
        let mut lim = Limiter::new(FS);
        lim.set_params(&settings);
        let mut feed = Feed::new();
        group.bench_function(BenchmarkId::new(name, BLOCK), |b| {
            b.iter(|| {
                let (l, r) = feed.next();
                lim.process(black_box(l), black_box(r));
            })
        });
    }
    group.finish();
}

/// The plugin's whole path: 4 EQ bands (high-pass, low shelf, bell, high shelf), compressor
/// and limiter on, output gain.
fn bench_chain(c: &mut Criterion) {
    let mut group = c.benchmark_group("chain_stereo_48k");
    group.throughput(Throughput::Elements(BLOCK as u64));
    let band = |kind, freq_hz, gain_db, slope_db_oct| BandSettings {
        enabled: true,
        kind,
        freq_hz,
        gain_db,
        q: 0.707,
        slope_db_oct,
        placement: Placement::Stereo,
    };
    let mut settings = ChainSettings::default();
    settings.eq[0] = band(FilterKind::HighPass, 25.0, 0.0, 24);
    settings.eq[1] = band(FilterKind::LowShelf, 90.0, 1.5, 12);
    settings.eq[2] = band(FilterKind::Bell, 2500.0, -1.0, 12);
    settings.eq[3] = band(FilterKind::HighShelf, 10_000.0, 2.0, 12);
    settings.compressor = CompressorSettings { enabled: true, threshold_db: -20.0, ratio: 2.0, ..CompressorSettings::default() };
    settings.limiter = LimiterSettings { enabled: true, drive_db: 6.0, ceiling_db: -1.0, ..LimiterSettings::default() };
    settings.out_gain_db = -0.3;
    let mut chain = Chain::new(FS);
    chain.set_settings(&settings);
    let mut feed = Feed::new();
    group.bench_function(BenchmarkId::new("eq4_comp_lim", BLOCK), |b| {
        b.iter(|| {
            let (l, r) = feed.next();
            chain.process(black_box(l), black_box(r));
        })
    });
    group.finish();
}

criterion_group!(benches, bench_compressor, bench_limiter, bench_chain);
criterion_main!(benches);
