//! True-peak limiter: ceiling read by a BS.1770 4x meter and a 16x reconstruction, latency,
//! transparency, bass distortion, link, block-size independence and the real-time contract.
//! (Applied gain <= required gain is asserted inside the limiter on every sample of every test
//! here, since tests run with debug assertions.)

mod common;

use common::limiter_signals::{clipped_drum_and_bass, quarter_rate_sine, run, step_100_db, tone_bursts, white_noise};
use common::{assert_no_alloc, db_to_gain, gain_to_db};
use keel_core::dsp::limiter::{Limiter, LimiterSettings};
use keel_core::dsp::rng::Rng;
use keel_core::dsp::true_peak::{Reconstructor, bs1770_true_peak_of, true_peak_of};
use std::f64::consts::TAU;

const RATES: [f64; 3] = [44_100.0, 48_000.0, 96_000.0];
const CEILINGS: [f32; 3] = [-0.1, -1.0, -2.0];

fn limiter(fs: f64, s: &LimiterSettings) -> Limiter {
    let mut lim = Limiter::new(fs);
    lim.set_params(s);
    lim
}

/// Output true peak in dB relative to the ceiling, by each meter (max over channels).
/// BS.1770 reading includes the sample peak, as a meter displays max(sample, interpolated).
fn overshoot_db(left: &[f32], right: &[f32], fs: f64, ceiling_db: f32) -> (f64, f64) {
    let sample_peak = |x: &[f32]| x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let bs = |x: &[f32]| bs1770_true_peak_of(x, fs).max(sample_peak(x));
    let bs_db = gain_to_db(f64::from(bs(left).max(bs(right)))) - f64::from(ceiling_db);
    let rc_db = gain_to_db(f64::from(true_peak_of(left, fs).max(true_peak_of(right, fs)))) - f64::from(ceiling_db);
    (bs_db, rc_db)
}

struct Case {
    name: &'static str,
    drive_db: f32,
    left: Vec<f32>,
    right: Vec<f32>,
}

fn cases(fs: f64) -> Vec<Case> {
    let len = (0.75 * fs) as usize;
    vec![
        Case {
            name: "fs/4 sine at 45 deg",
            drive_db: 12.0,
            left: quarter_rate_sine(fs, len, 0.0),
            right: quarter_rate_sine(fs, len, 0.3),
        },
        Case {
            name: "clipped drums + square bass",
            drive_db: 12.0,
            left: clipped_drum_and_bass(fs, len, 1),
            right: clipped_drum_and_bass(fs, len, 2),
        },
        Case { name: "white noise", drive_db: 20.0, left: white_noise(len, 3, 0.1), right: white_noise(len, 4, 0.1) },
        Case {
            name: "12 kHz bursts",
            drive_db: 12.0,
            left: tone_bursts(fs, len, 0.0),
            right: tone_bursts(fs, len, 1.0),
        },
        Case {
            name: "+100 dB step",
            drive_db: 0.0,
            left: step_100_db(fs, len, false),
            right: step_100_db(fs, len, true),
        },
    ]
}

/// The signals in `cases` never read above the ceiling on either meter: the limiter's documented
/// 0.001 dB detection margin covers f32 rounding of the output (about 1e-5 dB) and the
/// reconstruction residual of a new attack inside the previous peak's window (see the limiter
/// module docs). Adversarial material is bounded separately below.
const ROUNDING_DB: f64 = 0.0;
const GAIN_MOVEMENT_DB: f64 = 0.0;

#[test]
fn output_never_reads_above_the_ceiling() {
    let mut worst_bs = f64::NEG_INFINITY;
    let mut worst_rc = f64::NEG_INFINITY;
    for fs in RATES {
        for case in cases(fs) {
            for ceiling_db in CEILINGS {
                for link in [1.0f32, 0.0] {
                    let s = LimiterSettings { ceiling_db, drive_db: case.drive_db, link, ..LimiterSettings::default() };
                    let mut lim = limiter(fs, &s);
                    let (l, r) = run(&mut lim, &case.left, &case.right);
                    let (bs, rc) = overshoot_db(&l, &r, fs, ceiling_db);
                    println!(
                        "{fs} Hz, {:<28} ceiling {ceiling_db:>5} dB, link {link}: BS.1770 {bs:+.6} dB, 16x {rc:+.6} dB",
                        case.name
                    );
                    worst_bs = worst_bs.max(bs);
                    worst_rc = worst_rc.max(rc);
                }
            }
        }
    }
    println!("worst over the ceiling: BS.1770 4x {worst_bs:+.7} dB, reconstruction {worst_rc:+.7} dB");
    assert!(worst_bs <= ROUNDING_DB, "BS.1770 meter reads {worst_bs} dB over the ceiling");
    assert!(worst_rc <= GAIN_MOVEMENT_DB, "reconstruction reads {worst_rc} dB over the ceiling");
}

/// The known residual (limiter module docs): random +-1 bursts, unlinked, 5 ms release, where
/// new deeper peaks keep starting attack ramps inside the window of the interval that set the
/// gain. Documented at about +0.014 dB on the reconstruction meter; this pins it there.
#[test]
fn adversarial_bursts_stay_within_the_documented_residual() {
    let fs = 44_100.0;
    let len = fs as usize;
    let mut rng = Rng::new(3);
    let left: Vec<f32> = (0..len)
        .map(|n| {
            if (n / 300) % 3 == 0 {
                if rng.uniform() < 0.5 { 1.0 } else { -1.0 }
            } else {
                (0.05 * rng.bipolar()) as f32
            }
        })
        .collect();
    let right: Vec<f32> =
        (0..len).map(|n| if (n / 170) % 2 == 0 { if rng.uniform() < 0.5 { 1.0 } else { -1.0 } } else { 0.0 }).collect();
    let s = LimiterSettings { drive_db: 6.0, link: 0.0, release_ms: 5.0, ..LimiterSettings::default() };
    let (l, r) = run(&mut limiter(fs, &s), &left, &right);
    let (bs, rc) = overshoot_db(&l, &r, fs, s.ceiling_db);
    println!("adversarial bursts: BS.1770 {bs:+.6} dB, 16x {rc:+.6} dB");
    assert!(bs <= ROUNDING_DB, "BS.1770 reads {bs} dB over");
    assert!(rc <= 0.02, "reconstruction reads {rc} dB over, beyond the documented residual");
}

#[test]
fn steady_tone_is_limited_to_the_ceiling_not_below_it() {
    // No hidden margin: a steady tone driven 6 dB over settles with its true peak on the ceiling.
    for fs in RATES {
        let s = LimiterSettings { ceiling_db: -1.0, ..LimiterSettings::default() };
        let input: Vec<f32> = common::sine(1000.0, fs, db_to_gain(5.0), 0.2, fs as usize);
        let (l, _) = run(&mut limiter(fs, &s), &input, &input);
        // Read inside the continuous output: a slice cut out of it would ring at its own edges.
        let mut meter = Reconstructor::new(fs);
        let latency = meter.latency();
        let settled = l
            .iter()
            .enumerate()
            .map(|(i, &y)| (i, meter.push(y)))
            .filter(|&(i, _)| i >= fs as usize / 2 + latency && i < fs as usize);
        let level = gain_to_db(f64::from(settled.fold(0.0f32, |m, (_, v)| m.max(v)))) + 1.0;
        println!("{fs} Hz: settled 1 kHz tone true peak {level:+.5} dB re ceiling");
        assert!(level <= GAIN_MOVEMENT_DB && level > -0.02, "settled at {level} dB re ceiling");
    }
}

#[test]
fn reported_latency_is_the_measured_delay_in_every_mode() {
    for fs in [44_100.0, 48_000.0, 88_200.0, 96_000.0, 192_000.0] {
        let latency = Limiter::new(fs).latency();
        assert_eq!(latency, Limiter::latency_for(fs));
        assert!(latency as f64 <= 0.005 * fs, "{fs} Hz: latency {latency} is over 5 ms");
        let modes = [
            ("on, under the ceiling", LimiterSettings::default(), 0.5f32),
            ("on, limiting", LimiterSettings::default(), 1.0),
            (
                "on, driven, auto release, unlinked",
                LimiterSettings { drive_db: 12.0, auto_release: true, link: 0.0, ..LimiterSettings::default() },
                0.5,
            ),
            ("off (bypass)", LimiterSettings { enabled: false, drive_db: 12.0, ..LimiterSettings::default() }, 1.0),
        ];
        for (name, s, amplitude) in modes {
            let mut lim = limiter(fs, &s);
            assert_eq!(lim.latency(), latency, "{name}: latency changed with the settings");
            let mut impulse = vec![0.0f32; 4 * latency];
            impulse[latency / 3] = amplitude;
            let (l, r) = run(&mut lim, &impulse, &impulse);
            let peak_at = l
                .iter()
                .enumerate()
                .fold((0, 0.0f32), |(i, m), (j, &v)| if v.abs() > m { (j, v.abs()) } else { (i, m) })
                .0;
            assert_eq!(peak_at, latency / 3 + latency, "{fs} Hz, {name}: impulse came out at the wrong time");
            assert!(l.iter().enumerate().all(|(i, &v)| i == peak_at || v == 0.0), "{fs} Hz, {name}: smeared");
            assert_eq!(l, r);
        }
        println!("{fs} Hz: latency {latency} samples ({:.3} ms)", latency as f64 / fs * 1e3);
    }
}

#[test]
fn below_the_ceiling_the_output_is_the_delayed_input_bit_for_bit() {
    for fs in RATES {
        for ceiling_db in CEILINGS {
            let len = fs as usize / 2;
            let raw_l = clipped_drum_and_bass(fs, len, 9);
            let raw_r = white_noise(len, 10, 0.25);
            // Scale so both meters read just under the ceiling (0.002 dB: the limiter aims
            // DETECTION_MARGIN_DB = 0.001 dB under it).
            let reading = |x: &[f32]| {
                let sp = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                f64::from(true_peak_of(x, fs).max(bs1770_true_peak_of(x, fs)).max(sp))
            };
            let target = db_to_gain(f64::from(ceiling_db) - 0.002);
            let scale_l = (target / reading(&raw_l)) as f32;
            let scale_r = (target / reading(&raw_r)) as f32;
            let left: Vec<f32> = raw_l.iter().map(|v| v * scale_l).collect();
            let right: Vec<f32> = raw_r.iter().map(|v| v * scale_r).collect();
            assert!(
                reading(&left) < db_to_gain(f64::from(ceiling_db))
                    && reading(&right) < db_to_gain(f64::from(ceiling_db))
            );
            let s = LimiterSettings { ceiling_db, ..LimiterSettings::default() };
            let mut lim = limiter(fs, &s);
            let (l, r) = run(&mut lim, &left, &right);
            let d = lim.latency();
            assert!(l[d..] == left[..] && r[d..] == right[..], "{fs} Hz, ceiling {ceiling_db}: not bit-exact");
            assert!(l[..d].iter().chain(&r[..d]).all(|&v| v == 0.0));
            assert_eq!(lim.gain_reduction_db(), 0.0);
        }
    }
}

/// Amplitude of the DFT bin at `freq` over `x` (an integer number of periods).
fn tone_amplitude(x: &[f32], freq: f64, fs: f64) -> f64 {
    let (mut re, mut im) = (0.0, 0.0);
    for (n, &v) in x.iter().enumerate() {
        let phase = TAU * freq * n as f64 / fs;
        re += f64::from(v) * phase.cos();
        im -= f64::from(v) * phase.sin();
    }
    2.0 * re.hypot(im) / x.len() as f64
}

fn thd_db(x: &[f32], freq: f64, fs: f64) -> f64 {
    let fundamental = tone_amplitude(x, freq, fs);
    let harmonics: f64 = (2..=20).map(|k| tone_amplitude(x, k as f64 * freq, fs).powi(2)).sum();
    10.0 * (harmonics / (fundamental * fundamental)).log10()
}

#[test]
fn bass_over_the_ceiling_is_not_distorted() {
    for fs in [44_100.0, 48_000.0] {
        for (freq, release_ms) in [(50.0, 50.0f32), (50.0, 10.0), (30.0, 50.0), (100.0, 10.0), (180.0, 50.0)] {
            let s = LimiterSettings { ceiling_db: -1.0, release_ms, ..LimiterSettings::default() };
            // 6 dB over the ceiling.
            let input = common::sine(freq, fs, db_to_gain(5.0), 0.0, (2.0 * fs) as usize);
            let (l, _) = run(&mut limiter(fs, &s), &input, &input);
            let settled = &l[fs as usize..2 * fs as usize];
            let thd = thd_db(settled, freq, fs);
            let level = gain_to_db(tone_amplitude(settled, freq, fs)) + 1.0;
            println!(
                "{fs} Hz: {freq} Hz sine 6 dB over, release {release_ms} ms: THD {thd:.1} dB, level {level:+.4} dB re ceiling"
            );
            // First goal -70 dB (50 Hz, 50 ms); docs/dsp-notes.md §1.4 asks -80 dB even at 10 ms.
            assert!(thd <= -80.0, "{freq} Hz, release {release_ms} ms: THD {thd:.1} dB");
        }
    }
}

#[test]
fn full_link_gives_identical_gain_and_no_link_leaves_the_quiet_side_alone() {
    let fs = 48_000.0;
    let len = fs as usize / 2;
    let loud = clipped_drum_and_bass(fs, len, 5);
    let quiet: Vec<f32> = white_noise(len, 6, 0.01);
    let linked = LimiterSettings { drive_db: 12.0, ..LimiterSettings::default() };
    let (l, r) = run(&mut limiter(fs, &linked), &loud, &quiet);
    let d = Limiter::latency_for(fs);
    let mut reduced = 0;
    for n in 0..len {
        let gl = f64::from(l[n + d]) / (f64::from(loud[n]) * db_to_gain(12.0));
        let gr = f64::from(r[n + d]) / (f64::from(quiet[n]) * db_to_gain(12.0));
        if loud[n].abs() > 1e-3 && quiet[n].abs() > 1e-4 {
            assert!((gl - gr).abs() <= 4.0 * f64::from(f32::EPSILON) * gl, "sample {n}: {gl} vs {gr}");
            reduced += usize::from(gl < 0.99);
        }
    }
    assert!(reduced > len / 10, "the loud side must be limited for this test to mean anything");

    let unlinked = LimiterSettings { link: 0.0, ..linked };
    let (_, r) = run(&mut limiter(fs, &unlinked), &loud, &quiet);
    let driven: Vec<f32> = quiet.iter().map(|v| v * db_to_gain(12.0) as f32).collect();
    assert!(r[d..] == driven[..], "unlinked, the quiet channel must pass untouched");
}

#[test]
fn auto_release_recovers_transients_fast_and_sustained_reduction_slowly() {
    let fs = 48_000.0;
    // Time for the gain reduction to fall to a third of its peak after the program stops.
    let recovery_ms = |auto: bool, sustained: bool| {
        let s =
            LimiterSettings { ceiling_db: -1.0, release_ms: 20.0, auto_release: auto, ..LimiterSettings::default() };
        let mut lim = limiter(fs, &s);
        let loud_len = if sustained { 2 * fs as usize } else { (0.005 * fs) as usize };
        let mut input: Vec<f32> = common::sine(1000.0, fs, db_to_gain(6.0), 0.0, loud_len);
        input.extend(std::iter::repeat_n(0.01f32, fs as usize));
        let mut reductions = Vec::new();
        let (mut l, mut r) = (input.clone(), input.clone());
        for (lb, rb) in l.chunks_mut(48).zip(r.chunks_mut(48)) {
            lim.process(lb, rb);
            reductions.push(lim.gain_reduction_db());
        }
        let peak_block =
            reductions.iter().enumerate().fold((0, 0.0f32), |(i, m), (j, &v)| if v >= m { (j, v) } else { (i, m) });
        let recovered = reductions[peak_block.0..].iter().position(|&v| v <= peak_block.1 / 3.0).unwrap();
        recovered as f64 * 48.0 / fs * 1e3
    };
    let manual_short = recovery_ms(false, false);
    let auto_short = recovery_ms(true, false);
    let auto_sustained = recovery_ms(true, true);
    println!(
        "recovery to 1/3 of the reduction: manual {manual_short:.1} ms, auto after a burst {auto_short:.1} ms, auto after 2 s {auto_sustained:.1} ms"
    );
    assert!(auto_short < 2.0 * manual_short, "a short burst recovers at about the set release");
    assert!(auto_sustained > 3.0 * auto_short, "sustained reduction recovers much more slowly");
}

#[test]
fn block_size_does_not_change_the_output_and_process_does_not_allocate() {
    let fs = 44_100.0;
    let len = 4 * 8192;
    let left = clipped_drum_and_bass(fs, len, 7);
    let right = white_noise(len, 8, 0.2);
    let steps = [
        LimiterSettings { drive_db: 9.0, ..LimiterSettings::default() },
        LimiterSettings {
            drive_db: 14.0,
            ceiling_db: -3.0,
            link: 0.4,
            auto_release: true,
            ..LimiterSettings::default()
        },
        LimiterSettings { drive_db: 6.0, link: 1.0, release_ms: 5.0, ..LimiterSettings::default() },
        LimiterSettings { enabled: false, drive_db: 6.0, ..LimiterSettings::default() },
    ];
    let render = |block: usize| {
        let mut lim = limiter(fs, &steps[0]);
        let (mut l, mut r) = (left.clone(), right.clone());
        for (section, s) in steps.iter().enumerate() {
            lim.set_params(s);
            let range = section * 8192..(section + 1) * 8192;
            let (ls, rs) = (&mut l[range.clone()], &mut r[range]);
            assert_no_alloc(|| {
                for (lb, rb) in ls.chunks_mut(block).zip(rs.chunks_mut(block)) {
                    lim.process(lb, rb);
                }
            });
        }
        (l, r)
    };
    let reference = render(4096);
    for block in [1usize, 17, 64] {
        assert!(render(block) == reference, "block size {block} changed the output");
    }
}

#[test]
fn drive_and_ceiling_changes_are_ramped() {
    let fs = 48_000.0;
    let len = fs as usize;
    // A tone under the ceiling: drive +6 dB pushes it into the limiter; the level must glide.
    let input = common::sine(1000.0, fs, db_to_gain(-3.0), 0.0, len);
    let mut lim = limiter(fs, &LimiterSettings { ceiling_db: -1.0, ..LimiterSettings::default() });
    let (mut l, mut r) = (input.clone(), input.clone());
    lim.process(&mut l[..len / 2], &mut r[..len / 2]);
    lim.set_params(&LimiterSettings { ceiling_db: -6.0, drive_db: 6.0, ..LimiterSettings::default() });
    lim.process(&mut l[len / 2..], &mut r[len / 2..]);
    // Peak of each 1 ms period: consecutive periods may differ by at most a ramp's share.
    let peaks: Vec<f64> =
        l[len / 4..].chunks(48).map(|p| gain_to_db(f64::from(p.iter().fold(0.0f32, |m, v| m.max(v.abs()))))).collect();
    let worst = peaks.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f64::max);
    println!("largest level change between consecutive 1 ms periods: {worst:.3} dB");
    assert!(worst < 1.0, "level jumped by {worst} dB");
    let settled = gain_to_db(f64::from(l[len - 4800..].iter().fold(0.0f32, |m, v| m.max(v.abs()))));
    assert!((settled + 6.0).abs() < 0.05, "settles at the new ceiling, got {settled}");
}

#[test]
fn non_finite_input_is_silenced_and_the_limiter_recovers() {
    let fs = 48_000.0;
    let mut lim = limiter(fs, &LimiterSettings { drive_db: 12.0, ..LimiterSettings::default() });
    let signal = white_noise(4800, 11, 0.3);
    let (mut l, mut r) = (signal.clone(), signal.clone());
    lim.process(&mut l, &mut r);
    let (mut l, mut r) = (signal.clone(), signal.clone());
    l[10] = f32::NAN;
    r[20] = f32::NEG_INFINITY;
    lim.process(&mut l, &mut r);
    let (mut l, mut r) = (signal.clone(), signal.clone());
    lim.process(&mut l, &mut r);
    let (mut l2, mut r2) = (signal.clone(), signal);
    lim.process(&mut l2, &mut r2);
    let ceiling = db_to_gain(-1.0) as f32;
    assert!(l.iter().chain(&r).chain(&l2).chain(&r2).all(|v| v.is_finite() && v.abs() <= ceiling));
    assert!(lim.gain_reduction_db().is_finite() && lim.gain_reduction_db() > 1.0);
}

#[test]
fn reset_repeats_the_first_render() {
    let fs = 96_000.0;
    let s = LimiterSettings { drive_db: 10.0, link: 0.5, ..LimiterSettings::default() };
    let mut lim = limiter(fs, &s);
    let left = clipped_drum_and_bass(fs, 20_000, 12);
    let right = white_noise(20_000, 13, 0.2);
    lim.process(&mut [], &mut []);
    let first = run(&mut lim, &left, &right);
    lim.reset();
    lim.set_params(&s);
    assert!(run(&mut lim, &left, &right) == first);
}
