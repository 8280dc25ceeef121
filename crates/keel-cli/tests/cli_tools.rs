//! `keel params`, `keel gen` and `keel compare`.

mod cli_common;

use cli_common::*;
use keel_core::params::ParamTable;
use serde_json::Value;

#[test]
fn params_json_lists_exactly_the_tables_parameters() {
    let listed: Value = serde_json::from_str(&ok(keel(&["params", "--json"]))).unwrap();
    let listed = listed["params"].as_array().unwrap();
    // The plugin's own parameters are checked against the same table in the top-level tests/params.rs.
    let plugin_ids: Vec<String> = ParamTable::new().entries().iter().map(|info| info.id.clone()).collect();
    let listed_ids: Vec<&str> = listed.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(listed_ids, plugin_ids);

    let find = |id: &str| listed.iter().find(|p| p["id"] == id).unwrap().clone();
    let freq = find("eq1_freq");
    assert_eq!(freq["kind"], "float");
    assert_eq!(freq["unit"], "Hz");
    assert_eq!(freq["default"], 40.0);
    assert!(freq["min"].as_f64().unwrap() <= 20.0 && freq["max"].as_f64().unwrap() >= 20_000.0);
    let kind = find("eq1_type");
    assert_eq!(kind["kind"], "enum");
    assert_eq!(kind["default"], "bell");
    assert!(kind["values"].as_array().unwrap().iter().any(|v| v == "high_shelf"));
    assert_eq!(kind["values"].as_array().unwrap().len(), kind["value_names"].as_array().unwrap().len());
    assert_eq!(find("bypass")["kind"], "bool");
}

#[test]
fn every_listed_enum_value_and_bound_is_accepted_by_set() {
    let scratch = Scratch::new("setall");
    let input = generate(&scratch, "pink", "in.wav", &["--seconds", "0.05"]);
    let listed: Value = serde_json::from_str(&ok(keel(&["params", "--json"]))).unwrap();
    let mut sets = Vec::new();
    for p in listed["params"].as_array().unwrap() {
        let id = p["id"].as_str().unwrap();
        if id.starts_with("eq1_") || !id.starts_with("eq") {
            match p["kind"].as_str().unwrap() {
                "float" | "int" => sets.push(format!("{id}={}", p["max"])),
                "bool" => sets.push(format!("{id}=true")),
                _ => {
                    let last = p["values"].as_array().unwrap().last().unwrap().as_str().unwrap().to_string();
                    sets.push(format!("{id}={last}"));
                }
            }
        }
    }
    let mut args = vec!["render".to_string(), input.display().to_string(), "-o".into(), scratch.path("out.wav").display().to_string()];
    for s in &sets {
        args.push("--set".into());
        args.push(s.clone());
    }
    ok(keel(&args));
}

#[test]
fn generated_signals_have_the_asked_shape() {
    let scratch = Scratch::new("gen");
    let sine = generate(&scratch, "sine", "sine.wav", &["--seconds", "0.5", "--level", "-6", "--rate", "44100", "--channels", "1"]);
    let (format, samples) = read_wav_f64(&sine);
    assert_eq!((format.channels, format.sample_rate, samples[0].len()), (1, 44_100, 22_050));
    let peak = samples[0].iter().fold(0.0f64, |m, x| m.max(x.abs()));
    assert!((20.0 * peak.log10() + 6.0).abs() < 0.01);

    let pink = generate(&scratch, "pink", "pink.wav", &["--seconds", "1", "--level", "-23", "--format", "s24"]);
    let (format, samples) = read_wav_f64(&pink);
    assert_eq!(format.encoding, keel_cli::wav::Encoding::Int24);
    let rms = (samples[0].iter().map(|x| x * x).sum::<f64>() / samples[0].len() as f64).sqrt();
    assert!((20.0 * rms.log10() + 23.0).abs() < 0.01);

    let impulse = generate(&scratch, "impulse", "imp.wav", &["--seconds", "0.1", "--level", "0"]);
    let (_, samples) = read_wav_f64(&impulse);
    assert_eq!(samples[0][0], 1.0);
    assert!(samples[0][1..].iter().all(|&x| x == 0.0));

    let case6 = generate(&scratch, "ebu3341-6", "c6.wav", &[]);
    let (format, samples) = read_wav_f64(&case6);
    assert_eq!((format.channels, samples[0].len()), (5, 20 * 48_000));
    let series = generate(&scratch, "ebu3341-13-20", "c13.wav", &[]);
    let (_, samples) = read_wav_f64(&series);
    // 19 x 20 ms of silence, 400 ms of tone, 1 s of silence.
    assert_eq!(samples[0].len(), ((0.38 + 0.4 + 1.0) * 48_000.0_f64).round() as usize);
}

#[test]
fn gen_output_is_identical_across_runs() {
    let scratch = Scratch::new("gensame");
    let a = generate(&scratch, "pink", "a.wav", &["--seconds", "0.3", "--seed", "9"]);
    let b = generate(&scratch, "pink", "b.wav", &["--seconds", "0.3", "--seed", "9"]);
    let c = generate(&scratch, "pink", "c.wav", &["--seconds", "0.3", "--seed", "10"]);
    assert_eq!(bytes(&a), bytes(&b));
    assert_ne!(bytes(&a), bytes(&c));
}

#[test]
fn compare_reports_and_enforces_the_threshold() {
    let scratch = Scratch::new("compare");
    let a = generate(&scratch, "sine", "a.wav", &["--seconds", "0.2", "--level", "-6"]);
    // The same sine 20 dB lower: the difference is the -6 dBFS sine scaled by (1 - 0.1).
    let b = scratch.path("b.wav");
    ok(keel(&["render", a.to_str().unwrap(), "-o", b.to_str().unwrap(), "--set", "out_gain=-20", "-q"]));
    let report: Value = serde_json::from_str(&ok(keel(&["compare", a.to_str().unwrap(), b.to_str().unwrap(), "--json"]))).unwrap();
    let expected_peak = -6.0 + 20.0 * (1.0f64 - 0.1).log10();
    assert!((report["peak_diff_dbfs"].as_f64().unwrap() - expected_peak).abs() < 0.01, "{report}");
    let expected_rms = expected_peak - 3.0103;
    assert!((report["rms_diff_dbfs"].as_f64().unwrap() - expected_rms).abs() < 0.02, "{report}");

    let over = keel(&["compare", a.to_str().unwrap(), b.to_str().unwrap(), "--max-diff-db", "-20"]);
    assert_eq!(over.status.code(), Some(1));
    assert_eq!(stderr(&over).lines().count(), 1);
    let under = keel(&["compare", a.to_str().unwrap(), b.to_str().unwrap(), "--max-diff-db", "-6"]);
    assert_eq!(under.status.code(), Some(0));
    let same: Value = serde_json::from_str(&ok(keel(&["compare", a.to_str().unwrap(), a.to_str().unwrap(), "--json"]))).unwrap();
    assert!(same["peak_diff_dbfs"].is_null() && same["passed"] == true);

    let mono = generate(&scratch, "sine", "mono.wav", &["--seconds", "0.2", "--channels", "1"]);
    let mismatch = keel(&["compare", a.to_str().unwrap(), mono.to_str().unwrap()]);
    assert_eq!(mismatch.status.code(), Some(2));
    assert!(stderr(&mismatch).contains("channels"));
}
