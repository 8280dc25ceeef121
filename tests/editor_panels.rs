//! The dynamics, loudness and preset panels driven headless through egui_kittest: the platform
//! target readout, preset load (as host gestures) and save (a file `keel --preset` reads), meter
//! extremes, peak-hold reset and the compressor's transfer-curve dot.
mod common;
use common::gui::{Gesture, RecordingHost, editor_fixture};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use keel_core::dsp::compressor::CompressorSettings;
use keel::editor::{DynamicsState, EditorShared, KeelUi};
use keel::params::KeelParams;
use keel::preset;
use keel_core::params::{ParamTable, ParamValue};
use keel_core::preset::{FACTORY_PRESETS, Preset};

/// Publishes a snapshot with `change` applied, as the audio thread would.
fn publish(shared: &keel::editor::EditorShared, change: impl FnOnce(&mut keel::meter_values::MeterSnapshot)) {
    let mut snapshot = shared.meters.snapshot();
    change(&mut snapshot);
    shared.meters.publish(&snapshot);
}

fn load_file(path: &std::path::Path, table: &ParamTable) -> Preset {
    Preset::from_json_str(&std::fs::read_to_string(path).unwrap(), table).unwrap()
}
use std::collections::HashSet;

fn harness(
    shared: &EditorShared,
    context: nice_plug::context::gui::GuiContext,
    ui: KeelUi,
) -> Harness<'static, KeelUi> {
    let shared = shared.clone();
    Harness::builder().with_size(egui::vec2(1180.0, 800.0)).build_ui_state(
        move |ui, state: &mut KeelUi| {
            let setter = context.param_setter();
            state.show(ui, &shared, &setter);
        },
        ui,
    )
}

// Clicks go through AccessKit actions, not pointer positions, so the tests do not depend on
// where the layout puts a widget (or on it fitting the test window).

/// Opens the combo box currently showing `shown` and picks `option` from its list.
fn choose(harness: &mut Harness<'_, KeelUi>, shown: &str, option: &str) {
    harness
        .get_by(|node| node.role() == egui::Role::ComboBox && node.value().as_deref() == Some(shown))
        .click_accesskit();
    harness.run_steps(2);
    harness
        .get_by(|node| node.role() != egui::Role::ComboBox && node.label().as_deref() == Some(option))
        .click_accesskit();
    harness.run_steps(2);
    // An AccessKit click carries no pointer press, so the list does not close by itself as it
    // does under the mouse; Escape closes it.
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
}

fn click(harness: &mut Harness<'_, KeelUi>, label: &str) {
    harness.get_by_label(label).click_accesskit();
    harness.run_steps(2);
}

fn type_into(harness: &mut Harness<'_, KeelUi>, label: &str, text: &str) {
    harness.get_by_label(label).focus();
    harness.run_steps(1);
    harness.get_by_label(label).type_text(text);
    harness.run_steps(1);
}

/// A text label showing exactly `text` (egui gives a label's text as its AccessKit value, on
/// the label and on its text run).
fn has_label(harness: &Harness<'_, KeelUi>, text: &str) -> bool {
    harness.query_all_by_value(text).next().is_some()
}

fn has_label_containing(harness: &Harness<'_, KeelUi>, part: &str) -> bool {
    harness.query_all_by(|node| node.value().is_some_and(|v| v.contains(part))).next().is_some()
}

#[test]
fn target_selector_changes_the_distance_readout() {
    let (shared, host, context) = editor_fixture();
    publish(&shared, |s| {
        s.loudness.integrated = -11.7;
        s.loudness.true_peak_dbtp = -3.0;
    });
    let mut harness = harness(&shared, context, KeelUi::default());
    harness.run_steps(2);
    // Spotify (the default): -14 LUFS target, loud masters turned down by the difference.
    assert_eq!(harness.state().loudness.selected_target().id, "spotify-normal");
    assert!(has_label(&harness, "Spotify: 2.3 LU over, turned down 2.3 dB"));
    assert!(has_label(&harness, "2.3 LU over"));

    // Apple Music normalizes to -16 LUFS.
    choose(&mut harness, "Spotify (Normal, default)", "Apple Music (Sound Check)");
    assert_eq!(harness.state().loudness.selected_target().id, "apple-music");
    assert!(has_label(&harness, "Apple Music: 4.3 LU over, turned down 4.3 dB"));
    assert!(has_label(&harness, "4.3 LU over"));
    assert!(!has_label(&harness, "Spotify: 2.3 LU over, turned down 2.3 dB"));

    // A quiet master: YouTube does not turn up; Spotify turns up only to its -1 dBTP limit
    // (peak -3 dBTP leaves 2 dB of the 6 LU asked for); EBU R128 is a delivery range.
    publish(&shared, |s| s.loudness.integrated = -20.0);
    choose(&mut harness, "Apple Music (Sound Check)", "YouTube");
    assert!(has_label(&harness, "YouTube: 6.0 LU under, not turned up (this platform only turns down)"));
    choose(&mut harness, "YouTube", "Spotify (Normal, default)");
    assert!(has_label(&harness, "Spotify: 6.0 LU under, turned up only 2.0 dB (true peak limit -1.0 dBTP)"));
    choose(&mut harness, "Spotify (Normal, default)", "EBU R128 broadcast");
    assert!(has_label(&harness, "EBU R128: 3.0 LU over, outside -24 to -22 LUFS"));

    // A peak that the platform's gain pushes over its ceiling is named.
    publish(&shared, |s| {
        s.loudness.integrated = -18.0;
        s.loudness.true_peak_dbtp = -0.5;
    });
    choose(&mut harness, "EBU R128 broadcast", "Spotify (Loud, Premium)");
    assert!(has_label(
        &harness,
        "Spotify Loud: 7.0 LU under, turned up 7.0 dB; true peak 6.5 dBTP over its -1.0 dBTP ceiling"
    ));

    assert!(host.take().is_empty(), "choosing a target must not touch any parameter");
}

#[test]
fn colour_zones_follow_the_documented_thresholds() {
    use keel_core::targets::find_target;
    use keel::editor::LoudnessState;
    let spotify = find_target("spotify-normal").unwrap();
    let zone = |lufs| format!("{:?}", LoudnessState::zone(spotify, lufs));
    // Green within +-1 LU of -14, amber to +-3 LU, red beyond; nothing measured is unknown.
    assert_eq!(zone(-14.9), "Within");
    assert_eq!(zone(-13.0), "Within");
    assert_eq!(zone(-16.5), "Near");
    assert_eq!(zone(-11.0), "Near");
    assert_eq!(zone(-10.9), "Far");
    assert_eq!(zone(f64::NEG_INFINITY), "Unknown");
    // Delivery ranges use their own accepted range as the green band.
    let ebu = find_target("ebu-r128").unwrap();
    assert_eq!(format!("{:?}", LoudnessState::zone(ebu, -22.0)), "Within");
    assert_eq!(format!("{:?}", LoudnessState::zone(ebu, -21.5)), "Near");
}

/// Every Set lies inside a Begin/End of the same parameter; returns the ids that were set.
fn assert_gestures_well_formed(gestures: &[Gesture], host: &RecordingHost) -> HashSet<String> {
    let mut open = HashSet::new();
    let mut set = HashSet::new();
    for gesture in gestures {
        match gesture {
            Gesture::Begin(id) => assert!(open.insert(id.clone()), "{id} begun twice"),
            Gesture::Set(id, _) => {
                assert!(open.contains(id), "{id} set outside a gesture");
                set.insert(id.clone());
            }
            Gesture::End(id) => assert!(open.remove(id), "{id} ended without a begin"),
        }
    }
    assert!(open.is_empty() && host.open_gestures().is_empty(), "gestures left open: {open:?}");
    assert!(!host.set_outside_gesture.load(std::sync::atomic::Ordering::Relaxed));
    set
}

fn assert_same_values(actual: &KeelParams, expected: &KeelParams, table: &ParamTable) {
    for info in table.entries() {
        let (a, e) = (preset::read_value(actual, &info.id).unwrap(), preset::read_value(expected, &info.id).unwrap());
        match (a, e) {
            (ParamValue::Float(a), ParamValue::Float(e)) => {
                // Values set through the host snap to the parameter's step (Q 0.7071 -> 0.707).
                assert!((a - e).abs() <= 1e-3 * e.abs().max(1.0), "{}: {a} != {e}", info.id)
            }
            _ => assert_eq!(a, e, "{}", info.id),
        }
    }
}

#[test]
fn preset_bar_loads_through_gestures_and_saves_files_keel_reads() {
    let dir = std::env::temp_dir().join(format!("keel-preset-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // SAFETY: only this test writes the environment; it is set before anything reads it.
    unsafe { std::env::set_var(preset::PRESET_DIR_ENV, &dir) };
    let (shared, host, context) = editor_fixture();
    let ui = KeelUi::default();
    assert_eq!(ui.presets.user_dir(), Some(dir.as_path()), "KEEL_PRESET_DIR overrides the user folder");
    let mut harness = harness(&shared, context, ui);
    harness.run_steps(2);
    assert!(host.take().is_empty());

    // Saving without typing a name (hosts may keep the keyboard) picks a free one.
    click(&mut harness, "Save");
    assert!(dir.join("Preset 1.json").is_file());
    std::fs::remove_file(dir.join("Preset 1.json")).unwrap();
    assert!(host.take().is_empty(), "saving must not touch any parameter");

    // Load a factory preset from the list.
    let table = ParamTable::new();
    let (_, name, text) = FACTORY_PRESETS.iter().find(|(stem, _, _)| *stem == "streaming_master").unwrap();
    choose(&mut harness, "Preset 1", name);
    let gestures = host.take();
    let set = assert_gestures_well_formed(&gestures, &host);
    let all: HashSet<String> = table.entries().iter().map(|info| info.id.clone()).collect();
    assert_eq!(set, all, "loading sets every parameter (those the preset omits back to defaults)");
    let expected = KeelParams::default();
    preset::set_values(&expected, &Preset::from_json_str(text, &table).unwrap().with_defaults(&table)).unwrap();
    assert_same_values(&shared.params, &expected, &table);

    // Save it under a new name: a file the command line's preset reader accepts.
    type_into(&mut harness, "Save as", "My master");
    click(&mut harness, "Save");
    let path = dir.join("My master.json");
    let saved = load_file(&path, &table);
    let reloaded = KeelParams::default();
    preset::set_values(&reloaded, &saved.with_defaults(&table)).unwrap();
    assert_eq!(reloaded.chain_settings(), shared.params.chain_settings());
    assert_same_values(&reloaded, &shared.params, &table);
    assert!(host.take().is_empty(), "saving must not touch any parameter");
    let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(Result::ok).map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind: {leftovers:?}");

    // Saving again under the same name asks first; the file changes only on confirmation.
    let before = std::fs::read_to_string(&path).unwrap();
    preset::set_values(&shared.params, &[table.parse_assignment("out_gain=-2.5").unwrap()]).unwrap();
    click(&mut harness, "Save");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before, "not overwritten without confirmation");
    click(&mut harness, "Overwrite");
    let overwritten = load_file(&path, &table);
    assert!(overwritten.values.contains(&("out_gain".to_string(), ParamValue::Float(-2.5))));

    // The user preset is listed and loads back through gestures.
    preset::set_values(&shared.params, &[table.parse_assignment("out_gain=4").unwrap()]).unwrap();
    choose(&mut harness, "My master", "My master");
    let gestures = host.take();
    assert_eq!(assert_gestures_well_formed(&gestures, &host), all);
    assert_eq!(preset::read_value(&shared.params, "out_gain"), Some(ParamValue::Float(-2.5)));

    // A name that would leave the folder is refused with the reason in the bar.
    type_into(&mut harness, "Save as", "/../escape");
    click(&mut harness, "Save");
    let (message, error) = harness.state().presets.status().expect("a message in the bar");
    assert!(error && message.contains("must not contain '/'"), "{message}");
    assert!(has_label_containing(&harness, "must not contain '/'"));
    assert!(host.take().is_empty());

    let _ = std::fs::remove_dir_all(&dir);
}

/// Every meter value set to `value` (histories and peak holds too).
fn flood_meters(shared: &EditorShared, value: f64) {
    let m = &shared.meters;
    let mut snapshot = m.snapshot();
    let r = &mut snapshot.loudness;
    for field in [
        &mut r.momentary,
        &mut r.short_term,
        &mut r.integrated,
        &mut r.loudness_range,
        &mut r.max_momentary,
        &mut r.max_short_term,
        &mut r.true_peak_dbtp,
        &mut r.sample_peak_dbfs,
    ] {
        *field = value;
    }
    r.lra_stable = value > 0.0;
    snapshot.compressor_gr_db = value;
    snapshot.limiter_gr_db = value;
    snapshot.compressor_detector_db = value;
    m.publish(&snapshot);
    m.compressor_gr_peak_db.accumulate(value);
    m.limiter_gr_peak_db.accumulate(value);
    for channel in 0..2 {
        m.input_peak[channel].accumulate(value);
        m.output_peak[channel].accumulate(value);
    }
    for _ in 0..700 {
        m.short_term_history.push(value);
    }
    for _ in 0..300 {
        m.limiter_gr_history.push(value);
    }
}

#[test]
fn extreme_meter_values_draw_without_panics_or_gestures() {
    let (shared, host, context) = editor_fixture();
    let table = ParamTable::new();
    // Compressor and limiter on, so the curve, dot and meters all draw their live parts.
    let on = ["comp_on=true", "lim_on=true", "comp_knee=0", "comp_ratio=20.5", "comp_auto_makeup=true"];
    let values: Vec<_> = on.iter().map(|s| table.parse_assignment(s).unwrap()).collect();
    preset::set_values(&shared.params, &values).unwrap();
    let mut harness = harness(&shared, context, KeelUi::default());
    for value in [f64::NEG_INFINITY, f64::INFINITY, f64::MAX, f64::MIN, -1e9, 1e9, 0.0, -0.0, 1e-300, -14.0, 30.0] {
        flood_meters(&shared, value);
        harness.run_steps(2);
    }
    // Pause and five-minute history as well.
    click(&mut harness, "Pause");
    click(&mut harness, "5 min");
    assert!(shared.meters.paused.load(std::sync::atomic::Ordering::Relaxed));
    assert!(host.take().is_empty(), "meters must never touch parameters");
}

#[test]
fn peak_hold_shows_the_maximum_and_a_click_resets_it() {
    let (shared, host, context) = editor_fixture();
    let mut harness = harness(&shared, context, KeelUi::default());
    shared.meters.output_peak[0].accumulate(0.5);
    shared.meters.input_peak[1].accumulate(0.25);
    harness.run_steps(1);
    shared.meters.output_peak[0].accumulate(0.1); // A lower peak later keeps the hold.
    harness.run_steps(2);
    let (input, output) = harness.state().dynamics.peak_holds_db();
    assert!((output[0] - 20.0 * 0.5f64.log10()).abs() < 1e-9);
    assert!((input[1] - 20.0 * 0.25f64.log10()).abs() < 1e-9);
    assert_eq!(input[0], f64::NEG_INFINITY);
    click(&mut harness, "-6.0");
    let (input, output) = harness.state().dynamics.peak_holds_db();
    assert_eq!(output[0], f64::NEG_INFINITY, "clicking the hold resets it");
    assert!((input[1] + 12.04).abs() < 0.01, "other holds are kept");
    assert!(host.take().is_empty());
}

#[test]
fn transfer_curve_dot_follows_the_detector_level() {
    let hard = CompressorSettings {
        enabled: true,
        threshold_db: -20.0,
        ratio: 4.0,
        knee_db: 0.0,
        makeup_db: 0.0,
        auto_makeup: false,
        mix: 1.0,
        ..CompressorSettings::default()
    };
    let close =
        |a: Option<(f64, f64)>, b: (f64, f64)| a.is_some_and(|(x, y)| (x - b.0).abs() < 1e-9 && (y - b.1).abs() < 1e-9);
    // 12 dB over a 4:1 threshold comes out 3 dB over it; under the threshold nothing changes.
    assert!(close(DynamicsState::detector_dot(&hard, -8.0), (-8.0, -17.0)));
    assert!(close(DynamicsState::detector_dot(&hard, -30.0), (-30.0, -30.0)));
    assert_eq!(DynamicsState::detector_dot(&hard, f64::NEG_INFINITY), None);
    assert_eq!(DynamicsState::detector_dot(&hard, f64::NAN), None);
    // Soft knee at the threshold: (k/2)^2 / (2k) * (1 - 1/ratio) = 0.5625 dB for k = 6.
    let soft = CompressorSettings { knee_db: 6.0, ..hard };
    assert!(close(DynamicsState::detector_dot(&soft, -20.0), (-20.0, -20.5625)));
    // Auto makeup restores 0 dBFS (15 dB here) on top of the manual makeup.
    let makeup = CompressorSettings { makeup_db: 3.0, auto_makeup: true, ..hard };
    assert!(close(DynamicsState::detector_dot(&makeup, -8.0), (-8.0, 1.0)));
    // Limit ratio holds the threshold; half mix crossfades the linear gains; off is unity.
    let limit = CompressorSettings { ratio: f32::INFINITY, ..hard };
    assert!(close(DynamicsState::detector_dot(&limit, -8.0), (-8.0, -20.0)));
    let half = CompressorSettings { mix: 0.5, ..hard };
    let expected = -8.0 + 20.0 * (0.5 + 0.5 * 10f64.powf(-9.0 / 20.0)).log10();
    assert!(close(DynamicsState::detector_dot(&half, -8.0), (-8.0, expected)));
    let off = CompressorSettings { enabled: false, ..hard };
    assert!(close(DynamicsState::detector_dot(&off, -8.0), (-8.0, -8.0)));

    // The drawn panel follows the meter value with the plugin's own parameters.
    let (shared, host, context) = editor_fixture();
    let table = ParamTable::new();
    let sets = ["comp_on=true", "comp_threshold=-20", "comp_ratio=4", "comp_knee=0", "comp_makeup=0"];
    let values: Vec<_> = sets.iter().map(|s| table.parse_assignment(s).unwrap()).collect();
    preset::set_values(&shared.params, &values).unwrap();
    let mut harness = harness(&shared, context, KeelUi::default());
    for (detector, dot) in [(-8.0, Some((-8.0, -17.0))), (-30.0, Some((-30.0, -30.0))), (f64::NEG_INFINITY, None)] {
        publish(&shared, |s| s.compressor_detector_db = detector);
        harness.run_steps(1);
        let drawn = harness.state().dynamics.last_detector_dot();
        match dot {
            Some(expected) => assert!(close(drawn, expected), "detector {detector}: drawn {drawn:?}"),
            None => assert_eq!(drawn, None),
        }
    }
    assert!(host.take().is_empty());
}

#[test]
fn the_chosen_target_is_saved_with_the_state_and_restored() {
    use nice_plug::prelude::Params;
    let (shared, _host, context) = editor_fixture();
    let mut first = harness(&shared, context, KeelUi::default());
    first.run_steps(2);
    choose(&mut first, "Spotify (Normal, default)", "Apple Music (Sound Check)");
    assert_eq!(*shared.params.loudness_target.read().unwrap(), "apple-music");
    let fields = shared.params.serialize_fields();
    assert_eq!(fields.get("loudness-target").map(String::as_str), Some("\"apple-music\""));

    // A session reopened: the state is loaded into fresh parameters, then a new editor opens.
    let (reopened, _host, context) = editor_fixture();
    reopened.params.deserialize_fields(&fields);
    let mut second = harness(&reopened, context, KeelUi::default());
    second.run_steps(2);
    assert_eq!(second.state().loudness.selected_target().id, "apple-music");
    assert!(second.query_all_by_value("Apple Music (Sound Check)").next().is_some());
}
