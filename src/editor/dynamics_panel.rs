//! Compressor (controls, gain-reduction meter, transfer curve with the live detector level),
//! limiter (controls, gain-reduction meter and its scrolling history), input and output peak
//! meters with holds, and the output stage.

use super::EditorShared;
use super::{history_graph, meters};
use super::widgets::{ParamControl, labelled};
use keel_core::dsp::compressor::CompressorSettings;
use keel_core::dsp::compressor::gain_computer::{Curve, slope_from_ratio};
use keel_core::dsp::level::db_to_gain;
use crate::meter_values::{GAIN_HISTORY_INTERVAL, GAIN_HISTORY_SECONDS, MeterValues};
use egui::{Color32, Pos2, Rect, Sense, Stroke, Vec2};
use super::history_graph::Columns;
use super::meters::{Ballistics, GR_COLOUR, OK, OVER, WARN, db_text, fraction, vertical_bar};
use keel_core::dsp::level::gain_to_db;
use nice_plug::prelude::*;

const CONTROL_WIDTH: f32 = 68.0;
/// Height of the compressor's control grid; the curve and the meters match it.
const SECTION_HEIGHT: f32 = 156.0;
const BAR_WIDTH: f32 = 12.0;

/// Both axes of the transfer curve, dB.
pub const TRANSFER_MIN_DB: f64 = -60.0;
pub const TRANSFER_MAX_DB: f64 = 6.0;
/// Gain-reduction meters read 0 (top) down to this many dB.
const GR_METER_RANGE_DB: f64 = 24.0;
/// Peak meters, dBFS.
const PEAK_LOW_DB: f64 = -60.0;
const PEAK_HIGH_DB: f64 = 6.0;
/// Width the peak meters and output stage need to the right of the limiter's history graph.
const RIGHT_BLOCK_WIDTH: f32 = 236.0;

/// GUI-side state of the dynamics panel: meter ballistics, and buffers reused every frame.
pub struct DynamicsState {
    last_time: Option<f64>,
    compressor_gr: Ballistics,
    limiter_gr: Ballistics,
    input: [Ballistics; 2],
    output: [Ballistics; 2],
    gr_history: Vec<f64>,
    gr_columns: Columns,
    /// The detector dot drawn last, (input dB, output dB).
    last_detector_dot: Option<(f64, f64)>,
}

impl Default for DynamicsState {
    fn default() -> Self {
        let history_len = (GAIN_HISTORY_SECONDS / GAIN_HISTORY_INTERVAL).round() as usize;
        Self {
            last_time: None,
            compressor_gr: Ballistics::default(),
            limiter_gr: Ballistics::default(),
            input: Default::default(),
            output: Default::default(),
            gr_history: Vec::with_capacity(history_len),
            gr_columns: Columns::with_capacity(1024),
            last_detector_dot: None,
        }
    }
}

impl DynamicsState {
    /// The compressor's static curve as the DSP computes it: output level in dB for a steady
    /// input level, with the knee, ratio, makeup (manual plus auto) and the mix crossfade;
    /// a compressor that is off passes the input unchanged.
    pub fn transfer_output_db(settings: &CompressorSettings, input_db: f64) -> f64 {
        let s = settings.clamped();
        let curve = Curve {
            threshold_db: f64::from(s.threshold_db),
            knee_db: f64::from(s.knee_db),
            slope: slope_from_ratio(f64::from(s.ratio)),
        };
        let makeup = f64::from(s.makeup_db) + if s.auto_makeup { curve.auto_makeup_db() } else { 0.0 };
        let mix = if s.enabled { f64::from(s.mix) } else { 0.0 };
        // The same crossfade of linear gains the compressor applies per sample.
        let gain = (1.0 - mix) + mix * db_to_gain(makeup - curve.gain_reduction_db(input_db));
        input_db + 20.0 * gain.log10()
    }

    /// Where the live detector level sits on the transfer curve, (input dB, output dB); `None`
    /// when the detector reads silence (or anything not finite).
    pub fn detector_dot(settings: &CompressorSettings, detector_db: f64) -> Option<(f64, f64)> {
        detector_db.is_finite().then(|| (detector_db, Self::transfer_output_db(settings, detector_db)))
    }

    /// The dot drawn in the last frame, if any.
    pub fn last_detector_dot(&self) -> Option<(f64, f64)> {
        self.last_detector_dot
    }

    /// Peak holds (largest since reset) of the input and output meters, dBFS, [left, right].
    pub fn peak_holds_db(&self) -> ([f64; 2], [f64; 2]) {
        (self.input.map(|b| b.max_db), self.output.map(|b| b.max_db))
    }

    /// Reads the audio side's "largest since last read" values once per frame.
    fn advance(&mut self, meters: &MeterValues, now: f64) {
        let dt = self.last_time.map_or(0.0, |t| now - t);
        self.last_time = Some(now);
        self.compressor_gr.update(meters.compressor_gr_peak_db.take(), dt);
        self.limiter_gr.update(meters.limiter_gr_peak_db.take(), dt);
        for channel in 0..2 {
            self.input[channel].update(gain_to_db(meters.input_peak[channel].take()), dt);
            self.output[channel].update(gain_to_db(meters.output_peak[channel].take()), dt);
        }
    }
}

pub fn show(ui: &mut egui::Ui, shared: &EditorShared, setter: &ParamSetter, state: &mut DynamicsState) {
    let params = &shared.params;
    let meters = &shared.meters;
    state.advance(meters, ui.input(|i| i.time));

    ui.horizontal_top(|ui| {
        // Compressor.
        ui.vertical(|ui| {
            ui.horizontal(|ui| {
                ui.strong("Compressor");
                ui.label(format!("GR {} dB", db_text(state.compressor_gr.level_db.max(0.0))));
            });
            ui.horizontal_top(|ui| {
                let c = &params.comp;
                egui::Grid::new("compressor_controls").spacing([4.0, 3.0]).show(ui, |ui| {
                    cell(ui, "On", &c.on, setter);
                    cell(ui, "Threshold", &c.threshold, setter);
                    cell(ui, "Ratio", &c.ratio, setter);
                    cell(ui, "Knee", &c.knee, setter);
                    ui.end_row();
                    cell(ui, "Attack", &c.attack, setter);
                    cell(ui, "Release", &c.release, setter);
                    cell(ui, "Auto release", &c.auto_release, setter);
                    cell(ui, "Detector", &c.detector, setter);
                    ui.end_row();
                    cell(ui, "Makeup", &c.makeup, setter);
                    cell(ui, "Auto makeup", &c.auto_makeup, setter);
                    cell(ui, "SC HPF", &c.sc_hpf, setter);
                    cell(ui, "Link", &c.link, setter);
                    ui.end_row();
                    cell(ui, "Mix", &c.mix, setter);
                    ui.end_row();
                });
                let settings = params.chain_settings().compressor;
                let detector_db = meters.snapshot().compressor_detector_db;
                state.last_detector_dot = transfer_curve(ui, &settings, detector_db);
                gr_meter(ui, &state.compressor_gr, "Compressor gain reduction");
            });
        });
        ui.separator();

        // Limiter.
        ui.vertical(|ui| {
            ui.horizontal(|ui| {
                ui.strong("Limiter");
                ui.label(format!("GR {} dB", db_text(state.limiter_gr.level_db.max(0.0))));
            });
            ui.horizontal_top(|ui| {
                let l = &params.lim;
                egui::Grid::new("limiter_controls").spacing([4.0, 3.0]).show(ui, |ui| {
                    cell(ui, "On", &l.on, setter);
                    cell(ui, "Ceiling", &l.ceiling, setter);
                    ui.end_row();
                    cell(ui, "Drive", &l.drive, setter);
                    cell(ui, "Release", &l.release, setter);
                    ui.end_row();
                    cell(ui, "Auto release", &l.auto_release, setter);
                    cell(ui, "Link", &l.link, setter);
                    ui.end_row();
                });
                gr_meter(ui, &state.limiter_gr, "Limiter gain reduction");
                let width = (ui.available_width() - RIGHT_BLOCK_WIDTH).max(60.0);
                gr_history(ui, meters, state, width);
            });
        });
        ui.separator();

        // Peak meters.
        ui.vertical(|ui| {
            ui.strong("Peaks (dBFS)");
            peak_meters(ui, state);
        });
        ui.separator();

        // Output stage.
        ui.vertical(|ui| {
            ui.strong("Output");
            cell(ui, "Gain", &params.out_gain, setter);
            cell(ui, "Bypass", &params.bypass, setter);
            cell(ui, "Dither", &params.dither_mode, setter);
            cell(ui, "Dither to", &params.dither_bits, setter);
        });
    });
}

fn cell<P: Param>(ui: &mut egui::Ui, label: &str, param: &P, setter: &ParamSetter) {
    labelled(ui, label, |ui| ui.add(ParamControl::new(param, setter).width(CONTROL_WIDTH)));
}

/// Maps the transfer curve's dB axes into `rect` (input left to right, output bottom to top).
struct TransferAxes {
    rect: Rect,
}

impl TransferAxes {
    fn x_of(&self, db: f64) -> f32 {
        self.rect.left() + self.rect.width() * fraction(db, TRANSFER_MIN_DB, TRANSFER_MAX_DB)
    }

    fn y_of(&self, db: f64) -> f32 {
        self.rect.bottom() - self.rect.height() * fraction(db, TRANSFER_MIN_DB, TRANSFER_MAX_DB)
    }

    fn db_at_x(&self, x: f32) -> f64 {
        let t = f64::from((x - self.rect.left()) / self.rect.width());
        TRANSFER_MIN_DB + t * (TRANSFER_MAX_DB - TRANSFER_MIN_DB)
    }
}

/// Input level against output level, with the detector's level as a dot; returns the dot.
fn transfer_curve(ui: &mut egui::Ui, settings: &CompressorSettings, detector_db: f64) -> Option<(f64, f64)> {
    let (response, painter) = ui.allocate_painter(Vec2::splat(SECTION_HEIGHT), Sense::hover());
    let axes = TransferAxes { rect: response.rect };
    painter.rect_filled(axes.rect, 3.0, Color32::from_gray(22));
    let grid = Stroke::new(1.0, Color32::from_gray(45));
    let label_font = egui::FontId::proportional(9.5);
    for db in [-48.0, -36.0, -24.0, -12.0, 0.0] {
        let (x, y) = (axes.x_of(db), axes.y_of(db));
        painter.line_segment([Pos2::new(x, axes.rect.top()), Pos2::new(x, axes.rect.bottom())], grid);
        painter.line_segment([Pos2::new(axes.rect.left(), y), Pos2::new(axes.rect.right(), y)], grid);
        painter.text(
            Pos2::new(x + 2.0, axes.rect.bottom() - 2.0),
            egui::Align2::LEFT_BOTTOM,
            format!("{db:.0}"),
            label_font.clone(),
            Color32::from_gray(110),
        );
    }
    // Unity and threshold.
    let unity = Stroke::new(1.0, Color32::from_gray(75));
    painter.line_segment(
        [
            Pos2::new(axes.x_of(TRANSFER_MIN_DB), axes.y_of(TRANSFER_MIN_DB)),
            Pos2::new(axes.x_of(TRANSFER_MAX_DB), axes.y_of(TRANSFER_MAX_DB)),
        ],
        unity,
    );
    let threshold_x = axes.x_of(f64::from(settings.clamped().threshold_db));
    painter.line_segment(
        [Pos2::new(threshold_x, axes.rect.top()), Pos2::new(threshold_x, axes.rect.bottom())],
        Stroke::new(1.0, Color32::from_rgb(0x6A, 0x55, 0x30)),
    );

    let colour = if settings.enabled { Color32::from_rgb(0xF0, 0xB0, 0x50) } else { Color32::from_gray(120) };
    let clip = painter.with_clip_rect(axes.rect);
    let mut previous: Option<Pos2> = None;
    let steps = axes.rect.width().max(2.0) as usize;
    for i in 0..=steps {
        let x = axes.rect.left() + axes.rect.width() * i as f32 / steps as f32;
        let input = axes.db_at_x(x);
        let y = axes.y_of(DynamicsState::transfer_output_db(settings, input));
        let point = Pos2::new(x, y);
        if let Some(p) = previous {
            clip.line_segment([p, point], Stroke::new(2.0, colour));
        }
        previous = Some(point);
    }
    let dot = DynamicsState::detector_dot(settings, detector_db);
    if let Some((input, output)) = dot {
        let point = Pos2::new(axes.x_of(input), axes.y_of(output));
        clip.circle_filled(point, 4.5, Color32::WHITE);
        clip.circle_stroke(point, 4.5, Stroke::new(1.0, Color32::BLACK));
    }
    response.on_hover_text(match dot {
        Some((input, output)) => format!("Transfer curve. Detector {input:.1} dB -> {output:.1} dB"),
        None => "Transfer curve: input level (x) to output level (y), dB".into(),
    });
    dot
}

/// A gain-reduction bar growing down from 0 dB, with its hold marker and the held value.
fn gr_meter(ui: &mut egui::Ui, gr: &Ballistics, what: &str) {
    ui.vertical(|ui| {
        ui.spacing_mut().item_spacing.y = 2.0;
        let height = SECTION_HEIGHT - 16.0;
        let (response, painter) = ui.allocate_painter(Vec2::new(BAR_WIDTH + 18.0, height), Sense::hover());
        let bar = Rect::from_min_size(response.rect.min, Vec2::new(BAR_WIDTH, height));
        let scale = Rect::from_min_max(Pos2::new(bar.right() + 1.0, bar.top()), response.rect.max);
        vertical_bar(
            &painter,
            bar,
            fraction(gr.level_db, 0.0, GR_METER_RANGE_DB),
            fraction(gr.hold_db, 0.0, GR_METER_RANGE_DB),
            true,
            |_| GR_COLOUR,
        );
        meters::scale_ticks(&painter, scale, 0.0, GR_METER_RANGE_DB, &[0.0, 6.0, 12.0, 18.0, 24.0], true);
        response.on_hover_text(format!("{what}, dB (line: recent peak)"));
        ui.label(egui::RichText::new(db_text(gr.hold_db.max(0.0))).size(10.0).monospace());
    });
}

/// The limiter's gain reduction over the last seconds, newest at the right.
fn gr_history(ui: &mut egui::Ui, meters: &MeterValues, state: &mut DynamicsState, width: f32) {
    let history = &meters.limiter_gr_history;
    history.copy_into(&mut state.gr_history);
    let window = history.capacity() as f64 * history.interval_seconds();
    let (response, painter) = ui.allocate_painter(Vec2::new(width, SECTION_HEIGHT), Sense::hover());
    let rect = response.rect;
    painter.rect_filled(rect, 3.0, Color32::from_gray(22));
    state.gr_columns.fill(&state.gr_history, history.interval_seconds(), window, rect.width().max(1.0) as usize);
    // The smallest of a few fixed scales that holds the largest reduction on screen.
    let largest = state.gr_columns.values().iter().copied().filter(|v| v.is_finite()).fold(0.0, f64::max);
    let range = [3.0, 6.0, 12.0, 24.0].into_iter().find(|&r| largest <= r).unwrap_or(24.0);
    let y_of = |gr: f64| rect.top() + rect.height() * fraction(gr, 0.0, range);
    let font = egui::FontId::proportional(9.5);
    for k in 1..=3 {
        let db = range * f64::from(k) / 3.0;
        let y = y_of(db);
        painter.line_segment(
            [Pos2::new(rect.left(), y), Pos2::new(rect.right(), y)],
            Stroke::new(1.0, Color32::from_gray(45)),
        );
        painter.text(
            Pos2::new(rect.left() + 2.0, y - 1.0),
            egui::Align2::LEFT_BOTTOM,
            format!("-{db:.0}"),
            font.clone(),
            Color32::from_gray(110),
        );
    }
    history_graph::draw_fill(&painter, rect, &state.gr_columns, y_of, rect.top(), GR_COLOUR.gamma_multiply(0.8));
    painter.text(
        rect.right_bottom() + Vec2::new(-3.0, -2.0),
        egui::Align2::RIGHT_BOTTOM,
        format!("limiter GR, last {window:.0} s"),
        font,
        Color32::from_gray(130),
    );
    response.on_hover_text("Limiter gain reduction history (dB), newest at the right");
}

/// Stereo input and output peak bars with fall and hold, and the held maxima (click to reset).
fn peak_meters(ui: &mut egui::Ui, state: &mut DynamicsState) {
    let height = SECTION_HEIGHT - 40.0;
    ui.horizontal_top(|ui| {
        ui.spacing_mut().item_spacing.x = 3.0;
        for (name, pair) in [("In", &state.input), ("Out", &state.output)] {
            ui.vertical(|ui| {
                ui.spacing_mut().item_spacing.y = 1.0;
                ui.label(egui::RichText::new(name).size(10.0));
                let (response, painter) = ui.allocate_painter(Vec2::new(2.0 * BAR_WIDTH + 2.0, height), Sense::hover());
                for (channel, meter) in pair.iter().enumerate() {
                    let left = response.rect.left() + channel as f32 * (BAR_WIDTH + 2.0);
                    let bar = Rect::from_min_size(Pos2::new(left, response.rect.top()), Vec2::new(BAR_WIDTH, height));
                    vertical_bar(
                        &painter,
                        bar,
                        fraction(meter.level_db, PEAK_LOW_DB, PEAK_HIGH_DB),
                        fraction(meter.hold_db, PEAK_LOW_DB, PEAK_HIGH_DB),
                        false,
                        peak_colour,
                    );
                }
                response.on_hover_text(format!("{name}put sample peak, left and right, dBFS"));
            });
        }
        let (scale, painter) = ui.allocate_painter(Vec2::new(22.0, height + 14.0), Sense::hover());
        let scale_rect = Rect::from_min_max(Pos2::new(scale.rect.left(), scale.rect.top() + 14.0), scale.rect.max);
        meters::scale_ticks(&painter, scale_rect, PEAK_LOW_DB, PEAK_HIGH_DB, &[0.0, -12.0, -24.0, -36.0, -48.0], false);
    });
    // Held maxima: one button per meter, click to start holding again.
    egui::Grid::new("peak_holds").spacing([4.0, 1.0]).show(ui, |ui| {
        for (name, pair) in [("In", &mut state.input), ("Out", &mut state.output)] {
            ui.label(egui::RichText::new(name).size(10.0));
            for (channel, meter) in pair.iter_mut().enumerate() {
                let side = if channel == 0 { "L" } else { "R" };
                let colour = if meter.max_db > 0.0 { OVER } else { Color32::from_gray(210) };
                let text = egui::RichText::new(db_text(meter.max_db)).size(10.5).monospace().color(colour);
                let clicked = ui
                    .add(egui::Button::new(text).small().frame(false))
                    .on_hover_text(format!("{name} {side} peak hold, dBFS: click to reset"))
                    .clicked();
                if clicked {
                    meter.reset_max();
                }
            }
            ui.end_row();
        }
    });
}

/// Peak bar colour by level: green to -6 dBFS, amber to 0, red above full scale.
fn peak_colour(filled: f32) -> Color32 {
    let db = PEAK_LOW_DB + f64::from(filled) * (PEAK_HIGH_DB - PEAK_LOW_DB);
    if db > 0.0 {
        OVER
    } else if db > -6.0 {
        WARN
    } else {
        OK
    }
}
