//! Preset save and load in the editor's top bar, with the same JSON files as `keel --preset`:
//! the factory presets compiled into the plugin and the user's own folder (see
//! [`crate::preset::user_preset_dir`]; `KEEL_PRESET_DIR` overrides it). Loading sets every
//! parameter through the host as its own begin/set/end gesture, so automation and undo see it;
//! it never replaces the plugin's state wholesale. All file access happens here, on the GUI
//! thread, only in response to a click.

use super::EditorShared;
use super::widgets::ParamControl;
use crate::params::KeelParams;
use crate::params::param_table;
use crate::preset::{self, PresetError};
use keel_core::params::ParamTable;
use keel_core::preset::{FACTORY_PRESETS, Preset};
use egui::{Color32, RichText};
use nice_plug::prelude::ParamSetter;
use std::path::{Path, PathBuf};

const ERROR: Color32 = Color32::from_rgb(0xF0, 0x70, 0x70);
const FINE: Color32 = Color32::from_rgb(0x9A, 0xC8, 0x9A);

/// GUI-side state of the preset bar.
pub struct PresetState {
    user_dir: Option<PathBuf>,
    user_files: Vec<PathBuf>,
    /// The user folder was read since the list last opened.
    listed: bool,
    current: String,
    name: String,
    /// A save that would replace this file, waiting for confirmation.
    confirm_overwrite: Option<PathBuf>,
    status: Option<(String, bool)>,
}

impl Default for PresetState {
    fn default() -> Self {
        Self::with_user_dir(preset::user_preset_dir())
    }
}

enum Choice {
    Factory(usize),
    User(PathBuf),
}

impl PresetState {
    /// A preset bar reading and writing user presets in `dir` (`None`: factory presets only).
    pub fn with_user_dir(dir: Option<PathBuf>) -> Self {
        Self {
            user_dir: dir,
            user_files: Vec::new(),
            listed: false,
            current: String::new(),
            name: String::new(),
            confirm_overwrite: None,
            status: None,
        }
    }

    pub fn user_dir(&self) -> Option<&Path> {
        self.user_dir.as_deref()
    }

    /// The last message in the bar and whether it is an error.
    pub fn status(&self) -> Option<(&str, bool)> {
        self.status.as_ref().map(|(text, error)| (text.as_str(), *error))
    }

    fn rescan(&mut self) {
        self.listed = true;
        self.user_files.clear();
        if let Some(dir) = &self.user_dir {
            match preset::list_preset_files(dir) {
                Ok(files) => self.user_files = files,
                Err(e) => self.status = Some((e.to_string(), true)),
            }
        }
    }

    fn load(&mut self, choice: Choice, params: &KeelParams, setter: &ParamSetter) {
        let (name, text) = match &choice {
            Choice::Factory(index) => {
                let (_, name, text) = FACTORY_PRESETS[*index];
                (name.to_string(), Ok(text.to_string()))
            }
            Choice::User(path) => (
                display_name(path),
                std::fs::read_to_string(path)
                    .map_err(|e| PresetError::Io(format!("cannot read {}: {e}", path.display()))),
            ),
        };
        let parsed = text.and_then(|text| Ok(Preset::from_json_str(&text, param_table())?));
        match parsed {
            Ok(preset) => {
                apply_with_gestures(&preset, params, param_table(), setter);
                self.status = Some((format!("Loaded {name}"), false));
                self.name = if matches!(choice, Choice::User(_)) { name.clone() } else { String::new() };
                self.current = name;
            }
            Err(e) => self.status = Some((format!("{name}: {e}"), true)),
        }
    }

    fn save(&mut self, params: &KeelParams) {
        self.status = Some(match self.try_save(params) {
            Ok(Some(path)) => (format!("Saved {}", path.display()), false),
            Ok(None) => return,
            Err(e) => (e.to_string(), true),
        });
    }

    /// `Ok(None)`: waiting for the user to confirm replacing an existing file.
    fn try_save(&mut self, params: &KeelParams) -> Result<Option<PathBuf>, PresetError> {
        let dir = self.user_dir.clone().ok_or_else(|| {
            PresetError::Io("no user preset folder: set HOME (or APPDATA), or KEEL_PRESET_DIR".into())
        })?;
        if self.name.trim().is_empty() {
            // Some hosts keep keyboard input from plugin windows: saving must work untyped.
            self.name = (1..)
                .map(|n| format!("Preset {n}"))
                .find(|name| !dir.join(format!("{name}.json")).exists())
                .unwrap_or_default();
        }
        let path = dir.join(preset::preset_file_name(&self.name)?);
        if path.exists() && self.confirm_overwrite.as_ref() != Some(&path) {
            self.confirm_overwrite = Some(path);
            self.status = None;
            return Ok(None);
        }
        self.confirm_overwrite = None;
        std::fs::create_dir_all(&dir)
            .map_err(|e| PresetError::Io(format!("cannot create preset folder {}: {e}", dir.display())))?;
        preset::save(&preset::capture(params), &path, param_table())?;
        self.current = display_name(&path);
        self.listed = false;
        Ok(Some(path))
    }
}

fn display_name(path: &Path) -> String {
    path.file_stem().map_or_else(|| path.display().to_string(), |s| s.to_string_lossy().into_owned())
}

/// Every parameter, each as one complete gesture, through the host.
fn apply_with_gestures(preset: &Preset, params: &KeelParams, table: &ParamTable, setter: &ParamSetter) {
    for (ptr, normalized) in preset::normalized_values(preset, params, table) {
        // SAFETY: `ptr` comes from the plugin's own parameter list, which the host knows.
        unsafe {
            setter.raw_context.raw_begin_set_parameter(ptr);
            setter.raw_context.raw_set_parameter_normalized(ptr, normalized);
            setter.raw_context.raw_end_set_parameter(ptr);
        }
    }
}

pub fn show(ui: &mut egui::Ui, shared: &EditorShared, setter: &ParamSetter, state: &mut PresetState) {
    let params = &shared.params;
    let list_label = ui.label("Preset");
    let mut choice = None;
    let selected = if state.current.is_empty() { "choose..." } else { state.current.as_str() };
    let list = egui::ComboBox::from_id_salt("preset_list").selected_text(selected.to_string()).width(170.0).show_ui(
        ui,
        |ui| {
            if !state.listed {
                state.rescan();
            }
            ui.label(RichText::new("Factory").size(11.0).color(Color32::from_gray(140)));
            for (index, (_, name, _)) in FACTORY_PRESETS.iter().enumerate() {
                if ui.selectable_label(false, *name).clicked() {
                    choice = Some(Choice::Factory(index));
                }
            }
            ui.separator();
            ui.label(RichText::new("User").size(11.0).color(Color32::from_gray(140)));
            if state.user_files.is_empty() {
                let note = if state.user_dir.is_some() { "none saved yet" } else { "no user folder" };
                ui.label(RichText::new(note).italics().color(Color32::from_gray(120)));
            }
            for path in &state.user_files {
                if ui.selectable_label(false, display_name(path)).on_hover_text(path.display().to_string()).clicked() {
                    choice = Some(Choice::User(path.clone()));
                }
            }
        },
    );
    list.response.labelled_by(list_label.id);
    if list.inner.is_none() {
        // Closed: read the folder again next time it opens, to see files saved elsewhere.
        state.listed = false;
    }
    if let Some(choice) = choice {
        state.load(choice, params, setter);
    }

    ui.add_space(8.0);
    let label = ui.label("Save as");
    let field = ui.add(egui::TextEdit::singleline(&mut state.name).hint_text("preset name").desired_width(130.0));
    let field = field.labelled_by(label.id);
    if field.changed() {
        state.confirm_overwrite = None;
    }
    let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    if ui.button("Save").on_hover_text(save_hint(state)).clicked() || enter {
        state.save(params);
    }
    if let Some(path) = state.confirm_overwrite.clone() {
        ui.label(RichText::new(format!("{} exists:", display_name(&path))).color(ERROR));
        if ui.button("Overwrite").clicked() {
            state.save(params);
        }
        if ui.button("Cancel").clicked() {
            state.confirm_overwrite = None;
        }
    }

    // The whole plugin's bypass, named so it cannot read as part of the preset controls.
    ui.add_space(16.0);
    let bypass_label = ui.label("Bypass");
    ui.add(ParamControl::new(&params.bypass, setter).width(70.0)).labelled_by(bypass_label.id);

    if let Some((text, error)) = &state.status {
        let colour = if *error { ERROR } else { FINE };
        ui.add(egui::Label::new(RichText::new(text.as_str()).color(colour)).truncate()).on_hover_text(text.as_str());
    }
}

fn save_hint(state: &PresetState) -> String {
    match &state.user_dir {
        Some(dir) => format!("Save every parameter as a preset in {} (no name: \"Preset N\")", dir.display()),
        None => "No user preset folder (set HOME, APPDATA or KEEL_PRESET_DIR)".into(),
    }
}
