//! The level-matched compare: the unprocessed input, delayed by the chain's latency so it lines
//! up with the output, played at the processed output's loudness. The match gain is the
//! difference of the two short-term (3 s) loudnesses, followed with a 0.5 s time constant; it is
//! kept up to date while the compare is off, so switching it on needs no settling, and a 20 ms
//! crossfade makes the switch itself click-free.

use super::BlockGain;
use crate::dsp::delay::DelayLine;
use crate::dsp::level::all_finite;
use crate::dsp::loudness::{ChannelLayout, LoudnessMeter};
use crate::dsp::ramp::LinearRamp;

const MATCH_SECONDS: f64 = 0.5;
const CROSSFADE_SECONDS: f64 = 0.02;

pub struct LevelMatch {
    sample_rate: f64,
    delays: [DelayLine; 2],
    /// The current block's input, then (delayed) the compare signal.
    dry: [Box<[f32]>; 2],
    dry_len: usize,
    input_meter: LoudnessMeter,
    gain: BlockGain,
    /// 0: the processed output; 1: the matched input.
    mix: LinearRamp,
}

impl LevelMatch {
    /// For blocks of up to `max_block` frames of one or two channels, after a chain of `latency`
    /// samples. Everything is allocated here.
    pub fn new(sample_rate: f64, latency: usize, max_block: usize, channels: usize) -> Self {
        let layout = if channels == 1 { ChannelLayout::Mono } else { ChannelLayout::Stereo };
        let fade = ((CROSSFADE_SECONDS * sample_rate).round() as usize).max(1);
        Self {
            sample_rate,
            delays: [DelayLine::new(latency), DelayLine::new(latency)],
            dry: [vec![0.0; max_block].into_boxed_slice(), vec![0.0; max_block].into_boxed_slice()],
            dry_len: 0,
            input_meter: LoudnessMeter::with_layout(layout, sample_rate, false),
            gain: BlockGain::default(),
            mix: LinearRamp::new(0.0, fade),
        }
    }

    pub fn reset(&mut self) {
        self.delays.iter_mut().for_each(DelayLine::reset);
        self.input_meter.reset();
        self.gain = BlockGain::default();
    }

    /// Plays the matched input (true) or the processed output (false), crossfading.
    pub fn set_enabled(&mut self, on: bool) {
        self.mix.set_target(if on { 1.0 } else { 0.0 });
    }

    /// The gain the matched input gets, dB.
    pub fn gain_db(&self) -> f64 {
        self.gain.db
    }

    /// Whether any of the input is heard (on, or fading).
    pub fn is_audible(&self) -> bool {
        self.mix.current() > 0.0 || self.mix.is_ramping()
    }

    /// Keeps the block the chain is about to process (`right` None for mono); up to `max_block`
    /// frames are kept.
    pub fn capture_input(&mut self, left: &[f32], right: Option<&[f32]>) {
        let n = left.len().min(self.dry[0].len());
        self.dry[0][..n].copy_from_slice(&left[..n]);
        self.dry[1][..n].copy_from_slice(&right.unwrap_or(left)[..n]);
        self.dry_len = n;
        // As the chain does: a block holding NaN or infinity becomes silence.
        if !(all_finite(&self.dry[0][..n]) && all_finite(&self.dry[1][..n])) {
            self.dry[0][..n].fill(0.0);
            self.dry[1][..n].fill(0.0);
        }
    }

    /// After the chain: measures the aligned input, moves the match gain toward the processed
    /// output's short-term loudness `processed_short_term`, and mixes in the matched input
    /// while on. The captured block must be this block's.
    pub fn process(&mut self, left: &mut [f32], right: Option<&mut [f32]>, processed_short_term: f64) {
        let n = self.dry_len.min(left.len());
        let audible = self.is_audible();
        let [dry_left, dry_right] = &mut self.dry;
        let (dry_left, dry_right) = (&mut dry_left[..n], &mut dry_right[..n]);
        self.delays[0].process(dry_left);
        self.delays[1].process(dry_right);
        if right.is_some() {
            self.input_meter.process(&[dry_left, dry_right]);
        } else {
            self.input_meter.process(&[dry_left]);
        }
        let input_short_term = self.input_meter.reading().short_term;
        // Until both short-term loudnesses exist, the gain stays where it is.
        let wanted = if processed_short_term.is_finite() && input_short_term.is_finite() {
            processed_short_term - input_short_term
        } else {
            self.gain.db
        };
        let ramp = self.gain.follow(wanted, MATCH_SECONDS, self.sample_rate, n);
        if !audible {
            return;
        }
        let mut right = right;
        for i in 0..n {
            let mix = self.mix.advance() as f32;
            let gain = ramp.at(i) as f32;
            left[i] += mix * (gain * dry_left[i] - left[i]);
            if let Some(r) = right.as_deref_mut() {
                r[i] += mix * (gain * dry_right[i] - r[i]);
            }
        }
    }
}
