//! EBU Tech 3341 (v4) and Tech 3342 conformance, with the test signals synthesized here from
//! the standards' descriptions: cases 1-6 and 9-19 at 48 kHz (1-5 also at 44.1 and 96 kHz),
//! cases 20-23 approximated (see there), Tech 3342 cases 1-4.

mod common;

use keel_core::dsp::loudness::{LoudnessMeter, LoudnessReading};
use std::f64::consts::{PI, TAU};

const TONE_HZ: f64 = 1000.0;
const TOLERANCE_LU: f64 = 0.1;

/// Builds a mono signal from (seconds, level) segments of a 1 kHz sine, phase-continuous across
/// segments; `None` is digital silence.
fn tone_segments(fs: f64, segments: &[(f64, Option<f64>)]) -> Vec<f32> {
    let mut out: Vec<f32> = Vec::new();
    for &(seconds, level) in segments {
        let start = out.len();
        let len = (seconds * fs).round() as usize;
        let amplitude = level.map_or(0.0, |db| 10f64.powf(db / 20.0));
        out.extend(
            (start..start + len)
                .map(|n| (amplitude * (TAU * TONE_HZ * n as f64 / fs).sin()) as f32),
        );
    }
    out
}

fn stereo(mono: Vec<f32>) -> Vec<Vec<f32>> {
    vec![mono.clone(), mono]
}

/// Feeds the whole signal in 4800-frame blocks (other block sizes are covered elsewhere) and
/// calls `each_hop` after every 100 ms with the reading.
fn measure_with(
    channels: &[Vec<f32>],
    fs: f64,
    mut each_hop: impl FnMut(usize, LoudnessReading),
) -> LoudnessMeter {
    let mut meter = LoudnessMeter::new(channels.len(), fs).unwrap();
    let hop = (fs / 10.0).round() as usize;
    let frames = channels[0].len();
    let mut start = 0;
    let mut hop_index = 0;
    while start < frames {
        let end = (start + hop).min(frames);
        let block: Vec<&[f32]> = channels.iter().map(|c| &c[start..end]).collect();
        meter.process(&block);
        start = end;
        hop_index += 1;
        each_hop(hop_index, meter.reading());
    }
    meter
}

fn measure(channels: &[Vec<f32>], fs: f64) -> LoudnessMeter {
    measure_with(channels, fs, |_, _| {})
}

fn assert_near(what: &str, value: f64, expected: f64, tolerance: f64) {
    eprintln!(
        "{what}: {value:.4} (expected {expected}, error {:+.4})",
        value - expected
    );
    assert!(
        (value - expected).abs() <= tolerance,
        "{what}: {value:.4}, expected {expected} +- {tolerance}"
    );
}

#[test]
fn tech_3341_cases_1_and_2_steady_tones_read_m_s_i() {
    for fs in [44_100.0, 48_000.0, 96_000.0] {
        for level in [-23.0, -33.0] {
            let reading = measure(&stereo(tone_segments(fs, &[(20.0, Some(level))])), fs).reading();
            let what = format!("{fs} Hz tone {level}");
            assert_near(&format!("{what} M"), reading.momentary, level, TOLERANCE_LU);
            assert_near(
                &format!("{what} S"),
                reading.short_term,
                level,
                TOLERANCE_LU,
            );
            assert_near(
                &format!("{what} I"),
                reading.integrated,
                level,
                TOLERANCE_LU,
            );
        }
    }
}

#[test]
fn tech_3341_cases_3_to_5_gated_integrated() {
    let cases: [&[(f64, Option<f64>)]; 3] = [
        &[
            (10.0, Some(-36.0)),
            (60.0, Some(-23.0)),
            (10.0, Some(-36.0)),
        ],
        &[
            (10.0, Some(-72.0)),
            (10.0, Some(-36.0)),
            (60.0, Some(-23.0)),
            (10.0, Some(-36.0)),
            (10.0, Some(-72.0)),
        ],
        &[
            (20.0, Some(-26.0)),
            (20.1, Some(-20.0)),
            (20.0, Some(-26.0)),
        ],
    ];
    for fs in [44_100.0, 48_000.0, 96_000.0] {
        for (i, segments) in cases.iter().enumerate() {
            let reading = measure(&stereo(tone_segments(fs, segments)), fs).reading();
            assert_near(
                &format!("{fs} Hz case {}", i + 3),
                reading.integrated,
                -23.0,
                TOLERANCE_LU,
            );
        }
    }
}

#[test]
fn tech_3341_case_6_surround_weights_and_lfe_exclusion() {
    let fs = 48_000.0;
    let tone = |level| tone_segments(fs, &[(20.0, Some(level))]);
    let (front, centre, surround) = (tone(-28.0), tone(-24.0), tone(-30.0));
    let five = vec![
        front.clone(),
        front.clone(),
        centre.clone(),
        surround.clone(),
        surround.clone(),
    ];
    assert_near(
        "5.0",
        measure(&five, fs).reading().integrated,
        -23.0,
        TOLERANCE_LU,
    );
    // 5.1 with a loud LFE: it must not count.
    let lfe = tone_segments(fs, &[(20.0, Some(-6.0))]);
    let six = vec![
        front.clone(),
        front,
        centre,
        lfe,
        surround.clone(),
        surround,
    ];
    assert_near(
        "5.1",
        measure(&six, fs).reading().integrated,
        -23.0,
        TOLERANCE_LU,
    );
}

#[test]
fn tech_3341_case_9_short_term_constant_after_3_s() {
    let fs = 48_000.0;
    let cycle = [(1.34, Some(-20.0)), (1.66, Some(-30.0))];
    let segments: Vec<_> = cycle.iter().copied().cycle().take(10).collect();
    let mut checked = 0;
    measure_with(&stereo(tone_segments(fs, &segments)), fs, |hop, reading| {
        if hop >= 30 {
            assert_near(
                &format!("S at hop {hop}"),
                reading.short_term,
                -23.0,
                TOLERANCE_LU,
            );
            checked += 1;
        } else {
            assert_eq!(
                reading.short_term,
                f64::NEG_INFINITY,
                "S appears only after 3 s"
            );
        }
    });
    assert!(checked >= 120);
}

#[test]
fn tech_3341_case_10_file_max_short_term() {
    let fs = 48_000.0;
    for i in 0..20 {
        let segments = [(i as f64 * 0.15, None), (3.0, Some(-23.0)), (1.0, None)];
        let reading = measure(&stereo(tone_segments(fs, &segments)), fs).reading();
        assert_near(
            &format!("file {i} max S"),
            reading.max_short_term,
            -23.0,
            TOLERANCE_LU,
        );
    }
}

#[test]
fn tech_3341_case_11_live_max_short_term() {
    let fs = 48_000.0;
    let mut segments = Vec::new();
    let mut ends = Vec::new();
    let mut t = 0.0;
    for i in 0..20 {
        let silence = i as f64 * 0.15;
        segments.extend([
            (silence, None),
            (3.0, Some(-38.0 + i as f64)),
            (3.0 - silence, None),
        ]);
        t += 6.0;
        ends.push((t * 10.0f64).round() as usize);
    }
    let mut segment = 0;
    let mut live_max = f64::NEG_INFINITY;
    measure_with(&stereo(tone_segments(fs, &segments)), fs, |hop, reading| {
        live_max = live_max.max(reading.short_term);
        if hop == ends[segment] {
            let expected = -38.0 + segment as f64;
            // The maximum of the displayed (100 ms) values and the meter's own maximum.
            assert_near(
                &format!("segment {segment} displayed max S"),
                live_max,
                expected,
                TOLERANCE_LU,
            );
            assert_near(
                &format!("segment {segment} max S"),
                reading.max_short_term,
                expected,
                TOLERANCE_LU,
            );
            segment += 1;
            live_max = f64::NEG_INFINITY;
        }
    });
    assert_eq!(segment, 20);
}

#[test]
fn tech_3341_case_12_momentary_constant_after_1_s() {
    let fs = 48_000.0;
    let cycle = [(0.18, Some(-20.0)), (0.22, Some(-30.0))];
    let segments: Vec<_> = cycle.iter().copied().cycle().take(50).collect();
    let mut checked = 0;
    measure_with(&stereo(tone_segments(fs, &segments)), fs, |hop, reading| {
        if hop < 4 {
            assert_eq!(
                reading.momentary,
                f64::NEG_INFINITY,
                "M appears only after 400 ms"
            );
        }
        if hop >= 10 {
            assert_near(
                &format!("M at hop {hop}"),
                reading.momentary,
                -23.0,
                TOLERANCE_LU,
            );
            checked += 1;
        }
    });
    assert!(checked >= 90);
}

#[test]
fn tech_3341_case_13_file_max_momentary() {
    let fs = 48_000.0;
    for i in 0..20 {
        let segments = [(i as f64 * 0.02, None), (0.4, Some(-23.0)), (1.0, None)];
        let reading = measure(&stereo(tone_segments(fs, &segments)), fs).reading();
        assert_near(
            &format!("file {i} max M"),
            reading.max_momentary,
            -23.0,
            TOLERANCE_LU,
        );
    }
}

#[test]
fn tech_3341_case_14_live_max_momentary() {
    let fs = 48_000.0;
    let mut segments = Vec::new();
    for i in 0..20 {
        let silence = i as f64 * 0.02;
        segments.extend([
            (silence, None),
            (0.4, Some(-38.0 + i as f64)),
            (0.4 - silence, None),
        ]);
    }
    let signal = stereo(tone_segments(fs, &segments));
    let mut meter = LoudnessMeter::new(2, fs).unwrap();
    let segment_frames = (0.8 * fs) as usize;
    for (i, start) in (0..signal[0].len()).step_by(segment_frames).enumerate() {
        let end = start + segment_frames;
        meter.process(&[&signal[0][start..end], &signal[1][start..end]]);
        // Levels rise with every segment, so the running maximum is this segment's maximum.
        let expected = -38.0 + i as f64;
        assert_near(
            &format!("segment {i} max M"),
            meter.reading().max_momentary,
            expected,
            TOLERANCE_LU,
        );
    }
}

/// Sine at `freq` with 10 ms raised-cosine fades (the standard's files fade; an abrupt start
/// makes any band-limited interpolator ring).
fn assert_true_peak(what: &str, read: f64, expected: f64) {
    eprintln!(
        "{what}: {read:.4} dBTP (expected {expected}, error {:+.4})",
        read - expected
    );
    assert!(
        read <= expected + 0.2 && read >= expected - 0.4,
        "{what}: {read:.3} dBTP, expected {expected} +0.2/-0.4"
    );
}

#[test]
fn tech_3341_cases_15_to_19_true_peak() {
    let fs = 48_000.0;
    let cases = [
        (15, fs / 4.0, 0.5, 0.0, -6.0),
        (16, fs / 4.0, 0.5, 45.0, -6.0),
        (17, fs / 6.0, 0.5, 60.0, -6.0),
        (18, fs / 8.0, 0.5, 67.5, -6.0),
        (19, fs / 4.0, 1.41, 45.0, 3.0),
    ];
    for (case, freq, amplitude, degrees, expected) in cases {
        let signal = stereo(common::faded_sine(
            freq,
            fs,
            amplitude,
            f64::to_radians(degrees),
            fs as usize,
            (0.01 * fs) as usize,
        ));
        let reading = measure(&signal, fs).final_reading();
        assert_true_peak(&format!("case {case}"), reading.true_peak_dbtp, expected);
        assert_true_peak(
            &format!("case {case}, reconstructed"),
            reading.reconstructed_peak_dbtp,
            expected,
        );
        // The full-band reconstruction is accurate well inside the tolerance: within 0.02 dB of
        // ideal (the Annex 2 filter reads these within the standard's +0.2/-0.4 dB).
        let ideal = 20.0 * amplitude.log10();
        assert!(
            (reading.reconstructed_peak_dbtp - ideal).abs() < 0.02,
            "case {case}: {}",
            reading.reconstructed_peak_dbtp
        );
    }
}

/// Cases 20-23, approximated: the standard's files hold an fs/6 sine at 0.5 FS containing one
/// phase-continuous period of fs/4 at 1.0 FS, synthesized at 4 fs, anti-alias low-passed and
/// decimated with a 0-3 sample offset; the low-pass is not specified. Here: synthesized at
/// 192 kHz (the burst starts and ends at zero crossings), low-passed by a linear-phase
/// Kaiser-windowed sinc (511 taps, beta 10, cutoff 22 kHz, i.e. about -100 dB from 24 kHz),
/// then every 4th sample taken from offsets 0, 1, 2, 3.
#[test]
fn tech_3341_cases_20_to_23_approximated() {
    let fs = 48_000.0;
    let fs4 = 4.0 * fs;
    let len4 = (0.5 * fs4) as usize;
    let burst_start = len4 / 2 / 24 * 24; // a whole number of fs/6 periods: a zero crossing
    let burst_len = 16; // one period of fs/4 at 4 fs
    let mut phase = 0.0f64;
    let mut x4 = Vec::with_capacity(len4);
    for n in 0..len4 {
        let in_burst = (burst_start..burst_start + burst_len).contains(&n);
        let (freq, amplitude) = if in_burst {
            (fs / 4.0, 1.0)
        } else {
            (fs / 6.0, 0.5)
        };
        x4.push(amplitude * phase.sin());
        phase += TAU * freq / fs4;
    }
    let taps = 511;
    let beta = 10.0;
    let cutoff = 22_000.0 / fs4;
    let i0 = |x: f64| {
        let (mut term, mut sum, mut k) = (1.0, 1.0, 1.0);
        while term > 1e-17 * sum {
            term *= (x / 2.0).powi(2) / (k * k);
            sum += term;
            k += 1.0;
        }
        sum
    };
    let half = (taps / 2) as f64;
    let kernel: Vec<f64> = (0..taps)
        .map(|j| {
            let t = j as f64 - half;
            let sinc = if t == 0.0 {
                2.0 * cutoff
            } else {
                (TAU * cutoff * t).sin() / (PI * t)
            };
            sinc * i0(beta * (1.0 - (t / half).powi(2)).sqrt()) / i0(beta)
        })
        .collect();
    let filtered: Vec<f64> = (0..len4)
        .map(|n| {
            kernel
                .iter()
                .enumerate()
                .filter_map(|(j, k)| {
                    (n + j)
                        .checked_sub(taps / 2)
                        .and_then(|m| x4.get(m))
                        .map(|x| k * x)
                })
                .sum()
        })
        .collect();
    for offset in 0..4 {
        let decimated: Vec<f32> = filtered
            .iter()
            .skip(offset)
            .step_by(4)
            .map(|&v| v as f32)
            .collect();
        let reading = measure(&stereo(decimated), fs).final_reading();
        assert_true_peak(
            &format!("case {} (offset {offset})", 20 + offset),
            reading.true_peak_dbtp,
            0.0,
        );
        assert_true_peak(
            &format!("case {} (offset {offset}), reconstructed", 20 + offset),
            reading.reconstructed_peak_dbtp,
            0.0,
        );
    }
}

#[test]
fn tech_3342_cases_1_to_4_loudness_range() {
    let fs = 48_000.0;
    let cases: [(&[f64], f64); 4] = [
        (&[-20.0, -30.0], 10.0),
        (&[-20.0, -15.0], 5.0),
        (&[-40.0, -20.0], 20.0),
        (&[-50.0, -35.0, -20.0, -35.0, -50.0], 15.0),
    ];
    for (i, (levels, expected)) in cases.iter().enumerate() {
        let segments: Vec<_> = levels.iter().map(|&l| (20.0, Some(l))).collect();
        let reading = measure(&stereo(tone_segments(fs, &segments)), fs).reading();
        assert_near(
            &format!("Tech 3342 case {}", i + 1),
            reading.loudness_range,
            *expected,
            1.0,
        );
        // The bins are 0.01 LU: the step cases come out far closer than the tolerance.
        assert_near(
            &format!("Tech 3342 case {} (tight)", i + 1),
            reading.loudness_range,
            *expected,
            0.05,
        );
    }
}
