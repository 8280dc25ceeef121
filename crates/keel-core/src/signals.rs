//! Test signals: tones, sweeps, noise, impulses and the synthesizable EBU Tech 3341 / 3342
//! loudness test cases. Used by `keel gen` and by the tests, so both see the same samples.
//!
//! Everything is deterministic: noise comes from the crate's seeded generator, and the same
//! arguments give the same samples on every run and platform.

use crate::dsp::rng::Rng;
use std::f64::consts::TAU;

/// Frequency of the EBU test tone.
pub const EBU_TONE_HZ: f64 = 1000.0;
/// Fade used on the true-peak cases: without it the interpolator rings on the step.
const TRUE_PEAK_FADE_SECONDS: f64 = 0.01;
/// Fade on sweeps so the start and end do not click.
const SWEEP_FADE_SECONDS: f64 = 0.005;

/// A multichannel signal, planar.
#[derive(Debug, Clone, PartialEq)]
pub struct TestSignal {
    pub sample_rate: f64,
    pub channels: Vec<Vec<f32>>,
}

impl TestSignal {
    /// `channels` identical copies of a mono signal.
    pub fn copies(sample_rate: f64, mono: Vec<f64>, channels: usize) -> Self {
        let mono: Vec<f32> = mono.into_iter().map(|x| x as f32).collect();
        Self { sample_rate, channels: vec![mono; channels.max(1)] }
    }

    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }
}


fn frames_for(seconds: f64, sample_rate: f64) -> usize {
    (seconds * sample_rate).round().max(0.0) as usize
}

/// Sine of peak amplitude `peak`, starting at `phase` radians.
pub fn sine(freq: f64, sample_rate: f64, seconds: f64, peak: f64, phase: f64) -> Vec<f64> {
    (0..frames_for(seconds, sample_rate))
        .map(|n| peak * (TAU * freq * n as f64 / sample_rate + phase).sin())
        .collect()
}

/// Exponential (log-frequency) sine sweep from `start_hz` to `end_hz`, short fades at both ends.
pub fn log_sweep(start_hz: f64, end_hz: f64, sample_rate: f64, seconds: f64, peak: f64) -> Vec<f64> {
    let len = frames_for(seconds, sample_rate);
    let ratio_ln = (end_hz / start_hz).ln();
    let mut out: Vec<f64> = (0..len)
        .map(|n| {
            let t = n as f64 / sample_rate;
            // Phase is the integral of f(t) = start * (end/start)^(t/T).
            let phase = TAU * start_hz * seconds / ratio_ln * ((t / seconds * ratio_ln).exp() - 1.0);
            peak * phase.sin()
        })
        .collect();
    fade_in_out(&mut out, frames_for(SWEEP_FADE_SECONDS, sample_rate));
    out
}

/// Scales `signal` so its RMS is `rms`.
fn normalize_rms(signal: &mut [f64], rms: f64) {
    let power = signal.iter().map(|x| x * x).sum::<f64>() / signal.len().max(1) as f64;
    if power > 0.0 {
        let gain = rms / power.sqrt();
        signal.iter_mut().for_each(|x| *x *= gain);
    }
}

/// Gaussian white noise with RMS exactly `rms`.
pub fn white_noise(seed: u64, sample_rate: f64, seconds: f64, rms: f64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let mut out: Vec<f64> = (0..frames_for(seconds, sample_rate)).map(|_| rng.gaussian()).collect();
    normalize_rms(&mut out, rms);
    out
}

/// Pink (1/f) noise with RMS exactly `rms`.
///
/// White noise feeds a bank of one-pole low-passes with corners an octave apart; a filter with
/// corner f_k weighted by 1/sqrt(f_k) adds a flat shelf below f_k and a 1/f^2 skirt above it, and
/// the sum of those over octave-spaced corners is 1/f within a fraction of a dB.
pub fn pink_noise(seed: u64, sample_rate: f64, seconds: f64, rms: f64) -> Vec<f64> {
    let mut corners = Vec::new();
    let mut corner = 5.0;
    while corner < sample_rate * 0.45 {
        corners.push(corner);
        corner *= 2.0;
    }
    let poles: Vec<f64> = corners.iter().map(|f| (-TAU * f / sample_rate).exp()).collect();
    let weights: Vec<f64> = corners.iter().map(|f| 1.0 / f.sqrt()).collect();
    let mut states = vec![0.0; corners.len()];
    let mut rng = Rng::new(seed);
    let len = frames_for(seconds, sample_rate);
    // Run the bank for a while first so the slowest filter starts in its steady state.
    let settle = frames_for(0.5, sample_rate);
    let mut out = Vec::with_capacity(len);
    for n in 0..settle + len {
        let white = rng.gaussian();
        let mut sum = 0.0;
        for ((state, pole), weight) in states.iter_mut().zip(&poles).zip(&weights) {
            *state = pole * *state + (1.0 - pole) * white;
            sum += weight * *state;
        }
        if n >= settle {
            out.push(sum);
        }
    }
    normalize_rms(&mut out, rms);
    out
}

/// One sample of `peak` at the start, then silence.
pub fn impulse(sample_rate: f64, seconds: f64, peak: f64) -> Vec<f64> {
    let mut out = vec![0.0; frames_for(seconds, sample_rate).max(1)];
    out[0] = peak;
    out
}

/// Raised-cosine fade over `frames` at both ends.
pub fn fade_in_out(signal: &mut [f64], frames: usize) {
    let frames = frames.min(signal.len() / 2);
    let len = signal.len();
    for i in 0..frames {
        let gain = 0.5 - 0.5 * (std::f64::consts::PI * i as f64 / frames as f64).cos();
        signal[i] *= gain;
        signal[len - 1 - i] *= gain;
    }
}

/// A phase-continuous 1 kHz tone stepping through `(seconds, peak dBFS)` segments; `None` is
/// silence. Segment edges fall on the nearest sample to their cumulative time.
pub fn tone_segments(sample_rate: f64, segments: &[(f64, Option<f64>)]) -> Vec<f64> {
    let mut out = Vec::new();
    let mut elapsed = 0.0;
    for &(seconds, level) in segments {
        let start = out.len();
        elapsed += seconds;
        let end = frames_for(elapsed, sample_rate);
        let amplitude = level.map_or(0.0, crate::dsp::level::db_to_gain);
        out.extend((start..end).map(|n| amplitude * (TAU * EBU_TONE_HZ * n as f64 / sample_rate).sin()));
    }
    out
}

/// A true-peak test tone: `freq` with `peak` amplitude starting at `phase_degrees`, 10 ms fades.
fn true_peak_tone(sample_rate: f64, freq: f64, peak: f64, phase_degrees: f64) -> Vec<f64> {
    let mut out = sine(freq, sample_rate, 1.0, peak, phase_degrees.to_radians());
    fade_in_out(&mut out, frames_for(TRUE_PEAK_FADE_SECONDS, sample_rate));
    out
}

/// What a test case expects of a meter, as written in the EBU documents.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Expectation {
    /// Integrated loudness (and for steady tones M and S) in LUFS, +-0.1 LU.
    Integrated(f64),
    /// Short-term loudness constant at this value after 3 s, +-0.1 LU.
    ShortTerm(f64),
    /// Maximum short-term loudness, +-0.1 LU.
    MaxShortTerm(f64),
    /// Momentary loudness constant at this value after 1 s, +-0.1 LU.
    Momentary(f64),
    /// Maximum momentary loudness, +-0.1 LU.
    MaxMomentary(f64),
    /// Maximum true peak in dBTP, -0.4/+0.2 dB.
    TruePeak(f64),
    /// Loudness range in LU, +-1 LU.
    LoudnessRange(f64),
}

/// A synthesized EBU test case.
#[derive(Debug, Clone, PartialEq)]
pub struct EbuCase {
    pub signal: TestSignal,
    pub expectation: Expectation,
}

/// Tech 3341 case `number` (1-6, 9-19). Cases 10, 11, 13 and 14 are series of 20 files; `part`
/// picks one (1-20) and is ignored by the others. Cases 7 and 8 are recorded programmes and
/// 20-23 need an unspecified anti-alias filter, so they cannot be synthesized.
pub fn ebu_3341(number: u32, part: u32, sample_rate: f64) -> Option<EbuCase> {
    let tone = |segments: &[(f64, Option<f64>)]| TestSignal::copies(sample_rate, tone_segments(sample_rate, segments), 2);
    let i = f64::from(part.clamp(1, 20) - 1);
    let (signal, expectation) = match number {
        1 => (tone(&[(20.0, Some(-23.0))]), Expectation::Integrated(-23.0)),
        2 => (tone(&[(20.0, Some(-33.0))]), Expectation::Integrated(-33.0)),
        3 => (tone(&[(10.0, Some(-36.0)), (60.0, Some(-23.0)), (10.0, Some(-36.0))]), Expectation::Integrated(-23.0)),
        4 => (
            tone(&[(10.0, Some(-72.0)), (10.0, Some(-36.0)), (60.0, Some(-23.0)), (10.0, Some(-36.0)), (10.0, Some(-72.0))]),
            Expectation::Integrated(-23.0),
        ),
        5 => (tone(&[(20.0, Some(-26.0)), (20.1, Some(-20.0)), (20.0, Some(-26.0))]), Expectation::Integrated(-23.0)),
        6 => {
            // 5.0 in WAVE order L, R, C, Ls, Rs.
            let channels = [-28.0, -28.0, -24.0, -30.0, -30.0]
                .iter()
                .map(|&db| tone_segments(sample_rate, &[(20.0, Some(db))]).into_iter().map(|x| x as f32).collect())
                .collect();
            (TestSignal { sample_rate, channels }, Expectation::Integrated(-23.0))
        }
        9 => (tone(&[(1.34, Some(-20.0)), (1.66, Some(-30.0))].repeat(5)), Expectation::ShortTerm(-23.0)),
        10 => (tone(&[(i * 0.15, None), (3.0, Some(-23.0)), (1.0, None)]), Expectation::MaxShortTerm(-23.0)),
        11 => (
            tone(&[(i * 0.15, None), (3.0, Some(-38.0 + i)), (3.0 - i * 0.15, None)]),
            Expectation::MaxShortTerm(-38.0 + i),
        ),
        12 => (tone(&[(0.18, Some(-20.0)), (0.22, Some(-30.0))].repeat(25)), Expectation::Momentary(-23.0)),
        13 => (tone(&[(i * 0.02, None), (0.4, Some(-23.0)), (1.0, None)]), Expectation::MaxMomentary(-23.0)),
        14 => (
            tone(&[(i * 0.02, None), (0.4, Some(-38.0 + i)), (0.4 - i * 0.02, None)]),
            Expectation::MaxMomentary(-38.0 + i),
        ),
        15..=19 => {
            let (divisor, peak, phase, expected) = match number {
                15 => (4.0, 0.5, 0.0, -6.0),
                16 => (4.0, 0.5, 45.0, -6.0),
                17 => (6.0, 0.5, 60.0, -6.0),
                18 => (8.0, 0.5, 67.5, -6.0),
                _ => (4.0, 1.41, 45.0, 3.0),
            };
            let mono = true_peak_tone(sample_rate, sample_rate / divisor, peak, phase);
            (TestSignal::copies(sample_rate, mono, 2), Expectation::TruePeak(expected))
        }
        _ => return None,
    };
    Some(EbuCase { signal, expectation })
}

/// Tech 3342 loudness-range case `number` (1-4; 5 and 6 are recorded programmes).
pub fn ebu_3342(number: u32, sample_rate: f64) -> Option<EbuCase> {
    let levels: &[f64] = match number {
        1 => &[-20.0, -30.0],
        2 => &[-20.0, -15.0],
        3 => &[-40.0, -20.0],
        4 => &[-50.0, -35.0, -20.0, -35.0, -50.0],
        _ => return None,
    };
    let expected = match number {
        1 => 10.0,
        2 => 5.0,
        3 => 20.0,
        _ => 15.0,
    };
    let segments: Vec<(f64, Option<f64>)> = levels.iter().map(|&db| (20.0, Some(db))).collect();
    let signal = TestSignal::copies(sample_rate, tone_segments(sample_rate, &segments), 2);
    Some(EbuCase { signal, expectation: Expectation::LoudnessRange(expected) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use realfft::RealFftPlanner;

    fn rms(x: &[f64]) -> f64 {
        (x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64).sqrt()
    }

    #[test]
    fn sine_has_the_asked_peak_and_length() {
        let s = sine(1000.0, 48_000.0, 0.5, 0.25, std::f64::consts::FRAC_PI_2);
        assert_eq!(s.len(), 24_000);
        assert!((s[0] - 0.25).abs() < 1e-12);
        let peak = s.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        assert!((peak - 0.25).abs() < 1e-9);
    }

    #[test]
    fn noise_is_deterministic_and_at_the_asked_rms() {
        let a = white_noise(3, 48_000.0, 1.0, 0.1);
        assert_eq!(a, white_noise(3, 48_000.0, 1.0, 0.1));
        assert_ne!(a, white_noise(4, 48_000.0, 1.0, 0.1));
        assert!((rms(&a) - 0.1).abs() < 1e-12);
        let p = pink_noise(3, 48_000.0, 1.0, 0.1);
        assert!((rms(&p) - 0.1).abs() < 1e-12);
    }

    /// Pink noise carries equal power per octave; white doubles per octave (+3 dB).
    #[test]
    fn pink_noise_has_equal_power_per_octave() {
        let fs = 48_000.0;
        let x = pink_noise(11, fs, 8.0, 0.1);
        let n = 1 << 12;
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
        let mut power = vec![0.0; n / 2 + 1];
        let mut spectrum = fft.make_output_vec();
        for frame in x.chunks_exact(n) {
            let mut input: Vec<f64> = frame
                .iter()
                .enumerate()
                .map(|(i, v)| v * (0.5 - 0.5 * (TAU * i as f64 / n as f64).cos()))
                .collect();
            fft.process(&mut input, &mut spectrum).unwrap();
            for (p, c) in power.iter_mut().zip(&spectrum) {
                *p += c.norm_sqr();
            }
        }
        let octave_db = |low: f64| {
            let bin = |f: f64| (f / fs * n as f64).round() as usize;
            10.0 * power[bin(low)..bin(2.0 * low)].iter().sum::<f64>().log10()
        };
        let reference = octave_db(500.0);
        for low in [62.5, 125.0, 250.0, 1000.0, 2000.0, 4000.0, 8000.0] {
            let deviation = octave_db(low) - reference;
            assert!(deviation.abs() < 1.0, "octave from {low} Hz is {deviation:.2} dB off");
        }
    }

    #[test]
    fn sweep_starts_and_ends_silent_and_peaks_at_level() {
        let s = log_sweep(20.0, 20_000.0, 48_000.0, 2.0, 0.5);
        assert_eq!(s[0], 0.0);
        assert!(s[s.len() - 1].abs() < 1e-3);
        let peak = s.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        assert!(peak > 0.499 && peak <= 0.5);
    }

    #[test]
    fn tone_segments_land_on_their_cumulative_sample_edges() {
        let s = tone_segments(48_000.0, &[(0.01, None), (0.02, Some(-6.0)), (0.015, None)]);
        assert_eq!(s.len(), 2160);
        assert!(s[..480].iter().all(|&x| x == 0.0));
        assert!(s[480..1440].iter().any(|&x| x.abs() > 0.4));
        assert!(s[1440..].iter().all(|&x| x == 0.0));
    }

    #[test]
    fn ebu_cases_exist_where_synthesizable() {
        for n in [1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19] {
            assert!(ebu_3341(n, 1, 48_000.0).is_some(), "3341 case {n}");
        }
        for n in [7, 8, 20, 21, 22, 23, 24] {
            assert!(ebu_3341(n, 1, 48_000.0).is_none(), "3341 case {n}");
        }
        assert_eq!(ebu_3341(6, 1, 48_000.0).unwrap().signal.channels.len(), 5);
        assert_eq!(ebu_3341(11, 20, 48_000.0).unwrap().expectation, Expectation::MaxShortTerm(-19.0));
        assert_eq!(ebu_3342(4, 48_000.0).unwrap().signal.frames(), 100 * 48_000);
        assert!(ebu_3342(5, 48_000.0).is_none());
    }
}
