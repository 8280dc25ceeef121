//! `keel master --target spotify` over programmes from about -30 to -6 LUFS: every result
//! within +-0.1 LU of -14 LUFS and at or under -1.0 dBTP, as the `ebur128` crate measures it.

mod cli_common;

use cli_common::*;

fn crate_reading(path: &std::path::Path) -> (f64, f64) {
    let (format, channels) = read_wav(path);
    let mut meter =
        ebur128::EbuR128::new(u32::from(format.channels), format.sample_rate, ebur128::Mode::I | ebur128::Mode::TRUE_PEAK).unwrap();
    let refs: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
    meter.add_frames_planar_f32(&refs).unwrap();
    let peak = (0..u32::from(format.channels)).map(|c| meter.true_peak(c).unwrap()).fold(0.0f64, f64::max);
    (meter.loudness_global().unwrap(), 20.0 * peak.log10())
}

#[test]
fn spotify_master_lands_on_minus_14_under_minus_1_dbtp() {
    let scratch = Scratch::new("master");
    // (name, gen arguments, render gain to place it): quiet to very loud, steady and dynamic.
    let programmes: &[(&str, &[&str], &str)] = &[
        ("quiet_pink", &["pink", "--seconds", "8", "--level", "-33", "--seed", "3"], "0"),
        ("tone_steps", &["ebu3341-9"], "-4"),
        ("sweep", &["sweep", "--seconds", "6", "--level", "-6"], "-6"),
        ("white_mono", &["white", "--seconds", "6", "--level", "-20", "--channels", "1", "--format", "s24"], "0"),
        ("loud_pink", &["pink", "--seconds", "8", "--level", "-9", "--seed", "4", "--rate", "44100"], "0"),
    ];
    let mut input_levels = Vec::new();
    for (name, gen_args, gain) in programmes {
        let raw = scratch.path(&format!("{name}-raw.wav"));
        let mut args = vec!["gen", gen_args[0], "-o", raw.to_str().unwrap()];
        args.extend_from_slice(&gen_args[1..]);
        ok(keel(&args));
        let input = scratch.path(&format!("{name}.wav"));
        ok(keel(&["render", raw.to_str().unwrap(), "-o", input.to_str().unwrap(), "--set", &format!("out_gain={gain}"), "-q"]));
        input_levels.push(crate_reading(&input).0);

        let output = scratch.path(&format!("{name}-master.wav"));
        let result = keel(&["master", input.to_str().unwrap(), "-o", output.to_str().unwrap(), "--target", "spotify"]);
        let text = ok(result);
        assert!(text.contains("before:") && text.contains("after:"), "{text}");
        let (integrated, true_peak) = crate_reading(&output);
        assert!((integrated + 14.0).abs() <= 0.1, "{name}: {integrated:.3} LUFS\n{text}");
        assert!(true_peak <= -1.0, "{name}: true peak {true_peak:.3} dBTP\n{text}");
    }
    let (lowest, highest) = input_levels.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &l| (a.min(l), b.max(l)));
    assert!(lowest <= -29.0 && highest >= -7.0, "programmes span {lowest:.1} to {highest:.1} LUFS");
}

#[test]
fn unreachable_or_bad_targets_fail_without_output() {
    let scratch = Scratch::new("masterbad");
    let input = generate(&scratch, "pink", "in.wav", &["--seconds", "3", "--level", "-20"]);
    let output = scratch.path("out.wav");
    let bad = keel(&["master", input.to_str().unwrap(), "-o", output.to_str().unwrap(), "--target", "nowhere"]);
    assert_eq!(bad.status.code(), Some(2));
    // -3 LUFS of pink noise under a -6 dBTP ceiling is not possible.
    let hard = keel(&["master", input.to_str().unwrap(), "-o", output.to_str().unwrap(), "--target", "-3", "--ceiling", "-6"]);
    assert_eq!(hard.status.code(), Some(1), "{}", stdout(&hard));
    assert!(!output.exists());
    assert_eq!(scratch.listing(), vec!["in.wav".to_string()]);
}
