//! The egui editor. One file per panel; this one builds the window and lays the panels out.

mod dynamics_panel;
mod eq_curve;
mod eq_panel;
mod loudness_strip;

use crate::meter_values::MeterValues;

use crate::params::KeelParams;
use nice_plug::prelude::*;
use nice_plug_egui::{EguiEditor, EguiEditorState, EguiNiceSettings, NiceEguiApp, RepaintNotifier};
use std::sync::Arc;

pub const DEFAULT_WIDTH: u32 = 1040;
pub const DEFAULT_HEIGHT: u32 = 720;

pub struct KeelEditor {
    params: Arc<KeelParams>,
    sample_rate: Arc<AtomicF32>,
    meters: Arc<MeterValues>,
    gui_context: Option<nice_plug::context::gui::GuiContext>,
    selected_band: usize,
}

pub fn create(
    params: Arc<KeelParams>,
    sample_rate: Arc<AtomicF32>,
    meters: Arc<MeterValues>,
) -> Option<EguiEditor<KeelEditor>> {
    let state = EguiEditorState::from_size(
        nice_plug::editor::dpi::LogicalSize::new(DEFAULT_WIDTH, DEFAULT_HEIGHT),
        1.0,
    );
    let app = KeelEditor { params, sample_rate, meters, gui_context: None, selected_band: 0 };
    nice_plug_egui::create_egui_editor(state, RepaintNotifier::new(), EguiNiceSettings::new(), app)
}

impl NiceEguiApp for KeelEditor {
    fn build(
        &mut self,
        _egui_ctx: egui::Context,
        nice_gui_ctx: nice_plug::context::gui::GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        self.gui_context = Some(nice_gui_ctx);
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
        let Some(gui) = self.gui_context.clone() else { return };
        let setter = gui.param_setter();
        let sample_rate = f64::from(self.sample_rate.load(std::sync::atomic::Ordering::Relaxed));
        // Meters move without user input: repaint at a steady rate while open.
        ui.ctx().request_repaint_after(std::time::Duration::from_millis(50));
        egui::Frame::NONE.inner_margin(8.0).show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading("Keel");
                ui.add_space(24.0);
                loudness_strip::show(ui, &self.meters);
            });
            eq_curve::show(ui, &self.params, sample_rate, &mut self.selected_band);
            ui.add_space(6.0);
            eq_panel::show(ui, &self.params, &setter, &mut self.selected_band);
            ui.separator();
            dynamics_panel::show(ui, &self.params, &setter, &self.meters);
        });
    }

    fn editor_closed(&mut self) {
        self.gui_context = None;
    }
}
