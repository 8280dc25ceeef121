//! Presets and the parameter table, shared by the `keel` command and the editor.
//!
//! Everything here walks the plugin's own parameter list (`Params::param_map`), so a parameter
//! added to `KeelParams` is listed, settable from the command line and saved in presets without
//! changes to this file. Values are plain (the units the parameter shows): numbers for float and
//! integer parameters, `true`/`false` for switches, the lower-case variant id for enums.
//!
//! Preset file: `{"keel_preset": 1, "params": {"ID": VALUE, ...}}`. Loading a preset defines the
//! whole sound: parameters it does not mention go back to their defaults.

use crate::params::KeelParams;
use nice_plug::params::InternalParamMut;
use nice_plug::prelude::*;
use serde_json::{Map, Number, Value};
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

/// The preset format this build reads and writes.
pub const PRESET_FORMAT_VERSION: u64 = 1;

#[derive(Debug, Clone, PartialEq)]
pub enum ParamKind {
    Float { min: f32, max: f32 },
    Int { min: i32, max: i32 },
    Bool,
    /// `ids` are the lower-case names used on the command line and in presets; `names` are the
    /// display names the plugin shows.
    Enum { ids: Vec<String>, names: Vec<String> },
}

/// A plain parameter value. Enums hold the variant index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamValue {
    Float(f32),
    Int(i32),
    Bool(bool),
    Enum(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParamInfo {
    pub id: String,
    pub name: String,
    /// Unit without the leading space the plugin uses for display ("Hz", "dB", or empty).
    pub unit: String,
    /// Group path in the plugin ("Band 1"), empty for top-level parameters.
    pub group: String,
    pub kind: ParamKind,
    pub default: ParamValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PresetError {
    UnknownParam(String),
    BadValue { id: String, given: String, expected: String },
    OutOfRange { id: String, given: String, range: String },
    Format(String),
    Io(String),
}

impl fmt::Display for PresetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PresetError::UnknownParam(id) => write!(f, "unknown parameter id '{id}' (run `keel params` for the list)"),
            PresetError::BadValue { id, given, expected } => {
                write!(f, "bad value '{given}' for {id}: expected {expected}")
            }
            PresetError::OutOfRange { id, given, range } => {
                write!(f, "value {given} for {id} is out of range ({range})")
            }
            PresetError::Format(message) | PresetError::Io(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for PresetError {}

impl ParamInfo {
    /// Parses a command-line value (`1000`, `-1.5`, `true`, `bell`).
    pub fn parse(&self, text: &str) -> Result<ParamValue, PresetError> {
        let text = text.trim();
        let bad = || PresetError::BadValue { id: self.id.clone(), given: text.to_string(), expected: self.expected() };
        match &self.kind {
            ParamKind::Float { .. } => {
                let value: f32 = text.parse().map_err(|_| bad())?;
                self.check(ParamValue::Float(value), text)
            }
            ParamKind::Int { .. } => {
                let value: i32 = text.parse().map_err(|_| bad())?;
                self.check(ParamValue::Int(value), text)
            }
            ParamKind::Bool => match text {
                "true" => Ok(ParamValue::Bool(true)),
                "false" => Ok(ParamValue::Bool(false)),
                _ => Err(bad()),
            },
            ParamKind::Enum { ids, names } => ids
                .iter()
                .position(|id| id == text)
                .or_else(|| names.iter().position(|name| name.eq_ignore_ascii_case(text)))
                .map(ParamValue::Enum)
                .ok_or_else(bad),
        }
    }

    /// Reads a preset value; the JSON type must match the parameter's kind.
    pub fn from_json(&self, value: &Value) -> Result<ParamValue, PresetError> {
        let given = value.to_string();
        let bad = || PresetError::BadValue { id: self.id.clone(), given: given.clone(), expected: self.expected() };
        match (&self.kind, value) {
            (ParamKind::Float { .. }, Value::Number(n)) => {
                let value = n.as_f64().ok_or_else(bad)? as f32;
                self.check(ParamValue::Float(value), &given)
            }
            (ParamKind::Int { .. }, Value::Number(n)) => {
                let value = n.as_i64().and_then(|v| i32::try_from(v).ok()).ok_or_else(bad)?;
                self.check(ParamValue::Int(value), &given)
            }
            (ParamKind::Bool, Value::Bool(b)) => Ok(ParamValue::Bool(*b)),
            (ParamKind::Enum { .. }, Value::String(s)) => self.parse(s),
            _ => Err(bad()),
        }
    }

    pub fn to_json(&self, value: ParamValue) -> Value {
        match (value, &self.kind) {
            // Shortest decimal that reads back as the same f32, so presets stay readable.
            (ParamValue::Float(v), _) => {
                let shortest: f64 = format!("{v}").parse().unwrap_or(f64::from(v));
                Number::from_f64(shortest).map_or(Value::Null, Value::Number)
            }
            (ParamValue::Int(v), _) => Value::from(v),
            (ParamValue::Bool(v), _) => Value::Bool(v),
            (ParamValue::Enum(index), ParamKind::Enum { ids, .. }) => Value::String(ids[index].clone()),
            (ParamValue::Enum(index), _) => Value::from(index),
        }
    }

    /// The value as typed on the command line.
    pub fn format(&self, value: ParamValue) -> String {
        match (value, &self.kind) {
            (ParamValue::Float(v), _) => format!("{v}"),
            (ParamValue::Int(v), _) => v.to_string(),
            (ParamValue::Bool(v), _) => v.to_string(),
            (ParamValue::Enum(index), ParamKind::Enum { ids, .. }) => ids[index].clone(),
            (ParamValue::Enum(index), _) => index.to_string(),
        }
    }

    /// "-24 to 24 dB", "true or false", "one of bell, low_shelf, ...".
    pub fn range_text(&self) -> String {
        let unit = if self.unit.is_empty() { String::new() } else { format!(" {}", self.unit) };
        match &self.kind {
            ParamKind::Float { min, max } => format!("{min} to {max}{unit}"),
            ParamKind::Int { min, max } => format!("{min} to {max}{unit}"),
            ParamKind::Bool => "true or false".to_string(),
            ParamKind::Enum { ids, .. } => format!("one of {}", ids.join(", ")),
        }
    }

    fn expected(&self) -> String {
        match &self.kind {
            ParamKind::Float { .. } => format!("a number from {}", self.range_text()),
            ParamKind::Int { .. } => format!("a whole number from {}", self.range_text()),
            _ => self.range_text(),
        }
    }

    fn check(&self, value: ParamValue, given: &str) -> Result<ParamValue, PresetError> {
        let inside = match (&self.kind, value) {
            (ParamKind::Float { min, max }, ParamValue::Float(v)) => v.is_finite() && v >= *min && v <= *max,
            (ParamKind::Int { min, max }, ParamValue::Int(v)) => v >= *min && v <= *max,
            _ => true,
        };
        if inside {
            Ok(value)
        } else {
            Err(PresetError::OutOfRange { id: self.id.clone(), given: given.to_string(), range: self.range_text() })
        }
    }
}

/// The description of every parameter, in the plugin's order.
#[derive(Debug, Clone)]
pub struct ParamTable {
    entries: Vec<ParamInfo>,
}

impl Default for ParamTable {
    fn default() -> Self {
        Self::new()
    }
}

impl ParamTable {
    /// Describes `KeelParams` as a fresh plugin instance exposes it.
    pub fn new() -> Self {
        // A private instance: listing enum ids needs to step the parameter through its variants.
        let scratch = KeelParams::default();
        let entries = scratch
            .param_map()
            .into_iter()
            // SAFETY: the pointers point into `scratch`, which outlives this iterator.
            .map(|(id, ptr, group)| unsafe { describe(id, ptr, group) })
            .collect();
        Self { entries }
    }

    pub fn entries(&self) -> &[ParamInfo] {
        &self.entries
    }

    pub fn get(&self, id: &str) -> Result<&ParamInfo, PresetError> {
        self.entries.iter().find(|info| info.id == id).ok_or_else(|| PresetError::UnknownParam(id.to_string()))
    }

    /// Parses `ID=VALUE` as given to `--set`.
    pub fn parse_assignment(&self, text: &str) -> Result<(String, ParamValue), PresetError> {
        let (id, value) = text.split_once('=').ok_or_else(|| {
            PresetError::Format(format!("--set expects ID=VALUE, got '{text}'"))
        })?;
        let info = self.get(id.trim())?;
        Ok((info.id.clone(), info.parse(value)?))
    }
}

/// SAFETY: `ptr` must point to a live parameter that nobody else is reading or writing.
unsafe fn describe(id: String, ptr: ParamPtr, group: String) -> ParamInfo {
    unsafe {
        let name = ptr.name().to_string();
        let unit = ptr.unit().trim().to_string();
        let (kind, default) = match ptr {
            ParamPtr::FloatParam(p) => {
                let (a, b) = ((*p).preview_plain(0.0), (*p).preview_plain(1.0));
                (ParamKind::Float { min: a.min(b), max: a.max(b) }, ParamValue::Float((*p).default_plain_value()))
            }
            ParamPtr::IntParam(p) => {
                let (a, b) = ((*p).preview_plain(0.0), (*p).preview_plain(1.0));
                (ParamKind::Int { min: a.min(b), max: a.max(b) }, ParamValue::Int((*p).default_plain_value()))
            }
            ParamPtr::BoolParam(p) => (ParamKind::Bool, ParamValue::Bool((*p).default_plain_value())),
            ParamPtr::EnumParam(p) => {
                let param = &*p;
                let names: Vec<String> = (0..param.len())
                    .map(|i| param.normalized_value_to_string(param.preview_normalized(i as i32), false))
                    .collect();
                let ids = (0..param.len())
                    .map(|i| {
                        param._internal_set_plain_value(i as i32);
                        match param.unmodulated_plain_id() {
                            Some(id) => id.to_string(),
                            None => names[i].to_lowercase().replace(' ', "_"),
                        }
                    })
                    .collect();
                let default = param.default_plain_value();
                param._internal_set_plain_value(default);
                (ParamKind::Enum { ids, names }, ParamValue::Enum(default.max(0) as usize))
            }
        };
        ParamInfo { id, name, unit, group, kind, default }
    }
}

/// A parameter's current plain value.
pub fn read_value(params: &KeelParams, id: &str) -> Option<ParamValue> {
    let (_, ptr, _) = params.param_map().into_iter().find(|(pid, _, _)| pid == id)?;
    // SAFETY: `ptr` points into `params`, borrowed for this call.
    Some(unsafe { value_of(ptr) })
}

unsafe fn value_of(ptr: ParamPtr) -> ParamValue {
    unsafe {
        match ptr {
            ParamPtr::FloatParam(p) => ParamValue::Float((*p).unmodulated_plain_value()),
            ParamPtr::IntParam(p) => ParamValue::Int((*p).unmodulated_plain_value()),
            ParamPtr::BoolParam(p) => ParamValue::Bool((*p).unmodulated_plain_value()),
            ParamPtr::EnumParam(p) => ParamValue::Enum((*p).unmodulated_plain_value().max(0) as usize),
        }
    }
}

/// Sets plain values directly, as the plugin's state restore does. For headless use (the
/// command line, tests); the editor goes through `Preset::normalized_values` and its
/// `ParamSetter` so the host hears about the change.
pub fn set_values(params: &KeelParams, values: &[(String, ParamValue)]) -> Result<(), PresetError> {
    let map: HashMap<String, ParamPtr> = params.param_map().into_iter().map(|(id, ptr, _)| (id, ptr)).collect();
    for (id, value) in values {
        let ptr = *map.get(id).ok_or_else(|| PresetError::UnknownParam(id.clone()))?;
        // SAFETY: `ptr` points into `params`, borrowed for this call; the kinds are matched.
        unsafe {
            match (ptr, *value) {
                (ParamPtr::FloatParam(p), ParamValue::Float(v)) => {
                    (*p)._internal_set_plain_value(v);
                }
                (ParamPtr::IntParam(p), ParamValue::Int(v)) => {
                    (*p)._internal_set_plain_value(v);
                }
                (ParamPtr::BoolParam(p), ParamValue::Bool(v)) => {
                    (*p)._internal_set_plain_value(v);
                }
                (ParamPtr::EnumParam(p), ParamValue::Enum(index)) if index < (*p).len() => {
                    (*p)._internal_set_plain_value(index as i32);
                }
                _ => {
                    return Err(PresetError::BadValue {
                        id: id.clone(),
                        given: format!("{value:?}"),
                        expected: "a value of the parameter's own kind".to_string(),
                    });
                }
            }
        }
    }
    Ok(())
}

/// A full or partial set of parameter values, in the parameter table's order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Preset {
    pub values: Vec<(String, ParamValue)>,
}

impl Preset {
    /// Every parameter's current value.
    pub fn capture(params: &KeelParams) -> Self {
        let values = params
            .param_map()
            .into_iter()
            // SAFETY: the pointers point into `params`, borrowed for this call.
            .map(|(id, ptr, _)| (id, unsafe { value_of(ptr) }))
            .collect();
        Self { values }
    }

    pub fn from_json_str(text: &str, table: &ParamTable) -> Result<Self, PresetError> {
        let root: Value =
            serde_json::from_str(text).map_err(|e| PresetError::Format(format!("not a valid preset: {e}")))?;
        let object = root.as_object().ok_or_else(|| PresetError::Format("not a valid preset: expected a JSON object".into()))?;
        match object.get("keel_preset").and_then(Value::as_u64) {
            Some(PRESET_FORMAT_VERSION) => {}
            Some(other) => {
                return Err(PresetError::Format(format!(
                    "unsupported preset version {other} (this keel reads version {PRESET_FORMAT_VERSION})"
                )));
            }
            None => return Err(PresetError::Format("not a keel preset: missing \"keel_preset\": 1".into())),
        }
        let given = object
            .get("params")
            .and_then(Value::as_object)
            .ok_or_else(|| PresetError::Format("not a valid preset: missing \"params\" object".into()))?;
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

    pub fn load(path: &Path, table: &ParamTable) -> Result<Self, PresetError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| PresetError::Io(format!("cannot read preset {}: {e}", path.display())))?;
        Self::from_json_str(&text, table).map_err(|e| match e {
            PresetError::Format(message) => PresetError::Format(format!("{}: {message}", path.display())),
            other => PresetError::Format(format!("{}: {other}", path.display())),
        })
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

    /// Writes to a temporary name beside `path` and renames it, so a crash never leaves half a
    /// preset behind.
    pub fn save(&self, path: &Path, table: &ParamTable) -> Result<(), PresetError> {
        let temp = path.with_extension(format!("tmp{}", std::process::id()));
        let result = std::fs::write(&temp, self.to_json_string(table)).and_then(|()| std::fs::rename(&temp, path));
        if result.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        result.map_err(|e| PresetError::Io(format!("cannot write preset {}: {e}", path.display())))
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

    /// Loads the preset into `params` directly (headless use).
    pub fn apply(&self, params: &KeelParams, table: &ParamTable) -> Result<(), PresetError> {
        set_values(params, &self.with_defaults(table))
    }

    /// Normalized values for a host-aware setter (the editor's `ParamSetter`), defaults included.
    pub fn normalized_values(&self, params: &KeelParams, table: &ParamTable) -> Vec<(ParamPtr, f32)> {
        let map: HashMap<String, ParamPtr> = params.param_map().into_iter().map(|(id, ptr, _)| (id, ptr)).collect();
        self.with_defaults(table)
            .into_iter()
            .filter_map(|(id, value)| {
                let ptr = *map.get(&id)?;
                let plain = match value {
                    ParamValue::Float(v) => v,
                    ParamValue::Int(v) => v as f32,
                    ParamValue::Bool(v) => f32::from(u8::from(v)),
                    ParamValue::Enum(index) => index as f32,
                };
                // SAFETY: `ptr` points into `params`, borrowed for this call.
                Some((ptr, unsafe { ptr.preview_normalized(plain) }))
            })
            .collect()
    }
}

/// The factory presets in `presets/`, compiled in so the editor lists them without the files:
/// (file stem, display name, JSON text).
pub const FACTORY_PRESETS: &[(&str, &str, &str)] = &[
    ("bus_glue", "Bus glue", include_str!("../presets/bus_glue.json")),
    ("streaming_master", "Streaming master", include_str!("../presets/streaming_master.json")),
    ("broadcast_r128", "Broadcast R128", include_str!("../presets/broadcast_r128.json")),
    ("transparent_limiter", "Transparent limiter", include_str!("../presets/transparent_limiter.json")),
];

/// Environment variable that overrides the user preset folder (tests, portable setups).
pub const PRESET_DIR_ENV: &str = "KEEL_PRESET_DIR";

/// The folder the editor saves user presets to and lists them from:
/// `$KEEL_PRESET_DIR` when set; otherwise on Windows `%APPDATA%\Keel\presets`, on macOS
/// `~/Library/Application Support/Keel/presets`, elsewhere `$XDG_CONFIG_HOME/keel/presets`
/// (when that is an absolute path) or `~/.config/keel/presets`. `None` when none of these
/// variables is set.
pub fn user_preset_dir() -> Option<std::path::PathBuf> {
    user_preset_dir_from(|name| std::env::var_os(name))
}

/// [`user_preset_dir`] with the environment passed in, so the rules can be tested.
pub fn user_preset_dir_from(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<std::path::PathBuf> {
    use std::path::PathBuf;
    let set = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = set(PRESET_DIR_ENV) {
        return Some(dir);
    }
    if cfg!(windows) {
        return set("APPDATA").map(|d| d.join("Keel").join("presets"));
    }
    if cfg!(target_os = "macos") {
        return set("HOME").map(|d| d.join("Library/Application Support/Keel/presets"));
    }
    // XDG: a relative XDG_CONFIG_HOME is invalid and must be ignored.
    if let Some(config) = set("XDG_CONFIG_HOME").filter(|d| d.is_absolute()) {
        return Some(config.join("keel").join("presets"));
    }
    set("HOME").map(|d| d.join(".config").join("keel").join("presets"))
}

/// The `*.json` files in `dir`, sorted by name (case-insensitive). A missing folder is an
/// empty list, not an error: nothing has been saved yet.
pub fn list_preset_files(dir: &Path) -> Result<Vec<std::path::PathBuf>, PresetError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(PresetError::Io(format!("cannot list presets in {}: {e}", dir.display()))),
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("json")))
        .collect();
    files.sort_by_key(|path| path.file_name().map(|n| n.to_string_lossy().to_lowercase()));
    Ok(files)
}

/// Checks a user-typed preset name and gives the file name it is saved under. Names are
/// kept as typed (spaces included); anything that could leave the folder or that file systems
/// refuse is rejected with the reason.
pub fn preset_file_name(name: &str) -> Result<String, PresetError> {
    let name = name.trim();
    let refuse = |why: &str| Err(PresetError::Format(format!("preset name {why}")));
    if name.is_empty() {
        return refuse("is empty");
    }
    if name.chars().count() > 100 {
        return refuse("is longer than 100 characters");
    }
    if name.starts_with('.') {
        return refuse("must not start with a dot");
    }
    if let Some(bad) = name.chars().find(|c| c.is_control() || "/\\:*?\"<>|".contains(*c)) {
        return refuse(&format!("must not contain '{}'", bad.escape_default()));
    }
    Ok(format!("{name}.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lists_plugin_params_with_ranges_and_enum_ids() {
        let table = ParamTable::new();
        let freq = table.get("eq1_freq").unwrap();
        assert_eq!(freq.unit, "Hz");
        assert!(matches!(freq.kind, ParamKind::Float { min, max } if min < 20.0 && max >= 20_000.0));
        let kind = table.get("eq1_type").unwrap();
        match &kind.kind {
            ParamKind::Enum { ids, .. } => assert!(ids.contains(&"bell".to_string()) && ids.contains(&"low_shelf".to_string())),
            other => panic!("eq1_type should be an enum, got {other:?}"),
        }
        assert_eq!(table.get("bypass").unwrap().kind, ParamKind::Bool);
        assert!(table.get("nope").is_err());
    }

    #[test]
    fn assignments_parse_and_reject_out_of_range() {
        let table = ParamTable::new();
        assert_eq!(table.parse_assignment("out_gain=-3").unwrap(), ("out_gain".into(), ParamValue::Float(-3.0)));
        assert_eq!(table.parse_assignment("eq2_on=true").unwrap().1, ParamValue::Bool(true));
        assert!(matches!(table.parse_assignment("out_gain=99"), Err(PresetError::OutOfRange { .. })));
        assert!(matches!(table.parse_assignment("eq2_on=yes"), Err(PresetError::BadValue { .. })));
        assert!(matches!(table.parse_assignment("eq1_type=wobble"), Err(PresetError::BadValue { .. })));
    }

    #[test]
    fn preset_round_trips_through_json_and_params() {
        let table = ParamTable::new();
        let params = KeelParams::default();
        let changes = vec![
            table.parse_assignment("eq3_freq=1234.5").unwrap(),
            table.parse_assignment("eq3_type=high_shelf").unwrap(),
            table.parse_assignment("out_gain=-1.25").unwrap(),
        ];
        set_values(&params, &changes).unwrap();
        let text = Preset::capture(&params).to_json_string(&table);
        let loaded = Preset::from_json_str(&text, &table).unwrap();
        let fresh = KeelParams::default();
        loaded.apply(&fresh, &table).unwrap();
        assert_eq!(fresh.chain_settings(), params.chain_settings());
        assert_eq!(read_value(&fresh, "eq3_freq"), Some(ParamValue::Float(1234.5)));
    }

    #[test]
    fn loading_a_partial_preset_resets_the_rest_to_defaults() {
        let table = ParamTable::new();
        let params = KeelParams::default();
        set_values(&params, &[table.parse_assignment("out_gain=6").unwrap()]).unwrap();
        let preset = Preset::from_json_str(r#"{"keel_preset": 1, "params": {"eq1_on": true}}"#, &table).unwrap();
        preset.apply(&params, &table).unwrap();
        assert_eq!(read_value(&params, "out_gain"), Some(ParamValue::Float(0.0)));
        assert_eq!(read_value(&params, "eq1_on"), Some(ParamValue::Bool(true)));
    }

    #[test]
    fn malformed_presets_are_rejected_with_the_reason() {
        let table = ParamTable::new();
        let version = Preset::from_json_str(r#"{"keel_preset": 2, "params": {}}"#, &table).unwrap_err();
        assert!(version.to_string().contains("version 2"));
        let unknown = Preset::from_json_str(r#"{"keel_preset": 1, "params": {"zz": 1}}"#, &table).unwrap_err();
        assert_eq!(unknown, PresetError::UnknownParam("zz".into()));
        let wrong_type = Preset::from_json_str(r#"{"keel_preset": 1, "params": {"eq1_on": 1}}"#, &table).unwrap_err();
        assert!(matches!(wrong_type, PresetError::BadValue { .. }));
    }

    #[test]
    fn factory_presets_parse() {
        let table = ParamTable::new();
        for (stem, _, text) in FACTORY_PRESETS {
            Preset::from_json_str(text, &table).unwrap_or_else(|e| panic!("{stem}: {e}"));
        }
    }

    #[test]
    fn user_preset_dir_follows_override_then_platform_rules() {
        use std::ffi::OsString;
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| OsString::from(v))
        };
        let dir = user_preset_dir_from(env(&[("KEEL_PRESET_DIR", "/tmp/p"), ("HOME", "/home/u")]));
        assert_eq!(dir.unwrap(), std::path::PathBuf::from("/tmp/p"));
        assert_eq!(user_preset_dir_from(env(&[])), None);
        if cfg!(all(unix, not(target_os = "macos"))) {
            let xdg = user_preset_dir_from(env(&[("XDG_CONFIG_HOME", "/cfg"), ("HOME", "/home/u")]));
            assert_eq!(xdg.unwrap(), std::path::PathBuf::from("/cfg/keel/presets"));
            let relative = user_preset_dir_from(env(&[("XDG_CONFIG_HOME", "cfg"), ("HOME", "/home/u")]));
            assert_eq!(relative.unwrap(), std::path::PathBuf::from("/home/u/.config/keel/presets"));
        }
    }

    #[test]
    fn preset_names_that_could_escape_the_folder_are_refused() {
        assert_eq!(preset_file_name("  My Master ").unwrap(), "My Master.json");
        for bad in ["", "  ", "../x", "a/b", "a\\b", ".hidden", "a:b", "tab\there"] {
            assert!(preset_file_name(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
