//! Parameter ids are a contract with hosts, sessions and the CLI: every documented id exists,
//! nothing else appears, and the plain settings follow the parameter values.

use keel::params::KeelParams;
use nice_plug::prelude::Params;
use std::collections::BTreeSet;

fn expected_ids() -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for n in 1..=8 {
        for field in ["on", "type", "freq", "gain", "q", "slope", "place"] {
            ids.insert(format!("eq{n}_{field}"));
        }
    }
    for field in [
        "on", "threshold", "ratio", "knee", "attack", "release", "auto_release", "detector", "makeup", "auto_makeup",
        "sc_hpf", "link", "mix",
    ] {
        ids.insert(format!("comp_{field}"));
    }
    for field in ["on", "ceiling", "drive", "release", "auto_release", "link"] {
        ids.insert(format!("lim_{field}"));
    }
    ids.insert("out_gain".into());
    ids.insert("bypass".into());
    ids
}

#[test]
fn every_permanent_id_is_exposed_and_nothing_else() {
    let params = KeelParams::default();
    let ids: BTreeSet<String> = params.param_map().into_iter().map(|(id, _, _)| id).collect();
    assert_eq!(ids, expected_ids());
}

#[test]
fn defaults_are_transparent_apart_from_latency() {
    let settings = KeelParams::default().chain_settings();
    assert!(settings.eq.iter().all(|b| !b.enabled));
    assert!(!settings.compressor.enabled && !settings.limiter.enabled);
    assert_eq!(settings.out_gain_db, 0.0);
    assert!(!settings.bypass);
}

/// The editor's size travels with the plugin's state, and a saved size outside the editor's
/// limits comes back clamped.
#[test]
fn editor_size_is_saved_with_the_state() {
    use nice_plug::prelude::Params;
    let params = keel::params::KeelParams::default();
    assert_eq!(params.editor_size(), (keel::editor::DEFAULT_WIDTH, keel::editor::DEFAULT_HEIGHT));
    params.set_editor_size(1400, 900);
    let fields = params.serialize_fields();
    assert!(fields.contains_key("editor-size"), "saved fields: {:?}", fields.keys().collect::<Vec<_>>());

    let restored = keel::params::KeelParams::default();
    restored.deserialize_fields(&fields);
    assert_eq!(restored.editor_size(), (1400, 900));

    params.set_editor_size(10, 100_000);
    restored.deserialize_fields(&params.serialize_fields());
    assert_eq!(restored.editor_size(), (keel::editor::MIN_WIDTH, keel::editor::MAX_HEIGHT));
}
