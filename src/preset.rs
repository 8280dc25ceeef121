//! Presets in the plugin: the host parameters read and written by the core's table, and the
//! user's preset folder (the same JSON files `keel --preset` reads; the format is
//! `keel_core::preset`). File access happens only on the GUI thread, on a click.

use crate::params::{KeelParams, param_table};
use keel_core::params::{ParamError, ParamTable, ParamValue};
use keel_core::preset::Preset;
use nice_plug::params::InternalParamMut;
use nice_plug::prelude::*;
use std::fmt;
use std::path::{Path, PathBuf};

/// A preset that could not be used: its content, or the file system.
#[derive(Debug, Clone, PartialEq)]
pub enum PresetError {
    Content(ParamError),
    Io(String),
}

impl fmt::Display for PresetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PresetError::Content(e) => e.fmt(f),
            PresetError::Io(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for PresetError {}

impl From<ParamError> for PresetError {
    fn from(e: ParamError) -> Self {
        PresetError::Content(e)
    }
}

/// The host parameters in the table's order. The ids match by construction (`crate::params`);
/// a mismatch is a programming error that the parameter tests catch.
fn pointers(params: &KeelParams) -> Vec<ParamPtr> {
    params.param_map().into_iter().map(|(_, ptr, _)| ptr).collect()
}

/// Every parameter's current value.
pub fn capture(params: &KeelParams) -> Preset {
    Preset::capture(&params.plain_values(), param_table())
}

/// A parameter's current plain value.
pub fn read_value(params: &KeelParams, id: &str) -> Option<ParamValue> {
    let table = param_table();
    table.position(id).map(|position| table.value_at(&params.plain_values(), position))
}

/// Sets plain values directly, as the plugin's state restore does: for headless use (tests).
/// The editor goes through [`normalized_values`] and its `ParamSetter` so the host hears about
/// the change.
pub fn set_values(params: &KeelParams, values: &[(String, ParamValue)]) -> Result<(), ParamError> {
    let table = param_table();
    let pointers = pointers(params);
    for (id, value) in values {
        let position = table.position(id).ok_or_else(|| ParamError::UnknownParam(id.clone()))?;
        let info = &table.entries()[position];
        if !info.accepts(*value) {
            return Err(ParamError::OutOfRange { id: id.clone(), given: info.format(*value), range: info.range_text() });
        }
        // SAFETY: the pointer points into `params`, borrowed for this call; `accepts` matched
        // the value's kind to the parameter's.
        unsafe {
            match (pointers[position], *value) {
                (ParamPtr::FloatParam(p), ParamValue::Float(v)) => (*p)._internal_set_plain_value(v),
                (ParamPtr::BoolParam(p), ParamValue::Bool(v)) => (*p)._internal_set_plain_value(v),
                (ParamPtr::EnumParam(p), ParamValue::Enum(index)) => (*p)._internal_set_plain_value(index as i32),
                _ => unreachable!("{id}: the host parameter's kind differs from the table's"),
            };
        }
    }
    Ok(())
}

/// Normalized values for a host-aware setter (the editor's `ParamSetter`), defaults included.
pub fn normalized_values(preset: &Preset, params: &KeelParams, table: &ParamTable) -> Vec<(ParamPtr, f32)> {
    let pointers = pointers(params);
    preset
        .with_defaults(table)
        .into_iter()
        .filter_map(|(id, value)| {
            let ptr = pointers[table.position(&id)?];
            // SAFETY: `ptr` points into `params`, borrowed for this call.
            Some((ptr, unsafe { ptr.preview_normalized(value.plain()) }))
        })
        .collect()
}

/// Writes to a temporary name beside `path` and renames it, so a crash never leaves half a
/// preset behind.
pub fn save(preset: &Preset, path: &Path, table: &ParamTable) -> Result<(), PresetError> {
    let temp = path.with_extension(format!("tmp{}", std::process::id()));
    let result = std::fs::write(&temp, preset.to_json_string(table)).and_then(|()| std::fs::rename(&temp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map_err(|e| PresetError::Io(format!("cannot write preset {}: {e}", path.display())))
}

/// Environment variable that overrides the user preset folder (tests, portable setups).
pub const PRESET_DIR_ENV: &str = "KEEL_PRESET_DIR";

/// The folder the editor saves user presets to and lists them from:
/// `$KEEL_PRESET_DIR` when set; otherwise on Windows `%APPDATA%\Keel\presets`, on macOS
/// `~/Library/Application Support/Keel/presets`, elsewhere `$XDG_CONFIG_HOME/keel/presets`
/// (when that is an absolute path) or `~/.config/keel/presets`. `None` when none of these
/// variables is set.
pub fn user_preset_dir() -> Option<PathBuf> {
    user_preset_dir_from(|name| std::env::var_os(name))
}

/// [`user_preset_dir`] with the environment passed in, so the rules can be tested.
pub fn user_preset_dir_from(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
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
pub fn list_preset_files(dir: &Path) -> Result<Vec<PathBuf>, PresetError> {
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
    let refuse = |why: &str| Err(PresetError::Io(format!("preset name {why}")));
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
    fn preset_round_trips_through_the_host_parameters() {
        let table = param_table();
        let params = KeelParams::default();
        let changes = vec![
            table.parse_assignment("eq3_freq=1234.5").unwrap(),
            table.parse_assignment("eq3_type=high_shelf").unwrap(),
            table.parse_assignment("out_gain=-1.25").unwrap(),
        ];
        set_values(&params, &changes).unwrap();
        let text = capture(&params).to_json_string(table);
        let loaded = Preset::from_json_str(&text, table).unwrap();
        let fresh = KeelParams::default();
        set_values(&fresh, &loaded.with_defaults(table)).unwrap();
        assert_eq!(fresh.chain_settings(), params.chain_settings());
        assert_eq!(read_value(&fresh, "eq3_freq"), Some(ParamValue::Float(1234.5)));
        assert!(set_values(&fresh, &[("out_gain".into(), ParamValue::Float(99.0))]).is_err());
        assert!(set_values(&fresh, &[("out_gain".into(), ParamValue::Bool(true))]).is_err());
    }

    #[test]
    fn user_preset_dir_follows_override_then_platform_rules() {
        use std::ffi::OsString;
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| OsString::from(v))
        };
        let dir = user_preset_dir_from(env(&[("KEEL_PRESET_DIR", "/tmp/p"), ("HOME", "/home/u")]));
        assert_eq!(dir.unwrap(), PathBuf::from("/tmp/p"));
        assert_eq!(user_preset_dir_from(env(&[])), None);
        if cfg!(all(unix, not(target_os = "macos"))) {
            let xdg = user_preset_dir_from(env(&[("XDG_CONFIG_HOME", "/cfg"), ("HOME", "/home/u")]));
            assert_eq!(xdg.unwrap(), PathBuf::from("/cfg/keel/presets"));
            let relative = user_preset_dir_from(env(&[("XDG_CONFIG_HOME", "cfg"), ("HOME", "/home/u")]));
            assert_eq!(relative.unwrap(), PathBuf::from("/home/u/.config/keel/presets"));
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
