//! Dither and noise shaping: the chain's last stage, where a master is quantized to the word
//! length it will be delivered at (docs/dsp-notes.md §5).
//!
//! - Flat TPDF: triangular dither of +-1 LSB peak added before rounding, so the error is white,
//!   independent of the signal and of power step^2/4 (step^2/6 of dither, step^2/12 of rounding).
//! - Shaped: the same dither with the total error fed back through a 9-tap F-weighted filter
//!   (Wannamaker 1992): the noise moves away from 1 to 5 kHz, where hearing is most sensitive,
//!   to above 12 kHz. The noise transfer function is `1 - H(z)`, [`noise_transfer_db`].
//!
//! The output is on the target grid (`k / 2^(bits-1)`), still as f32, so a host or the command
//! writing that word length stores it exactly. The random numbers are a hash of the absolute
//! sample position and the channel, so the result does not depend on block sizes and a render
//! equals a bounce from the first sample. Exact digital silence (a run of exact zeros at least
//! [`BLANK_AFTER_SECONDS`] long) comes out as exact silence: no dither noise on a silent tail or
//! between tracks, and the shaping filter starts clean afterwards.

use crate::params::Choice;

/// Off, flat TPDF, or TPDF with noise shaping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DitherMode {
    Off,
    Tpdf,
    Shaped,
}

impl Choice for DitherMode {
    const IDS: &'static [&'static str] = &["off", "tpdf", "shaped"];
    const NAMES: &'static [&'static str] = &["Off", "TPDF", "Noise shaped"];
    fn index(self) -> usize {
        self as usize
    }
    fn from_index(index: usize) -> Self {
        match index {
            1 => Self::Tpdf,
            2 => Self::Shaped,
            _ => Self::Off,
        }
    }
}

/// The word length dither quantizes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DitherBits(u8);

impl DitherBits {
    pub const CHOICES: [u32; 3] = [16, 20, 24];

    pub fn bits(self) -> u32 {
        Self::CHOICES[usize::from(self.0)]
    }

    /// The choice for `bits` (16, 20 or 24).
    pub fn from_bits(bits: u32) -> Option<Self> {
        Self::CHOICES.iter().position(|b| *b == bits).map(|i| Self(i as u8))
    }
}

impl Choice for DitherBits {
    const IDS: &'static [&'static str] = &["16", "20", "24"];
    const NAMES: &'static [&'static str] = &["16 bit", "20 bit", "24 bit"];
    fn index(self) -> usize {
        usize::from(self.0)
    }
    fn from_index(index: usize) -> Self {
        Self(if index < Self::CHOICES.len() { index as u8 } else { 0 })
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DitherSettings {
    pub mode: DitherMode,
    pub bits: u32,
}

impl Default for DitherSettings {
    fn default() -> Self {
        Self { mode: DitherMode::Off, bits: 24 }
    }
}

/// The F-weighted error-feedback filter H(z) = sum h[k] z^-(k+1), for 44.1 and 48 kHz
/// (Wannamaker, "Psychoacoustically optimal noise shaping", JAES 1992).
pub const SHAPING_TAPS: [f64; 9] = [2.412, -3.370, 3.937, -4.174, 3.353, -2.205, 1.281, -0.569, 0.0847];

/// A run of exact zeros this long (per channel) is passed on as exact zeros.
pub const BLANK_AFTER_SECONDS: f64 = 0.5;

/// Fed-back error is kept within this many steps. In normal operation it stays within 1.5
/// (0.5 of rounding, 1 of dither); the bound only guards the loop.
const ERROR_LIMIT: f64 = 2.0;

const SEED: u64 = 0x6b65_656c_6469_7468;

/// Gain of the noise transfer function `1 - H` at `freq` for `sample_rate`, in dB.
pub fn noise_transfer_db(freq: f64, sample_rate: f64) -> f64 {
    let w = std::f64::consts::TAU * freq / sample_rate;
    let (mut re, mut im) = (1.0, 0.0);
    for (k, h) in SHAPING_TAPS.iter().enumerate() {
        let angle = w * (k + 1) as f64;
        re -= h * angle.cos();
        im += h * angle.sin();
    }
    10.0 * (re * re + im * im).log10()
}

/// Triangular dither for sample `position` of `channel`, in steps: the difference of two
/// uniform numbers from one hash of the position (SplitMix64's finaliser).
#[inline(always)]
fn tpdf(position: u64, channel: usize) -> f64 {
    let mut z = SEED ^ position.wrapping_mul(2).wrapping_add(channel as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    const UNIT: f64 = 1.0 / 4_294_967_296.0;
    ((z >> 32) as f64 - (z & 0xFFFF_FFFF) as f64) * UNIT
}

/// The dither stage for two channels.
#[derive(Clone, Debug)]
pub struct Dither {
    settings: DitherSettings,
    /// Steps per unit of full scale: 2^(bits-1).
    scale: f64,
    /// Samples since the last reset (the random sequence's index).
    position: u64,
    /// Past total errors, newest first, per channel.
    errors: [[f64; SHAPING_TAPS.len()]; 2],
    /// Exact zeros in a row, per channel.
    zeros: [u64; 2],
    blank_after: u64,
}

impl Dither {
    pub fn new(sample_rate: f64) -> Self {
        let settings = DitherSettings::default();
        Self {
            settings,
            scale: f64::from(1u32 << (settings.bits - 1)),
            position: 0,
            errors: [[0.0; SHAPING_TAPS.len()]; 2],
            zeros: [0; 2],
            blank_after: (BLANK_AFTER_SECONDS * sample_rate).round().max(1.0) as u64,
        }
    }

    pub fn settings(&self) -> DitherSettings {
        self.settings
    }

    /// A new mode or word length takes effect at once, with the shaping filter cleared.
    pub fn set(&mut self, settings: DitherSettings) {
        let bits = if DitherBits::from_bits(settings.bits).is_some() { settings.bits } else { 24 };
        let settings = DitherSettings { bits, ..settings };
        if settings != self.settings {
            self.settings = settings;
            self.scale = f64::from(1u32 << (bits - 1));
            self.clear_filter();
        }
    }

    /// Back to sample position 0 with a clean filter.
    pub fn reset(&mut self) {
        self.position = 0;
        self.clear_filter();
        self.zeros = [0; 2];
    }

    fn clear_filter(&mut self) {
        self.errors = [[0.0; SHAPING_TAPS.len()]; 2];
    }

    /// Advances the position over `frames` not dithered (bypass, a silenced bad block), so the
    /// sequence stays tied to the absolute position; the filter starts clean afterwards.
    pub fn skip(&mut self, frames: usize) {
        if frames > 0 {
            self.position += frames as u64;
            self.clear_filter();
        }
    }

    /// Quantizes planar stereo in place (a no-op when off).
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let frames = left.len().min(right.len());
        match self.settings.mode {
            DitherMode::Off => {}
            DitherMode::Tpdf => {
                for (channel, samples) in [&mut left[..frames], &mut right[..frames]].into_iter().enumerate() {
                    self.run::<false>(channel, samples);
                }
            }
            DitherMode::Shaped => {
                for (channel, samples) in [&mut left[..frames], &mut right[..frames]].into_iter().enumerate() {
                    self.run::<true>(channel, samples);
                }
            }
        }
        self.position += frames as u64;
    }

    #[inline(always)]
    fn run<const SHAPED: bool>(&mut self, channel: usize, samples: &mut [f32]) {
        let (scale, inverse) = (self.scale, 1.0 / self.scale);
        let errors = &mut self.errors[channel];
        let zeros = &mut self.zeros[channel];
        for (i, sample) in samples.iter_mut().enumerate() {
            if *sample == 0.0 {
                *zeros += 1;
                if *zeros >= self.blank_after {
                    if *zeros == self.blank_after {
                        *errors = [0.0; SHAPING_TAPS.len()];
                    }
                    continue;
                }
            } else {
                *zeros = 0;
            }
            let wanted = f64::from(*sample) * scale;
            let shaped = if SHAPED {
                wanted - SHAPING_TAPS.iter().zip(errors.iter()).map(|(h, e)| h * e).sum::<f64>()
            } else {
                wanted
            };
            let quantized = (shaped + tpdf(self.position + i as u64, channel)).round();
            if SHAPED {
                errors.copy_within(..SHAPING_TAPS.len() - 1, 1);
                errors[0] = (quantized - shaped).clamp(-ERROR_LIMIT, ERROR_LIMIT);
            }
            // Exact in f32: a whole number of steps, at most 2^24 of them.
            *sample = (quantized * inverse) as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tpdf_is_triangular_and_tied_to_the_position() {
        let n = 200_000;
        let values: Vec<f64> = (0..n).map(|i| tpdf(i, 0)).collect();
        let mean = values.iter().sum::<f64>() / n as f64;
        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01 && (variance - 1.0 / 6.0).abs() < 0.005, "mean {mean}, variance {variance}");
        assert!(values.iter().all(|v| v.abs() < 1.0));
        assert_eq!(tpdf(12_345, 1), tpdf(12_345, 1));
        assert_ne!(tpdf(12_345, 0), tpdf(12_345, 1));
    }

    #[test]
    fn output_lies_on_the_grid_and_silence_stays_silent() {
        for mode in [DitherMode::Tpdf, DitherMode::Shaped] {
            let mut dither = Dither::new(48_000.0);
            dither.set(DitherSettings { mode, bits: 16 });
            let mut left: Vec<f32> = (0..48_000).map(|i| (i as f32 * 0.01).sin() * 0.3).collect();
            let mut right = vec![0.0f32; 48_000];
            dither.process(&mut left, &mut right);
            assert!(left.iter().all(|x| (x * 32_768.0).fract() == 0.0));
            assert!(right[24_000..].iter().all(|x| *x == 0.0), "{mode:?}: a silent channel goes silent");
        }
    }

    #[test]
    fn the_shaping_filter_is_f_weighted() {
        // Deepest near 3-4 kHz, rising to about +25 dB at 20 kHz (44.1 kHz).
        assert!(noise_transfer_db(3_500.0, 44_100.0) < -20.0);
        assert!(noise_transfer_db(20_000.0, 44_100.0) > 20.0);
        assert!(noise_transfer_db(100.0, 44_100.0) < -10.0);
    }
}
