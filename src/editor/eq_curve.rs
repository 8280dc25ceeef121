//! The EQ curve: a log-frequency axis from 10 Hz to the lower of 30 kHz and Nyquist, a dB grid,
//! the analyzer behind it, each band's curve in its colour and the combined curve (all from the
//! exact digital response), and a node per band.
//!
//! Nodes: drag to move frequency and gain (Shift: fine), wheel for Q, double-click to reset
//! frequency, gain and Q, right-click for type, slope, placement and on/off. Switched-off bands
//! are faint rings: dragging or double-clicking one switches it on, and double-clicking empty
//! space switches on the free band nearest in frequency, there. Every change is a host gesture:
//! a drag is one begin/end pair per parameter it moves; nothing begins on hover.

// Kept beside this file; declared here so the editor's module list stays as it is.

use super::EditorShared;
use super::widgets::{notches_of, set_as_gesture};
use keel_core::dsp::eq::design::{FilterKind, MAX_FREQ_HZ, MAX_FREQ_RATIO, MAX_GAIN_DB, MIN_FREQ_HZ, MIN_GAIN_DB};
use keel_core::dsp::eq::{self, BANDS};
use crate::params::BandParams;
use egui::{self, Color32, PointerButton, Pos2, Rect, Sense, Stroke, StrokeKind, Vec2};
use nice_plug::prelude::{Enum, EnumParam, Param, ParamSetter};
use super::spectrum_view::{AnalyzerSource, SpectrumView};

/// Height of the whole curve section: the header row and the plot.
pub const CURVE_HEIGHT: f32 = 300.0;
const HEADER_HEIGHT: f32 = 20.0;
const DB_RANGE: f32 = 24.0;
const POINTS: usize = 320;
const NODE_RADIUS: f32 = 6.5;
/// Side of the square around a node that grabs the pointer.
const NODE_HIT_SIZE: f32 = 22.0;
/// Shift divides drag and wheel movements by this.
const FINE: f32 = 10.0;
/// Q changes by this factor per wheel notch (a quarter octave of bandwidth, roughly).
const Q_FACTOR_PER_NOTCH: f64 = 1.189_207_115; // 2^(1/4)

pub const BAND_COLOURS: [Color32; BANDS] = [
    Color32::from_rgb(0xE5, 0x73, 0x73),
    Color32::from_rgb(0xFF, 0xB7, 0x4D),
    Color32::from_rgb(0xFF, 0xF1, 0x76),
    Color32::from_rgb(0xAE, 0xD5, 0x81),
    Color32::from_rgb(0x4D, 0xD0, 0xE1),
    Color32::from_rgb(0x64, 0xB5, 0xF6),
    Color32::from_rgb(0x95, 0x75, 0xCD),
    Color32::from_rgb(0xF0, 0x62, 0x92),
];

/// GUI-side state of the EQ curve and band controls.
#[derive(Default)]
pub struct CurveState {
    pub selected_band: usize,
    analyzer: SpectrumView,
    drag: Option<NodeDrag>,
    /// The plot and node centres as drawn in the last frame.
    plot: Option<Axes>,
    node_positions: [Pos2; BANDS],
    /// Frequencies of the curve's points and the combined response there, reused every frame.
    curve_freqs: Vec<f64>,
    total_db: Vec<f32>,
}

impl CurveState {
    /// Screen position (in points) of band `band`'s node (0-based) as drawn in the last frame,
    /// or None before the curve was first drawn. For tests and tooling that drive the nodes.
    pub fn node_position(&self, band: usize) -> Option<Pos2> {
        self.plot.as_ref().and_then(|_| self.node_positions.get(band).copied())
    }

    /// The plot's axes as drawn in the last frame: frequency/gain to screen and back.
    pub fn plot_axes(&self) -> Option<&Axes> {
        self.plot.as_ref()
    }

    /// Closes the gestures of a node drag still in progress (the editor is closing).
    pub fn end_drag(&mut self, params: &crate::params::KeelParams, setter: &ParamSetter) {
        if let Some(drag) = self.drag.take() {
            let band = params.bands()[drag.band];
            setter.end_set_parameter(&band.freq);
            if drag.moves_gain {
                setter.end_set_parameter(&band.gain);
            }
        }
    }
}

/// Maps frequency (log axis) and gain (linear, ±24 dB) to screen positions inside `rect`, which
/// sits a node's radius inside the plot.
#[derive(Clone, Copy, Debug)]
pub struct Axes {
    pub rect: Rect,
    /// Right edge of the axis: the lower of 30 kHz and Nyquist.
    pub max_freq: f64,
    /// Highest frequency a band can take (the DSP holds bands at or below 0.47 x the rate).
    pub max_band_freq: f64,
}

impl Axes {
    pub fn new(rect: Rect, sample_rate: f64) -> Self {
        Self {
            rect,
            max_freq: (0.5 * sample_rate).min(MAX_FREQ_HZ),
            max_band_freq: (MAX_FREQ_RATIO * sample_rate).min(MAX_FREQ_HZ),
        }
    }

    fn octaves(&self) -> f64 {
        (self.max_freq / MIN_FREQ_HZ).ln()
    }

    pub fn x_of(&self, freq: f64) -> f32 {
        let t = (freq / MIN_FREQ_HZ).ln() / self.octaves();
        self.rect.left() + self.rect.width() * t as f32
    }

    pub fn freq_of(&self, x: f32) -> f64 {
        let t = f64::from((x - self.rect.left()) / self.rect.width());
        MIN_FREQ_HZ * (t * self.octaves()).exp()
    }

    pub fn y_of(&self, db: f32) -> f32 {
        let t = (db.clamp(-DB_RANGE, DB_RANGE) + DB_RANGE) / (2.0 * DB_RANGE);
        self.rect.bottom() - self.rect.height() * t
    }

    pub fn db_of(&self, y: f32) -> f32 {
        (self.rect.bottom() - y) / self.rect.height() * (2.0 * DB_RANGE) - DB_RANGE
    }

    /// Where a band's node sits: at its frequency (as the DSP holds it) and its gain, or on the
    /// 0 dB line for kinds without gain.
    fn node_centre(&self, band: &eq::design::BandSettings) -> Pos2 {
        let freq = band.freq_hz.clamp(MIN_FREQ_HZ, self.max_band_freq.min(self.max_freq));
        let gain = if band.kind.uses_gain() { band.gain_db as f32 } else { 0.0 };
        Pos2::new(self.x_of(freq), self.y_of(gain))
    }
}

/// A node drag in progress: the node follows the pointer from where the drag was anchored,
/// at a tenth of the speed with Shift (re-anchored when Shift changes, so nothing jumps).
#[derive(Clone, Copy, Debug)]
struct NodeDrag {
    band: usize,
    /// Whether the drag opened a gain gesture (kinds with gain), so exactly that one is closed.
    moves_gain: bool,
    pointer_anchor: Pos2,
    node_anchor: Pos2,
    /// Where the node would be without clamping, so a re-anchor keeps the overshoot.
    target: Pos2,
    fine: bool,
}

pub fn show(ui: &mut egui::Ui, shared: &EditorShared, setter: &ParamSetter, state: &mut CurveState) {
    header(ui, shared, state);
    let params = &shared.params;
    let sample_rate = shared.sample_rate();
    let size = Vec2::new(ui.available_width(), (CURVE_HEIGHT - HEADER_HEIGHT - ui.spacing().item_spacing.y).max(120.0));
    // The plot senses clicks for double-click on empty space; the nodes on top take their own.
    let (rect, background) = ui.allocate_exact_size(size, Sense::click());
    // The axes stop a node's width inside the plot, so nodes at the ends stay whole.
    let axes = Axes::new(rect.shrink(NODE_RADIUS + 3.0), sample_rate);
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, Color32::from_gray(22));
    let spectrum_rect = Rect::from_x_y_ranges(axes.rect.x_range(), rect.y_range());
    state.analyzer.update_and_paint(&painter, spectrum_rect, &shared.spectrum, sample_rate, MIN_FREQ_HZ, axes.max_freq);
    paint_grid(&painter, &axes, rect);
    state.analyzer.paint_scale(&painter, rect);

    let settings = params.chain_settings().eq;
    paint_curves(&painter, &axes, &settings, sample_rate, state);

    let bands = params.bands();
    let fine = ui.input(|i| i.modifiers.shift);
    // Later nodes are on top: switched-off bands first, then enabled ones, the selected last.
    let mut order: [usize; BANDS] = std::array::from_fn(|i| i);
    order.sort_by_key(|&b| (settings[b].enabled, b == state.selected_band));
    let mut hovered_band = None;
    for &band in &order {
        let centre = axes.node_centre(&settings[band]);
        state.node_positions[band] = centre;
        let id = ui.scope_id().with(("eq_node", band));
        let hit = Rect::from_center_size(centre, Vec2::splat(NODE_HIT_SIZE));
        let response = ui.interact(hit, id, Sense::click_and_drag());
        node_interaction(ui, &response, band, bands[band], &axes, setter, state, fine);
        if state.drag.is_some_and(|d| d.band == band) {
            hovered_band = Some(band);
            ui.ctx().set_cursor_icon(egui::CursorIcon::Grabbing);
        } else if response.hovered() {
            hovered_band = Some(band);
            ui.ctx().set_cursor_icon(egui::CursorIcon::Grab);
        }
        response.context_menu(|ui| {
            state.selected_band = band;
            band_menu(ui, bands[band], setter);
        });
    }

    if let Some(pos) = background.interact_pointer_pos().filter(|_| background.double_clicked()) {
        add_band_at(pos, &axes, &bands, setter, state);
    }

    // Nodes are painted from the settings after this frame's changes, so a drag shows at once.
    let settings = params.chain_settings().eq;
    for &band in &order {
        let centre = axes.node_centre(&settings[band]);
        state.node_positions[band] = centre;
        paint_node(&painter, centre, band, settings[band].enabled, band == state.selected_band);
    }
    if let Some(band) = hovered_band {
        paint_node_readout(&painter, rect, state.node_positions[band], band, bands[band]);
    } else if background.hovered() {
        painter.text(
            rect.right_top() + Vec2::new(-6.0, 6.0),
            egui::Align2::RIGHT_TOP,
            "Drag a node (Shift: fine) · wheel: Q · double-click: reset · right-click: type\n\
             Double-click empty space to switch on a band there",
            egui::FontId::proportional(10.0),
            Color32::from_gray(120),
        );
    }
    painter.rect_stroke(rect, 4.0, Stroke::new(1.0, Color32::from_gray(60)), StrokeKind::Inside);
    state.plot = Some(axes);
}

/// The analyzer switch on the left, the selected band's values on the right.
fn header(ui: &mut egui::Ui, shared: &EditorShared, state: &mut CurveState) {
    let width = ui.available_width();
    ui.allocate_ui_with_layout(Vec2::new(width, HEADER_HEIGHT), egui::Layout::left_to_right(egui::Align::Center), |ui| {
        ui.spacing_mut().item_spacing.x = 2.0;
        ui.label(egui::RichText::new("Analyzer").size(11.0).color(Color32::from_gray(150)));
        ui.add_space(4.0);
        for source in AnalyzerSource::ALL {
            let text = egui::RichText::new(source.label()).size(11.0);
            let selected = state.analyzer.source == source;
            if ui.selectable_label(selected, text).on_hover_text(analyzer_hint(source)).clicked() {
                state.analyzer.source = source;
            }
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let band = state.selected_band.min(BANDS - 1);
            let params = shared.params.bands()[band];
            let colour = if params.on.value() { BAND_COLOURS[band] } else { BAND_COLOURS[band].gamma_multiply(0.5) };
            ui.label(egui::RichText::new(band_summary(band, params)).size(12.0).color(colour).monospace());
        });
    });
}

fn analyzer_hint(source: AnalyzerSource) -> &'static str {
    match source {
        AnalyzerSource::Off => "No analyzer",
        AnalyzerSource::Input => "Spectrum of the plugin's input",
        AnalyzerSource::Output => "Spectrum of the plugin's output (filled) with its peak",
        AnalyzerSource::Both => "Output filled, input as a line",
    }
}

fn paint_grid(painter: &egui::Painter, axes: &Axes, plot: Rect) {
    let grid = Stroke::new(1.0, Color32::from_gray(44));
    let text = Color32::from_gray(140);
    let font = egui::FontId::proportional(11.0);
    for decade in [10.0, 100.0, 1000.0, 10_000.0] {
        for k in 1..10 {
            let f = decade * f64::from(k);
            if f > axes.max_freq {
                break;
            }
            let x = axes.x_of(f);
            let stroke = if k == 1 { Stroke::new(1.0, Color32::from_gray(66)) } else { grid };
            painter.vline(x, plot.y_range(), stroke);
            if k == 1 || k == 2 || k == 5 {
                let label = if f >= 1000.0 { format!("{}k", f / 1000.0) } else { format!("{f}") };
                painter.text(Pos2::new(x + 2.0, plot.bottom() - 8.0), egui::Align2::LEFT_CENTER, label, font.clone(), text);
            }
        }
    }
    for db in [-24.0f32, -18.0, -12.0, -6.0, 0.0, 6.0, 12.0, 18.0, 24.0] {
        let y = axes.y_of(db);
        let stroke = if db == 0.0 { Stroke::new(1.0, Color32::from_gray(90)) } else { grid };
        painter.hline(plot.x_range(), y, stroke);
        if db.abs() < DB_RANGE {
            painter.text(Pos2::new(plot.left() + 3.0, y - 6.0), egui::Align2::LEFT_CENTER, format!("{db:+}"), font.clone(), text);
        }
    }
}

fn paint_curves(
    painter: &egui::Painter,
    axes: &Axes,
    settings: &[eq::design::BandSettings; BANDS],
    sample_rate: f64,
    state: &mut CurveState,
) {
    let designs = eq::designs(settings, sample_rate);
    if state.curve_freqs.len() != POINTS || state.curve_freqs.last() != Some(&axes.max_freq) {
        state.curve_freqs.clear();
        state
            .curve_freqs
            .extend((0..POINTS).map(|i| MIN_FREQ_HZ * (axes.max_freq / MIN_FREQ_HZ).powf(i as f64 / (POINTS - 1) as f64)));
    }
    state.total_db.clear();
    state.total_db.resize(POINTS, 0.0);
    for (band, design) in designs.iter().enumerate() {
        if !settings[band].enabled {
            continue;
        }
        let points: Vec<Pos2> = state
            .curve_freqs
            .iter()
            .zip(state.total_db.iter_mut())
            .map(|(&f, total)| {
                let db = 20.0 * design.response(f, sample_rate).norm().max(1e-9).log10() as f32;
                *total += db;
                Pos2::new(axes.x_of(f), axes.y_of(db))
            })
            .collect();
        let selected = band == state.selected_band;
        let stroke = Stroke::new(if selected { 2.0 } else { 1.0 }, BAND_COLOURS[band].gamma_multiply(if selected { 0.9 } else { 0.6 }));
        painter.add(egui::Shape::line(points, stroke));
    }
    let total: Vec<Pos2> =
        state.curve_freqs.iter().zip(&state.total_db).map(|(&f, &db)| Pos2::new(axes.x_of(f), axes.y_of(db))).collect();
    painter.add(egui::Shape::line(total, Stroke::new(2.5, Color32::WHITE)));
}

#[allow(clippy::too_many_arguments)]
fn node_interaction(
    ui: &egui::Ui,
    response: &egui::Response,
    band: usize,
    params: &BandParams,
    axes: &Axes,
    setter: &ParamSetter,
    state: &mut CurveState,
    fine: bool,
) {
    if response.clicked() || response.secondary_clicked() {
        state.selected_band = band;
    }
    if response.double_clicked() {
        reset_band(params, setter);
    }

    if response.drag_started_by(PointerButton::Primary) && state.drag.is_none() {
        state.selected_band = band;
        // Grabbing a switched-off band switches it on: that is what the user is reaching for.
        if !params.on.value() {
            set_as_gesture(setter, &params.on, 1.0);
        }
        let moves_gain = kind_of(params).uses_gain();
        setter.begin_set_parameter(&params.freq);
        if moves_gain {
            setter.begin_set_parameter(&params.gain);
        }
        let node = state.node_positions[band];
        let pointer = ui.input(|i| i.pointer.press_origin()).unwrap_or(node);
        state.drag = Some(NodeDrag { band, moves_gain, pointer_anchor: pointer, node_anchor: node, target: node, fine });
    }

    let Some(mut drag) = state.drag.filter(|d| d.band == band) else {
        if response.hovered() {
            wheel_changes_q(ui, params, setter, fine);
        }
        return;
    };
    if response.dragged_by(PointerButton::Primary) {
        if let Some(pointer) = response.interact_pointer_pos() {
            if fine != drag.fine {
                drag.pointer_anchor = pointer;
                drag.node_anchor = drag.target;
                drag.fine = fine;
            }
            let scale = if fine { 1.0 / FINE } else { 1.0 };
            drag.target = drag.node_anchor + (pointer - drag.pointer_anchor) * scale;
            let freq = axes.freq_of(drag.target.x).clamp(MIN_FREQ_HZ, axes.max_band_freq.min(axes.max_freq));
            set_if_changed(setter, &params.freq, freq as f32);
            if drag.moves_gain {
                let gain = axes.db_of(drag.target.y).clamp(MIN_GAIN_DB as f32, MAX_GAIN_DB as f32);
                set_if_changed(setter, &params.gain, gain);
            }
        }
        state.drag = Some(drag);
    }
    if response.drag_stopped() || !ui.input(|i| i.pointer.primary_down()) && !response.dragged() {
        setter.end_set_parameter(&params.freq);
        if drag.moves_gain {
            setter.end_set_parameter(&params.gain);
        }
        state.drag = None;
    }
}

/// Sets a parameter (inside an open gesture) when the value differs from the current one.
fn set_if_changed<P: Param>(setter: &ParamSetter, param: &P, plain: P::Plain) {
    let normalized = param.preview_normalized(plain);
    if normalized != param.unmodulated_normalized_value() {
        setter.set_parameter_normalized(param, normalized);
    }
}

/// Each wheel event over a node is one Q gesture: up narrows, down widens.
fn wheel_changes_q(ui: &egui::Ui, params: &BandParams, setter: &ParamSetter, fine: bool) {
    if !kind_of(params).uses_q() {
        return;
    }
    let notches: Vec<f32> =
        ui.input(|i| i.raw.events.iter().filter_map(notches_of).filter(|notches| *notches != 0.0).collect());
    for notch in notches {
        let scale = if fine { 1.0 / FINE } else { 1.0 };
        let q = f64::from(params.q.value()) * Q_FACTOR_PER_NOTCH.powf(f64::from(notch * scale));
        let normalized = params.q.preview_normalized(q as f32);
        if normalized != params.q.unmodulated_normalized_value() {
            set_as_gesture(setter, &params.q, normalized);
        }
    }
}

/// Double-click: an enabled band goes back to its default frequency, gain and Q; a switched-off
/// band is switched on.
fn reset_band(params: &BandParams, setter: &ParamSetter) {
    if !params.on.value() {
        set_as_gesture(setter, &params.on, 1.0);
        return;
    }
    for param in [&params.freq, &params.gain, &params.q] {
        let default = param.default_normalized_value();
        if param.unmodulated_normalized_value() != default {
            set_as_gesture(setter, param, default);
        }
    }
}

/// Double-click on empty space: the switched-off band nearest in frequency comes on, moved there.
fn add_band_at(pos: Pos2, axes: &Axes, bands: &[&BandParams; BANDS], setter: &ParamSetter, state: &mut CurveState) {
    let freq = axes.freq_of(pos.x).clamp(MIN_FREQ_HZ, axes.max_band_freq.min(axes.max_freq));
    let nearest = (0..BANDS)
        .filter(|&b| !bands[b].on.value())
        .min_by(|&a, &b| {
            let distance = |band: usize| (f64::from(bands[band].freq.value()) / freq).ln().abs();
            distance(a).total_cmp(&distance(b))
        });
    let Some(band) = nearest else { return };
    let params = bands[band];
    set_as_gesture(setter, &params.on, 1.0);
    set_as_gesture(setter, &params.freq, params.freq.preview_normalized(freq as f32));
    if kind_of(params).uses_gain() {
        let gain = axes.db_of(pos.y).clamp(MIN_GAIN_DB as f32, MAX_GAIN_DB as f32);
        set_as_gesture(setter, &params.gain, params.gain.preview_normalized(gain));
    }
    state.selected_band = band;
}

fn band_menu(ui: &mut egui::Ui, params: &BandParams, setter: &ParamSetter) {
    ui.horizontal_top(|ui| {
        choice_column(ui, "Type", &params.kind, setter);
        if kind_of(params).uses_slope() {
            ui.separator();
            choice_column(ui, "Slope", &params.slope, setter);
        }
        ui.separator();
        ui.vertical(|ui| {
            choice_column(ui, "Placement", &params.place, setter);
            ui.separator();
            let on = params.on.value();
            if ui.selectable_label(on, if on { "Band on" } else { "Band off" }).clicked() {
                set_as_gesture(setter, &params.on, if on { 0.0 } else { 1.0 });
                ui.close();
            }
            if ui.button("Reset band").clicked() {
                reset_band_fully(params, setter);
                ui.close();
            }
        });
    });
}

/// One column of a menu: every value of a choice parameter, the current one marked.
fn choice_column<T: Enum + PartialEq + Copy + 'static>(ui: &mut egui::Ui, title: &str, param: &EnumParam<T>, setter: &ParamSetter) {
    ui.vertical(|ui| {
        ui.label(egui::RichText::new(title).size(11.0).color(Color32::from_gray(150)));
        let current = param.value();
        for (index, name) in T::variants().iter().enumerate() {
            let value = T::from_index(index);
            if ui.selectable_label(value == current, *name).clicked() {
                if value != current {
                    set_as_gesture(setter, param, param.preview_normalized(value));
                }
                ui.close();
            }
        }
    });
}

/// "Reset band" in the menu: frequency, gain and Q back to their defaults even if it is off.
fn reset_band_fully(params: &BandParams, setter: &ParamSetter) {
    for param in [&params.freq, &params.gain, &params.q] {
        let default = param.default_normalized_value();
        if param.unmodulated_normalized_value() != default {
            set_as_gesture(setter, param, default);
        }
    }
}

fn paint_node(painter: &egui::Painter, centre: Pos2, band: usize, enabled: bool, selected: bool) {
    let colour = BAND_COLOURS[band];
    if enabled {
        painter.circle_filled(centre, NODE_RADIUS, colour);
        painter.text(centre, egui::Align2::CENTER_CENTER, format!("{}", band + 1), egui::FontId::proportional(9.0), Color32::BLACK);
    } else {
        // Off: a faint ring, still there to be grabbed.
        painter.circle_filled(centre, NODE_RADIUS, Color32::from_black_alpha(120));
        painter.circle_stroke(centre, NODE_RADIUS, Stroke::new(1.0, colour.gamma_multiply(0.45)));
        painter.text(centre, egui::Align2::CENTER_CENTER, format!("{}", band + 1), egui::FontId::proportional(9.0), colour.gamma_multiply(0.6));
    }
    if selected {
        painter.circle_stroke(centre, NODE_RADIUS + 3.0, Stroke::new(1.5, if enabled { Color32::WHITE } else { Color32::from_gray(140) }));
    }
}

/// The hovered (or dragged) node's values in a small box beside it, kept inside the plot.
fn paint_node_readout(painter: &egui::Painter, plot: Rect, centre: Pos2, band: usize, params: &BandParams) {
    let mut text = band_summary(band, params).replace(" · ", "\n");
    if !params.on.value() {
        text.push_str("\ndrag or double-click to switch on");
    }
    let galley = painter.layout_no_wrap(text, egui::FontId::monospace(11.0), Color32::from_gray(230));
    let size = galley.size() + Vec2::splat(8.0);
    let mut origin = centre + Vec2::new(14.0, -size.y - 10.0);
    if origin.x + size.x > plot.right() {
        origin.x = centre.x - 14.0 - size.x;
    }
    if origin.y < plot.top() {
        origin.y = centre.y + 14.0;
    }
    let frame = Rect::from_min_size(origin, size);
    painter.rect_filled(frame, 3.0, Color32::from_black_alpha(200));
    painter.rect_stroke(frame, 3.0, Stroke::new(1.0, BAND_COLOURS[band].gamma_multiply(0.8)), StrokeKind::Inside);
    painter.galley(origin + Vec2::splat(4.0), galley, Color32::from_gray(230));
}

/// "Band 3 · Bell · 1.20 kHz · +3.5 dB · Q 0.71 · Stereo", with only what the type uses.
fn band_summary(band: usize, params: &BandParams) -> String {
    let kind = kind_of(params);
    let mut parts = vec![format!("Band {}", band + 1), params.kind.to_string(), format_hz(f64::from(params.freq.value()))];
    if kind.uses_gain() {
        parts.push(format!("{:+.1} dB", params.gain.value()));
    }
    if kind.uses_slope() {
        parts.push(params.slope.to_string());
    }
    if kind.uses_q() {
        parts.push(format!("Q {:.2}", params.q.value()));
    }
    parts.push(params.place.to_string());
    if !params.on.value() {
        parts[0].push_str(" (off)");
    }
    parts.join(" · ")
}

fn format_hz(hz: f64) -> String {
    if hz >= 1000.0 {
        format!("{:.2} kHz", hz / 1000.0)
    } else if hz >= 100.0 {
        format!("{hz:.0} Hz")
    } else {
        format!("{hz:.1} Hz")
    }
}

fn kind_of(params: &BandParams) -> FilterKind {
    params.filter_kind()
}
