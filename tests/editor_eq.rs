//! The EQ curve's nodes, driven headless through the whole editor: what a host would receive for
//! drags, wheel, double-clicks, hovering and the node's menu.
mod common;

use common::gui::{Gesture, RecordingHost, editor_fixture, editor_harness};
use egui::{Event, Modifiers, MouseWheelSource, MouseWheelUnit, PointerButton, Pos2, TouchPhase, Vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use keel::editor::{EditorShared, KeelUi};
use keel::params::{BandParams, Choice};
use keel_core::dsp::eq::design::FilterKind;
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::*;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Band 3 (index 2): a bell at 300 Hz, 0 dB, Q 0.707 by default.
const BAND: usize = 2;

struct Editor {
    harness: Harness<'static, KeelUi>,
    shared: EditorShared,
    host: Arc<RecordingHost>,
    /// Sets parameters the way an earlier session or automation would, outside the editor.
    outside: GuiContext,
}

fn editor() -> Editor {
    editor_at_rate(48_000.0)
}

fn editor_at_rate(sample_rate: f32) -> Editor {
    let (shared, host, context) = editor_fixture();
    shared.sample_rate.store(sample_rate, Ordering::Relaxed);
    let outside = GuiContext::new(host.clone());
    let mut harness = editor_harness(&shared, context);
    harness.run_steps(2);
    Editor { harness, shared, host, outside }
}

impl Editor {
    fn band(&self) -> &BandParams {
        self.shared.params.bands()[BAND]
    }

    /// Sets a parameter from outside the editor and forgets the gestures that made.
    fn preset<P: Param>(&mut self, param: &P, plain: P::Plain) {
        let setter = self.outside.param_setter();
        setter.begin_set_parameter(param);
        setter.set_parameter(param, plain);
        setter.end_set_parameter(param);
        self.harness.run_steps(2);
        self.host.take();
    }

    fn node(&self) -> Pos2 {
        self.harness.state().curve.node_position(BAND).expect("the curve was drawn")
    }

    /// Queues events one frame each and runs them.
    fn play(&mut self, events: impl IntoIterator<Item = Event>) {
        for event in events {
            self.harness.event(event);
        }
        self.harness.step();
        self.harness.run_steps(2);
    }

    fn assert_no_stray_gestures(&self) {
        assert!(!self.host.set_outside_gesture.load(Ordering::Relaxed), "a value was set outside a gesture");
        assert!(self.host.open_gestures().is_empty(), "gestures left open: {:?}", self.host.open_gestures());
    }
}

fn press(pos: Pos2, button: PointerButton, pressed: bool) -> Event {
    Event::PointerButton { pos, button, pressed, modifiers: Modifiers::NONE }
}

fn wheel(notches: f32) -> Event {
    Event::MouseWheel {
        unit: MouseWheelUnit::Line,
        delta: Vec2::new(0.0, notches),
        phase: TouchPhase::Move,
        source: MouseWheelSource::Wheel,
        modifiers: Modifiers::NONE,
    }
}

/// Primary-button drag from `from` by `by`, in `steps` pointer moves.
fn drag(from: Pos2, by: Vec2, steps: usize) -> Vec<Event> {
    let mut events = vec![Event::PointerMoved(from), press(from, PointerButton::Primary, true)];
    events.extend((1..=steps).map(|k| Event::PointerMoved(from + by * (k as f32 / steps as f32))));
    events.push(press(from + by, PointerButton::Primary, false));
    events
}

fn double_click(at: Pos2) -> Vec<Event> {
    vec![
        Event::PointerMoved(at),
        press(at, PointerButton::Primary, true),
        press(at, PointerButton::Primary, false),
        press(at, PointerButton::Primary, true),
        press(at, PointerButton::Primary, false),
    ]
}

fn id_of(gesture: &Gesture) -> &str {
    match gesture {
        Gesture::Begin(id) | Gesture::Set(id, _) | Gesture::End(id) => id,
    }
}

/// Asserts that `id` went through exactly one gesture with at least one value in it, and
/// returns the values set.
fn single_gesture(gestures: &[Gesture], id: &str) -> Vec<f32> {
    let mine: Vec<&Gesture> = gestures.iter().filter(|g| id_of(g) == id).collect();
    assert!(matches!(mine.first(), Some(Gesture::Begin(_))), "{id}: does not start with a begin: {mine:?}");
    assert!(matches!(mine.last(), Some(Gesture::End(_))), "{id}: does not end with an end: {mine:?}");
    let begins = mine.iter().filter(|g| matches!(g, Gesture::Begin(_))).count();
    let ends = mine.iter().filter(|g| matches!(g, Gesture::End(_))).count();
    assert_eq!((begins, ends), (1, 1), "{id}: not exactly one gesture: {mine:?}");
    let values: Vec<f32> = mine.iter().filter_map(|g| if let Gesture::Set(_, v) = g { Some(*v) } else { None }).collect();
    assert!(!values.is_empty(), "{id}: a gesture without a value");
    values
}

fn ids_touched(gestures: &[Gesture]) -> Vec<String> {
    let mut ids: Vec<String> = gestures.iter().map(|g| id_of(g).to_string()).collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn dragging_a_node_moves_frequency_and_gain_in_one_gesture_each() {
    let mut editor = editor();
    let params = editor.shared.params.clone();
    editor.preset(&params.bands()[BAND].on, true);
    let start = editor.node();
    let axes = *editor.harness.state().curve.plot_axes().unwrap();
    // Right by 60 points and up by 36, in small moves.
    let by = Vec2::new(60.0, -36.0);
    editor.play(drag(start, by, 12));

    let gestures = editor.host.take();
    assert_eq!(ids_touched(&gestures), ["eq3_freq", "eq3_gain"]);
    let freqs = single_gesture(&gestures, "eq3_freq");
    let gains = single_gesture(&gestures, "eq3_gain");
    assert!(freqs.len() > 1 && gains.len() > 1, "values follow the drag, not only its end");
    editor.assert_no_stray_gestures();

    // The node follows the pointer on the plot's axes: log frequency across, gain up.
    let freq = f64::from(editor.band().freq.value());
    let gain = editor.band().gain.value();
    let expected_freq = axes.freq_of(start.x + by.x);
    let expected_gain = axes.db_of(start.y + by.y);
    assert!(freq > 300.0 && gain > 0.0, "moved right and up: {freq} Hz, {gain} dB");
    assert!((freq / expected_freq - 1.0).abs() < 0.01, "{freq} Hz, expected {expected_freq}");
    assert!((gain - expected_gain).abs() < 0.05, "{gain} dB, expected {expected_gain}");
    let end = editor.node();
    assert!((end - (start + by)).length() < 1.0, "the node ends under the pointer: {end:?} vs {:?}", start + by);
}

#[test]
fn shift_drag_moves_a_tenth_as_far() {
    let mut editor = editor();
    let params = editor.shared.params.clone();
    editor.preset(&params.bands()[BAND].on, true);
    let start = editor.node();
    let axes = *editor.harness.state().curve.plot_axes().unwrap();
    let mut events = vec![Event::ModifiersChanged(Modifiers::SHIFT)];
    events.extend(drag(start, Vec2::new(100.0, -50.0), 10));
    events.push(Event::ModifiersChanged(Modifiers::NONE));
    editor.play(events);

    let gestures = editor.host.take();
    single_gesture(&gestures, "eq3_freq");
    single_gesture(&gestures, "eq3_gain");
    editor.assert_no_stray_gestures();
    let freq = f64::from(editor.band().freq.value());
    let gain = editor.band().gain.value();
    let expected_freq = axes.freq_of(start.x + 10.0);
    let expected_gain = axes.db_of(start.y - 5.0);
    assert!((freq / expected_freq - 1.0).abs() < 0.01, "{freq} Hz, expected {expected_freq}");
    assert!((gain - expected_gain).abs() < 0.05, "{gain} dB, expected {expected_gain}");
}

#[test]
fn dragging_a_node_without_gain_moves_only_its_frequency() {
    let mut editor = editor();
    let params = editor.shared.params.clone();
    editor.preset(&params.bands()[BAND].on, true);
    editor.preset(&params.bands()[BAND].kind, Choice(FilterKind::HighPass));
    let start = editor.node();
    editor.play(drag(start, Vec2::new(-40.0, -60.0), 8));

    let gestures = editor.host.take();
    assert_eq!(ids_touched(&gestures), ["eq3_freq"], "a high-pass has no gain to move");
    single_gesture(&gestures, "eq3_freq");
    editor.assert_no_stray_gestures();
    assert!(editor.band().freq.value() < 300.0);
    assert_eq!(editor.band().gain.value(), 0.0);
}

#[test]
fn dragging_a_switched_off_node_switches_the_band_on() {
    let mut editor = editor();
    assert!(!editor.band().on.value());
    let start = editor.node();
    editor.play(drag(start, Vec2::new(30.0, -30.0), 6));

    let gestures = editor.host.take();
    assert_eq!(ids_touched(&gestures), ["eq3_freq", "eq3_gain", "eq3_on"]);
    assert_eq!(single_gesture(&gestures, "eq3_on"), [1.0]);
    single_gesture(&gestures, "eq3_freq");
    single_gesture(&gestures, "eq3_gain");
    editor.assert_no_stray_gestures();
    assert!(editor.band().on.value());
}

#[test]
fn the_wheel_over_a_node_changes_q_one_gesture_per_notch() {
    let mut editor = editor();
    let params = editor.shared.params.clone();
    editor.preset(&params.bands()[BAND].on, true);
    let node = editor.node();
    editor.play([Event::PointerMoved(node)]);
    let q_before = editor.band().q.value();

    editor.play([wheel(1.0)]);
    let gestures = editor.host.take();
    assert_eq!(ids_touched(&gestures), ["eq3_q"]);
    assert_eq!(single_gesture(&gestures, "eq3_q").len(), 1);
    let q_up = editor.band().q.value();
    assert!((q_up / q_before - 2f32.powf(0.25)).abs() < 0.01, "one notch up: Q {q_before} -> {q_up}");

    editor.play([wheel(-1.0), wheel(-1.0)]);
    let gestures = editor.host.take();
    let begins = gestures.iter().filter(|g| matches!(g, Gesture::Begin(_))).count();
    assert_eq!(begins, 2, "one gesture per wheel event: {gestures:?}");
    let q_down = editor.band().q.value();
    assert!((q_down / q_before - 2f32.powf(-0.25)).abs() < 0.01, "two notches down: Q {q_before} -> {q_down}");
    editor.assert_no_stray_gestures();
}

#[test]
fn double_clicking_a_node_resets_frequency_gain_and_q() {
    let mut editor = editor();
    let params = editor.shared.params.clone();
    let band = params.bands()[BAND];
    editor.preset(&band.on, true);
    editor.preset(&band.freq, 1234.0);
    editor.preset(&band.gain, -7.5);
    editor.preset(&band.q, 3.0);
    let node = editor.node();
    editor.play(double_click(node));

    let gestures = editor.host.take();
    assert_eq!(ids_touched(&gestures), ["eq3_freq", "eq3_gain", "eq3_q"]);
    for id in ["eq3_freq", "eq3_gain", "eq3_q"] {
        assert_eq!(single_gesture(&gestures, id).len(), 1, "{id}: one value, the default");
    }
    editor.assert_no_stray_gestures();
    let band = editor.band();
    assert!((band.freq.value() - 300.0).abs() < 0.5, "{}", band.freq.value());
    assert_eq!(band.gain.value(), 0.0);
    assert!((band.q.value() - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-3, "{}", band.q.value());
    assert!(band.on.value(), "resetting keeps the band on");
}

#[test]
fn double_clicking_empty_space_switches_on_the_nearest_free_band_there() {
    let mut editor = editor();
    let params = editor.shared.params.clone();
    let axes = *editor.harness.state().curve.plot_axes().unwrap();
    // 3 kHz, +6 dB: clear of the switched-off nodes on the 0 dB line; band 5 (2 kHz) is nearest.
    let at = Pos2::new(axes.x_of(3000.0), axes.y_of(6.0));
    editor.play(double_click(at));

    let gestures = editor.host.take();
    assert_eq!(ids_touched(&gestures), ["eq5_freq", "eq5_gain", "eq5_on"]);
    for id in ["eq5_freq", "eq5_gain", "eq5_on"] {
        single_gesture(&gestures, id);
    }
    editor.assert_no_stray_gestures();
    let band = params.bands()[4];
    assert!(band.on.value());
    assert!((f64::from(band.freq.value()) / 3000.0 - 1.0).abs() < 0.01, "{}", band.freq.value());
    assert!((band.gain.value() - 6.0).abs() < 0.05, "{}", band.gain.value());
    assert_eq!(editor.harness.state().curve.selected_band, 4);
}

#[test]
fn hovering_alone_touches_no_parameter() {
    let mut editor = editor();
    let params = editor.shared.params.clone();
    editor.preset(&params.bands()[BAND].on, true);
    let node = editor.node();
    let around = [node, node + Vec2::new(4.0, -3.0), node + Vec2::new(80.0, 40.0), node];
    editor.play(around.into_iter().map(Event::PointerMoved));
    editor.harness.run_steps(30);
    for band in 0..8 {
        let other = editor.harness.state().curve.node_position(band).unwrap();
        editor.play([Event::PointerMoved(other)]);
    }
    editor.play([Event::PointerGone]);
    assert!(editor.host.take().is_empty(), "hovering must not begin or set anything");
    editor.assert_no_stray_gestures();
}

#[test]
fn the_node_menu_changes_the_band_type() {
    let mut editor = editor();
    let params = editor.shared.params.clone();
    editor.preset(&params.bands()[BAND].on, true);
    let node = editor.node();
    editor.play([Event::PointerMoved(node), press(node, PointerButton::Secondary, true), press(node, PointerButton::Secondary, false)]);
    assert!(editor.host.take().is_empty(), "opening the menu changes nothing");
    assert_eq!(editor.harness.state().curve.selected_band, BAND);

    editor.harness.get_by_label("Low Pass").click();
    editor.harness.run_steps(3);
    let gestures = editor.host.take();
    assert_eq!(ids_touched(&gestures), ["eq3_type"]);
    assert_eq!(single_gesture(&gestures, "eq3_type").len(), 1);
    editor.assert_no_stray_gestures();
    assert_eq!(editor.band().kind.value(), Choice(FilterKind::LowPass));

    // A low-pass offers its slope in the same menu.
    editor.play([Event::PointerMoved(editor.node()), press(editor.node(), PointerButton::Secondary, true), press(editor.node(), PointerButton::Secondary, false)]);
    editor.harness.get_by_label("36 dB/oct").click();
    editor.harness.run_steps(3);
    let gestures = editor.host.take();
    assert_eq!(ids_touched(&gestures), ["eq3_slope"]);
    single_gesture(&gestures, "eq3_slope");
    assert_eq!(editor.band().slope.value().0.db_per_octave(), 36);
    editor.assert_no_stray_gestures();
}

#[test]
fn nodes_stay_inside_the_plot_up_to_nyquist() {
    let mut editor = editor_at_rate(44_100.0);
    let params = editor.shared.params.clone();
    editor.preset(&params.bands()[BAND].on, true);
    editor.preset(&params.bands()[BAND].freq, 30_000.0);
    editor.preset(&params.bands()[BAND].gain, 24.0);
    let axes = *editor.harness.state().curve.plot_axes().unwrap();
    assert!((axes.max_freq - 22_050.0).abs() < 1.0, "the axis ends at Nyquist: {}", axes.max_freq);
    let node = editor.node();
    assert!(axes.rect.contains(node), "{node:?} outside {:?}", axes.rect);
    assert!((axes.freq_of(node.x) / (0.47 * 44_100.0) - 1.0).abs() < 0.01, "shown where the DSP holds it");

    // Dragging far beyond the right edge stops at the highest frequency a band can take.
    editor.preset(&params.bands()[BAND].freq, 1000.0);
    let start = editor.node();
    editor.play(drag(start, Vec2::new(2000.0, 0.0), 10));
    single_gesture(&editor.host.take(), "eq3_freq");
    let freq = f64::from(editor.band().freq.value());
    assert!((freq / (0.47 * 44_100.0) - 1.0).abs() < 0.01, "{freq}");
    assert!(axes.rect.contains(editor.node()));
}
