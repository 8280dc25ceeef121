//! Static curve of the compressor in the log domain (Giannoulis, Massberg and Reiss, JAES 2012,
//! eq. 4): how many dB of gain reduction a detected level asks for.

/// Threshold, knee and ratio in the form the curve uses. `slope` is `1/ratio - 1`: 0 at 1:1,
/// -1 for an infinite ratio ("limit"), so both ends need no special case.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Curve {
    pub threshold_db: f64,
    pub knee_db: f64,
    pub slope: f64,
}

/// `1/ratio - 1`; a ratio of infinity gives -1.
pub fn slope_from_ratio(ratio: f64) -> f64 {
    1.0 / ratio.max(1.0) - 1.0
}

impl Curve {
    /// Gain reduction in dB (>= 0) for a level in dB. Monotone non-decreasing in `level_db`, so
    /// the reduction for the louder of two channels is the larger of their reductions.
    #[inline(always)]
    pub fn gain_reduction_db(&self, level_db: f64) -> f64 {
        let over = level_db - self.threshold_db;
        let half_knee = 0.5 * self.knee_db;
        if over <= -half_knee {
            0.0
        } else if over < half_knee {
            // Quadratic knee; only reached when knee_db > 0.
            let into = over + half_knee;
            -self.slope * into * into / (2.0 * self.knee_db)
        } else {
            -self.slope * over
        }
    }

    /// Makeup that brings a 0 dBFS level back to 0 dBFS: the reduction the curve applies there.
    pub fn auto_makeup_db(&self) -> f64 {
        self.gain_reduction_db(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::{Curve, slope_from_ratio};

    #[test]
    fn knee_joins_both_lines_with_continuous_slope() {
        let curve = Curve { threshold_db: -20.0, knee_db: 12.0, slope: slope_from_ratio(4.0) };
        let d = 1e-6;
        for edge in [-26.0, -14.0] {
            let below = curve.gain_reduction_db(edge - d);
            let above = curve.gain_reduction_db(edge + d);
            assert!((below - above).abs() < 1e-5, "value jumps at {edge}");
            let slope_below = (curve.gain_reduction_db(edge - d) - curve.gain_reduction_db(edge - 2.0 * d)) / d;
            let slope_above = (curve.gain_reduction_db(edge + 2.0 * d) - curve.gain_reduction_db(edge + d)) / d;
            assert!((slope_below - slope_above).abs() < 1e-4, "slope jumps at {edge}");
        }
        assert_eq!(curve.gain_reduction_db(-30.0), 0.0);
        assert!((curve.gain_reduction_db(0.0) - 15.0).abs() < 1e-12);
    }

    #[test]
    fn infinite_ratio_holds_the_threshold() {
        let curve = Curve { threshold_db: -10.0, knee_db: 0.0, slope: slope_from_ratio(f64::INFINITY) };
        assert_eq!(curve.gain_reduction_db(-4.0), 6.0);
        assert_eq!(curve.auto_makeup_db(), 10.0);
    }
}
