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
    ids.insert("dither_mode".into());
    ids.insert("dither_bits".into());
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

/// The host parameters are the core table's: same ids in the same order, names, units, ranges
/// (through the host's 0..1 mapping), defaults and enum ids and names.
#[test]
fn host_parameters_are_the_core_tables() {
    use keel_core::params::{ParamKind, ParamTable, ParamValue};
    use nice_plug::prelude::{Param, ParamPtr};
    let table = ParamTable::new();
    let params = KeelParams::default();
    let map = params.param_map();
    assert_eq!(map.len(), table.entries().len());
    for ((id, ptr, group), info) in map.iter().zip(table.entries()) {
        assert_eq!(id, &info.id);
        assert_eq!(group, &info.group, "{id}");
        // SAFETY: `params` owns the parameters and outlives this loop.
        unsafe {
            assert_eq!(ptr.name(), info.name, "{id}");
            assert_eq!(ptr.unit().trim(), info.unit, "{id}");
            match (ptr, &info.kind, info.default) {
                (ParamPtr::FloatParam(p), ParamKind::Float { min, max, .. }, ParamValue::Float(default)) => {
                    assert_eq!((**p).default_plain_value(), default, "{id}");
                    assert_eq!(ptr.preview_plain(0.0), *min, "{id}: the host's lowest value is the table's min");
                    assert_eq!(ptr.preview_plain(1.0), *max, "{id}: the host's highest value is the table's max");
                }
                (ParamPtr::BoolParam(p), ParamKind::Bool, ParamValue::Bool(default)) => {
                    assert_eq!((**p).default_plain_value(), default, "{id}");
                }
                (ParamPtr::EnumParam(p), ParamKind::Enum { ids, names }, ParamValue::Enum(default)) => {
                    let p = &**p;
                    assert_eq!(p.len(), ids.len(), "{id}");
                    assert_eq!(p.default_plain_value(), default as i32, "{id}");
                    for (i, name) in names.iter().enumerate() {
                        assert_eq!(p.normalized_value_to_string(p.preview_normalized(i as i32), false), *name, "{id}");
                    }
                }
                _ => panic!("{id}: the host parameter's kind differs from the table's"),
            }
        }
    }
}

/// What the plugin reads each block equals what the table makes of the same values.
#[test]
fn plugin_settings_equal_the_tables_for_the_same_values() {
    use keel_core::params::{ParamTable, ParamValue};
    let table = ParamTable::new();
    let params = KeelParams::default();
    let mut values = table.defaults();
    let changes: Vec<(String, ParamValue)> = [
        "eq2_on=true", "eq2_type=high_pass", "eq2_slope=36", "eq2_place=side", "eq2_freq=250", "eq5_gain=-3.5",
        "comp_on=true", "comp_ratio=20.5", "comp_sc_hpf=120", "comp_detector=rms", "comp_mix=40", "lim_on=true",
        "lim_ceiling=-2", "lim_link=50", "out_gain=1.5", "bypass=true",
    ]
    .iter()
    .map(|s| table.parse_assignment(s).unwrap())
    .collect();
    table.assign(&mut values, &changes).unwrap();
    keel::preset::set_values(&params, &changes).unwrap();
    assert_eq!(params.plain_values(), values);
    let settings = params.chain_settings();
    assert_eq!(settings, values.chain_settings());
    assert!(settings.compressor.ratio.is_infinite());
    assert_eq!(settings.eq[1].slope_db_oct, 36);
}
