//! Denormal numbers through the built Keel.clap: input made only of denormal samples costs no
//! more than normal input and comes out as silence (the plugin flushes them while it
//! processes), and the host's own floating-point control state is the same after each process
//! call as before it.
//!
//! The time ratio is large where denormals are slow (clap-validator measured 8x to 12x on an
//! Intel Xeon before the flush), so a 2x bound is stable on a loaded machine; each side is its
//! fastest of 5 runs. Some CPUs handle denormals nearly at full speed; there the silence test
//! still shows the flush is in place.

mod common;

use common::*;
use keel_core::dsp::denormals::FlushDenormals;
use std::time::{Duration, Instant};

const RATE: f64 = 48_000.0;
const BLOCK: usize = 512;
const SECONDS: f64 = 4.0;

/// The plugin with every stage working (EQ bands, compressor, limiter), settled.
fn busy_plugin() -> Plug {
    let mut plug = Plug::new(load_entry());
    let events = busy_settings(&mut plug);
    plug.flush_params(&events);
    plug.activate(RATE, BLOCK as u32);
    plug
}

/// The plugin as loaded (as clap-validator runs it): only the meters and delays at work, so
/// denormal arithmetic is most of what the input would cost.
fn fresh_plugin() -> Plug {
    let mut plug = Plug::new(load_entry());
    plug.activate(RATE, BLOCK as u32);
    plug
}

/// Fastest of 5 runs of `signal` through new instances.
fn fastest_run(make: fn() -> Plug, signal: &[Vec<f32>; 2]) -> Duration {
    (0..5)
        .map(|_| {
            let mut plug = make();
            let started = Instant::now();
            let out = plug.process_signal(signal, BLOCK, &[]);
            let elapsed = started.elapsed();
            assert_finite(&out, "output");
            elapsed
        })
        .min()
        .unwrap()
}

#[test]
fn denormal_input_costs_no_more_than_normal_input() {
    let len = (SECONDS * RATE) as usize;
    let normal = noise(len, 0.5, 11);
    // The same noise scaled into the denormal range (below 1.18e-38): every sample denormal.
    let denormal = normal.clone().map(|channel| channel.iter().map(|&x| x * 1e-39).collect::<Vec<f32>>());
    assert!(denormal.iter().flatten().all(|x| *x == 0.0 || x.is_subnormal()));
    for (settings, make) in [("as loaded", fresh_plugin as fn() -> Plug), ("every stage on", busy_plugin)] {
        let normal_time = fastest_run(make, &normal);
        let denormal_time = fastest_run(make, &denormal);
        let ratio = denormal_time.as_secs_f64() / normal_time.as_secs_f64();
        println!("{settings}: normal {normal_time:?}, denormal {denormal_time:?}: ratio {ratio:.2}");
        assert!(ratio < 2.0, "{settings}: denormal input took {ratio:.2}x as long as normal input");
    }
}

#[test]
fn the_hosts_floating_point_state_is_restored_after_each_process_call() {
    let mut plug = busy_plugin();
    let signal = noise(BLOCK, 0.5, 12);
    let mut out = [Vec::new(), Vec::new()];
    // A host that leaves denormals on, and one that flushes them itself: neither state changes.
    let before = FlushDenormals::control_state();
    plug.process_block(&signal[0], &signal[1], &[], &mut out);
    assert_eq!(FlushDenormals::control_state(), before, "the plugin changed the host's control state");
    let tiny = std::hint::black_box(f32::MIN_POSITIVE);
    assert!(tiny / std::hint::black_box(4.0f32) > 0.0, "denormals are on again for the host");
    {
        let _host_flushes = FlushDenormals::new();
        let flushing = FlushDenormals::control_state();
        assert_ne!(flushing, before);
        plug.process_block(&signal[0], &signal[1], &[], &mut out);
        assert_eq!(FlushDenormals::control_state(), flushing, "the plugin changed the host's control state");
    }
    assert_eq!(FlushDenormals::control_state(), before);
}

/// What the timing cannot show on a CPU with cheap denormals: inside the plugin denormal input
/// reads as zero and no result is denormal, so all-denormal input comes out as exact silence
/// (without the flush, nearly every output sample would be subnormal).
#[test]
fn denormal_input_comes_out_as_silence() {
    let len = RATE as usize;
    let denormal = noise(len, 0.5, 13).map(|channel| channel.iter().map(|&x| x * 1e-39).collect::<Vec<f32>>());
    for (settings, make) in [("as loaded", fresh_plugin as fn() -> Plug), ("every stage on", busy_plugin)] {
        let out = make().process_signal(&denormal, BLOCK, &[]);
        let subnormal = out.iter().flatten().filter(|x| x.is_subnormal()).count();
        assert_eq!(subnormal, 0, "{settings}: {subnormal} subnormal output samples");
        assert!(out.iter().flatten().all(|&x| x == 0.0), "{settings}: denormal input is not silence");
    }
}
