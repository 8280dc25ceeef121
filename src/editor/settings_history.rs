//! Settings A/B and undo/redo in the top bar. Both work on snapshots of every parameter but the
//! bypass, and apply a snapshot through the host as one begin/set/end gesture per parameter that
//! changes, so host automation and the host's own undo see every step.
//!
//! What counts as an edit: the parameters changed while the editor drew a frame (its controls,
//! a preset load), gathered until the mouse button is released, so a drag is one step. Changes
//! that arrive between frames (host automation, a project load) are taken over silently.

use crate::params::KeelParams;
use egui::RichText;
use nice_plug::params::internals::ParamPtr;
use nice_plug::prelude::{ParamSetter, Params};

/// How many steps undo keeps.
const UNDO_DEPTH: usize = 100;
const EXCLUDED: &[&str] = &["bypass"];

/// Normalized values, in the order of the plugin's parameter list (bypass left out).
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot(Vec<f32>);

/// One undoable change: the settings before and after it. Undo and redo set only the
/// parameters it changed, so changes the host made meanwhile to others stay.
#[derive(Clone, Debug)]
struct Step {
    before: Snapshot,
    after: Snapshot,
}

#[derive(Default)]
pub struct SettingsHistory {
    params: Vec<(String, ParamPtr)>,
    /// The settings after the last recorded step.
    baseline: Option<Snapshot>,
    /// An edit is under way (changes seen, the mouse still down).
    editing: bool,
    undo: Vec<Step>,
    redo: Vec<Step>,
    /// The A and B slots: the other slot's settings (the active one is the live settings).
    other_slot: Option<Snapshot>,
    active_b: bool,
}

impl SettingsHistory {
    fn ensure_params(&mut self, params: &KeelParams) {
        if self.params.is_empty() {
            self.params = params
                .param_map()
                .into_iter()
                .filter(|(id, _, _)| !EXCLUDED.contains(&id.as_str()))
                .map(|(id, ptr, _)| (id, ptr))
                .collect();
        }
    }

    fn snapshot(&self) -> Snapshot {
        // SAFETY: the pointers come from the plugin's own parameters, alive as long as the editor.
        Snapshot(self.params.iter().map(|(_, ptr)| unsafe { ptr.unmodulated_normalized_value() }).collect())
    }

    /// Sets the parameters `from` and `to` differ in to their values in `to`, each as one host
    /// gesture.
    fn apply(&self, from: &Snapshot, to: &Snapshot, setter: &ParamSetter) {
        for ((_, ptr), (&old, &new)) in self.params.iter().zip(from.0.iter().zip(&to.0)) {
            if old != new {
                // SAFETY: as in `snapshot`.
                unsafe {
                    setter.raw_context.raw_begin_set_parameter(*ptr);
                    setter.raw_context.raw_set_parameter_normalized(*ptr, new);
                    setter.raw_context.raw_end_set_parameter(*ptr);
                }
            }
        }
    }

    /// Call before the rest of the editor draws.
    pub fn begin_frame(&mut self, params: &KeelParams) -> Snapshot {
        self.ensure_params(params);
        let now = self.snapshot();
        if self.baseline.is_none() || (!self.editing && self.baseline.as_ref() != Some(&now)) {
            self.baseline = Some(now.clone());
        }
        now
    }

    /// Call after the rest of the editor drew, with what `begin_frame` returned.
    pub fn end_frame(&mut self, ui: &egui::Ui, before: &Snapshot) {
        let now = self.snapshot();
        if &now != before {
            self.editing = true;
        }
        let released = !ui.input(|i| i.pointer.any_down());
        if self.editing && released {
            self.editing = false;
            if let Some(baseline) = self.baseline.replace(now.clone())
                && baseline != now
            {
                self.record(Step { before: baseline, after: now });
            }
        }
    }

    fn record(&mut self, step: Step) {
        self.undo.push(step);
        if self.undo.len() > UNDO_DEPTH {
            self.undo.remove(0);
        }
        self.redo.clear();
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    pub fn undo(&mut self, setter: &ParamSetter) {
        if let Some(step) = self.undo.pop() {
            self.apply(&step.after, &step.before, setter);
            self.redo.push(step);
            self.baseline = Some(self.snapshot());
        }
    }

    pub fn redo(&mut self, setter: &ParamSetter) {
        if let Some(step) = self.redo.pop() {
            self.apply(&step.before, &step.after, setter);
            self.undo.push(step);
            self.baseline = Some(self.snapshot());
        }
    }

    /// Whether slot B is the one being edited.
    pub fn active_is_b(&self) -> bool {
        self.active_b
    }

    /// Switches to slot A (`b` false) or B: the live settings go into the slot being left and
    /// the other slot's come back (a slot never used starts as a copy). Undoable.
    pub fn select_slot(&mut self, b: bool, setter: &ParamSetter) {
        if b == self.active_b {
            return;
        }
        let current = self.snapshot();
        let other = self.other_slot.replace(current.clone()).unwrap_or_else(|| current.clone());
        self.active_b = b;
        if other != current {
            self.apply(&current, &other, setter);
            self.record(Step { before: current, after: other });
        }
        self.baseline = Some(self.snapshot());
    }

    /// Copies the live settings into the other slot.
    pub fn copy_to_other(&mut self) {
        self.other_slot = Some(self.snapshot());
    }
}

pub fn show(ui: &mut egui::Ui, setter: &ParamSetter, history: &mut SettingsHistory) {
    let slot = |b: bool| if b { "B" } else { "A" };
    ui.label("Settings");
    for b in [false, true] {
        let selected = history.active_is_b() == b;
        let button = ui.selectable_label(selected, RichText::new(slot(b)).strong()).on_hover_text(format!(
            "Settings slot {}: switch to it (the current settings stay in {})",
            slot(b),
            slot(!b)
        ));
        if button.clicked() {
            history.select_slot(b, setter);
        }
    }
    let copy = format!("Copy {} to {}", slot(history.active_is_b()), slot(!history.active_is_b()));
    if ui.button(&copy).on_hover_text("Put the current settings into the other slot").clicked() {
        history.copy_to_other();
    }
    ui.add_space(6.0);
    if ui
        .add_enabled(history.can_undo(), egui::Button::new("Undo"))
        .on_hover_text("Undo the last change made here")
        .clicked()
    {
        history.undo(setter);
    }
    if ui.add_enabled(history.can_redo(), egui::Button::new("Redo")).on_hover_text("Redo the change undone").clicked() {
        history.redo(setter);
    }
}
