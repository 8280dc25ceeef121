//! Ogg Vorbis through libvorbis (the aoTuV-tuned build `vorbis_rs` bundles; BSD-3-Clause), set as
//! ffmpeg's libvorbis wrapper sets it for `-b:a`: a target average bitrate with the rate
//! management engine off.

use super::EncodeError;
use std::num::{NonZeroU8, NonZeroU32};
use vorbis_rs::{VorbisBitrateManagementStrategy, VorbisEncoderBuilder};

/// Frames handed to the encoder at once.
const BLOCK: usize = 4096;
const STREAM_SERIAL: i32 = 0x4b45_454c;

pub fn version() -> String {
    // SAFETY: libvorbis returns a static, NUL-terminated string.
    let raw = unsafe { std::ffi::CStr::from_ptr(aotuv_lancer_vorbis_sys::vorbis_version_string()) };
    format!("libvorbis {}", raw.to_string_lossy())
}

pub fn encode(audio: &[Vec<f32>], sample_rate: u32, kbps: u32) -> Result<Vec<u8>, EncodeError> {
    let libvorbis = |e: vorbis_rs::VorbisError| EncodeError::new(format!("libvorbis: {e}"));
    let rate = NonZeroU32::new(sample_rate).ok_or_else(|| EncodeError::new("sample rate 0"))?;
    let channels =
        u8::try_from(audio.len()).ok().and_then(NonZeroU8::new).ok_or_else(|| EncodeError::new("no channels"))?;
    let target = NonZeroU32::new(kbps * 1000).ok_or_else(|| EncodeError::new("bitrate 0"))?;
    let mut encoder = VorbisEncoderBuilder::new_with_serial(rate, channels, Vec::new(), STREAM_SERIAL)
        .bitrate_management_strategy(VorbisBitrateManagementStrategy::Vbr { target_bitrate: target })
        .build()
        .map_err(|_| {
            // libvorbis has encoding modes for a range of bitrates per rate and channel count.
            let channels = if audio.len() == 1 { "mono".to_string() } else { format!("{} channels", audio.len()) };
            EncodeError::new(format!(
                "libvorbis has no mode for {channels} at {sample_rate} Hz and {kbps} kbps; choose another bitrate"
            ))
        })?;
    let frames = audio[0].len();
    for start in (0..frames).step_by(BLOCK) {
        let end = (start + BLOCK).min(frames);
        let block: Vec<&[f32]> = audio.iter().map(|c| &c[start..end]).collect();
        encoder.encode_audio_block(&block).map_err(libvorbis)?;
    }
    encoder.finish().map_err(libvorbis)
}
