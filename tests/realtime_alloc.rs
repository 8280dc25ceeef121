//! The plugin's audio-thread work under the allocation guard, across every mode and parameter
//! change: what `Keel::process` does each block (parameters to chain settings, the chain on a
//! stereo or a mono bus, the output meter, the editor's spectrum tap and meter values) and what
//! `Keel::reset` does, at every common sample rate, with block sizes from 0 to 4096 frames,
//! non-finite blocks, and parameters changed between blocks the way a host's automation does.
//!
//! Every parameter is changed: each switch and choice steps through all its values (so every EQ
//! type, slope and placement, the compressor's detector modes, auto release, auto makeup, the
//! limiter on and off, and bypass all run), and every continuous parameter jumps to random values
//! across its range. Through the hosts the guard cannot be used (the bundles are release builds),
//! so this is where the process path is checked.

mod common;

use common::assert_no_alloc;
use keel::chain::Chain;
use keel::dsp::loudness::LoudnessMeter;
use keel::dsp::rng::Rng;
use keel::meter_values::MeterValues;
use keel::params::KeelParams;
use keel::preset::{ParamKind, ParamTable, ParamValue, set_values};
use keel::spectrum_tap::{SpectrumTap, TapPoint};
use std::collections::BTreeSet;

const MAX_BLOCK: usize = 4096;
const BLOCK_SIZES: [usize; 8] = [0, 1, 17, 64, 256, 480, 1000, MAX_BLOCK];

/// The per-block work of the plugin, with everything allocated up front as `activate` does.
struct AudioThread {
    params: KeelParams,
    chain: Chain,
    stereo_meter: LoudnessMeter,
    mono_meter: LoudnessMeter,
    spectrum: SpectrumTap,
    meters: MeterValues,
    left: Vec<f32>,
    right: Vec<f32>,
    mono_scratch: Vec<f32>,
}

impl AudioThread {
    fn new(sample_rate: f64) -> Self {
        let params = KeelParams::default();
        let mut chain = Chain::new(sample_rate);
        chain.set_settings(&params.chain_settings());
        Self {
            params,
            chain,
            stereo_meter: LoudnessMeter::new(2, sample_rate),
            mono_meter: LoudnessMeter::new(1, sample_rate),
            spectrum: SpectrumTap::default(),
            meters: MeterValues::default(),
            left: vec![0.0; MAX_BLOCK],
            right: vec![0.0; MAX_BLOCK],
            mono_scratch: vec![0.0; MAX_BLOCK],
        }
    }

    /// One block, as `Keel::process` runs it; `frames` of `left`/`right` hold the input.
    fn process(&mut self, frames: usize, mono: bool, editor_open: bool) {
        self.chain.set_settings(&self.params.chain_settings());
        let (left, right) = (&mut self.left[..frames], &mut self.right[..frames]);
        if mono {
            let copy = &mut self.mono_scratch[..frames];
            copy.copy_from_slice(left);
            if editor_open {
                self.spectrum.write(TapPoint::Input, left, left);
            }
            self.chain.process(left, copy);
            if editor_open {
                self.spectrum.write(TapPoint::Output, left, left);
                self.spectrum.commit(frames);
            }
            self.mono_meter.process(&[left]);
        } else {
            if editor_open {
                self.spectrum.write(TapPoint::Input, left, right);
            }
            self.chain.process(left, right);
            if editor_open {
                self.spectrum.write(TapPoint::Output, left, right);
                self.spectrum.commit(frames);
            }
            self.stereo_meter.process(&[left, right]);
        }
        let (compressor_gr, limiter_gr) = self.chain.gain_reduction_db();
        self.meters.compressor_gr_db.store(f64::from(compressor_gr));
        self.meters.limiter_gr_db.store(f64::from(limiter_gr));
        self.meters.limiter_gr_peak_db.accumulate(f64::from(limiter_gr));
        self.meters.compressor_detector_db.store(f64::from(self.chain.compressor_detector_db()));
        let reading = if mono { self.mono_meter.reading() } else { self.stereo_meter.reading() };
        self.meters.publish(&reading);
        self.meters.limiter_gr_history.push(f64::from(limiter_gr));
        self.meters.short_term_history.push(reading.short_term);
    }

    fn reset(&mut self) {
        self.chain.reset();
        self.stereo_meter.reset();
        self.mono_meter.reset();
    }
}

/// The value block `block` gives parameter number `index`: switches and choices step through
/// every value (each at its own pace, so combinations vary), continuous ones jump at random.
fn value_for(kind: &ParamKind, index: usize, block: usize, rng: &mut Rng) -> ParamValue {
    let step = |count: usize| (block / (1 + index % 3) + index) % count;
    match kind {
        ParamKind::Float { min, max } => ParamValue::Float(min + (max - min) * rng.uniform() as f32),
        ParamKind::Int { min, max } => ParamValue::Int(min + step((max - min + 1) as usize) as i32),
        ParamKind::Bool => ParamValue::Bool(step(2) == 1),
        ParamKind::Enum { ids, .. } => ParamValue::Enum(step(ids.len())),
    }
}

#[test]
fn every_mode_and_parameter_change_processes_without_allocating() {
    let table = ParamTable::new();
    let entries = table.entries();
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut rng = Rng::new(7);
    for sample_rate in [44_100.0, 48_000.0, 88_200.0, 96_000.0, 192_000.0] {
        let mut audio = AudioThread::new(sample_rate);
        for block in 0..120 {
            // The host's side, outside the guard: new parameter values (most blocks change many,
            // some none), a block size, the input.
            let mut changes: Vec<(String, ParamValue)> = Vec::new();
            for (index, info) in entries.iter().enumerate() {
                if rng.uniform() < 0.6 {
                    changes.push((info.id.clone(), value_for(&info.kind, index, block, &mut rng)));
                }
            }
            for (id, value) in &changes {
                if !matches!(value, ParamValue::Float(_)) {
                    seen.insert((id.clone(), format!("{value:?}")));
                }
            }
            set_values(&audio.params, &changes).unwrap();
            let frames = BLOCK_SIZES[(rng.uniform() * BLOCK_SIZES.len() as f64) as usize];
            let level = [0.01, 0.3, 1.0, 4.0][block % 4];
            for i in 0..frames {
                audio.left[i] = (level * rng.bipolar()) as f32;
                audio.right[i] = (level * rng.bipolar()) as f32;
            }
            if block % 17 == 9 && frames > 0 {
                audio.left[frames / 2] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY][block % 3];
            }
            let mono = block % 5 == 3;
            let editor_open = block % 3 != 0;
            let reset = block % 29 == 28;
            assert_no_alloc(|| {
                if reset {
                    audio.reset();
                }
                audio.process(frames, mono, editor_open);
            });
            assert!(audio.left[..frames].iter().all(|v| v.is_finite()), "{sample_rate} Hz block {block}: non-finite output");
        }
    }
    // Every value of every switch and choice ran at least once.
    for (index, info) in entries.iter().enumerate() {
        let count = match &info.kind {
            ParamKind::Bool => 2,
            ParamKind::Enum { ids, .. } => ids.len(),
            ParamKind::Int { min, max } => (max - min + 1) as usize,
            ParamKind::Float { .. } => continue,
        };
        let ran = seen.iter().filter(|(id, _)| *id == info.id).count();
        assert_eq!(ran, count, "parameter {} ({index}) ran {ran} of its {count} values", info.id);
    }
}
