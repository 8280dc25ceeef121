//! The loudness panel: momentary, short-term, integrated, loudness
//! range and true peak of the plugin's output, with the maximum holds, pause and reset.

use super::EditorShared;
use egui::{Color32, RichText};
use std::sync::atomic::Ordering;

fn lufs(value: f64) -> String {
    if value.is_finite() { format!("{value:.1}") } else { "--".into() }
}

/// GUI-side state of the loudness panel.
#[derive(Default)]
pub struct LoudnessState {}

pub fn show(ui: &mut egui::Ui, shared: &EditorShared, _state: &mut LoudnessState) {
    let meters = &shared.meters;
    let r = meters.reading();
    let item = |ui: &mut egui::Ui, label: &str, value: String, unit: &str| {
        ui.label(RichText::new(label).color(Color32::from_gray(150)));
        ui.label(RichText::new(value).strong().monospace());
        ui.label(RichText::new(unit).color(Color32::from_gray(120)));
        ui.add_space(10.0);
    };
    item(ui, "M", lufs(r.momentary), "LUFS");
    item(ui, "S", lufs(r.short_term), "LUFS");
    item(ui, "I", lufs(r.integrated), "LUFS");
    let lra = if r.lra_stable { lufs(r.loudness_range) } else { format!("{}*", lufs(r.loudness_range)) };
    item(ui, "LRA", lra, "LU");
    if !r.lra_stable {
        ui.label("").on_hover_text("* loudness range is not stable before 60 s of audio (EBU Tech 3342)");
    }
    item(ui, "TP", lufs(r.true_peak_dbtp), "dBTP");
    item(ui, "max M", lufs(r.max_momentary), "");
    item(ui, "max S", lufs(r.max_short_term), "");
    let paused = meters.paused.load(Ordering::Relaxed);
    if ui.button(if paused { "Resume" } else { "Pause" }).clicked() {
        meters.paused.store(!paused, Ordering::Relaxed);
    }
    if ui.button("Reset").clicked() {
        meters.reset_requested.store(true, Ordering::Relaxed);
    }
}
