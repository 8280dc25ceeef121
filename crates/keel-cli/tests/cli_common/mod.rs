//! Helpers for the `keel` command's integration tests: run the built binary, make scratch
//! folders, read and write WAV files through the library.
#![allow(dead_code)]

use keel_cli::source::AudioSource;
use keel_cli::wav::{self, Encoding, WavFormat};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

pub const KEEL: &str = env!("CARGO_BIN_EXE_keel");

/// Runs `keel` with `args`.
pub fn keel<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(KEEL).args(args).output().expect("keel binary runs")
}

/// Runs `keel` with extra environment variables.
pub fn keel_env<S: AsRef<std::ffi::OsStr>>(args: &[S], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(KEEL);
    command.args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("keel binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts success and returns stdout.
pub fn ok(output: Output) -> String {
    assert!(output.status.success(), "keel failed ({:?}): {}", output.status.code(), stderr(&output));
    stdout(&output)
}

/// A scratch folder removed when dropped.
pub struct Scratch {
    pub dir: PathBuf,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

impl Scratch {
    pub fn new(label: &str) -> Self {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("keel-cli-test-{}-{label}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// File names in the folder, sorted (temporary files included).
    pub fn listing(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn write_wav(path: &Path, rate: u32, encoding: Encoding, channels: &[Vec<f32>]) {
    let format = WavFormat { channels: channels.len() as u16, sample_rate: rate, encoding };
    wav::write_all(path, format, channels).unwrap();
}

pub fn read_wav(path: &Path) -> (WavFormat, Vec<Vec<f32>>) {
    AudioSource::open(path).unwrap().read_all::<f32>().unwrap()
}

pub fn read_wav_f64(path: &Path) -> (WavFormat, Vec<Vec<f64>>) {
    AudioSource::open(path).unwrap().read_all::<f64>().unwrap()
}

/// `keel gen NAME -o DIR/FILE` with extra arguments; returns the path.
pub fn generate(scratch: &Scratch, name: &str, file: &str, extra: &[&str]) -> PathBuf {
    let path = scratch.path(file);
    let mut args = vec!["gen", name, "-o", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    ok(keel(&args));
    path
}

pub fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

/// Runs ffmpeg quietly; fails, naming what is missing, when it cannot.
pub fn ffmpeg(args: &[&str]) {
    let result = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("ffmpeg is needed for this test (cargo xtask test installs it): {e}"));
    assert!(result.status.success(), "ffmpeg {args:?}: {}", String::from_utf8_lossy(&result.stderr));
}
