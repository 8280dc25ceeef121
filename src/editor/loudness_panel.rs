//! The loudness panel: momentary, short-term, integrated, loudness range and true peak of the
//! plugin's output with the maximum holds, pause and reset; a platform target with the distance
//! to it and what the platform will do; the short-term history; every platform's outcome.
//!
//! Colour zones, by how far the integrated loudness is outside the target's band (the accepted
//! range of a delivery specification, otherwise the target +-1 LU, R128's production tolerance):
//! green inside the band, amber up to 2 LU outside it (so +-3 LU from a single target), red
//! further. A true peak above the platform's ceiling after its gain is red regardless.

use super::EditorShared;
use super::history_graph::{self, Columns};
use super::meters::{OK, OVER, WARN};
use crate::meter_values::{LOUDNESS_HISTORY_INTERVAL, LOUDNESS_HISTORY_SECONDS};
use egui::{Color32, Pos2, Rect, RichText, Sense, Stroke, Vec2};
use keel_core::targets::{self, Normalization, PLATFORM_TARGETS, PlatformOutcome, PlatformTarget};
use std::sync::atomic::Ordering;

/// Half-width of the green band around a single target, LU.
pub const GREEN_TOLERANCE_LU: f64 = 1.0;
/// Width of the amber margin outside the green band, LU.
pub const AMBER_MARGIN_LU: f64 = 2.0;
/// Height the dynamics panel needs below this column; the panel keeps within the rest.
const DYNAMICS_RESERVE: f32 = 195.0;
const GRAPH_HEIGHT: f32 = 110.0;
/// The history graph's loudness axis, LUFS.
const GRAPH_LOW_LUFS: f64 = -44.0;
const GRAPH_HIGH_LUFS: f64 = -4.0;
const HISTORY_WINDOWS: [f64; 2] = [60.0, 300.0];

/// How close a measurement is to a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zone {
    Within,
    Near,
    Far,
    /// No measurement yet, or a platform without a level to aim at.
    Unknown,
}

impl Zone {
    pub fn colour(self) -> Color32 {
        match self {
            Zone::Within => OK,
            Zone::Near => WARN,
            Zone::Far => OVER,
            Zone::Unknown => Color32::from_gray(150),
        }
    }
}

/// GUI-side state of the loudness panel.
pub struct LoudnessState {
    /// Index into the platform table.
    target: usize,
    window_seconds: f64,
    history: Vec<f64>,
    columns: Columns,
}

impl Default for LoudnessState {
    fn default() -> Self {
        let len = (LOUDNESS_HISTORY_SECONDS / LOUDNESS_HISTORY_INTERVAL).round() as usize;
        Self {
            target: PLATFORM_TARGETS.iter().position(|t| t.id == keel_core::targets::DEFAULT_TARGET_ID).unwrap_or(0),
            window_seconds: HISTORY_WINDOWS[0],
            history: Vec::with_capacity(len),
            columns: Columns::with_capacity(512),
        }
    }
}

impl LoudnessState {
    pub fn selected_target(&self) -> &'static PlatformTarget {
        &PLATFORM_TARGETS[self.target.min(PLATFORM_TARGETS.len() - 1)]
    }

    /// Selects a platform by its id in the table; false if there is none.
    pub fn select_target(&mut self, id: &str) -> bool {
        match PLATFORM_TARGETS.iter().position(|t| t.id == id) {
            Some(index) => {
                self.target = index;
                true
            }
            None => false,
        }
    }

    /// The band a target counts as met: its accepted range, or the target +- the green tolerance.
    pub fn target_band(target: &PlatformTarget) -> Option<(f64, f64)> {
        target.accepted_lufs.or(target.target_lufs.map(|t| (t - GREEN_TOLERANCE_LU, t + GREEN_TOLERANCE_LU)))
    }

    /// The colour zone of a loudness against a target (see the module comment).
    pub fn zone(target: &PlatformTarget, lufs: f64) -> Zone {
        let Some((low, high)) = Self::target_band(target) else {
            return Zone::Unknown;
        };
        if !lufs.is_finite() {
            return Zone::Unknown;
        }
        let outside = (low - lufs).max(lufs - high).max(0.0);
        if outside == 0.0 {
            Zone::Within
        } else if outside <= AMBER_MARGIN_LU {
            Zone::Near
        } else {
            Zone::Far
        }
    }

    /// One sentence on what `target` does to a master at `integrated` LUFS and `true_peak` dBTP,
    /// from [`targets::evaluate`]: "Spotify: 2.3 LU over, turned down 2.3 dB".
    pub fn platform_sentence(target: &PlatformTarget, integrated: f64, true_peak: f64) -> String {
        let name = short_name(target);
        if !integrated.is_finite() {
            return format!("{name}: no integrated loudness yet");
        }
        let outcome = targets::evaluate(target, integrated, true_peak);
        let mut text = format!("{name}: ");
        match (target.normalization, target.target_lufs) {
            (Normalization::None, _) | (_, None) => delivery_clause(&mut text, target, integrated, &outcome),
            (normalization, Some(_)) => {
                let distance = outcome.distance_to_target_lu.unwrap_or(0.0);
                text.push_str(&distance_words(distance));
                text.push_str(", ");
                text.push_str(&gain_words(normalization, distance, outcome.gain_db));
            }
        }
        if true_peak.is_finite() && !outcome.ceiling_holds {
            text.push_str(&format!(
                "; true peak {:.1} dBTP over its {:.1} dBTP ceiling",
                outcome.resulting_true_peak_dbtp, target.true_peak_ceiling_dbtp
            ));
        }
        text
    }
}

/// "2.3 LU over", "1.0 LU under", "on target" (target minus measured, as `evaluate` gives it).
fn distance_words(distance: f64) -> String {
    if distance.abs() < 0.05 {
        "on target".into()
    } else if distance < 0.0 {
        format!("{:.1} LU over", -distance)
    } else {
        format!("{distance:.1} LU under")
    }
}

fn gain_words(normalization: Normalization, distance: f64, gain_db: f64) -> String {
    if gain_db <= -0.05 {
        format!("turned down {:.1} dB", -gain_db)
    } else if gain_db >= 0.05 {
        match normalization {
            Normalization::UpToPeakLimit { peak_limit_dbtp } if gain_db < distance - 0.05 => {
                format!("turned up only {gain_db:.1} dB (true peak limit {peak_limit_dbtp:.1} dBTP)")
            }
            _ => format!("turned up {gain_db:.1} dB"),
        }
    } else if distance >= 0.05 {
        match normalization {
            Normalization::DownOnly => "not turned up (this platform only turns down)".into(),
            Normalization::UpToPeakLimit { peak_limit_dbtp } => {
                format!("not turned up (true peak already at its {peak_limit_dbtp:.1} dBTP limit)")
            }
            _ => "left as is".into(),
        }
    } else {
        "left as is".into()
    }
}

/// Delivery specifications and platforms without normalization: where the master sits against
/// the target or accepted range; nothing changes its level.
fn delivery_clause(text: &mut String, target: &PlatformTarget, integrated: f64, outcome: &PlatformOutcome) {
    match (target.target_lufs, target.accepted_lufs) {
        (Some(_), range) => {
            text.push_str(&distance_words(outcome.distance_to_target_lu.unwrap_or(0.0)));
            if let Some((low, high)) = range {
                let inside = outcome.within_accepted == Some(true);
                text.push_str(&format!(", {} {low:.0} to {high:.0} LUFS", if inside { "within" } else { "outside" }));
            }
        }
        (None, Some((low, high))) => {
            let distance = outcome.distance_to_target_lu.unwrap_or(0.0);
            if distance.abs() < 0.05 {
                text.push_str(&format!("within {low:.0} to {high:.0} LUFS"));
            } else if distance > 0.0 {
                text.push_str(&format!("{distance:.1} LU under {low:.0} to {high:.0} LUFS"));
            } else {
                text.push_str(&format!("{:.1} LU over {low:.0} to {high:.0} LUFS", -distance));
            }
        }
        (None, None) => text.push_str(&format!("no normalization, plays at {integrated:.1} LUFS as mastered")),
    }
}

/// Compact names for the table and the sentence; the selector shows the table's full names.
fn short_name(target: &PlatformTarget) -> &'static str {
    match target.id {
        "spotify-normal" => "Spotify",
        "spotify-loud" => "Spotify Loud",
        "spotify-quiet" => "Spotify Quiet",
        "apple-music" => "Apple Music",
        "youtube" => "YouTube",
        "amazon-music" => "Amazon Music",
        "tidal" => "Tidal",
        "deezer" => "Deezer",
        "soundcloud" => "SoundCloud",
        "ebu-r128" => "EBU R128",
        "atsc-a85" => "ATSC A/85",
        "aes-td1004" => "AES TD1004",
        "podcast" => "Podcast",
        _ => target.name,
    }
}

fn lufs(value: f64) -> String {
    if value.is_finite() { format!("{value:.1}") } else { "--".into() }
}

pub fn show(ui: &mut egui::Ui, shared: &EditorShared, state: &mut LoudnessState) {
    // The target saved with the plugin's state wins (a session or preset load may change it).
    if let Ok(saved) = shared.params.loudness_target.read() {
        if saved.as_str() != state.selected_target().id {
            state.select_target(&saved);
        }
    }
    let chosen = state.target;
    let meters = &shared.meters;
    let r = meters.reading();
    let target = state.selected_target();
    // End above the dynamics panel: the window's bottom less its height. (This column's own
    // rect only grows with its content, so it cannot tell how much room there is.)
    let window_bottom = ui.ctx().content_rect().bottom();
    let budget_bottom = (window_bottom - DYNAMICS_RESERVE).max(ui.max_rect().top() + 360.0);

    ui.horizontal(|ui| {
        ui.strong("Loudness");
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button("Reset").on_hover_text("Restart integrated loudness, LRA, holds and history").clicked() {
                meters.reset_requested.store(true, Ordering::Relaxed);
            }
            let paused = meters.paused.load(Ordering::Relaxed);
            if ui.button(if paused { "Resume" } else { "Pause" }).clicked() {
                meters.paused.store(!paused, Ordering::Relaxed);
            }
            if paused {
                ui.label(RichText::new("paused").color(WARN));
            }
        });
    });

    // Readouts: current value and maximum hold.
    let tp_colour = if r.true_peak_dbtp > target.true_peak_ceiling_dbtp { OVER } else { Color32::from_gray(230) };
    egui::Grid::new("loudness_readouts").num_columns(4).spacing([10.0, 2.0]).show(ui, |ui| {
        let dim = Color32::from_gray(150);
        let row = |ui: &mut egui::Ui, label: &str, value: String, unit: &str, hold: Option<String>, colour: Color32| {
            ui.label(RichText::new(label).color(dim));
            ui.label(RichText::new(value).strong().monospace().size(15.0).color(colour));
            ui.label(RichText::new(unit).color(Color32::from_gray(120)));
            match hold {
                Some(hold) => ui.label(RichText::new(format!("max {hold}")).monospace().color(dim)),
                None => ui.label(""),
            };
            ui.end_row();
        };
        let white = Color32::from_gray(230);
        row(ui, "Momentary", lufs(r.momentary), "LUFS", Some(lufs(r.max_momentary)), white);
        row(ui, "Short-term", lufs(r.short_term), "LUFS", Some(lufs(r.max_short_term)), white);
        let zone = LoudnessState::zone(target, r.integrated);
        let integrated_colour = if zone == Zone::Unknown { white } else { zone.colour() };
        row(ui, "Integrated", lufs(r.integrated), "LUFS", None, integrated_colour);
        let lra = if r.lra_stable || !r.loudness_range.is_finite() {
            lufs(r.loudness_range)
        } else {
            format!("{}*", lufs(r.loudness_range))
        };
        row(ui, "Range", lra, "LU", None, white);
        row(ui, "True peak", lufs(r.true_peak_dbtp), "dBTP", None, tp_colour);
        // The full-band reading: what a DAC's reconstruction makes of the samples (to 0.46 fs).
        let dac_colour = if r.reconstructed_peak_dbtp > target.true_peak_ceiling_dbtp { OVER } else { white };
        row(ui, "Reconstructed", lufs(r.reconstructed_peak_dbtp), "dBTP", None, dac_colour);
    });
    if !r.lra_stable && r.loudness_range.is_finite() {
        ui.label(
            RichText::new("* range not stable before 60 s (EBU Tech 3342)").size(10.0).color(Color32::from_gray(130)),
        );
    }
    ui.add_space(4.0);

    // Target selector and what the platform does.
    ui.horizontal(|ui| {
        let label = ui.label("Target");
        egui::ComboBox::from_id_salt("loudness_target")
            .selected_text(target.name)
            .width(ui.available_width() - 8.0)
            .show_ui(ui, |ui| {
                for (index, platform) in PLATFORM_TARGETS.iter().enumerate() {
                    ui.selectable_value(&mut state.target, index, platform.name)
                        .on_hover_text(platform_details(platform));
                }
            })
            .response
            .labelled_by(label.id);
    });
    if state.target != chosen {
        if let Ok(mut saved) = shared.params.loudness_target.write() {
            *saved = state.selected_target().id.to_owned();
        }
    }
    let target = state.selected_target();
    let outcome = targets::evaluate(target, r.integrated, r.true_peak_dbtp);
    let zone = LoudnessState::zone(target, r.integrated);
    let headline = match outcome.distance_to_target_lu {
        Some(distance) => distance_words(distance),
        None if r.integrated.is_finite() => "no level target".into(),
        None => "waiting for audio".into(),
    };
    ui.label(RichText::new(headline).size(20.0).strong().color(zone.colour()));
    ui.label(LoudnessState::platform_sentence(target, r.integrated, r.true_peak_dbtp))
        .on_hover_text(platform_details(target));
    ui.add_space(4.0);

    history(ui, shared, state);
    ui.add_space(4.0);

    // Every platform at a glance.
    ui.label(
        RichText::new("All platforms: loudness vs target, gain applied, true peak after")
            .size(11.0)
            .color(Color32::from_gray(150)),
    );
    let table_height = (budget_bottom - ui.cursor().top()).max(60.0);
    egui::ScrollArea::vertical().max_height(table_height).auto_shrink([false, true]).show(ui, |ui| {
        egui::Grid::new("platform_table").num_columns(4).spacing([8.0, 1.0]).striped(true).show(ui, |ui| {
            for (platform, outcome) in targets::evaluate_all(r.integrated, r.true_peak_dbtp) {
                let zone = LoudnessState::zone(platform, r.integrated);
                let small = |text: String| RichText::new(text).size(11.0);
                ui.label(small(short_name(platform).into()).color(zone.colour()))
                    .on_hover_text(platform_details(platform));
                let distance = outcome.distance_to_target_lu.map_or("--".into(), |d| format!("{:+.1} LU", -d));
                ui.label(small(distance).monospace());
                let gain = match platform.normalization {
                    Normalization::None => match outcome.within_accepted {
                        Some(true) => "in spec".into(),
                        Some(false) => "out of spec".into(),
                        None => "as is".into(),
                    },
                    _ if r.integrated.is_finite() => format!("{:+.1} dB", outcome.gain_db),
                    _ => "--".into(),
                };
                ui.label(small(gain).monospace());
                let peak_colour = if outcome.ceiling_holds { Color32::from_gray(200) } else { OVER };
                ui.label(
                    small(format!("{} dBTP", lufs(outcome.resulting_true_peak_dbtp))).monospace().color(peak_colour),
                );
                ui.end_row();
            }
        });
    });
}

fn platform_details(target: &PlatformTarget) -> String {
    let level = match (target.target_lufs, target.accepted_lufs) {
        (Some(t), _) => format!("{t:.0} LUFS"),
        (None, Some((low, high))) => format!("{low:.0} to {high:.0} LUFS"),
        (None, None) => "no normalization".into(),
    };
    let rule = match target.normalization {
        Normalization::UpAndDown => "turns loud tracks down and quiet ones up".to_string(),
        Normalization::DownOnly => "turns loud tracks down only".to_string(),
        Normalization::UpToPeakLimit { peak_limit_dbtp } => {
            format!("turns loud tracks down; quiet ones up until the true peak reaches {peak_limit_dbtp:.0} dBTP")
        }
        Normalization::None => "a delivery specification: the master must meet it".to_string(),
    };
    format!(
        "{}: {level}, ceiling {:.0} dBTP; {rule}.\nSource: {} ({}, confidence {:?})",
        target.name, target.true_peak_ceiling_dbtp, target.source, target.as_of, target.confidence
    )
}

/// Short-term loudness over the last minute (or five), with the selected target's zones.
fn history(ui: &mut egui::Ui, shared: &EditorShared, state: &mut LoudnessState) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("Short-term history").size(11.0).color(Color32::from_gray(150)));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            for &window in HISTORY_WINDOWS.iter().rev() {
                let label = format!("{:.0} min", window / 60.0);
                if ui.selectable_label(state.window_seconds == window, label).clicked() {
                    state.window_seconds = window;
                }
            }
        });
    });
    let (response, painter) = ui.allocate_painter(Vec2::new(ui.available_width(), GRAPH_HEIGHT), Sense::hover());
    let rect = response.rect;
    let target = state.selected_target();
    painter.rect_filled(rect, 3.0, Color32::from_gray(22));
    let y_of =
        |lufs: f64| rect.bottom() - rect.height() * super::meters::fraction(lufs, GRAPH_LOW_LUFS, GRAPH_HIGH_LUFS);
    let band = |low: f64, high: f64, colour: Color32, strength: f32| {
        let (top, bottom) = (y_of(high), y_of(low));
        if bottom - top >= 0.5 {
            painter.rect_filled(
                Rect::from_x_y_ranges(rect.x_range(), top..=bottom),
                0.0,
                colour.gamma_multiply(strength),
            );
        }
    };
    if let Some((low, high)) = LoudnessState::target_band(target) {
        // Red faintest: it covers most of the graph and is only background.
        band(high + AMBER_MARGIN_LU, GRAPH_HIGH_LUFS, OVER, 0.07);
        band(high, high + AMBER_MARGIN_LU, WARN, 0.16);
        band(low, high, OK, 0.2);
        band(low - AMBER_MARGIN_LU, low, WARN, 0.16);
        band(GRAPH_LOW_LUFS, low - AMBER_MARGIN_LU, OVER, 0.07);
    }
    let grid = Stroke::new(1.0, Color32::from_gray(50));
    let font = egui::FontId::proportional(9.5);
    for lufs in [-40.0, -30.0, -20.0, -10.0] {
        let y = y_of(lufs);
        painter.line_segment([Pos2::new(rect.left(), y), Pos2::new(rect.right(), y)], grid);
        painter.text(
            Pos2::new(rect.left() + 2.0, y - 1.0),
            egui::Align2::LEFT_BOTTOM,
            format!("{lufs:.0}"),
            font.clone(),
            Color32::from_gray(120),
        );
    }
    for k in 1..4 {
        let x = rect.left() + rect.width() * k as f32 / 4.0;
        painter.line_segment([Pos2::new(x, rect.top()), Pos2::new(x, rect.bottom())], grid);
    }
    painter.text(
        rect.left_bottom() + Vec2::new(2.0, -2.0),
        egui::Align2::LEFT_BOTTOM,
        format!("-{:.0} s", state.window_seconds),
        font.clone(),
        Color32::from_gray(120),
    );
    painter.text(
        rect.right_bottom() + Vec2::new(-2.0, -2.0),
        egui::Align2::RIGHT_BOTTOM,
        "now",
        font.clone(),
        Color32::from_gray(120),
    );
    if let Some(level) = target.target_lufs {
        let y = y_of(level);
        painter.line_segment(
            [Pos2::new(rect.left(), y), Pos2::new(rect.right(), y)],
            Stroke::new(1.5, Color32::from_rgb(0x9A, 0xD0, 0xFF)),
        );
        painter.text(
            Pos2::new(rect.right() - 2.0, y - 1.0),
            egui::Align2::RIGHT_BOTTOM,
            format!("{level:.0} LUFS"),
            font,
            Color32::from_rgb(0x9A, 0xD0, 0xFF),
        );
    }

    let history = &shared.meters.short_term_history;
    history.copy_into(&mut state.history);
    state.columns.fill(
        &state.history,
        history.interval_seconds(),
        state.window_seconds,
        rect.width().max(1.0) as usize,
    );
    let clip = painter.with_clip_rect(rect);
    history_graph::draw_line(&clip, rect, &state.columns, y_of, 1.5, |v| match LoudnessState::zone(target, v) {
        Zone::Unknown => Color32::from_gray(220),
        zone => zone.colour(),
    });
    response
        .on_hover_text("Short-term loudness (LUFS), newest at the right; bands: the selected target's colour zones");
}
