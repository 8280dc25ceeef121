//! Compressor against the Giannoulis/Massberg/Reiss formulas: static curve, step timing,
//! distortion, stereo link, mix, makeup, side-chain filter, automation smoothness, block-size
//! independence and the real-time contract.

mod common;

use common::{assert_no_alloc, db_to_gain, gain_to_db};
use keel_core::dsp::compressor::{Compressor, CompressorSettings, DetectorMode};
use keel_core::dsp::rng::Rng;
use std::f64::consts::TAU;

const FS: f64 = 48_000.0;

/// The soft-knee static curve written out from the paper (eq. 4), independently of the crate:
/// output level for input level `x`, all in dB.
fn paper_output_db(x: f64, threshold: f64, ratio: f64, knee: f64) -> f64 {
    let over = x - threshold;
    if 2.0 * over < -knee {
        x
    } else if 2.0 * over.abs() <= knee && knee > 0.0 {
        x + (1.0 / ratio - 1.0) * (over + knee / 2.0).powi(2) / (2.0 * knee)
    } else {
        threshold + over / ratio
    }
}

fn settings(threshold_db: f32, ratio: f32, knee_db: f32, attack_ms: f32, release_ms: f32) -> CompressorSettings {
    CompressorSettings {
        threshold_db,
        ratio,
        knee_db,
        attack_ms,
        release_ms,
        makeup_db: 0.0,
        auto_makeup: false,
        mix: 1.0,
        link: 1.0,
        ..CompressorSettings::default()
    }
}

/// Runs a mono signal through both channels; returns the left output.
fn run_mono(comp: &mut Compressor, input: &[f32]) -> Vec<f32> {
    let mut left = input.to_vec();
    let mut right = input.to_vec();
    comp.process(&mut left, &mut right);
    assert_eq!(left, right, "identical channels must stay identical");
    left
}

fn compressor(s: &CompressorSettings) -> Compressor {
    let mut comp = Compressor::new(FS, 0);
    comp.set_params(s);
    comp
}

/// Gain reduction in dB per sample, from output/input of a signal without zeros.
fn reduction_db(input: &[f32], output: &[f32]) -> Vec<f64> {
    input.iter().zip(output).map(|(&x, &y)| -gain_to_db(f64::from(y) / f64::from(x))).collect()
}

/// Time (s) at which `curve` first crosses `level` going in the direction of `rising`, linearly
/// interpolated between samples; sample `k` sits at `k / FS`.
fn crossing_time(curve: &[f64], level: f64, rising: bool) -> f64 {
    for k in 1..curve.len() {
        let (a, b) = (curve[k - 1], curve[k]);
        let crossed = if rising { a < level && b >= level } else { a > level && b <= level };
        if crossed {
            return ((k - 1) as f64 + (level - a) / (b - a)) / FS;
        }
    }
    panic!("level {level} never crossed");
}

/// Amplitude of the DFT bin at `freq` over `x` (an integer number of periods long).
fn tone_amplitude(x: &[f64], freq: f64) -> f64 {
    let (mut re, mut im) = (0.0, 0.0);
    for (n, &v) in x.iter().enumerate() {
        let phase = TAU * freq * n as f64 / FS;
        re += v * phase.cos();
        im -= v * phase.sin();
    }
    2.0 * re.hypot(im) / x.len() as f64
}

/// THD (harmonics 2..=20 against the fundamental) in dB.
fn thd_db(x: &[f64], freq: f64) -> f64 {
    let fundamental = tone_amplitude(x, freq);
    let harmonics: f64 =
        (2..=20).map(|k| k as f64 * freq).filter(|&f| f < FS / 2.0).map(|f| tone_amplitude(x, f).powi(2)).sum();
    10.0 * (harmonics / (fundamental * fundamental)).log10()
}

#[test]
fn static_curve_matches_the_soft_knee_formula() {
    for knee in [0.0f32, 12.0] {
        for ratio in [4.0f32, f32::INFINITY] {
            let mut worst = 0.0f64;
            for step in 0..=120 {
                let level_db = -60.0 + 0.5 * step as f64;
                let mut comp = compressor(&settings(-20.0, ratio, knee, 1.0, 50.0));
                let input = vec![db_to_gain(level_db) as f32; (0.1 * FS) as usize];
                let output = run_mono(&mut comp, &input);
                let measured = *reduction_db(&input, &output).last().unwrap();
                let expected = level_db - paper_output_db(level_db, -20.0, f64::from(ratio), f64::from(knee));
                worst = worst.max((measured - expected).abs());
            }
            println!("knee {knee} dB, ratio {ratio}: worst static error {worst:.2e} dB");
            assert!(worst <= 0.05, "knee {knee}, ratio {ratio}: static curve off by {worst} dB");
        }
    }
}

#[test]
fn rms_detector_reads_a_sine_at_its_peak_level() {
    // AES17 convention: a sine at -6 dBFS peak reads -6 dB in both modes.
    let mut s = settings(-20.0, 4.0, 0.0, 10.0, 100.0);
    s.detector = DetectorMode::Rms;
    let mut comp = compressor(&s);
    let input: Vec<f32> = common::sine(1000.0, FS, db_to_gain(-6.0), 0.0, FS as usize);
    let output = run_mono(&mut comp, &input);
    let tail = (0.8 * FS) as usize..;
    let peak_in = input[tail.clone()].iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let peak_out = output[tail].iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let measured = gain_to_db(f64::from(peak_in / peak_out));
    let expected = -6.0 - paper_output_db(-6.0, -20.0, 4.0, 0.0);
    println!("RMS mode, -6 dBFS sine: reduction {measured:.3} dB, formula {expected:.3} dB");
    assert!((measured - expected).abs() < 0.1, "RMS reduction {measured} dB, expected {expected} dB");
}

#[test]
fn step_response_timing_follows_attack_and_release() {
    for (attack_ms, release_ms) in [(10.0f32, 100.0f32), (1.0, 50.0), (30.0, 500.0)] {
        let mut comp = compressor(&settings(-20.0, 4.0, 0.0, attack_ms, release_ms));
        let quiet = db_to_gain(-40.0) as f32;
        let loud = 1.0f32;
        let (lead, hold, tail) = ((0.2 * FS) as usize, (2.0 * FS) as usize, (2.0 * FS) as usize);
        let mut input = vec![quiet; lead];
        input.extend(std::iter::repeat_n(loud, hold));
        input.extend(std::iter::repeat_n(quiet, tail));
        let output = run_mono(&mut comp, &input);
        let reduction = reduction_db(&input, &output);
        let settled = reduction[lead + hold - 1];
        assert!((settled - 15.0).abs() < 1e-3, "settled reduction {settled} dB");

        let attack_s = crossing_time(&reduction[lead..], (1.0 - (-1.0f64).exp()) * settled, true);
        let release_s = crossing_time(&reduction[lead + hold..], (-1.0f64).exp() * settled, false);
        let attack_err = attack_s / (f64::from(attack_ms) * 1e-3) - 1.0;
        let expected_release = f64::from(release_ms + attack_ms) * 1e-3;
        let release_err = release_s / expected_release - 1.0;
        println!(
            "A{attack_ms}/R{release_ms}: 63 % at {:.3} ms ({:+.2} %), 36.8 % at {:.3} ms vs {:.1} ms ({:+.2} %)",
            attack_s * 1e3,
            attack_err * 100.0,
            release_s * 1e3,
            expected_release * 1e3,
            release_err * 100.0
        );
        assert!(attack_err.abs() <= 0.05, "attack timing off by {:.2} %", attack_err * 100.0);
        assert!(release_err.abs() <= 0.10, "release timing off by {:.2} %", release_err * 100.0);
    }
}

/// Settled THD of a 0 dBFS sine with about 15 dB of gain reduction.
fn compressed_sine_thd(freq: f64, detector: DetectorMode) -> (f64, f64) {
    let mut s = settings(-20.0, 4.0, 6.0, 10.0, 100.0);
    s.detector = detector;
    let mut comp = compressor(&s);
    let input = common::sine(freq, FS, 1.0, 0.0, (2.0 * FS) as usize);
    let output = run_mono(&mut comp, &input);
    let last_second: Vec<f64> = output[FS as usize..].iter().map(|&v| f64::from(v)).collect();
    let reduction = -gain_to_db(tone_amplitude(&last_second, freq));
    (thd_db(&last_second, freq), reduction)
}

#[test]
fn distortion_with_15_db_of_reduction() {
    let (thd_100, reduction) = compressed_sine_thd(100.0, DetectorMode::Peak);
    println!("100 Hz, peak detector, A10/R100: {reduction:.2} dB reduction, THD {thd_100:.1} dB");
    assert!((reduction - 15.0).abs() < 1.0, "setup should give about 15 dB of reduction, got {reduction}");
    assert!(thd_100 <= -60.0, "THD at 100 Hz {thd_100:.1} dB");

    let (thd_1k, _) = compressed_sine_thd(1000.0, DetectorMode::Peak);
    println!("1 kHz, peak detector, A10/R100: THD {thd_1k:.1} dB");
    assert!(thd_1k <= -100.0, "THD at 1 kHz {thd_1k:.1} dB");

    let (thd_rms, _) = compressed_sine_thd(100.0, DetectorMode::Rms);
    println!("100 Hz, RMS detector, A10/R100: THD {thd_rms:.1} dB");
    assert!(thd_rms <= -80.0, "THD at 100 Hz with the RMS detector {thd_rms:.1} dB");
}

fn noise(seed: u64, len: usize, amplitude: f64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    // Bursty so the gain moves a lot: 50 ms segments at random levels.
    let segment = (0.05 * FS) as usize;
    let mut level = 1.0;
    (0..len)
        .map(|n| {
            if n % segment == 0 {
                level = db_to_gain(-30.0 * rng.uniform());
            }
            (amplitude * level * rng.bipolar()) as f32
        })
        .collect()
}

#[test]
fn full_link_applies_identical_gain_and_keeps_the_balance() {
    let len = FS as usize;
    let s = settings(-30.0, 8.0, 6.0, 1.0, 50.0);

    // A source panned 6 dB to the left: the balance must survive to 0.001 dB on every sample.
    let left_in = noise(1, len, 1.0);
    let right_in: Vec<f32> = left_in.iter().map(|v| v * 0.5).collect();
    let (mut left, mut right) = (left_in.clone(), right_in.clone());
    compressor(&s).process(&mut left, &mut right);
    let mut worst_balance = 0.0f64;
    for n in 0..len {
        if left_in[n].abs() > 1e-3 {
            let balance_in = gain_to_db(f64::from(left_in[n]) / f64::from(right_in[n]));
            let balance_out = gain_to_db(f64::from(left[n]) / f64::from(right[n]));
            worst_balance = worst_balance.max((balance_out - balance_in).abs());
        }
    }
    println!("link 100 %: worst per-sample balance change {worst_balance:.2e} dB");
    assert!(worst_balance < 0.001, "balance moved by {worst_balance} dB");

    // Unrelated channels: the applied gain factor is the same f32 on both sides, so the two
    // output/input ratios agree to f32 rounding of the products.
    let left_in = noise(2, len, 1.0);
    let right_in = noise(3, len, 0.3);
    let (mut left, mut right) = (left_in.clone(), right_in.clone());
    compressor(&s).process(&mut left, &mut right);
    for n in 0..len {
        if left_in[n].abs() > 1e-3 && right_in[n].abs() > 1e-3 {
            let gl = f64::from(left[n]) / f64::from(left_in[n]);
            let gr = f64::from(right[n]) / f64::from(right_in[n]);
            assert!((gl - gr).abs() <= 2.0 * f64::from(f32::EPSILON) * gl, "sample {n}: gains {gl} vs {gr}");
        }
    }
}

#[test]
fn link_amount_moves_the_quiet_channel_towards_the_loud_one() {
    let len = FS as usize / 2;
    let loud = common::sine(1000.0, FS, 1.0, 0.0, len);
    let quiet = common::sine(1000.0, FS, db_to_gain(-40.0), 0.0, len);
    let quiet_channel_reduction = |link: f32| {
        let mut s = settings(-20.0, 4.0, 0.0, 1.0, 100.0);
        s.link = link;
        let (mut left, mut right) = (loud.clone(), quiet.clone());
        compressor(&s).process(&mut left, &mut right);
        let n = len - 1 - 12; // a sine peak (period 48, phase 0)
        (-gain_to_db(f64::from(left[n] / loud[n])), -gain_to_db(f64::from(right[n] / quiet[n])))
    };
    let (loud_0, quiet_0) = quiet_channel_reduction(0.0);
    let (_, quiet_half) = quiet_channel_reduction(0.5);
    let (loud_1, quiet_1) = quiet_channel_reduction(1.0);
    println!("quiet channel reduction: link 0 {quiet_0:.3} dB, 50 % {quiet_half:.3} dB, 100 % {quiet_1:.3} dB");
    assert_eq!(quiet_0, 0.0, "unlinked quiet channel must be untouched");
    assert!((loud_0 - loud_1).abs() < 1e-6, "the loud channel does not depend on the link");
    assert!((quiet_1 - loud_1).abs() < 1e-6, "full link gives the loud channel's reduction");
    assert!((quiet_half - 0.5 * quiet_1).abs() < 0.05, "half link gives about half the reduction");
}

#[test]
fn mix_is_a_latency_compensated_crossfade() {
    let len = FS as usize;
    let input = noise(4, len, 1.0);
    for lookahead in [0usize, 64] {
        let render = |mix: f32| {
            let mut s = settings(-30.0, 10.0, 6.0, 1.0, 50.0);
            s.makeup_db = 0.0;
            s.mix = mix;
            let mut comp = Compressor::new(FS, lookahead);
            comp.set_params(&s);
            assert_eq!(comp.latency(), lookahead);
            run_mono(&mut comp, &input)
        };
        let (dry, half, wet) = (render(0.0), render(0.5), render(1.0));

        let residual: Vec<f64> = (0..len)
            .map(|n| f64::from(dry[n]) - if n >= lookahead { f64::from(input[n - lookahead]) } else { 0.0 })
            .collect();
        let residual_db = common::rms_db(&residual);
        println!("lookahead {lookahead}: mix 0 residual against delayed input {residual_db:.1} dBFS");
        assert!(residual_db < -140.0);

        let level = |x: &[f32]| common::rms_db(&x[len / 2..].iter().map(|&v| f64::from(v)).collect::<Vec<_>>());
        let (dry_db, half_db, wet_db) = (level(&dry), level(&half), level(&wet));
        println!("lookahead {lookahead}: dry {dry_db:.2} dB, mix 50 % {half_db:.2} dB, wet {wet_db:.2} dB");
        assert!(wet_db < half_db && half_db < dry_db, "mix 50 % must lie between wet and dry");
        for n in 0..len {
            let crossfade = 0.5 * (f64::from(dry[n]) + f64::from(wet[n]));
            assert!((f64::from(half[n]) - crossfade).abs() < 1e-6, "sample {n} is not the crossfade");
        }
    }
}

#[test]
fn auto_makeup_restores_a_full_scale_sine() {
    for (threshold, ratio, knee) in [(-20.0f32, 4.0f32, 6.0f32), (-40.0, f32::INFINITY, 12.0), (-3.0, 2.0, 12.0)] {
        let mut s = settings(threshold, ratio, knee, 10.0, 100.0);
        s.auto_makeup = true;
        let mut comp = compressor(&s);
        let input = common::sine(997.0, FS, 1.0, 0.3, FS as usize);
        let output = run_mono(&mut comp, &input);
        let peak = output[FS as usize / 2..].iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let peak_db = gain_to_db(f64::from(peak));
        println!("T {threshold} R {ratio} W {knee}: auto makeup output peak {peak_db:+.3} dBFS");
        assert!(peak_db.abs() < 0.1);
    }
}

#[test]
fn sidechain_high_pass_only_filters_the_detector() {
    let len = FS as usize;
    let bass = common::sine(40.0, FS, 1.0, 0.0, len);
    let reduction_with = |hpf: Option<f32>| {
        let mut s = settings(-20.0, 4.0, 0.0, 10.0, 100.0);
        s.sidechain_hpf_hz = hpf;
        let mut comp = compressor(&s);
        run_mono(&mut comp, &bass);
        comp.gain_reduction_db()
    };
    let (off, on) = (reduction_with(None), reduction_with(Some(200.0)));
    println!("40 Hz at 0 dBFS: reduction {off:.2} dB without side-chain HPF, {on:.2} dB with 200 Hz");
    assert!(off > 14.0 && on < 1.0);

    // With nothing to compress, the filtered detector leaves the audio bit-exact.
    let mut s = settings(0.0, 4.0, 0.0, 10.0, 100.0);
    s.sidechain_hpf_hz = Some(500.0);
    let quiet: Vec<f32> = noise(5, len, 0.5);
    assert_eq!(run_mono(&mut compressor(&s), &quiet), quiet);
}

#[test]
fn auto_release_is_faster_for_peaky_program() {
    // Release time measured after the program stops: the crest estimate holds what it saw.
    let release_time = |peaky: bool, auto: bool| {
        let mut s = settings(-30.0, 4.0, 0.0, 0.1, 200.0);
        s.auto_release = auto;
        let mut comp = compressor(&s);
        let len = FS as usize;
        let mut input: Vec<f32> = if peaky {
            (0..len).map(|n| if n % 2400 == 0 { 1.0 } else { 0.01 }).collect()
        } else {
            common::sine(1000.0, FS, 1.0, 0.0, len)
        };
        input.extend(std::iter::repeat_n(1e-4f32, len));
        let mut left = input.clone();
        let mut right = input.clone();
        let mut reduction = Vec::with_capacity(input.len());
        for (l, r) in left.chunks_mut(1).zip(right.chunks_mut(1)) {
            comp.process(l, r);
            reduction.push(f64::from(comp.gain_reduction_db()));
        }
        let start = len - 2400; // the last click (or an equivalent point of the sine)
        let peak = reduction[start..len].iter().copied().fold(0.0, f64::max);
        let stop = reduction[len..].iter().position(|&r| r <= peak * (-1.0f64).exp()).unwrap();
        (len + stop - start - reduction[start..len].iter().position(|&r| r == peak).unwrap()) as f64 / FS
    };
    let sine_manual = release_time(false, false);
    let sine_auto = release_time(false, true);
    let peaky_auto = release_time(true, true);
    println!(
        "release to 36.8 %: sine manual {:.1} ms, sine auto {:.1} ms, clicks auto {:.1} ms",
        sine_manual * 1e3,
        sine_auto * 1e3,
        peaky_auto * 1e3
    );
    assert!((sine_auto / sine_manual - 1.0).abs() < 0.2, "a sine releases at about the set time");
    assert!(peaky_auto < 0.25 * sine_auto, "peaky program must release much faster");
}

#[test]
fn parameter_jumps_are_ramped() {
    // DC input, so the output is the gain itself; a jump in a setting must become a ramp of
    // about RAMP_SECONDS, linear in dB (threshold, makeup) or in amplitude (mix, on/off).
    let len = FS as usize;
    let input = vec![0.5f32; len];
    let render = |from: CompressorSettings, to: CompressorSettings| {
        let mut comp = compressor(&from);
        let mut out = run_mono(&mut comp, &input[..len / 2]);
        comp.set_params(&to);
        out.extend(run_mono(&mut comp, &input[len / 2..]));
        // From the last settled sample before the change on.
        out.split_off(len / 2 - 1)
    };
    let base = settings(-40.0, 4.0, 0.0, 0.1, 5.0);
    let ramp_samples = 0.02 * FS;
    let cases = [
        ("makeup +12 dB", CompressorSettings { makeup_db: 12.0, ..base }, true),
        ("threshold -40 -> 0 dB", CompressorSettings { threshold_db: 0.0, ..base }, true),
        ("mix 100 -> 0 %", CompressorSettings { mix: 0.0, ..base }, false),
        ("off", CompressorSettings { enabled: false, ..base }, false),
    ];
    for (name, to, in_db) in cases {
        let out = render(base, to);
        let measure = |v: f32| if in_db { gain_to_db(f64::from(v)) } else { f64::from(v) };
        let total = (measure(*out.last().unwrap()) - measure(out[0])).abs();
        let worst = out.windows(2).map(|w| (measure(w[1]) - measure(w[0])).abs()).fold(0.0, f64::max);
        let unit = if in_db { "dB" } else { "FS" };
        println!("{name}: largest step {worst:.5} {unit} per sample for a change of {total:.3} {unit}");
        assert!(total > 0.1, "{name}: the setting had no effect");
        assert!(worst < 2.0 * total / ramp_samples, "{name}: {worst} {unit} in one sample");
    }
}

#[test]
fn block_size_does_not_change_the_output_and_process_does_not_allocate() {
    let len = 3 * 8192;
    let left_in = noise(6, len, 1.0);
    let right_in = noise(7, len, 0.7);
    let first = CompressorSettings {
        threshold_db: -25.0,
        ratio: 6.0,
        knee_db: 6.0,
        attack_ms: 3.0,
        release_ms: 80.0,
        auto_release: true,
        detector: DetectorMode::Rms,
        makeup_db: 3.0,
        auto_makeup: true,
        sidechain_hpf_hz: Some(120.0),
        link: 0.6,
        mix: 0.8,
        enabled: true,
    };
    let second = CompressorSettings {
        threshold_db: -35.0,
        ratio: f32::INFINITY,
        link: 0.2,
        mix: 0.3,
        detector: DetectorMode::Peak,
        ..first
    };
    let third = CompressorSettings { enabled: false, ..second };
    let render = |block: usize| {
        let mut comp = Compressor::new(FS, 37);
        comp.set_params(&first);
        let (mut left, mut right) = (left_in.clone(), right_in.clone());
        for (section, s) in [(0..8192, first), (8192..16384, second), (16384..len, third)] {
            comp.set_params(&s);
            let (l, r) = (&mut left[section.clone()], &mut right[section]);
            assert_no_alloc(|| {
                for (lb, rb) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
                    comp.process(lb, rb);
                }
            });
        }
        (left, right)
    };
    let reference = render(4096);
    for block in [1usize, 17, 64] {
        assert!(render(block) == reference, "block size {block} changed the output");
    }
}

#[test]
fn non_finite_input_is_silenced_and_recovers() {
    let mut comp = compressor(&settings(-30.0, 4.0, 6.0, 1.0, 50.0));
    let mut good = common::sine(1000.0, FS, 1.0, 0.0, 4800);
    let mut right = good.clone();
    comp.process(&mut good, &mut right);
    let mut bad = common::sine(1000.0, FS, 1.0, 0.0, 480);
    bad[100] = f32::NAN;
    bad[200] = f32::INFINITY;
    let mut bad_right = bad.clone();
    comp.process(&mut bad, &mut bad_right);
    assert!(bad.iter().chain(&bad_right).all(|v| *v == 0.0), "a poisoned block comes out silent");
    let mut after = common::sine(1000.0, FS, 1.0, 0.0, 4800);
    let mut after_right = after.clone();
    comp.process(&mut after, &mut after_right);
    assert!(after.iter().all(|v| v.is_finite() && v.abs() <= 1.0));
    assert!(comp.gain_reduction_db().is_finite() && comp.gain_reduction_db() > 1.0);
}

#[test]
fn reset_repeats_the_first_render_and_empty_blocks_are_fine() {
    let s = settings(-25.0, 3.0, 6.0, 5.0, 100.0);
    let mut comp = Compressor::new(FS, 16);
    comp.set_params(&s);
    let input = noise(8, 20_000, 1.0);
    comp.process(&mut [], &mut []);
    let first = run_mono(&mut comp, &input);
    comp.reset();
    comp.set_params(&s);
    assert_eq!(run_mono(&mut comp, &input), first);
}
