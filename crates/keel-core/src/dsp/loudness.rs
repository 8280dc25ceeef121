//! BS.1770-5 / EBU R128 loudness meter: momentary, short-term, integrated, loudness range, their
//! maxima, sample peak and true peak, for mono, stereo, 5.0 and 5.1.
//!
//! What is measured when:
//! - Audio is cut into 10 ms sub-blocks on a grid that starts with the measurement (see
//!   [`windows`]); each holds the channel-weighted sum of K-weighted squares.
//! - Every 100 ms (ten sub-blocks) the displayed momentary (last 400 ms) and short-term (last
//!   3 s) values update, the 400 ms gating block enters the integrated histogram and the 3 s value
//!   enters the loudness-range histogram. M first appears after 400 ms, S after 3 s.
//! - Maximum momentary and short-term are taken on the finer 10 ms grid: a 400 ms burst that
//!   starts between two 100 ms updates would otherwise be under-read by up to 0.45 LU (Tech 3341
//!   case 13). On the 100 ms grid alone they would equal the maxima of the displayed values.
//! - Two true peaks are kept per channel: the BS.1770 Annex 2 reading and the full-band
//!   [`Reconstructor`](super::true_peak::Reconstructor) reading. They trail the input by the
//!   interpolators' latency (up to 51 samples), so the live readings are floored by the sample
//!   peak and [`LoudnessMeter::final_reading`] adds the still-buffered tail for the end of a file.
//! - [`programme::ProgrammeLoudness`] pools meters (the tracks of an album) into one programme.
//!
//! Results are identical for any split of the input into blocks. Nothing allocates after
//! [`LoudnessMeter::new`].

pub mod gating;
pub mod programme;
pub mod range;
pub mod windows;

use super::k_weighting::KWeighting;
use super::level::amplitude_to_db;
use super::true_peak::{ChannelTruePeaks, TruePeaks};
use gating::{GatingHistogram, energy_to_lufs};
use range::RangeHistogram;
use windows::{MOMENTARY_SUB_BLOCKS, SHORT_TERM_SUB_BLOCKS, SubBlockWindows};

/// Loudness range is flagged unstable until this much audio was measured (Tech 3341).
const LRA_STABLE_SECONDS: f64 = 60.0;
/// BS.1770 weight of the surround channels (about +1.5 dB).
const SURROUND_WEIGHT: f64 = 1.41;

/// Channel layouts the meter accepts, identified by channel count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelLayout {
    Mono,
    Stereo,
    /// L R C Ls Rs.
    Surround50,
    /// L R C LFE Ls Rs; the LFE is not part of the loudness (it still counts for peaks).
    Surround51,
}

/// A channel count the meter has no layout for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnsupportedChannels(pub usize);

impl std::fmt::Display for UnsupportedChannels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} channels: the loudness meter measures 1, 2, 5 or 6 channels (L R C [LFE] Ls Rs)",
            self.0
        )
    }
}

impl std::error::Error for UnsupportedChannels {}

impl ChannelLayout {
    pub fn from_channel_count(channels: usize) -> Option<Self> {
        match channels {
            1 => Some(Self::Mono),
            2 => Some(Self::Stereo),
            5 => Some(Self::Surround50),
            6 => Some(Self::Surround51),
            _ => None,
        }
    }

    pub fn channel_count(self) -> usize {
        match self {
            Self::Mono => 1,
            Self::Stereo => 2,
            Self::Surround50 => 5,
            Self::Surround51 => 6,
        }
    }

    /// BS.1770 weight of each input channel (0 for the LFE).
    pub fn weights(self) -> &'static [f64] {
        match self {
            Self::Mono => &[1.0],
            Self::Stereo => &[1.0, 1.0],
            Self::Surround50 => &[1.0, 1.0, 1.0, SURROUND_WEIGHT, SURROUND_WEIGHT],
            Self::Surround51 => &[1.0, 1.0, 1.0, 0.0, SURROUND_WEIGHT, SURROUND_WEIGHT],
        }
    }
}

/// One snapshot of the meter. LUFS, LU and dB; negative infinity where not yet defined
/// (M before 400 ms, S before 3 s, I and LRA before a block passed the gates, peaks of silence).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoudnessReading {
    pub momentary: f64,
    pub short_term: f64,
    pub integrated: f64,
    pub loudness_range: f64,
    /// False for the first 60 s of measured audio.
    pub lra_stable: bool,
    pub max_momentary: f64,
    pub max_short_term: f64,
    /// BS.1770 true peak (Annex 2 4x, floored by the sample peak): what platforms and the
    /// target table use.
    pub true_peak_dbtp: f64,
    /// Full-band reconstructed peak (a DAC's view, `true_peak::Reconstructor`), floored by the
    /// sample peak.
    pub reconstructed_peak_dbtp: f64,
    pub sample_peak_dbfs: f64,
}

/// K-weighting and energy accumulation for the `N` weighted channels, as lanes.
#[derive(Clone, Debug)]
struct WeightedChannels<const N: usize> {
    filter: KWeighting<N>,
    /// Input channel index of each lane.
    inputs: [usize; N],
    weights: [f64; N],
    energy: [f64; N],
}

impl<const N: usize> WeightedChannels<N> {
    fn new(sample_rate: f64, layout: ChannelLayout) -> Self {
        let all = layout.weights();
        let mut inputs = [0; N];
        let mut weights = [0.0; N];
        for (lane, (channel, &weight)) in all
            .iter()
            .enumerate()
            .filter(|(_, w)| **w > 0.0)
            .enumerate()
        {
            inputs[lane] = channel;
            weights[lane] = weight;
        }
        Self {
            filter: KWeighting::new(sample_rate),
            inputs,
            weights,
            energy: [0.0; N],
        }
    }

    fn accumulate(&mut self, channels: &[&[f32]], start: usize, frames: usize) {
        let inputs = self.inputs.map(|c| &channels[c][start..]);
        self.filter
            .accumulate_energy(inputs, frames, &mut self.energy);
    }

    /// Weighted energy of the sub-block just finished; starts the next one.
    fn take_weighted_energy(&mut self) -> f64 {
        let sum = self
            .energy
            .iter()
            .zip(&self.weights)
            .map(|(e, w)| e * w)
            .sum();
        self.energy = [0.0; N];
        self.filter.flush_denormals();
        sum
    }

    fn reset(&mut self) {
        self.filter.reset();
        self.energy = [0.0; N];
    }
}

#[derive(Clone, Debug)]
enum Weighting {
    Mono(WeightedChannels<1>),
    Stereo(WeightedChannels<2>),
    Surround(WeightedChannels<5>),
}

impl Weighting {
    fn new(sample_rate: f64, layout: ChannelLayout) -> Self {
        match layout {
            ChannelLayout::Mono => Self::Mono(WeightedChannels::new(sample_rate, layout)),
            ChannelLayout::Stereo => Self::Stereo(WeightedChannels::new(sample_rate, layout)),
            ChannelLayout::Surround50 | ChannelLayout::Surround51 => {
                Self::Surround(WeightedChannels::new(sample_rate, layout))
            }
        }
    }

    fn accumulate(&mut self, channels: &[&[f32]], start: usize, frames: usize) {
        match self {
            Self::Mono(w) => w.accumulate(channels, start, frames),
            Self::Stereo(w) => w.accumulate(channels, start, frames),
            Self::Surround(w) => w.accumulate(channels, start, frames),
        }
    }

    fn take_weighted_energy(&mut self) -> f64 {
        match self {
            Self::Mono(w) => w.take_weighted_energy(),
            Self::Stereo(w) => w.take_weighted_energy(),
            Self::Surround(w) => w.take_weighted_energy(),
        }
    }

    fn reset(&mut self) {
        match self {
            Self::Mono(w) => w.reset(),
            Self::Stereo(w) => w.reset(),
            Self::Surround(w) => w.reset(),
        }
    }
}

/// The loudness meter. Feed planar blocks of any length to [`Self::process`]; read with
/// [`Self::reading`].
#[derive(Clone, Debug)]
pub struct LoudnessMeter {
    layout: ChannelLayout,
    sample_rate: f64,
    weighting: Weighting,
    /// Frames still missing from the sub-block being filled.
    sub_block_remaining: usize,
    windows: SubBlockWindows,
    gating: GatingHistogram,
    range: RangeHistogram,
    true_peaks: Box<[ChannelTruePeaks]>,
    true_peak_enabled: bool,
    sample_peaks: Box<[f32]>,
    paused: bool,
    frames_measured: u64,
    momentary: f64,
    short_term: f64,
    integrated: f64,
    loudness_range: f64,
    max_momentary: f64,
    max_short_term: f64,
}

impl LoudnessMeter {
    /// `channels`: 1 (mono), 2 (stereo), 5 (L R C Ls Rs) or 6 (L R C LFE Ls Rs). Any sample rate
    /// from 8 kHz to 384 kHz.
    pub fn new(channels: usize, sample_rate: f64) -> Result<Self, UnsupportedChannels> {
        Self::with_true_peak(channels, sample_rate, true)
    }

    /// As [`Self::new`]; with `true_peak` false the true-peak interpolators never run and every
    /// true-peak value reads negative infinity (sample peaks are still measured).
    pub fn with_true_peak(
        channels: usize,
        sample_rate: f64,
        true_peak: bool,
    ) -> Result<Self, UnsupportedChannels> {
        let layout =
            ChannelLayout::from_channel_count(channels).ok_or(UnsupportedChannels(channels))?;
        Ok(Self::with_layout(layout, sample_rate, true_peak))
    }

    /// A meter for `layout`: always valid.
    pub fn with_layout(layout: ChannelLayout, sample_rate: f64, true_peak: bool) -> Self {
        let channels = layout.channel_count();
        let windows = SubBlockWindows::new(sample_rate);
        Self {
            layout,
            sample_rate,
            weighting: Weighting::new(sample_rate, layout),
            sub_block_remaining: windows.current_length(),
            windows,
            gating: GatingHistogram::new(),
            range: RangeHistogram::new(),
            true_peaks: (0..channels)
                .map(|_| ChannelTruePeaks::new(sample_rate))
                .collect(),
            true_peak_enabled: true_peak,
            sample_peaks: vec![0.0; channels].into_boxed_slice(),
            paused: false,
            frames_measured: 0,
            momentary: f64::NEG_INFINITY,
            short_term: f64::NEG_INFINITY,
            integrated: f64::NEG_INFINITY,
            loudness_range: f64::NEG_INFINITY,
            max_momentary: f64::NEG_INFINITY,
            max_short_term: f64::NEG_INFINITY,
        }
    }

    pub fn channels(&self) -> usize {
        self.layout.channel_count()
    }

    pub fn true_peak_enabled(&self) -> bool {
        self.true_peak_enabled
    }

    pub fn layout(&self) -> ChannelLayout {
        self.layout
    }

    pub fn sample_rate(&self) -> f64 {
        self.sample_rate
    }

    /// Frames measured since construction or the last reset (paused audio excluded).
    pub fn frames_measured(&self) -> u64 {
        self.frames_measured
    }

    /// Samples by which the live true-peak reading trails the input.
    pub fn true_peak_latency(&self) -> usize {
        self.true_peaks[0].latency()
    }

    /// Clears every reading, window, histogram, filter and peak; the pause state is kept.
    pub fn reset(&mut self) {
        self.weighting.reset();
        self.windows.reset();
        self.sub_block_remaining = self.windows.current_length();
        self.gating.reset();
        self.range.reset();
        self.true_peaks.iter_mut().for_each(ChannelTruePeaks::reset);
        self.sample_peaks.fill(0.0);
        self.frames_measured = 0;
        self.momentary = f64::NEG_INFINITY;
        self.short_term = f64::NEG_INFINITY;
        self.integrated = f64::NEG_INFINITY;
        self.loudness_range = f64::NEG_INFINITY;
        self.max_momentary = f64::NEG_INFINITY;
        self.max_short_term = f64::NEG_INFINITY;
    }

    /// While paused, [`Self::process`] ignores its input entirely; on resume the measurement
    /// continues as if the paused audio had never been there.
    pub fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
    }

    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Measures one planar block: `channels[c]` is channel `c`, all of the same length (any,
    /// including 0). Non-finite samples count as silence. A block with another channel count
    /// than the meter's is a caller's mistake: it is skipped (and trips a debug assertion).
    pub fn process(&mut self, channels: &[&[f32]]) {
        debug_assert_eq!(
            channels.len(),
            self.channels(),
            "loudness meter: wrong channel count"
        );
        if self.paused || channels.len() != self.channels() {
            return;
        }
        let frames = channels.iter().map(|c| c.len()).min().unwrap_or(0);
        let mut start = 0;
        while start < frames {
            let n = (frames - start).min(self.sub_block_remaining);
            self.weighting.accumulate(channels, start, n);
            self.sub_block_remaining -= n;
            start += n;
            if self.sub_block_remaining == 0 {
                self.close_sub_block();
            }
        }
        for (c, samples) in channels.iter().enumerate() {
            let samples = &samples[..frames];
            self.sample_peaks[c] = self.sample_peaks[c].max(crate::dsp::level::peak(samples));
            if self.true_peak_enabled {
                self.true_peaks[c].process(samples);
            }
        }
        self.frames_measured += frames as u64;
    }

    fn close_sub_block(&mut self) {
        let frames = self.windows.current_length();
        self.windows
            .push(self.weighting.take_weighted_energy(), frames);
        self.sub_block_remaining = self.windows.current_length();

        let momentary = self.windows.mean_energy(MOMENTARY_SUB_BLOCKS);
        let short_term = self.windows.mean_energy(SHORT_TERM_SUB_BLOCKS);
        if let Some(energy) = momentary {
            self.max_momentary = self.max_momentary.max(energy_to_lufs(energy));
        }
        if let Some(energy) = short_term {
            self.max_short_term = self.max_short_term.max(energy_to_lufs(energy));
        }
        if !self.windows.at_hop_boundary() {
            return;
        }
        if let Some(energy) = momentary {
            self.momentary = energy_to_lufs(energy);
            self.gating.add(energy);
            self.integrated = self.gating.integrated();
        }
        if let Some(energy) = short_term {
            self.short_term = energy_to_lufs(energy);
            self.range.add(energy);
            self.loudness_range = self.range.loudness_range();
        }
    }

    /// The current values. The true peaks cover the input up to [`Self::true_peak_latency`]
    /// samples ago, floored by the sample peak of everything measured.
    pub fn reading(&self) -> LoudnessReading {
        let peaks = self
            .true_peaks
            .iter()
            .map(ChannelTruePeaks::peaks)
            .fold(TruePeaks::default(), TruePeaks::max);
        self.reading_with_true_peaks(peaks)
    }

    /// [`Self::reading`] with the true peaks also covering the last samples and the ringing
    /// after them, as if silence followed: the values for a finished file. Does not change the
    /// state.
    pub fn final_reading(&self) -> LoudnessReading {
        self.final_reading_with_true_peaks(
            self.true_peaks
                .iter()
                .map(ChannelTruePeaks::peaks_with_tail)
                .fold(TruePeaks::default(), TruePeaks::max),
        )
    }

    /// [`Self::final_reading`] with the true peaks tracked elsewhere (on another thread, say, by
    /// a [`ChannelTruePeaks`] per channel fed the same samples): the maximum of their
    /// `peaks_with_tail`, floored by the sample peak as always.
    pub fn final_reading_with_true_peaks(&self, peaks: TruePeaks) -> LoudnessReading {
        let sample_peak = crate::dsp::level::peak(&self.sample_peaks);
        LoudnessReading {
            true_peak_dbtp: amplitude_to_db(peaks.bs1770.max(sample_peak)),
            reconstructed_peak_dbtp: amplitude_to_db(peaks.reconstructed.max(sample_peak)),
            ..self.reading_with_true_peaks(peaks)
        }
    }

    fn reading_with_true_peaks(&self, peaks: TruePeaks) -> LoudnessReading {
        let sample_peak = crate::dsp::level::peak(&self.sample_peaks);
        let floored = |peak: f32| {
            if self.true_peak_enabled {
                amplitude_to_db(peak.max(sample_peak))
            } else {
                f64::NEG_INFINITY
            }
        };
        LoudnessReading {
            momentary: self.momentary,
            short_term: self.short_term,
            integrated: self.integrated,
            loudness_range: self.loudness_range,
            lra_stable: self.frames_measured as f64 >= LRA_STABLE_SECONDS * self.sample_rate,
            max_momentary: self.max_momentary,
            max_short_term: self.max_short_term,
            true_peak_dbtp: floored(peaks.bs1770),
            reconstructed_peak_dbtp: floored(peaks.reconstructed),
            sample_peak_dbfs: amplitude_to_db(sample_peak),
        }
    }

    /// True peak of one channel in dBTP (live, floored by its sample peak).
    pub fn channel_true_peak_dbtp(&self, channel: usize) -> f64 {
        self.channel_bs1770_dbtp(channel, self.true_peaks[channel].peaks())
    }

    /// True peak of one channel in dBTP including the buffered tail (see [`Self::final_reading`]).
    pub fn channel_final_true_peak_dbtp(&self, channel: usize) -> f64 {
        self.channel_bs1770_dbtp(channel, self.true_peaks[channel].peaks_with_tail())
    }

    fn channel_bs1770_dbtp(&self, channel: usize, peaks: TruePeaks) -> f64 {
        if !self.true_peak_enabled {
            return f64::NEG_INFINITY;
        }
        amplitude_to_db(peaks.bs1770.max(self.sample_peaks[channel]))
    }

    pub fn channel_sample_peak_dbfs(&self, channel: usize) -> f64 {
        amplitude_to_db(self.sample_peaks[channel])
    }

    /// The gating blocks measured so far (for pooling programmes).
    pub(crate) fn gating(&self) -> &GatingHistogram {
        &self.gating
    }

    /// The short-term values of the loudness range measured so far.
    pub(crate) fn range(&self) -> &RangeHistogram {
        &self.range
    }

    /// The relative gate of the integrated measurement in LUFS (negative infinity before any
    /// gating block passed the absolute gate).
    pub fn relative_gate(&self) -> f64 {
        self.gating.relative_gate()
    }
}
