//! 8 active bands, stereo, 48 kHz, 512-frame blocks: Keel's EQ against the `biquad` crate's
//! f64 DirectForm2Transposed running the same 8 sections in series on each channel.
//! `keel_avx2` and `keel_portable` are the same EQ capped at the kernel builds that CPUs
//! without AVX-512 (or without AVX2) run.
//! Throughput is in stereo frames, so criterion's time per element is ns per frame.

use biquad::{Biquad, Coefficients, DirectForm2Transposed, ToHertz, Type};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use keel_core::dsp::eq::design::{BandSettings, FilterKind, Placement, design_band};
use keel_core::dsp::cpu::{SimdLevel, limit};
use keel_core::dsp::eq::{BANDS, Equalizer};
use keel_core::dsp::rng::Rng;
use std::hint::black_box;

const FS: f64 = 48_000.0;
const BLOCK: usize = 512;

fn bells() -> [BandSettings; BANDS] {
    let freqs = [60.0, 150.0, 400.0, 1000.0, 2500.0, 5000.0, 9000.0, 14_000.0];
    std::array::from_fn(|i| BandSettings {
        enabled: true,
        kind: FilterKind::Bell,
        freq_hz: freqs[i],
        gain_db: if i % 2 == 0 { 3.0 } else { -2.0 },
        q: 1.0,
        slope_db_oct: 12,
        placement: Placement::Stereo,
    })
}

fn input() -> (Vec<f32>, Vec<f32>) {
    let mut rng = Rng::new(11);
    let l = (0..BLOCK).map(|_| (0.25 * rng.bipolar()) as f32).collect();
    let r = (0..BLOCK).map(|_| (0.25 * rng.bipolar()) as f32).collect();
    (l, r)
}

fn bench_eq(c: &mut Criterion) {
    let mut group = c.benchmark_group("eq_8_bands_stereo_48k");
    group.throughput(Throughput::Elements(BLOCK as u64));
    let bands = bells();
    let (l, r) = input();

    let mut eq = Equalizer::new(FS);
    eq.set_bands(&bands);
    eq.snap();
    let (mut bl, mut br) = (l.clone(), r.clone());
    group.bench_function(BenchmarkId::new("keel", BLOCK), |b| {
        b.iter(|| {
            bl.copy_from_slice(&l);
            br.copy_from_slice(&r);
            eq.process(black_box(&mut bl), black_box(&mut br));
        })
    });
    // The builds for CPUs without AVX-512 (the one above picks the best this CPU has).
    for (name, cap) in [("keel_avx2", SimdLevel::Avx2), ("keel_portable", SimdLevel::Portable)] {
        limit(cap);
        group.bench_function(BenchmarkId::new(name, BLOCK), |b| {
            b.iter(|| {
                bl.copy_from_slice(&l);
                br.copy_from_slice(&r);
                eq.process(black_box(&mut bl), black_box(&mut br));
            })
        });
    }
    limit(SimdLevel::Avx512);

    // The peer gets the same 8 sections (RBJ designs from the crate itself; the cost per
    // section does not depend on the coefficient values).
    let coeffs: Vec<Coefficients<f64>> = bands
        .iter()
        .map(|b| {
            Coefficients::<f64>::from_params(Type::PeakingEQ(b.gain_db), FS.hz(), b.freq_hz.hz(), b.q).unwrap()
        })
        .collect();
    assert_eq!(design_band(&bands[0], FS).count, 1);
    let mut left: Vec<DirectForm2Transposed<f64>> = coeffs.iter().map(|&c| DirectForm2Transposed::new(c)).collect();
    let mut right = left.clone();
    let (mut pl, mut pr) = (l.clone(), r.clone());
    group.bench_function(BenchmarkId::new("biquad_crate_df2t_f64", BLOCK), |b| {
        b.iter(|| {
            for (x, out) in l.iter().zip(pl.iter_mut()) {
                let mut y = f64::from(*x);
                for s in left.iter_mut() {
                    y = s.run(y);
                }
                *out = y as f32;
            }
            for (x, out) in r.iter().zip(pr.iter_mut()) {
                let mut y = f64::from(*x);
                for s in right.iter_mut() {
                    y = s.run(y);
                }
                *out = y as f32;
            }
            black_box((&pl, &pr));
        })
    });
    group.finish();
}

criterion_group!(benches, bench_eq);
criterion_main!(benches);
