//! Codec round trips: encode audio with the encoder a platform streams it through, decode it
//! with Keel's decoder (delay and padding trimmed as the stream says), and measure what a
//! listener's player receives (docs/cli.md, "Codec-true peaks").
//!
//! Opus (libopus, bundled or system) and Vorbis (libvorbis, bundled) are linked into the
//! command; MP3 is LAME loaded at run time (LGPL, see lame.rs); AAC is ffmpeg's encoder run as a
//! program (see aac.rs). None of them reaches the plugin.

mod aac;
mod lame;
mod opus;
mod vorbis;

use super::error::{CliError, CliResult};
use super::measure::{Measurement, measure_file};
use super::progress::Progress;
use keel_core::dsp::resample::Resampler;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Aac,
    Opus,
    Vorbis,
    Mp3,
}

/// MPEG-1 Layer III bitrates (kbps), the ones LAME takes at 32, 44.1 and 48 kHz.
const MP3_BITRATES: &[u32] = &[32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];

impl Codec {
    pub const ALL: [Codec; 4] = [Codec::Aac, Codec::Opus, Codec::Vorbis, Codec::Mp3];

    pub fn name(self) -> &'static str {
        match self {
            Codec::Aac => "aac",
            Codec::Opus => "opus",
            Codec::Vorbis => "vorbis",
            Codec::Mp3 => "mp3",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name().eq_ignore_ascii_case(name))
    }

    /// The bitrates (kbps) this encoder takes, as the error message words them.
    fn bitrates_text(self) -> String {
        match self {
            Codec::Mp3 => MP3_BITRATES.iter().map(u32::to_string).collect::<Vec<_>>().join(", "),
            _ => {
                let (low, high) = self.bitrate_range();
                format!("{low} to {high}")
            }
        }
    }

    fn bitrate_range(self) -> (u32, u32) {
        match self {
            Codec::Aac => (32, 512),
            Codec::Opus => (16, 510),
            Codec::Vorbis => (48, 480),
            Codec::Mp3 => (32, 320),
        }
    }

    fn takes_bitrate(self, kbps: u32) -> bool {
        match self {
            Codec::Mp3 => MP3_BITRATES.contains(&kbps),
            _ => {
                let (low, high) = self.bitrate_range();
                (low..=high).contains(&kbps)
            }
        }
    }

    /// The file extension of its usual delivery container.
    pub fn extension(self) -> &'static str {
        match self {
            Codec::Aac => "m4a",
            Codec::Opus => "opus",
            Codec::Vorbis => "ogg",
            Codec::Mp3 => "mp3",
        }
    }

    /// The rate the codec encodes a `source` Hz signal at. Opus runs at 48 kHz only; MP3 at 32,
    /// 44.1 or 48 kHz; AAC up to 96 kHz. Anything else goes to 44.1 or 48 kHz, whichever family
    /// the source belongs to.
    pub fn rate_for(self, source: u32) -> u32 {
        let family = if source % 11_025 == 0 { 44_100 } else { 48_000 };
        match self {
            Codec::Opus => 48_000,
            Codec::Mp3 if matches!(source, 32_000 | 44_100 | 48_000) => source,
            Codec::Mp3 => family,
            Codec::Aac if source <= 96_000 && source >= 8_000 => source,
            Codec::Aac => family,
            Codec::Vorbis => source,
        }
    }

    /// Whether this build and system can run the encoder, and why not.
    pub fn available(self) -> Result<(), String> {
        match self {
            Codec::Aac => aac::available(),
            Codec::Mp3 => lame::available(),
            Codec::Opus | Codec::Vorbis => Ok(()),
        }
    }

    /// The encoder and its version, for reports.
    pub fn encoder(self) -> String {
        match self {
            Codec::Aac => aac::version(),
            Codec::Mp3 => lame::version(),
            Codec::Opus => opus::version(),
            Codec::Vorbis => vorbis::version(),
        }
    }
}

/// A codec at a bitrate, as `aac:256`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodecSpec {
    pub codec: Codec,
    pub kbps: u32,
}

impl std::fmt::Display for CodecSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.codec.name(), self.kbps)
    }
}

impl CodecSpec {
    /// `LIST` as `aac:256,opus:160,...`; every entry is checked, and every codec must be
    /// available here, before any work starts.
    pub fn parse_list(list: &str) -> CliResult<Vec<CodecSpec>> {
        let names = Codec::ALL.map(Codec::name).join(", ");
        let mut specs = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (name, rate) = entry.split_once(':').ok_or_else(|| {
                CliError::input(format!(
                    "codec '{entry}': write it as CODEC:KBPS, for example opus:160 (codecs: {names})"
                ))
            })?;
            let codec = Codec::parse(name)
                .ok_or_else(|| CliError::input(format!("unknown codec '{name}': expected one of {names}")))?;
            let kbps = rate.trim_end_matches('k').parse::<u32>().ok().filter(|&k| codec.takes_bitrate(k)).ok_or_else(
                || {
                    CliError::input(format!(
                        "{}: bitrate '{rate}' not available: use {} kbps",
                        codec.name(),
                        codec.bitrates_text()
                    ))
                },
            )?;
            let spec = CodecSpec { codec, kbps };
            if !specs.contains(&spec) {
                specs.push(spec);
            }
        }
        if specs.is_empty() {
            return Err(CliError::input(format!("no codec given: list them as CODEC:KBPS,... (codecs: {names})")));
        }
        for spec in &specs {
            spec.codec.available().map_err(|why| {
                CliError::input(format!("{spec} is not available in this build or on this system: {why}"))
            })?;
        }
        Ok(specs)
    }
}

/// Why an encoder failed.
#[derive(Debug)]
pub struct EncodeError(String);

impl EncodeError {
    fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// One codec's round trip of one file.
pub struct CodecReading {
    pub spec: CodecSpec,
    pub encoder: String,
    /// The rate the codec ran at; `resampled_from` is the source's when they differ.
    pub sample_rate: u32,
    pub resampled_from: Option<u32>,
    /// The decoded audio, measured as `keel measure` measures a file.
    pub decoded: Measurement,
    /// Size of the encoded file.
    pub bytes: u64,
}

/// A folder under the system's temporary directory, removed with everything in it when dropped.
pub(crate) struct ScratchDir(PathBuf);

impl ScratchDir {
    pub fn new() -> CliResult<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("keel-codec-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(|e| CliError::io(&path, "cannot create a temporary folder", e))?;
        Ok(Self(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Encodes planar `audio` at `sample_rate` into `out` (the codec's container); returns the rate
/// the codec ran at.
pub fn encode_to(spec: CodecSpec, audio: &[Vec<f32>], sample_rate: u32, out: &Path) -> CliResult<u32> {
    // An encoder refusing this audio or these settings: bad input for this codec (exit 2).
    let failed = |e: EncodeError| CliError::input(format!("{spec}: {}", e.0));
    if !matches!(audio.len(), 1 | 2) {
        return Err(CliError::input(format!(
            "{spec}: codec round trips take mono or stereo, not {} channels",
            audio.len()
        )));
    }
    let rate = spec.codec.rate_for(sample_rate);
    let converted;
    let audio = if rate == sample_rate {
        audio
    } else {
        let resampler = Resampler::new(sample_rate, rate)
            .ok_or_else(|| CliError::input(format!("{spec}: cannot convert {sample_rate} Hz to {rate} Hz")))?;
        converted = audio.iter().map(|c| resampler.process(c)).collect::<Vec<_>>();
        &converted
    };
    let bytes = match spec.codec {
        Codec::Aac => return aac::encode(audio, rate, spec.kbps, out).map(|()| rate).map_err(failed),
        Codec::Opus => opus::encode(audio, spec.kbps),
        Codec::Vorbis => vorbis::encode(audio, rate, spec.kbps),
        Codec::Mp3 => lame::encode(audio, rate, spec.kbps),
    }
    .map_err(failed)?;
    std::fs::write(out, bytes).map_err(|e| CliError::io(out, "cannot write", e))?;
    Ok(rate)
}

/// Encodes, decodes and measures `audio`, the contents of `source` (which names it in reports
/// and errors).
pub fn round_trip(spec: CodecSpec, source: &Path, audio: &[Vec<f32>], sample_rate: u32) -> CliResult<CodecReading> {
    let scratch = ScratchDir::new()?;
    let stem = source.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "audio".into());
    let encoded = scratch.path().join(format!("{stem}.{}{}.{}", spec.codec.name(), spec.kbps, spec.codec.extension()));
    let rate = encode_to(spec, audio, sample_rate, &encoded).map_err(|e| match e {
        CliError::BadInput(why) => CliError::input(format!("{}: {why}", source.display())),
        other => other,
    })?;
    let bytes = std::fs::metadata(&encoded).map(|m| m.len()).unwrap_or(0);
    let mut decoded = measure_file(&encoded, &Progress::new(0, "", true), None)?;
    decoded.file = source.to_path_buf();
    Ok(CodecReading {
        spec,
        encoder: spec.codec.encoder(),
        sample_rate: rate,
        resampled_from: (rate != sample_rate).then_some(sample_rate),
        decoded,
        bytes,
    })
}

/// Every codec's round trip of one file, in parallel, in the order given.
pub fn round_trips(
    specs: &[CodecSpec],
    source: &Path,
    audio: &[Vec<f32>],
    sample_rate: u32,
) -> CliResult<Vec<CodecReading>> {
    use rayon::prelude::*;
    specs.par_iter().map(|&spec| round_trip(spec, source, audio, sample_rate)).collect()
}

impl CodecReading {
    /// Its JSON object; rises and changes are against `source`, the file as measured.
    pub fn json(&self, source: &keel_core::dsp::loudness::LoudnessReading) -> serde_json::Value {
        use super::measure::finite;
        let r = &self.decoded.reading;
        serde_json::json!({
            "codec": self.spec.codec.name(),
            "kbps": self.spec.kbps,
            "encoder": self.encoder,
            "sample_rate": self.sample_rate,
            "resampled_from": self.resampled_from,
            "bytes": self.bytes,
            "duration_seconds": self.decoded.frames as f64 / f64::from(self.sample_rate),
            "true_peak_dbtp": finite(r.true_peak_dbtp),
            "true_peak_rise_db": finite(r.true_peak_dbtp - source.true_peak_dbtp),
            "true_peak_at_seconds": finite(self.decoded.true_peak_at_seconds),
            "reconstructed_peak_dbtp": finite(r.reconstructed_peak_dbtp),
            "sample_peak_dbfs": finite(r.sample_peak_dbfs),
            "integrated_lufs": finite(r.integrated),
            "loudness_change_lu": finite(r.integrated - source.integrated),
        })
    }

    /// One line of the text report.
    pub fn line(&self, source: &keel_core::dsp::loudness::LoudnessReading) -> String {
        let r = &self.decoded.reading;
        let resampled = self
            .resampled_from
            .map_or(String::new(), |from| format!(", resampled from {from} Hz to {} Hz", self.sample_rate));
        format!(
            "{:<11} true peak {:6.2} dBTP ({:+.2} dB), reconstructed {:6.2} dBTP, {:6.2} LUFS ({:+.2} LU)   [{}{resampled}]",
            self.spec.to_string(),
            r.true_peak_dbtp,
            r.true_peak_dbtp - source.true_peak_dbtp,
            r.reconstructed_peak_dbtp,
            r.integrated,
            r.integrated - source.integrated,
            self.encoder
        )
    }
}
