//! Keel.clap under hostile input and hostile automation, through the CLAP host:
//!
//! - NaN, infinity and denormal samples: the output stays finite, a block with NaN or infinity
//!   comes out silent, and the next clean block plays as if the plugin had just been activated;
//!   the limiter's ceiling still holds.
//! - Every parameter automated at audio rate (many events per block, random values, random block
//!   sizes): nothing non-finite, the limiter's output never exceeds the highest ceiling and output
//!   gain it was given, and once the automation stops the plugin settles back to a clean delay.

mod common;

use common::*;
use keel_core::dsp::rng::Rng;
use keel_core::dsp::true_peak::TruePeakTracker;

const RATE: f64 = 48_000.0;

fn db_to_gain(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

fn peak(x: &[f32]) -> f32 {
    x.iter().fold(0.0f32, |m, v| m.max(v.abs()))
}

/// A fresh instance with `events` applied before activation, so it starts settled.
fn settled_instance(events: &[ParamValueEvent], max_block: u32) -> Plug {
    let mut plug = Plug::new(load_entry());
    plug.flush_params(events);
    plug.activate(RATE, max_block);
    plug
}

fn process_one(plug: &mut Plug, left: &[f32], right: &[f32]) -> [Vec<f32>; 2] {
    let mut out = [Vec::new(), Vec::new()];
    plug.process_block(left, right, &[], &mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// NaN, infinity, denormals

#[test]
fn non_finite_input_silences_the_block_and_the_next_block_starts_clean() {
    let block = 512;
    let blocks_after = 40;
    let ceiling = db_to_gain(-1.0) as f32; // the default ceiling, -1 dBTP
    let mut events = busy_settings(&mut Plug::new(load_entry()));
    events.push(param_event(0, "lim_drive", 0.5)); // +12 dB: the limiter works hard throughout
    for (case, (bad, channel, position)) in
        [(f32::NAN, 0, 0), (f32::INFINITY, 1, 511), (f32::NEG_INFINITY, 0, 200), (f32::NAN, 1, 17)].into_iter().enumerate()
    {
        let mut plug = settled_instance(&events, block as u32);
        let warm = noise(block * 20, 0.5, 100 + case as u64);
        let warm_out = plug.process_signal(&warm, block, &[]);
        assert_finite(&warm_out, "before");

        let mut poisoned = noise(block, 0.5, 200 + case as u64);
        poisoned[channel][position] = bad;
        let out = process_one(&mut plug, &poisoned[0], &poisoned[1]);
        assert!(
            out.iter().flatten().all(|&v| v == 0.0),
            "case {case}: a block with {bad} at channel {channel} sample {position} is not silenced"
        );

        // The blocks after: exactly what a freshly activated instance renders from them, so no
        // state from before the bad block survives, and the ceiling holds.
        let after = noise(block * blocks_after, 0.5, 300 + case as u64);
        let out = plug.process_signal(&after, block, &[]);
        let mut fresh = settled_instance(&events, block as u32);
        let expected = fresh.process_signal(&after, block, &[]);
        assert_finite(&out, "after");
        assert!(out == expected, "case {case}: the blocks after the bad one differ from a fresh instance");
        let latency = plug.latency() as usize;
        assert!(rms(&out[0][latency..]) > 0.1, "case {case}: silent after recovery");
        let mut meters = [TruePeakTracker::new(RATE), TruePeakTracker::new(RATE)];
        for (meter, channel) in meters.iter_mut().zip(&out) {
            meter.process(channel);
            assert!(peak(channel) <= ceiling, "case {case}: sample peak {} over the ceiling {ceiling}", peak(channel));
            // The limiter aims 0.001 dB under the ceiling; allow for f32 rounding of the meter.
            assert!(
                meter.peak_with_tail() <= ceiling * (1.0 + 1e-6),
                "case {case}: true peak {} dBTP over the -1 dBTP ceiling",
                20.0 * meter.peak_with_tail().log10()
            );
        }
    }
}

#[test]
fn denormal_input_stays_finite_and_the_chain_plays_on() {
    let block = 256;
    let events = busy_settings(&mut Plug::new(load_entry()));
    let mut plug = settled_instance(&events, block as u32);
    // Subnormal f32 values of both signs, then a ringing tail decaying through the subnormal
    // range, then exact silence: the slow paths a filter or envelope can fall into.
    let smallest = f32::from_bits(1);
    let largest_subnormal = f32::from_bits(0x007F_FFFF);
    let mut rng = Rng::new(9);
    let subnormal: Vec<f32> = (0..RATE as usize)
        .map(|_| (rng.bipolar() as f32) * largest_subnormal + if rng.uniform() < 0.5 { smallest } else { -smallest })
        .collect();
    assert!(subnormal.iter().any(|v| v.is_subnormal()));
    let out = plug.process_signal(&[subnormal.clone(), subnormal.clone()], block, &[]);
    assert_finite(&out, "subnormal input");
    // Nothing is amplified from nothing: the chain's largest gain (EQ + compressor makeup +
    // drive) is far below 1e30.
    assert!(peak(&out[0]) < 1e-8 && peak(&out[1]) < 1e-8, "output {} from subnormal input", peak(&out[0]));
    let silence = vec![0.0f32; block * 20];
    let out = plug.process_signal(&[silence.clone(), silence], block, &[]);
    assert_finite(&out, "silence after subnormals");
    assert!(peak(&out[0]) < 1e-8);

    // Normal material afterwards plays at full level under the ceiling: nothing got stuck.
    let music = noise(block * 40, 0.5, 6);
    let out = plug.process_signal(&music, block, &[]);
    assert_finite(&out, "after subnormals");
    let latency = plug.latency() as usize;
    assert!(rms(&out[0][latency..]) > 0.1);
    assert!(peak(&out[0]).max(peak(&out[1])) <= db_to_gain(-1.0) as f32);

    // And the decaying tails of that material into subnormal input and silence stay finite.
    let out = plug.process_signal(&[subnormal.clone(), subnormal], block, &[]);
    assert_finite(&out, "tail into subnormal input");
    let tail = (0.5 * RATE) as usize; // compressor and limiter release, EQ ringing
    assert!(peak(&out[0][tail..]) < 1e-6, "still {} half a second into subnormal input", peak(&out[0][tail..]));
}

// ---------------------------------------------------------------------------------------------
// Audio-rate automation

/// (id, clap id, min, max, stepped) for every parameter.
fn parameter_ranges(plug: &mut Plug) -> Vec<(String, ClapId, f64, f64, bool)> {
    let names = all_string_ids();
    let infos = plug.param_infos();
    assert_eq!(infos.len(), names.len());
    names
        .into_iter()
        .map(|id| {
            let info = infos.iter().find(|p| p.0 == clap_id(&id).get()).unwrap_or_else(|| panic!("{id} missing"));
            let stepped = info.3.contains(ParamInfoFlags::IS_STEPPED);
            (id.clone(), clap_id(&id), info.4, info.5, stepped)
        })
        .collect()
}

fn random_value(rng: &mut Rng, min: f64, max: f64, stepped: bool) -> f64 {
    if stepped { (min + rng.uniform() * (max - min + 1.0)).floor().min(max) } else { min + rng.uniform() * (max - min) }
}

/// Hot, changing programme: noise with level jumps every 100 ms, up to +12 dB over full scale
/// after the limiter's drive, and some blocks of full-scale square waves.
fn programme(rng: &mut Rng, len: usize) -> [Vec<f32>; 2] {
    let mut out = [Vec::with_capacity(len), Vec::with_capacity(len)];
    let mut level = 0.5;
    let mut square = false;
    for i in 0..len {
        if i % 4800 == 0 {
            level = db_to_gain(-30.0 + 36.0 * rng.uniform());
            square = rng.uniform() < 0.2;
        }
        for channel in &mut out {
            let v = if square { if (i / 37) % 2 == 0 { level } else { -level } } else { level * rng.bipolar() };
            channel.push(v.clamp(-4.0, 4.0) as f32);
        }
    }
    out
}

/// Runs `seconds` of programme with every parameter in `automated` changed many times per block
/// (values from `value`), in random block sizes; returns input and output.
fn automate(
    plug: &mut Plug,
    rng: &mut Rng,
    seconds: f64,
    automated: &[(String, ClapId, f64, f64, bool)],
    mut value: impl FnMut(&mut Rng, &str, f64, f64, bool) -> f64,
) -> ([Vec<f32>; 2], [Vec<f32>; 2]) {
    let len = (seconds * RATE) as usize;
    let input = programme(rng, len);
    let mut out = [Vec::with_capacity(len), Vec::with_capacity(len)];
    let mut start = 0;
    let mut events = Vec::new();
    while start < len {
        let block = (1 + (rng.uniform() * 2048.0) as usize).min(len - start);
        events.clear();
        // Many events per block at increasing times, several per sample at times.
        let count = (rng.uniform() * 96.0) as usize;
        let mut times: Vec<u32> = (0..count).map(|_| (rng.uniform() * block as f64) as u32).collect();
        times.sort_unstable();
        for time in times {
            let (id, clap, min, max, stepped) = &automated[(rng.uniform() * automated.len() as f64) as usize];
            let v = value(rng, id, *min, *max, *stepped);
            events.push(ParamValueEvent::new(time, *clap, Pckn::match_all(), v));
        }
        plug.process_block(&input[0][start..start + block], &input[1][start..start + block], &events, &mut out);
        start += block;
    }
    (input, out)
}

#[test]
fn audio_rate_automation_of_every_parameter_stays_finite_and_settles() {
    let mut plug = Plug::new(load_entry());
    plug.activate(RATE, 2048);
    let ranges = parameter_ranges(&mut plug);
    let mut rng = Rng::new(2024);
    let (_, out) = automate(&mut plug, &mut rng, 20.0, &ranges, |rng, _, min, max, stepped| random_value(rng, min, max, stepped));
    assert_finite(&out, "under automation");
    let audible = out.iter().flatten().filter(|v| v.abs() > 1e-3).count();
    assert!(audible > out[0].len() / 4, "the automation run is mostly silent: nothing was exercised");

    // Every parameter back to its default: the chain becomes a plain delay again. Ramps are
    // 10-20 ms and the limiter, once off, releases within its longest release time (1 s), so
    // after 3 s nothing of the automation may remain.
    let defaults: Vec<ParamValueEvent> =
        plug.param_infos().iter().map(|p| ParamValueEvent::new(0, ClapId::new(p.0), Pckn::match_all(), p.6)).collect();
    let settle = noise((3.0 * RATE) as usize, 0.25, 77);
    plug.process_signal(&settle, 1000, &defaults);
    let check = noise((0.5 * RATE) as usize, 0.25, 78);
    let out = plug.process_signal(&check, 1000, &[]);
    let latency = plug.latency() as usize;
    let mut worst = 0.0f32;
    for c in 0..2 {
        for i in latency..check[c].len() {
            worst = worst.max((out[c][i] - check[c][i - latency]).abs());
        }
    }
    assert!(worst <= 1e-6, "3 s after returning to defaults the output differs from the delayed input by {worst}");
}

#[test]
fn limiter_output_never_exceeds_the_highest_ceiling_and_gain_it_was_given() {
    // Bound: with the limiter on and bypass off, every output sample is at most
    // ceiling_max x out_gain_max, the highest limiter ceiling and the highest output gain sent so
    // far (the limiter holds its ceiling on every sample, including while the ceiling itself
    // glides; the output gain glides between values it was given). Each run caps the two
    // parameters at random levels, so the bound is far below what the driven signal reaches.
    let mut rng = Rng::new(77);
    for run in 0..6 {
        let mut plug = Plug::new(load_entry());
        let ranges = parameter_ranges(&mut plug);
        let ceiling_cap = -20.0 + 20.0 * rng.uniform(); // dBTP
        let gain_cap = -12.0 + 24.0 * rng.uniform(); // dB
        // Dither stays off: its noise rides on top of the ceiling by design (a few steps of the
        // target word length; the dither tests cover it).
        let automated: Vec<_> =
            ranges.iter().filter(|p| p.0 != "lim_on" && p.0 != "bypass" && !p.0.starts_with("dither_")).cloned().collect();
        let ceiling_text = plug.text_to_value("lim_ceiling", &format!("{ceiling_cap:.2}")).unwrap();
        let gain_text = plug.text_to_value("out_gain", &format!("{gain_cap:.2}")).unwrap();
        let setup = vec![
            param_event(0, "lim_on", 1.0),
            param_event(0, "bypass", 0.0),
            ParamValueEvent::new(0, clap_id("lim_ceiling"), Pckn::match_all(), ceiling_text),
            ParamValueEvent::new(0, clap_id("out_gain"), Pckn::match_all(), gain_text),
        ];
        // Before activation, so the plugin starts at the caps instead of gliding down from the
        // defaults.
        plug.flush_params(&setup);
        plug.activate(RATE, 2048);
        let (ceiling_cap, gain_cap) = (plug.value("lim_ceiling"), plug.value("out_gain"));
        let (_, out) = automate(&mut plug, &mut rng, 4.0, &automated, |rng, id, min, max, stepped| match id {
            "lim_ceiling" => min + rng.uniform() * (ceiling_cap - min),
            "out_gain" => min + rng.uniform() * (gain_cap - min),
            _ => random_value(rng, min, max, stepped),
        });
        assert_finite(&out, &format!("run {run}"));
        let ceiling_db = plug.value_to_text("lim_ceiling", ceiling_cap);
        let gain_db = plug.value_to_text("out_gain", gain_cap);
        let parse = |t: &str| t.split_whitespace().next().unwrap().parse::<f64>().unwrap();
        let bound = (db_to_gain(parse(&ceiling_db)) * db_to_gain(parse(&gain_db))) as f32 * (1.0 + 1e-5);
        let worst = peak(&out[0]).max(peak(&out[1]));
        assert!(
            worst <= bound,
            "run {run}: output peak {worst} ({:.3} dBFS) over the bound {bound} (ceiling {ceiling_db}, gain {gain_db})",
            20.0 * worst.log10()
        );
    }
}
