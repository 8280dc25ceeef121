//! MP3 through LAME, loaded at run time from the system's shared libmp3lame. LAME is LGPL: it is
//! never linked into `keel` (nor into the plugin), so users may replace the library, and a system
//! without it still runs everything else. Set as ffmpeg's libmp3lame wrapper sets it for
//! `-b:a`: CBR, joint stereo, LAME's default quality; the LAME tag (the "Info" frame) carries the
//! encoder delay and padding so decoders trim them.

use super::EncodeError;
use libloading::{Library, Symbol};
use std::ffi::{CStr, c_char, c_float, c_int, c_uchar, c_void};
use std::sync::OnceLock;

/// Where each system keeps the shared library, most specific first.
#[cfg(target_os = "linux")]
const LIBRARY_NAMES: &[&str] = &["libmp3lame.so.0", "libmp3lame.so"];
#[cfg(target_os = "macos")]
const LIBRARY_NAMES: &[&str] = &[
    "libmp3lame.0.dylib",
    "libmp3lame.dylib",
    "/opt/homebrew/lib/libmp3lame.dylib",
    "/usr/local/lib/libmp3lame.dylib",
];
#[cfg(target_os = "windows")]
const LIBRARY_NAMES: &[&str] = &["libmp3lame.dll", "lame_enc.dll", "mp3lame.dll"];
#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
const LIBRARY_NAMES: &[&str] = &["libmp3lame.so.0", "libmp3lame.so"];

/// lame.h's MPEG_mode and vbr_mode values.
const JOINT_STEREO: c_int = 1;
const MONO: c_int = 3;
const VBR_OFF: c_int = 0;

type Flags = *mut c_void;

struct Lame {
    library: Library,
    version: String,
}

fn loaded() -> Result<&'static Lame, String> {
    static LAME: OnceLock<Result<Lame, String>> = OnceLock::new();
    LAME.get_or_init(|| {
        let mut last = String::new();
        for name in LIBRARY_NAMES {
            // SAFETY: loading libmp3lame runs no initialisers beyond the C runtime's.
            match unsafe { Library::new(name) } {
                Ok(library) => {
                    // SAFETY: get_lame_version returns a static, NUL-terminated string.
                    let version = unsafe {
                        let get: Symbol<unsafe extern "C" fn() -> *const c_char> =
                            library.get(b"get_lame_version\0").map_err(|e| format!("{name}: {e}"))?;
                        CStr::from_ptr(get()).to_string_lossy().into_owned()
                    };
                    return Ok(Lame { library, version });
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(format!("the LAME library (libmp3lame) was not found ({last}); install it (Debian/Ubuntu: libmp3lame0)"))
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// Whether MP3 encoding can run here, and why not.
pub fn available() -> Result<(), String> {
    loaded().map(|_| ())
}

pub fn version() -> String {
    loaded().map_or_else(|e| e, |l| format!("LAME {}", l.version))
}

/// Encodes planar audio (one or two channels, 32, 44.1 or 48 kHz) to CBR MP3 with a LAME tag.
pub fn encode(audio: &[Vec<f32>], sample_rate: u32, kbps: u32) -> Result<Vec<u8>, EncodeError> {
    let lame = loaded().map_err(EncodeError::new)?;
    if !matches!(audio.len(), 1 | 2) {
        return Err(EncodeError::new(format!("MP3 takes mono or stereo, not {} channels", audio.len())));
    }
    // SAFETY: each symbol is looked up by its lame.h name and called with lame.h's signature;
    // the handle is closed on every path by `Session`.
    unsafe {
        macro_rules! symbol {
            ($name:literal, $ty:ty) => {
                lame.library
                    .get::<$ty>(concat!($name, "\0").as_bytes())
                    .map_err(|e| EncodeError::new(format!("libmp3lame lacks {}: {e}", $name)))?
            };
        }
        let init = symbol!("lame_init", unsafe extern "C" fn() -> Flags);
        let close = symbol!("lame_close", unsafe extern "C" fn(Flags) -> c_int);
        let set_int =
            |name: &'static str| -> Result<Symbol<'_, unsafe extern "C" fn(Flags, c_int) -> c_int>, EncodeError> {
                lame.library
                    .get(format!("{name}\0").as_bytes())
                    .map_err(|e| EncodeError::new(format!("libmp3lame lacks {name}: {e}")))
            };
        let init_params = symbol!("lame_init_params", unsafe extern "C" fn(Flags) -> c_int);
        let encode_float = symbol!(
            "lame_encode_buffer_ieee_float",
            unsafe extern "C" fn(Flags, *const c_float, *const c_float, c_int, *mut c_uchar, c_int) -> c_int
        );
        let flush = symbol!("lame_encode_flush", unsafe extern "C" fn(Flags, *mut c_uchar, c_int) -> c_int);
        let tag_frame = symbol!("lame_get_lametag_frame", unsafe extern "C" fn(Flags, *mut c_uchar, usize) -> usize);

        struct Session<'a>(Flags, &'a Symbol<'a, unsafe extern "C" fn(Flags) -> c_int>);
        impl Drop for Session<'_> {
            fn drop(&mut self) {
                // SAFETY: the handle came from lame_init and is closed once.
                unsafe { (self.1)(self.0) };
            }
        }
        let flags = init();
        if flags.is_null() {
            return Err(EncodeError::new("lame_init failed"));
        }
        let session = Session(flags, &close);
        let stereo = audio.len() == 2;
        let settings: [(&'static str, c_int); 6] = [
            ("lame_set_num_channels", audio.len() as c_int),
            ("lame_set_in_samplerate", sample_rate as c_int),
            ("lame_set_out_samplerate", sample_rate as c_int),
            ("lame_set_VBR", VBR_OFF),
            ("lame_set_brate", kbps as c_int),
            ("lame_set_mode", if stereo { JOINT_STEREO } else { MONO }),
        ];
        for (name, value) in settings {
            if set_int(name)?(session.0, value) < 0 {
                return Err(EncodeError::new(format!("LAME refused {name}({value})")));
            }
        }
        set_int("lame_set_bWriteVbrTag")?(session.0, 1);
        if init_params(session.0) < 0 {
            return Err(EncodeError::new(format!("LAME cannot encode {sample_rate} Hz at {kbps} kbps")));
        }
        const CHUNK: usize = 8192;
        // lame.h's worst case: 1.25 * samples + 7200 bytes.
        let mut buffer = vec![0u8; CHUNK * 5 / 4 + 7200];
        let mut mp3 = Vec::new();
        let (left, right) = (&audio[0], &audio[if stereo { 1 } else { 0 }]);
        // The "ieee_float" entry takes +-1.0 full scale.
        for start in (0..left.len()).step_by(CHUNK) {
            let n = CHUNK.min(left.len() - start);
            let written = encode_float(
                session.0,
                left[start..].as_ptr(),
                right[start..].as_ptr(),
                n as c_int,
                buffer.as_mut_ptr(),
                buffer.len() as c_int,
            );
            if written < 0 {
                return Err(EncodeError::new(format!("LAME encoding failed (code {written})")));
            }
            mp3.extend_from_slice(&buffer[..written as usize]);
        }
        let written = flush(session.0, buffer.as_mut_ptr(), buffer.len() as c_int);
        if written < 0 {
            return Err(EncodeError::new(format!("LAME flush failed (code {written})")));
        }
        mp3.extend_from_slice(&buffer[..written as usize]);
        // The first frame was reserved for the LAME tag; now that the lengths are known, fill it.
        let tag_len = tag_frame(session.0, buffer.as_mut_ptr(), buffer.len());
        if tag_len > 0 && tag_len <= mp3.len() {
            mp3[..tag_len].copy_from_slice(&buffer[..tag_len]);
        }
        Ok(mp3)
    }
}
