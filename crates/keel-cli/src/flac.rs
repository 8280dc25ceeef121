//! FLAC output, 16 or 24 bit, through libFLAC (the reference encoder, compression level 5 as
//! the `flac` tool's default), streamed into a `PendingFile` as frames are encoded; libFLAC
//! seeks back to complete STREAMINFO (length, MD5) when it finishes. Samples arrive already dithered by the chain (`wav::to_integer`
//! only rounds).

use super::error::{CliError, CliResult};
use super::pending_file::PendingFile;
use super::wav::{Encoding, WavFormat, to_integer};
use libflac_sys as ffi;
use std::ffi::c_void;
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Interleaved samples handed to libFLAC at a time.
const CHUNK_FRAMES: usize = 4096;
const COMPRESSION_LEVEL: u32 = 5;

/// Where libFLAC's callbacks write, and the first error they met. The file is taken out when
/// it is committed; a callback after that fails.
struct Sink {
    out: Option<PendingFile>,
    error: Option<std::io::Error>,
}

impl Sink {
    fn file(&mut self) -> std::io::Result<&mut BufWriter<File>> {
        self.out
            .as_mut()
            .and_then(|out| out.file().ok())
            .ok_or_else(|| std::io::Error::other("the FLAC file is closed"))
    }
}

unsafe extern "C" fn write_callback(
    _encoder: *const ffi::FLAC__StreamEncoder,
    buffer: *const ffi::FLAC__byte,
    bytes: usize,
    _samples: u32,
    _frame: u32,
    client: *mut c_void,
) -> ffi::FLAC__StreamEncoderWriteStatus {
    // SAFETY: `client` is the `Sink` the encoder was initialised with, alive until it is deleted;
    // libFLAC passes `bytes` valid bytes at `buffer`.
    let (sink, data) = unsafe { (&mut *(client as *mut Sink), std::slice::from_raw_parts(buffer, bytes)) };
    match sink.file().and_then(|file| file.write_all(data)) {
        Ok(()) => ffi::FLAC__STREAM_ENCODER_WRITE_STATUS_OK,
        Err(e) => {
            sink.error.get_or_insert(e);
            ffi::FLAC__STREAM_ENCODER_WRITE_STATUS_FATAL_ERROR
        }
    }
}

unsafe extern "C" fn seek_callback(
    _encoder: *const ffi::FLAC__StreamEncoder,
    offset: ffi::FLAC__uint64,
    client: *mut c_void,
) -> ffi::FLAC__StreamEncoderSeekStatus {
    // SAFETY: as in `write_callback`.
    let sink = unsafe { &mut *(client as *mut Sink) };
    match sink.file().and_then(|file| file.seek(SeekFrom::Start(offset))) {
        Ok(_) => ffi::FLAC__STREAM_ENCODER_SEEK_STATUS_OK,
        Err(e) => {
            sink.error.get_or_insert(e);
            ffi::FLAC__STREAM_ENCODER_SEEK_STATUS_ERROR
        }
    }
}

unsafe extern "C" fn tell_callback(
    _encoder: *const ffi::FLAC__StreamEncoder,
    offset: *mut ffi::FLAC__uint64,
    client: *mut c_void,
) -> ffi::FLAC__StreamEncoderTellStatus {
    // SAFETY: as in `write_callback`; `offset` points to libFLAC's own variable.
    let sink = unsafe { &mut *(client as *mut Sink) };
    match sink.file().and_then(|file| file.stream_position()) {
        Ok(position) => {
            unsafe { *offset = position };
            ffi::FLAC__STREAM_ENCODER_TELL_STATUS_OK
        }
        Err(e) => {
            sink.error.get_or_insert(e);
            ffi::FLAC__STREAM_ENCODER_TELL_STATUS_ERROR
        }
    }
}

pub struct FlacWriter {
    path: PathBuf,
    encoder: *mut ffi::FLAC__StreamEncoder,
    /// Boxed so its address, which libFLAC holds, never moves.
    sink: Box<Sink>,
    channels: usize,
    bits: u32,
    interleaved: Vec<i32>,
}

// SAFETY: the encoder and the sink it points to are owned by this value alone and only used
// through `&mut self` (or on drop), so moving the whole writer to another thread hands over
// exclusive use; libFLAC keeps no thread-local state for an encoder.
unsafe impl Send for FlacWriter {}

impl FlacWriter {
    /// `format.encoding` must be 16- or 24-bit integer.
    pub fn create(path: &Path, format: WavFormat) -> CliResult<Self> {
        let bits = match format.encoding {
            Encoding::Int16 => 16,
            Encoding::Int24 => 24,
            other => {
                return Err(CliError::input(format!(
                    "{}: FLAC holds 16- or 24-bit integer samples, not {}; use --format s16 or s24",
                    path.display(),
                    other.name()
                )));
            }
        };
        let out = PendingFile::create(path)?;
        // SAFETY: a new encoder, checked for null below.
        let encoder = unsafe { ffi::FLAC__stream_encoder_new() };
        let mut writer = Self {
            path: path.to_path_buf(),
            encoder,
            sink: Box::new(Sink { out: Some(out), error: None }),
            channels: usize::from(format.channels),
            bits,
            interleaved: Vec::with_capacity(CHUNK_FRAMES * usize::from(format.channels)),
        };
        if encoder.is_null() {
            return Err(CliError::input(format!("{}: the FLAC encoder could not start", path.display())));
        }
        let client = (&mut *writer.sink) as *mut Sink as *mut c_void;
        // SAFETY: `encoder` is valid; the callbacks match libFLAC's signatures and `client`
        // stays valid for the encoder's life (it is deleted in `Drop`, before the box).
        let status = unsafe {
            ffi::FLAC__stream_encoder_set_channels(encoder, u32::from(format.channels));
            ffi::FLAC__stream_encoder_set_bits_per_sample(encoder, bits);
            ffi::FLAC__stream_encoder_set_sample_rate(encoder, format.sample_rate);
            ffi::FLAC__stream_encoder_set_compression_level(encoder, COMPRESSION_LEVEL);
            ffi::FLAC__stream_encoder_init_stream(
                encoder,
                Some(write_callback),
                Some(seek_callback),
                Some(tell_callback),
                None,
                client,
            )
        };
        if status != ffi::FLAC__STREAM_ENCODER_INIT_STATUS_OK {
            return Err(writer.failure(&format!("the FLAC encoder refused the format (status {status})")));
        }
        writer.check()?;
        Ok(writer)
    }

    /// The sink's I/O error if there was one (exit code 3 for a full disk), else `what`.
    fn failure(&mut self, what: &str) -> CliError {
        match self.sink.error.take() {
            Some(e) => CliError::io(&self.path, "cannot write", e),
            None => CliError::input(format!("{}: {what}", self.path.display())),
        }
    }

    fn check(&mut self) -> CliResult<()> {
        match self.sink.error.take() {
            Some(e) => Err(CliError::io(&self.path, "cannot write", e)),
            None => Ok(()),
        }
    }

    /// Appends planar frames (rounded to the word length and clipped, as the WAV writer does).
    pub fn write(&mut self, channels: &[&[f32]]) -> CliResult<()> {
        let frames = channels.iter().map(|c| c.len()).min().unwrap_or(0);
        let mut start = 0;
        while start < frames {
            let n = (frames - start).min(CHUNK_FRAMES);
            self.interleaved.clear();
            for i in start..start + n {
                for channel in channels.iter().take(self.channels) {
                    self.interleaved.push(to_integer(channel[i], self.bits));
                }
            }
            // SAFETY: the buffer holds `n` frames of `channels` samples, in range for `bits`.
            let ok = unsafe {
                ffi::FLAC__stream_encoder_process_interleaved(self.encoder, self.interleaved.as_ptr(), n as u32)
            };
            if ok == 0 {
                return Err(self.failure("the FLAC encoder failed"));
            }
            start += n;
        }
        Ok(())
    }

    /// Completes the stream and renames the file into place. On any error the temporary file is
    /// removed and nothing appears at the output path.
    pub fn finish(mut self) -> CliResult<()> {
        // SAFETY: the encoder is valid and initialised; finishing flushes and rewrites STREAMINFO
        // through the callbacks.
        let ok = unsafe { ffi::FLAC__stream_encoder_finish(self.encoder) };
        if ok == 0 {
            return Err(self.failure("the FLAC encoder could not complete the file"));
        }
        self.check()?;
        match self.sink.out.take() {
            Some(out) => out.commit(),
            None => Err(CliError::input(format!("{}: write after finish", self.path.display()))),
        }
    }
}

impl Drop for FlacWriter {
    fn drop(&mut self) {
        if !self.encoder.is_null() {
            // SAFETY: deleting the encoder this writer made, once; it finishes an unfinished
            // stream through the callbacks, whose sink is still alive here. An uncommitted file
            // is then removed with the sink.
            unsafe { ffi::FLAC__stream_encoder_delete(self.encoder) };
        }
    }
}
