//! Codec-true peaks, checked against ffmpeg's own encoders and decoders (independent of Keel's
//! codec path): `keel measure --codec` agrees with ffmpeg's round trip of the same file, and
//! `keel master --codec-safe` keeps every decoded true peak under the ceiling on Keel's codec
//! path and within 0.3 dB of it on ffmpeg's, with the ceiling it chose shown to be the highest
//! that passes.
//!
//! ffmpeg comes from the system packages `cargo xtask test` installs; without it these tests
//! fail and say so.

mod cli_common;
#[allow(dead_code)]
#[path = "../../../tests/common/limiter_signals.rs"]
mod limiter_signals;

use cli_common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const CODECS: &str = "aac:256,opus:160,vorbis:160,mp3:320";

/// Levels of a test mix's parts.
#[derive(Clone, Copy)]
struct Mix {
    /// The music-like bed of tests/common/limiter_signals.rs (chords, bass, kick, hats).
    bed: f32,
    /// Distorted guitars: pink noise through a soft clipper and a cabinet's roll-off.
    guitars: f32,
    /// Drive into the guitars' soft clipper.
    distortion: f64,
    /// A short, loud kick and a snare.
    drums: f32,
}

/// Drum-led: its transients stand far above the rest, so -14 LUFS under -1 dBTP already takes
/// about 10 dB of limiter drive.
const PEAKY: Mix = Mix { bed: 0.2, guitars: 0.2, distortion: 3.0, drums: 1.0 };
/// Dense and distorted, as loud rock is: it reaches -9 LUFS (about 9 dB of drive), which the
/// peaky mix cannot under a codec-safe ceiling with a 50 ms release.
const DENSE: Mix = Mix { bed: 0.05, guitars: 0.3, distortion: 8.0, drums: 0.8 };

/// A 20-second stereo mix, 48 kHz, 24-bit, normalized to a full-scale sample peak.
fn programme(scratch: &Scratch, name: &str, mix: Mix) -> PathBuf {
    let Mix { bed: bed_level, guitars: guitar_level, distortion: clip, drums: drum_level } = mix;
    let seconds = 20.0;
    let rate = 48_000.0;
    let len = (rate * seconds) as usize;
    let drums = |seed: u64| -> Vec<f32> {
        let mut noise = keel_core::dsp::rng::Rng::new(seed);
        let mut snare_tone = OnePole::new(8_000.0, rate);
        (0..len)
            .map(|n| {
                let t = n as f64 / rate;
                let beat = t % 0.5;
                let kick = (std::f64::consts::TAU * (50.0 * beat + 120.0 * 0.01 * (1.0 - (-beat / 0.01).exp()))).sin()
                    * (-beat / 0.02).exp();
                let back = (t + 0.25) % 1.0;
                let snare = snare_tone.tick(noise.gaussian()) * (-back / 0.02).exp() * 0.8;
                (kick + snare) as f32
            })
            .collect()
    };
    let mut channels: Vec<Vec<f32>> = [(11, 21), (12, 22)]
        .iter()
        .map(|&(seed, drum_seed)| {
            let bed = limiter_signals::music_like(rate, len, seed);
            // Distorted guitars: pink noise through a soft clipper, dense and bright.
            let guitars = keel_core::signals::pink_noise(seed, rate, seconds, 0.25);
            // A guitar cabinet rolls the distortion off above about 5 kHz.
            let (mut cabinet, mut cone) = (OnePole::new(5_000.0, rate), OnePole::new(5_000.0, rate));
            bed.iter()
                .zip(guitars)
                .zip(drums(drum_seed))
                .map(|((b, g), d)| {
                    let guitar = cone.tick(cabinet.tick((f64::from(clip) * g).tanh()));
                    bed_level * b + guitar_level * guitar as f32 + drum_level * d
                })
                .collect()
        })
        .collect();
    let peak = channels.iter().flatten().fold(0.0f32, |m, x| m.max(x.abs()));
    for x in channels.iter_mut().flatten() {
        *x = (*x / peak * 8_388_607.0).round() / 8_388_608.0;
    }
    let path = scratch.path(name);
    write_wav(&path, 48_000, keel_cli::wav::Encoding::Int24, &channels);
    path
}

/// A one-pole low-pass.
struct OnePole {
    coefficient: f64,
    state: f64,
}

impl OnePole {
    fn new(cutoff: f64, rate: f64) -> Self {
        Self { coefficient: 1.0 - (-std::f64::consts::TAU * cutoff / rate).exp(), state: 0.0 }
    }

    fn tick(&mut self, x: f64) -> f64 {
        self.state += self.coefficient * (x - self.state);
        self.state
    }
}

fn measure_json(args: &[&str]) -> Value {
    let out = ok(keel(&[&["measure", "--json"], args].concat()));
    serde_json::from_str(&out).unwrap()
}

/// One codec row of `keel measure --codec --json`.
fn codec_row<'a>(file: &'a Value, codec: &str) -> &'a Value {
    file["codecs"].as_array().unwrap().iter().find(|c| c["codec"] == codec).unwrap_or_else(|| panic!("no {codec} row"))
}

fn number(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// ffmpeg's encoder for each of Keel's codecs, and the container it writes.
const FFMPEG_ENCODERS: [(&str, &str, &str, &str); 4] = [
    ("aac", "aac", "256k", "m4a"),
    ("opus", "libopus", "160k", "opus"),
    ("vorbis", "libvorbis", "160k", "ogg"),
    ("mp3", "libmp3lame", "320k", "mp3"),
];

/// `wav` encoded and decoded by ffmpeg alone, then measured: (codec, true peak, integrated).
fn ffmpeg_round_trips(scratch: &Scratch, wav: &Path) -> Vec<(&'static str, f64, f64)> {
    let stem = wav.file_stem().unwrap().to_string_lossy().into_owned();
    FFMPEG_ENCODERS
        .iter()
        .map(|&(codec, encoder, bitrate, ext)| {
            let encoded = scratch.path(&format!("{stem}-ffmpeg.{ext}"));
            let decoded = scratch.path(&format!("{stem}-ffmpeg-{codec}.wav"));
            ffmpeg(&["-i", wav.to_str().unwrap(), "-c:a", encoder, "-b:a", bitrate, encoded.to_str().unwrap()]);
            ffmpeg(&["-i", encoded.to_str().unwrap(), "-c:a", "pcm_f32le", decoded.to_str().unwrap()]);
            let file = &measure_json(&[decoded.to_str().unwrap()])["files"][0];
            (codec, number(&file["true_peak_dbtp"]), number(&file["integrated_lufs"]))
        })
        .collect()
}

fn ffmpeg_version() -> String {
    let out = Command::new("ffmpeg").arg("-version").output().expect("ffmpeg runs");
    String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or_default().to_string()
}

#[test]
fn measure_codec_agrees_with_ffmpegs_own_encoders_and_keeps_the_source_row() {
    let scratch = Scratch::new("codec-measure");
    let mix = programme(&scratch, "mix.wav", PEAKY);
    let master = scratch.path("master.wav");
    ok(keel(&["master", mix.to_str().unwrap(), "-o", master.to_str().unwrap(), "--target", "-14"]));

    let plain = measure_json(&[master.to_str().unwrap()]);
    let with_codecs = measure_json(&["--codec", CODECS, master.to_str().unwrap()]);
    let file = &with_codecs["files"][0];
    // The source row is `keel measure`'s, field for field.
    let mut source = file.clone();
    source.as_object_mut().unwrap().remove("codecs");
    assert_eq!(source, plain["files"][0]);

    let source_tp = number(&file["true_peak_dbtp"]);
    let source_lufs = number(&file["integrated_lufs"]);
    eprintln!("{}", ffmpeg_version());
    eprintln!("codec    keel: TP dBTP  LUFS  encoder           | ffmpeg: TP dBTP  LUFS");
    for (codec, ffmpeg_tp, ffmpeg_lufs) in ffmpeg_round_trips(&scratch, &master) {
        let row = codec_row(file, codec);
        let (tp, lufs) = (number(&row["true_peak_dbtp"]), number(&row["integrated_lufs"]));
        eprintln!(
            "{codec:<8} {tp:>+11.2} {lufs:>6.2}  {:<18} | {ffmpeg_tp:>+13.2} {ffmpeg_lufs:>6.2}",
            row["encoder"].as_str().unwrap()
        );
        assert!((tp - ffmpeg_tp).abs() <= 0.3, "{codec}: keel {tp:.2} dBTP, ffmpeg {ffmpeg_tp:.2} dBTP");
        assert!((lufs - ffmpeg_lufs).abs() <= 0.1, "{codec}: keel {lufs:.2} LUFS, ffmpeg {ffmpeg_lufs:.2} LUFS");
        assert!((number(&row["true_peak_rise_db"]) - (tp - source_tp)).abs() < 1e-3);
        assert!((number(&row["loudness_change_lu"]) - (lufs - source_lufs)).abs() < 1e-3);
        // Delay and padding are trimmed: the decoded audio lasts as long as the source.
        let seconds = number(&row["duration_seconds"]);
        assert!((seconds - 20.0).abs() < 1e-4, "{codec}: decoded {seconds} s of a 20 s file");
        assert_eq!(row["resampled_from"], Value::Null);
    }
}

#[test]
fn codecs_with_fixed_rates_get_the_audio_converted_and_say_so() {
    let scratch = Scratch::new("codec-rates");
    let tone = generate(
        &scratch,
        "sine",
        "tone.wav",
        &["--rate", "44100", "--seconds", "3", "--level", "-6", "--freq", "997", "--channels", "2"],
    );
    let json = measure_json(&["--codec", "opus:128,mp3:192,vorbis:128", tone.to_str().unwrap()]);
    let file = &json["files"][0];
    let opus = codec_row(file, "opus");
    assert_eq!(opus["sample_rate"], 48_000);
    assert_eq!(opus["resampled_from"], 44_100);
    assert!((number(&opus["duration_seconds"]) - 3.0).abs() < 1e-4);
    for codec in ["mp3", "vorbis"] {
        assert_eq!(codec_row(file, codec)["sample_rate"], 44_100);
        assert_eq!(codec_row(file, codec)["resampled_from"], Value::Null);
    }
    // A clean tone keeps its level through every codec (LAME at 192k takes 0.25 dB off it, as
    // ffmpeg's libmp3lame does too).
    for row in file["codecs"].as_array().unwrap() {
        let rise = number(&row["true_peak_rise_db"]);
        assert!(rise.abs() < 0.3, "{}: a -6 dBFS tone rose {rise} dB", row["codec"]);
    }
    let text = ok(keel(&["measure", "--codec", "opus:128", tone.to_str().unwrap()]));
    assert!(text.contains("resampled from 44100 Hz to 48000 Hz"), "{text}");
}

#[test]
fn catalogs_get_the_codec_rows_per_file_as_json_lines_and_csv() {
    let scratch = Scratch::new("codec-catalog");
    let a = generate(&scratch, "pink", "a.wav", &["--seconds", "4", "--level", "-12", "--seed", "1", "--channels", "2"]);
    let b = generate(&scratch, "sine", "b.wav", &["--seconds", "3", "--level", "-3", "--channels", "2"]);
    let files = [a.to_str().unwrap(), b.to_str().unwrap()];
    let json = measure_json(&[&["--codec", "opus:96,mp3:192"], &files[..]].concat());
    let lines = ok(keel(&[&["measure", "--jsonl", "-q", "--codec", "opus:96,mp3:192"], &files[..]].concat()));
    let mut streamed: Vec<Value> = lines.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    streamed.sort_by_key(|v| v["file"].as_str().unwrap().to_string());
    assert_eq!(streamed.len(), 2);
    for (line, file) in streamed.iter().zip(json["files"].as_array().unwrap()) {
        assert_eq!(line["codecs"], file["codecs"], "a JSON line carries the same codec rows as --json");
        assert_eq!(line["codecs"].as_array().unwrap().len(), 2);
    }
    let csv = ok(keel(&[&["measure", "--csv", "-q", "--codec", "opus:96,mp3:192"], &files[..]].concat()));
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    for column in ["opus:96:true_peak_dbtp", "opus:96:loudness_change_lu", "mp3:192:integrated_lufs"] {
        assert!(header.iter().any(|h| h == column), "no column {column}: {header:?}");
    }
    let at = header.iter().position(|h| h == "opus:96:true_peak_dbtp").unwrap();
    for record in reader.records() {
        let record = record.unwrap();
        let file = json["files"].as_array().unwrap().iter().find(|f| f["file"] == record[0]).unwrap();
        let expected = codec_row(file, "opus")["true_peak_dbtp"].as_f64().unwrap();
        assert_eq!(record[at].parse::<f64>().unwrap(), expected);
    }
}

/// `keel master --codec-safe` on `mix` at `target`: the ceiling it used.
fn codec_safe_master(mix: &Path, target: &str, master: &Path) -> f64 {
    let out = ok(keel(&[
        "master",
        mix.to_str().unwrap(),
        "-o",
        master.to_str().unwrap(),
        "--target",
        target,
        "--codec-safe",
        CODECS,
        "--deliver",
        CODECS,
    ]));
    eprintln!("{out}");
    let line = out.lines().find(|l| l.starts_with("codec-safe: ceiling ")).expect("the ceiling used is printed");
    line["codec-safe: ceiling ".len()..].split_whitespace().next().unwrap().parse().unwrap()
}

fn codec_safe_holds(mix_kind: Mix, target: &str, target_lufs: f64, label: &str) {
    let scratch = Scratch::new(label);
    let mix = programme(&scratch, "mix.wav", mix_kind);
    let master = scratch.path("master.wav");
    let used = codec_safe_master(&mix, target, &master);

    // More than 6 dB of limiting, and the loudness on target.
    let file = measure_json(&["--codec", CODECS, master.to_str().unwrap()]);
    let file = &file["files"][0];
    let lufs = number(&file["integrated_lufs"]);
    assert!((lufs - target_lufs).abs() <= 0.1, "{lufs} LUFS");
    let before = &measure_json(&[mix.to_str().unwrap()])["files"][0];
    let limiting = number(&before["true_peak_dbtp"]) + (target_lufs - number(&before["integrated_lufs"])) - used;
    assert!(limiting > 6.0, "only {limiting:.1} dB of peak reduction");

    // Every decoded true peak under -1 dBTP on Keel's codec path, and on the delivered files.
    for row in file["codecs"].as_array().unwrap() {
        let tp = number(&row["true_peak_dbtp"]);
        assert!(tp <= -1.0, "{}: {tp} dBTP after decoding", row["codec"]);
    }
    for (codec, _, _, ext) in FFMPEG_ENCODERS {
        let kbps = CODECS.split(',').find(|c| c.starts_with(codec)).unwrap().split(':').nth(1).unwrap();
        let delivered = scratch.path(&format!("master-{codec}{kbps}.{ext}"));
        let decoded = scratch.path(&format!("delivered-{codec}.wav"));
        ffmpeg(&["-i", delivered.to_str().unwrap(), "-c:a", "pcm_f32le", decoded.to_str().unwrap()]);
        let tp = number(&measure_json(&[decoded.to_str().unwrap()])["files"][0]["true_peak_dbtp"]);
        eprintln!("delivered {codec}, decoded by ffmpeg: {tp:+.2} dBTP");
        // ffmpeg's decoder of the delivered file: within 0.05 dB of Keel's decoder.
        assert!(tp <= -0.95, "{codec}: the delivered file decodes (by ffmpeg) to {tp} dBTP");
    }
    // The same master through ffmpeg's own encoders.
    for (codec, tp, lufs) in ffmpeg_round_trips(&scratch, &master) {
        eprintln!("ffmpeg {codec}: {tp:+.2} dBTP, {lufs:.2} LUFS");
        assert!(tp <= -0.7, "{codec} by ffmpeg: {tp} dBTP");
    }

    // 0.1 dB higher, some codec goes over: the ceiling used is within 0.1 dB of the highest.
    let higher = scratch.path("higher.wav");
    let ceiling = format!("{:.3}", used + 0.1);
    ok(keel(&[
        "master",
        mix.to_str().unwrap(),
        "-o",
        higher.to_str().unwrap(),
        "--target",
        target,
        "--ceiling",
        &ceiling,
    ]));
    let json = measure_json(&["--codec", CODECS, higher.to_str().unwrap()]);
    let worst = json["files"][0]["codecs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| number(&r["true_peak_dbtp"]))
        .fold(f64::MIN, f64::max);
    assert!(worst > -1.0, "at {ceiling} dBTP every codec still holds (worst {worst:+.2} dBTP)");
}

#[test]
fn codec_safe_master_for_spotify_holds_every_codec_under_the_ceiling() {
    codec_safe_holds(PEAKY, "spotify", -14.0, "codec-safe-spotify");
}

#[test]
fn codec_safe_master_at_minus_9_holds_every_codec_under_the_ceiling() {
    codec_safe_holds(DENSE, "-9", -9.0, "codec-safe-9");
}

#[test]
fn bad_codec_lists_and_missing_encoders_are_refused_before_any_work() {
    let scratch = Scratch::new("codec-bad");
    let tone = generate(&scratch, "sine", "tone.wav", &["--seconds", "1", "--channels", "2"]);
    let out_path = scratch.path("out.wav");
    let cases: [(&[&str], &str); 5] = [
        (&["measure", "--codec", "flac:500"], "unknown codec 'flac': expected one of aac, opus, vorbis, mp3"),
        (
            &["measure", "--codec", "mp3:300"],
            "mp3: bitrate '300' not available: use 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320 kbps",
        ),
        (&["measure", "--codec", "opus:9000"], "opus: bitrate '9000' not available: use 16 to 510 kbps"),
        (&["measure", "--codec", "opus"], "write it as CODEC:KBPS"),
        (
            &["master", "--target", "-14", "-o", out_path.to_str().unwrap(), "--codec-safe", "vorbis:1"],
            "vorbis: bitrate '1' not available",
        ),
    ];
    for (args, words) in cases {
        let out = keel(&[args, &[tone.to_str().unwrap()]].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains(words) && err.lines().count() == 1, "{args:?}: {err}");
    }
    // An encoder without a mode for this audio names the file and the reason.
    let mono = generate(&scratch, "sine", "mono.wav", &["--seconds", "1", "--channels", "1", "--rate", "88200"]);
    let out = keel(&["measure", "--codec", "vorbis:96", mono.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("mono.wav: vorbis:96: libvorbis has no mode for mono at 88200 Hz and 96 kbps"), "{err}");
    std::fs::remove_file(&mono).unwrap();
    // Without ffmpeg on the PATH, AAC is unavailable: said before any work, nothing written.
    for args in [
        vec!["measure", "--codec", "opus:160,aac:256"],
        vec!["master", "--target", "-14", "-o", out_path.to_str().unwrap(), "--codec-safe", "aac:256"],
    ] {
        let out = keel_env(&[&args[..], &[tone.to_str().unwrap()]].concat(), &[("PATH", "/nonexistent")]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains("aac:256 is not available") && err.contains("ffmpeg"), "{err}");
        assert!(stdout(&out).is_empty(), "work started: {}", stdout(&out));
    }
    assert_eq!(scratch.listing(), vec!["tone.wav".to_string()]);
    // --help names what is missing (clap wraps the help to the terminal: compare words).
    let words = |text: String| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let help = words(stdout(&keel_env(&["measure", "--help"], &[("PATH", "/nonexistent")])));
    assert!(help.contains("Not available here: aac: AAC needs the ffmpeg program"), "{help}");
    assert!(words(ok(keel(&["measure", "--help"]))).contains("All four codecs are available here."));
}

#[test]
fn a_codec_safe_master_that_cannot_hold_writes_nothing_and_says_what_it_reached() {
    let scratch = Scratch::new("codec-safe-fails");
    let mix = programme(&scratch, "mix.wav", DENSE);
    let master = scratch.path("master.wav");
    let out = keel(&[
        "master",
        mix.to_str().unwrap(),
        "-o",
        master.to_str().unwrap(),
        "--target",
        "-7",
        "--codec-safe",
        "opus:160",
        "--deliver",
        "opus:160",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("cannot keep every codec under -1.0 dBTP") && err.contains("nothing written"), "{err}");
    assert_eq!(scratch.listing(), vec!["mix.wav".to_string()]);
}
