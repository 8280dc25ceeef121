//! Loading damaged, foreign and older saved states through the CLAP state extension.
//!
//! What Keel does (the parameter repair is `keel::state_compat`):
//!
//! - A state that is valid JSON of the right shape loads. Parameters it lacks (an older version's
//!   state) take their defaults, whatever the instance had before; values of the wrong kind,
//!   non-finite or out of range, or enum ids this version does not know, take their defaults;
//!   unknown parameter ids are ignored. One warning line names the state's version and every
//!   repair.
//! - Bytes that are not such a state (garbage, a truncated stream, a wrong length prefix) are
//!   refused as a whole: the load call reports failure to the host and the instance keeps its
//!   parameters (a host restoring a session does this on a fresh instance, which therefore stays
//!   at the defaults). The framework parses the bytes before the plugin can see them, so this is
//!   its behaviour; it logs only a stream shorter than the length prefix in release builds.
//!
//! In every case the instance keeps working: it activates and renders finite audio.
//!
//! The log goes to a file through the framework's `NICE_LOG` variable, set before the bundle is
//! loaded, so the warning line is checked too.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

fn log_path() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| std::env::temp_dir().join(format!("keel-state-test-{}.log", std::process::id())))
}

/// The bundle, loaded after pointing the framework's logger at [`log_path`].
fn entry() -> &'static PluginEntry {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        let _ = std::fs::remove_file(log_path());
        // SAFETY: set once, before the plugin library (the only reader) is loaded.
        unsafe { std::env::set_var("NICE_LOG", log_path()) };
    });
    load_entry()
}

/// Waits (the log is written by a background thread) for a log line containing all `parts`.
fn assert_logged(parts: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = std::fs::read_to_string(log_path()).unwrap_or_default();
        if log.lines().any(|line| parts.iter().all(|p| line.contains(p))) {
            return;
        }
        if Instant::now() > deadline {
            panic!("no log line containing {parts:?}; the log is:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// CLAP state bytes for a JSON state: an 8-byte little-endian length, then the JSON.
fn clap_state(json: &Value) -> Vec<u8> {
    let body = serde_json::to_vec(json).unwrap();
    let mut bytes = (body.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(&body);
    bytes
}

fn parse_state(bytes: &[u8]) -> Value {
    assert_eq!(u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize, bytes.len() - 8, "length prefix");
    serde_json::from_slice(&bytes[8..]).expect("Keel saves JSON")
}

/// An instance with many parameters away from their defaults, and its saved state.
fn configured() -> (Plug, Vec<u8>) {
    let mut plug = Plug::new(entry());
    let mut events = busy_settings(&mut plug);
    events.extend([
        param_event(0, "comp_mix", 0.5),
        param_event(0, "lim_link", 0.25),
        param_event(0, "eq3_on", 1.0),
        param_event(0, "eq3_type", 5.0), // Notch
        param_event(0, "out_gain", 0.4),
    ]);
    plug.flush_params(&events);
    let state = plug.save_state();
    (plug, state)
}

fn defaults() -> BTreeMap<u32, f64> {
    Plug::new(entry()).all_values()
}

/// The instance still activates and renders finite, non-silent audio.
fn assert_still_processes(plug: &mut Plug, what: &str) {
    plug.activate(48_000.0, 512);
    let out = plug.process_signal(&noise(24_000, 0.5, 4), 512, &[]);
    assert_finite(&out, what);
    assert!(rms(&out[0][plug.latency() as usize..]) > 0.01, "{what}: silent");
    plug.deactivate();
}

#[test]
fn garbage_is_refused_and_the_instance_keeps_its_parameters() {
    let defaults = defaults();
    let mut seed = 0x1234_5678_9ABC_DEF0u64;
    let mut random_bytes = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed >> 32) as u8
            })
            .collect()
    };
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("3 bytes", vec![1, 2, 3]),
        ("random", random_bytes(4096)),
        ("huge length prefix", [u64::MAX.to_le_bytes().to_vec(), random_bytes(64)].concat()),
        ("binary after a right prefix", [1000u64.to_le_bytes().to_vec(), random_bytes(1000)].concat()),
        ("text after a right prefix", [12u64.to_le_bytes().to_vec(), b"hello world!".to_vec()].concat()),
        ("JSON of the wrong shape", clap_state(&serde_json::json!({"params": [1, 2, 3]}))),
        ("JSON null value", clap_state(&serde_json::json!({"params": {"out_gain": {"f32": null}}, "fields": {}}))),
    ];
    cases.push(("JSON without fields", clap_state(&serde_json::json!({"version": "0.1.0", "params": {}}))));
    for (what, bytes) in &cases {
        let mut fresh = Plug::new(entry());
        assert!(fresh.try_load_state(bytes).is_err(), "{what}: loaded");
        assert_eq!(fresh.all_values(), defaults, "{what}: a fresh instance left at its defaults");
        assert_still_processes(&mut fresh, what);

        let (mut used, _) = configured();
        let before = used.all_values();
        assert!(used.try_load_state(bytes).is_err(), "{what}: loaded");
        assert_eq!(used.all_values(), before, "{what}: a refused state changes nothing");
        assert_still_processes(&mut used, what);
    }
    assert_logged(&["Failed to load state", "length"]);
}

#[test]
fn truncated_state_is_refused_and_the_instance_keeps_its_parameters() {
    let (_, state) = configured();
    let defaults = defaults();
    for cut in [1, 7, 8, 9, 20, state.len() / 2, state.len() - 2, state.len() - 1] {
        let mut fresh = Plug::new(entry());
        assert!(fresh.try_load_state(&state[..cut]).is_err(), "the first {cut} of {} bytes loaded", state.len());
        assert_eq!(fresh.all_values(), defaults, "cut at {cut}");
        assert_still_processes(&mut fresh, &format!("cut at {cut}"));
    }
    // The whole state still loads (the cuts above are what failed, not the state).
    let (source, state) = configured();
    let mut source = source;
    let mut fresh = Plug::new(entry());
    fresh.load_state(&state);
    assert_eq!(fresh.all_values(), source.all_values());
}

#[test]
fn unknown_missing_wrong_and_out_of_range_values_fall_back_to_defaults() {
    let (mut source, state) = configured();
    let saved = source.all_values();
    let defaults = defaults();
    let mut json = parse_state(&state);
    let params = json["params"].as_object_mut().unwrap();
    // Kept: valid values.
    // Missing: these two were changed in the source instance.
    params.remove("comp_mix").unwrap();
    params.remove("eq3_type").unwrap();
    // Unknown ids.
    params.insert("eq9_freq".into(), serde_json::json!({"f32": 100.0}));
    params.insert("reverb_size".into(), serde_json::json!({"bool": true}));
    // Out of range, non-finite (1e39 is infinite as f32), wrong kind, unknown enum id.
    params.insert("lim_ceiling".into(), serde_json::json!({"f32": 5.0}));
    params.insert("eq1_freq".into(), serde_json::json!({"f32": 1.0e39}));
    params.insert("eq1_gain".into(), serde_json::json!({"f32": -300.0}));
    params.insert("comp_on".into(), serde_json::json!({"f32": 1.0}));
    params.insert("eq2_type".into(), serde_json::json!({"string": "wobble"}));
    params.insert("eq1_slope".into(), serde_json::json!({"i32": 42}));
    json["fields"]["editor-size"] = Value::String("not a number".into());
    json["fields"]["unknown-field"] = Value::String("1".into());
    let broken = ["comp_mix", "eq3_type", "lim_ceiling", "eq1_freq", "eq1_gain", "comp_on", "eq2_type", "eq1_slope"];

    // Into an instance whose values differ from both the state and the defaults.
    let (mut target, _) = configured();
    target.flush_params(&[param_event(0, "comp_mix", 0.1), param_event(0, "eq3_type", 6.0), param_event(0, "lim_ceiling", 0.2)]);
    target.try_load_state(&clap_state(&json)).expect("a repairable state loads");
    let loaded = target.all_values();
    for (id, value) in &loaded {
        let name = all_string_ids().into_iter().find(|n| clap_id(n).get() == *id).unwrap();
        let expected = if broken.contains(&name.as_str()) { defaults[id] } else { saved[id] };
        assert_eq!(*value, expected, "{name}");
    }
    assert_logged(&["repaired a state saved by 0.1.0", "2 missing parameter(s) set to default (eq3_type, comp_mix)"]);
    assert_logged(&["unknown parameter(s) ignored", "eq9_freq", "reverb_size", "lim_ceiling=5", "eq2_type=\"wobble\"", "editor-size"]);
    assert_still_processes(&mut target, "repaired state");

    // Saving again writes a complete, clean state that loads without repairs.
    let resaved = parse_state(&target.save_state());
    assert!(resaved["params"].get("eq9_freq").is_none());
    assert_eq!(resaved["params"]["lim_ceiling"], serde_json::json!({"f32": -1.0}));
}

#[test]
fn an_older_state_without_newer_parameters_loads_with_their_defaults() {
    let (mut source, state) = configured();
    let saved = source.all_values();
    let defaults = defaults();
    // What an earlier version would have written: no editor size, no link or mix controls.
    let mut json = parse_state(&state);
    json["version"] = Value::String("0.0.7".into());
    json["fields"].as_object_mut().unwrap().clear();
    let newer = ["comp_link", "comp_mix", "lim_link"];
    for id in newer {
        json["params"].as_object_mut().unwrap().remove(id).unwrap();
    }
    let (mut target, _) = configured(); // comp_mix and lim_link differ from their defaults here
    target.try_load_state(&clap_state(&json)).expect("an older state loads");
    let loaded = target.all_values();
    for (id, value) in &loaded {
        let name = all_string_ids().into_iter().find(|n| clap_id(n).get() == *id).unwrap();
        let expected = if newer.contains(&name.as_str()) { defaults[id] } else { saved[id] };
        assert_eq!(*value, expected, "{name}");
    }
    assert_logged(&["repaired a state saved by 0.0.7", "3 missing parameter(s) set to default (comp_link, comp_mix, lim_link)"]);
    assert_still_processes(&mut target, "older state");
}
