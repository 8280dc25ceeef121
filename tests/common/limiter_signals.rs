//! Limiter test signals and the way to run them, shared by tests/limiter.rs and
//! tests/limiter_reconstruction.rs. Deterministic (keel_core's Rng); call each channel with a
//! different seed or phase so the stereo link has something to do.

use keel_core::dsp::limiter::Limiter;
use keel_core::dsp::rng::Rng;
use std::f64::consts::{PI, SQRT_2, TAU};

/// Processes whole signals (in host-like blocks of 512) and appends `latency` samples of
/// silence so the delayed tail comes out too.
pub fn run(lim: &mut Limiter, left: &[f32], right: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let pad = lim.latency();
    let mut l: Vec<f32> = left.iter().copied().chain(std::iter::repeat_n(0.0, pad)).collect();
    let mut r: Vec<f32> = right.iter().copied().chain(std::iter::repeat_n(0.0, pad)).collect();
    for (lb, rb) in l.chunks_mut(512).zip(r.chunks_mut(512)) {
        lim.process(lb, rb);
    }
    (l, r)
}

pub fn quarter_rate_sine(fs: f64, len: usize, phase_shift: f64) -> Vec<f32> {
    // fs/4 at 45 degrees: every sample is at 0.707 of a true peak of 1.0 (+3 dB inter-sample).
    let _ = fs;
    (0..len).map(|n| (PI / 2.0 * n as f64 + PI / 4.0 + phase_shift).sin() as f32).collect()
}

/// Kick, snare, hats and a naive square bass, summed and hard-clipped to full scale.
pub fn clipped_drum_and_bass(fs: f64, len: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let mut previous_noise = 0.0;
    (0..len)
        .map(|n| {
            let t = n as f64 / fs;
            let beat = t % 0.5;
            let kick_phase = TAU * (50.0 * beat + 100.0 * 0.03 * (1.0 - (-beat / 0.03).exp()));
            let kick = kick_phase.sin() * (-beat / 0.15).exp();
            let noise = rng.bipolar();
            let snare = if beat >= 0.25 { 0.6 * noise * (-(beat - 0.25) / 0.05).exp() } else { 0.0 };
            let hat_t = t % 0.125;
            let hat = 0.3 * (noise - previous_noise) * (-hat_t / 0.01).exp();
            previous_noise = noise;
            let bass = 0.5 * (TAU * 55.0 * t).sin().signum();
            ((kick + snare + hat + bass).clamp(-0.7, 0.7) / 0.7) as f32
        })
        .collect()
}

pub fn white_noise(len: usize, seed: u64, rms: f64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..len).map(|_| (rms * rng.gaussian()) as f32).collect()
}

/// 12 kHz tone gated on for 3 ms out of every 10 ms, no fades.
pub fn tone_bursts(fs: f64, len: usize, phase: f64) -> Vec<f32> {
    (0..len)
        .map(|n| {
            let t = n as f64 / fs;
            if t % 0.010 < 0.003 { (0.9 * (TAU * 12_000.0 * t + phase).sin()) as f32 } else { 0.0 }
        })
        .collect()
}

/// Quiet program that jumps by 100 dB a quarter of the way in: a sine and a DC step.
pub fn step_100_db(fs: f64, len: usize, dc: bool) -> Vec<f32> {
    (0..len)
        .map(|n| {
            let level = if n < len / 4 { 1e-5 } else { 1.0 };
            let x = if dc { 1.0 } else { (TAU * 997.0 * n as f64 / fs).sin() };
            (level * x) as f32
        })
        .collect()
}

/// Naive (aliased, unfiltered) square: every sample is +-`amplitude`, edges land wherever the
/// sample grid puts them, so the band-limited reading overshoots the samples.
pub fn naive_square(freq: f64, fs: f64, amplitude: f64, phase: f64, len: usize) -> Vec<f32> {
    (0..len)
        .map(|n| {
            let cycles = (freq * n as f64 / fs + phase / TAU).rem_euclid(1.0);
            (if cycles < 0.5 { amplitude } else { -amplitude }) as f32
        })
        .collect()
}

/// Hard high-frequency case: a three-note chord of detuned naive saws, a naive square bass, a
/// kick every 0.5 s and first-difference noise hats, under a slow (0.8 s) swell, peaking around
/// full scale. The naive oscillators alias and the hats rise to fs/2, so far more of its energy
/// lies above 20 kHz than in music. `seed` sets the noise and the oscillators' starting phases.
pub fn aliased_synth(fs: f64, len: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    // A minor chord around 220 Hz, each note as two saws 7 cents apart.
    let notes = [220.0, 261.63, 329.63];
    let detune = 2f64.powf(7.0 / 1200.0);
    let freqs: Vec<f64> = notes.iter().flat_map(|&f| [f, f * detune]).collect();
    let mut phases: Vec<f64> = freqs.iter().map(|_| rng.uniform()).collect();
    let bass_offset = rng.uniform();
    let mut previous_noise = 0.0;
    (0..len)
        .map(|n| {
            let t = n as f64 / fs;
            let mut pad = 0.0;
            for (p, f) in phases.iter_mut().zip(&freqs) {
                pad += 2.0 * *p - 1.0;
                *p = (*p + f / fs).fract();
            }
            let swell = 0.65 + 0.35 * (TAU * t / 0.8).sin();
            let bass = if (55.0 * t + bass_offset).fract() < 0.5 { 0.25 } else { -0.25 };
            let beat = t % 0.5;
            let kick = (TAU * (45.0 * beat + 80.0 * 0.04 * (1.0 - (-beat / 0.04).exp()))).sin() * (-beat / 0.2).exp();
            let noise = rng.bipolar();
            let hat = 0.25 * (noise - previous_noise) * (-(t % 0.125) / 0.02).exp();
            previous_noise = noise;
            (0.09 * pad * swell + bass * swell + 0.5 * kick + hat) as f32
        })
        .collect()
}

/// Second-order Butterworth high-pass (bilinear, prewarped), direct form I.
struct HighPass2 {
    b: [f64; 3],
    a: [f64; 2],
    x: [f64; 2],
    y: [f64; 2],
}

impl HighPass2 {
    fn new(fc: f64, fs: f64) -> Self {
        let k = (PI * fc / fs).tan();
        let norm = 1.0 / (1.0 + SQRT_2 * k + k * k);
        Self {
            b: [norm, -2.0 * norm, norm],
            a: [2.0 * (k * k - 1.0) * norm, (1.0 - SQRT_2 * k + k * k) * norm],
            x: [0.0; 2],
            y: [0.0; 2],
        }
    }

    fn tick(&mut self, x: f64) -> f64 {
        let y = self.b[0] * x + self.b[1] * self.x[0] + self.b[2] * self.x[1]
            - self.a[0] * self.y[0]
            - self.a[1] * self.y[1];
        self.x = [x, self.x[0]];
        self.y = [y, self.y[0]];
        y
    }
}

/// One-pole low-pass by the bilinear transform: its zero sits on fs/2, so it keeps falling all
/// the way to Nyquist, as recorded cymbals do under a converter's anti-alias filter.
struct LowPass1 {
    b: f64,
    a: f64,
    x: f64,
    y: f64,
}

impl LowPass1 {
    fn new(fc: f64, fs: f64) -> Self {
        let k = (PI * fc / fs).tan();
        Self { b: k / (1.0 + k), a: (k - 1.0) / (k + 1.0), x: 0.0, y: 0.0 }
    }

    fn tick(&mut self, x: f64) -> f64 {
        self.y = self.b * (x + self.x) - self.a * self.y;
        self.x = x;
        self.y
    }
}

/// Music-like material peaking around full scale, with a mixed-music spectrum: a three-note
/// chord of detuned band-limited saws (harmonics 1/k, all under 0.45 fs) under a slow (0.8 s)
/// swell, a bass of a sine and three harmonics, a kick every 0.5 s, and hats and a snare of
/// Gaussian noise high-passed at 5 kHz and rolled off from 13 kHz. Above a few kHz its long-term
/// spectrum falls like a mix's rather than staying up to fs/2. `seed` sets the noise and the
/// oscillators' starting phases.
pub fn music_like(fs: f64, len: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    // A minor chord around 220 Hz, each note as two saws 7 cents apart.
    let notes = [220.0, 261.63, 329.63];
    let detune = 2f64.powf(7.0 / 1200.0);
    let freqs: Vec<f64> = notes.iter().flat_map(|&f| [f, f * detune]).collect();
    let harmonics: Vec<usize> = freqs.iter().map(|&f| (0.45 * fs / f).ceil() as usize - 1).collect();
    let mut phases: Vec<f64> = freqs.iter().map(|_| rng.uniform()).collect();
    let bass_offset = rng.uniform();
    let mut high_pass = HighPass2::new(5_000.0, fs);
    let mut low_pass = LowPass1::new(13_000.0_f64.min(0.4 * fs), fs);
    (0..len)
        .map(|n| {
            let t = n as f64 / fs;
            let mut pad = 0.0;
            for ((p, f), &count) in phases.iter_mut().zip(&freqs).zip(&harmonics) {
                // sin(k theta) by rotating (cos theta, sin theta): one sin_cos per oscillator.
                let (s1, c1) = (TAU * *p).sin_cos();
                let (mut s, mut c, mut saw) = (s1, c1, 0.0);
                for k in 1..=count {
                    saw += s / k as f64;
                    (s, c) = (s * c1 + c * s1, c * c1 - s * s1);
                }
                pad += 2.0 / PI * saw;
                *p = (*p + f / fs).fract();
            }
            let swell = 0.65 + 0.35 * (TAU * t / 0.8).sin();
            let theta = TAU * (55.0 * t + bass_offset);
            let bass: f64 =
                [1.0, 0.4, 0.2, 0.1].iter().zip(1..).map(|(a, k)| 0.3 * a * (f64::from(k) * theta).sin()).sum();
            let beat = t % 0.5;
            let kick = (TAU * (45.0 * beat + 80.0 * 0.04 * (1.0 - (-beat / 0.04).exp()))).sin() * (-beat / 0.2).exp();
            // The envelopes shape the noise before the filters, so their onsets add nothing above
            // the cymbal band either.
            let hat_t = t % 0.125;
            let attack = |u: f64| (u / 0.002).min(1.0);
            let mut hit = 0.35 * attack(hat_t) * (-hat_t / 0.04).exp();
            if beat >= 0.25 {
                hit += attack(beat - 0.25) * (-(beat - 0.25) / 0.12).exp();
            }
            let cymbal = low_pass.tick(high_pass.tick(hit * rng.gaussian()));
            (0.09 * pad * swell + bass * swell + 0.5 * kick + 0.07 * cymbal) as f32
        })
        .collect()
}
