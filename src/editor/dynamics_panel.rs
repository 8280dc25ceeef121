//! Compressor and limiter controls, each with its live gain reduction, and the output stage.

use super::EditorShared;
use super::widgets::ParamControl;
use nice_plug::prelude::*;

const SLIDER_WIDTH: f32 = 72.0;

/// GUI-side state of the dynamics panel.
#[derive(Default)]
pub struct DynamicsState {}

pub fn show(ui: &mut egui::Ui, shared: &EditorShared, setter: &ParamSetter, _state: &mut DynamicsState) {
    let params = &shared.params;
    let meters = &shared.meters;
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            let gr = meters.compressor_gr_db.load().max(0.0);
            ui.strong(format!("Compressor   GR {gr:.1} dB"));
            egui::Grid::new("compressor").spacing([4.0, 4.0]).show(ui, |ui| {
                let c = &params.comp;
                let cells: [(&str, &dyn Fn(&mut egui::Ui)); 13] = [
                    ("On", &|ui| add(ui, &c.on, setter)),
                    ("Threshold", &|ui| add(ui, &c.threshold, setter)),
                    ("Ratio", &|ui| add(ui, &c.ratio, setter)),
                    ("Knee", &|ui| add(ui, &c.knee, setter)),
                    ("Attack", &|ui| add(ui, &c.attack, setter)),
                    ("Release", &|ui| add(ui, &c.release, setter)),
                    ("Auto rel.", &|ui| add(ui, &c.auto_release, setter)),
                    ("Detector", &|ui| add(ui, &c.detector, setter)),
                    ("Makeup", &|ui| add(ui, &c.makeup, setter)),
                    ("Auto makeup", &|ui| add(ui, &c.auto_makeup, setter)),
                    ("SC HPF", &|ui| add(ui, &c.sc_hpf, setter)),
                    ("Link", &|ui| add(ui, &c.link, setter)),
                    ("Mix", &|ui| add(ui, &c.mix, setter)),
                ];
                grid(ui, &cells, 3);
            });
        });
        ui.separator();
        ui.vertical(|ui| {
            let gr = meters.limiter_gr_db.load().max(0.0);
            ui.strong(format!("Limiter   GR {gr:.1} dB"));
            egui::Grid::new("limiter").spacing([4.0, 4.0]).show(ui, |ui| {
                let l = &params.lim;
                let cells: [(&str, &dyn Fn(&mut egui::Ui)); 8] = [
                    ("On", &|ui| add(ui, &l.on, setter)),
                    ("Ceiling", &|ui| add(ui, &l.ceiling, setter)),
                    ("Drive", &|ui| add(ui, &l.drive, setter)),
                    ("Release", &|ui| add(ui, &l.release, setter)),
                    ("Auto rel.", &|ui| add(ui, &l.auto_release, setter)),
                    ("Link", &|ui| add(ui, &l.link, setter)),
                    ("Output", &|ui| add(ui, &params.out_gain, setter)),
                    ("Bypass", &|ui| add(ui, &params.bypass, setter)),
                ];
                grid(ui, &cells, 2);
            });
        });
    });
}

fn add<P: Param>(ui: &mut egui::Ui, param: &P, setter: &ParamSetter) {
    ui.add(ParamControl::new(param, setter).width(SLIDER_WIDTH));
}

/// Label/control pairs, `per_row` pairs per row.
fn grid(ui: &mut egui::Ui, cells: &[(&str, &dyn Fn(&mut egui::Ui))], per_row: usize) {
    for row in cells.chunks(per_row) {
        for (label, control) in row {
            ui.label(*label);
            control(ui);
        }
        ui.end_row();
    }
}
