//! Meter bars shared by the dynamics and loudness panels: GUI-side ballistics for values the
//! audio thread hands over as "largest since last read", and the bar drawing.

use egui::{Color32, CornerRadius, Painter, Pos2, Rect, Stroke, StrokeKind};

/// How fast a bar and its hold marker fall once the signal drops (a peak-programme-like 20 dB/s).
pub const FALL_DB_PER_SECOND: f64 = 20.0;
/// How long the hold marker stays put before it falls.
pub const HOLD_SECONDS: f64 = 1.5;
/// Largest level the ballistics keep, dB.
const MAX_LEVEL_DB: f64 = 400.0;
/// Longest frame gap the ballistics integrate over (a stalled window must not jump the bars).
const MAX_STEP_SECONDS: f64 = 0.25;

pub const BAR_TRACK: Color32 = Color32::from_gray(28);
pub const OK: Color32 = Color32::from_rgb(0x4F, 0xB0, 0x6A);
pub const WARN: Color32 = Color32::from_rgb(0xE0, 0xA8, 0x3A);
pub const OVER: Color32 = Color32::from_rgb(0xE0, 0x4F, 0x4F);
pub const GR_COLOUR: Color32 = Color32::from_rgb(0xE0, 0x8A, 0x3A);

/// A level with instant attack, a steady fall, a timed hold marker and a maximum kept until
/// reset. Works in dB; anything non-finite counts as silence.
#[derive(Clone, Copy, Debug)]
pub struct Ballistics {
    pub level_db: f64,
    pub hold_db: f64,
    hold_age: f64,
    /// Largest value since the last [`Ballistics::reset_max`].
    pub max_db: f64,
}

impl Default for Ballistics {
    fn default() -> Self {
        Self { level_db: f64::NEG_INFINITY, hold_db: f64::NEG_INFINITY, hold_age: 0.0, max_db: f64::NEG_INFINITY }
    }
}

impl Ballistics {
    /// Feeds the largest value seen since the previous frame, `seconds` after it.
    pub fn update(&mut self, value_db: f64, seconds: f64) {
        // Infinity would pin the bar forever (it never falls); no real level comes near the cap.
        let value = if value_db.is_nan() { f64::NEG_INFINITY } else { value_db.min(MAX_LEVEL_DB) };
        let dt = if seconds.is_finite() { seconds.clamp(0.0, MAX_STEP_SECONDS) } else { 0.0 };
        let fall = FALL_DB_PER_SECOND * dt;
        self.level_db = value.max(self.level_db - fall);
        if value >= self.hold_db {
            self.hold_db = value;
            self.hold_age = 0.0;
        } else {
            self.hold_age += dt;
            if self.hold_age > HOLD_SECONDS {
                self.hold_db = (self.hold_db - fall).max(self.level_db);
            }
        }
        self.max_db = self.max_db.max(value);
    }

    pub fn reset_max(&mut self) {
        self.max_db = f64::NEG_INFINITY;
    }
}


/// Where `value` sits between `low` (0) and `high` (1), clamped; silence is 0.
pub fn fraction(value: f64, low: f64, high: f64) -> f32 {
    if value.is_nan() || high <= low {
        return 0.0;
    }
    ((value - low) / (high - low)).clamp(0.0, 1.0) as f32
}

/// "-3.2", or "-inf" for silence.
pub fn db_text(value: f64) -> String {
    if value.is_finite() { format!("{value:.1}") } else { "-inf".into() }
}

/// A vertical bar filled to `level` (0..1) from the bottom, or from the top when `from_top`
/// (gain reduction), with a line at `hold` (0..1). `colour_at` colours by the filled fraction.
pub fn vertical_bar(
    painter: &Painter,
    rect: Rect,
    level: f32,
    hold: f32,
    from_top: bool,
    colour_at: impl Fn(f32) -> Color32,
) {
    painter.rect_filled(rect, CornerRadius::same(2), BAR_TRACK);
    let inner = rect.shrink(1.0);
    let span = |t: f32| if from_top { inner.top() + inner.height() * t } else { inner.bottom() - inner.height() * t };
    if level > 0.0 {
        let filled = if from_top {
            Rect::from_min_max(inner.min, Pos2::new(inner.right(), span(level)))
        } else {
            Rect::from_min_max(Pos2::new(inner.left(), span(level)), inner.max)
        };
        painter.rect_filled(filled, CornerRadius::ZERO, colour_at(level));
    }
    if hold > 0.0 {
        let y = span(hold);
        painter
            .line_segment([Pos2::new(inner.left(), y), Pos2::new(inner.right(), y)], Stroke::new(2.0, colour_at(hold)));
    }
    painter.rect_stroke(rect, CornerRadius::same(2), Stroke::new(1.0, Color32::from_gray(60)), StrokeKind::Inside);
}

/// Tick labels beside a vertical dB scale from `low` (bottom) to `high` (top).
pub fn scale_ticks(painter: &Painter, rect: Rect, low: f64, high: f64, ticks: &[f64], from_top: bool) {
    let font = egui::FontId::proportional(9.5);
    for &tick in ticks {
        let t = fraction(tick, low, high);
        let y = if from_top { rect.top() + rect.height() * t } else { rect.bottom() - rect.height() * t };
        // Keep the end labels whole inside the painter's clip.
        let y = y.clamp(rect.top() + 5.0, rect.bottom() - 5.0);
        painter.text(
            Pos2::new(rect.right(), y),
            egui::Align2::RIGHT_CENTER,
            format!("{tick:.0}"),
            font.clone(),
            Color32::from_gray(130),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_attacks_at_once_falls_steadily_and_hold_waits() {
        let mut b = Ballistics::default();
        b.update(-6.0, 0.02);
        assert_eq!((b.level_db, b.hold_db, b.max_db), (-6.0, -6.0, -6.0));
        b.update(f64::NEG_INFINITY, 0.1);
        assert!((b.level_db - (-8.0)).abs() < 1e-9);
        assert_eq!(b.hold_db, -6.0, "hold stays within its hold time");
        for _ in 0..20 {
            b.update(f64::NEG_INFINITY, 0.1);
        }
        assert!(b.hold_db < -6.0 && b.hold_db >= b.level_db);
        assert_eq!(b.max_db, -6.0, "the maximum is kept until reset");
        b.reset_max();
        assert_eq!(b.max_db, f64::NEG_INFINITY);
        b.update(f64::NAN, f64::NAN);
        assert!(!b.level_db.is_nan() && !b.hold_db.is_nan());
        b.update(f64::INFINITY, 0.02);
        b.update(f64::NEG_INFINITY, 0.1);
        assert!(b.level_db.is_finite(), "an infinite peak must fall again");
    }
}
