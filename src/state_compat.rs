//! Saved state that this version did not write itself: older sessions, hand-edited or damaged
//! files.
//!
//! The framework parses the JSON and then sets each parameter it names. Left alone, a parameter
//! the state does not mention keeps whatever value the instance had (not its default), a value of
//! the wrong kind or an unknown enum id is skipped, and a float outside its range is taken as is,
//! so the DSP could see, say, a +5 dBTP ceiling. [`filter_state`] runs just before the values are
//! applied and makes the state complete and valid:
//!
//! - a parameter the state lacks (a state from a version before that parameter existed) gets its
//!   default, which is how a new parameter is introduced without changing an old session's sound;
//! - a value of the wrong kind, a non-finite or out-of-range number, an enum index or id this
//!   version does not know, is replaced by the parameter's default;
//! - ids this version does not know are dropped;
//! - a persisted field that does not parse is dropped (its holder keeps its default).
//!
//! Whenever something was changed, one line is logged naming the state's version and what was
//! repaired. A state this version saved passes through unchanged and silently.
//!
//! What cannot be handled here: bytes that are not a JSON state object at all (garbage, a
//! truncated stream). The framework rejects those before this hook runs and reports the failure
//! to the host, and the instance keeps the parameters it had.

use crate::params::param_table;
use keel_core::params::{ParamInfo, ParamKind, ParamValue as Value};
use nice_plug::plugin::ParamValue;
use nice_plug::prelude::*;

/// Persisted non-parameter fields and the check each value must pass.
const FIELDS: &[(&str, fn(&str) -> bool)] = &[
    ("editor-size", |text| serde_json::from_str::<u64>(text).is_ok()),
    ("loudness-target", |text| serde_json::from_str::<String>(text).is_ok()),
];

/// What [`repair`] changed, by parameter id.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Repairs {
    pub missing: Vec<String>,
    pub invalid: Vec<String>,
    pub unknown: Vec<String>,
    pub dropped_fields: Vec<String>,
}

impl Repairs {
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.invalid.is_empty() && self.unknown.is_empty() && self.dropped_fields.is_empty()
    }

    /// The log line, without the version.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        let mut part = |ids: &[String], what: &str| {
            if !ids.is_empty() {
                parts.push(format!("{} {what} ({})", ids.len(), ids.join(", ")));
            }
        };
        part(&self.missing, "missing parameter(s) set to default");
        part(&self.invalid, "invalid value(s) reset to default");
        part(&self.unknown, "unknown parameter(s) ignored");
        part(&self.dropped_fields, "unreadable field(s) ignored");
        parts.join("; ")
    }
}

/// The framework's hook (`Plugin::filter_state`): repairs the state and logs what changed.
pub fn filter_state(state: &mut PluginState) {
    let repairs = repair(state);
    if !repairs.is_empty() {
        let version = if state.version.is_empty() { "an unknown version" } else { state.version.as_str() };
        nice_warn!("Keel: repaired a state saved by {version}: {}", repairs.summary());
    }
}

/// Makes `state` name every parameter of this version with a valid value, and nothing else.
/// Validity is the core table's rule (`ParamInfo::accepts`), the same as for presets and the
/// command line.
pub fn repair(state: &mut PluginState) -> Repairs {
    let table = param_table();
    let mut repairs = Repairs::default();
    for info in table.entries() {
        let id = &info.id;
        match state.params.get(id) {
            None => {
                state.params.insert(id.clone(), saved_form(info, info.default));
                repairs.missing.push(id.clone());
            }
            Some(value) if !is_valid(info, value) => {
                repairs.invalid.push(format!("{id}={}", describe(value)));
                state.params.insert(id.clone(), saved_form(info, info.default));
            }
            Some(_) => {}
        }
    }
    state.params.retain(|id, _| {
        let keep = table.position(id).is_some();
        if !keep {
            repairs.unknown.push(id.clone());
        }
        keep
    });
    for (name, parses) in FIELDS {
        if state.fields.get(*name).is_some_and(|text| !parses(text)) {
            state.fields.remove(*name);
            repairs.dropped_fields.push((*name).to_owned());
        }
    }
    repairs
}

/// The value as the framework saves it (enums by their stable id).
fn saved_form(info: &ParamInfo, value: Value) -> ParamValue {
    match (value, &info.kind) {
        (Value::Float(v), _) => ParamValue::F32(v),
        (Value::Bool(v), _) => ParamValue::Bool(v),
        (Value::Enum(index), ParamKind::Enum { ids, .. }) => ParamValue::String(ids[index].to_owned()),
        (Value::Enum(index), _) => ParamValue::I32(index as i32),
    }
}

/// Enums may be saved by id or (older framework versions) by index.
fn is_valid(info: &ParamInfo, saved: &ParamValue) -> bool {
    let value = match saved {
        ParamValue::F32(v) => Value::Float(*v),
        ParamValue::Bool(v) => Value::Bool(*v),
        ParamValue::I32(index) if *index >= 0 => Value::Enum(*index as usize),
        ParamValue::String(id) => match info.enum_index(id) {
            Some(index) => Value::Enum(index),
            None => return false,
        },
        _ => return false,
    };
    info.accepts(value)
}

fn describe(value: &ParamValue) -> String {
    match value {
        ParamValue::F32(v) => v.to_string(),
        ParamValue::I32(v) => v.to_string(),
        ParamValue::Bool(v) => v.to_string(),
        ParamValue::String(v) => format!("{v:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::KeelParams;
    use std::collections::BTreeMap;

    fn saved_by_this_version() -> PluginState {
        let params = KeelParams::default();
        let mut state = PluginState { version: env!("CARGO_PKG_VERSION").into(), params: BTreeMap::new(), fields: params.serialize_fields() };
        // Start from a complete, valid state with a few non-default values.
        repair(&mut state);
        state.params.insert("lim_ceiling".into(), ParamValue::F32(-0.3));
        state.params.insert("eq3_type".into(), ParamValue::String("notch".into()));
        state.params.insert("comp_on".into(), ParamValue::Bool(true));
        state
    }

    #[test]
    fn a_complete_valid_state_passes_unchanged() {
        let mut state = saved_by_this_version();
        let before = format!("{state:?}");
        assert!(repair(&mut state).is_empty());
        assert_eq!(format!("{state:?}"), before);
        assert_eq!(state.params.len(), KeelParams::default().param_map().len());
    }

    #[test]
    fn missing_parameters_get_their_defaults() {
        let mut state = saved_by_this_version();
        state.params.remove("comp_mix");
        state.params.remove("eq8_place");
        let repairs = repair(&mut state);
        assert_eq!(repairs.missing, ["eq8_place", "comp_mix"]);
        assert!(matches!(state.params["comp_mix"], ParamValue::F32(v) if v == 100.0));
        assert!(matches!(&state.params["eq8_place"], ParamValue::String(s) if s == "stereo"));
        assert!(matches!(state.params["lim_ceiling"], ParamValue::F32(v) if v == -0.3), "valid values are kept");
    }

    #[test]
    fn invalid_values_fall_back_to_defaults_and_unknown_ids_are_dropped() {
        let mut state = saved_by_this_version();
        state.params.insert("lim_ceiling".into(), ParamValue::F32(5.0));
        state.params.insert("out_gain".into(), ParamValue::F32(f32::INFINITY));
        state.params.insert("eq1_freq".into(), ParamValue::F32(9.0));
        state.params.insert("eq2_type".into(), ParamValue::String("wobble".into()));
        state.params.insert("eq3_slope".into(), ParamValue::I32(99));
        state.params.insert("comp_on".into(), ParamValue::F32(1.0));
        state.params.insert("eq9_freq".into(), ParamValue::F32(100.0));
        state.fields.insert("editor-size".into(), "\"wide\"".into());
        let repairs = repair(&mut state);
        let invalid: Vec<&str> = repairs.invalid.iter().map(|s| s.split('=').next().unwrap()).collect();
        for id in ["lim_ceiling", "out_gain", "eq1_freq", "eq2_type", "eq3_slope", "comp_on"] {
            assert!(invalid.contains(&id), "{id} not reported in {invalid:?}");
        }
        assert_eq!(repairs.unknown, ["eq9_freq"]);
        assert_eq!(repairs.dropped_fields, ["editor-size"]);
        assert!(matches!(state.params["lim_ceiling"], ParamValue::F32(v) if v == -1.0));
        assert!(matches!(state.params["out_gain"], ParamValue::F32(v) if v == 0.0));
        assert!(matches!(state.params["eq1_freq"], ParamValue::F32(v) if v == 40.0));
        assert!(matches!(&state.params["eq2_type"], ParamValue::String(s) if s == "bell"));
        assert!(matches!(&state.params["eq3_slope"], ParamValue::String(s) if s == "12"));
        assert!(matches!(state.params["comp_on"], ParamValue::Bool(false)));
        assert!(!state.params.contains_key("eq9_freq"));
        assert!(!state.fields.contains_key("editor-size"));
        // The range ends themselves are valid.
        let mut edges = saved_by_this_version();
        edges.params.insert("eq1_freq".into(), ParamValue::F32(30_000.0));
        edges.params.insert("eq2_freq".into(), ParamValue::F32(10.0));
        edges.params.insert("lim_ceiling".into(), ParamValue::F32(0.0));
        edges.params.insert("eq3_slope".into(), ParamValue::I32(7));
        assert!(repair(&mut edges).is_empty());
        // One float step outside an end is not (the table's rule: exact ends, no slack).
        let mut outside = saved_by_this_version();
        outside.params.insert("eq1_freq".into(), ParamValue::F32(30_000f32.next_up()));
        outside.params.insert("lim_ceiling".into(), ParamValue::F32(0f32.next_up()));
        outside.params.insert("comp_mix".into(), ParamValue::F32(0f32.next_down()));
        assert_eq!(repair(&mut outside).invalid.len(), 3);
    }
}
