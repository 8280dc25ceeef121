//! Keel: plugin glue only. The signal path is `chain::Chain`; this file translates parameters to
//! chain settings and hands the host's buffers over.

pub mod chain;
pub mod cli;
pub mod dsp;
pub mod editor;
pub mod meter_values;
pub mod params;
pub mod preset;

use chain::Chain;
use dsp::loudness::LoudnessMeter;
use meter_values::MeterValues;
use nice_plug::prelude::*;
use params::KeelParams;
use std::num::NonZeroU32;
use std::sync::Arc;

pub struct Keel {
    params: Arc<KeelParams>,
    /// Shared with the editor so the curve is drawn at the running sample rate.
    sample_rate: Arc<AtomicF32>,
    /// Loudness and gain reduction for the editor.
    meters: Arc<MeterValues>,
    chain: Chain,
    /// BS.1770 meter on the plugin's output (after the limiter and output gain).
    output_meter: LoudnessMeter,
    /// Right channel stand-in when the host gives us a mono bus.
    mono_scratch: Vec<f32>,
}

impl Default for Keel {
    fn default() -> Self {
        Self {
            params: Arc::new(KeelParams::default()),
            sample_rate: Arc::new(AtomicF32::new(48_000.0)),
            meters: Arc::new(MeterValues::default()),
            chain: Chain::new(48_000.0),
            output_meter: LoudnessMeter::new(2, 48_000.0),
            mono_scratch: Vec::new(),
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

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(self.params.clone(), self.sample_rate.clone(), self.meters.clone())
    }

    fn activate(
        &mut self,
        audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let sample_rate = f64::from(buffer_config.sample_rate);
        self.sample_rate.store(buffer_config.sample_rate, std::sync::atomic::Ordering::Relaxed);
        self.chain = Chain::new(sample_rate);
        self.chain.set_settings(&self.params.chain_settings());
        self.mono_scratch = vec![0.0; buffer_config.max_buffer_size as usize];
        let channels = audio_io_layout.main_output_channels.map_or(2, |c| c.get() as usize).min(2);
        self.output_meter = LoudnessMeter::new(channels, sample_rate);
        context.set_latency_samples(self.chain.latency() as u32);
        true
    }

    fn reset(&mut self) {
        self.chain.reset();
        self.output_meter.reset();
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        _context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        self.chain.set_settings(&self.params.chain_settings());
        if self.meters.reset_requested.swap(false, std::sync::atomic::Ordering::Relaxed) {
            self.output_meter.reset();
        }
        self.output_meter.set_paused(self.meters.paused.load(std::sync::atomic::Ordering::Relaxed));
        match buffer.as_slice() {
            [left, right, ..] => {
                self.chain.process(left, right);
                self.output_meter.process(&[left, right]);
            }
            [mono] => {
                let n = mono.len().min(self.mono_scratch.len());
                let scratch = &mut self.mono_scratch[..n];
                scratch.copy_from_slice(&mono[..n]);
                self.chain.process(&mut mono[..n], scratch);
                self.output_meter.process(&[mono]);
            }
            [] => {}
        }
        let (compressor_gr, limiter_gr) = self.chain.gain_reduction_db();
        self.meters.compressor_gr_db.store(f64::from(compressor_gr));
        self.meters.limiter_gr_db.store(f64::from(limiter_gr));
        self.meters.publish(&self.output_meter.reading());
        ProcessStatus::Normal
    }
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
