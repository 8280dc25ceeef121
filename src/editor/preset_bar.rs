//! Preset save and load in the editor's top bar, with the same JSON files as `keel --preset`.

use super::EditorShared;
use nice_plug::prelude::ParamSetter;

/// GUI-side state of the preset bar.
#[derive(Default)]
pub struct PresetState {}

pub fn show(ui: &mut egui::Ui, shared: &EditorShared, setter: &ParamSetter, _state: &mut PresetState) {
    ui.add(super::widgets::ParamControl::new(&shared.params.bypass, setter).width(70.0));
}
