//! Settings A/B and undo/redo, driven through the editor as a user would (egui_kittest), with
//! every parameter change checked as the host receives it: one begin/set/end gesture per
//! parameter an undo, a redo or a slot switch changes, and nothing else. Also the monitoring
//! controls: listen-as and compare switch the editor-owned state (no host gesture at all) and
//! show the banner.

mod common;
use common::gui::{RecordingHost, editor_fixture, editor_harness, gesture_names};
use egui::{Event, Modifiers, PointerButton, Pos2, Vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use keel::editor::{EditorShared, KeelUi};
use nice_plug::prelude::*;
use std::sync::Arc;
use std::sync::atomic::Ordering;

struct Editor {
    harness: Harness<'static, KeelUi>,
    shared: EditorShared,
    host: Arc<RecordingHost>,
}

fn editor() -> Editor {
    let (shared, host, context) = editor_fixture();
    let mut harness = editor_harness(&shared, context);
    harness.run_steps(2);
    Editor { harness, shared, host }
}

fn button(pos: Pos2, pressed: bool) -> Event {
    Event::PointerButton { pos, button: PointerButton::Primary, pressed, modifiers: Modifiers::NONE }
}

impl Editor {
    /// Drags the control labelled `name` right by `points`, in steps, as one mouse gesture.
    fn drag(&mut self, name: &str, points: f32) {
        let at = self.harness.get_by_role_and_label(egui::accesskit::Role::Slider, name).rect().center();
        let mut events = vec![Event::PointerMoved(at), button(at, true)];
        events.extend((1..=5).map(|k| Event::PointerMoved(at + Vec2::new(points * k as f32 / 5.0, 0.0))));
        events.push(button(at + Vec2::new(points, 0.0), false));
        for event in events {
            self.harness.event(event);
            self.harness.step();
        }
        self.harness.run_steps(2);
    }

    fn click(&mut self, label: &str) {
        self.harness.get_by_label(label).click();
        self.harness.run_steps(2);
    }

    /// The gestures since the last call, as "begin id" / "set id" / "end id".
    fn gestures(&self) -> Vec<String> {
        gesture_names(&self.host.take())
    }

    fn threshold(&self) -> f32 {
        self.shared.params.comp.threshold.value()
    }

    fn ratio(&self) -> f32 {
        self.shared.params.comp.ratio.value()
    }
}

const ONE_GESTURE: fn(&str) -> Vec<String> = |id| vec![format!("begin {id}"), format!("set {id}"), format!("end {id}")];

#[test]
fn undo_and_redo_step_through_the_edits_made_in_the_editor_as_host_gestures() {
    let mut e = editor();
    let original = e.threshold();
    e.drag("Threshold", 60.0);
    let dragged = e.threshold();
    assert!(dragged > original);
    e.drag("Ratio", 40.0);
    let ratio = e.ratio();
    e.gestures();

    e.click("Undo");
    assert_eq!(e.ratio(), e.shared.params.comp.ratio.default_plain_value(), "undo takes back the last drag");
    assert_eq!(e.threshold(), dragged, "and only the last one");
    assert_eq!(e.gestures(), ONE_GESTURE("comp_ratio"));

    e.click("Undo");
    assert_eq!(e.threshold(), original);
    assert_eq!(e.gestures(), ONE_GESTURE("comp_threshold"));

    e.click("Redo");
    assert_eq!(e.threshold(), dragged);
    e.click("Redo");
    assert_eq!(e.ratio(), ratio);
    assert_eq!(e.gestures(), [ONE_GESTURE("comp_threshold"), ONE_GESTURE("comp_ratio")].concat());

    // A new edit after an undo drops what could be redone.
    e.click("Undo");
    e.drag("Threshold", -30.0);
    e.click("Redo");
    assert_ne!(e.ratio(), ratio, "redo after a new edit must do nothing");
    assert!(!e.host.set_outside_gesture.load(Ordering::Relaxed));
    assert!(e.host.open_gestures().is_empty());
}

#[test]
fn settings_slots_switch_and_copy_as_host_gestures() {
    let mut e = editor();
    e.drag("Threshold", 60.0);
    let a_threshold = e.threshold();
    e.gestures();

    // B starts as a copy of A: switching changes nothing.
    e.click("B");
    assert!(e.gestures().is_empty());
    e.drag("Ratio", 40.0);
    let b_ratio = e.ratio();
    e.gestures();

    e.click("A");
    assert_eq!(e.ratio(), e.shared.params.comp.ratio.default_plain_value());
    assert_eq!(e.threshold(), a_threshold);
    assert_eq!(e.gestures(), ONE_GESTURE("comp_ratio"));

    e.click("B");
    assert_eq!(e.ratio(), b_ratio);
    assert_eq!(e.gestures(), ONE_GESTURE("comp_ratio"));

    // Copy B to A, then switching back and forth changes nothing.
    e.click("Copy B to A");
    e.click("A");
    e.click("B");
    assert_eq!(e.ratio(), b_ratio);
    assert!(e.gestures().is_empty());

    // A slot switch is one undoable step.
    e.drag("Threshold", -40.0);
    let edited = e.threshold();
    e.click("A");
    e.click("Undo");
    assert_eq!(e.threshold(), edited);
    assert!(e.host.open_gestures().is_empty());
    assert!(!e.host.set_outside_gesture.load(Ordering::Relaxed));
}

#[test]
fn changes_from_the_host_are_not_editor_edits() {
    let mut e = editor();
    e.drag("Threshold", 60.0);
    let dragged = e.threshold();
    // Automation between frames: the host sets the ratio itself.
    let ratio = &e.shared.params.comp.ratio;
    // SAFETY: the host's own parameter write, as a host's automation does.
    unsafe { ratio.as_ptr()._internal_set_normalized_value(0.8) };
    e.harness.run_steps(3);
    let automated = e.ratio();
    e.gestures();
    e.click("Undo");
    assert_eq!(e.threshold(), e.shared.params.comp.threshold.default_plain_value(), "undo takes back the drag");
    assert_eq!(e.ratio(), automated, "the host's change is not undone");
    let _ = dragged;
}

#[test]
fn the_monitoring_controls_switch_editor_state_only_and_show_a_banner() {
    let mut e = editor();
    assert!(e.harness.query_by_label_contains("MONITORING").is_none());
    e.harness.get_by_label("Listen as").click();
    e.harness.run_steps(2);
    e.click("Spotify (Loud, Premium)");
    assert_eq!(e.shared.monitor.listen_as().map(|t| t.id), Some("spotify-loud"));
    e.click("Compare with input");
    assert!(e.shared.monitor.compare());
    assert!(
        e.harness
            .query_by_label_contains("MONITORING: listening as Spotify (Loud, Premium) and playing the input")
            .is_some()
    );
    assert!(e.gestures().is_empty(), "monitoring is not a parameter");
    e.click("Compare with input");
    e.harness.get_by_label("Listen as").click();
    e.harness.run_steps(2);
    e.click("Off (as rendered)");
    assert!(!e.shared.monitor.any_on());
    assert!(e.harness.query_by_label_contains("MONITORING").is_none());
    // The bypass says what it is.
    assert!(e.harness.query_all_by_label("Bypass").count() >= 2, "the bypass control is labelled");
}
