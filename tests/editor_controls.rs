//! The parameter controls every panel uses: a drag is one gesture, the wheel steps, double-click
//! restores the default, and a drag cut short by the editor closing still ends its gestures.

mod common;
use common::gui::{RecordingHost, editor_fixture, editor_harness, gesture_names};
use egui::{Event, Modifiers, MouseWheelUnit, PointerButton, Pos2, Vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use keel::editor::{EditorShared, KeelUi, widgets};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::*;
use std::sync::Arc;
use std::sync::atomic::Ordering;

struct Editor {
    harness: Harness<'static, KeelUi>,
    shared: EditorShared,
    host: Arc<RecordingHost>,
    context: GuiContext,
}

fn editor() -> Editor {
    let (shared, host, context) = editor_fixture();
    let mut harness = editor_harness(&shared, context.clone());
    harness.run_steps(2);
    Editor { harness, shared, host, context }
}

impl Editor {
    /// Centre of the control labelled with the parameter's name.
    fn control(&self, name: &str) -> Pos2 {
        self.harness.get_by_role_and_label(egui::accesskit::Role::Slider, name).rect().center()
    }

    fn play(&mut self, events: Vec<Event>) {
        for event in events {
            self.harness.event(event);
            self.harness.step();
        }
        self.harness.run_steps(2);
    }
}

fn button(pos: Pos2, pressed: bool) -> Event {
    Event::PointerButton { pos, button: PointerButton::Primary, pressed, modifiers: Modifiers::NONE }
}

#[test]
fn dragging_a_control_is_one_gesture_and_moves_the_value() {
    let mut e = editor();
    let at = e.control("Threshold");
    let before = e.shared.params.comp.threshold.value();
    let mut events = vec![Event::PointerMoved(at), button(at, true)];
    events.extend((1..=6).map(|k| Event::PointerMoved(at + Vec2::new(10.0 * k as f32, 0.0))));
    events.push(button(at + Vec2::new(60.0, 0.0), false));
    e.play(events);
    let gestures = e.host.take();
    let names = gesture_names(&gestures);
    assert_eq!(names.first().map(String::as_str), Some("begin comp_threshold"), "{names:?}");
    assert_eq!(names.last().map(String::as_str), Some("end comp_threshold"), "{names:?}");
    assert_eq!(names.iter().filter(|n| n.starts_with("begin")).count(), 1, "{names:?}");
    assert!(names.iter().filter(|n| n.starts_with("set")).count() >= 2, "{names:?}");
    assert!(e.shared.params.comp.threshold.value() > before, "dragging right raises the value");
    assert!(!e.host.set_outside_gesture.load(Ordering::Relaxed));
    assert!(e.host.open_gestures().is_empty());
}

#[test]
fn the_wheel_steps_a_control_and_double_click_restores_the_default() {
    let mut e = editor();
    let at = e.control("Threshold");
    let default = e.shared.params.comp.threshold.default_plain_value();
    e.play(vec![
        Event::PointerMoved(at),
        Event::MouseWheel {
            unit: MouseWheelUnit::Line,
            delta: Vec2::new(0.0, 3.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
            modifiers: Modifiers::NONE,
        },
    ]);
    let moved = e.shared.params.comp.threshold.value();
    assert!(moved > default, "scrolling up raises the value ({default} -> {moved})");
    let gestures = gesture_names(&e.host.take());
    assert_eq!(gestures, ["begin comp_threshold", "set comp_threshold", "end comp_threshold"], "one wheel event, one gesture");
    assert!(e.host.open_gestures().is_empty());

    for event in [Event::PointerMoved(at), button(at, true), button(at, false), button(at, true), button(at, false)] {
        e.harness.event(event);
    }
    e.harness.run_steps(3);
    assert_eq!(e.shared.params.comp.threshold.value(), default);
    assert!(e.host.open_gestures().is_empty());
    assert!(!e.host.set_outside_gesture.load(Ordering::Relaxed));
}

#[test]
fn closing_the_editor_mid_drag_ends_the_open_gestures() {
    let mut e = editor();
    // A control drag and an EQ node drag, both left hanging.
    let at = e.control("Threshold");
    e.play(vec![Event::PointerMoved(at), button(at, true), Event::PointerMoved(at + Vec2::new(30.0, 0.0))]);
    assert_eq!(e.host.open_gestures(), ["comp_threshold"]);
    e.play(vec![button(at + Vec2::new(30.0, 0.0), false)]);
    e.host.take();

    let node = e.harness.state().curve.node_position(2).expect("curve drawn");
    e.play(vec![Event::PointerMoved(node), button(node, true), Event::PointerMoved(node + Vec2::new(20.0, -20.0))]);
    assert!(!e.host.open_gestures().is_empty());

    // What the editor does when its window closes.
    let setter = e.context.param_setter();
    widgets::end_open_gestures(&e.harness.ctx, &e.context);
    e.harness.state_mut().curve.end_drag(&e.shared.params, &setter);
    assert!(e.host.open_gestures().is_empty(), "still open: {:?}", e.host.open_gestures());
}
