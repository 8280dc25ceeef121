//! System packages: find what is missing and install it on Debian/Ubuntu, or name it elsewhere.

use std::process::{Child, Command, Stdio};

/// Packages the plugin, its editor and the standalone build against.
pub const BUILD: &[&str] = &[
    "pkg-config",
    "libx11-dev",
    "libxcursor-dev",
    "libxcb1-dev",
    "libxcb-icccm4-dev",
    "libxcb-dri2-0-dev",
    "libx11-xcb-dev",
    "libgl-dev",
    "libasound2-dev",
    "libjack-jackd2-dev",
    // The `keel` command's Opus decoder links libopus (on other systems the crate builds its
    // bundled source with cmake and a C compiler).
    "libopus-dev",
    "cmake",
];

/// A virtual display with software OpenGL, for the window tests.
pub const DISPLAY: &[&str] = &["xvfb", "xauth", "x11-apps", "libgl1-mesa-dri", "libglx-mesa0"];

/// The independent tools the tests compare against, and what the codec round trips run: ffmpeg
/// and its encoders make the FLAC, ALAC, AIFF, MP3, AAC, Vorbis and Opus files the decoders are
/// checked with, and its aac encoder is `keel`'s AAC; LAME's shared library is `keel`'s MP3
/// encoder (loaded at run time); Chromium renders, screenshots and prints `keel report`'s HTML;
/// a JACK server with its dummy driver and jack-tools' player feed music to the standalone
/// editor in the window test.
pub const TEST_TOOLS: &[&str] = &["ffmpeg", "libmp3lame0", "chromium", "jackd2", "jack-tools"];

fn is_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn have(command: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {command}")]).stdout(Stdio::null()).status().is_ok_and(|s| s.success())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

/// Makes sure every package in `packages` is installed.
pub fn ensure(packages: &[&str]) -> Result<(), String> {
    if !cfg!(target_os = "linux") {
        return Ok(());
    }
    if !have("dpkg-query") || !have("apt-get") {
        return check_without_apt(packages);
    }
    let missing: Vec<&str> = packages.iter().copied().filter(|p| !is_installed(p)).collect();
    if missing.is_empty() {
        println!("xtask: system packages present ({} checked)", packages.len());
        return Ok(());
    }
    // sudo drops the environment: the non-interactive frontend (jackd2 asks a question when it
    // installs) goes through `env` after it.
    let sudo: &[&str] = if is_root() {
        &[]
    } else if have("sudo") {
        &["sudo", "env", "DEBIAN_FRONTEND=noninteractive"]
    } else {
        return Err(format!("missing packages and no root or sudo to install them: {}", missing.join(" ")));
    };
    println!("xtask: installing missing system packages with apt-get: {}", missing.join(" "));
    run(sudo, &["apt-get", "update", "-q"])?;
    let mut install = vec!["apt-get", "install", "-y", "-q", "--no-install-recommends"];
    install.extend(&missing);
    run(sudo, &install)
}

/// Installs each of `packages` on its own, so one the distribution lacks (Ubuntu ships Chromium
/// only as a snap) does not stop the others; says loudly which could not be installed. The tests
/// that need a missing tool fail and name it.
pub fn ensure_each(packages: &[&str]) {
    for package in packages {
        if let Err(e) = ensure(&[package]) {
            println!("xtask: WARNING: could not install {package} ({e}); the tests that need it will fail and say so");
        }
    }
}

/// pkg-config modules the build links against, with the Debian package that provides each.
const PKG_CONFIG_MODULES: &[(&str, &str)] = &[
    ("x11", "libx11-dev"),
    ("xcursor", "libxcursor-dev"),
    ("xcb", "libxcb1-dev"),
    ("xcb-icccm", "libxcb-icccm4-dev"),
    ("xcb-dri2", "libxcb-dri2-0-dev"),
    ("x11-xcb", "libx11-xcb-dev"),
    ("gl", "libgl-dev"),
    ("alsa", "libasound2-dev"),
    ("jack", "libjack-jackd2-dev"),
];

/// Other Linux distributions: find missing libraries through pkg-config and stop, naming them.
fn check_without_apt(packages: &[&str]) -> Result<(), String> {
    if !have("pkg-config") {
        return Err(format!(
            "not a Debian/Ubuntu system and pkg-config is missing; install pkg-config and the equivalents of: {}",
            packages.join(" ")
        ));
    }
    let missing: Vec<String> = PKG_CONFIG_MODULES
        .iter()
        .filter(|(module, _)| !Command::new("pkg-config").args(["--exists", module]).status().is_ok_and(|s| s.success()))
        .map(|(module, debian)| format!("{module} (Debian: {debian})"))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("missing development libraries, install them with your package manager: {}", missing.join(", ")))
    }
}

fn run(prefix: &[&str], command: &[&str]) -> Result<(), String> {
    let full: Vec<&str> = prefix.iter().chain(command).copied().collect();
    println!("xtask: $ {}", full.join(" "));
    let status = Command::new(full[0])
        .args(&full[1..])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .map_err(|e| format!("cannot run {}: {e}", full[0]))?;
    if status.success() { Ok(()) } else { Err(format!("`{}` failed with {status}", full.join(" "))) }
}

/// An Xvfb server for the duration of the test run, unless a display is already there. The
/// screen is large so the pointer (at its centre) rests outside a plugin window at the origin.
pub struct VirtualDisplay {
    child: Option<Child>,
}

impl VirtualDisplay {
    pub fn start() -> Result<Self, String> {
        if !cfg!(target_os = "linux") || std::env::var_os("DISPLAY").is_some() || !have("Xvfb") {
            return Ok(Self { child: None });
        }
        let display = ":97";
        println!("xtask: starting Xvfb on {display} for the window tests");
        let child = Command::new("Xvfb")
            .args([display, "-screen", "0", "2560x1800x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start Xvfb: {e}"))?;
        std::thread::sleep(std::time::Duration::from_millis(700));
        // SAFETY: single-threaded at this point; the variable is read by the child processes.
        unsafe { std::env::set_var("DISPLAY", display) };
        Ok(Self { child: Some(child) })
    }
}

impl Drop for VirtualDisplay {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
