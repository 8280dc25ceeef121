//! `cargo xtask bundle keel --release`, `cargo xtask install`, `cargo xtask test` (bundles first).
//! Each first makes sure the system packages the build needs are there (installing them with
//! apt-get on Debian/Ubuntu), then does its work. Other commands go to nice-plug's xtask.

mod system;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("bundle") => system::ensure(system::BUILD).and_then(|_| bundle(&args[1..])),
        Some("install") => install(),
        Some("test") => {
            system::ensure(&[system::BUILD, system::DISPLAY].concat())
                .map(|()| system::ensure_each(system::TEST_TOOLS))
                .and_then(|()| test(&args[1..]))
        }
        _ => nice_plug_xtask::main_with_args("cargo xtask", args).map_err(|e| format!("{e:#}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

/// Where the bundler writes: `bundled/` in cargo's target directory, which CARGO_TARGET_DIR
/// may move.
fn bundled_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    };
    target.join("bundled")
}

fn bundle(args: &[String]) -> Result<(), String> {
    let mut full = vec!["bundle".to_string()];
    full.extend_from_slice(args);
    nice_plug_xtask::main_with_args("cargo xtask", full).map_err(|e| format!("{e:#}"))
}

/// Copies the bundles into the user's CLAP and VST3 folders.
fn install() -> Result<(), String> {
    let bundled = bundled_dir();
    let home = std::env::var_os("HOME").map(PathBuf::from).ok_or("HOME is not set")?;
    let (clap_dir, vst3_dir) = if cfg!(target_os = "macos") {
        let base = home.join("Library/Audio/Plug-Ins");
        (base.join("CLAP"), base.join("VST3"))
    } else if cfg!(target_os = "windows") {
        let common = PathBuf::from(std::env::var("COMMONPROGRAMFILES").unwrap_or_else(|_| "C:\\Program Files\\Common Files".into()));
        (common.join("CLAP"), common.join("VST3"))
    } else {
        (home.join(".clap"), home.join(".vst3"))
    };
    for (name, dir) in [("Keel.clap", clap_dir), ("Keel.vst3", vst3_dir)] {
        let source = bundled.join(name);
        if !source.exists() {
            return Err(format!("{} is missing: run `cargo xtask bundle keel --release` first", source.display()));
        }
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let dest = dir.join(name);
        copy_recursive(&source, &dest).map_err(|e| format!("cannot copy to {}: {e}", dest.display()))?;
        println!("installed {}", dest.display());
    }
    Ok(())
}

fn copy_recursive(from: &Path, to: &Path) -> std::io::Result<()> {
    if from.is_dir() {
        if to.exists() {
            std::fs::remove_dir_all(to)?;
        }
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            copy_recursive(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        std::fs::copy(from, to).map(|_| ())
    }
}

/// The whole suite: every test of the workspace, with a virtual display for the window tests.
/// The release bundle is built first: the host tests (`host-tests/`) load it like a DAW does.
fn test(extra: &[String]) -> Result<(), String> {
    let root = workspace_root();
    bundle(&["keel".into(), "--release".into()])?;
    let clap_bundle = bundled_dir().join("Keel.clap");
    let vst3_bundle = bundled_dir().join("Keel.vst3");
    let _display = system::VirtualDisplay::start()?;
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo
        .current_dir(&root)
        .env("KEEL_CLAP_BUNDLE", &clap_bundle)
        .env("KEEL_VST3_BUNDLE", &vst3_bundle)
        .args(["test", "--workspace", "--all-targets", "--no-fail-fast", "--features", "keel/standalone"])
        .args(extra);
    println!("xtask: running {cargo:?}");
    let status = cargo.status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("tests failed".into());
    }
    // Doc tests are not part of --all-targets.
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(&root)
        .env("KEEL_CLAP_BUNDLE", &clap_bundle)
        .env("KEEL_VST3_BUNDLE", &vst3_bundle)
        .args(["test", "--workspace", "--doc"])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() { Ok(()) } else { Err("doc tests failed".into()) }
}
