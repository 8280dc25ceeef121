//! The band controls: one column per band, every parameter with its slider and readout.

use super::EditorShared;
use super::eq_curve::{BAND_COLOURS, CurveState};
use super::widgets::ParamControl;
use crate::dsp::eq::BANDS;
use egui::{self, RichText};
use nice_plug::prelude::*;

const COLUMN_WIDTH: f32 = 76.0;

pub fn show(ui: &mut egui::Ui, shared: &EditorShared, setter: &ParamSetter, state: &mut CurveState) {
    let bands = shared.params.bands();
    let selected = &mut state.selected_band;
    egui::Grid::new("eq_bands").spacing([4.0, 4.0]).show(ui, |ui| {
        ui.label("");
        for band in 0..BANDS {
            let text = RichText::new(format!("Band {}", band + 1)).color(BAND_COLOURS[band]).strong();
            if ui.selectable_label(*selected == band, text).clicked() {
                *selected = band;
            }
        }
        ui.end_row();
        row(ui, "On", bands.map(|b| &b.on), setter);
        row(ui, "Type", bands.map(|b| &b.kind), setter);
        row(ui, "Freq", bands.map(|b| &b.freq), setter);
        row(ui, "Gain", bands.map(|b| &b.gain), setter);
        row(ui, "Q", bands.map(|b| &b.q), setter);
        row(ui, "Slope", bands.map(|b| &b.slope), setter);
        row(ui, "Place", bands.map(|b| &b.place), setter);
    });
}

fn row<P: Param>(ui: &mut egui::Ui, label: &str, params: [&P; BANDS], setter: &ParamSetter) {
    ui.label(label);
    for param in params {
        ui.add(ParamControl::new(param, setter).width(COLUMN_WIDTH));
    }
    ui.end_row();
}
