//! Scrolling history graphs (short-term loudness, limiter gain reduction): the newest value at
//! the right edge, one aggregated value per pixel column, gaps where the signal was silent.

use egui::{Color32, Painter, Pos2, Rect, Stroke};

/// Per-pixel-column maxima of a history, reused from frame to frame.
#[derive(Default)]
pub struct Columns {
    /// NaN: no sample falls in this column; -inf: only silence did.
    values: Vec<f64>,
}

impl Columns {
    pub fn with_capacity(columns: usize) -> Self {
        Self { values: Vec::with_capacity(columns) }
    }

    /// Spreads the last `window_seconds` of `samples` (oldest first, one every
    /// `interval_seconds`, the last one now) over `count` columns, keeping each column's largest.
    pub fn fill(&mut self, samples: &[f64], interval_seconds: f64, window_seconds: f64, count: usize) {
        self.values.clear();
        self.values.resize(count, f64::NAN);
        if count == 0 || samples.is_empty() || interval_seconds <= 0.0 || window_seconds <= 0.0 {
            return;
        }
        let visible = ((window_seconds / interval_seconds).ceil() as usize + 1).min(samples.len());
        let newest = samples.len() - 1;
        for (i, &value) in samples.iter().enumerate().skip(samples.len() - visible) {
            let age = (newest - i) as f64 * interval_seconds;
            let from_right = age / window_seconds * count as f64;
            if from_right >= count as f64 {
                continue;
            }
            let column = count - 1 - from_right.floor() as usize;
            let value = if value.is_nan() { f64::NEG_INFINITY } else { value };
            let slot = &mut self.values[column];
            *slot = if slot.is_nan() { value } else { slot.max(value) };
        }
    }

    pub fn values(&self) -> &[f64] {
        &self.values
    }
}

/// A line through the finite columns, broken where a column holds only silence. `y_of` maps a
/// value to a screen y (clamp there to keep the line inside `rect`); each segment takes the
/// colour of the value it ends at.
pub fn draw_line(
    painter: &Painter,
    rect: Rect,
    columns: &Columns,
    y_of: impl Fn(f64) -> f32,
    width: f32,
    colour_of: impl Fn(f64) -> Color32,
) {
    let count = columns.values.len();
    if count == 0 {
        return;
    }
    let step = rect.width() / count as f32;
    let mut previous: Option<Pos2> = None;
    for (i, &value) in columns.values.iter().enumerate() {
        if value.is_nan() {
            continue; // No sample here: bridge to the next one.
        }
        if !value.is_finite() {
            previous = None;
            continue;
        }
        let point = Pos2::new(rect.left() + (i as f32 + 0.5) * step, y_of(value));
        match previous {
            Some(p) => {
                painter.line_segment([p, point], Stroke::new(width, colour_of(value)));
            }
            None => {
                painter.circle_filled(point, width * 0.5, colour_of(value));
            }
        }
        previous = Some(point);
    }
}

/// Vertical strokes from `base_y` to each finite column's y: a filled area graph.
pub fn draw_fill(
    painter: &Painter,
    rect: Rect,
    columns: &Columns,
    y_of: impl Fn(f64) -> f32,
    base_y: f32,
    colour: Color32,
) {
    let count = columns.values.len();
    if count == 0 {
        return;
    }
    let step = rect.width() / count as f32;
    for (i, &value) in columns.values.iter().enumerate() {
        if !value.is_finite() {
            continue;
        }
        let x = rect.left() + (i as f32 + 0.5) * step;
        let y = y_of(value);
        if (y - base_y).abs() >= 0.5 {
            painter.line_segment([Pos2::new(x, base_y), Pos2::new(x, y)], Stroke::new(step.max(1.0), colour));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_sample_lands_in_the_last_column_and_old_ones_drop_out() {
        let mut columns = Columns::default();
        // 10 samples at 1 s: only the last 4 s fit a 4-second window of 4 columns.
        let samples: Vec<f64> = (0..10).map(f64::from).collect();
        columns.fill(&samples, 1.0, 4.0, 4);
        assert_eq!(columns.values(), &[6.0, 7.0, 8.0, 9.0]);
        // Two samples per column keep the larger; columns without samples are NaN.
        columns.fill(&[1.0, 5.0, f64::NEG_INFINITY, 2.0], 0.5, 4.0, 4);
        assert!(columns.values()[0].is_nan() && columns.values()[1].is_nan());
        assert_eq!(&columns.values()[2..], &[5.0, 2.0]);
        // A column that saw only silence is -inf, so the line breaks there.
        columns.fill(&[3.0, f64::NEG_INFINITY, f64::NEG_INFINITY], 0.5, 2.0, 2);
        assert_eq!(columns.values(), &[3.0, f64::NEG_INFINITY]);
    }
}
