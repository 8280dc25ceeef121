//! Proves the allocation guard used by the realtime tests is armed: an allocation inside it must
//! kill the process.

// Link the plugin crate: its framework installs the allocator that enforces the guard.
extern crate keel as _;

mod common;

use std::process::Command;

#[test]
fn allocation_inside_the_guard_aborts() {
    if std::env::var_os("KEEL_ALLOC_CANARY").is_some() {
        common::assert_no_alloc(|| {
            let v = vec![1u8; 64];
            std::hint::black_box(v);
        });
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let output = Command::new(exe)
        .args(["allocation_inside_the_guard_aborts", "--exact", "--test-threads=1"])
        .env("KEEL_ALLOC_CANARY", "1")
        .output()
        .unwrap();
    assert!(!output.status.success(), "an allocation inside the guard went unnoticed");
}
