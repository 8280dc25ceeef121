//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod gui;
pub mod limiter_signals;

/// Runs `f` with allocation forbidden. In test builds (debug assertions on) the plugin framework
/// installs an allocator that aborts the process when something allocates inside this scope, so
/// an allocation on the audio path fails the test.
pub fn assert_no_alloc<R>(f: impl FnOnce() -> R) -> R {
    nice_assert_no_alloc::assert_no_alloc(f)
}

pub fn db_to_gain(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

pub fn gain_to_db(gain: f64) -> f64 {
    20.0 * gain.abs().max(1e-30).log10()
}

/// RMS of a slice in dBFS.
pub fn rms_db(x: &[f64]) -> f64 {
    let power = x.iter().map(|v| v * v).sum::<f64>() / x.len().max(1) as f64;
    10.0 * power.max(1e-300).log10()
}

/// A sine of `freq` Hz, peak `amplitude`, starting at `phase` radians.
pub fn sine(freq: f64, fs: f64, amplitude: f64, phase: f64, len: usize) -> Vec<f32> {
    (0..len).map(|n| (amplitude * (std::f64::consts::TAU * freq * n as f64 / fs + phase).sin()) as f32).collect()
}

/// A sine with raised-cosine fades of `fade` samples at both ends (an abrupt start makes any
/// band-limited interpolator ring), as f32.
pub fn faded_sine(freq: f64, fs: f64, amplitude: f64, phase: f64, len: usize, fade: usize) -> Vec<f32> {
    let mut x = keel_core::signals::sine(freq, fs, len as f64 / fs, amplitude, phase);
    keel_core::signals::fade_in_out(&mut x, fade);
    x.iter().map(|&v| v as f32).collect()
}

/// Writes stereo 32-bit float WAV (for tools outside Keel: ffmpeg, jack-play).
pub fn write_stereo_f32_wav(path: &std::path::Path, fs: u32, left: &[f32], right: &[f32]) -> std::io::Result<()> {
    let data_len = (left.len() * 8) as u32;
    let mut b = Vec::with_capacity(44 + data_len as usize);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&3u16.to_le_bytes()); // IEEE float
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&fs.to_le_bytes());
    b.extend_from_slice(&(fs * 8).to_le_bytes());
    b.extend_from_slice(&8u16.to_le_bytes());
    b.extend_from_slice(&32u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for (l, r) in left.iter().zip(right) {
        b.extend_from_slice(&l.to_le_bytes());
        b.extend_from_slice(&r.to_le_bytes());
    }
    std::fs::write(path, b)
}
