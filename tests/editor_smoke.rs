//! The whole editor draws headless without touching any parameter.
mod common;
use common::gui::{editor_fixture, editor_harness};

#[test]
fn whole_editor_draws_headless() {
    let (shared, host, context) = editor_fixture();
    let mut harness = editor_harness(&shared, context);
    harness.run_steps(3);
    assert!(host.take().is_empty(), "drawing alone must not touch any parameter");
}
