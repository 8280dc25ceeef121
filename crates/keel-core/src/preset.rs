//! The preset format, as text: `{"keel_preset": 1, "params": {"ID": VALUE, ...}}`. Values are
//! plain (the units `keel params` lists): numbers for floats, `true`/`false` for switches, the
//! lower-case id for enums. Loading a preset defines the whole sound: parameters it does not
//! mention go back to their defaults. Reading and writing files is the caller's business.

use crate::params::{ParamError, ParamTable, ParamValue, PlainValues};
use serde_json::{Map, Value};

/// The preset format this build reads and writes.
pub const PRESET_FORMAT_VERSION: u64 = 1;

/// The factory presets in `presets/`, compiled in: (file stem, display name, JSON text).
pub const FACTORY_PRESETS: &[(&str, &str, &str)] = &[
    ("bus_glue", "Bus glue", include_str!("../../../presets/bus_glue.json")),
    ("streaming_master", "Streaming master", include_str!("../../../presets/streaming_master.json")),
    ("broadcast_r128", "Broadcast R128", include_str!("../../../presets/broadcast_r128.json")),
    ("transparent_limiter", "Transparent limiter", include_str!("../../../presets/transparent_limiter.json")),
];

/// A full or partial set of parameter values, in the parameter table's order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Preset {
    pub values: Vec<(String, ParamValue)>,
}

impl Preset {
    /// Every parameter's value in `values`.
    pub fn capture(values: &PlainValues, table: &ParamTable) -> Self {
        let values =
            table.entries().iter().enumerate().map(|(i, info)| (info.id.clone(), table.value_at(values, i))).collect();
        Self { values }
    }

    pub fn from_json_str(text: &str, table: &ParamTable) -> Result<Self, ParamError> {
        let root: Value = serde_json::from_str(text).map_err(|e| ParamError::Format(format!("not a valid preset: {e}")))?;
        let object =
            root.as_object().ok_or_else(|| ParamError::Format("not a valid preset: expected a JSON object".into()))?;
        match object.get("keel_preset").and_then(Value::as_u64) {
            Some(PRESET_FORMAT_VERSION) => {}
            Some(other) => {
                return Err(ParamError::Format(format!(
                    "unsupported preset version {other} (this keel reads version {PRESET_FORMAT_VERSION})"
                )));
            }
            None => return Err(ParamError::Format("not a keel preset: missing \"keel_preset\": 1".into())),
        }
        let given = object
            .get("params")
            .and_then(Value::as_object)
            .ok_or_else(|| ParamError::Format("not a valid preset: missing \"params\" object".into()))?;
        for id in given.keys() {
            table.get(id)?;
        }
        let mut values = Vec::with_capacity(given.len());
        for info in table.entries() {
            if let Some(value) = given.get(&info.id) {
                values.push((info.id.clone(), info.from_json(value)?));
            }
        }
        Ok(Self { values })
    }

    pub fn to_json_string(&self, table: &ParamTable) -> String {
        let mut params = Map::new();
        for (id, value) in &self.values {
            if let Ok(info) = table.get(id) {
                params.insert(id.clone(), info.to_json(*value));
            }
        }
        let mut root = Map::new();
        root.insert("keel_preset".into(), Value::from(PRESET_FORMAT_VERSION));
        root.insert("params".into(), Value::Object(params));
        let mut text = serde_json::to_string_pretty(&Value::Object(root)).unwrap_or_default();
        text.push('\n');
        text
    }

    /// This preset over the defaults: the full list of values that loading it produces.
    pub fn with_defaults(&self, table: &ParamTable) -> Vec<(String, ParamValue)> {
        table
            .entries()
            .iter()
            .map(|info| {
                let value = self.values.iter().find(|(id, _)| *id == info.id).map_or(info.default, |(_, v)| *v);
                (info.id.clone(), value)
            })
            .collect()
    }

    /// The values loading this preset produces.
    pub fn plain_values(&self, table: &ParamTable) -> Result<PlainValues, ParamError> {
        let mut values = table.defaults();
        table.assign(&mut values, &self.values)?;
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preset_round_trips_through_json() {
        let table = ParamTable::new();
        let mut values = table.defaults();
        let changes = vec![
            table.parse_assignment("eq3_freq=1234.5").unwrap(),
            table.parse_assignment("eq3_type=high_shelf").unwrap(),
            table.parse_assignment("out_gain=-1.25").unwrap(),
        ];
        table.assign(&mut values, &changes).unwrap();
        let text = Preset::capture(&values, &table).to_json_string(&table);
        let loaded = Preset::from_json_str(&text, &table).unwrap().plain_values(&table).unwrap();
        assert_eq!(loaded, values);
        assert_eq!(loaded.chain_settings().eq[2].freq_hz, 1234.5);
    }

    #[test]
    fn loading_a_partial_preset_resets_the_rest_to_defaults() {
        let table = ParamTable::new();
        let preset = Preset::from_json_str(r#"{"keel_preset": 1, "params": {"eq1_on": true}}"#, &table).unwrap();
        let values = preset.plain_values(&table).unwrap();
        let mut expected = table.defaults();
        table.assign(&mut expected, &[("eq1_on".into(), ParamValue::Bool(true))]).unwrap();
        assert_eq!(values, expected);
    }

    #[test]
    fn malformed_presets_are_rejected_with_the_reason() {
        let table = ParamTable::new();
        let version = Preset::from_json_str(r#"{"keel_preset": 2, "params": {}}"#, &table).unwrap_err();
        assert!(version.to_string().contains("version 2"));
        let unknown = Preset::from_json_str(r#"{"keel_preset": 1, "params": {"zz": 1}}"#, &table).unwrap_err();
        assert_eq!(unknown, ParamError::UnknownParam("zz".into()));
        let wrong_type = Preset::from_json_str(r#"{"keel_preset": 1, "params": {"eq1_on": 1}}"#, &table).unwrap_err();
        assert!(matches!(wrong_type, ParamError::BadValue { .. }));
        let out_of_range = Preset::from_json_str(r#"{"keel_preset": 1, "params": {"lim_ceiling": 3}}"#, &table);
        assert!(matches!(out_of_range, Err(ParamError::OutOfRange { .. })));
    }

    #[test]
    fn factory_presets_parse() {
        let table = ParamTable::new();
        for (stem, _, text) in FACTORY_PRESETS {
            Preset::from_json_str(text, &table).unwrap_or_else(|e| panic!("{stem}: {e}"));
        }
    }
}
