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

/// The per-file figures `--json` prints, by file name.
fn json_files(files: &[&std::path::Path]) -> Vec<Value> {
    measure_json(files, &["--target", "spotify", "--target", "youtube"])["files"].as_array().unwrap().clone()
}

#[test]
fn jsonl_prints_one_object_per_file_with_the_json_figures_and_failures_in_place() {
    let scratch = Scratch::new("measure-jsonl");
    let a = generate(&scratch, "pink", "a.wav", &["--seconds", "4", "--level", "-20"]);
    let b = generate(&scratch, "sine", "b.wav", &["--seconds", "2", "--level", "-6"]);
    let broken = scratch.path("broken.wav");
    std::fs::write(&broken, b"not audio").unwrap();
    let args = ["measure", "--jsonl", "-q", "--target", "spotify", "--target", "youtube"];
    let files = [a.display().to_string(), b.display().to_string(), broken.display().to_string()];
    let output = keel(&args.iter().map(|s| s.to_string()).chain(files.iter().cloned()).collect::<Vec<_>>());
    assert_eq!(output.status.code(), Some(2), "one file failed");
    let lines: Vec<Value> = stdout(&output).lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
    assert_eq!(lines.len(), 3);
    let expected = json_files(&[&a, &b]);
    for m in &expected {
        let line = lines.iter().find(|l| l["file"] == m["file"]).expect("every file has its line");
        assert_eq!(line, m, "the same object as --json prints");
    }
    let failed = lines.iter().find(|l| l["file"] == broken.display().to_string()).unwrap();
    assert!(failed["error"].as_str().unwrap().contains("broken.wav"));
}

#[test]
fn jsonl_lines_arrive_as_each_file_finishes() {
    let scratch = Scratch::new("measure-jsonl-stream");
    // Five minutes of stereo float take a while; one second does not.
    let long = generate(&scratch, "pink", "long.wav", &["--seconds", "300", "--level", "-20"]);
    let short = generate(&scratch, "sine", "short.wav", &["--seconds", "1"]);
    let mut child = std::process::Command::new(KEEL)
        .args(["measure", "--jsonl", "-q"])
        .arg(&long)
        .arg(&short)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut reader, &mut first).unwrap();
    let first_at = std::time::Instant::now();
    let still_running = child.try_wait().unwrap().is_none();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).unwrap();
    assert!(child.wait().unwrap().success());
    let finished_after = first_at.elapsed();
    let first: Value = serde_json::from_str(&first).unwrap();
    println!("first line {} ms before the end", finished_after.as_millis());
    assert!(first["file"].as_str().unwrap().ends_with("short.wav"), "completion order: {first}");
    assert!(still_running, "the first line came only when everything was done");
    assert_eq!(rest.lines().count(), 1);
}

#[test]
fn csv_parses_with_a_standard_reader_to_the_json_figures() {
    let scratch = Scratch::new("measure-csv");
    // A comma in a file name must survive quoting.
    let a = generate(&scratch, "pink", "one, two.wav", &["--seconds", "4", "--level", "-20"]);
    let b = generate(&scratch, "sine", "b.wav", &["--seconds", "2", "--level", "-6", "--channels", "1"]);
    let output = keel(&[
        "measure".to_string(),
        "--csv".into(),
        "-q".into(),
        "--target".into(),
        "spotify".into(),
        "--target".into(),
        "youtube".into(),
        a.display().to_string(),
        b.display().to_string(),
    ]);
    let text = ok(output);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header.first().map(String::as_str), Some("file"));
    assert!(header.contains(&"spotify-normal:gain_db".to_string()) && header.last().unwrap() == "error");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    for m in json_files(&[&a, &b]) {
        let row = rows.iter().find(|r| r[column("file")] == *m["file"].as_str().unwrap()).expect("a row per file");
        for field in ["integrated_lufs", "true_peak_dbtp", "reconstructed_peak_dbtp", "sample_peak_dbfs", "duration_seconds"] {
            let parsed: f64 = row[column(field)].parse().unwrap();
            assert_eq!(parsed, m[field].as_f64().unwrap(), "{field}");
        }
        assert_eq!(row[column("channels")].parse::<u64>().unwrap(), m["channels"].as_u64().unwrap());
        let spotify = &m["targets"][0];
        assert_eq!(row[column("spotify-normal:gain_db")].parse::<f64>().unwrap(), spotify["gain_db"].as_f64().unwrap());
        assert_eq!(row[column("spotify-normal:ceiling_holds")], *spotify["ceiling_holds"].to_string());
        // Null (no short-term value in a 2 s file) is an empty field.
        if m["max_short_term_lufs"].is_null() {
            assert_eq!(&row[column("max_short_term_lufs")], "");
        }
        assert_eq!(&row[column("error")], "");
    }
}

#[test]
fn the_true_peak_position_is_where_the_test_put_the_peak() {
    let scratch = Scratch::new("measure-peak-at");
    // Quiet noise, and one short 1 kHz burst 6 dB louder than anything else, 1.25 s in.
    let rate = 48_000u32;
    let mut rng = keel_core::dsp::rng::Rng::new(7);
    let mut signal: Vec<f32> = (0..3 * rate as usize).map(|_| (0.05 * rng.bipolar()) as f32).collect();
    let at = (1.25 * f64::from(rate)) as usize;
    for (i, v) in signal[at..at + 48].iter_mut().enumerate() {
        *v = (0.5 * (std::f64::consts::TAU * 1000.0 * (i as f64 + 12.0) / f64::from(rate)).sin()) as f32;
    }
    let peak_at = at + (0..48).max_by(|&a, &b| signal[at + a].abs().total_cmp(&signal[at + b].abs())).unwrap();
    let path = scratch.path("burst.wav");
    write_wav(&path, rate, keel_cli::wav::Encoding::Float32, &[signal.clone(), signal]);
    let report = measure_json(&[&path], &[]);
    let found = report["files"][0]["true_peak_at_seconds"].as_f64().unwrap();
    let expected = peak_at as f64 / f64::from(rate);
    println!("true peak at {found} s, the burst's largest sample at {expected} s");
    assert!((found - expected).abs() <= 0.001, "{found} vs {expected}");
}
