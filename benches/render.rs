//! `keel render` end to end (the chain on one thread, reading and writing on two more): a
//! 10-minute stereo 48 kHz 24-bit WAV through the streaming-master factory preset into a 24-bit
//! WAV (read, chain, dither, write).
//! Throughput is in stereo frames; the run also prints the speed as a multiple of real time.
//! Target: at least 150x real time.
//!
//!     cargo bench --bench render
//!
//! `KEEL_BENCH_SECONDS` shortens the file for a quick look.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keel_cli::progress::Progress;
use keel_cli::render::{DEFAULT_BLOCK, configured_params, render_file};
use keel_cli::wav::{self, Encoding, WavFormat};
use keel_core::dsp::level::db_to_gain;
use keel_core::signals::pink_noise;
use keel_core::params::ParamTable;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const RATE: u32 = 48_000;

fn bench_render(c: &mut Criterion) {
    let seconds: f64 = std::env::var("KEEL_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(600.0);
    let dir = std::env::temp_dir().join(format!("keel-render-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("programme.wav");
    let output = dir.join("rendered.wav");
    // Pink noise at -14 dBFS RMS keeps the compressor and limiter busy all the way through.
    let left = pink_noise(1, f64::from(RATE), seconds, db_to_gain(-14.0));
    let right = pink_noise(2, f64::from(RATE), seconds, db_to_gain(-14.0));
    let channels: Vec<Vec<f32>> = [left, right].into_iter().map(|c| c.into_iter().map(|x| x as f32).collect()).collect();
    let frames = channels[0].len() as u64;
    wav::write_all(&input, WavFormat { channels: 2, sample_rate: RATE, encoding: Encoding::Int24 }, &channels).unwrap();
    drop(channels);

    let preset: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "..", "presets", "streaming_master.json"].iter().collect();
    let configured = configured_params(Some(&preset), &[], &ParamTable::new()).unwrap();
    let quiet = Progress::new(frames, "bench", true);

    let mut group = c.benchmark_group("keel_render_streaming_master");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(frames));
    let mut best = f64::INFINITY;
    group.bench_function(format!("{seconds}s_stereo_48k_s24"), |b| {
        b.iter(|| {
            let started = Instant::now();
            render_file(&input, &output, &configured, DEFAULT_BLOCK, Default::default(), &quiet).unwrap();
            best = best.min(started.elapsed().as_secs_f64());
        })
    });
    group.finish();
    println!("keel render, streaming master: {:.0}x real time (best run)", seconds / best);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench_render);
criterion_main!(benches);
