//! Soak: a long run of programme-like material through Keel.clap in the CLAP host, with random
//! automation, checking that nothing goes non-finite, the limiter's true-peak ceiling holds
//! throughout and memory does not grow.
//!
//! Length: `KEEL_SOAK_SECONDS` seconds of 48 kHz stereo audio (default 600: about ten seconds
//! of wall time, so the suite stays fast; set 3600 for the full hour).
//!
//! The limiter stays on and bypass off (the ceiling is the property under test); every other
//! parameter is automated, the ceiling between -20 and -1 dBTP and the output gain at or under
//! 0 dB, so the output's true peak must stay at or under -1 dBTP. It is read by the project's
//! 16x reconstruction meter (`dsp::true_peak`), the stricter of the two meters the limiter is
//! designed against.

mod common;

use common::*;
use keel_core::dsp::rng::Rng;
use keel_core::dsp::true_peak::TruePeakTracker;
use std::time::Instant;

const RATE: f64 = 48_000.0;
const MAX_BLOCK: usize = 1024;
const DEFAULT_SECONDS: f64 = 600.0;
/// Resident memory may grow by this much after the warm-up (allocator noise, lazily touched
/// pages); a per-block leak of even a few bytes over the run exceeds it at the full length.
const RSS_GROWTH_LIMIT: usize = 1 << 20;

fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

fn db_to_gain(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

/// Streaming programme material: pink-ish noise at a level that changes every 0.5-4 s (-45 to
/// +6 dBFS RMS, now and then silence), drum-like bursts, and a bass tone; the two channels
/// share part of their signal.
struct Programme {
    rng: Rng,
    /// Pink filter state (Paul Kellet's economy filter), per channel.
    pink: [[f64; 3]; 2],
    level: f64,
    frames_left: usize,
    burst: f64,
    bass_phase: f64,
    bass_step: f64,
    bass_level: f64,
}

impl Programme {
    fn new(seed: u64) -> Self {
        Self {
            rng: Rng::new(seed),
            pink: [[0.0; 3]; 2],
            level: 0.1,
            frames_left: 0,
            burst: 0.0,
            bass_phase: 0.0,
            bass_step: 0.0,
            bass_level: 0.0,
        }
    }

    fn next_segment(&mut self) {
        let rng = &mut self.rng;
        self.frames_left = ((0.5 + 3.5 * rng.uniform()) * RATE) as usize;
        self.level = if rng.uniform() < 0.05 { 0.0 } else { db_to_gain(-45.0 + 51.0 * rng.uniform()) };
        self.bass_step = std::f64::consts::TAU * (35.0 + 90.0 * rng.uniform()) / RATE;
        self.bass_level = if rng.uniform() < 0.5 { self.level * 2.0 * rng.uniform() } else { 0.0 };
    }

    fn fill(&mut self, left: &mut [f32], right: &mut [f32]) {
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            if self.frames_left == 0 {
                self.next_segment();
            }
            self.frames_left -= 1;
            if self.rng.uniform() < 1.0 / 12_000.0 {
                self.burst = 4.0 * self.level.max(0.01);
            }
            self.burst *= 0.9995;
            let common = self.rng.gaussian();
            let mut out = [0.0f64; 2];
            for (c, o) in out.iter_mut().enumerate() {
                let white = 0.6 * common + 0.8 * self.rng.gaussian();
                let p = &mut self.pink[c];
                p[0] = 0.99765 * p[0] + white * 0.0990460;
                p[1] = 0.96300 * p[1] + white * 0.2965164;
                p[2] = 0.57000 * p[2] + white * 1.0526913;
                let pink = (p[0] + p[1] + p[2] + white * 0.1848) * 0.25;
                *o = pink * (self.level + self.burst) + self.bass_phase.sin() * self.bass_level;
            }
            self.bass_phase = (self.bass_phase + self.bass_step) % std::f64::consts::TAU;
            *l = out[0] as f32;
            *r = out[1] as f32;
        }
    }
}

#[test]
fn soak_with_programme_and_random_automation() {
    let seconds: f64 = std::env::var("KEEL_SOAK_SECONDS")
        .ok()
        .map(|s| s.parse().expect("KEEL_SOAK_SECONDS is a number of seconds"))
        .unwrap_or(DEFAULT_SECONDS);
    let total = (seconds * RATE) as usize;
    let ceiling = db_to_gain(-1.0) as f32;

    let mut plug = Plug::new(load_entry());
    let mut setup = busy_settings(&mut plug);
    setup.push(param_event(0, "lim_on", 1.0));
    setup.push(param_event(0, "bypass", 0.0));
    let ceiling_cap = plug.text_to_value("lim_ceiling", "-1").unwrap();
    let gain_cap = plug.text_to_value("out_gain", "0").unwrap();
    setup.push(param_event(0, "lim_ceiling", ceiling_cap));
    plug.flush_params(&setup);
    plug.activate(RATE, MAX_BLOCK as u32);
    let automated: Vec<(ClapId, f64, f64, bool, &str)> = plug
        .param_infos()
        .into_iter()
        // Dither stays off: its noise rides on top of the ceiling by design.
        .filter(|p| {
            ![clap_id("lim_on"), clap_id("bypass"), clap_id("dither_mode"), clap_id("dither_bits")]
                .iter()
                .any(|id| id.get() == p.0)
        })
        .map(|p| {
            let id = if p.0 == clap_id("lim_ceiling").get() {
                "ceiling"
            } else if p.0 == clap_id("out_gain").get() {
                "gain"
            } else {
                ""
            };
            (ClapId::new(p.0), p.4, p.5, p.3.contains(ParamInfoFlags::IS_STEPPED), id)
        })
        .collect();

    let mut programme = Programme::new(1);
    let mut rng = Rng::new(2);
    let mut input = [vec![0.0f32; MAX_BLOCK], vec![0.0f32; MAX_BLOCK]];
    let mut out = [Vec::with_capacity(MAX_BLOCK), Vec::with_capacity(MAX_BLOCK)];
    let mut events: Vec<ParamValueEvent> = Vec::with_capacity(16);
    let mut meters = [TruePeakTracker::new(RATE), TruePeakTracker::new(RATE)];
    let mut sample_peak = 0.0f32;
    let mut non_finite = 0usize;
    let warm_up = total / 10;
    let mut rss_after_warm_up = None;
    let started = Instant::now();
    let mut done = 0;
    while done < total {
        let n = (32 + (rng.uniform() * (MAX_BLOCK - 31) as f64) as usize).min(total - done);
        let [left, right] = &mut input;
        programme.fill(&mut left[..n], &mut right[..n]);
        events.clear();
        if rng.uniform() < 0.3 {
            for _ in 0..1 + (rng.uniform() * 8.0) as usize {
                let (id, min, max, stepped, kind) = automated[(rng.uniform() * automated.len() as f64) as usize];
                let top = match kind {
                    "ceiling" => ceiling_cap,
                    "gain" => gain_cap,
                    _ => max,
                };
                let value =
                    if stepped { (min + rng.uniform() * (top - min + 1.0)).floor().min(top) } else { min + rng.uniform() * (top - min) };
                events.push(ParamValueEvent::new((rng.uniform() * n as f64) as u32, id, Pckn::match_all(), value));
            }
            events.sort_by_key(|e| e.header().time());
        }
        out[0].clear();
        out[1].clear();
        plug.process_block(&input[0][..n], &input[1][..n], &events, &mut out);
        for (meter, channel) in meters.iter_mut().zip(&out) {
            non_finite += channel.iter().filter(|v| !v.is_finite()).count();
            sample_peak = channel.iter().fold(sample_peak, |m, v| m.max(v.abs()));
            meter.process(channel);
        }
        done += n;
        if rss_after_warm_up.is_none() && done >= warm_up {
            rss_after_warm_up = Some(resident_bytes());
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let rss_end = resident_bytes();
    let rss_start = rss_after_warm_up.unwrap();
    let true_peak = meters.iter().map(TruePeakTracker::peak_with_tail).fold(0.0f32, f32::max);
    println!(
        "soak: {seconds} s of audio in {wall:.1} s ({:.0}x real time); true peak {:.4} dBTP, sample peak {:.4} dBFS; \
         RSS {} KiB after warm-up, {} KiB at the end ({:+} KiB)",
        seconds / wall,
        20.0 * true_peak.log10(),
        20.0 * sample_peak.log10(),
        rss_start / 1024,
        rss_end / 1024,
        (rss_end as i64 - rss_start as i64) / 1024
    );
    assert_eq!(non_finite, 0, "non-finite output samples");
    assert!(true_peak > ceiling * 0.95, "the material never reached the ceiling (true peak {true_peak}): nothing was limited");
    assert!(sample_peak <= ceiling, "sample peak {sample_peak} over the ceiling {ceiling}");
    assert!(true_peak <= ceiling * (1.0 + 1e-6), "true peak {:.5} dBTP over the -1 dBTP ceiling", 20.0 * true_peak.log10());
    assert!(
        rss_end <= rss_start + RSS_GROWTH_LIMIT,
        "resident memory grew by {} KiB after the warm-up",
        (rss_end - rss_start) / 1024
    );
}
