//! AAC-LC through ffmpeg's own encoder (`-c:a aac`, LGPL), run as a separate program when it is
//! installed: Keel links no AAC encoder (Fraunhofer's FDK is not GPL-compatible and carries no
//! patent grant). The M4A it writes keeps the encoder delay in its edit list, which Keel's
//! decoder applies.

use super::EncodeError;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

const PROGRAM: &str = "ffmpeg";

/// ffmpeg's version line, or why AAC cannot run here.
fn probe() -> &'static Result<String, String> {
    static PROBE: OnceLock<Result<String, String>> = OnceLock::new();
    PROBE.get_or_init(|| {
        let missing = || "AAC needs the ffmpeg program (its LGPL aac encoder) on the PATH; install ffmpeg".to_string();
        let encoders = Command::new(PROGRAM).args(["-hide_banner", "-encoders"]).output().map_err(|_| missing())?;
        let list = String::from_utf8_lossy(&encoders.stdout);
        if !list.lines().any(|l| l.split_whitespace().nth(1) == Some("aac")) {
            return Err("the ffmpeg on the PATH has no aac encoder".to_string());
        }
        let version = Command::new(PROGRAM).arg("-version").output().map_err(|_| missing())?;
        let first = String::from_utf8_lossy(&version.stdout).lines().next().unwrap_or_default().to_string();
        let number = first.split_whitespace().nth(2).unwrap_or("?").to_string();
        Ok(format!("ffmpeg aac ({PROGRAM} {number})"))
    })
}

pub fn available() -> Result<(), String> {
    probe().as_ref().map(|_| ()).map_err(Clone::clone)
}

pub fn version() -> String {
    probe().clone().unwrap_or_else(|e| e)
}

/// Encodes planar audio to an M4A file at `out`.
pub fn encode(audio: &[Vec<f32>], sample_rate: u32, kbps: u32, out: &Path) -> Result<(), EncodeError> {
    let channels = audio.len();
    let mut child = Command::new(PROGRAM)
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "f32le"])
        .args(["-ar", &sample_rate.to_string(), "-ac", &channels.to_string(), "-i", "pipe:0"])
        .args(["-c:a", "aac", "-b:a", &format!("{kbps}k"), "-f", "ipod"])
        .arg(out)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| EncodeError::new(format!("cannot run {PROGRAM}: {e}")))?;
    let mut stdin = child.stdin.take().ok_or_else(|| EncodeError::new("no pipe to ffmpeg"))?;
    let frames = audio.first().map_or(0, Vec::len);
    let feeder = std::thread::scope(|scope| {
        let feeder = scope.spawn(move || -> std::io::Result<()> {
            const CHUNK: usize = 4096;
            let mut bytes = Vec::with_capacity(CHUNK * channels * 4);
            for start in (0..frames).step_by(CHUNK) {
                bytes.clear();
                for f in start..(start + CHUNK).min(frames) {
                    for channel in audio {
                        bytes.extend_from_slice(&channel[f].to_le_bytes());
                    }
                }
                stdin.write_all(&bytes)?;
            }
            Ok(())
        });
        feeder.join()
    });
    let output = child.wait_with_output().map_err(|e| EncodeError::new(format!("{PROGRAM}: {e}")))?;
    if !output.status.success() {
        let why = String::from_utf8_lossy(&output.stderr);
        return Err(EncodeError::new(format!("{PROGRAM} aac failed: {}", why.lines().next().unwrap_or("no message"))));
    }
    match feeder {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(EncodeError::new(format!("writing to {PROGRAM}: {e}"))),
        Err(_) => Err(EncodeError::new("the thread feeding ffmpeg failed")),
    }
}
