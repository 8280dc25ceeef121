//! The audio path with the editor open: the plugin processes under the allocation guard while
//! the whole editor (analyzer, meters, histories) draws on another thread from the same shared
//! state, and the analyzer actually receives the audio.

mod common;
use common::assert_no_alloc;
use common::gui::{editor_harness, host_for};
use keel::Keel;
use keel::spectrum_tap::TapPoint;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[test]
fn processing_with_the_editor_open_allocates_nothing() {
    let mut keel = Keel::default();
    keel.prepare(48_000.0, 512, 2);
    let shared = keel.editor_shared();
    let (host, context) = host_for(&shared);
    {
        // Every processing block on: bands, compressor, limiter.
        let setter = context.param_setter();
        let p = &shared.params;
        for band in p.bands() {
            setter.begin_set_parameter(&band.on);
            setter.set_parameter(&band.on, true);
            setter.end_set_parameter(&band.on);
        }
        for on in [&p.comp.on, &p.lim.on] {
            setter.begin_set_parameter(on);
            setter.set_parameter(on, true);
            setter.end_set_parameter(on);
        }
    }
    host.take();

    let done = Arc::new(AtomicBool::new(false));
    let gui = {
        let (shared, done) = (shared.clone(), done.clone());
        std::thread::spawn(move || {
            let mut harness = editor_harness(&shared, context);
            let mut frames = 0;
            while !done.load(Ordering::Relaxed) || frames < 20 {
                harness.run_steps(1);
                frames += 1;
            }
            frames
        })
    };

    let mut rng = keel_core::dsp::rng::Rng::new(3);
    let mut left = vec![0.0f32; 512];
    let mut right = vec![0.0f32; 512];
    for block in 0..400 {
        let len = [512, 64, 1, 300][block % 4];
        for (l, r) in left[..len].iter_mut().zip(&mut right[..len]) {
            *l = (0.5 * rng.bipolar()) as f32;
            *r = (0.5 * rng.bipolar()) as f32;
        }
        let (l, r) = (&mut left[..len], &mut right[..len]);
        assert_no_alloc(|| keel.process_channels(&mut [l, r], true));
        assert!(left[..len].iter().chain(&right[..len]).all(|x| x.is_finite()));
    }
    done.store(true, Ordering::Relaxed);
    let frames = gui.join().expect("the editor thread panicked");
    assert!(frames >= 20);

    // The analyzer got the audio and the meters moved.
    let mut window = vec![0.0f32; 4096];
    assert!(shared.spectrum.read_latest(TapPoint::Output, &mut window));
    assert!(window.iter().any(|&x| x != 0.0));
    assert!(shared.meters.snapshot().loudness.momentary.is_finite());
    assert!(host.open_gestures().is_empty());
}

#[test]
fn a_mono_bus_with_the_editor_open_allocates_nothing() {
    let mut keel = Keel::default();
    keel.prepare(44_100.0, 256, 1);
    let shared = keel.editor_shared();
    let mut rng = keel_core::dsp::rng::Rng::new(4);
    let mut mono = vec![0.0f32; 256];
    for block in 0..200 {
        let len = [256, 17, 1][block % 3];
        mono[..len].iter_mut().for_each(|x| *x = (0.5 * rng.bipolar()) as f32);
        let m = &mut mono[..len];
        assert_no_alloc(|| keel.process_channels(&mut [m], true));
    }
    assert!(shared.spectrum.written() > 0);
}

#[test]
fn the_analyzer_tap_stays_silent_while_the_editor_is_closed() {
    let mut keel = Keel::default();
    keel.prepare(48_000.0, 512, 2);
    let shared = keel.editor_shared();
    let mut left = vec![0.25f32; 512];
    let mut right = vec![0.25f32; 512];
    for _ in 0..10 {
        keel.process_channels(&mut [&mut left, &mut right], false);
    }
    assert_eq!(shared.spectrum.written(), 0);
}
