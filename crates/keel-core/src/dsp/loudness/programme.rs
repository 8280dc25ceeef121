//! Several measurements pooled into one programme: an album's integrated loudness and loudness
//! range, gated over the blocks of all its tracks together (what measuring the tracks played
//! back to back gives, up to the few blocks that would straddle two tracks). Block energies are
//! means, so tracks at different sample rates pool correctly.

use super::LoudnessMeter;
use super::gating::GatingHistogram;
use super::range::RangeHistogram;

#[derive(Clone, Debug, Default)]
pub struct ProgrammeLoudness {
    gating: GatingHistogram,
    range: RangeHistogram,
}

impl ProgrammeLoudness {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds everything `meter` has measured.
    pub fn add(&mut self, meter: &LoudnessMeter) {
        self.gating.merge(meter.gating());
        self.range.merge(meter.range());
    }

    /// Integrated loudness of the whole programme in LUFS (negative infinity if silent).
    pub fn integrated(&self) -> f64 {
        self.gating.integrated()
    }

    /// Loudness range of the whole programme in LU.
    pub fn loudness_range(&self) -> f64 {
        self.range.loudness_range()
    }
}
