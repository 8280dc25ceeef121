//! The egui editor. One file per panel; this one builds the window, holds what the panels share
//! and lays them out. `KeelUi` draws everything from a `ParamSetter`, so tests can drive the same
//! UI headless with their own `GuiContext`.

mod dynamics_panel;
mod eq_curve;
mod eq_panel;
mod history_graph;
mod loudness_panel;
mod meters;
mod monitor_bar;
mod preset_bar;
pub mod settings_history;
mod spectrum_view;
pub mod widgets;

use crate::meter_values::MeterValues;
use crate::monitor::MonitorControls;
use crate::params::KeelParams;
use crate::spectrum_tap::SpectrumTap;
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::*;
use nice_plug_egui::resizable_window::ResizableWindow;
use nice_plug_egui::{EguiEditor, EguiEditorState, EguiNiceSettings, NiceEguiApp, RepaintNotifier};
use std::sync::Arc;
use std::sync::atomic::Ordering;

pub use dynamics_panel::DynamicsState;
pub use eq_curve::CurveState;
pub use loudness_panel::LoudnessState;
pub use preset_bar::PresetState;
pub use settings_history::SettingsHistory;

pub const DEFAULT_WIDTH: u32 = 1180;
pub const DEFAULT_HEIGHT: u32 = 800;
pub const MIN_WIDTH: u32 = 1040;
pub const MIN_HEIGHT: u32 = 740;
pub const MAX_WIDTH: u32 = 3840;
pub const MAX_HEIGHT: u32 = 2160;

/// What the audio side shares with the editor.
#[derive(Clone)]
pub struct EditorShared {
    pub params: Arc<KeelParams>,
    pub sample_rate: Arc<AtomicF32>,
    pub meters: Arc<MeterValues>,
    pub spectrum: Arc<SpectrumTap>,
    /// Listen-as and compare: editor-owned, never saved.
    pub monitor: Arc<MonitorControls>,
}

impl EditorShared {
    pub fn sample_rate(&self) -> f64 {
        f64::from(self.sample_rate.load(Ordering::Relaxed))
    }
}

/// The whole editor's contents and the GUI-side state of its panels.
#[derive(Default)]
pub struct KeelUi {
    pub curve: CurveState,
    pub dynamics: DynamicsState,
    pub loudness: LoudnessState,
    pub presets: PresetState,
    pub history: SettingsHistory,
}

impl KeelUi {
    pub fn show(&mut self, ui: &mut egui::Ui, shared: &EditorShared, setter: &ParamSetter) {
        // Meters move without user input: repaint at a steady rate while open.
        ui.ctx().request_repaint_after(std::time::Duration::from_millis(33));
        let before = self.history.begin_frame(&shared.params);
        egui::Frame::NONE.inner_margin(8.0).show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading(egui::RichText::new("Keel").strong());
                ui.add_space(16.0);
                preset_bar::show(ui, shared, setter, &mut self.presets);
            });
            ui.horizontal(|ui| {
                settings_history::show(ui, setter, &mut self.history);
                ui.add_space(16.0);
                ui.separator();
                monitor_bar::controls(ui, shared);
            });
            monitor_bar::banner(ui, shared);
            ui.add_space(4.0);
            // Top: the EQ, and beside it loudness and targets (scrolling if the window is
            // short). Below, across the whole width: the dynamics.
            let right_width = (ui.available_width() * 0.3).clamp(300.0, 420.0);
            ui.horizontal_top(|ui| {
                let left_width = ui.available_width() - right_width - 8.0;
                let eq_height = ui
                    .vertical(|ui| {
                        ui.set_width(left_width);
                        eq_curve::show(ui, shared, setter, &mut self.curve);
                        ui.add_space(6.0);
                        eq_panel::show(ui, shared, setter, &mut self.curve);
                    })
                    .response
                    .rect
                    .height();
                // A rule as tall as the EQ (a separator here would take the whole height).
                let x = ui.cursor().left() + 4.0;
                let top = ui.cursor().top();
                ui.painter().vline(x, top..=top + eq_height, ui.visuals().widgets.noninteractive.bg_stroke);
                ui.add_space(9.0);
                ui.vertical(|ui| {
                    ui.set_width(ui.available_width());
                    egui::ScrollArea::vertical().id_salt("loudness").max_height(eq_height).show(ui, |ui| {
                        loudness_panel::show(ui, shared, &mut self.loudness);
                    });
                });
            });
            ui.separator();
            dynamics_panel::show(ui, shared, setter, &mut self.dynamics);
        });
        self.history.end_frame(ui, &before);
    }
}

pub struct KeelEditor {
    shared: EditorShared,
    window: Arc<EguiEditorState>,
    gui_context: Option<GuiContext>,
    egui_context: Option<egui::Context>,
    ui: KeelUi,
}

/// The editor's window state: its size starts from the one saved with the plugin's state.
pub fn editor_state(params: &KeelParams) -> Arc<EguiEditorState> {
    let (width, height) = params.editor_size();
    EguiEditorState::from_size(nice_plug::editor::dpi::LogicalSize::new(width, height), 1.0)
}

pub fn create(shared: EditorShared, state: Arc<EguiEditorState>) -> Option<EguiEditor<KeelEditor>> {
    let app = KeelEditor { shared, window: state.clone(), gui_context: None, egui_context: None, ui: KeelUi::default() };
    let settings = EguiNiceSettings::new().with_resize_hint(nice_plug::editor::ResizeHint {
        can_resize: true,
        ..Default::default()
    });
    nice_plug_egui::create_egui_editor(state, RepaintNotifier::new(), settings, app)
}

impl NiceEguiApp for KeelEditor {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        self.gui_context = Some(nice_gui_ctx);
        self.egui_context = Some(egui_ctx.clone());
        // A state loaded after the window state was made may carry another size.
        let (width, height) = self.shared.params.editor_size();
        let opened = self.window.logical_size();
        if (opened.width.round() as u32, opened.height.round() as u32) != (width, height) {
            egui_ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(egui::vec2(width as f32, height as f32)));
        }
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
        let Some(gui) = self.gui_context.clone() else { return };
        let setter = gui.param_setter();
        let min = egui::vec2(MIN_WIDTH as f32, MIN_HEIGHT as f32);
        let max = egui::vec2(MAX_WIDTH as f32, MAX_HEIGHT as f32);
        ResizableWindow::new("keel-editor").min_size(min).max_size(max).show(ui, |ui| {
            self.ui.show(ui, &self.shared, &setter);
        });
    }

    fn resized(&mut self, new_size: nice_plug_egui::baseview::WindowSize) {
        let logical = new_size.logical;
        self.shared.params.set_editor_size(logical.width.round() as u32, logical.height.round() as u32);
    }

    fn editor_closed(&mut self) {
        // A drag cut short by the window closing still ends its host gestures.
        if let Some(gui) = self.gui_context.take() {
            if let Some(egui_ctx) = self.egui_context.take() {
                widgets::end_open_gestures(&egui_ctx, &gui);
            }
            self.ui.curve.end_drag(&self.shared.params, &gui.param_setter());
        }
    }
}
