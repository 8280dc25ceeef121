//! The one-chain promise: `keel render` and the CLAP plugin in a host produce the same samples
//! for the same settings.
//!
//! The settings are a factory preset plus `--set` overrides. The plugin gets them two ways:
//!
//! - as a saved state built from the preset (what a DAW does when it loads a preset or a
//!   session): plain values, exactly the ones the command applies, so the output must be
//!   identical bit for bit;
//! - as parameter events with the CLAP ids of the preset's parameter ids (what automation or a
//!   generic host editor does). A host can only send a normalised value, and the plugin's value
//!   is then the parameter's plain value for it: within one f32 step of the preset's number, or
//!   on the parameter's step grid when the preset's number is between steps (the streaming
//!   preset's `eq8_q` 0.7071 becomes 0.707 with the 0.001 step). The output must then be
//!   identical to `keel render` given those plain values with `--set`; its difference from the
//!   preset's own render is printed.
//!
//! The `keel` binary: `KEEL_BIN` if set, else `keel` in the directory above this test
//! executable (`target/<profile>/keel`), which `cargo test --workspace` builds for the keel
//! package's own command tests. Building it from inside a test would contend for cargo's build
//! lock, so a missing binary is a failure that says how to build it.

mod common;

use keel_core::params::{ParamKind, ParamTable};
use common::*;
use nice_plug::prelude::{ParamPtr, Params};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const RATE: u32 = 48_000;
const PRESET: &str = "streaming_master.json";
const SETS: &[(&str, &str)] =
    &[
        ("out_gain", "-1.5"),
        ("eq4_on", "true"),
        ("eq4_freq", "900"),
        ("eq4_gain", "2.5"),
        ("eq4_q", "1.3"),
        ("comp_mix", "85"),
        // The last stage too: noise-shaped dither to 16 bits (the samples stay float, on the grid).
        ("dither_mode", "shaped"),
        ("dither_bits", "16"),
    ];

fn keel_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("KEEL_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).expect("the test runs from target/<profile>/deps");
    let binary = profile_dir.join(format!("keel{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: build it with `cargo build --bin keel` (the workspace test run builds it), or set KEEL_BIN",
        binary.display()
    );
    binary
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("keel-clap-vs-render-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Programme-like stereo material with different channels and level changes, as 32-bit float.
fn write_input(path: &Path) -> [Vec<f32>; 2] {
    let mut signal = noise(5 * RATE as usize, 0.7, 17);
    let [left, right] = &mut signal;
    for (i, (l, r)) in left.iter_mut().zip(right.iter_mut()).enumerate() {
        let level = [0.2f32, 1.0, 0.05, 0.6, 1.0][i / RATE as usize];
        *l *= level;
        *r *= level * 0.8;
    }
    let spec = hound::WavSpec { channels: 2, sample_rate: RATE, bits_per_sample: 32, sample_format: hound::SampleFormat::Float };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..signal[0].len() {
        writer.write_sample(signal[0][i]).unwrap();
        writer.write_sample(signal[1][i]).unwrap();
    }
    writer.finalize().unwrap();
    signal
}

fn read_stereo(path: &Path) -> [Vec<f32>; 2] {
    let mut reader = hound::WavReader::open(path).unwrap();
    let spec = reader.spec();
    assert_eq!((spec.channels, spec.sample_rate, spec.sample_format), (2, RATE, hound::SampleFormat::Float));
    let samples: Vec<f32> = reader.samples::<f32>().map(Result::unwrap).collect();
    [samples.iter().step_by(2).copied().collect(), samples.iter().skip(1).step_by(2).copied().collect()]
}

/// `keel render` with the preset, [`SETS`], then `extra` settings.
fn render(input: &Path, output: &Path, extra: &[(String, String)]) -> [Vec<f32>; 2] {
    let preset = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../presets").join(PRESET);
    let mut command = Command::new(keel_binary());
    command.arg("render").arg(input).arg("-o").arg(output).arg("--preset").arg(&preset).arg("--quiet");
    let sets = SETS.iter().map(|(id, v)| (id.to_string(), v.to_string())).chain(extra.iter().cloned());
    for (id, value) in sets {
        command.arg("--set").arg(format!("{id}={value}"));
    }
    let result = command.output().expect("keel runs");
    assert!(result.status.success(), "keel render failed: {}", String::from_utf8_lossy(&result.stderr));
    read_stereo(output)
}

/// The preset's parameters with the overrides applied, as JSON values by id.
fn settings() -> Vec<(String, Value)> {
    let preset = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../presets").join(PRESET);
    let json: Value = serde_json::from_str(&std::fs::read_to_string(preset).unwrap()).unwrap();
    let mut settings: Vec<(String, Value)> = json["params"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let table = ParamTable::new();
    for (id, text) in SETS {
        let value = match (*text, &table.get(id).unwrap().kind) {
            (_, ParamKind::Enum { .. }) => Value::String(text.to_string()),
            ("true", _) => Value::Bool(true),
            ("false", _) => Value::Bool(false),
            (number, _) => serde_json::from_str(number).unwrap(),
        };
        settings.retain(|(k, _)| k != id);
        settings.push((id.to_string(), value));
    }
    assert!(settings.len() > 20, "the preset sets many parameters");
    settings
}

/// The plugin's own saved state (all defaults) with the settings written in as plain values.
fn state_with(plug: &mut Plug, settings: &[(String, Value)]) -> Vec<u8> {
    let saved = plug.save_state();
    let mut json: Value = serde_json::from_slice(&saved[8..]).unwrap();
    let params = json["params"].as_object_mut().unwrap();
    for (id, value) in settings {
        let entry = match value {
            Value::Bool(b) => serde_json::json!({ "bool": b }),
            Value::Number(n) => serde_json::json!({ "f32": n.as_f64().unwrap() as f32 }),
            Value::String(s) => serde_json::json!({ "string": s }),
            other => panic!("{id}: unexpected preset value {other}"),
        };
        assert!(params.contains_key(id), "preset id {id} is not a saved parameter");
        params.insert(id.clone(), entry);
    }
    let body = serde_json::to_vec(&json).unwrap();
    [(body.len() as u64).to_le_bytes().to_vec(), body].concat()
}

fn squash(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric() || *c == '.' || *c == '-').collect::<String>().to_lowercase()
}

/// The settings as CLAP parameter events: the CLAP id of each string id, the value through the
/// plugin's own text parser (numbers in natural units) or, for switches and choices, the index
/// whose display text is the preset's id.
fn events_for(plug: &mut Plug, settings: &[(String, Value)]) -> Vec<ParamValueEvent> {
    let infos = plug.param_infos();
    settings
        .iter()
        .map(|(id, value)| {
            let info = infos.iter().find(|p| p.0 == clap_id(id).get()).unwrap_or_else(|| panic!("no CLAP parameter for {id}"));
            let clap_value = match value {
                Value::Bool(b) => f64::from(u8::from(*b)),
                Value::Number(n) => plug.text_to_value(id, &n.to_string()).unwrap_or_else(|| panic!("{id} does not parse {n}")),
                // A choice's value is its index: found by its display text, or else by its id.
                Value::String(s) => (info.4 as i64..=info.5 as i64)
                    .map(|i| i as f64)
                    .find(|&i| squash(&plug.value_to_text(id, i)).starts_with(&squash(s)))
                    .or_else(|| ParamTable::new().get(id).ok()?.enum_index(s).map(|i| i as f64))
                    .unwrap_or_else(|| panic!("{id} has no choice {s:?}")),
                other => panic!("{id}: unexpected preset value {other}"),
            };
            param_event(0, id, clap_value)
        })
        .collect()
}

/// Renders `input` through the plugin, aligned like `keel render`: the latency is cut from the
/// start and flushed with silence at the end.
fn clap_render(plug: &mut Plug, input: &[Vec<f32>; 2], block: usize) -> [Vec<f32>; 2] {
    plug.activate(f64::from(RATE), block as u32);
    let latency = plug.latency() as usize;
    let padded = [[input[0].clone(), vec![0.0; latency]].concat(), [input[1].clone(), vec![0.0; latency]].concat()];
    let out = plug.process_signal(&padded, block, &[]);
    [out[0][latency..].to_vec(), out[1][latency..].to_vec()]
}

#[test]
fn clap_plugin_renders_what_keel_render_renders() {
    let dir = scratch_dir();
    let input_path = dir.join("in.wav");
    let input = write_input(&input_path);
    let rendered = render(&input_path, &dir.join("out.wav"), &[]);
    assert_eq!(rendered[0].len(), input[0].len(), "render keeps the length");
    assert!(rms(&rendered[0]) > 0.05);
    assert!(
        rendered.iter().flatten().all(|x| (x * 32_768.0).fract() == 0.0),
        "the dither stage put every sample on the 16-bit grid"
    );
    let settings = settings();

    // Through a state: bit for bit.
    let mut plug = Plug::new(load_entry());
    let state = state_with(&mut plug, &settings);
    plug.load_state(&state);
    let clap = clap_render(&mut plug, &input, 700);
    assert_finite(&clap, "CLAP");
    for c in 0..2 {
        if let Some(i) = (0..clap[c].len()).find(|&i| clap[c][i].to_bits() != rendered[c][i].to_bits()) {
            panic!("channel {c} differs from sample {i}: CLAP {} vs keel render {}", clap[c][i], rendered[c][i]);
        }
    }

    // Through parameter events with the CLAP ids: the same values as text, and the same audio
    // within the f32 normalisation round trip.
    let mut plug = Plug::new(load_entry());
    let events = events_for(&mut plug, &settings);
    plug.flush_params(&events);
    let mut by_state = Plug::new(load_entry());
    by_state.load_state(&state);
    for (id, _) in &settings {
        let (a, b) = (plug.value(id), by_state.value(id));
        assert_eq!(plug.value_to_text(id, a), by_state.value_to_text(id, b), "{id} reads differently after events");

    }
    let held = held_plain_values(&settings, &events);
    let clap = clap_render(&mut plug, &input, 512);
    assert_finite(&clap, "CLAP, events");
    let rendered_held = render(&input_path, &dir.join("out-held.wav"), &held);
    for c in 0..2 {
        if let Some(i) = (0..clap[c].len()).find(|&i| clap[c][i].to_bits() != rendered_held[c][i].to_bits()) {
            panic!("events route: channel {c} differs from sample {i}: CLAP {} vs keel render {}", clap[c][i], rendered_held[c][i]);
        }
    }
    let worst = (0..2).flat_map(|c| clap[c].iter().zip(&rendered[c]).map(|(a, b)| (a - b).abs())).fold(0.0f32, f32::max);
    println!("events route against the preset's own render: peak difference {:.1} dBFS", 20.0 * worst.log10());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The plain value each continuous setting holds after the host's normalised value (the event's
/// value, as f32, through the parameter's range, as the wrapper applies it), computed with the
/// plugin's own parameters and printed so it parses back to the same f32.
fn held_plain_values(settings: &[(String, Value)], events: &[ParamValueEvent]) -> Vec<(String, String)> {
    let reference = keel::params::KeelParams::default();
    let map = reference.param_map();
    settings
        .iter()
        .zip(events)
        .filter_map(|((id, _), event)| {
            let (_, ptr, _) = map.iter().find(|(k, _, _)| k == id)?;
            let ParamPtr::FloatParam(_) = ptr else { return None };
            // SAFETY: `reference` owns the parameter and outlives this call.
            let plain = unsafe { ptr.preview_plain(event.value() as f32) };
            Some((id.clone(), format!("{plain:?}")))
        })
        .collect()
}
