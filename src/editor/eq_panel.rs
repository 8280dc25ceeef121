//! The band controls: one column per band, every parameter with its value shown, the selected
//! band's column highlighted. Controls a band's type does not use are dimmed and inactive.

use super::EditorShared;
use super::eq_curve::{BAND_COLOURS, CurveState};
use super::widgets::{CONTROL_HEIGHT, ParamControl};
use keel_core::dsp::eq::BANDS;
use keel_core::dsp::eq::design::FilterKind;
use crate::params::BandParams;
use egui::{self, Color32, RichText, Vec2};
use nice_plug::prelude::*;

const ROWS: [&str; 7] = ["On", "Type", "Freq", "Gain", "Q", "Slope", "Place"];
const LABEL_WIDTH: f32 = 36.0;
const COLUMN_GAP: f32 = 4.0;
const ROW_GAP: f32 = 3.0;
const HEADER_HEIGHT: f32 = 18.0;
/// Inside each band's column frame.
const MARGIN: f32 = 3.0;

pub fn show(ui: &mut egui::Ui, shared: &EditorShared, setter: &ParamSetter, state: &mut CurveState) {
    let bands = shared.params.bands();
    let spare = ui.available_width() - LABEL_WIDTH - COLUMN_GAP * BANDS as f32;
    let control_width = (spare / BANDS as f32 - 2.0 * (MARGIN + 1.0)).clamp(56.0, 110.0);
    ui.horizontal_top(|ui| {
        ui.spacing_mut().item_spacing = Vec2::new(COLUMN_GAP, ROW_GAP);
        ui.vertical(|ui| {
            ui.set_width(LABEL_WIDTH);
            // The frame's stroke adds a point to its margin.
            ui.add_space(MARGIN + 1.0 + HEADER_HEIGHT + ROW_GAP);
            for label in ROWS {
                ui.allocate_ui_with_layout(
                    Vec2::new(LABEL_WIDTH, CONTROL_HEIGHT),
                    egui::Layout::left_to_right(egui::Align::Center),
                    |ui| ui.label(RichText::new(label).size(11.0).color(Color32::from_gray(150))),
                );
            }
        });
        for (band, params) in bands.iter().enumerate() {
            if band_column(ui, band, params, setter, control_width, state.selected_band == band) {
                state.selected_band = band;
            }
        }
    });
}

/// One band's column; returns whether the user picked this band (its header or any control).
fn band_column(
    ui: &mut egui::Ui,
    band: usize,
    params: &BandParams,
    setter: &ParamSetter,
    control_width: f32,
    selected: bool,
) -> bool {
    let colour = BAND_COLOURS[band];
    let frame = egui::Frame::new()
        .inner_margin(MARGIN)
        .corner_radius(4.0)
        .fill(if selected { Color32::from_gray(38) } else { Color32::TRANSPARENT })
        .stroke(egui::Stroke::new(1.0, if selected { colour.gamma_multiply(0.8) } else { Color32::from_gray(44) }));
    frame
        .show(ui, |ui| {
            ui.vertical(|ui| {
                ui.spacing_mut().item_spacing.y = ROW_GAP;
                ui.set_width(control_width);
                let enabled = params.on.value();
                let name = RichText::new(format!("Band {}", band + 1))
                    .size(12.0)
                    .strong()
                    .color(if enabled { colour } else { colour.gamma_multiply(0.55) });
                let fill = if selected { colour.gamma_multiply(0.16) } else { Color32::TRANSPARENT };
                let header = ui.add_sized(Vec2::new(control_width, HEADER_HEIGHT), egui::Button::new(name).fill(fill));

                let kind: FilterKind = params.filter_kind();
                let controls = [
                    ui.add(ParamControl::new(&params.on, setter).width(control_width).accent(colour.gamma_multiply(0.8))),
                    ui.add(ParamControl::new(&params.kind, setter).width(control_width)),
                    ui.add(ParamControl::new(&params.freq, setter).width(control_width).accent(colour)),
                    ui.add_enabled(kind.uses_gain(), ParamControl::new(&params.gain, setter).width(control_width).accent(colour)),
                    ui.add_enabled(kind.uses_q(), ParamControl::new(&params.q, setter).width(control_width).accent(colour)),
                    ui.add_enabled(kind.uses_slope(), ParamControl::new(&params.slope, setter).width(control_width)),
                    ui.add(ParamControl::new(&params.place, setter).width(control_width)),
                ];
                header.clicked() || controls.iter().any(|r| r.clicked() || r.drag_started() || r.secondary_clicked())
            })
            .inner
        })
        .inner
}
