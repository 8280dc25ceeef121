//! Meter behaviour: block-size independence, no allocation after construction, update timing,
//! reset, pause and resume, non-finite input, peaks per channel, the LRA stability flag.

mod common;

use keel_core::dsp::loudness::{LoudnessMeter, LoudnessReading};
use keel_core::dsp::rng::Rng;
use std::f64::consts::TAU;

/// Stereo programme: noise and a few tones with level changes, a stretch of silence, a loud
/// near-Nyquist burst, and some non-finite samples.
fn programme(fs: f64, seconds: f64, channels: usize, seed: u64) -> Vec<Vec<f32>> {
    let len = (seconds * fs) as usize;
    let mut rng = Rng::new(seed);
    let mut out = vec![Vec::with_capacity(len); channels];
    for n in 0..len {
        let t = n as f64 / fs;
        let level = if (4.0..5.5).contains(&t) {
            0.0
        } else {
            0.05 + 0.25 * (0.5 + 0.5 * (TAU * 0.3 * t).sin())
        };
        let tone = (TAU * 440.0 * t).sin() + 0.5 * (TAU * 3_000.0 * t).sin();
        let burst = if (2.0..2.05).contains(&t) {
            0.7 * (TAU * 0.45 * fs * t).sin()
        } else {
            0.0
        };
        for (c, channel) in out.iter_mut().enumerate() {
            let v = level * (0.5 * tone + rng.gaussian() * 0.4) * (1.0 - 0.1 * c as f64) + burst;
            channel.push(v as f32);
        }
    }
    out[0][1234] = f32::NAN;
    out[channels - 1][5678] = f32::INFINITY;
    out
}

fn feed(meter: &mut LoudnessMeter, signal: &[Vec<f32>], block: usize) {
    let frames = signal[0].len();
    let mut start = 0;
    while start < frames {
        let end = (start + block).min(frames);
        let slices: Vec<&[f32]> = signal.iter().map(|c| &c[start..end]).collect();
        meter.process(&slices);
        start = end;
    }
}

fn all_readings(meter: &LoudnessMeter) -> (LoudnessReading, LoudnessReading, Vec<f64>) {
    let per_channel = (0..meter.channels())
        .flat_map(|c| {
            [
                meter.channel_true_peak_dbtp(c),
                meter.channel_final_true_peak_dbtp(c),
                meter.channel_sample_peak_dbfs(c),
            ]
        })
        .collect();
    (meter.reading(), meter.final_reading(), per_channel)
}

#[test]
fn results_are_identical_for_block_sizes_1_64_4800_and_4801() {
    for (fs, channels, seconds) in [(48_000.0, 2, 8.0), (44_100.0, 6, 5.0), (96_000.0, 1, 4.0)] {
        let signal = programme(fs, seconds, channels, 3);
        let mut reference = None;
        for block in [1, 64, 4800, 4801] {
            let mut meter = LoudnessMeter::new(channels, fs).unwrap();
            meter.process(&vec![&[][..]; channels]); // empty blocks change nothing
            feed(&mut meter, &signal, block);
            let readings = all_readings(&meter);
            let r = readings.0;
            assert!(
                r.integrated.is_finite()
                    && r.max_short_term.is_finite()
                    && r.loudness_range.is_finite()
            );
            match &reference {
                None => reference = Some(readings),
                Some(expected) => {
                    assert_eq!(&readings, expected, "{fs} Hz {channels} ch, block {block}")
                }
            }
        }
    }
}

#[test]
fn nothing_allocates_after_construction() {
    for channels in [1, 2, 5, 6] {
        let fs = 48_000.0;
        let signal = programme(fs, 3.5, channels, channels as u64);
        let mut meter = LoudnessMeter::new(channels, fs).unwrap();
        let mut sink = 0.0;
        common::assert_no_alloc(|| {
            for block in [1usize, 64, 4801] {
                let mut start = 0;
                while start < signal[0].len() {
                    let end = (start + block).min(signal[0].len());
                    let mut slices: [&[f32]; 6] = [&[]; 6];
                    for (c, s) in signal.iter().enumerate() {
                        slices[c] = &s[start..end];
                    }
                    meter.process(&slices[..channels]);
                    sink += meter.reading().momentary.max(0.0);
                    start = end;
                }
                sink += meter.final_reading().true_peak_dbtp;
                meter.set_paused(true);
                meter.process(&slices_of(&signal, channels)[..channels]);
                meter.set_paused(false);
                meter.reset();
            }
        });
        assert!(sink.is_finite());
    }
}

fn slices_of(signal: &[Vec<f32>], channels: usize) -> [&[f32]; 6] {
    let mut slices: [&[f32]; 6] = [&[]; 6];
    for c in 0..channels {
        slices[c] = &signal[c][..];
    }
    slices
}

#[test]
fn momentary_and_short_term_appear_at_400_ms_and_3_s_and_update_every_100_ms() {
    let fs = 48_000.0;
    let signal = programme(fs, 4.0, 2, 11);
    let mut meter = LoudnessMeter::new(2, fs).unwrap();
    let ms = 48;
    let mut previous = meter.reading();
    for i in 0..4_000 {
        let range = i * ms..(i + 1) * ms;
        meter.process(&[&signal[0][range.clone()], &signal[1][range]]);
        let now = meter.reading();
        let elapsed_ms = i + 1;
        assert_eq!(
            now.momentary.is_finite(),
            elapsed_ms >= 400,
            "M at {elapsed_ms} ms"
        );
        assert_eq!(
            now.short_term.is_finite(),
            elapsed_ms >= 3_000,
            "S at {elapsed_ms} ms"
        );
        assert_eq!(
            now.integrated.is_finite(),
            elapsed_ms >= 400,
            "I at {elapsed_ms} ms"
        );
        if elapsed_ms % 100 != 0 {
            assert_eq!(
                now.momentary, previous.momentary,
                "M changed between updates at {elapsed_ms} ms"
            );
            assert_eq!(now.short_term, previous.short_term);
            assert_eq!(now.integrated, previous.integrated);
            assert_eq!(now.loudness_range, previous.loudness_range);
        } else if elapsed_ms >= 400 {
            assert_ne!(
                now.momentary, previous.momentary,
                "M did not update at {elapsed_ms} ms"
            );
        }
        // Maxima move on the 10 ms grid.
        if elapsed_ms % 10 != 0 {
            assert_eq!(now.max_momentary, previous.max_momentary);
        }
        assert!(now.max_momentary >= previous.max_momentary);
        previous = now;
    }
}

#[test]
fn reset_gives_a_fresh_meter_and_pause_skips_audio() {
    let fs = 44_100.0;
    let first = programme(fs, 4.0, 2, 21);
    let second = programme(fs, 4.0, 2, 22);
    let junk = programme(fs, 2.0, 2, 23);

    let mut continuous = LoudnessMeter::new(2, fs).unwrap();
    feed(&mut continuous, &first, 1000);
    feed(&mut continuous, &second, 1000);

    let mut paused = LoudnessMeter::new(2, fs).unwrap();
    feed(&mut paused, &first, 1000);
    paused.set_paused(true);
    assert!(paused.is_paused());
    feed(&mut paused, &junk, 777);
    paused.set_paused(false);
    feed(&mut paused, &second, 1000);
    assert_eq!(all_readings(&paused), all_readings(&continuous));
    assert_eq!(paused.frames_measured(), continuous.frames_measured());

    let mut fresh = LoudnessMeter::new(2, fs).unwrap();
    feed(&mut fresh, &second, 1000);
    let mut reused = continuous;
    reused.reset();
    let silent = reused.reading();
    assert_eq!(silent.integrated, f64::NEG_INFINITY);
    assert_eq!(silent.max_momentary, f64::NEG_INFINITY);
    assert_eq!(silent.true_peak_dbtp, f64::NEG_INFINITY);
    assert_eq!(reused.frames_measured(), 0);
    feed(&mut reused, &second, 1000);
    assert_eq!(all_readings(&reused), all_readings(&fresh));
}

#[test]
fn non_finite_samples_count_as_silence() {
    let fs = 48_000.0;
    let signal = programme(fs, 3.5, 2, 31);
    let mut cleaned = signal.clone();
    for channel in &mut cleaned {
        for v in channel.iter_mut().filter(|v| !v.is_finite()) {
            *v = 0.0;
        }
    }
    assert_ne!(
        format!("{:?}", signal[0][1234]),
        format!("{:?}", cleaned[0][1234])
    );
    let mut a = LoudnessMeter::new(2, fs).unwrap();
    let mut b = LoudnessMeter::new(2, fs).unwrap();
    feed(&mut a, &signal, 512);
    feed(&mut b, &cleaned, 512);
    assert_eq!(all_readings(&a), all_readings(&b));
    assert!(a.reading().true_peak_dbtp.is_finite());
}

#[test]
fn peaks_are_per_channel_and_the_lfe_counts_for_peaks_only() {
    let fs = 48_000.0;
    let len = 48_000;
    // 10 ms fades: an abrupt start rings above the tone's peak in any band-limited reconstruction.
    let tone = |amplitude: f64, freq: f64, phase: f64| -> Vec<f32> {
        (0..len)
            .map(|n| {
                let edge = n.min(len - 1 - n) as f64 / 480.0;
                let fade = if edge < 1.0 {
                    0.5 - 0.5 * (std::f64::consts::PI * edge).cos()
                } else {
                    1.0
                };
                (fade * amplitude * (TAU * freq * n as f64 / fs + phase).sin()) as f32
            })
            .collect()
    };
    let quiet = tone(0.1, 1_000.0, 0.3);
    let lfe = tone(0.9, 60.0, 0.3);
    let signal = vec![
        quiet.clone(),
        quiet.clone(),
        quiet.clone(),
        lfe,
        quiet.clone(),
        tone(0.5, 12_000.0, TAU / 8.0),
    ];
    let mut with_lfe = LoudnessMeter::new(6, fs).unwrap();
    feed(&mut with_lfe, &signal, 4800);
    let mut silent_lfe_signal = signal.clone();
    silent_lfe_signal[3] = vec![0.0; len];
    let mut without_lfe = LoudnessMeter::new(6, fs).unwrap();
    feed(&mut without_lfe, &silent_lfe_signal, 4800);

    assert_eq!(
        with_lfe.reading().integrated,
        without_lfe.reading().integrated,
        "LFE excluded from loudness"
    );
    let lfe_peak = with_lfe.channel_sample_peak_dbfs(3);
    assert!(
        (lfe_peak - 20.0 * 0.9f64.log10()).abs() < 0.01,
        "LFE sample peak {lfe_peak}"
    );
    assert!((with_lfe.reading().sample_peak_dbfs - lfe_peak).abs() < 1e-9);
    assert!((with_lfe.channel_final_true_peak_dbtp(0) - 20.0 * 0.1f64.log10()).abs() < 0.01);
    let hf = with_lfe.channel_final_true_peak_dbtp(5);
    assert!(
        (hf - 20.0 * 0.5f64.log10()).abs() < 0.05,
        "12 kHz channel true peak {hf}"
    );
    // The fs/4 tone at 45 degrees has its samples 3 dB under its peak.
    assert!((hf - with_lfe.channel_sample_peak_dbfs(5) - 3.01).abs() < 0.05);
}

#[test]
fn final_reading_adds_the_buffered_tail() {
    let fs = 48_000.0;
    let mut signal = vec![0.0f32; 48_000];
    // A loud alternating burst in the very last samples: its inter-sample peak is still in the
    // interpolator when the input ends.
    for (n, v) in signal.iter_mut().enumerate().skip(47_990) {
        *v = if n % 2 == 0 { 0.8 } else { -0.8 };
    }
    let mut meter = LoudnessMeter::new(1, fs).unwrap();
    meter.process(&[&signal]);
    // The reconstructed reading's window (51 samples of latency) still holds the whole burst.
    let live = meter.reading().reconstructed_peak_dbtp;
    let last = meter.final_reading().reconstructed_peak_dbtp;
    assert!(
        (live - 20.0 * 0.8f64.log10()).abs() < 1e-6,
        "live reading is floored by the sample peak"
    );
    assert!(last > live + 0.1, "tail {last} vs live {live}");
    assert!(meter.final_reading().true_peak_dbtp >= meter.reading().true_peak_dbtp);
    assert_eq!(
        meter.reading().reconstructed_peak_dbtp,
        live,
        "final_reading does not change the state"
    );
}

#[test]
fn silence_and_short_input_leave_values_undefined() {
    let fs = 48_000.0;
    let mut meter = LoudnessMeter::new(2, fs).unwrap();
    let silence = vec![0.0f32; 200_000];
    meter.process(&[&silence, &silence]);
    let r = meter.reading();
    assert_eq!(r.momentary, f64::NEG_INFINITY);
    assert_eq!(r.short_term, f64::NEG_INFINITY);
    assert_eq!(r.integrated, f64::NEG_INFINITY);
    assert_eq!(r.loudness_range, f64::NEG_INFINITY);
    assert_eq!(r.max_short_term, f64::NEG_INFINITY);
    assert_eq!(r.sample_peak_dbfs, f64::NEG_INFINITY);
    assert!(!r.lra_stable);

    let mut short = LoudnessMeter::new(1, fs).unwrap();
    let tone: Vec<f32> = (0..96_000)
        .map(|n| (0.1 * (TAU * 1000.0 * n as f64 / fs).sin()) as f32)
        .collect();
    short.process(&[&tone]);
    let r = short.reading();
    assert!(r.integrated.is_finite() && r.momentary.is_finite());
    assert_eq!(
        r.short_term,
        f64::NEG_INFINITY,
        "2 s is too short for short-term"
    );
    assert_eq!(r.loudness_range, f64::NEG_INFINITY);
}

#[test]
fn loudness_range_is_flagged_stable_after_60_s() {
    let fs = 8_000.0;
    let tone: Vec<f32> = (0..8_000 * 61)
        .map(|n| (0.1 * (TAU * 500.0 * n as f64 / fs).sin()) as f32)
        .collect();
    let mut meter = LoudnessMeter::new(1, fs).unwrap();
    meter.process(&[&tone[..8_000 * 60 - 1]]);
    assert!(!meter.reading().lra_stable);
    meter.process(&[&tone[8_000 * 60 - 1..8_000 * 60]]);
    assert!(meter.reading().lra_stable);
    assert!(
        meter.reading().loudness_range.abs() < 0.02,
        "steady tone has no range"
    );
}

#[test]
fn unsupported_channel_counts_are_refused_at_construction() {
    for channels in [0, 3, 4, 7, 64] {
        let refused = LoudnessMeter::new(channels, 48_000.0)
            .err()
            .expect("refused");
        assert!(
            refused.to_string().contains("1, 2, 5 or 6 channels"),
            "{refused}"
        );
    }
}
