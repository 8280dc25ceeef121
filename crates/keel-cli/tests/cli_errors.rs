//! Bad input: one clear line naming the problem, exit code 2, no output left behind and the
//! input untouched.

mod cli_common;

use cli_common::*;
use keel_cli::wav::Encoding;
use std::path::Path;

/// Runs `keel render INPUT -o out.wav EXTRA...` and checks the failure contract.
fn assert_render_refused(scratch: &Scratch, input: &Path, extra: &[&str], expected_words: &[&str]) {
    let input_before = std::fs::read(input).ok();
    let listing_before = scratch.listing();
    let output = scratch.path("out.wav");
    let mut args = vec!["render", input.to_str().unwrap(), "-o", output.to_str().unwrap()];
    args.extend_from_slice(extra);
    let result = keel(&args);
    let message = stderr(&result);
    assert_eq!(result.status.code(), Some(2), "exit code for {expected_words:?}: {message}");
    assert_eq!(message.lines().count(), 1, "one line expected, got: {message}");
    for word in expected_words {
        assert!(message.to_lowercase().contains(&word.to_lowercase()), "'{word}' missing from: {message}");
    }
    assert_eq!(scratch.listing(), listing_before, "files appeared or vanished ({message})");
    assert_eq!(std::fs::read(input).ok(), input_before, "input changed");
}

fn riff_with(format_chunk: &[u8], data: &[u8], claimed_data_len: u32) -> Vec<u8> {
    let mut file = Vec::new();
    file.extend_from_slice(b"RIFF");
    file.extend_from_slice(&(4 + 8 + format_chunk.len() as u32 + 8 + claimed_data_len).to_le_bytes());
    file.extend_from_slice(b"WAVEfmt ");
    file.extend_from_slice(&(format_chunk.len() as u32).to_le_bytes());
    file.extend_from_slice(format_chunk);
    file.extend_from_slice(b"data");
    file.extend_from_slice(&claimed_data_len.to_le_bytes());
    file.extend_from_slice(data);
    file
}

fn fmt_chunk(tag: u16, channels: u16, rate: u32, bits: u16) -> Vec<u8> {
    let align = channels * bits / 8;
    let mut chunk = Vec::new();
    chunk.extend_from_slice(&tag.to_le_bytes());
    chunk.extend_from_slice(&channels.to_le_bytes());
    chunk.extend_from_slice(&rate.to_le_bytes());
    chunk.extend_from_slice(&(rate * u32::from(align)).to_le_bytes());
    chunk.extend_from_slice(&align.to_le_bytes());
    chunk.extend_from_slice(&bits.to_le_bytes());
    chunk
}

#[test]
fn missing_file() {
    let scratch = Scratch::new("missing");
    assert_render_refused(&scratch, &scratch.path("nope.wav"), &[], &["nope.wav", "no such file"]);
}

#[test]
fn not_a_wav() {
    let scratch = Scratch::new("notwav");
    let input = scratch.path("text.wav");
    std::fs::write(&input, "this is not audio at all, just some words\n").unwrap();
    assert_render_refused(&scratch, &input, &[], &["text.wav", "not a WAV"]);
}

#[test]
fn zero_length_file() {
    let scratch = Scratch::new("empty");
    let input = scratch.path("empty.wav");
    std::fs::write(&input, b"").unwrap();
    assert_render_refused(&scratch, &input, &[], &["empty.wav", "empty"]);
}

#[test]
fn truncated_wav() {
    let scratch = Scratch::new("truncated");
    let whole = generate(&scratch, "sine", "whole.wav", &["--seconds", "0.2"]);
    let input = scratch.path("cut.wav");
    let data = bytes(&whole);
    std::fs::write(&input, &data[..data.len() / 2]).unwrap();
    assert_render_refused(&scratch, &input, &[], &["cut.wav", "truncated"]);
    // Cut inside the header too.
    std::fs::write(&input, &data[..20]).unwrap();
    assert_render_refused(&scratch, &input, &[], &["cut.wav", "truncated"]);
}

#[test]
fn unsupported_encodings() {
    let scratch = Scratch::new("encoding");
    let input = scratch.path("alaw.wav");
    std::fs::write(&input, riff_with(&fmt_chunk(6, 1, 8000, 8), &[0xD5; 100], 100)).unwrap();
    assert_render_refused(&scratch, &input, &[], &["alaw.wav", "unsupported encoding", "A-law"]);
    let input = scratch.path("pcm8.wav");
    std::fs::write(&input, riff_with(&fmt_chunk(1, 1, 8000, 8), &[0x80; 100], 100)).unwrap();
    assert_render_refused(&scratch, &input, &[], &["pcm8.wav", "unsupported encoding", "8-bit"]);
    let input = scratch.path("rate.wav");
    std::fs::write(&input, riff_with(&fmt_chunk(1, 1, 4000, 16), &[0; 100], 100)).unwrap();
    assert_render_refused(&scratch, &input, &[], &["rate.wav", "sample rate 4000"]);
}

#[test]
fn nan_samples_in_a_float_file() {
    let scratch = Scratch::new("nan");
    let input = scratch.path("nan.wav");
    // Long enough that the NaN arrives after the render has started writing.
    let mut samples = vec![0.1f32; 200_000];
    samples[150_000] = f32::NAN;
    write_wav(&input, 48_000, Encoding::Float32, &[samples.clone(), samples]);
    assert_render_refused(&scratch, &input, &[], &["nan.wav", "NaN", "frame 150000"]);
}

#[test]
fn unknown_set_id_and_out_of_range_value() {
    let scratch = Scratch::new("set");
    let input = generate(&scratch, "sine", "in.wav", &["--seconds", "0.1"]);
    assert_render_refused(&scratch, &input, &["--set", "eq9_freq=100"], &["eq9_freq", "unknown parameter"]);
    assert_render_refused(&scratch, &input, &["--set", "eq1_freq=50000"], &["eq1_freq", "out of range", "30000"]);
    assert_render_refused(&scratch, &input, &["--set", "eq1_on=maybe"], &["eq1_on", "true or false"]);
    assert_render_refused(&scratch, &input, &["--set", "eq1_type=wobbly"], &["eq1_type", "bell"]);
    assert_render_refused(&scratch, &input, &["--set", "out_gain"], &["ID=VALUE"]);
}

#[test]
fn bad_preset_files() {
    let scratch = Scratch::new("badpreset");
    let input = generate(&scratch, "sine", "in.wav", &["--seconds", "0.1"]);
    let preset = scratch.path("p.json");
    std::fs::write(&preset, r#"{"keel_preset": 1, "params": {"no_such": 1}}"#).unwrap();
    assert_render_refused(&scratch, &input, &["--preset", preset.to_str().unwrap()], &["no_such"]);
    std::fs::write(&preset, "{not json").unwrap();
    assert_render_refused(&scratch, &input, &["--preset", preset.to_str().unwrap()], &["p.json", "not a valid preset"]);
    let missing = scratch.path("missing.json");
    assert_render_refused(&scratch, &input, &["--preset", missing.to_str().unwrap()], &["missing.json"]);
}

#[test]
fn output_path_equal_to_the_input() {
    let scratch = Scratch::new("same");
    let input = generate(&scratch, "sine", "in.wav", &["--seconds", "0.1"]);
    let before = bytes(&input);
    // Spelled differently, same file.
    let aliased = scratch.dir.join(".").join("in.wav");
    let result = keel(&["render", input.to_str().unwrap(), "-o", aliased.to_str().unwrap()]);
    assert_eq!(result.status.code(), Some(2));
    assert!(stderr(&result).contains("output path is the input"), "{}", stderr(&result));
    assert_eq!(stderr(&result).lines().count(), 1);
    assert_eq!(bytes(&input), before);
    assert_eq!(scratch.listing(), vec!["in.wav".to_string()]);
}

#[test]
fn bad_usage_is_one_line_and_exit_2() {
    for args in [
        vec!["render"],
        vec!["render", "a.wav"],
        vec!["frobnicate"],
        vec!["compare", "a.wav"],
        vec!["render", "a.wav", "-o", "b.wav", "--block", "0"],
        vec!["render", "a.wav", "-o", "b.wav", "--format", "s12"],
        vec!["gen", "squiggle", "-o", "x.wav"],
    ] {
        let result = keel(&args);
        assert_eq!(result.status.code(), Some(2), "{args:?}: {}", stderr(&result));
        assert_eq!(stderr(&result).lines().count(), 1, "{args:?}: {}", stderr(&result));
        assert!(stderr(&result).starts_with("keel: "), "{args:?}: {}", stderr(&result));
    }
}
