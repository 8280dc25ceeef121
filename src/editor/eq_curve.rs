//! The EQ curve: log-frequency axis from 10 Hz to Nyquist, a dB grid, each band's curve in its
//! colour and the combined curve, all from the exact digital response.

use super::EditorShared;
use crate::dsp::eq::{self, BANDS};
use egui::{self, Color32, Pos2, Rect, Sense, Stroke, StrokeKind, Vec2};
use nice_plug::prelude::ParamSetter;

/// GUI-side state of the EQ curve and band controls.
#[derive(Default)]
pub struct CurveState {
    pub selected_band: usize,
}

const DB_RANGE: f32 = 24.0;
const MIN_FREQ: f64 = 10.0;
const POINTS: usize = 320;

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

/// Maps frequency and dB to screen positions inside `rect`.
pub struct Axes {
    pub rect: Rect,
    pub max_freq: f64,
}

impl Axes {
    pub fn x_of(&self, freq: f64) -> f32 {
        let t = (freq / MIN_FREQ).ln() / (self.max_freq / MIN_FREQ).ln();
        self.rect.left() + self.rect.width() * t as f32
    }

    pub fn y_of(&self, db: f32) -> f32 {
        let t = (db.clamp(-DB_RANGE, DB_RANGE) + DB_RANGE) / (2.0 * DB_RANGE);
        self.rect.bottom() - self.rect.height() * t
    }
}

pub fn show(ui: &mut egui::Ui, shared: &EditorShared, _setter: &ParamSetter, state: &mut CurveState) {
    let params = &shared.params;
    let sample_rate = shared.sample_rate();
    let selected = &mut state.selected_band;
    let size = Vec2::new(ui.available_width(), 300.0);
    let (response, painter) = ui.allocate_painter(size, Sense::click());
    let axes = Axes { rect: response.rect, max_freq: 0.5 * sample_rate };
    painter.rect_filled(axes.rect, 4.0, Color32::from_gray(22));

    let grid = Stroke::new(1.0, Color32::from_gray(48));
    let text = Color32::from_gray(140);
    let font = egui::FontId::proportional(11.0);
    for decade in [10.0, 100.0, 1000.0, 10_000.0] {
        for k in 1..10 {
            let f = decade * f64::from(k);
            if f > axes.max_freq {
                break;
            }
            let x = axes.x_of(f);
            let stroke = if k == 1 { Stroke::new(1.0, Color32::from_gray(70)) } else { grid };
            painter.vline(x, axes.rect.y_range(), stroke);
            if k == 1 || k == 2 || k == 5 {
                let label = if f >= 1000.0 { format!("{}k", f / 1000.0) } else { format!("{f}") };
                painter.text(Pos2::new(x + 2.0, axes.rect.bottom() - 12.0), egui::Align2::LEFT_CENTER, label, font.clone(), text);
            }
        }
    }
    for db in [-24.0f32, -18.0, -12.0, -6.0, 0.0, 6.0, 12.0, 18.0, 24.0] {
        let y = axes.y_of(db);
        let stroke = if db == 0.0 { Stroke::new(1.0, Color32::from_gray(90)) } else { grid };
        painter.hline(axes.rect.x_range(), y, stroke);
        painter.text(Pos2::new(axes.rect.left() + 3.0, y - 6.0), egui::Align2::LEFT_CENTER, format!("{db:+}"), font.clone(), text);
    }

    let settings = params.chain_settings().eq;
    let designs = eq::designs(&settings, sample_rate);
    let freqs: Vec<f64> = (0..POINTS)
        .map(|i| MIN_FREQ * (axes.max_freq / MIN_FREQ).powf(i as f64 / (POINTS - 1) as f64))
        .collect();
    let mut total_db = vec![0.0f32; POINTS];
    for (band, design) in designs.iter().enumerate() {
        if !settings[band].enabled {
            continue;
        }
        let points: Vec<Pos2> = freqs
            .iter()
            .zip(total_db.iter_mut())
            .map(|(&f, total)| {
                let db = 20.0 * design.response(f, sample_rate).norm().max(1e-9).log10() as f32;
                *total += db;
                Pos2::new(axes.x_of(f), axes.y_of(db))
            })
            .collect();
        let width = if band == *selected { 2.0 } else { 1.0 };
        painter.add(egui::Shape::line(points, Stroke::new(width, BAND_COLOURS[band].gamma_multiply(0.7))));
    }
    let total: Vec<Pos2> = freqs.iter().zip(&total_db).map(|(&f, &db)| Pos2::new(axes.x_of(f), axes.y_of(db))).collect();
    painter.add(egui::Shape::line(total, Stroke::new(2.5, Color32::WHITE)));

    // One node per enabled band at its frequency and gain; clicking selects it.
    for (band, s) in settings.iter().enumerate() {
        if !s.enabled {
            continue;
        }
        let gain = if s.kind.uses_gain() { s.gain_db as f32 } else { 0.0 };
        let centre = Pos2::new(axes.x_of(s.freq_hz.min(axes.max_freq)), axes.y_of(gain));
        painter.circle_filled(centre, 6.0, BAND_COLOURS[band]);
        painter.text(centre, egui::Align2::CENTER_CENTER, format!("{}", band + 1), egui::FontId::proportional(9.0), Color32::BLACK);
        if band == *selected {
            painter.circle_stroke(centre, 9.0, Stroke::new(1.5, Color32::WHITE));
        }
    }
    if response.clicked() {
        if let Some(pos) = response.interact_pointer_pos() {
            let nearest = settings
                .iter()
                .enumerate()
                .filter(|(_, s)| s.enabled)
                .map(|(i, s)| (i, (Pos2::new(axes.x_of(s.freq_hz), axes.y_of(s.gain_db as f32)) - pos).length()))
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((i, distance)) = nearest {
                if distance < 20.0 {
                    *selected = i;
                }
            }
        }
    }
    painter.rect_stroke(axes.rect, 4.0, Stroke::new(1.0, Color32::from_gray(60)), StrokeKind::Inside);
}
