//! Ogg Opus through libopus (BSD-3-Clause), set as ffmpeg's libopus wrapper sets it by default:
//! the "audio" application, unconstrained VBR at the asked bitrate, 20 ms frames, complexity 10.
//! The Ogg framing (RFC 7845) is written here: the pre-skip is the encoder's lookahead and the
//! last page's granule position ends the stream on the last input sample.

use super::EncodeError;
use ogg::writing::{PacketWriteEndInfo, PacketWriter};

/// 20 ms at 48 kHz.
const FRAME: usize = 960;
/// Packets per Ogg page: about one second.
const PACKETS_PER_PAGE: usize = 50;
/// Largest Opus packet (RFC 6716 §3.2.1 allows up to 1275 bytes per frame).
const MAX_PACKET: usize = 4000;
const STREAM_SERIAL: u32 = 0x4b45_454c;

pub fn version() -> String {
    opus::version().to_string()
}

/// Encodes planar 48 kHz audio (one or two channels) to an Ogg Opus file.
pub fn encode(audio: &[Vec<f32>], kbps: u32) -> Result<Vec<u8>, EncodeError> {
    let channels = match audio.len() {
        1 => opus::Channels::Mono,
        2 => opus::Channels::Stereo,
        n => return Err(EncodeError::new(format!("Opus here takes mono or stereo, not {n} channels"))),
    };
    let libopus = |e: opus::Error| EncodeError::new(format!("libopus: {e}"));
    let mut encoder = opus::Encoder::new(48_000, channels, opus::Application::Audio).map_err(libopus)?;
    encoder.set_bitrate(opus::Bitrate::Bits(kbps as i32 * 1000)).map_err(libopus)?;
    encoder.set_vbr(true).map_err(libopus)?;
    encoder.set_vbr_constraint(false).map_err(libopus)?;
    encoder.set_complexity(10).map_err(libopus)?;
    let pre_skip = encoder.get_lookahead().map_err(libopus)? as usize;

    let frames = audio[0].len();
    let count = audio.len();
    // Input plus the lookahead, in whole frames, so the decoder can give every input sample back.
    let packets = (frames + pre_skip).div_ceil(FRAME);
    let mut interleaved = vec![0.0f32; packets * FRAME * count];
    for (c, channel) in audio.iter().enumerate() {
        for (f, &x) in channel.iter().enumerate() {
            interleaved[f * count + c] = x;
        }
    }

    let mut writer = PacketWriter::new(Vec::new());
    let ogg_error = |e: std::io::Error| EncodeError::new(format!("Ogg framing: {e}"));
    writer
        .write_packet(opus_head(count as u8, pre_skip as u16), STREAM_SERIAL, PacketWriteEndInfo::EndPage, 0)
        .map_err(ogg_error)?;
    writer.write_packet(opus_tags(), STREAM_SERIAL, PacketWriteEndInfo::EndPage, 0).map_err(ogg_error)?;
    let end_granule = (pre_skip + frames) as u64;
    let mut packet = vec![0u8; MAX_PACKET];
    for (k, frame) in interleaved.chunks_exact(FRAME * count).enumerate() {
        let bytes = encoder.encode_float(frame, &mut packet).map_err(libopus)?;
        let last = k + 1 == packets;
        let granule = (((k + 1) * FRAME) as u64).min(end_granule);
        let end = if last {
            PacketWriteEndInfo::EndStream
        } else if (k + 1) % PACKETS_PER_PAGE == 0 {
            PacketWriteEndInfo::EndPage
        } else {
            PacketWriteEndInfo::NormalPacket
        };
        writer.write_packet(packet[..bytes].to_vec(), STREAM_SERIAL, end, granule).map_err(ogg_error)?;
    }
    Ok(writer.into_inner())
}

/// The identification header (RFC 7845 §5.1): channel mapping family 0 (mono or stereo).
fn opus_head(channels: u8, pre_skip: u16) -> Vec<u8> {
    let mut head = b"OpusHead".to_vec();
    head.push(1);
    head.push(channels);
    head.extend_from_slice(&pre_skip.to_le_bytes());
    head.extend_from_slice(&48_000u32.to_le_bytes());
    head.extend_from_slice(&0i16.to_le_bytes());
    head.push(0);
    head
}

/// The comment header (RFC 7845 §5.2): the vendor string and no comments.
fn opus_tags() -> Vec<u8> {
    let vendor = format!("keel {} ({})", env!("CARGO_PKG_VERSION"), version());
    let mut tags = b"OpusTags".to_vec();
    tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
    tags.extend_from_slice(vendor.as_bytes());
    tags.extend_from_slice(&0u32.to_le_bytes());
    tags
}
