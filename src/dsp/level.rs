//! Decibel conversions shared by the chain, the dynamics and the signal generators.

/// Linear gain of a level in dB (amplitude, 20 dB per decade).
pub fn db_to_gain(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}
