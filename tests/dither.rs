//! The dither stage against theory: TPDF noise power, the shaped noise spectrum against the
//! filter's own design in third-octave bands, stability, a -90 dBFS tone at 16 bits with and
//! without dither, and independence from block sizes through the whole chain.

use keel_core::chain::{Chain, ChainSettings};
use keel_core::dsp::dither::{Dither, DitherMode, DitherSettings};
use keel_core::dsp::rng::Rng;
use realfft::RealFftPlanner;

/// Wannamaker's 9-tap F-weighted error-feedback filter as published ("Psychoacoustically Optimal
/// Noise Shaping", JAES 1992), written out here so the check does not lean on Keel's copy.
const PUBLISHED_F_WEIGHTED: [f64; 9] = [2.412, -3.370, 3.937, -4.174, 3.353, -2.205, 1.281, -0.569, 0.0847];

/// |1 - H(e^jw)|^2 of the published filter, computed here.
fn published_noise_power_gain(freq: f64, sample_rate: f64) -> f64 {
    let w = std::f64::consts::TAU * freq / sample_rate;
    let (re, im) = PUBLISHED_F_WEIGHTED.iter().enumerate().fold((1.0, 0.0), |(re, im), (k, h)| {
        let angle = w * (k + 1) as f64;
        (re - h * angle.cos(), im + h * angle.sin())
    });
    re * re + im * im
}

fn db(power: f64) -> f64 {
    10.0 * power.log10()
}

/// Low-level noise that never sits on a quantization grid and never rests at exact zero.
fn programme(len: usize, level: f64, seed: u64) -> [Vec<f32>; 2] {
    let mut rng = Rng::new(seed);
    let mut channel = || (0..len).map(|_| (level * (2.0 * rng.uniform() - 1.0) + 1e-4) as f32).collect::<Vec<f32>>();
    [channel(), channel()]
}

/// The stage's output minus its input, in steps of the word length.
fn added_noise(mode: DitherMode, bits: u32, input: &[Vec<f32>; 2], sample_rate: f64) -> [Vec<f64>; 2] {
    let mut dither = Dither::new(sample_rate);
    dither.set(DitherSettings { mode, bits });
    let mut out = input.clone();
    let (left, right) = out.split_at_mut(1);
    dither.process(&mut left[0], &mut right[0]);
    let scale = f64::from(1u32 << (bits - 1));
    std::array::from_fn(|c| out[c].iter().zip(&input[c]).map(|(y, x)| (f64::from(*y) - f64::from(*x)) * scale).collect())
}

fn mean_square(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64
}

#[test]
fn tpdf_adds_a_quarter_step_squared_at_every_word_length() {
    let input = programme(1 << 20, 0.01, 1);
    for bits in [16, 20, 24] {
        let noise = added_noise(DitherMode::Tpdf, bits, &input, 48_000.0);
        for (c, channel) in noise.iter().enumerate() {
            let error_db = db(mean_square(channel)) - db(0.25);
            println!("{bits} bit, channel {c}: {error_db:+.3} dB from theory");
            assert!(error_db.abs() < 0.1, "{bits} bit: noise {error_db:+.3} dB from step^2/4");
            assert!(channel.iter().all(|e| e.abs() <= 1.5 + 1e-9), "{bits} bit: an error beyond 1.5 steps");
        }
    }
}

/// Power per third-octave band (centres 100 Hz to 20 kHz) of `x`, Welch-averaged with a Hann
/// window, as a share of the total power of white noise of unit variance over the same band.
fn third_octave_powers(x: &[f64], sample_rate: f64) -> Vec<(f64, f64)> {
    const SEGMENT: usize = 1 << 14;
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(SEGMENT);
    let window: Vec<f64> = (0..SEGMENT).map(|i| 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / SEGMENT as f64).cos()).collect();
    let window_power = window.iter().map(|w| w * w).sum::<f64>();
    let mut psd = vec![0.0; SEGMENT / 2 + 1];
    let mut segments = 0;
    let (mut input, mut spectrum) = (fft.make_input_vec(), fft.make_output_vec());
    for start in (0..x.len() - SEGMENT).step_by(SEGMENT / 2) {
        for (i, v) in input.iter_mut().enumerate() {
            *v = x[start + i] * window[i];
        }
        fft.process(&mut input, &mut spectrum).unwrap();
        for (p, s) in psd.iter_mut().zip(&spectrum) {
            *p += s.norm_sqr();
        }
        segments += 1;
    }
    // Each bin as its share of the signal's variance (one-sided; the end bins count once).
    let norm = |k: usize| if k == 0 || k == SEGMENT / 2 { 1.0 } else { 2.0 };
    let bin_hz = sample_rate / SEGMENT as f64;
    let centres: Vec<f64> = (20..=43).map(|n| 10f64.powf(f64::from(n) / 10.0)).collect();
    centres
        .into_iter()
        .filter(|f| (99.0..=20_100.0).contains(f))
        .map(|centre| {
            let (low, high) = (centre / 2f64.powf(1.0 / 6.0), centre * 2f64.powf(1.0 / 6.0));
            let bins = (low / bin_hz).ceil() as usize..=((high / bin_hz).floor() as usize).min(SEGMENT / 2);
            let power: f64 =
                bins.clone().map(|k| psd[k] * norm(k) / (segments as f64 * window_power * SEGMENT as f64)).sum();
            (centre, power)
        })
        .collect()
}

#[test]
fn shaped_noise_follows_the_filters_design_in_third_octave_bands() {
    for sample_rate in [44_100.0, 48_000.0] {
        let input = programme(1 << 21, 0.01, 2);
        let noise = added_noise(DitherMode::Shaped, 16, &input, sample_rate);
        const SEGMENT: usize = 1 << 14;
        let bin_hz = sample_rate / SEGMENT as f64;
        for (centre, measured) in third_octave_powers(&noise[0], sample_rate) {
            // Design: white error of power 1/4 step^2 through the published filter's |1 - H|^2,
            // over the band's bins.
            let (low, high) = (centre / 2f64.powf(1.0 / 6.0), centre * 2f64.powf(1.0 / 6.0));
            let bins = (low / bin_hz).ceil() as usize..=((high / bin_hz).floor() as usize).min(SEGMENT / 2);
            let design: f64 = bins
                .map(|k| 0.25 * published_noise_power_gain(k as f64 * bin_hz, sample_rate) * 2.0 / SEGMENT as f64)
                .sum();
            let off = db(measured) - db(design);
            println!("{sample_rate} Hz, {centre:7.0} Hz band: {:+.2} dB re step^2, {off:+.2} dB from design", db(measured));
            assert!(off.abs() < 1.0, "{sample_rate} Hz: band {centre:.0} Hz is {off:+.2} dB from the design");
        }
    }
}

#[test]
fn shaping_stays_bounded_on_full_scale_noise_and_on_silence() {
    let rate = 48_000.0;
    let loud = programme(10 * 48_000, 1.0, 3);
    let noise = added_noise(DitherMode::Shaped, 16, &loud, rate);
    let taps_l1: f64 = PUBLISHED_F_WEIGHTED.iter().map(|h| h.abs()).sum();
    for channel in &noise {
        let bound = 1.5 * (1.0 + taps_l1);
        assert!(channel.iter().all(|e| e.abs() <= bound), "noise beyond its bound of {bound} steps");
        let (first, last) = (mean_square(&channel[..48_000]), mean_square(&channel[channel.len() - 48_000..]));
        assert!((db(last) - db(first)).abs() < 0.5, "noise grew: first second {first}, last {last}");
    }
    // Digital silence: nothing grows, and after the blanking time the output is exact silence.
    let silence = [vec![0.0f32; 48_000 * 2], vec![0.0f32; 48_000 * 2]];
    let noise = added_noise(DitherMode::Shaped, 16, &silence, rate);
    let blank = (keel_core::dsp::dither::BLANK_AFTER_SECONDS * rate) as usize;
    for channel in &noise {
        assert!(channel[..blank].iter().all(|e| e.abs() <= 1.5 * (1.0 + taps_l1)));
        assert!(channel[blank..].iter().all(|e| *e == 0.0), "digital silence is not passed on as silence");
    }
}

/// Spectrum of a coherently sampled signal (whole cycles): power per bin, rectangular window.
fn bin_powers(x: &[f64]) -> Vec<f64> {
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(x.len());
    let mut input = x.to_vec();
    let mut spectrum = fft.make_output_vec();
    fft.process(&mut input, &mut spectrum).unwrap();
    let n = x.len() as f64;
    spectrum.iter().map(|s| 2.0 * s.norm_sqr() / (n * n)).collect()
}

#[test]
fn a_minus_90_dbfs_tone_survives_16_bits_with_dither_and_distorts_without() {
    let rate = 48_000.0;
    let seconds = 4;
    let len = 48_000 * seconds;
    let amplitude = 10f64.powf(-90.0 / 20.0);
    let tone: Vec<f32> = (0..len).map(|n| (amplitude * (std::f64::consts::TAU * 1000.0 * n as f64 / rate).sin()) as f32).collect();
    let tone_bin = 1000 * seconds;
    let local_floor = |powers: &[f64], bin: usize| {
        let around: Vec<f64> = (bin - 400..bin + 400).filter(|k| k.abs_diff(bin) > 3).map(|k| powers[k]).collect();
        around.iter().sum::<f64>() / around.len() as f64
    };
    for mode in [DitherMode::Tpdf, DitherMode::Shaped, DitherMode::Off] {
        let quantized: Vec<f64> = if mode == DitherMode::Off {
            // What a 16-bit file holds without dither: the nearest step.
            tone.iter().map(|x| (f64::from(*x) * 32_768.0).round() / 32_768.0).collect()
        } else {
            let mut dither = Dither::new(rate);
            dither.set(DitherSettings { mode, bits: 16 });
            let (mut left, mut right) = (tone.clone(), tone.clone());
            dither.process(&mut left, &mut right);
            left.iter().map(|x| f64::from(*x)).collect()
        };
        let powers = bin_powers(&quantized);
        let level_db = db(powers[tone_bin]) - db(amplitude * amplitude / 2.0);
        let worst_harmonic = (2..=9)
            .map(|h| {
                let bin = tone_bin * h;
                db(powers[bin]) - db(local_floor(&powers, bin).max(1e-30))
            })
            .fold(f64::NEG_INFINITY, f64::max);
        println!("{mode:?}: tone {level_db:+.2} dB, worst harmonic {worst_harmonic:+.1} dB over the local floor");
        if mode == DitherMode::Off {
            assert!(worst_harmonic > 40.0, "without dither the truncation harmonics should stand out");
        } else {
            assert!(level_db.abs() < 0.5, "{mode:?}: the tone reads {level_db:+.2} dB");
            assert!(worst_harmonic < 10.0, "{mode:?}: a harmonic {worst_harmonic:+.1} dB over the noise floor");
        }
    }
}

#[test]
fn the_chain_with_dither_gives_the_same_samples_for_any_block_size() {
    let rate = 48_000.0;
    let input = programme(48_000, 0.3, 4);
    let mut settings = ChainSettings::default();
    settings.limiter.enabled = true;
    settings.limiter.drive_db = 6.0;
    for mode in [DitherMode::Tpdf, DitherMode::Shaped] {
        settings.dither = DitherSettings { mode, bits: 16 };
        let render = |block: usize| {
            let mut chain = Chain::new(rate);
            chain.set_settings(&settings);
            let mut out = input.clone();
            let (left, right) = out.split_at_mut(1);
            for (l, r) in left[0].chunks_mut(block).zip(right[0].chunks_mut(block)) {
                chain.process(l, r);
            }
            out
        };
        let reference = render(4096);
        assert!(reference[0].iter().all(|x| (x * 32_768.0).fract() == 0.0), "{mode:?}: output off the 16-bit grid");
        for block in [1, 64] {
            assert!(render(block) == reference, "{mode:?}: block size {block} changes the output");
        }
    }
}
