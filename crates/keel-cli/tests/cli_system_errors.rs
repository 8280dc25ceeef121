//! The operating system refusing an operation on valid arguments: exit code 3, one line naming
//! the file and the cause, nothing left behind, the input untouched.

mod cli_common;

use cli_common::*;
use std::path::Path;
use std::process::Command;

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// A tmpfs of `size` mounted on a scratch folder for as long as it lives.
struct SmallDisk {
    scratch: Scratch,
}

impl SmallDisk {
    fn mount(label: &str, size: &str) -> Result<Self, String> {
        let scratch = Scratch::new(label);
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&scratch.dir)
            .status()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !status.success() {
            return Err(format!("mount -t tmpfs failed ({status})"));
        }
        Ok(Self { scratch })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.scratch.dir).status();
    }
}

fn assert_refused_by_the_system(args: &[&str], file: &Path, cause: &str) {
    let result = keel(args);
    let message = stderr(&result);
    assert_eq!(result.status.code(), Some(3), "exit code: {message}");
    assert_eq!(message.lines().count(), 1, "one line expected, got: {message}");
    assert!(message.contains(&file.display().to_string()), "the file is named: {message}");
    assert!(message.contains(cause), "the cause is named: {message}");
}

#[test]
fn a_render_to_a_full_disk_exits_3_and_leaves_nothing() {
    if !is_root() {
        println!("SKIPPED: mounting a small tmpfs needs root (CI runs as root)");
        return;
    }
    let disk = match SmallDisk::mount("full-disk", "256k") {
        Ok(disk) => disk,
        Err(e) => panic!("running as root, but no small file system for the test: {e}"),
    };
    let source = Scratch::new("full-disk-source");
    // Two seconds of stereo float: about 750 kB, three times what the disk holds.
    let input = generate(&source, "pink", "in.wav", &["--seconds", "2", "--format", "f32"]);
    let before = bytes(&input);
    let output = disk.scratch.path("out.wav");
    assert_refused_by_the_system(
        &["render", input.to_str().unwrap(), "-o", output.to_str().unwrap()],
        &output,
        "No space left on device",
    );
    assert!(disk.scratch.listing().is_empty(), "left behind: {:?}", disk.scratch.listing());
    assert_eq!(bytes(&input), before, "the input is untouched");
}

#[test]
fn an_output_folder_without_write_permission_exits_3() {
    if !is_root() {
        println!("SKIPPED: a read-only file system needs root to mount (CI runs as root)");
        return;
    }
    // Root ignores permission bits, so a read-only mount stands for a folder the user cannot write.
    let scratch = Scratch::new("read-only");
    let status = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k,ro", "tmpfs"])
        .arg(&scratch.dir)
        .status()
        .expect("mount runs");
    assert!(status.success(), "running as root, but no read-only file system for the test");
    let source = Scratch::new("read-only-source");
    let input = generate(&source, "sine", "in.wav", &["--seconds", "0.1"]);
    let output = scratch.path("out.wav");
    let result = keel(&["render", input.to_str().unwrap(), "-o", output.to_str().unwrap()]);
    let _ = Command::new("umount").arg(&scratch.dir).status();
    let message = stderr(&result);
    assert_eq!(result.status.code(), Some(3), "exit code: {message}");
    assert!(message.contains("out.wav") && message.contains("Read-only file system"), "{message}");
}
