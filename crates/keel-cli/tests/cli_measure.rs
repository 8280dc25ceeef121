//! `keel measure`: JSON against the `ebur128` crate and the EBU expectations; `--plot` images.

mod cli_common;

use cli_common::*;
use serde_json::Value;

fn measure_json(files: &[&std::path::Path], extra: &[&str]) -> Value {
    let mut args = vec!["measure".to_string(), "--json".into()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    args.extend(extra.iter().map(|s| s.to_string()));
    serde_json::from_str(&ok(keel(&args))).unwrap()
}

/// Integrated loudness and loudness range from the `ebur128` crate.
fn reference(path: &std::path::Path) -> (f64, f64) {
    let (format, channels) = read_wav(path);
    let mut meter = ebur128::EbuR128::new(u32::from(format.channels), format.sample_rate, ebur128::Mode::I | ebur128::Mode::LRA).unwrap();
    if format.channels == 5 {
        use ebur128::Channel::*;
        meter.set_channel_map(&[Left, Right, Center, LeftSurround, RightSurround]).unwrap();
    }
    let refs: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
    meter.add_frames_planar_f32(&refs).unwrap();
    (meter.loudness_global().unwrap(), meter.loudness_range().unwrap())
}

#[test]
fn json_matches_the_ebur128_crate_within_a_hundredth_of_a_lu() {
    let scratch = Scratch::new("measure");
    let files = [
        generate(&scratch, "ebu3341-1", "c1.wav", &[]),
        generate(&scratch, "ebu3341-3", "c3.wav", &[]),
        generate(&scratch, "ebu3341-5", "c5.wav", &[]),
        generate(&scratch, "ebu3341-6", "c6.wav", &[]),
        generate(&scratch, "ebu3342-1", "l1.wav", &[]),
        generate(&scratch, "ebu3342-3", "l3.wav", &[]),
        generate(&scratch, "pink", "pink.wav", &["--seconds", "20", "--level", "-18", "--format", "s24"]),
        generate(&scratch, "sweep", "sweep44.wav", &["--seconds", "6", "--level", "-3", "--rate", "44100", "--channels", "1"]),
    ];
    let refs: Vec<&std::path::Path> = files.iter().map(|p| p.as_path()).collect();
    let report = measure_json(&refs, &[]);
    let measured = report["files"].as_array().unwrap();
    assert_eq!(measured.len(), files.len());
    for (file, m) in files.iter().zip(measured) {
        let (integrated, range) = reference(file);
        let ours = m["integrated_lufs"].as_f64().unwrap();
        assert!((ours - integrated).abs() <= 0.01, "{}: keel {ours} vs ebur128 {integrated}", file.display());
        // LRA: the EBU cases agree to 0.01 LU; on steady noise (LRA near 0.15 LU) the two
        // percentile implementations differ by up to about 0.02 LU. Files much shorter than the
        // 60 s LRA needs to settle are not compared (a handful of short-term values).
        let ours_range = m["loudness_range_lu"].as_f64().unwrap();
        if m["duration_seconds"].as_f64().unwrap() >= 20.0 {
            assert!((ours_range - range).abs() <= 0.05, "{}: LRA keel {ours_range} vs ebur128 {range}", file.display());
        }
    }
    // The EBU documents' own expectations.
    let by_name = |name: &str| measured.iter().find(|m| m["file"].as_str().unwrap().ends_with(name)).unwrap();
    for name in ["c1.wav", "c3.wav", "c5.wav", "c6.wav"] {
        assert!((by_name(name)["integrated_lufs"].as_f64().unwrap() + 23.0).abs() <= 0.1, "{name}");
    }
    assert!((by_name("c1.wav")["max_momentary_lufs"].as_f64().unwrap() + 23.0).abs() <= 0.1);
    assert!((by_name("c1.wav")["max_short_term_lufs"].as_f64().unwrap() + 23.0).abs() <= 0.1);
    assert!((by_name("l1.wav")["loudness_range_lu"].as_f64().unwrap() - 10.0).abs() <= 1.0);
    assert!((by_name("l3.wav")["loudness_range_lu"].as_f64().unwrap() - 20.0).abs() <= 1.0);
}

#[test]
fn true_peak_cases_and_targets_are_reported() {
    let scratch = Scratch::new("measuretp");
    let case19 = generate(&scratch, "ebu3341-19", "c19.wav", &[]);
    let report = measure_json(&[&case19], &["--target", "spotify", "--target", "ebu-r128"]);
    let m = &report["files"][0];
    let true_peak = m["true_peak_dbtp"].as_f64().unwrap();
    assert!((-0.4..=0.2).contains(&(true_peak - 3.0)), "case 19 true peak {true_peak}");
    assert!(m["sample_peak_dbfs"].as_f64().unwrap() < true_peak);
    let targets = m["targets"].as_array().unwrap();
    assert_eq!(targets[0]["id"], "spotify-normal");
    let integrated = m["integrated_lufs"].as_f64().unwrap();
    let gain = targets[0]["gain_db"].as_f64().unwrap();
    let resulting_peak = targets[0]["resulting_true_peak_dbtp"].as_f64().unwrap();
    // Spotify turns a loud master down by the full difference; the ceiling is judged after it.
    assert!(integrated > -14.0 && (gain - (-14.0 - integrated)).abs() < 1e-3, "gain {gain} for {integrated} LUFS");
    assert!((resulting_peak - (true_peak + gain)).abs() < 1e-3);
    assert_eq!(targets[0]["ceiling_holds"], resulting_peak <= -1.0);
    assert_eq!(targets[1]["id"], "ebu-r128");

    let bad = keel(&["measure", case19.to_str().unwrap(), "--target", "myspace"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("unknown target 'myspace'"));
}

fn png_size(path: &std::path::Path) -> (u32, u32) {
    let data = bytes(path);
    assert_eq!(&data[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&data[12..16], b"IHDR");
    let width = u32::from_be_bytes(data[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(data[20..24].try_into().unwrap());
    (width, height)
}

#[test]
fn plot_writes_a_valid_png_and_svg_of_the_documented_size() {
    let scratch = Scratch::new("plot");
    let input = generate(&scratch, "ebu3342-2", "prog.wav", &[]);
    let png = scratch.path("loudness.png");
    ok(keel(&["measure", input.to_str().unwrap(), "--target", "spotify", "--plot", png.to_str().unwrap()]));
    assert_eq!(png_size(&png), (keel_cli::plot::WIDTH, keel_cli::plot::HEIGHT));
    // Not a blank canvas: the curves put many distinct colours in the image.
    assert!(bytes(&png).len() > 10_000);

    let svg = scratch.path("loudness.svg");
    ok(keel(&["measure", input.to_str().unwrap(), "--plot", svg.to_str().unwrap()]));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") || text.starts_with("<?xml"));
    assert!(text.contains(&format!("width=\"{}\"", keel_cli::plot::WIDTH)) && text.trim_end().ends_with("</svg>"));
    assert!(text.contains("short-term"));

    let two = keel(&["measure", input.to_str().unwrap(), input.to_str().unwrap(), "--plot", scratch.path("m.png").to_str().unwrap()]);
    assert!(two.status.success());
    assert!(scratch.path("m-prog.png").exists());
    let wrong = keel(&["measure", input.to_str().unwrap(), "--plot", scratch.path("m.jpg").to_str().unwrap()]);
    assert_eq!(wrong.status.code(), Some(2));
}
