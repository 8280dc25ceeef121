//! The plugin's audio-thread work under the allocation guard, across every mode and parameter
//! change: `Keel::process_channels` (what `Plugin::process` runs: parameters to chain settings,
//! the chain on a stereo or a mono bus, the output meter and its pause and reset requests, the
//! editor's analyzer tap and meter values, listen-as on every platform and the level-matched
//! compare) and `Plugin::reset`, at every common sample rate,
//! with block sizes from 0 to 4096 frames, non-finite blocks, and parameters changed between
//! blocks the way a host's automation does.
//!
//! Every parameter is changed: each switch and choice steps through all its values (so every EQ
//! type, slope and placement, the compressor's detector modes, auto release, auto makeup, the
//! limiter on and off, and bypass all run), and every continuous parameter jumps to random values
//! across its range. Through the hosts the guard cannot be used (the bundles are release builds),
//! so this is where the process path is checked.

mod common;

use common::assert_no_alloc;
use keel::Keel;
use keel_core::dsp::rng::Rng;
use keel::monitor::listening_platforms;
use keel::preset::set_values;
use keel_core::params::{ParamKind, ParamTable, ParamValue};
use nice_plug::prelude::Plugin;
use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

const MAX_BLOCK: usize = 4096;
const BLOCK_SIZES: [usize; 8] = [0, 1, 17, 64, 256, 480, 1000, MAX_BLOCK];

/// The value block `block` gives parameter number `index`: switches and choices step through
/// every value (each at its own pace, so combinations vary), continuous ones jump at random.
fn value_for(kind: &ParamKind, index: usize, block: usize, rng: &mut Rng) -> ParamValue {
    let step = |count: usize| (block / (1 + index % 3) + index) % count;
    match kind {
        ParamKind::Float { min, max, .. } => ParamValue::Float(min + (max - min) * rng.uniform() as f32),
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
    let mut left = vec![0.0f32; MAX_BLOCK];
    let mut right = vec![0.0f32; MAX_BLOCK];
    for sample_rate in [44_100.0, 48_000.0, 88_200.0, 96_000.0, 192_000.0] {
        for channels in [2, 1] {
            let mut plugin = Keel::default();
            plugin.prepare(sample_rate, MAX_BLOCK, channels);
            let shared = plugin.editor_shared();
            for block in 0..80 {
                // The host's side, outside the guard: new parameter values (most blocks change
                // many), a block size, the input, and now and then the editor's meter buttons.
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
                set_values(&shared.params, &changes).unwrap();
                // The editor's monitoring: every listening platform in turn (and off), and the
                // compare switched on and off.
                let platforms: Vec<Option<&str>> =
                    std::iter::once(None).chain(listening_platforms().map(|t| Some(t.id))).collect();
                shared.monitor.set_listen_as(platforms[(block / 3) % platforms.len()]);
                shared.monitor.set_compare(block % 7 < 4);
                shared.meters.paused.store(block % 11 == 4, Ordering::Relaxed);
                if block % 13 == 6 {
                    shared.meters.reset_requested.store(true, Ordering::Relaxed);
                }
                let frames = BLOCK_SIZES[(rng.uniform() * BLOCK_SIZES.len() as f64) as usize];
                let level = [0.01, 0.3, 1.0, 4.0][block % 4];
                for i in 0..frames {
                    left[i] = (level * rng.bipolar()) as f32;
                    right[i] = (level * rng.bipolar()) as f32;
                }
                if block % 17 == 9 && frames > 0 {
                    left[frames / 2] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY][block % 3];
                }
                let analyze = block % 3 != 0;
                let reset = block % 29 == 28;
                let (l, r) = (&mut left[..frames], &mut right[..frames]);
                assert_no_alloc(|| {
                    if reset {
                        plugin.reset();
                    }
                    if channels == 2 {
                        plugin.process_channels(&mut [l, r], analyze);
                    } else {
                        plugin.process_channels(&mut [l], analyze);
                    }
                });
                assert!(
                    left[..frames].iter().all(|v| v.is_finite()),
                    "{sample_rate} Hz, {channels} channel(s), block {block}: non-finite output"
                );
            }
        }
    }
    // Every value of every switch and choice ran at least once.
    for (index, info) in entries.iter().enumerate() {
        let count = match &info.kind {
            ParamKind::Bool => 2,
            ParamKind::Enum { ids, .. } => ids.len(),
            ParamKind::Float { .. } => continue,
        };
        let ran = seen.iter().filter(|(id, _)| *id == info.id).count();
        assert_eq!(ran, count, "parameter {} ({index}) ran {ran} of its {count} values", info.id);
    }
}
