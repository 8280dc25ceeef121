//! Loudness meter against the `ebur128` crate, stereo, 48 kHz, 512-frame blocks, planar f32.
//! Throughput is in stereo frames, so criterion's time per element is ns per frame.
//!
//! Two situations, each with and without true peak:
//! - `plugin`: one meter runs on and on, each iteration measures the next block of a 20 s
//!   programme (looping). This is the meter on a mix bus.
//! - `file`: a fresh meter measures a whole 10 s programme from its start (construction not
//!   timed). This is `keel measure`; the true-peak maximum is still being established.
//! - `noise`: as `plugin`, on steady white noise, with true peak: the hardest case for the
//!   true-peak skipping (a Gaussian's peak is only ~4.5 sigma above its typical samples).
//!
//! Peers: the crate with `I | LRA | TRUE_PEAK` (queue mode, its exact mode) and the same with
//! `HISTOGRAM`; without true peak, `I | LRA` and `I | LRA | HISTOGRAM`. Keel computes M, S, I and
//! LRA every 100 ms and the maxima every 10 ms inside `process`; the crate computes M, S, I and
//! LRA only when asked, which the plugin benches never do (the file benches ask for I once), so
//! its figures leave that work out. Readings are not taken per block on either side.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ebur128::{EbuR128, Mode};
use keel_core::dsp::loudness::LoudnessMeter;
use keel_core::dsp::rng::Rng;
use std::f64::consts::TAU;
use std::hint::black_box;

const FS: f64 = 48_000.0;
const BLOCK: usize = 512;

/// Mastered-sounding stereo programme: kick, snare, bass, chords and a noise bed, with a
/// breakdown and a build, peaks near -1 dBFS.
fn programme(seconds: f64, seed: u64) -> [Vec<f32>; 2] {
    let len = (seconds * FS) as usize;
    let mut rng = Rng::new(seed);
    let mut left = Vec::with_capacity(len);
    let mut right = Vec::with_capacity(len);
    let chord = [220.0, 277.18, 329.63, 440.0];
    for n in 0..len {
        let t = n as f64 / FS;
        let beat = t % 0.5;
        let section = ((t / 5.0) as usize) % 4; // full, breakdown, build, full
        let drums = if section == 1 { 0.0 } else { 1.0 };
        let kick =
            (TAU * (50.0 * beat + 3.0 * (1.0 - (-beat / 0.03).exp()))).sin() * (-beat / 0.15).exp();
        let noise_l = rng.gaussian();
        let noise_r = rng.gaussian();
        let snare = if beat >= 0.25 {
            0.3 * (-(beat - 0.25) / 0.05).exp()
        } else {
            0.0
        };
        let bass = 0.25 * (TAU * 55.0 * t).sin();
        let pad: f64 = chord.iter().map(|f| (TAU * f * t).sin()).sum::<f64>() * 0.06;
        let swell = if section == 2 { (t % 5.0) / 5.0 } else { 1.0 };
        let common = swell * (drums * (0.45 * kick) + bass + pad);
        left.push((common + drums * snare * noise_l + 0.03 * noise_l).clamp(-0.89, 0.89) as f32);
        right.push((common + drums * snare * noise_r + 0.03 * noise_r).clamp(-0.89, 0.89) as f32);
    }
    [left, right]
}

fn crate_meter(true_peak: bool, histogram: bool) -> EbuR128 {
    let mut mode = Mode::I | Mode::LRA;
    if true_peak {
        mode |= Mode::TRUE_PEAK;
    }
    if histogram {
        mode |= Mode::HISTOGRAM;
    }
    EbuR128::new(2, FS as u32, mode).unwrap()
}

fn bench_plugin(c: &mut Criterion) {
    let [left, right] = programme(20.0, 1);
    let blocks = left.len() / BLOCK;
    for true_peak in [true, false] {
        let name = if true_peak {
            "loudness_plugin_with_true_peak"
        } else {
            "loudness_plugin_without_true_peak"
        };
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(BLOCK as u64));

        let mut keel = LoudnessMeter::with_true_peak(2, FS, true_peak).unwrap();
        let mut i = 0;
        group.bench_function("keel", |b| {
            b.iter(|| {
                let range = (i % blocks) * BLOCK..(i % blocks + 1) * BLOCK;
                i += 1;
                keel.process(&[&left[range.clone()], &right[range]]);
                black_box(&keel);
            })
        });
        for histogram in [false, true] {
            let mut peer = crate_meter(true_peak, histogram);
            let mut i = 0;
            let id = if histogram {
                "ebur128_histogram"
            } else {
                "ebur128_queue"
            };
            group.bench_function(id, |b| {
                b.iter(|| {
                    let range = (i % blocks) * BLOCK..(i % blocks + 1) * BLOCK;
                    i += 1;
                    peer.add_frames_planar_f32(&[&left[range.clone()], &right[range]])
                        .unwrap();
                    black_box(&peer);
                })
            });
        }
        group.finish();
    }
}

fn bench_file(c: &mut Criterion) {
    let [left, right] = programme(10.0, 2);
    for true_peak in [true, false] {
        let name = if true_peak {
            "loudness_file_with_true_peak"
        } else {
            "loudness_file_without_true_peak"
        };
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        group.throughput(Throughput::Elements(left.len() as u64));
        group.bench_function("keel", |b| {
            b.iter_batched_ref(
                || LoudnessMeter::with_true_peak(2, FS, true_peak).unwrap(),
                |meter| {
                    for (l, r) in left.chunks(BLOCK).zip(right.chunks(BLOCK)) {
                        meter.process(&[l, r]);
                    }
                    black_box(meter.final_reading())
                },
                BatchSize::PerIteration,
            )
        });
        for histogram in [false, true] {
            let id = if histogram {
                "ebur128_histogram"
            } else {
                "ebur128_queue"
            };
            group.bench_function(id, |b| {
                b.iter_batched_ref(
                    || crate_meter(true_peak, histogram),
                    |meter| {
                        for (l, r) in left.chunks(BLOCK).zip(right.chunks(BLOCK)) {
                            meter.add_frames_planar_f32(&[l, r]).unwrap();
                        }
                        black_box(meter.loudness_global().unwrap())
                    },
                    BatchSize::PerIteration,
                )
            });
        }
        group.finish();
    }
}

fn bench_noise(c: &mut Criterion) {
    let mut rng = Rng::new(3);
    let len = (20.0 * FS) as usize;
    let left: Vec<f32> = (0..len).map(|_| (0.2 * rng.gaussian()) as f32).collect();
    let right: Vec<f32> = (0..len).map(|_| (0.2 * rng.gaussian()) as f32).collect();
    let blocks = len / BLOCK;
    let mut group = c.benchmark_group("loudness_noise_with_true_peak");
    group.throughput(Throughput::Elements(BLOCK as u64));
    let mut keel = LoudnessMeter::new(2, FS).unwrap();
    let mut i = 0;
    group.bench_function("keel", |b| {
        b.iter(|| {
            let range = (i % blocks) * BLOCK..(i % blocks + 1) * BLOCK;
            i += 1;
            keel.process(&[&left[range.clone()], &right[range]]);
            black_box(&keel);
        })
    });
    let mut peer = crate_meter(true, false);
    let mut i = 0;
    group.bench_function("ebur128_queue", |b| {
        b.iter(|| {
            let range = (i % blocks) * BLOCK..(i % blocks + 1) * BLOCK;
            i += 1;
            peer.add_frames_planar_f32(&[&left[range.clone()], &right[range]])
                .unwrap();
            black_box(&peer);
        })
    });
    group.finish();
}

criterion_group!(benches, bench_plugin, bench_file, bench_noise);

criterion_main!(benches);
