//! Side-chain level detection and ballistics: peak or RMS level, the smooth decoupled
//! attack/release smoother on gain reduction, and the crest factor that drives auto release.

/// How the side-chain level is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DetectorMode {
    /// Instantaneous |x|.
    #[default]
    Peak,
    /// Mean square over [`RMS_TIME_CONSTANT_S`], read as a sine's peak (AES17 dBFS), so switching
    /// modes does not move a steady tone's gain reduction.
    Rms,
}

/// One-pole time constant of the RMS detector. 10 ms averages the ripple of bass notes down to
/// what the decoupled smoother then removes (docs/dsp-notes.md §4: -90 dB THD at 100 Hz,
/// A10/R100).
pub const RMS_TIME_CONSTANT_S: f64 = 0.010;

/// Window of the crest-factor estimate behind auto release (Giannoulis et al., JAES 2013).
pub const CREST_TIME_CONSTANT_S: f64 = 0.200;

/// Auto release never goes faster than this fraction of the set release time.
pub const AUTO_RELEASE_MIN_SCALE: f64 = 0.05;

/// Levels below this are treated as silence (-160 dBFS); keeps log10 finite.
pub const POWER_FLOOR: f64 = 1e-16;

/// Coefficient `a` of `y += (x - y) * (1 - a)` for a time constant in seconds.
pub fn one_pole_keep(time_s: f64, sample_rate: f64) -> f64 {
    (-1.0 / (time_s * sample_rate).max(1e-9)).exp()
}

/// Per-channel level in the power domain (peak: x^2, RMS: 2 * mean square).
#[derive(Clone, Copy, Debug)]
pub struct LevelDetector {
    rms_keep: f64,
    mean_square: f64,
}

impl LevelDetector {
    pub fn new(sample_rate: f64) -> Self {
        Self { rms_keep: one_pole_keep(RMS_TIME_CONSTANT_S, sample_rate), mean_square: 0.0 }
    }

    pub fn reset(&mut self) {
        self.mean_square = 0.0;
    }

    /// Power-domain level; 10*log10 of it is the level in dB. The RMS state runs in both modes
    /// so a mode switch starts from a settled average instead of from silence.
    #[inline(always)]
    pub fn power(&mut self, mode: DetectorMode, x: f64) -> f64 {
        let square = x * x;
        self.mean_square = square + self.rms_keep * (self.mean_square - square);
        match mode {
            DetectorMode::Peak => square,
            DetectorMode::Rms => 2.0 * self.mean_square,
        }
    }

    pub fn flush_denormals(&mut self) {
        if self.mean_square < POWER_FLOOR * 1e-4 {
            self.mean_square = 0.0;
        }
    }
}

/// Smooth decoupled peak detector on gain reduction in dB (Giannoulis et al. 2012, eq. 17):
/// `y1 = max(x, a_R y1 + (1 - a_R) x)`, `y = a_A y + (1 - a_A) y1`. The release stage holds
/// peaks of the reduction; the attack stage then smooths it, so a step reaches 63 % at the
/// attack time and releases to 36.8 % after about release + attack.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ballistics {
    held: f64,
    smoothed: f64,
}

impl Ballistics {
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    pub fn gain_reduction_db(&self) -> f64 {
        self.smoothed
    }

    #[inline(always)]
    pub fn process(&mut self, target_db: f64, attack_keep: f64, release_keep: f64) -> f64 {
        self.held = target_db.max(target_db + release_keep * (self.held - target_db));
        self.smoothed = self.held + attack_keep * (self.smoothed - self.held);
        self.smoothed
    }

    /// Reduction decays geometrically towards 0 dB; cut it off before it turns denormal.
    pub fn flush_denormals(&mut self) {
        if self.held < 1e-12 {
            self.held = 0.0;
        }
        if self.smoothed < 1e-12 {
            self.smoothed = 0.0;
        }
    }
}

/// Crest factor over ~200 ms, turned into a release-time scale: `2 / C^2` (1 for a sine),
/// clamped to [`AUTO_RELEASE_MIN_SCALE`]..1. Peaky program releases faster, dense program at the
/// set time (Giannoulis et al. 2013; p-hlp/CTAGDRC `CrestFactor.cpp` uses the same law).
#[derive(Clone, Copy, Debug)]
pub struct CrestFactor {
    keep: f64,
    peak_square: f64,
    mean_square: f64,
}

impl CrestFactor {
    pub fn new(sample_rate: f64) -> Self {
        Self { keep: one_pole_keep(CREST_TIME_CONSTANT_S, sample_rate), peak_square: 0.0, mean_square: 0.0 }
    }

    pub fn reset(&mut self) {
        self.peak_square = 0.0;
        self.mean_square = 0.0;
    }

    #[inline(always)]
    pub fn release_scale(&mut self, square: f64) -> f64 {
        self.peak_square = square.max(square + self.keep * (self.peak_square - square));
        self.mean_square = square + self.keep * (self.mean_square - square);
        if self.peak_square <= POWER_FLOOR {
            return 1.0;
        }
        (2.0 * self.mean_square / self.peak_square).clamp(AUTO_RELEASE_MIN_SCALE, 1.0)
    }

    pub fn flush_denormals(&mut self) {
        if self.peak_square < POWER_FLOOR * 1e-4 {
            self.peak_square = 0.0;
            self.mean_square = 0.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crest_scale_is_one_for_a_sine_and_small_for_clicks() {
        let fs = 48_000.0;
        let mut sine = CrestFactor::new(fs);
        let mut scale = 0.0;
        for n in 0..48_000 {
            let x = (std::f64::consts::TAU * 440.0 * n as f64 / fs).sin();
            scale = sine.release_scale(x * x);
        }
        assert!((scale - 1.0).abs() < 0.05, "sine scale {scale}");
        let mut clicks = CrestFactor::new(fs);
        for n in 0..48_000 {
            let x = if n % 4800 == 0 { 1.0 } else { 0.001 };
            scale = clicks.release_scale(x * x);
        }
        assert!(scale < 0.1, "click scale {scale}");
    }

    #[test]
    fn rms_reads_a_sine_at_its_peak_level() {
        let fs = 48_000.0;
        let mut detector = LevelDetector::new(fs);
        let mut sum = 0.0;
        let period = 48; // 1 kHz
        for n in 0..48_000 {
            let x = 0.5 * (std::f64::consts::TAU * n as f64 / period as f64).sin();
            let p = detector.power(DetectorMode::Rms, x);
            if n >= 48_000 - 10 * period {
                sum += p;
            }
        }
        let level_db = 10.0 * (sum / (10 * period) as f64).log10();
        assert!((level_db - 20.0 * 0.5f64.log10()).abs() < 0.01, "{level_db}");
    }
}
