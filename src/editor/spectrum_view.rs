//! The analyzer behind the EQ curve: the plugin's input and/or output spectrum, analysed from the
//! spectrum tap only when new samples arrived (the audio thread writes the tap only while the
//! editor is open), drawn as filled 1/6-octave band levels with a falling peak line.

use keel_core::dsp::spectrum::{FLOOR_DB, SpectrumAnalyzer};
use crate::spectrum_tap::{SpectrumTap, TapPoint};
use egui::{Color32, Mesh, Painter, Pos2, Rect, Shape, Stroke};
use std::sync::Arc;

/// What the analyzer shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AnalyzerSource {
    Off,
    /// The plugin's input (before the EQ).
    Input,
    /// The plugin's output (after the whole chain).
    #[default]
    Output,
    Both,
}

impl AnalyzerSource {
    pub const ALL: [AnalyzerSource; 4] = [Self::Off, Self::Input, Self::Output, Self::Both];

    pub fn label(self) -> &'static str {
        match self {
            Self::Off => "Off",
            Self::Input => "In",
            Self::Output => "Out",
            Self::Both => "Both",
        }
    }

    fn shows(self, point: TapPoint) -> bool {
        match self {
            Self::Off => false,
            Self::Input => point == TapPoint::Input,
            Self::Output => point == TapPoint::Output,
            Self::Both => true,
        }
    }
}

/// Top and bottom of the analyzer's own dB scale (0 dB = a full-scale sine in the band).
pub const TOP_DB: f32 = 0.0;
pub const BOTTOM_DB: f32 = -90.0;
/// Longest audio time one update advances the smoothing by (after a pause or a source switch).
const MAX_STEP_SECONDS: f64 = 1.0;

const INPUT_COLOUR: Color32 = Color32::from_rgb(0xB0, 0xA0, 0x8C);
const OUTPUT_COLOUR: Color32 = Color32::from_rgb(0x5C, 0xA8, 0xD6);

/// One tap point's analyzer and the tap position it last analysed.
struct TapAnalyzer {
    analyzer: SpectrumAnalyzer,
    last_written: Option<u64>,
}

#[derive(Default)]
pub struct SpectrumView {
    pub source: AnalyzerSource,
    input: Option<TapAnalyzer>,
    output: Option<TapAnalyzer>,
    /// Fill geometry, kept between frames so its buffers are reused once egui has drawn it.
    fill: Arc<Mesh>,
}

impl SpectrumView {
    /// Analyses whatever arrived since the last frame for the shown tap points, then draws them
    /// into `rect` (columns one point wide from `min_freq` to `max_freq`, log-spaced).
    pub fn update_and_paint(
        &mut self,
        painter: &Painter,
        rect: Rect,
        tap: &SpectrumTap,
        sample_rate: f64,
        min_freq: f64,
        max_freq: f64,
    ) {
        let columns = rect.width().round().max(1.0) as usize;
        self.update(tap, sample_rate, min_freq, max_freq, columns);
        self.paint(painter, rect);
    }

    /// Analyses the shown tap points if new samples arrived since their last analysis; returns
    /// how many analyses ran (0 when nothing new arrived or nothing is shown).
    fn update(&mut self, tap: &SpectrumTap, sample_rate: f64, min_freq: f64, max_freq: f64, columns: usize) -> usize {
        let mut analyses = 0;
        let written = tap.written();
        for point in [TapPoint::Input, TapPoint::Output] {
            let shown = self.source.shows(point);
            let slot = match point {
                TapPoint::Input => &mut self.input,
                TapPoint::Output => &mut self.output,
            };
            if !shown {
                // Start afresh when shown again rather than from a stale frame.
                if let Some(tracked) = slot {
                    tracked.last_written = None;
                }
                continue;
            }
            // The analyzer (and its buffers) is made on first use and again only if the rate changes.
            if slot.as_ref().is_none_or(|t| t.analyzer.sample_rate() != sample_rate) {
                *slot = Some(TapAnalyzer { analyzer: SpectrumAnalyzer::new(sample_rate), last_written: None });
            }
            let tracked = slot.as_mut().expect("made above");
            tracked.analyzer.set_columns(min_freq, max_freq, columns);
            if tracked.last_written == Some(written) {
                continue;
            }
            if !tap.read_latest(point, tracked.analyzer.input_mut()) {
                continue;
            }
            let elapsed = match tracked.last_written {
                Some(last) => (written.saturating_sub(last) as f64 / sample_rate).min(MAX_STEP_SECONDS),
                None => {
                    tracked.analyzer.restart_smoothing();
                    0.0
                }
            };
            tracked.analyzer.update(elapsed as f32);
            tracked.last_written = Some(written);
            analyses += 1;
        }
        analyses
    }

    fn paint(&mut self, painter: &Painter, rect: Rect) {
        // With both shown the output is filled and the input an outline over it.
        let both = self.source == AnalyzerSource::Both;
        let (input, output) = (analysed(&self.input), analysed(&self.output));
        let fill = Arc::make_mut(&mut self.fill);
        fill.clear();
        if let Some(input) = input.filter(|_| !both) {
            add_fill(fill, rect, input.smoothed_db(), INPUT_COLOUR);
        }
        if let Some(output) = output {
            add_fill(fill, rect, output.smoothed_db(), OUTPUT_COLOUR);
        }
        painter.add(Shape::Mesh(self.fill.clone()));
        if let Some(output) = output {
            painter.add(outline(rect, output.peak_db(), Stroke::new(1.0, OUTPUT_COLOUR.gamma_multiply(0.45))));
        }
        if let Some(input) = input {
            painter.add(outline(rect, input.smoothed_db(), Stroke::new(1.0, INPUT_COLOUR.gamma_multiply(0.8))));
        }
    }

    /// Scale labels for the analyzer, at the plot's right edge.
    pub fn paint_scale(&self, painter: &Painter, rect: Rect) {
        if self.source == AnalyzerSource::Off {
            return;
        }
        let font = egui::FontId::proportional(10.0);
        for db in [-30.0f32, -60.0] {
            let y = y_of(rect, db);
            painter.text(
                Pos2::new(rect.right() - 3.0, y - 6.0),
                egui::Align2::RIGHT_CENTER,
                format!("{db:.0}"),
                font.clone(),
                OUTPUT_COLOUR.gamma_multiply(0.7),
            );
        }
    }
}

/// A tap point's analyzer, once it has analysed something since it was last shown.
fn analysed(slot: &Option<TapAnalyzer>) -> Option<&SpectrumAnalyzer> {
    slot.as_ref().filter(|t| t.last_written.is_some() && t.analyzer.has_frame()).map(|t| &t.analyzer)
}

fn y_of(rect: Rect, db: f32) -> f32 {
    let t = (db.clamp(BOTTOM_DB, TOP_DB) - BOTTOM_DB) / (TOP_DB - BOTTOM_DB);
    rect.bottom() - rect.height() * t
}

fn column_x(rect: Rect, column: usize, columns: usize) -> f32 {
    rect.left() + rect.width() * (column as f32 + 0.5) / columns as f32
}

/// A translucent area from the bottom of the plot up to the levels, brighter towards the top.
fn add_fill(mesh: &mut Mesh, rect: Rect, levels: &[f32], colour: Color32) {
    let top_colour = colour.gamma_multiply(0.35);
    let bottom_colour = colour.gamma_multiply(0.08);
    let first = mesh.vertices.len() as u32;
    for (i, &db) in levels.iter().enumerate() {
        let x = column_x(rect, i, levels.len());
        let y = if db <= FLOOR_DB { rect.bottom() } else { y_of(rect, db) };
        mesh.colored_vertex(Pos2::new(x, y), top_colour);
        mesh.colored_vertex(Pos2::new(x, rect.bottom()), bottom_colour);
    }
    for i in 1..levels.len() as u32 {
        let (a, b) = (first + 2 * (i - 1), first + 2 * i);
        mesh.add_triangle(a, a + 1, b);
        mesh.add_triangle(a + 1, b + 1, b);
    }
}

fn outline(rect: Rect, levels: &[f32], stroke: Stroke) -> Shape {
    let points = levels
        .iter()
        .enumerate()
        .map(|(i, &db)| Pos2::new(column_x(rect, i, levels.len()), y_of(rect, db)))
        .collect();
    Shape::line(points, stroke)
}

#[cfg(test)]
mod tests {
    use super::*;
    use keel_core::signals;

    const RATE: f64 = 48_000.0;
    const COLUMNS: usize = 400;

    fn feed(tap: &SpectrumTap, input_hz: f64, output_hz: f64, frames: usize) {
        let input: Vec<f32> = signals::sine(input_hz, RATE, frames as f64 / RATE, 0.5, 0.0).iter().map(|&x| x as f32).collect();
        let output: Vec<f32> = signals::sine(output_hz, RATE, frames as f64 / RATE, 0.5, 0.0).iter().map(|&x| x as f32).collect();
        tap.write(TapPoint::Input, &input, &input);
        tap.write(TapPoint::Output, &output, &output);
        tap.commit(frames);
    }

    fn loudest_column_hz(levels: &[f32]) -> f64 {
        let column = (0..levels.len()).max_by(|&a, &b| levels[a].total_cmp(&levels[b])).unwrap();
        10.0 * (24_000.0f64 / 10.0).powf((column as f64 + 0.5) / levels.len() as f64)
    }

    #[test]
    fn analyses_only_when_new_samples_arrived_and_only_what_is_shown() {
        let tap = SpectrumTap::default();
        let mut view = SpectrumView { source: AnalyzerSource::Output, ..Default::default() };
        assert_eq!(view.update(&tap, RATE, 10.0, 24_000.0, COLUMNS), 0, "nothing written yet");

        feed(&tap, 1000.0, 5000.0, 16_384);
        assert_eq!(view.update(&tap, RATE, 10.0, 24_000.0, COLUMNS), 1);
        assert_eq!(view.update(&tap, RATE, 10.0, 24_000.0, COLUMNS), 0, "no new samples, no analysis");
        assert!(analysed(&view.input).is_none(), "the input is not shown");
        let output = analysed(&view.output).expect("analysed").smoothed_db();
        assert!((loudest_column_hz(output) / 5000.0 - 1.0).abs() < 0.02);

        view.source = AnalyzerSource::Both;
        assert_eq!(view.update(&tap, RATE, 10.0, 24_000.0, COLUMNS), 1, "the input's first look");
        feed(&tap, 1000.0, 5000.0, 512);
        assert_eq!(view.update(&tap, RATE, 10.0, 24_000.0, COLUMNS), 2);
        let input = analysed(&view.input).expect("analysed").smoothed_db();
        assert!((loudest_column_hz(input) / 1000.0 - 1.0).abs() < 0.02, "the input tap, not the output");

        view.source = AnalyzerSource::Off;
        feed(&tap, 1000.0, 5000.0, 512);
        assert_eq!(view.update(&tap, RATE, 10.0, 24_000.0, COLUMNS), 0);
    }
}
