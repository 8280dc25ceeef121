//! WAV reading and writing for the command: 16/24/32-bit integer and 32/64-bit float PCM,
//! plain or WAVE_FORMAT_EXTENSIBLE, streamed in planar blocks.
//!
//! Reading checks the file up front (magic, format, sizes) so a truncated or foreign file fails
//! before any output exists. Writing goes to a temporary name in the destination folder that is
//! renamed only when the file is complete; a writer dropped before `finish` removes it.

use dasp_sample::{FromSample, I24, Sample as _};
use super::error::{CliError, CliResult};
use super::pending_file::PendingFile;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

pub const MIN_SAMPLE_RATE: u32 = 8_000;
pub const MAX_SAMPLE_RATE: u32 = 384_000;

const FORMAT_PCM: u16 = 1;
const FORMAT_FLOAT: u16 = 3;
const FORMAT_EXTENSIBLE: u16 = 0xFFFE;
/// Dither is seeded the same way for every file, so renders are repeatable.

/// How samples are stored in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Int16,
    Int24,
    Int32,
    Float32,
    Float64,
}

impl Encoding {
    pub fn bytes(self) -> usize {
        match self {
            Encoding::Int16 => 2,
            Encoding::Int24 => 3,
            Encoding::Int32 | Encoding::Float32 => 4,
            Encoding::Float64 => 8,
        }
    }

    pub fn is_float(self) -> bool {
        matches!(self, Encoding::Float32 | Encoding::Float64)
    }

    /// The names `--format` takes.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "s16" => Some(Encoding::Int16),
            "s24" => Some(Encoding::Int24),
            "s32" => Some(Encoding::Int32),
            "f32" => Some(Encoding::Float32),
            "f64" => Some(Encoding::Float64),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Encoding::Int16 => "s16",
            Encoding::Int24 => "s24",
            Encoding::Int32 => "s32",
            Encoding::Float32 => "f32",
            Encoding::Float64 => "f64",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavFormat {
    pub channels: u16,
    pub sample_rate: u32,
    pub encoding: Encoding,
}

impl WavFormat {
    fn block_align(&self) -> usize {
        usize::from(self.channels) * self.encoding.bytes()
    }
}

/// A sample type the reader can decode into (f32 or f64). Integer PCM converts through dasp's
/// conversions: full scale is 2^(bits-1), so -1.0 is the most negative code.
pub trait Sample: FromSample<f32> + FromSample<f64> + Copy + Default + Send {}

impl<T: FromSample<f32> + FromSample<f64> + Copy + Default + Send> Sample for T {}

pub struct WavReader {
    path: PathBuf,
    /// Positioned in the audio data; read unbuffered, in chunks of whole frames.
    file: File,
    format: WavFormat,
    frames: u64,
    frames_read: u64,
    bytes: Vec<u8>,
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl WavReader {
    pub fn open(path: &Path) -> CliResult<Self> {
        let name = display(path);
        let file = File::open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => CliError::input(format!("{name}: no such file")),
            _ => CliError::io(path, "cannot open", e),
        })?;
        let meta = file.metadata().map_err(|e| CliError::io(path, "cannot read", e))?;
        if meta.is_dir() {
            return Err(CliError::input(format!("{name}: is a folder, not a WAV file")));
        }
        let file_len = meta.len();
        if file_len == 0 {
            return Err(CliError::input(format!("{name}: file is empty (0 bytes)")));
        }
        let mut file = BufReader::with_capacity(1 << 16, file);
        let mut riff = [0u8; 12];
        let got = read_up_to(&mut file, &mut riff).map_err(|e| CliError::io(path, "cannot read", e))?;
        // RF64 (EBU Tech 3306) and BW64 (ITU-R BS.2088): RIFF with 64-bit sizes in a "ds64"
        // chunk right after the header; a 32-bit size of 0xFFFFFFFF defers to it.
        let is_64 = got >= 4 && (&riff[0..4] == b"RF64" || &riff[0..4] == b"BW64");
        if got < 12 || !(&riff[0..4] == b"RIFF" || is_64) || &riff[8..12] != b"WAVE" {
            if got >= 4 && (&riff[0..4] == b"RIFF" || is_64) && got < 12 {
                return Err(CliError::input(format!("{name}: truncated WAV file (header cut short)")));
            }
            return Err(CliError::input(format!("{name}: not a WAV file (no RIFF/WAVE header)")));
        }

        let truncated = || CliError::input(format!("{name}: truncated WAV file (no complete audio data chunk)"));
        let mut position: u64 = 12;
        let mut format: Option<WavFormat> = None;
        let mut data_size_64: Option<u64> = None;
        loop {
            let mut header = [0u8; 8];
            let got = read_up_to(&mut file, &mut header).map_err(|e| CliError::io(path, "cannot read", e))?;
            if got < 8 {
                return Err(truncated());
            }
            position += 8;
            let id = [header[0], header[1], header[2], header[3]];
            let mut size = u64::from(u32_at(&header, 4));
            if &id == b"data" && size == u64::from(u32::MAX) {
                size = data_size_64.ok_or_else(|| {
                    CliError::input(format!("{name}: damaged RF64 file (data size deferred to a missing ds64 chunk)"))
                })?;
            }
            match &id {
                b"ds64" if is_64 => {
                    if !(24..=1024).contains(&size) || position + size > file_len {
                        return Err(CliError::input(format!("{name}: damaged RF64 ds64 chunk")));
                    }
                    let mut chunk = vec![0u8; size as usize];
                    file.read_exact(&mut chunk).map_err(|_| truncated())?;
                    let u64_at = |at: usize| u64::from(u32_at(&chunk, at)) | (u64::from(u32_at(&chunk, at + 4)) << 32);
                    data_size_64 = Some(u64_at(8));
                    skip(&mut file, size % 2, path)?;
                    position += size + size % 2;
                }
                b"fmt " => {
                    if size < 16 || size > 1024 || position + size > file_len {
                        return Err(CliError::input(format!("{name}: damaged WAV format chunk")));
                    }
                    let mut chunk = vec![0u8; size as usize];
                    file.read_exact(&mut chunk).map_err(|_| truncated())?;
                    format = Some(parse_format(&chunk, &name)?);
                    skip(&mut file, size % 2, path)?;
                    position += size + size % 2;
                }
                b"data" => {
                    let format = format.ok_or_else(|| {
                        CliError::input(format!("{name}: damaged WAV file (audio data before the format chunk)"))
                    })?;
                    if position + size > file_len {
                        let missing = position + size - file_len;
                        return Err(CliError::input(format!(
                            "{name}: truncated WAV file ({missing} bytes of audio data missing)"
                        )));
                    }
                    let align = format.block_align() as u64;
                    if size % align != 0 {
                        return Err(CliError::input(format!("{name}: truncated WAV file (last sample frame incomplete)")));
                    }
                    let frames = size / align;
                    if frames == 0 {
                        return Err(CliError::input(format!("{name}: WAV file has no audio samples")));
                    }
                    // The samples bypass the header's buffer: it would only copy them once more.
                    let mut file = file.into_inner();
                    file.seek(SeekFrom::Start(position)).map_err(|e| CliError::io(path, "cannot read", e))?;
                    return Ok(Self { path: path.to_path_buf(), file, format, frames, frames_read: 0, bytes: Vec::new() });
                }
                _ => {
                    if position + size > file_len {
                        return Err(truncated());
                    }
                    skip(&mut file, size + size % 2, path)?;
                    position += size + size % 2;
                }
            }
        }
    }

    pub fn format(&self) -> WavFormat {
        self.format
    }

    pub fn frames(&self) -> u64 {
        self.frames
    }

    pub fn frames_read(&self) -> u64 {
        self.frames_read
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads up to `max_frames` frames into `out[channel][..n]`, returning n (0 at the end).
    /// NaN or infinite samples in a float file are an input error.
    pub fn read<T: Sample>(&mut self, out: &mut [Vec<T>], max_frames: usize) -> CliResult<usize> {
        let channels = usize::from(self.format.channels);
        let frames = (self.frames - self.frames_read).min(max_frames as u64) as usize;
        if frames == 0 {
            return Ok(0);
        }
        for channel in out.iter_mut().take(channels) {
            if channel.len() < frames {
                channel.resize(frames, T::default());
            }
        }
        // A chunk at a time, so the raw bytes stay in the core's cache between the read and the
        // conversion however many frames the caller asks for.
        let mut done = 0;
        while done < frames {
            let n = (frames - done).min(READ_CHUNK_FRAMES);
            self.read_chunk(out, done, n)?;
            done += n;
        }
        Ok(frames)
    }

    /// Reads `n` frames into `out[channel][at..at + n]`.
    fn read_chunk<T: Sample>(&mut self, out: &mut [Vec<T>], at: usize, n: usize) -> CliResult<()> {
        let channels = usize::from(self.format.channels);
        let width = self.format.encoding.bytes();
        let align = channels * width;
        self.bytes.resize(n * align, 0);
        self.file
            .read_exact(&mut self.bytes)
            .map_err(|e| CliError::io(&self.path, "cannot read", e))?;
        if self.format.encoding.is_float() {
            self.check_finite()?;
        }
        for (ch, channel) in out.iter_mut().enumerate().take(channels) {
            let channel = &mut channel[at..at + n];
            let frame_bytes = self.bytes.chunks_exact(align).map(|f| &f[ch * width..(ch + 1) * width]);
            match self.format.encoding {
                Encoding::Int16 => {
                    for (dst, b) in channel.iter_mut().zip(frame_bytes) {
                        *dst = T::from_sample_(i16::from_le_bytes([b[0], b[1]]).to_sample::<f32>());
                    }
                }
                Encoding::Int24 => {
                    for (dst, b) in channel.iter_mut().zip(frame_bytes) {
                        let v = I24::new_unchecked(i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8);
                        *dst = T::from_sample_(v.to_sample::<f32>());
                    }
                }
                Encoding::Int32 => {
                    for (dst, b) in channel.iter_mut().zip(frame_bytes) {
                        *dst = T::from_sample_(i32::from_le_bytes([b[0], b[1], b[2], b[3]]).to_sample::<f64>());
                    }
                }
                Encoding::Float32 => {
                    for (dst, b) in channel.iter_mut().zip(frame_bytes) {
                        *dst = T::from_sample_(f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
                    }
                }
                Encoding::Float64 => {
                    for (dst, b) in channel.iter_mut().zip(frame_bytes) {
                        *dst = T::from_sample_(f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]));
                    }
                }
            }
        }
        self.frames_read += n as u64;
        Ok(())
    }

    fn check_finite(&self) -> CliResult<()> {
        // Checked on the raw bytes so the message can tell NaN from infinity whatever T is. A
        // fast pass first: an all-ones exponent (NaN or infinity) plus its lowest bit carries
        // into the sign bit, so one OR over the sums answers for the whole chunk (packed integer
        // adds). The search for the place only when it found one.
        let width = self.format.encoding.bytes();
        let any_non_finite = if width == 4 {
            let (words, _) = self.bytes.as_chunks::<4>();
            let carries = words.iter().fold(0u32, |acc, w| acc | ((u32::from_le_bytes(*w) & 0x7F80_0000) + 0x0080_0000));
            carries & 0x8000_0000 != 0
        } else {
            let (words, _) = self.bytes.as_chunks::<8>();
            let carries = words.iter().fold(0u64, |acc, w| {
                acc | ((u64::from_le_bytes(*w) & 0x7FF0_0000_0000_0000) + 0x0010_0000_0000_0000)
            });
            carries & 0x8000_0000_0000_0000 != 0
        };
        if !any_non_finite {
            return Ok(());
        }
        for (index, sample) in self.bytes.chunks_exact(width).enumerate() {
            let value = match width {
                4 => f64::from(f32::from_le_bytes([sample[0], sample[1], sample[2], sample[3]])),
                _ => f64::from_le_bytes(sample.try_into().unwrap_or([0; 8])),
            };
            if !value.is_finite() {
                let channels = usize::from(self.format.channels);
                let frame = self.frames_read + (index / channels) as u64;
                let what = if value.is_nan() { "NaN" } else { "infinite" };
                return Err(CliError::input(format!(
                    "{}: {what} sample at {:.3} s (frame {frame}, channel {})",
                    display(&self.path),
                    frame as f64 / f64::from(self.format.sample_rate),
                    index % channels + 1
                )));
            }
        }
        Ok(())
    }

}

/// Frames [`WavReader::read`] reads and converts at a time: 32 KB of stereo float.
const READ_CHUNK_FRAMES: usize = 4096;

fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

fn skip(reader: &mut BufReader<File>, bytes: u64, path: &Path) -> CliResult<()> {
    reader.seek_relative(bytes as i64).map_err(|e| CliError::io(path, "cannot read", e))
}

fn parse_format(chunk: &[u8], name: &str) -> CliResult<WavFormat> {
    let mut tag = u16_at(chunk, 0);
    let channels = u16_at(chunk, 2);
    let sample_rate = u32_at(chunk, 4);
    let bits = u16_at(chunk, 14);
    if tag == FORMAT_EXTENSIBLE {
        if chunk.len() < 40 {
            return Err(CliError::input(format!("{name}: damaged WAV format chunk (short extensible header)")));
        }
        // The sub-format GUID starts with the plain format tag.
        tag = u16_at(chunk, 24);
    }
    let encoding = match (tag, bits) {
        (FORMAT_PCM, 16) => Encoding::Int16,
        (FORMAT_PCM, 24) => Encoding::Int24,
        (FORMAT_PCM, 32) => Encoding::Int32,
        (FORMAT_FLOAT, 32) => Encoding::Float32,
        (FORMAT_FLOAT, 64) => Encoding::Float64,
        (FORMAT_PCM, _) => {
            return Err(CliError::input(format!(
                "{name}: unsupported encoding: {bits}-bit integer (keel reads 16/24/32-bit integer and 32/64-bit float)"
            )));
        }
        (FORMAT_FLOAT, _) => {
            return Err(CliError::input(format!("{name}: unsupported encoding: {bits}-bit float")));
        }
        (other, _) => {
            let what = match other {
                2 => "ADPCM".to_string(),
                6 => "A-law".to_string(),
                7 => "mu-law".to_string(),
                0x55 => "MP3".to_string(),
                _ => format!("format tag {other:#06x}"),
            };
            return Err(CliError::input(format!(
                "{name}: unsupported encoding: {what} (keel reads 16/24/32-bit integer and 32/64-bit float PCM)"
            )));
        }
    };
    if channels == 0 {
        return Err(CliError::input(format!("{name}: damaged WAV format chunk (0 channels)")));
    }
    if !(MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&sample_rate) {
        return Err(CliError::input(format!(
            "{name}: unsupported sample rate {sample_rate} Hz (keel handles 8 to 384 kHz)"
        )));
    }
    let format = WavFormat { channels, sample_rate, encoding };
    if usize::from(u16_at(chunk, 12)) != format.block_align() {
        return Err(CliError::input(format!("{name}: damaged WAV format chunk (block size does not match)")));
    }
    Ok(format)
}

/// True when `a` and `b` name the same file (the second may not exist yet).
pub fn same_file(a: &Path, b: &Path) -> bool {
    fn resolve(path: &Path) -> Option<PathBuf> {
        if let Ok(full) = path.canonicalize() {
            return Some(full);
        }
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.canonicalize().ok()?,
            _ => std::env::current_dir().ok()?,
        };
        Some(parent.join(path.file_name()?))
    }
    match (resolve(a), resolve(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// Streams a WAV file; `finish` completes the header and puts the file in place.
pub struct WavWriter {
    out: PendingFile,
    format: WavFormat,
    frames: u64,
    bytes: Vec<u8>,
}

impl WavWriter {
    pub fn create(path: &Path, format: WavFormat) -> CliResult<Self> {
        let mut writer = Self { out: PendingFile::create(path)?, format, frames: 0, bytes: Vec::new() };
        let header = writer.header(0);
        writer.put(&header)?;
        Ok(writer)
    }

    fn header(&self, data_bytes: u64) -> Vec<u8> {
        let f = self.format;
        let extensible = f.channels > 2;
        let tag = if f.encoding.is_float() { FORMAT_FLOAT } else { FORMAT_PCM };
        let fmt_size: u32 = if extensible { 40 } else { 16 };
        let align = f.block_align() as u32;
        let mut h = Vec::with_capacity(68);
        h.extend_from_slice(b"RIFF");
        h.extend_from_slice(&((4 + 8 + fmt_size + 8) as u64 + data_bytes).min(u64::from(u32::MAX)).to_le_bytes()[..4]);
        h.extend_from_slice(b"WAVEfmt ");
        h.extend_from_slice(&fmt_size.to_le_bytes());
        h.extend_from_slice(&(if extensible { FORMAT_EXTENSIBLE } else { tag }).to_le_bytes());
        h.extend_from_slice(&f.channels.to_le_bytes());
        h.extend_from_slice(&f.sample_rate.to_le_bytes());
        h.extend_from_slice(&(f.sample_rate * align).to_le_bytes());
        h.extend_from_slice(&(align as u16).to_le_bytes());
        h.extend_from_slice(&((f.encoding.bytes() * 8) as u16).to_le_bytes());
        if extensible {
            h.extend_from_slice(&22u16.to_le_bytes());
            h.extend_from_slice(&((f.encoding.bytes() * 8) as u16).to_le_bytes());
            h.extend_from_slice(&channel_mask(f.channels).to_le_bytes());
            h.extend_from_slice(&tag.to_le_bytes());
            // The rest of the KSDATAFORMAT_SUBTYPE GUID, shared by PCM and float.
            h.extend_from_slice(&[0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]);
        }
        h.extend_from_slice(b"data");
        h.extend_from_slice(&(data_bytes.min(u64::from(u32::MAX)) as u32).to_le_bytes());
        h
    }

    fn put(&mut self, bytes: &[u8]) -> CliResult<()> {
        let result = self.out.file()?.write_all(bytes);
        result.map_err(|e| self.out.write_error(e))
    }

    /// Appends planar frames; integer encodings are rounded to the nearest step and clipped.
    /// Dither, where wanted, is the chain's last stage (`keel_core::dsp::dither`), so samples
    /// arrive here already on the file's grid and are stored exactly.
    pub fn write(&mut self, channels: &[&[f32]]) -> CliResult<()> {
        debug_assert_eq!(channels.len(), usize::from(self.format.channels));
        let frames = channels.iter().map(|c| c.len()).min().unwrap_or(0);
        let mut bytes = std::mem::take(&mut self.bytes);
        bytes.clear();
        bytes.reserve(frames * self.format.block_align());
        for i in 0..frames {
            for channel in channels {
                let x = channel[i];
                match self.format.encoding {
                    Encoding::Int16 => bytes.extend_from_slice(&(to_integer(x, 16) as i16).to_le_bytes()),
                    Encoding::Int24 => bytes.extend_from_slice(&to_integer(x, 24).to_le_bytes()[..3]),
                    Encoding::Int32 => bytes.extend_from_slice(&to_integer(x, 32).to_le_bytes()),
                    Encoding::Float32 => bytes.extend_from_slice(&x.to_le_bytes()),
                    Encoding::Float64 => bytes.extend_from_slice(&f64::from(x).to_le_bytes()),
                }
            }
        }
        let result = self.put(&bytes);
        self.bytes = bytes;
        self.frames += frames as u64;
        result
    }


    /// Completes the header and puts the file in place. On any error nothing appears at the
    /// output path (see `PendingFile`).
    pub fn finish(mut self) -> CliResult<()> {
        let data_bytes = self.frames * self.format.block_align() as u64;
        if data_bytes > u64::from(u32::MAX) - 100 {
            return Err(CliError::input(format!("{}: output would exceed the 4 GB WAV limit", self.out.path().display())));
        }
        let header = self.header(data_bytes);
        let file = self.out.file()?;
        let written = (|| {
            if data_bytes % 2 == 1 {
                file.write_all(&[0])?;
            }
            file.seek(SeekFrom::Start(0))?;
            file.write_all(&header)
        })();
        written.map_err(|e| self.out.write_error(e))?;
        self.out.commit()
    }
}

fn channel_mask(channels: u16) -> u32 {
    match channels {
        1 => 0x4,
        2 => 0x3,
        3 => 0x7,
        4 => 0x33,
        // 5.0: L R C Ls Rs
        5 => 0x37,
        // 5.1: L R C LFE Ls Rs
        6 => 0x3F,
        _ => 0,
    }
}

/// A float sample as a `bits`-bit integer: the nearest step, clipped to the range. Dither, where
/// wanted, happened before (the chain's last stage), so this is exact for samples on the grid.
#[inline]
pub fn to_integer(x: f32, bits: u32) -> i32 {
    let scale = f64::from(1u32 << (bits - 1));
    (f64::from(x) * scale).round().clamp(-scale, scale - 1.0) as i32
}

/// Writes whole planar buffers in one go.
pub fn write_all(path: &Path, format: WavFormat, channels: &[Vec<f32>]) -> CliResult<()> {
    let mut writer = WavWriter::create(path, format)?;
    let refs: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
    writer.write(&refs)?;
    writer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::AudioSource;

    fn temp_path(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("keel-wav-unit-{}-{name}", std::process::id()))
    }

    #[test]
    fn every_encoding_round_trips() {
        let signal: Vec<f32> = (0..1000).map(|i| ((i as f32) * 0.01).sin() * 0.5).collect();
        for encoding in [Encoding::Int16, Encoding::Int24, Encoding::Int32, Encoding::Float32, Encoding::Float64] {
            let path = temp_path(encoding.name());
            let format = WavFormat { channels: 2, sample_rate: 44_100, encoding };
            write_all(&path, format, &[signal.clone(), signal.iter().map(|x| -x).collect()]).unwrap();
            let (read_format, channels) = AudioSource::Wav(WavReader::open(&path).unwrap()).read_all::<f64>().unwrap();
            std::fs::remove_file(&path).unwrap();
            assert_eq!(read_format, format);
            // Rounded to the nearest step: at most half a step off.
            let tolerance = if encoding.is_float() { 0.0 } else { 0.5 / f64::from(1u32 << (encoding.bytes() * 8 - 1)) };
            for (a, b) in channels[0].iter().zip(&signal) {
                assert!((a - f64::from(*b)).abs() <= tolerance, "{encoding:?}: {a} vs {b}");
            }
            for (a, b) in channels[1].iter().zip(&signal) {
                assert!((a + f64::from(*b)).abs() <= tolerance, "{encoding:?} right: {a} vs -{b}");
            }
        }
    }

    #[test]
    fn foreign_writer_files_read_back() {
        let path = temp_path("hound.wav");
        let spec = hound::WavSpec { channels: 1, sample_rate: 48_000, bits_per_sample: 24, sample_format: hound::SampleFormat::Int };
        let mut writer = hound::WavWriter::create(&path, spec).unwrap();
        for v in [0, 1, -1, 4_194_304, -8_388_608, 8_388_607] {
            writer.write_sample(v).unwrap();
        }
        writer.finalize().unwrap();
        let (_, channels) = AudioSource::Wav(WavReader::open(&path).unwrap()).read_all::<f64>().unwrap();
        std::fs::remove_file(&path).unwrap();
        let expected = [0.0, 1.0 / 8_388_608.0, -1.0 / 8_388_608.0, 0.5, -1.0, 8_388_607.0 / 8_388_608.0];
        assert_eq!(channels[0], expected);
    }
}
