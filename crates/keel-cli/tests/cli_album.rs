//! `keel measure --album`: the album as one programme against the tracks played back to back
//! (measured by Keel and by ffmpeg's EBU R128 filter), pooling across sample rates, and the
//! refusal of mixed channel counts.

mod cli_common;

use cli_common::*;
use keel_cli::wav::Encoding;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn album_json(inputs: &[&Path], extra: &[&str]) -> Value {
    let mut args = vec!["measure".to_string(), "--json".into(), "-q".into(), "--album".into()];
    args.extend(inputs.iter().map(|f| f.display().to_string()));
    args.extend(extra.iter().map(|s| s.to_string()));
    serde_json::from_str(&ok(keel(&args))).unwrap()
}

/// Integrated loudness (LUFS) and true peak (dBTP) by ffmpeg's ebur128 filter (its summary on
/// stderr, one decimal).
fn ffmpeg_loudness(path: &Path) -> (f64, f64) {
    let output = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-i"])
        .arg(path)
        .args(["-af", "ebur128=peak=true", "-f", "null", "-"])
        .output()
        .unwrap_or_else(|e| panic!("ffmpeg is needed for the album test (cargo xtask test installs it): {e}"));
    let log = String::from_utf8_lossy(&output.stderr);
    let summary = log.rsplit("Summary:").next().expect("ffmpeg printed its summary");
    let value = |key: &str, unit: &str| -> f64 {
        let line = summary.lines().map(str::trim).find(|l| l.starts_with(key)).expect("a summary line");
        line.trim_start_matches(key).trim().trim_end_matches(unit).trim().parse().unwrap()
    };
    (value("I:", "LUFS"), value("Peak:", "dBFS"))
}

fn ffmpeg_integrated(path: &Path) -> f64 {
    ffmpeg_loudness(path).0
}

/// Writes 48 kHz stereo `tracks` back to back into one float WAV.
fn join(tracks: &[PathBuf], into: &Path) {
    let mut joined: Vec<Vec<f32>> = vec![Vec::new(), Vec::new()];
    for track in tracks {
        let (_, channels) = read_wav(track);
        for (all, part) in joined.iter_mut().zip(channels) {
            all.extend(part);
        }
    }
    write_wav(into, 48_000, Encoding::Float32, &joined);
}

/// Three tracks of different loudness and character, 48 kHz stereo float.
fn tracks(scratch: &Scratch) -> Vec<PathBuf> {
    vec![
        generate(scratch, "pink", "01.wav", &["--seconds", "20", "--level", "-14", "--seed", "1"]),
        generate(scratch, "pink", "02.wav", &["--seconds", "12", "--level", "-30", "--seed", "2"]),
        generate(scratch, "sweep", "03.wav", &["--seconds", "15", "--level", "-8"]),
    ]
}

#[test]
fn album_loudness_is_the_loudness_of_the_tracks_back_to_back() {
    let scratch = Scratch::new("album");
    let tracks = tracks(&scratch);
    let refs: Vec<&Path> = tracks.iter().map(PathBuf::as_path).collect();
    let report = album_json(&refs, &["--target", "spotify", "--target", "apple", "--target", "youtube"]);
    let album = &report["album"];
    let album_lufs = album["integrated_lufs"].as_f64().unwrap();
    assert_eq!(album["measured_as"], "tracks back to back");

    // The same audio as one file.
    let concatenated = scratch.path("concatenated.wav");
    join(&tracks, &concatenated);
    let one_file: Value =
        serde_json::from_str(&ok(keel(&["measure", "--json", "-q", concatenated.to_str().unwrap()]))).unwrap();
    let keel_joined = one_file["files"][0]["integrated_lufs"].as_f64().unwrap();
    let ffmpeg_joined = ffmpeg_integrated(&concatenated);
    println!("album {album_lufs:.4} LUFS; back to back: keel {keel_joined:.4}, ffmpeg {ffmpeg_joined:.1}");
    assert!((album_lufs - keel_joined).abs() <= 0.01, "album {album_lufs} vs one file {keel_joined}");
    assert!((album_lufs - ffmpeg_joined).abs() <= 0.05, "album {album_lufs} vs ffmpeg {ffmpeg_joined}");

    // Highest peaks and the platforms' gains by their album rules.
    let files = report["files"].as_array().unwrap();
    let highest = files.iter().map(|f| f["true_peak_dbtp"].as_f64().unwrap()).fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(album["true_peak_dbtp"].as_f64().unwrap(), highest);
    let loudest = files.iter().map(|f| f["integrated_lufs"].as_f64().unwrap()).fold(f64::NEG_INFINITY, f64::max);
    let by_id = |id: &str| album["targets"].as_array().unwrap().iter().find(|t| t["id"] == id).unwrap().clone();
    // Apple: whole album to -16 (up and down).
    let apple = by_id("apple-music");
    assert_eq!(apple["album_basis"], "whole album");
    assert!((apple["album_gain_db"].as_f64().unwrap() - (-16.0 - album_lufs)).abs() < 1e-3);
    // Spotify: the loudest track on -14 (here it is turned down, so no peak limit applies).
    let spotify = by_id("spotify-normal");
    assert_eq!(spotify["album_basis"], "loudest track");
    assert!(-14.0 - loudest < 0.0);
    assert!((spotify["album_gain_db"].as_f64().unwrap() - (-14.0 - loudest)).abs() < 1e-3);
    // Album mode keeps the tracks' differences: one gain for all.
    let gain = apple["album_gain_db"].as_f64().unwrap();
    for (track, file) in apple["tracks"].as_array().unwrap().iter().zip(files) {
        let expected = file["integrated_lufs"].as_f64().unwrap() + gain;
        assert!((track["album_mode"]["resulting_lufs"].as_f64().unwrap() - expected).abs() < 1e-3);
    }
    // YouTube has no album mode: album mode is track mode.
    let youtube = by_id("youtube");
    assert!(youtube["album_gain_db"].is_null());
    for track in youtube["tracks"].as_array().unwrap() {
        assert_eq!(track["album_mode"], track["track_mode"]);
    }
}

#[test]
fn tracks_at_different_sample_rates_pool_and_different_channel_counts_are_refused() {
    let scratch = Scratch::new("album-rates");
    // A 1 kHz tone has the same loudness at any rate; pooled, the album reads it too.
    let a = generate(&scratch, "sine", "a48.wav", &["--seconds", "10", "--level", "-20"]);
    let b = generate(&scratch, "sine", "b96.wav", &["--seconds", "10", "--level", "-20", "--rate", "96000"]);
    let report = album_json(&[&a, &b], &[]);
    let each: Vec<f64> = report["files"].as_array().unwrap().iter().map(|f| f["integrated_lufs"].as_f64().unwrap()).collect();
    let album = report["album"]["integrated_lufs"].as_f64().unwrap();
    assert_eq!(report["album"]["measured_as"], "tracks pooled (sample rates differ)");
    // (The tone reads about 0.02 LU apart at the two rates.)
    assert!((each[0] - each[1]).abs() < 0.03, "{each:?}");
    assert!(album > each[0].min(each[1]) - 0.005 && album < each[0].max(each[1]) + 0.005, "{album} vs {each:?}");
    assert_eq!(report["album"]["targets"].as_array().unwrap().len(), keel_core::targets::PLATFORM_TARGETS.len());

    let mono = generate(&scratch, "pink", "mono.wav", &["--seconds", "5", "--channels", "1"]);
    let output = keel(&["measure", "-q", "--album", a.to_str().unwrap(), mono.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert_eq!(message.trim().lines().count(), 1, "one line: {message}");
    assert!(message.contains("different channel counts") && message.contains("mono.wav"), "{message}");
    assert!(stdout(&output).is_empty(), "nothing printed for a refused album");
}

/// The tracks' figures as `keel measure --album --json` reads them.
fn album_report(folder: &Path) -> Value {
    album_json(&[folder], &["--target", "spotify"])
}

#[test]
fn album_master_keeps_the_tracks_apart_puts_the_album_on_target_and_every_peak_under_the_ceiling() {
    let scratch = Scratch::new("album-master");
    let album = scratch.path("album");
    std::fs::create_dir_all(&album).unwrap();
    // A hot track the limiter has to catch, and two quiet ones it must leave alone.
    generate(&scratch, "pink", "album/01 hot.wav", &["--seconds", "20", "--level", "-16", "--seed", "1"]);
    generate(&scratch, "pink", "album/02 quiet.wav", &["--seconds", "12", "--level", "-32", "--seed", "2"]);
    generate(&scratch, "sweep", "album/03 mid.wav", &["--seconds", "15", "--level", "-20"]);
    let before = album_report(&album);

    // -9 LUFS raises the album enough that the hot track's peaks meet the limiter.
    for (target, ceiling) in [("-9", -1.0), ("spotify", -1.0)] {
        let out = scratch.path(&format!("mastered-{target}"));
        ok(keel(&["master", "--album", album.to_str().unwrap(), "-o", out.to_str().unwrap(), "--target", target]));
        let after = album_report(&out);
        let tracks = |r: &Value| -> Vec<(f64, f64)> {
            r["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| (f["integrated_lufs"].as_f64().unwrap(), f["true_peak_dbtp"].as_f64().unwrap()))
                .collect()
        };
        let (b, a) = (tracks(&before), tracks(&after));
        assert_eq!(a.len(), 3);
        // The quiet tracks needed no limiting: their difference stays.
        let kept = (a[1].0 - a[2].0) - (b[1].0 - b[2].0);
        assert!(kept.abs() <= 0.05, "{target}: the quiet tracks moved {kept:+.3} LU apart");
        // Every track under the ceiling, by Keel's BS.1770 and reconstructed readings, and by
        // ffmpeg's own true-peak meter (its 4x filter and one-decimal print differ from Annex 2
        // by up to about 0.1 dB).
        for file in after["files"].as_array().unwrap() {
            assert!(file["true_peak_dbtp"].as_f64().unwrap() <= ceiling, "{file}");
            assert!(file["reconstructed_peak_dbtp"].as_f64().unwrap() <= ceiling + 1e-3, "{file}");
            let (_, ffmpeg_peak) = ffmpeg_loudness(Path::new(file["file"].as_str().unwrap()));
            println!("{target}: {} true peak {ffmpeg_peak} dBTP by ffmpeg", file["file"]);
            assert!(ffmpeg_peak <= ceiling + 0.1, "ffmpeg reads {ffmpeg_peak} dBTP in {file}");
        }
        // On target by the rule: the whole album for a LUFS target (also by ffmpeg, on the
        // tracks joined), the loudest track for Spotify.
        let album_lufs = after["album"]["integrated_lufs"].as_f64().unwrap();
        if target == "-9" {
            assert!((album_lufs + 9.0).abs() <= 0.1, "album {album_lufs}");
            let mut names: Vec<PathBuf> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().path()).collect();
            names.sort();
            let concatenated = scratch.path("joined.wav");
            join(&names, &concatenated);
            let ffmpeg = ffmpeg_integrated(&concatenated);
            println!("album master to -9 LUFS: keel {album_lufs:.3}, ffmpeg on the joined tracks {ffmpeg:.1}");
            assert!((ffmpeg + 9.0).abs() <= 0.15, "ffmpeg reads the album at {ffmpeg}");
        } else {
            let loudest = a.iter().map(|t| t.0).fold(f64::NEG_INFINITY, f64::max);
            assert!((loudest + 14.0).abs() <= 0.1, "loudest track {loudest}");
        }
    }
}
