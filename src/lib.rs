//! Keel: plugin glue only. The signal path is `keel_core::chain::Chain`; this file translates
//! parameters to chain settings and hands the host's buffers over.

pub mod editor;
pub mod meter_values;
pub mod monitor;
pub mod params;
pub mod preset;
pub mod spectrum_tap;
pub mod state_compat;

use keel_core::chain::Chain;
use keel_core::dsp::denormals::FlushDenormals;
use keel_core::dsp::level::peak;
use keel_core::dsp::loudness::{ChannelLayout, LoudnessMeter, LoudnessReading};
use keel_core::monitor::{LevelMatch, PlatformPlayback};
use meter_values::{GAIN_HISTORY_INTERVAL, LOUDNESS_HISTORY_INTERVAL, MeterSnapshot, MeterValues};
use monitor::MonitorControls;
use nice_plug::prelude::*;
use nice_plug_egui::EguiEditorState;
use params::KeelParams;
use spectrum_tap::{SpectrumTap, TapPoint};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::Ordering;

pub struct Keel {
    params: Arc<KeelParams>,
    /// Shared with the editor so the curve is drawn at the running sample rate.
    sample_rate: Arc<AtomicF32>,
    /// Loudness and gain reduction for the editor.
    meters: Arc<MeterValues>,
    /// Input and output samples for the editor's analyzer, written only while it is open.
    spectrum: Arc<SpectrumTap>,
    editor_state: Arc<EguiEditorState>,
    /// Samples since the last history entry: short-term loudness, limiter gain reduction.
    frames_since_loudness_entry: usize,
    frames_since_gain_entry: usize,
    /// Largest limiter gain reduction since the last history entry, dB.
    gain_reduction_since_entry: f32,
    chain: Chain,
    /// BS.1770 meter on the plugin's output (after the limiter and output gain).
    output_meter: LoudnessMeter,
    /// Right channel stand-in when the host gives us a mono bus.
    mono_scratch: Vec<f32>,
    /// Meter snapshots handed to the editor so far.
    blocks_published: u64,
    /// Listen-as and compare, switched from the editor; after the meter, never rendered.
    monitor: Arc<MonitorControls>,
    playback: PlatformPlayback,
    level_match: LevelMatch,
}

impl Default for Keel {
    fn default() -> Self {
        let params = Arc::new(KeelParams::default());
        Self {
            editor_state: editor::editor_state(&params),
            params,
            sample_rate: Arc::new(AtomicF32::new(48_000.0)),
            meters: Arc::new(MeterValues::default()),
            spectrum: Arc::new(SpectrumTap::default()),
            frames_since_loudness_entry: 0,
            frames_since_gain_entry: 0,
            gain_reduction_since_entry: 0.0,
            chain: Chain::new(48_000.0),
            output_meter: LoudnessMeter::with_layout(ChannelLayout::Stereo, 48_000.0, true),
            mono_scratch: Vec::new(),
            blocks_published: 0,
            monitor: Arc::new(MonitorControls::default()),
            playback: PlatformPlayback::new(48_000.0),
            level_match: LevelMatch::new(48_000.0, 0, 0, 2),
        }
    }
}

impl Plugin for Keel {
    const NAME: &'static str = "Keel";
    const VENDOR: &'static str = "Keel";
    const URL: &'static str = "https://keel.invalid";
    const EMAIL: &'static str = "dev@keel.invalid";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];

    type SysExMessage = ();
    type BackgroundTask = ();
    type Editor = nice_plug_egui::EguiEditor<editor::KeelEditor>;

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn filter_state(state: &mut PluginState) {
        state_compat::filter_state(state);
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(self.editor_shared(), self.editor_state.clone())
    }

    fn activate(
        &mut self,
        audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let channels = audio_io_layout.main_output_channels.map_or(2, |c| c.get() as usize);
        self.prepare(buffer_config.sample_rate, buffer_config.max_buffer_size as usize, channels);
        context.set_latency_samples(self.chain.latency() as u32);
        true
    }

    fn reset(&mut self) {
        self.chain.reset();
        self.output_meter.reset();
        self.level_match.reset();
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        _context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let analyze = self.editor_state.is_open();
        self.process_channels(buffer.as_slice(), analyze);
        ProcessStatus::Normal
    }
}

impl Keel {
    /// Sizes everything for the sample rate, the largest block and the channel count (1 or 2);
    /// `activate` calls it, and tests drive the plugin through it without a host.
    pub fn prepare(&mut self, sample_rate: f32, max_block: usize, channels: usize) {
        self.sample_rate.store(sample_rate, Ordering::Relaxed);
        let sample_rate = f64::from(sample_rate);
        self.chain = Chain::new(sample_rate);
        self.chain.set_settings(&self.params.chain_settings());
        self.mono_scratch = vec![0.0; max_block];
        let layout = if channels == 1 { ChannelLayout::Mono } else { ChannelLayout::Stereo };
        self.output_meter = LoudnessMeter::with_layout(layout, sample_rate, true);
        self.playback = PlatformPlayback::new(sample_rate);
        self.level_match = LevelMatch::new(sample_rate, self.chain.latency(), max_block, channels);
    }

    /// What the editor shares with the audio side.
    pub fn editor_shared(&self) -> editor::EditorShared {
        editor::EditorShared {
            params: self.params.clone(),
            sample_rate: self.sample_rate.clone(),
            meters: self.meters.clone(),
            spectrum: self.spectrum.clone(),
            monitor: self.monitor.clone(),
        }
    }

    /// One host block, in place: the chain, the meters, and (when `analyze`, i.e. the editor
    /// is open) the analyzer's tap. Realtime-safe after `prepare`. Denormals are flushed for the
    /// duration and the host's floating-point state is restored afterwards.
    pub fn process_channels(&mut self, channels: &mut [&mut [f32]], analyze: bool) {
        let _flush = FlushDenormals::new();
        self.chain.set_settings(&self.params.chain_settings());
        if self.meters.reset_requested.swap(false, Ordering::Relaxed) {
            self.output_meter.reset();
            self.meters.short_term_history.clear();
        }
        self.output_meter.set_paused(self.meters.paused.load(Ordering::Relaxed));
        let reading = match channels {
            [left, right, ..] => {
                self.process_stereo(left, right, analyze);
                let reading = self.output_meter.reading();
                self.monitor(left, Some(right), &reading);
                Some((left.len(), reading))
            }
            [mono] => {
                let n = mono.len().min(self.mono_scratch.len());
                let (mono, copy) = (&mut mono[..n], &mut self.mono_scratch[..n]);
                // The chain runs stereo; fed the same signal twice, both outputs are equal.
                copy.copy_from_slice(mono);
                publish_peaks(&self.meters.input_peak, mono, mono);
                if analyze {
                    self.spectrum.write(TapPoint::Input, mono, mono);
                }
                self.level_match.capture_input(mono, None);
                self.chain.process(mono, copy);
                self.after_chain(mono, None, analyze);
                let reading = self.output_meter.reading();
                self.monitor(mono, None, &reading);
                Some((n, reading))
            }
            [] => None,
        };
        if let Some((frames, reading)) = reading {
            self.publish_meters(frames, &reading);
        }
    }

    /// Listen-as and compare, after the meters: what the user hears, not what Keel outputs
    /// when neither is on (then the block passes untouched).
    fn monitor(&mut self, left: &mut [f32], right: Option<&mut [f32]>, reading: &LoudnessReading) {
        let mut right = right;
        self.level_match.set_enabled(self.monitor.compare());
        self.level_match.process(left, right.as_deref_mut(), reading.short_term);
        self.playback.set_target(self.monitor.listen_as());
        self.playback.process(left, right, reading.integrated, reading.true_peak_dbtp);
        let monitor = &self.monitor;
        monitor.compare_gain_db.store(self.level_match.gain_db() as f32, Ordering::Relaxed);
        monitor.listen_gain_db.store(self.playback.gain_db() as f32, Ordering::Relaxed);
        monitor.listen_limiter_db.store(self.playback.limiter_gain_db() as f32, Ordering::Relaxed);
    }

    fn process_stereo(&mut self, left: &mut [f32], right: &mut [f32], analyze: bool) {
        publish_peaks(&self.meters.input_peak, left, right);
        if analyze {
            self.spectrum.write(TapPoint::Input, left, right);
        }
        self.level_match.capture_input(left, Some(right));
        self.chain.process(left, right);
        self.after_chain(left, Some(right), analyze);
    }

    /// Output meters and the analyzer's output tap, on the chain's output (`right` is None
    /// for a mono bus).
    fn after_chain(&mut self, left: &[f32], right: Option<&[f32]>, analyze: bool) {
        let right_or_mono = right.unwrap_or(left);
        publish_peaks(&self.meters.output_peak, left, right_or_mono);
        if analyze {
            self.spectrum.write(TapPoint::Output, left, right_or_mono);
            self.spectrum.commit(left.len());
        }
        match right {
            Some(right) => self.output_meter.process(&[left, right]),
            None => self.output_meter.process(&[left]),
        }
    }

    /// Loudness, gain reduction and the histories, once per block.
    fn publish_meters(&mut self, frames: usize, reading: &LoudnessReading) {
        let reading = *reading;
        let meters = &self.meters;
        let (compressor_gr, limiter_gr) = self.chain.gain_reduction_db();
        meters.compressor_gr_peak_db.accumulate(f64::from(compressor_gr));
        meters.limiter_gr_peak_db.accumulate(f64::from(limiter_gr));
        meters.publish(&MeterSnapshot {
            loudness: reading,
            compressor_gr_db: f64::from(compressor_gr),
            limiter_gr_db: f64::from(limiter_gr),
            compressor_detector_db: f64::from(self.chain.compressor_detector_db()),
            block: self.blocks_published,
        });
        self.blocks_published += 1;

        // One history entry per elapsed interval; a block longer than that repeats its value.
        let sample_rate = self.chain.sample_rate();
        let gain_interval = ((GAIN_HISTORY_INTERVAL * sample_rate).round() as usize).max(1);
        self.gain_reduction_since_entry = self.gain_reduction_since_entry.max(limiter_gr);
        self.frames_since_gain_entry += frames;
        if self.frames_since_gain_entry >= gain_interval {
            while self.frames_since_gain_entry >= gain_interval {
                meters.limiter_gr_history.push(f64::from(self.gain_reduction_since_entry));
                self.frames_since_gain_entry -= gain_interval;
            }
            self.gain_reduction_since_entry = 0.0;
        }
        if !meters.paused.load(Ordering::Relaxed) {
            let loudness_interval = ((LOUDNESS_HISTORY_INTERVAL * sample_rate).round() as usize).max(1);
            self.frames_since_loudness_entry += frames;
            while self.frames_since_loudness_entry >= loudness_interval {
                meters.short_term_history.push(reading.short_term);
                self.frames_since_loudness_entry -= loudness_interval;
            }
        }
    }
}

/// Sample peaks of a block into the editor's peak holds.
fn publish_peaks(holds: &[meter_values::MaxSinceRead; 2], left: &[f32], right: &[f32]) {
    holds[0].accumulate(f64::from(peak(left)));
    holds[1].accumulate(f64::from(peak(right)));
}

impl ClapPlugin for Keel {
    const CLAP_ID: &'static str = "audio.keel.keel";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Mix-bus and mastering processor: matched EQ, bus compressor, true-peak limiter, loudness meter");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Stereo,
        ClapFeature::Mono,
        ClapFeature::Equalizer,
        ClapFeature::Compressor,
        ClapFeature::Limiter,
        ClapFeature::Mastering,
    ];
}

impl Vst3Plugin for Keel {
    const VST3_CLASS_ID: [u8; 16] = *b"KeelMixBusMaster";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Eq, Vst3SubCategory::Dynamics, Vst3SubCategory::Mastering];
}

nice_export_clap!(Keel);
nice_export_vst3!(Keel);
