//! Monitoring in the editor: listen as a platform's player will play the master, and a
//! level-matched compare with the unprocessed input. Both change only what is heard here: they
//! are not parameters, are never saved or rendered, start off whenever the plugin loads, and a
//! banner says so while either is on.

use super::EditorShared;
use crate::monitor::listening_platforms;
use egui::{Color32, RichText};
use std::sync::atomic::Ordering;

const BANNER: Color32 = Color32::from_rgb(0xE0, 0xA0, 0x40);

/// The controls, in a row.
pub fn controls(ui: &mut egui::Ui, shared: &EditorShared) {
    let monitor = &shared.monitor;
    {
        let label = ui.label("Listen as");
        let current = monitor.listen_as();
        let mut chosen = None;
        let combo = egui::ComboBox::from_id_salt("listen_as")
            .selected_text(current.map_or("Off (as rendered)", |t| t.name))
            .width(190.0)
            .show_ui(ui, |ui| {
                if ui.selectable_label(current.is_none(), "Off (as rendered)").clicked() {
                    chosen = Some(None);
                }
                for platform in listening_platforms() {
                    let selected = current.is_some_and(|c| c.id == platform.id);
                    if ui.selectable_label(selected, platform.name).clicked() {
                        chosen = Some(Some(platform.id));
                    }
                }
            });
        combo.response.labelled_by(label.id).on_hover_text(
            "Play the output as this platform's player will: its normalization gain from the loudness measured so far (and Spotify Loud's limiter). Monitoring only.",
        );
        if let Some(choice) = chosen {
            monitor.set_listen_as(choice);
        }
        if let Some(platform) = monitor.listen_as() {
            let gain = monitor.listen_gain_db.load(Ordering::Relaxed);
            let mut text = format!("player gain {gain:+.1} dB");
            if platform.playback_limiter.is_some() {
                text += &format!(", player limiter {:+.1} dB", monitor.listen_limiter_db.load(Ordering::Relaxed));
            }
            ui.label(text);
        }

        ui.add_space(16.0);
        let mut compare = monitor.compare();
        let toggle = ui
            .toggle_value(&mut compare, "Compare with input")
            .on_hover_text("Play the unprocessed input, latency-aligned, at the processed output's loudness (3 s window). Monitoring only.");
        if toggle.changed() {
            monitor.set_compare(compare);
        }
        if monitor.compare() {
            ui.label(format!("input matched by {:+.1} dB", monitor.compare_gain_db.load(Ordering::Relaxed)));
        }
    }
}

/// A line saying what is being monitored, while anything is.
pub fn banner(ui: &mut egui::Ui, shared: &EditorShared) {
    let monitor = &shared.monitor;
    if monitor.any_on() {
        let mut what = Vec::new();
        if let Some(platform) = monitor.listen_as() {
            what.push(format!("listening as {}", platform.name));
        }
        if monitor.compare() {
            what.push("playing the input, level-matched".to_string());
        }
        ui.label(
            RichText::new(format!(
                "MONITORING: {}. Only what you hear changes; renders, exports and the meters are unaffected.",
                what.join(" and ")
            ))
            .color(BANNER)
            .strong(),
        );
    }
}
