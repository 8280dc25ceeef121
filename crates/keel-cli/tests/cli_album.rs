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

/// Integrated loudness by ffmpeg's ebur128 filter (its summary on stderr).
fn ffmpeg_integrated(path: &Path) -> f64 {
    let output = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-i"])
        .arg(path)
        .args(["-af", "ebur128", "-f", "null", "-"])
        .output()
        .unwrap_or_else(|e| panic!("ffmpeg is needed for the album test (cargo xtask test installs it): {e}"));
    let log = String::from_utf8_lossy(&output.stderr);
    let summary = log.rsplit("Summary:").next().expect("ffmpeg printed its summary");
    let line = summary.lines().map(str::trim).find(|l| l.starts_with("I:")).expect("an integrated line");
    line.trim_start_matches("I:").trim().trim_end_matches("LUFS").trim().parse().unwrap()
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
    let mut joined: Vec<Vec<f32>> = vec![Vec::new(), Vec::new()];
    for track in &tracks {
        let (_, channels) = read_wav(track);
        for (all, part) in joined.iter_mut().zip(channels) {
            all.extend(part);
        }
    }
    let concatenated = scratch.path("concatenated.wav");
    write_wav(&concatenated, 48_000, Encoding::Float32, &joined);
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
