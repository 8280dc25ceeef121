//! Compressed and non-WAV audio files in: FLAC, MP3, AAC-LC and ALAC in MP4/M4A, Ogg Vorbis,
//! AIFF/AIFC and CAF through symphonia, and Opus (in Ogg or MP4) through libopus. Decoded audio
//! is trimmed of encoder delay and padding where the stream says: LAME/Xing data in MP3, the
//! Vorbis and Opus granule positions, Opus pre-skip, and the MP4 edit list (which symphonia
//! reads but does not apply).
//!
//! Damage is refused, not played through: a stream that ends early, a packet that does not
//! decode, a gap in the timestamps, a resynchronisation the demuxer reports, or fewer frames
//! than the stream announced, each named with the file and the time position. HE-AAC (SBR/PS)
//! is detected and refused rather than decoded as its half-rate core.

use super::error::{CliError, CliResult};
use super::wav::{Encoding, Sample};
use std::cell::Cell;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use symphonia::core::codecs::audio::well_known::profiles::{CODEC_PROFILE_AAC_HE, CODEC_PROFILE_AAC_HE_V2};
use symphonia::core::codecs::audio::well_known::{
    CODEC_ID_AAC, CODEC_ID_MP1, CODEC_ID_MP2, CODEC_ID_MP3, CODEC_ID_OPUS, CODEC_ID_VORBIS,
};
use symphonia::core::codecs::audio::{AudioCodecId, AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

/// The largest Opus frame: 120 ms at 48 kHz.
const OPUS_MAX_FRAME: usize = 5760;

enum Engine {
    Symphonia(Box<dyn AudioDecoder>),
    Opus { decoder: OpusDecoder, pcm: Vec<f32>, skip: usize },
}

enum OpusDecoder {
    Single(opus::Decoder),
    Multi(opus::MSDecoder),
}

/// A decoded file, read in blocks of planar f32.
pub struct Decoded {
    path: PathBuf,
    reader: Box<dyn FormatReader>,
    track_id: u32,
    engine: Engine,
    pub channels: usize,
    pub sample_rate: u32,
    /// The source's own sample format: the PCM depth of lossless codecs, float for lossy ones.
    pub encoding: Encoding,
    pub codec: String,
    pub lossy: bool,
    /// Frames the stream announces after trimming, when it does.
    pub frames: Option<u64>,
    /// Output frames still to drop (MP4 edit list), and the most to emit in all.
    drop: u64,
    keep: Option<u64>,
    emitted: u64,
    /// Next packet timestamp expected, to catch gaps.
    next_ts: Option<symphonia::core::units::Timestamp>,
    packets: u64,
    decoded: Vec<Vec<f32>>,
    decoded_pos: usize,
    scratch: Vec<Vec<f32>>,
    finished: bool,
}

thread_local! {
    /// Warnings symphonia logged on this thread since the last look (resynchronisations,
    /// dropped pages): damage the demuxer skipped without an error.
    static WARNINGS: Cell<u32> = const { Cell::new(0) };
}

struct WarningCounter;

impl log::Log for WarningCounter {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Warn && metadata.target().starts_with("symphonia")
    }
    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            WARNINGS.with(|w| w.set(w.get() + 1));
        }
    }
    fn flush(&self) {}
}

static WARNING_COUNTER: WarningCounter = WarningCounter;

fn take_warnings() -> u32 {
    WARNINGS.with(|w| w.replace(0))
}

fn is_lossy(codec: AudioCodecId) -> bool {
    [CODEC_ID_MP1, CODEC_ID_MP2, CODEC_ID_MP3, CODEC_ID_AAC, CODEC_ID_VORBIS, CODEC_ID_OPUS].contains(&codec)
}

fn codec_name(codec: AudioCodecId) -> String {
    let name = symphonia::default::get_codecs().get_audio_decoder(codec).map(|r| r.codec.info.short_name);
    if name.is_some_and(|n| n.starts_with("pcm")) {
        return "PCM".into();
    }
    match codec {
        CODEC_ID_OPUS => "Opus".into(),
        CODEC_ID_AAC => "AAC".into(),
        CODEC_ID_MP3 => "MP3".into(),
        CODEC_ID_VORBIS => "Vorbis".into(),
        other => symphonia::default::get_codecs()
            .get_audio_decoder(other)
            .map_or_else(|| format!("codec {other}"), |r| r.codec.info.short_name.to_uppercase()),
    }
}

impl Decoded {
    pub fn open(path: &Path) -> CliResult<Self> {
        let _ = log::set_logger(&WARNING_COUNTER).map(|()| log::set_max_level(log::LevelFilter::Warn));
        let name = path.display();
        let mut file = File::open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => CliError::input(format!("{name}: no such file")),
            _ => CliError::io(path, "cannot open", e),
        })?;
        let mut magic = [0u8; 4];
        let got = file.read(&mut magic).map_err(|e| CliError::io(path, "cannot read", e))?;
        if got == 0 {
            return Err(CliError::input(format!("{name}: file is empty (0 bytes)")));
        }
        if &magic == b"DSD " || &magic == b"FRM8" {
            return Err(CliError::input(format!("{name}: DSD audio is not supported; convert it to PCM first")));
        }
        file.seek(SeekFrom::Start(0)).map_err(|e| CliError::io(path, "cannot read", e))?;
        let mss = MediaSourceStream::new(Box::new(file), Default::default());
        let mut hint = Hint::new();
        if let Some(extension) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(extension);
        }
        take_warnings();
        let reader = symphonia::default::get_probe()
            .probe(&hint, mss, FormatOptions::default(), MetadataOptions::default())
            .map_err(|e| match e {
                SymphoniaError::Unsupported(what) if what.contains("no suitable format reader") => {
                    CliError::input(format!("{name}: not an audio file keel reads (no known container format)"))
                }
                SymphoniaError::Unsupported(what) if what.contains("moov") => {
                    CliError::input(format!("{name}: truncated or damaged MP4 file (its index, the moov box, is missing)"))
                }
                SymphoniaError::Unsupported(what) => CliError::input(format!("{name}: cannot read this file ({what})")),
                SymphoniaError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    CliError::input(format!("{name}: truncated or empty file (ends before any audio)"))
                }
                other => CliError::input(format!("{name}: damaged file ({other})")),
            })?;
        // What probing skipped (leading junk, a tag) is not damage to the audio.
        take_warnings();
        let track = reader
            .default_track(TrackType::Audio)
            .or_else(|| reader.first_track(TrackType::Audio))
            .cloned()
            .ok_or_else(|| CliError::input(format!("{name}: no audio track")))?;
        let params: AudioCodecParameters = track
            .codec_params
            .as_ref()
            .and_then(|c| c.audio())
            .cloned()
            .ok_or_else(|| CliError::input(format!("{name}: no audio track")))?;
        let codec = codec_name(params.codec);
        let lossy = is_lossy(params.codec);
        let container = reader.format_info().short_name;

        let (engine, channels, sample_rate) = if params.codec == CODEC_ID_OPUS {
            open_opus(path, &params)?
        } else {
            if params.codec == CODEC_ID_AAC {
                refuse_he_aac(path, &params)?;
            }
            let channels = params.channels.as_ref().map_or(0, |c| c.count());
            if params.codec == CODEC_ID_AAC && channels > 2 {
                return Err(CliError::input(format!(
                    "{name}: AAC with {channels} channels; keel's AAC decoder handles mono and stereo"
                )));
            }
            let decoder = symphonia::default::get_codecs()
                .make_audio_decoder(&params, &AudioDecoderOptions::default().gapless(true))
                .map_err(|e| match e {
                    SymphoniaError::Unsupported(_) => CliError::input(format!("{name}: {codec} audio is not supported")),
                    other => CliError::input(format!("{name}: {codec} stream cannot be decoded ({other})")),
                })?;
            let rate = params.sample_rate.ok_or_else(|| CliError::input(format!("{name}: no sample rate in the stream")))?;
            (Engine::Symphonia(decoder), channels, rate)
        };
        if channels == 0 {
            return Err(CliError::input(format!("{name}: the stream names no channels")));
        }
        let encoding = if lossy {
            Encoding::Float32
        } else {
            match params.bits_per_sample {
                Some(16) | Some(8) | Some(12) => Encoding::Int16,
                Some(32) => Encoding::Int32,
                _ => Encoding::Int24,
            }
        };
        // MP4 keeps delay and padding in its edit list, which the demuxer does not apply.
        let (drop, keep) = if container == "isomp4" {
            mp4_edit_list(path).map_or((0, None), |(start, length)| (start, Some(length)))
        } else {
            (0, None)
        };
        let announced = match &engine {
            Engine::Opus { skip, .. } => track.num_frames.map(|n| n.saturating_sub(*skip as u64)),
            Engine::Symphonia(_) => track.num_frames.map(|n| {
                n.saturating_sub(u64::from(track.delay.unwrap_or(0)) + u64::from(track.padding.unwrap_or(0)))
            }),
        };
        // CAF announces its length in whole packets (priming and remainder are not applied).
        let frames = keep.or(if container == "caf" { None } else { announced });
        Ok(Self {
            path: path.to_path_buf(),
            reader,
            track_id: track.id,
            engine,
            channels,
            sample_rate,
            encoding,
            codec: codec.clone(),
            lossy,
            frames,
            drop,
            keep,
            emitted: 0,
            next_ts: None,
            packets: 0,
            decoded: vec![Vec::new(); channels],
            decoded_pos: 0,
            scratch: Vec::new(),
            finished: false,
        })
    }

    pub fn frames_read(&self) -> u64 {
        self.emitted
    }

    fn seconds(&self) -> f64 {
        (self.emitted + self.available() as u64) as f64 / f64::from(self.sample_rate)
    }

    fn available(&self) -> usize {
        self.decoded.first().map_or(0, Vec::len) - self.decoded_pos
    }

    fn damaged(&self, what: &str) -> CliError {
        CliError::input(format!("{}: damaged {} data at {:.3} s ({what})", self.path.display(), self.codec, self.seconds()))
    }

    /// Decodes the next packet into `decoded`; false at the end of the stream.
    fn decode_packet(&mut self) -> CliResult<bool> {
        let packet = loop {
            match self.reader.next_packet() {
                Ok(Some(packet)) if packet.track_id == self.track_id => break packet,
                Ok(Some(_)) => continue,
                Ok(None) | Err(SymphoniaError::ResetRequired) => return Ok(false),
                Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    return Err(CliError::input(format!(
                        "{}: truncated {} file (the audio stops at {:.3} s)",
                        self.path.display(),
                        self.codec,
                        self.seconds()
                    )));
                }
                Err(SymphoniaError::IoError(e)) => return Err(CliError::io(&self.path, "cannot read", e)),
                Err(other) => return Err(self.damaged(&other.to_string())),
            }
        };
        self.packets += 1;
        // Timestamps must follow on; the first packets may carry priming.
        if let Some(expected) = self.next_ts
            && self.packets > 2
            && packet.pts != expected
        {
            return Err(self.damaged(&format!("audio missing: timestamp {} where {expected} was due", packet.pts)));
        }
        self.next_ts = packet.pts.checked_add(packet.dur);
        if take_warnings() > 0 {
            return Err(self.damaged("the stream had to be resynchronised"));
        }
        // Keep what is still unread, then append this packet.
        if self.decoded_pos > 0 {
            for channel in &mut self.decoded {
                channel.drain(..self.decoded_pos);
            }
            self.decoded_pos = 0;
        }
        match &mut self.engine {
            Engine::Symphonia(decoder) => match decoder.decode(&packet) {
                Ok(buffer) => {
                    buffer.copy_to_vecs_planar::<f32>(&mut self.scratch);
                    for (dst, src) in self.decoded.iter_mut().zip(&self.scratch) {
                        dst.extend_from_slice(src);
                    }
                }
                Err(e) => return Err(self.damaged(&e.to_string())),
            },
            Engine::Opus { decoder, pcm, skip } => {
                let result = match decoder {
                    OpusDecoder::Single(d) => d.decode_float(&packet.data, pcm, false),
                    OpusDecoder::Multi(d) => d.decode_float(&packet.data, pcm, false),
                };
                let n = match result {
                    Ok(n) => n,
                    Err(e) => return Err(self.damaged(&format!("libopus: {e}"))),
                };
                let start = (*skip).min(n);
                *skip -= start;
                let end = n - (packet.trim_end.get() as usize).min(n - start);
                let channels = self.decoded.len();
                let order = vorbis_to_wav_order(channels);
                for (c, channel) in self.decoded.iter_mut().enumerate() {
                    let source = order.map_or(c, |o| o[c]);
                    channel.extend((start..end).map(|f| pcm[f * channels + source]));
                }
            }
        }
        if take_warnings() > 0 {
            return Err(self.damaged("the decoder reported damage"));
        }
        Ok(true)
    }

    /// Reads up to `max_frames` frames into `out[channel][..n]`, returning n (0 at the end).
    pub fn read<T: Sample>(&mut self, out: &mut [Vec<T>], max_frames: usize) -> CliResult<usize> {
        while self.available() < max_frames && !self.finished {
            if !self.decode_packet()? {
                self.finished = true;
                self.check_length()?;
            }
            // Frames before the edit list's start are dropped as they arrive.
            let droppable = (self.drop.min(self.available() as u64)) as usize;
            self.decoded_pos += droppable;
            self.drop -= droppable as u64;
        }
        let mut n = self.available().min(max_frames);
        if let Some(keep) = self.keep {
            n = n.min((keep - self.emitted.min(keep)) as usize);
        }
        for (dst, src) in out.iter_mut().zip(&self.decoded) {
            if dst.len() < n {
                dst.resize(n, T::default());
            }
            for (d, s) in dst[..n].iter_mut().zip(&src[self.decoded_pos..self.decoded_pos + n]) {
                *d = T::from_sample_(*s);
            }
        }
        self.decoded_pos += n;
        self.emitted += n as u64;
        Ok(n)
    }

    /// A stream that decoded cleanly but came out shorter than it announced lost audio silently.
    fn check_length(&self) -> CliResult<()> {
        let total = self.emitted + self.available() as u64;
        let Some(expected) = self.frames else { return Ok(()) };
        let rate = f64::from(self.sample_rate);
        if total + 1 < expected.min(self.keep.unwrap_or(u64::MAX)) {
            return Err(CliError::input(format!(
                "{}: damaged {} data: {:.3} s of audio decoded where the stream announces {:.3} s",
                self.path.display(),
                self.codec,
                total as f64 / rate,
                expected as f64 / rate
            )));
        }
        Ok(())
    }
}

/// Opus's channel order (Vorbis's, RFC 7845 §5.1.1.2) to WAV's, for 3 to 6 channels: the
/// source channel for each WAV position.
fn vorbis_to_wav_order(channels: usize) -> Option<&'static [usize]> {
    match channels {
        3 => Some(&[0, 2, 1]),
        5 => Some(&[0, 2, 1, 3, 4]),
        6 => Some(&[0, 2, 1, 5, 3, 4]),
        _ => None,
    }
}

fn open_opus(path: &Path, params: &AudioCodecParameters) -> CliResult<(Engine, usize, u32)> {
    let name = path.display();
    let bad = || CliError::input(format!("{name}: damaged Opus header"));
    let head = params.extra_data.as_deref().ok_or_else(bad)?;
    if head.len() < 19 || &head[..8] != b"OpusHead" {
        return Err(bad());
    }
    // In Ogg the header is little-endian (version 1); in MP4 the dOps box is big-endian
    // (version 0), and its pre-skip is also the edit list's start, applied there.
    let big_endian = head[8] == 0;
    let u16_at = |i: usize| if big_endian { u16::from_be_bytes([head[i], head[i + 1]]) } else { u16::from_le_bytes([head[i], head[i + 1]]) };
    let channels = usize::from(head[9]);
    let pre_skip = if big_endian { 0 } else { usize::from(u16_at(10)) };
    let gain = u16_at(16) as i16;
    let family = head[18];
    let opus_error = |e: opus::Error| CliError::input(format!("{name}: Opus stream cannot be decoded (libopus: {e})"));
    let mut decoder = match (family, channels) {
        (0, 1) => OpusDecoder::Single(opus::Decoder::new(48_000, opus::Channels::Mono).map_err(opus_error)?),
        (0, 2) => OpusDecoder::Single(opus::Decoder::new(48_000, opus::Channels::Stereo).map_err(opus_error)?),
        (1, 1..=8) => {
            let mapping = head.get(21..21 + channels).ok_or_else(bad)?;
            OpusDecoder::Multi(opus::MSDecoder::new(48_000, head[19], head[20], mapping).map_err(opus_error)?)
        }
        _ => return Err(CliError::input(format!("{name}: Opus channel mapping {family} with {channels} channels is not supported"))),
    };
    if gain != 0 {
        match &mut decoder {
            OpusDecoder::Single(d) => d.set_gain(i32::from(gain)).map_err(opus_error)?,
            OpusDecoder::Multi(d) => d.set_gain(i32::from(gain)).map_err(opus_error)?,
        }
    }
    let engine = Engine::Opus { decoder, pcm: vec![0.0; OPUS_MAX_FRAME * channels], skip: pre_skip };
    Ok((engine, channels, 48_000))
}

/// Refuses HE-AAC (SBR, PS): the decoder here would play only its half-rate core.
fn refuse_he_aac(path: &Path, params: &AudioCodecParameters) -> CliResult<()> {
    let refuse = |how: &str| {
        Err(CliError::input(format!(
            "{}: HE-AAC (spectral band replication{how}) cannot be decoded faithfully here; decode it with ffmpeg first",
            path.display()
        )))
    };
    if params.profile == Some(CODEC_PROFILE_AAC_HE) || params.profile == Some(CODEC_PROFILE_AAC_HE_V2) {
        return refuse("");
    }
    if let Some(config) = params.extra_data.as_deref() {
        let object_type = config.first().map(|b| b >> 3);
        if object_type == Some(5) || object_type == Some(29) {
            return refuse("");
        }
        if sbr_in_sync_extension(config) {
            return refuse(", signalled after the core's configuration");
        }
    }
    // Implicit signalling hides SBR in the audio data; its core runs at half the output rate.
    if params.sample_rate.is_some_and(|rate| rate <= 24_000) {
        return refuse(" likely: an AAC core at 24 kHz or less");
    }
    Ok(())
}

/// The backward-compatible explicit SBR signal in an AAC-LC AudioSpecificConfig: after the
/// core's fields, the sync extension 0x2B7 with extension object type 5 and the SBR flag set
/// (or type 29, parametric stereo). ISO/IEC 14496-3 §1.6.2.1.
fn sbr_in_sync_extension(config: &[u8]) -> bool {
    let bit = |i: usize| config.get(i / 8).map_or(0, |b| u32::from((b >> (7 - i % 8)) & 1));
    let bits = |start: usize, n: usize| (0..n).fold(0u32, |v, i| (v << 1) | bit(start + i));
    // Object type (5 bits), rate index (4, plus 24 for an explicit rate), channels (4), and the
    // three flags of an LC GASpecificConfig.
    let mut at = 5 + 4 + if bits(5, 4) == 15 { 24 } else { 0 } + 4 + 3;
    if config.len() * 8 < at + 17 || bits(at, 11) != 0x2B7 {
        return false;
    }
    at += 11;
    match bits(at, 5) {
        5 => bits(at + 5, 1) == 1,
        29 => true,
        _ => false,
    }
}

/// The first edit of the audio track's MP4 edit list, as (frames to skip, frames to play), read
/// from the `moov` box without loading the file.
fn mp4_edit_list(path: &Path) -> Option<(u64, u64)> {
    let mut file = File::open(path).ok()?;
    let moov = top_level_box(&mut file, b"moov")?;
    let be32 = |b: &[u8], at: usize| b.get(at..at + 4).map(|s| u64::from(u32::from_be_bytes(s.try_into().unwrap_or([0; 4]))));
    let be64 = |b: &[u8], at: usize| b.get(at..at + 8).map(|s| u64::from_be_bytes(s.try_into().unwrap_or([0; 8])));
    let timescale = |header: &[u8]| if header.first() == Some(&1) { be32(header, 20) } else { be32(header, 12) };
    let movie_scale = timescale(child(&moov, b"mvhd")?)?.max(1);
    for track in children(&moov).filter(|(kind, _)| kind == b"trak").map(|(_, body)| body) {
        let media = child(track, b"mdia")?;
        if child(media, b"hdlr")?.get(8..12)? != b"soun" {
            continue;
        }
        let media_scale = timescale(child(media, b"mdhd")?)?;
        let edits = child(child(track, b"edts")?, b"elst")?;
        let version = *edits.first()?;
        let count = be32(edits, 4)?;
        let mut at = 8;
        for _ in 0..count {
            let (duration, start) = if version == 1 {
                (be64(edits, at)?, be64(edits, at + 8)? as i64)
            } else {
                (be32(edits, at)?, i64::from(be32(edits, at + 4)? as u32 as i32))
            };
            at += if version == 1 { 20 } else { 12 };
            if start >= 0 {
                return Some((start as u64, duration * media_scale / movie_scale));
            }
        }
    }
    None
}

/// The body of the first top-level box of `kind`, skipping the others by seeking.
fn top_level_box(file: &mut File, kind: &[u8; 4]) -> Option<Vec<u8>> {
    let mut at = 0u64;
    loop {
        let mut header = [0u8; 16];
        file.seek(SeekFrom::Start(at)).ok()?;
        file.read_exact(&mut header[..8]).ok()?;
        let mut size = u64::from(u32::from_be_bytes(header[..4].try_into().ok()?));
        let mut header_len = 8;
        if size == 1 {
            file.read_exact(&mut header[8..]).ok()?;
            size = u64::from_be_bytes(header[8..16].try_into().ok()?);
            header_len = 16;
        }
        if size < header_len {
            return None;
        }
        if &header[4..8] == kind {
            let mut body = vec![0u8; usize::try_from(size - header_len).ok()?.min(64 << 20)];
            file.read_exact(&mut body).ok()?;
            return Some(body);
        }
        at += size;
    }
}

fn children(body: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let size = u32::from_be_bytes(body.get(at..at + 4)?.try_into().ok()?) as usize;
        let kind: [u8; 4] = body.get(at + 4..at + 8)?.try_into().ok()?;
        if size < 8 || at + size > body.len() {
            return None;
        }
        let item = (kind, &body[at + 8..at + size]);
        at += size;
        Some(item)
    })
}

fn child<'a>(body: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    children(body).find(|(k, _)| k == kind).map(|(_, b)| b)
}
