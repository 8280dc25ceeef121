//! Any audio file the commands read: WAV (RIFF, RF64, BW64) through Keel's own reader, every
//! other format through a decoder (`decode`). Both hand out planar f32 blocks.

use super::decode::Decoded;
use super::error::{CliError, CliResult};
use super::wav::{Sample, WavFormat, WavReader};
use std::io::Read;
use std::path::Path;

pub enum AudioSource {
    Wav(WavReader),
    Decoded(Box<Decoded>),
}

/// What a source is, for reports.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceInfo {
    /// Channels, rate, and the sample format the source holds (float for lossy codecs).
    pub format: WavFormat,
    /// "PCM" for WAV, else the codec ("FLAC", "MP3", "AAC", "ALAC", "Vorbis", "Opus", ...).
    pub codec: String,
    pub lossy: bool,
    /// Frames, where the file says.
    pub frames: Option<u64>,
}

/// RIFF, RF64 or BW64 at the start: Keel's own WAV reader takes it.
fn is_wav(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && matches!(&magic, b"RIFF" | b"RF64" | b"BW64")
}

impl AudioSource {
    pub fn open(path: &Path) -> CliResult<Self> {
        if !path.exists() {
            return Err(CliError::input(format!("{}: no such file", path.display())));
        }
        if path.is_dir() {
            return Err(CliError::input(format!("{}: is a folder, not an audio file", path.display())));
        }
        let wav_by_name = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("wav"));
        if is_wav(path) || wav_by_name {
            return Ok(AudioSource::Wav(WavReader::open(path)?));
        }
        Ok(AudioSource::Decoded(Box::new(Decoded::open(path)?)))
    }

    pub fn info(&self) -> SourceInfo {
        match self {
            AudioSource::Wav(r) => {
                SourceInfo { format: r.format(), codec: "PCM".into(), lossy: false, frames: Some(r.frames()) }
            }
            AudioSource::Decoded(d) => SourceInfo {
                format: WavFormat { channels: d.channels as u16, sample_rate: d.sample_rate, encoding: d.encoding },
                codec: d.codec.clone(),
                lossy: d.lossy,
                frames: d.frames,
            },
        }
    }

    /// Frames handed out so far.
    pub fn frames_read(&self) -> u64 {
        match self {
            AudioSource::Wav(r) => r.frames_read(),
            AudioSource::Decoded(d) => d.frames_read(),
        }
    }

    pub fn format(&self) -> WavFormat {
        self.info().format
    }

    /// Reads up to `max_frames` frames into `out[channel][..n]`, returning n (0 at the end).
    pub fn read<T: Sample>(&mut self, out: &mut [Vec<T>], max_frames: usize) -> CliResult<usize> {
        match self {
            AudioSource::Wav(r) => r.read(out, max_frames),
            AudioSource::Decoded(d) => d.read(out, max_frames),
        }
    }

    /// The whole file, planar.
    pub fn read_all<T: Sample>(mut self) -> CliResult<(WavFormat, Vec<Vec<T>>)> {
        let info = self.info();
        let format = info.format;
        let channels = usize::from(format.channels);
        let capacity = usize::try_from(info.frames.unwrap_or(0)).unwrap_or(0);
        let mut all: Vec<Vec<T>> = (0..channels).map(|_| Vec::with_capacity(capacity)).collect();
        let mut block: Vec<Vec<T>> = vec![Vec::new(); channels];
        loop {
            let n = self.read(&mut block, 1 << 15)?;
            if n == 0 {
                break;
            }
            for (dst, src) in all.iter_mut().zip(&block) {
                dst.extend_from_slice(&src[..n]);
            }
        }
        Ok((format, all))
    }
}
