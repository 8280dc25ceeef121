//! One control for every parameter: drag to change (Shift for fine), wheel to step, double-click
//! for the default, right-click to type a value; a switch flips on click and a choice list
//! opens on click.
//! Each drag is one host gesture; a wheel notch, a reset, a typed value or a choice is a gesture
//! of its own. Nothing starts a gesture on hover.

use egui::{Color32, CornerRadius, Response, Sense, Stroke, StrokeKind, Ui, Vec2, Widget};
use nice_plug::context::gui::GuiContext;
use nice_plug::params::internals::ParamPtr;
use nice_plug::prelude::{Param, ParamSetter};

/// Where the controls list the parameters whose drag gesture is open.
fn open_gestures_id() -> egui::Id {
    egui::Id::unique("keel-open-drag-gestures")
}

fn note_gesture(ui: &Ui, param: ParamPtr, open: bool) {
    ui.data_mut(|d| {
        let list = d.get_temp_mut_or_default::<Vec<ParamPtr>>(open_gestures_id());
        list.retain(|p| *p != param);
        if open {
            list.push(param);
        }
    });
}

/// Ends the host gestures of drags the window closed on.
pub fn end_open_gestures(ctx: &egui::Context, gui: &GuiContext) {
    let open = ctx.data_mut(|d| d.remove_temp::<Vec<ParamPtr>>(open_gestures_id())).unwrap_or_default();
    for param in open {
        // SAFETY: the pointer came from a parameter of this plugin, which outlives its editor.
        unsafe { gui.raw_end_set_parameter(param) };
    }
}

/// Normalized change per point of drag; Shift divides it by `FINE`.
const DRAG_PER_POINT: f32 = 0.004;
/// Normalized change per wheel notch.
const WHEEL_PER_NOTCH: f32 = 0.02;
/// Points per notch when the platform reports wheel movement in points (egui's line height).
const POINTS_PER_NOTCH: f32 = 40.0;
const FINE: f32 = 10.0;
pub const CONTROL_HEIGHT: f32 = 20.0;

pub const TRACK: Color32 = Color32::from_gray(34);
pub const FILL: Color32 = Color32::from_rgb(0x3A, 0x5F, 0x86);
pub const FILL_ON: Color32 = Color32::from_rgb(0x4F, 0x9A, 0x6A);

pub struct ParamControl<'a, P: Param> {
    param: &'a P,
    setter: &'a ParamSetter<'a>,
    width: f32,
    accent: Option<Color32>,
}

impl<'a, P: Param> ParamControl<'a, P> {
    pub fn new(param: &'a P, setter: &'a ParamSetter<'a>) -> Self {
        Self { param, setter, width: 72.0, accent: None }
    }

    pub fn width(mut self, width: f32) -> Self {
        self.width = width;
        self
    }

    /// Fill colour of the value bar (a band's colour, for example).
    pub fn accent(mut self, colour: Color32) -> Self {
        self.accent = Some(colour);
        self
    }
}

/// Sets one parameter to a normalized value as a complete gesture.
pub fn set_as_gesture<P: Param>(setter: &ParamSetter, param: &P, normalized: f32) {
    setter.begin_set_parameter(param);
    setter.set_parameter_normalized(param, normalized);
    setter.end_set_parameter(param);
}

/// A normalized value moved by `delta`, snapped to the parameter's steps and kept in 0..=1.
fn nudged<P: Param>(param: &P, from: f32, delta: f32) -> f32 {
    param.preview_normalized(param.preview_plain((from + delta).clamp(0.0, 1.0)))
}

/// Wheel movement this frame in notches, from the raw events (egui's smoothed scrolling would
/// spread one notch over several frames, and so over several host gestures).
fn wheel_notches(ui: &Ui) -> f32 {
    ui.input(|i| i.raw.events.iter().filter_map(notches_of).sum())
}

/// The notches one raw event turns the wheel by, if it is a wheel event.
pub(super) fn notches_of(event: &egui::Event) -> Option<f32> {
    match event {
        egui::Event::MouseWheel { unit, delta, .. } => {
            let amount = delta.y + delta.x;
            Some(match unit {
                egui::MouseWheelUnit::Line => amount,
                egui::MouseWheelUnit::Point => amount / POINTS_PER_NOTCH,
                egui::MouseWheelUnit::Page => amount * 4.0,
            })
        }
        _ => None,
    }
}

fn is_toggle<P: Param>(param: &P) -> bool {
    param.step_count() == Some(1)
}

#[derive(Clone, Copy, Default)]
struct DragState {
    /// Normalized value the drag is at, unsnapped, so slow drags over steps still move.
    raw: f32,
}

impl<P: Param> Widget for ParamControl<'_, P> {
    fn ui(self, ui: &mut Ui) -> Response {
        let Self { param, setter, width, accent } = self;
        let size = Vec2::new(width, CONTROL_HEIGHT);
        let (rect, mut response) = ui.allocate_exact_size(size, Sense::click_and_drag());
        // Screen readers (and UI tests) find the control by its parameter's name.
        response.widget_info(|| {
            egui::WidgetInfo::labeled(egui::Role::Slider, ui.is_enabled(), param.name())
        });
        let id = response.id;
        let edit_id = id.with("typing");
        let normalized = param.unmodulated_normalized_value();
        let fine = ui.input(|i| i.modifiers.shift);

        // Typing a value replaces the control until Enter, Escape or focus loss.
        if let Some(mut text) = ui.data(|d| d.get_temp::<String>(edit_id)) {
            let edit = ui.put(rect, egui::TextEdit::singleline(&mut text).desired_width(width));
            if !edit.has_focus() && !edit.lost_focus() {
                edit.request_focus();
            }
            let finished = edit.lost_focus();
            if finished {
                ui.data_mut(|d| d.remove::<String>(edit_id));
                if !ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                    if let Some(value) = param.string_to_normalized_value(text.trim()) {
                        set_as_gesture(setter, param, value);
                        response.mark_changed();
                    }
                }
            } else {
                ui.data_mut(|d| d.insert_temp(edit_id, text));
            }
            return response;
        }

        if response.drag_started() {
            setter.begin_set_parameter(param);
            note_gesture(ui, param.as_ptr(), true);
            ui.data_mut(|d| d.insert_temp(id, DragState { raw: normalized }));
        }
        if response.dragged() {
            let delta = response.drag_delta();
            let mut state = ui.data(|d| d.get_temp::<DragState>(id)).unwrap_or(DragState { raw: normalized });
            let scale = if fine { DRAG_PER_POINT / FINE } else { DRAG_PER_POINT };
            state.raw = (state.raw + (delta.x - delta.y) * scale).clamp(0.0, 1.0);
            let target = param.preview_normalized(param.preview_plain(state.raw));
            if target != param.unmodulated_normalized_value() {
                setter.set_parameter_normalized(param, target);
                response.mark_changed();
            }
            ui.data_mut(|d| d.insert_temp(id, state));
        }
        if response.drag_stopped() {
            setter.end_set_parameter(param);
            note_gesture(ui, param.as_ptr(), false);
            ui.data_mut(|d| d.remove::<DragState>(id));
        }

        if response.hovered() && !response.dragged() {
            let notches = wheel_notches(ui);
            if notches != 0.0 {
                let target = if let Some(steps) = param.step_count() {
                    let step = 1.0 / steps as f32;
                    nudged(param, normalized, step * notches.signum())
                } else {
                    let scale = if fine { WHEEL_PER_NOTCH / FINE } else { WHEEL_PER_NOTCH };
                    nudged(param, normalized, notches * scale)
                };
                if target != normalized {
                    set_as_gesture(setter, param, target);
                    response.mark_changed();
                }
            }
        }

        // A switch flips on every click (so a double-click is two flips). Other controls reset
        // on double-click, and typing opens on right-click so it cannot swallow a double-click.
        let toggle = is_toggle(param);
        if toggle && response.clicked() {
            set_as_gesture(setter, param, if normalized > 0.5 { 0.0 } else { 1.0 });
            response.mark_changed();
        } else if !toggle && response.double_clicked() {
            set_as_gesture(setter, param, param.default_normalized_value());
            response.mark_changed();
        } else if param.step_count().is_none() && response.secondary_clicked() {
            let text = param.normalized_value_to_string(normalized, false);
            ui.data_mut(|d| d.insert_temp(edit_id, text));
        }
        // Choice lists: a menu of every value, on click or right-click.
        if let Some(steps) = param.step_count().filter(|&s| s > 1) {
            let popup_id = id.with("choices");
            if response.clicked() {
                egui::Popup::toggle_id(ui.ctx(), popup_id);
            }
            egui::Popup::menu(&response).id(popup_id).show(|ui| {
                for k in 0..=steps {
                    let value = k as f32 / steps as f32;
                    let label = param.normalized_value_to_string(value, true);
                    if ui.selectable_label((value - normalized).abs() < 1e-6, label).clicked() {
                        set_as_gesture(setter, param, value);
                    }
                }
            });
        }

        if ui.is_rect_visible(rect) {
            paint(ui, rect, &response, param, normalized, accent);
        }
        response.on_hover_text(format!(
            "{}: {}\nDrag or scroll to change (Shift: fine), double-click for the default{}",
            param.name(),
            param.normalized_value_to_string(normalized, true),
            match param.step_count() {
                None => ", right-click to type",
                Some(1) => "",
                Some(_) => ", click for the list",
            }
        ))
    }
}

fn paint<P: Param>(ui: &Ui, rect: egui::Rect, response: &Response, param: &P, normalized: f32, accent: Option<Color32>) {
    let painter = ui.painter_at(rect);
    let radius = CornerRadius::same(3);
    painter.rect_filled(rect, radius, TRACK);
    if is_toggle(param) {
        if normalized > 0.5 {
            painter.rect_filled(rect.shrink(1.0), radius, accent.unwrap_or(FILL_ON));
        }
    } else if param.step_count().is_none() {
        let mut bar = rect.shrink(1.0);
        bar.set_width(bar.width() * normalized.clamp(0.0, 1.0));
        painter.rect_filled(bar, radius, accent.map_or(FILL, |c| c.gamma_multiply(0.55)));
    }
    let outline = if response.hovered() || response.dragged() { Color32::from_gray(150) } else { Color32::from_gray(70) };
    painter.rect_stroke(rect, radius, Stroke::new(1.0, outline), StrokeKind::Inside);
    let text = param.normalized_value_to_string(normalized, true);
    painter.text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        text,
        egui::FontId::proportional(12.0),
        Color32::from_gray(230),
    );
}

/// A label above a control, for compact grids.
pub fn labelled<R>(ui: &mut Ui, label: &str, add: impl FnOnce(&mut Ui) -> R) -> R {
    ui.vertical(|ui| {
        ui.spacing_mut().item_spacing.y = 1.0;
        ui.label(egui::RichText::new(label).size(11.0).color(Color32::from_gray(150)));
        add(ui)
    })
    .inner
}
