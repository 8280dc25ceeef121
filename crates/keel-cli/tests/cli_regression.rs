//! Regression suite: every factory preset in presets/ renders a set of generated signals, and
//! each result must match its committed fingerprint in tests/fixtures/regression.json.
//!
//! After an intended change to the sound, re-bless with
//!     KEEL_BLESS=1 cargo test --test cli_regression
//! and commit the updated fixture together with the change that caused it.

mod cli_common;

use cli_common::*;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/regression.json");
const PRESETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../presets");

/// (name, `keel gen` arguments): quiet and loud material, broadband and tonal, stereo and mono.
const SIGNALS: &[(&str, &[&str])] = &[
    ("pink_quiet", &["pink", "--seconds", "2", "--level", "-30", "--seed", "7"]),
    ("pink_loud", &["pink", "--seconds", "2", "--level", "-10", "--seed", "8"]),
    ("sweep", &["sweep", "--seconds", "1.5", "--level", "-2"]),
    ("sine_mono_44k", &["sine", "--seconds", "1", "--level", "-6", "--freq", "100", "--channels", "1", "--rate", "44100"]),
    ("ebu3341_9", &["ebu3341-9"]),
];

fn factory_presets() -> Vec<PathBuf> {
    let mut presets: Vec<PathBuf> = std::fs::read_dir(PRESETS)
        .expect("presets/ folder")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    presets.sort();
    presets
}

/// 64-bit FNV-1a over the samples' bit patterns: any change to any sample changes it.
fn fnv1a(channels: &[Vec<f32>]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for channel in channels {
        for sample in channel {
            for byte in sample.to_bits().to_le_bytes() {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
    }
    format!("{hash:016x}")
}

fn db(x: f64) -> f64 {
    if x > 0.0 { (20.0 * x.log10() * 1000.0).round() / 1000.0 } else { -999.0 }
}

fn fingerprint(path: &Path) -> Value {
    let (format, channels) = read_wav(path);
    let rms: Vec<f64> = channels
        .iter()
        .map(|c| db((c.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>() / c.len() as f64).sqrt()))
        .collect();
    let peak: Vec<f64> = channels.iter().map(|c| db(c.iter().fold(0.0f64, |m, &x| m.max(f64::from(x).abs())))).collect();
    json!({
        "frames": channels[0].len(),
        "channels": format.channels,
        "sample_rate": format.sample_rate,
        "rms_db": rms,
        "peak_db": peak,
        "hash": fnv1a(&channels),
    })
}

fn render_all(scratch: &Scratch) -> Map<String, Value> {
    let mut results = Map::new();
    let mut inputs = Vec::new();
    for (name, args) in SIGNALS {
        let path = scratch.path(&format!("{name}.wav"));
        let mut full = vec!["gen", args[0], "-o", path.to_str().unwrap()];
        full.extend_from_slice(&args[1..]);
        ok(keel(&full));
        inputs.push((name, path));
    }
    for preset in factory_presets() {
        let preset_name = preset.file_stem().unwrap().to_string_lossy().into_owned();
        for (signal, input) in &inputs {
            let output = scratch.path(&format!("{preset_name}-{signal}.wav"));
            ok(keel(&["render", input.to_str().unwrap(), "-o", output.to_str().unwrap(), "--preset", preset.to_str().unwrap(), "--quiet"]));
            results.insert(format!("{preset_name}/{signal}"), fingerprint(&output));
            std::fs::remove_file(&output).unwrap();
        }
    }
    results
}

#[test]
fn factory_presets_match_their_blessed_renders() {
    let scratch = Scratch::new("regression");
    let current = render_all(&scratch);
    assert!(!current.is_empty(), "no factory presets found in {PRESETS}");
    if std::env::var("KEEL_BLESS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(Path::new(FIXTURE).parent().unwrap()).unwrap();
        let text = serde_json::to_string_pretty(&Value::Object(current)).unwrap() + "\n";
        std::fs::write(FIXTURE, text).unwrap();
        eprintln!("blessed {FIXTURE}");
        return;
    }
    let hint = "if the change is intended, re-bless with KEEL_BLESS=1 cargo test --test cli_regression";
    let text = std::fs::read_to_string(FIXTURE).unwrap_or_else(|_| panic!("{FIXTURE} missing; {hint}"));
    let blessed: Map<String, Value> = serde_json::from_str(&text).expect("fixture is JSON");
    let mut problems = Vec::new();
    for (key, now) in &current {
        match blessed.get(key) {
            None => problems.push(format!("{key}: no blessed fingerprint")),
            Some(then) if then != now => problems.push(format!("{key}: was {then}, now {now}")),
            Some(_) => {}
        }
    }
    for key in blessed.keys().filter(|k| !current.contains_key(*k)) {
        problems.push(format!("{key}: blessed but no longer rendered"));
    }
    assert!(problems.is_empty(), "{} render(s) changed ({hint}):\n{}", problems.len(), problems.join("\n"));
}
