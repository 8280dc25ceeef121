//! Listening as a platform and the level-matched compare, through the plugin's own process path
//! (`Keel::process_channels`), read by the `ebur128` crate (independent of Keel's meter) and
//! checked against the platforms' rules as written here from their documents
//! (`../shared/reference/delivery.md` §5 summarises them): Spotify Normal turns up only as far
//! as the true peak allows (-1 dBTP), Loud plays at -11 LUFS through a limiter at -1 dB sample
//! value, the down-only players never turn up.

mod common;
use common::limiter_signals;

use ebur128::{EbuR128, Mode};
use keel::Keel;
use keel::monitor::listening_platforms;
use keel::preset::set_values;
use keel_core::params::ParamValue;
use keel_core::targets::{Normalization, find_target};
use std::f64::consts::TAU;

const RATE: f64 = 48_000.0;
const BLOCK: usize = 512;

fn plugin() -> Keel {
    let mut plugin = Keel::default();
    plugin.prepare(RATE as f32, BLOCK, 2);
    plugin
}

/// Runs `left`/`right` through the plugin in blocks; `before_block(plugin, first frame)` may
/// switch the monitors.
fn run(
    plugin: &mut Keel,
    left: &[f32],
    right: &[f32],
    mut before_block: impl FnMut(&mut Keel, usize),
) -> (Vec<f32>, Vec<f32>) {
    let (mut l, mut r) = (left.to_vec(), right.to_vec());
    for (k, (lb, rb)) in l.chunks_mut(BLOCK).zip(r.chunks_mut(BLOCK)).enumerate() {
        before_block(plugin, k * BLOCK);
        plugin.process_channels(&mut [lb, rb], false);
    }
    (l, r)
}

/// (integrated LUFS, true peak dBTP) by the ebur128 crate.
fn loudness(left: &[f32], right: &[f32]) -> (f64, f64) {
    let mut meter = EbuR128::new(2, RATE as u32, Mode::I | Mode::TRUE_PEAK).unwrap();
    meter.add_frames_planar_f32(&[left, right]).unwrap();
    let peak = meter.true_peak(0).unwrap().max(meter.true_peak(1).unwrap());
    (meter.loudness_global().unwrap(), 20.0 * peak.log10())
}

/// A 1 kHz stereo tone with peak `amplitude`, plus, once a second, one cycle at `blip` (a true
/// peak that adds almost no loudness).
fn tone(amplitude: f64, blip: f64, seconds: f64) -> Vec<f32> {
    let len = (RATE * seconds) as usize;
    (0..len)
        .map(|n| {
            let t = n as f64 / RATE;
            let a = if t.fract() < 0.001 { blip } else { amplitude };
            (a * (TAU * 1000.0 * t).sin()) as f32
        })
        .collect()
}

/// What the platform's player plays a master of `lufs` and `true_peak` at, by its rule.
fn playback_lufs(id: &str, lufs: f64, true_peak: f64) -> f64 {
    let target = find_target(id).unwrap();
    let goal = target.target_lufs.unwrap();
    let gain = match target.normalization {
        Normalization::UpAndDown => goal - lufs,
        Normalization::DownOnly => (goal - lufs).min(0.0),
        Normalization::UpToPeakLimit { peak_limit_dbtp } => (goal - lufs).min((peak_limit_dbtp - true_peak).max(0.0)),
        Normalization::None => 0.0,
    };
    lufs + gain
}

/// Plays `signal` as platform `id` for 16 s and measures the last 8 s.
fn listen(id: &str, signal: &[f32]) -> (f64, Vec<f32>) {
    let mut plugin = plugin();
    plugin.editor_shared().monitor.set_listen_as(Some(id));
    let (l, r) = run(&mut plugin, signal, signal, |_, _| {});
    let settled = (8.0 * RATE) as usize;
    (loudness(&l[settled..], &r[settled..]).0, l)
}

#[test]
fn every_platform_plays_a_steady_input_at_its_playback_loudness() {
    for (amplitude, name) in [(0.056, "quiet (-25 LUFS)"), (0.56, "loud (-5 LUFS)")] {
        let signal = tone(amplitude, amplitude, 16.0);
        let (lufs, peak) = loudness(&signal, &signal);
        for platform in listening_platforms() {
            let (heard, _) = listen(platform.id, &signal);
            let expected = playback_lufs(platform.id, lufs, peak);
            eprintln!("{name}: {:<16} heard {heard:7.2} LUFS, rule {expected:7.2}", platform.id);
            assert!(
                (heard - expected).abs() <= 0.1,
                "{}, {name}: heard {heard:.2} LUFS, the rule gives {expected:.2}",
                platform.id
            );
        }
    }
}

#[test]
fn down_only_players_leave_a_quiet_input_untouched() {
    let signal = tone(0.056, 0.056, 16.0);
    let mut reference = plugin();
    let (as_rendered, _) = run(&mut reference, &signal, &signal, |_, _| {});
    for platform in listening_platforms().filter(|t| t.normalization == Normalization::DownOnly) {
        let (_, heard) = listen(platform.id, &signal[..]);
        assert!(heard[..as_rendered.len()] == as_rendered[..], "{} changed a quiet input", platform.id);
    }
}

#[test]
fn spotify_normal_turns_up_only_as_far_as_the_true_peak_allows() {
    // -20 LUFS with a true peak of -5 dBTP: Spotify's own example goes up to -16 LUFS, not -14.
    let signal = tone(0.1, 0.56, 16.0);
    let (lufs, peak) = loudness(&signal, &signal);
    let (heard, _) = listen("spotify-normal", &signal);
    let expected = lufs + (-1.0 - peak);
    eprintln!("input {lufs:.2} LUFS, {peak:.2} dBTP: heard {heard:.2} LUFS (headroom rule {expected:.2})");
    assert!(expected < -14.5, "the test signal must be peak-limited: {expected}");
    assert!((heard - expected).abs() <= 0.1, "heard {heard:.2} LUFS, expected {expected:.2}");
}

#[test]
fn spotify_loud_limits_a_steady_tone_to_minus_1_dbfs_within_50_ms() {
    // A quiet tone long enough for the player's gain to settle high, then the same tone 20 dB
    // louder: the normalization gain cannot follow that fast, so the player's limiter must.
    let quiet = tone(0.02, 0.02, 10.0);
    let loud = tone(0.2, 0.2, 2.0);
    let signal: Vec<f32> = quiet.iter().chain(&loud).copied().collect();
    let mut plugin = plugin();
    plugin.editor_shared().monitor.set_listen_as(Some("spotify-loud"));
    let (l, _) = run(&mut plugin, &signal, &signal, |_, _| {});
    let latency = plugin_latency();
    let onset = quiet.len() + latency;
    let ceiling = 10f64.powf(-1.0 / 20.0) as f32;
    let before = l[onset..onset + (0.005 * RATE) as usize].iter().fold(0.0f32, |m, x| m.max(x.abs()));
    assert!(before > ceiling, "the jump must overshoot the ceiling at first ({before})");
    let after = &l[onset + (0.05 * RATE) as usize..onset + (1.5 * RATE) as usize];
    let peak = after.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    assert!(peak <= ceiling, "sample peak {:.4} dBFS 50 ms after the onset", 20.0 * f64::from(peak).log10());
    // And it is limiting, not just turned down: the peak sits at the ceiling.
    assert!(20.0 * f64::from(peak).log10() > -1.2, "peak {peak}");
}

fn plugin_latency() -> usize {
    keel_core::chain::Chain::new(RATE).latency()
}

/// The limiter with 4 dB of drive: about 6 dB of gain reduction at its deepest on music-like material.
fn limited_plugin() -> Keel {
    let plugin = plugin();
    let values = [
        ("lim_on".to_string(), ParamValue::Bool(true)),
        ("lim_drive".to_string(), ParamValue::Float(4.0)),
        ("lim_ceiling".to_string(), ParamValue::Float(-1.0)),
    ];
    set_values(&plugin.editor_shared().params, &values).unwrap();
    plugin
}

#[test]
fn the_compare_plays_the_input_at_the_processed_loudness_and_switches_without_a_step() {
    let len = (30.0 * RATE) as usize;
    let left = limiter_signals::music_like(RATE, len, 5);
    let right = limiter_signals::music_like(RATE, len, 6);
    let mut processed_plugin = limited_plugin();
    let (processed_l, processed_r) = run(&mut processed_plugin, &left, &right, |_, _| {});
    let on_at = (10.0 * RATE) as usize / BLOCK * BLOCK;
    let off_at = (20.0 * RATE) as usize / BLOCK * BLOCK;
    let mut switching = limited_plugin();
    let monitor = switching.editor_shared().monitor;
    let mut gains = Vec::new();
    let (l, r) = run(&mut switching, &left, &right, |_, at| {
        gains.push(f64::from(monitor.compare_gain_db.load(std::sync::atomic::Ordering::Relaxed)));
        monitor.set_compare((on_at..off_at).contains(&at));
    });

    // Short-term loudness every 100 ms while the compare is on (after its 3 s window is full of it).
    let short_term = |l: &[f32], r: &[f32], at: usize| {
        let mut meter = EbuR128::new(2, RATE as u32, Mode::S).unwrap();
        let start = at - (3.0 * RATE) as usize;
        meter.add_frames_planar_f32(&[&l[start..at], &r[start..at]]).unwrap();
        meter.loudness_shortterm().unwrap()
    };
    let mut worst: f64 = 0.0;
    for at in (on_at + (3.0 * RATE) as usize..off_at).step_by((0.1 * RATE) as usize) {
        let difference = short_term(&l, &r, at) - short_term(&processed_l, &processed_r, at);
        worst = worst.max(difference.abs());
    }
    eprintln!("compare vs processed short-term loudness: worst {worst:.3} LU");
    assert!(worst <= 0.5, "the compare's short-term loudness strays {worst:.2} LU from the processed output's");
    assert!(worst > 0.0, "the compare must play something other than the processed output");

    // Switching makes no step: the match gain runs while the compare is off, so at the switch
    // it already has the value it keeps (it moves less than 0.5 dB over the next 3 s), and the
    // switch itself is a 20 ms crossfade, so no sample jumps further than the music itself does.
    // (The level of the matched input against the limited output still differs from moment to
    // moment, by up to 0.8 dB over 1 s windows here: that is the limiter's work on the material's
    // 0.8 s swell, which is what the compare is for.)
    let block_at = |at: usize| at / BLOCK;
    let gain_at = |at: usize| gains[block_at(at)];
    for at in [on_at, off_at] {
        for later in 1..=3 {
            let moved = gain_at(at + later * RATE as usize) - gain_at(at);
            assert!(
                moved.abs() < 0.5,
                "the match gain moves {moved:.2} dB in the {later} s after the switch at {:.1} s",
                at as f64 / RATE
            );
        }
        let jump =
            |x: &[f32], from: usize, to: usize| x[from..to].windows(2).fold(0.0f32, |m, w| m.max((w[1] - w[0]).abs()));
        let (from, to) = (at - (0.01 * RATE) as usize, at + (0.03 * RATE) as usize);
        let around = jump(&l, from, to);
        let music = jump(&processed_l, from, to).max(jump(&l, to, to + (0.04 * RATE) as usize));
        assert!(
            around <= 1.5 * music,
            "switch at {:.1} s: a sample jumps {around}, the music's largest step is {music}",
            at as f64 / RATE
        );
    }
    // The limiter really worked: about 6 dB of gain reduction at its deepest.
    let deepest = processed_plugin.editor_shared().meters.limiter_gr_peak_db.take().abs();
    eprintln!("deepest limiter gain reduction {deepest:.2} dB");
    assert!((5.0..7.5).contains(&deepest), "{deepest} dB of limiting");
}

#[test]
fn the_meters_and_the_output_as_rendered_do_not_change_with_monitoring() {
    let len = (8.0 * RATE) as usize;
    let left = limiter_signals::music_like(RATE, len, 1);
    let right = limiter_signals::music_like(RATE, len, 2);
    let mut plain = limited_plugin();
    let (plain_l, _) = run(&mut plain, &left, &right, |_, _| {});
    let mut monitored = limited_plugin();
    let monitor = monitored.editor_shared().monitor;
    let (monitored_l, _) = run(&mut monitored, &left, &right, |_, at| {
        monitor.set_listen_as(Some("spotify-loud"));
        monitor.set_compare(at < 4 * 48_000);
    });
    assert!(plain_l != monitored_l, "monitoring must change what is heard");
    // The meters read the output before the monitors.
    let reading = |p: &Keel| p.editor_shared().meters.snapshot().loudness;
    assert_eq!(reading(&plain), reading(&monitored));
    // Switched off, the output is again exactly what a fresh instance outputs (once ramps end).
    monitor.set_listen_as(None);
    monitor.set_compare(false);
    let (again, _) = run(&mut monitored, &left, &right, |_, _| {});
    let (fresh, _) = run(&mut plain, &left, &right, |_, _| {});
    let tail = (2.0 * RATE) as usize;
    assert!(again[tail..] == fresh[tail..], "monitoring off must pass the output through untouched");
}

#[test]
fn monitoring_is_not_a_parameter_and_a_new_instance_starts_with_it_off() {
    let plugin = plugin();
    let shared = plugin.editor_shared();
    shared.monitor.set_listen_as(Some("spotify-normal"));
    shared.monitor.set_compare(true);
    use nice_plug::prelude::Params;
    let ids: Vec<String> = shared.params.param_map().into_iter().map(|(id, _, _)| id).collect();
    assert!(ids.iter().all(|id| !id.contains("listen") && !id.contains("compare")), "{ids:?}");
    let persisted = shared.params.serialize_fields();
    assert!(persisted.keys().all(|k| !k.contains("listen") && !k.contains("compare")), "{persisted:?}");
    let fresh = Keel::default();
    assert!(!fresh.editor_shared().monitor.any_on());
}
