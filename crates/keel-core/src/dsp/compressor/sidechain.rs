//! Second-order Butterworth sections for detector paths: the compressor's side-chain high-pass,
//! and the limiter's low-frequency detector reuses the low-pass.

use crate::dsp::biquad::{Coeffs, ScalarSection};
use std::f64::consts::{FRAC_1_SQRT_2, TAU};

/// Bilinear-transform Butterworth (Q = 1/sqrt 2) high- or low-pass, RBJ cookbook form.
pub fn butterworth(cutoff_hz: f64, sample_rate: f64, high_pass: bool) -> Coeffs {
    let w0 = TAU * cutoff_hz.clamp(1.0, 0.45 * sample_rate) / sample_rate;
    let (sin, cos) = w0.sin_cos();
    let alpha = sin / (2.0 * FRAC_1_SQRT_2);
    let (b0, b1) = if high_pass { (0.5 * (1.0 + cos), -(1.0 + cos)) } else { (0.5 * (1.0 - cos), 1.0 - cos) };
    Coeffs::normalized([b0, b1, b0], [1.0 + alpha, -2.0 * cos, 1.0 - alpha])
}

/// One channel of a Butterworth section with denormal flushing; f64 state because a 20 Hz
/// corner at 192 kHz is far too close to DC for f32.
#[derive(Clone, Copy, Debug)]
pub struct DetectorFilter {
    coeffs: Coeffs,
    state: ScalarSection,
}

impl DetectorFilter {
    pub fn new(coeffs: Coeffs) -> Self {
        Self { coeffs, state: ScalarSection::default() }
    }

    /// New coefficients, keeping the state (a detector path tolerates the small transient).
    pub fn set_coeffs(&mut self, coeffs: Coeffs) {
        self.coeffs = coeffs;
    }

    pub fn reset(&mut self) {
        self.state = ScalarSection::default();
    }

    #[inline(always)]
    pub fn tick(&mut self, x: f64) -> f64 {
        self.state.tick(&self.coeffs, x)
    }

    pub fn flush_denormals(&mut self) {
        let (s1, s2) = self.state.state();
        if s1.abs() < 1e-30 && s2.abs() < 1e-30 {
            self.state = ScalarSection::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::butterworth;

    #[test]
    fn corner_is_minus_three_db_and_passband_is_flat() {
        let fs = 48_000.0;
        let hp = butterworth(100.0, fs, true);
        let lp = butterworth(500.0, fs, false);
        let db = |c: &crate::dsp::biquad::Coeffs, f: f64| 20.0 * c.response(f, fs).norm().log10();
        assert!((db(&hp, 100.0) + 3.0103).abs() < 0.01);
        assert!(db(&hp, 10_000.0).abs() < 0.001);
        assert!((db(&lp, 500.0) + 3.0103).abs() < 0.01);
        assert!(db(&lp, 50.0).abs() < 0.001);
    }
}
