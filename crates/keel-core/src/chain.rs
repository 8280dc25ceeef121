//! The whole signal path, framework-free: EQ -> compressor -> limiter -> output gain -> dither, with
//! bypass. The plugin and the
//! `keel` command both run this, so a render and a DAW bounce are the same audio.
//!
//! Settings arrive as plain values once per host block; all smoothing lives here and advances
//! per sample (or on the EQ's fixed tick grid), so output does not depend on block sizes.

use crate::dsp::compressor::{Compressor, CompressorSettings};
use crate::dsp::delay::DelayLine;
use crate::dsp::dither::{Dither, DitherSettings};
use crate::dsp::eq::design::BandSettings;
use crate::dsp::eq::{BANDS, Equalizer};
use crate::dsp::level::{all_finite, db_to_gain};
use crate::dsp::limiter::{Limiter, LimiterSettings};
use crate::dsp::ramp::LinearRamp;

/// Internal chunk for the dry copy used by the bypass crossfade.
const CHUNK: usize = 256;
const GAIN_RAMP_SECONDS: f64 = 0.02;
const BYPASS_FADE_SECONDS: f64 = 0.01;

/// Everything the chain needs to know, in natural units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChainSettings {
    pub eq: [BandSettings; BANDS],
    pub compressor: CompressorSettings,
    pub limiter: LimiterSettings,
    pub out_gain_db: f64,
    pub bypass: bool,
    /// The last stage, after the output gain; skipped while fully bypassed.
    pub dither: DitherSettings,
}

impl Default for ChainSettings {
    fn default() -> Self {
        Self {
            eq: [BandSettings::default(); BANDS],
            compressor: CompressorSettings { enabled: false, ..CompressorSettings::default() },
            limiter: LimiterSettings { enabled: false, ..LimiterSettings::default() },
            out_gain_db: 0.0,
            bypass: false,
            dither: DitherSettings::default(),
        }
    }
}

pub struct Chain {
    sample_rate: f64,
    eq: Equalizer,
    compressor: Compressor,
    limiter: Limiter,
    /// The dry signal for bypass, delayed by the chain's latency.
    dry_delay: [DelayLine; 2],
    out_gain: LinearRamp,
    /// 0 = processed, 1 = bypassed.
    bypass: LinearRamp,
    dither: Dither,
    settings: ChainSettings,
    needs_snap: bool,
    dry: [[f32; CHUNK]; 2],
    non_finite_blocks: u64,
    /// Over the last `process` call: compressor and limiter gain reduction (dB) and the
    /// compressor's detector level (dB), for the meters.
    block_gain_reduction_db: (f32, f32),
    block_detector_db: f32,
}

impl Chain {
    pub fn new(sample_rate: f64) -> Self {
        Self {
            sample_rate,
            eq: Equalizer::new(sample_rate),
            compressor: Compressor::new(sample_rate, 0),
            limiter: Limiter::new(sample_rate),
            dry_delay: [DelayLine::new(Limiter::latency_for(sample_rate)), DelayLine::new(Limiter::latency_for(sample_rate))],
            out_gain: LinearRamp::new(1.0, (GAIN_RAMP_SECONDS * sample_rate) as usize),
            bypass: LinearRamp::new(0.0, (BYPASS_FADE_SECONDS * sample_rate) as usize),
            dither: Dither::new(sample_rate),
            settings: ChainSettings::default(),
            needs_snap: true,
            dry: [[0.0; CHUNK]; 2],
            non_finite_blocks: 0,
            block_gain_reduction_db: (0.0, 0.0),
            block_detector_db: f32::NEG_INFINITY,
        }
    }

    pub fn sample_rate(&self) -> f64 {
        self.sample_rate
    }

    /// Latency in samples, fixed for the sample rate (the same in bypass).
    pub fn latency(&self) -> usize {
        self.compressor.latency() + self.limiter.latency()
    }

    /// Latency a chain at this sample rate reports, without building one.
    pub fn latency_for(sample_rate: f64) -> usize {
        Limiter::latency_for(sample_rate)
    }

    pub fn settings(&self) -> &ChainSettings {
        &self.settings
    }

    /// Blocks that contained NaN or infinity and were replaced by silence.
    pub fn non_finite_blocks(&self) -> u64 {
        self.non_finite_blocks
    }

    /// New targets; they are reached smoothly unless this is the first call after a reset.
    pub fn set_settings(&mut self, settings: &ChainSettings) {
        self.settings = *settings;
        self.eq.set_bands(&settings.eq);
        self.compressor.set_params(&settings.compressor);
        self.limiter.set_params(&settings.limiter);
        self.out_gain.set_target(db_to_gain(settings.out_gain_db));
        self.bypass.set_target(if settings.bypass { 1.0 } else { 0.0 });
        self.dither.set(settings.dither);
        if self.needs_snap {
            self.needs_snap = false;
            self.eq.snap();
            self.out_gain.snap();
            self.bypass.snap();
        }
    }

    /// Clears all signal state and returns the dither to sample position 0; the next
    /// `set_settings` applies without smoothing.
    pub fn reset(&mut self) {
        self.clear_signal_state();
        self.dither.reset();
        self.needs_snap = true;
        let settings = self.settings;
        self.set_settings(&settings);
    }

    fn clear_signal_state(&mut self) {
        self.eq.reset();
        self.compressor.reset();
        self.limiter.reset();
        self.dry_delay.iter_mut().for_each(DelayLine::reset);
    }

    /// Largest gain reduction of the compressor and the limiter during the last block, in dB.
    pub fn gain_reduction_db(&self) -> (f32, f32) {
        self.block_gain_reduction_db
    }

    /// The compressor's highest detector level in the last block, dB.
    pub fn compressor_detector_db(&self) -> f32 {
        self.block_detector_db
    }

    pub fn is_smoothing(&self) -> bool {
        self.eq.is_smoothing() || self.out_gain.is_ramping() || self.bypass.is_ramping()
    }

    pub fn equalizer(&self) -> &Equalizer {
        &self.eq
    }

    /// Processes planar stereo in place. A block with NaN or infinity comes out silent and the
    /// signal state is cleared, so the next clean block plays normally.
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let len = left.len().min(right.len());
        let (left, right) = (&mut left[..len], &mut right[..len]);
        self.block_gain_reduction_db = (0.0, 0.0);
        self.block_detector_db = f32::NEG_INFINITY;
        if !(all_finite(left) && all_finite(right)) {
            left.fill(0.0);
            right.fill(0.0);
            self.non_finite_blocks += 1;
            self.clear_signal_state();
            self.dither.skip(len);
            return;
        }
        for (l, r) in left.chunks_mut(CHUNK).zip(right.chunks_mut(CHUNK)) {
            self.process_chunk(l, r);
        }
    }

    fn process_chunk(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len();
        self.dry[0][..n].copy_from_slice(left);
        self.dry[1][..n].copy_from_slice(right);
        self.dry_delay[0].process(&mut self.dry[0][..n]);
        self.dry_delay[1].process(&mut self.dry[1][..n]);
        self.eq.process(left, right);
        self.compressor.process(left, right);
        self.limiter.process(left, right);
        let (comp_gr, lim_gr) = &mut self.block_gain_reduction_db;
        *comp_gr = comp_gr.max(self.compressor.gain_reduction_db());
        *lim_gr = lim_gr.max(self.limiter.gain_reduction_db());
        self.block_detector_db = self.block_detector_db.max(self.compressor.detector_level_db());
        // Samples fully bypassed in this chunk: a prefix or a suffix, as the bypass ramp moves
        // one way between settings.
        let mut bypassed = 0..0;
        if !self.out_gain.is_ramping() && !self.bypass.is_ramping() && self.bypass.current() == 0.0 {
            // Steady and not bypassed: the same arithmetic as the loop below, without the ramps'
            // per-sample steps, so it vectorises.
            let gain = self.out_gain.current();
            for (channel, dry) in [&mut *left, &mut *right].into_iter().zip(&self.dry) {
                for (x, &d) in channel.iter_mut().zip(dry) {
                    let wet = f64::from(*x) * gain;
                    *x = (wet + (f64::from(d) - wet) * 0.0) as f32;
                }
            }
            self.dither.process(left, right);
            return;
        }
        for i in 0..n {
            let gain = self.out_gain.advance();
            let bypass = self.bypass.advance();
            let wet_l = f64::from(left[i]) * gain;
            let wet_r = f64::from(right[i]) * gain;
            if bypass == 1.0 {
                // Fully bypassed is bit-exact dry.
                left[i] = self.dry[0][i];
                right[i] = self.dry[1][i];
                bypassed = if bypassed.is_empty() { i..i + 1 } else { bypassed.start..i + 1 };
                continue;
            }
            let (dry_l, dry_r) = (f64::from(self.dry[0][i]), f64::from(self.dry[1][i]));
            left[i] = (wet_l + (dry_l - wet_l) * bypass) as f32;
            right[i] = (wet_r + (dry_r - wet_r) * bypass) as f32;
        }
        // Dither last; bypassed samples pass undithered and the shaping filter restarts after.
        self.dither.process(&mut left[..bypassed.start], &mut right[..bypassed.start]);
        self.dither.skip(bypassed.len());
        self.dither.process(&mut left[bypassed.end..], &mut right[bypassed.end..]);
    }
}
