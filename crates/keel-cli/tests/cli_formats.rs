//! Every file users have, checked against ffmpeg (the independent encoder and decoder):
//! lossless formats measure exactly as the WAV they came from; lossy ones as ffmpeg's own decode
//! of them; Keel's FLAC holds exactly the samples of its WAV; damaged and unsupported files are
//! refused with one line, exit 2, nothing written.
//!
//! ffmpeg comes from the system packages `cargo xtask test` installs. Without it these tests
//! fail and say so: a format check that quietly passes would prove nothing.

mod cli_common;

use cli_common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Stereo programme material with level changes, 24-bit, 48 kHz.
fn music_like(scratch: &Scratch) -> PathBuf {
    let loud = generate(scratch, "pink", "loud.wav", &["--seconds", "6", "--level", "-12", "--seed", "3", "--format", "s24"]);
    let (format, loud) = read_wav(&loud);
    let (_, quiet) = read_wav(&generate(scratch, "pink", "quiet.wav", &["--seconds", "4", "--level", "-30", "--seed", "4"]));
    let channels: Vec<Vec<f32>> = (0..2)
        .map(|c| loud[c].iter().chain(&quiet[c]).chain(&loud[c][..96_000]).map(|x| (x * 16_777_216.0).round() / 16_777_216.0).collect())
        .collect();
    let path = scratch.path("music.wav");
    write_wav(&path, format.sample_rate, keel_cli::wav::Encoding::Int24, &channels);
    path
}

fn measure(path: &Path) -> Value {
    let out = ok(keel(&["measure", "--json", path.to_str().unwrap()]));
    let json: Value = serde_json::from_str(&out).unwrap();
    json["files"][0].clone()
}

const FIGURES: &[&str] = &["integrated_lufs", "loudness_range_lu", "true_peak_dbtp", "sample_peak_dbfs", "max_momentary_lufs", "max_short_term_lufs"];

#[test]
fn lossless_files_measure_exactly_as_their_wav() {
    let scratch = Scratch::new("formats-lossless");
    let wav = music_like(&scratch);
    let wav16 = scratch.path("music16.wav");
    ffmpeg(&["-i", wav.to_str().unwrap(), "-c:a", "pcm_s16le", wav16.to_str().unwrap()]);
    let reference24 = measure(&wav);
    let reference16 = measure(&wav16);
    assert_eq!(reference24["codec"], "PCM");
    assert_eq!(reference24["lossy"], false);
    let cases: &[(&str, &[&str], &Value)] = &[
        ("flac16.flac", &["-i", "W16", "-c:a", "flac"], &reference16),
        ("flac24.flac", &["-i", "W24", "-c:a", "flac", "-sample_fmt", "s32"], &reference24),
        ("aiff.aiff", &["-i", "W24", "-c:a", "pcm_s24be"], &reference24),
        ("alac.m4a", &["-i", "W24", "-c:a", "alac"], &reference24),
        ("alac16.caf", &["-i", "W16", "-c:a", "alac"], &reference16),
        ("rf64.wav", &["-i", "W24", "-c:a", "pcm_s24le", "-rf64", "always"], &reference24),
    ];
    for (name, args, reference) in cases {
        let path = scratch.path(name);
        let args: Vec<&str> = args
            .iter()
            .map(|a| match *a {
                "W16" => wav16.to_str().unwrap(),
                "W24" => wav.to_str().unwrap(),
                other => other,
            })
            .chain([path.to_str().unwrap()])
            .collect();
        ffmpeg(&args);
        let measured = measure(&path);
        assert_eq!(measured["lossy"], false, "{name}");
        for figure in FIGURES {
            assert_eq!(measured[figure], reference[figure], "{name}: {figure}");
        }
        assert_eq!(measured["duration_seconds"], reference["duration_seconds"], "{name}: length");
    }
}

#[test]
fn lossy_files_measure_as_ffmpegs_own_decode_of_them() {
    let scratch = Scratch::new("formats-lossy");
    let wav = music_like(&scratch);
    let source_seconds = measure(&wav)["duration_seconds"].as_f64().unwrap();
    for (name, codec, bitrate, codec_name) in [
        ("mp3.mp3", "libmp3lame", "320k", "MP3"),
        ("aac.m4a", "aac", "256k", "AAC"),
        ("vorbis.ogg", "libvorbis", "160k", "Vorbis"),
        ("opus.opus", "libopus", "160k", "Opus"),
    ] {
        let path = scratch.path(name);
        ffmpeg(&["-i", wav.to_str().unwrap(), "-c:a", codec, "-b:a", bitrate, path.to_str().unwrap()]);
        let decoded = scratch.path(&format!("{name}.decoded.wav"));
        ffmpeg(&["-i", path.to_str().unwrap(), "-c:a", "pcm_f32le", decoded.to_str().unwrap()]);
        let ours = measure(&path);
        let theirs = measure(&decoded);
        assert_eq!(ours["lossy"], true, "{name}");
        assert_eq!(ours["codec"], codec_name, "{name}");
        let diff = |figure: &str| (ours[figure].as_f64().unwrap() - theirs[figure].as_f64().unwrap()).abs();
        println!(
            "{name}: integrated {} vs ffmpeg's decode {}, true peak {} vs {}, length {} vs {}",
            ours["integrated_lufs"], theirs["integrated_lufs"], ours["true_peak_dbtp"], theirs["true_peak_dbtp"],
            ours["duration_seconds"], theirs["duration_seconds"]
        );
        assert!(diff("integrated_lufs") <= 0.05, "{name}: integrated differs by {} LU", diff("integrated_lufs"));
        assert!(diff("true_peak_dbtp") <= 0.1, "{name}: true peak differs by {} dB", diff("true_peak_dbtp"));
        // Encoder delay and padding trimmed: the source's length to the sample (ffmpeg's own
        // decode keeps AAC's end padding, so the source is the oracle here).
        let length_error = (ours["duration_seconds"].as_f64().unwrap() - source_seconds).abs();
        assert!(length_error < 1.5 / 48_000.0, "{name}: {length_error} s longer or shorter than the source");
    }
}

#[test]
fn flac_written_by_keel_holds_exactly_its_wav_samples() {
    let scratch = Scratch::new("formats-flac-out");
    let input = music_like(&scratch);
    for (depth, format) in [("s16", "pcm_s16le"), ("s24", "pcm_s24le")] {
        let (wav, flac) = (scratch.path(&format!("out_{depth}.wav")), scratch.path(&format!("out_{depth}.flac")));
        for out in [&wav, &flac] {
            ok(keel(&["render", input.to_str().unwrap(), "-o", out.to_str().unwrap(), "--format", depth, "--set", "lim_on=true"]));
        }
        assert_eq!(&bytes(&flac)[..4], b"fLaC");
        let (from_flac, from_wav) = (scratch.path(&format!("flac_{depth}.raw")), scratch.path(&format!("wav_{depth}.raw")));
        ffmpeg(&["-i", flac.to_str().unwrap(), "-f", &format[4..], "-c:a", format, from_flac.to_str().unwrap()]);
        ffmpeg(&["-i", wav.to_str().unwrap(), "-f", &format[4..], "-c:a", format, from_wav.to_str().unwrap()]);
        assert!(bytes(&from_flac) == bytes(&from_wav), "{depth}: the FLAC's samples differ from the WAV's");
        assert!(!bytes(&from_wav).is_empty());
        // And Keel reads its own FLAC back to the same figures.
        assert_eq!(measure(&flac)["integrated_lufs"], measure(&wav)["integrated_lufs"]);
    }
    // `--format flac` names the container; a FLAC cannot hold float.
    let named = scratch.path("named.wav");
    let refused = keel(&["render", input.to_str().unwrap(), "-o", named.to_str().unwrap(), "--format", "flac"]);
    assert_eq!(refused.status.code(), Some(2));
    let float = scratch.path("float.flac");
    let refused = keel(&["render", input.to_str().unwrap(), "-o", float.to_str().unwrap(), "--format", "f32"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(!float.exists() && !named.exists());
}

/// `keel render BAD -o out.wav` and `keel measure BAD`: exit 2, one line naming the file and the
/// words, nothing written, the input untouched.
fn assert_refused(scratch: &Scratch, bad: &Path, words: &[&str]) {
    let before = bytes(bad);
    let listing = scratch.listing();
    let output = scratch.path("never.wav");
    for args in [
        vec!["render", bad.to_str().unwrap(), "-o", output.to_str().unwrap()],
        vec!["measure", bad.to_str().unwrap()],
    ] {
        let result = keel(&args);
        let message = stderr(&result);
        assert_eq!(result.status.code(), Some(2), "{args:?}: {message}");
        assert_eq!(message.lines().count(), 1, "one line: {message}");
        let file_name = bad.file_name().unwrap().to_str().unwrap();
        assert!(message.contains(file_name), "names the file: {message}");
        for word in words {
            assert!(message.contains(word), "{word:?} in: {message}");
        }
    }
    assert_eq!(scratch.listing(), listing, "nothing written");
    assert_eq!(bytes(bad), before, "the input is untouched");
}

#[test]
fn damaged_and_unsupported_files_are_refused_with_the_reason() {
    let scratch = Scratch::new("formats-bad");
    let wav = music_like(&scratch);
    let make = |name: &str, args: &[&str]| {
        let path = scratch.path(name);
        let mut all = vec!["-i", wav.to_str().unwrap()];
        all.extend_from_slice(args);
        all.push(path.to_str().unwrap());
        ffmpeg(&all);
        path
    };
    // A FLAC cut in the middle.
    let flac = make("cut.flac", &["-c:a", "flac"]);
    let data = bytes(&flac);
    std::fs::write(&flac, &data[..data.len() / 2]).unwrap();
    assert_refused(&scratch, &flac, &["truncated FLAC", " s"]);
    // An MP3 with garbage over part of its middle.
    let mp3 = make("garbage.mp3", &["-c:a", "libmp3lame", "-b:a", "320k"]);
    let mut data = bytes(&mp3);
    let middle = data.len() / 2;
    let mut seed = 12345u32;
    for byte in &mut data[middle..middle + 16_384] {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        *byte = (seed >> 16) as u8;
    }
    std::fs::write(&mp3, &data).unwrap();
    assert_refused(&scratch, &mp3, &["damaged MP3", " s"]);
    // An M4A holding only video.
    let video = scratch.path("video.m4a");
    ffmpeg(&["-f", "lavfi", "-i", "color=c=black:s=32x32:d=1", "-c:v", "mpeg4", "-f", "mp4", video.to_str().unwrap()]);
    assert_refused(&scratch, &video, &["no audio track"]);
    // An empty Ogg.
    let empty = scratch.path("empty.ogg");
    std::fs::write(&empty, b"").unwrap();
    assert_refused(&scratch, &empty, &["empty"]);
    // DSD.
    let dsd = scratch.path("album.dsf");
    std::fs::write(&dsd, [b"DSD ".as_slice(), &[0u8; 100]].concat()).unwrap();
    assert_refused(&scratch, &dsd, &["DSD", "not supported"]);
    // HE-AAC: an AAC-LC file whose configuration is rewritten to say SBR (object type 5), as an
    // HE-AAC encoder would write it; decoding only its core would be wrong.
    let aac = make("lc.m4a", &["-c:a", "aac", "-b:a", "128k", "-ar", "44100"]);
    let mut data = bytes(&aac);
    let esds = data.windows(4).position(|w| w == b"esds").expect("an esds box");
    let config = esds + data[esds..].windows(2).position(|w| w == [0x12, 0x10]).expect("an LC 44.1 kHz stereo configuration");
    data[config] = 0x2A;
    let he = scratch.path("he.m4a");
    std::fs::write(&he, &data).unwrap();
    assert_refused(&scratch, &he, &["HE-AAC"]);
    // An unsupported codec in a known container (AC-3 in MP4).
    let ac3 = make("ac3.mp4", &["-c:a", "ac3"]);
    assert_refused(&scratch, &ac3, &["not supported"]);
}
