//! `keel render`: transparency, determinism across runs, block sizes and thread counts, formats.

mod cli_common;

use cli_common::*;
use keel_cli::wav::Encoding;

/// A setting that exercises every EQ shape family and the output gain.
const COLOURED: &[&str] = &[
    "--set", "eq1_on=true", "--set", "eq1_type=high_pass", "--set", "eq1_freq=35", "--set", "eq1_slope=24",
    "--set", "eq3_on=true", "--set", "eq3_gain=-3.5", "--set", "eq3_q=2",
    "--set", "eq6_on=true", "--set", "eq6_type=high_shelf", "--set", "eq6_gain=2.5", "--set", "eq6_place=side",
    "--set", "out_gain=-1.5",
];

fn render(input: &std::path::Path, output: &std::path::Path, extra: &[&str]) {
    let mut args = vec!["render", input.to_str().unwrap(), "-o", output.to_str().unwrap(), "--quiet"];
    args.extend_from_slice(extra);
    ok(keel(&args));
}

#[test]
fn default_render_nulls_below_minus_140_dbfs_for_float_files() {
    let scratch = Scratch::new("transparent");
    let inputs = [
        generate(&scratch, "pink", "pink32.wav", &["--seconds", "2", "--level", "-12"]),
        generate(&scratch, "sweep", "sweep64.wav", &["--seconds", "1", "--level", "-1", "--format", "f64", "--channels", "1"]),
        generate(&scratch, "white", "white96k.wav", &["--seconds", "1", "--rate", "96000", "--level", "-6"]),
    ];
    for input in &inputs {
        let output = scratch.path("out.wav");
        render(input, &output, &[]);
        let (in_format, in_samples) = read_wav(input);
        let (out_format, out_samples) = read_wav(&output);
        assert_eq!(in_format, out_format, "format kept for {}", input.display());
        assert_eq!(in_samples[0].len(), out_samples[0].len(), "length kept");
        let compared = keel(&["compare", input.to_str().unwrap(), output.to_str().unwrap(), "--max-diff-db", "-140"]);
        assert_eq!(compared.status.code(), Some(0), "{}: {}", input.display(), stdout(&compared));
    }
}

#[test]
fn renders_are_bit_identical_across_runs_and_block_sizes() {
    let scratch = Scratch::new("blocks");
    let input = generate(&scratch, "pink", "in.wav", &["--seconds", "1.5", "--level", "-14"]);
    let mut reference: Option<Vec<u8>> = None;
    for (run, block) in ["512", "512", "1", "37", "64", "4096", "65536"].iter().enumerate() {
        let output = scratch.path(&format!("out{run}.wav"));
        let mut extra = COLOURED.to_vec();
        extra.extend_from_slice(&["--block", block]);
        render(&input, &output, &extra);
        let rendered = bytes(&output);
        match &reference {
            None => reference = Some(rendered),
            Some(first) => assert!(*first == rendered, "block {block} (run {run}) differs from the first render"),
        }
    }
    // The setting is audible, so identity is not trivial.
    assert_ne!(reference.unwrap(), bytes(&input));
}

#[test]
fn folder_renders_are_identical_across_thread_counts() {
    let scratch = Scratch::new("threads");
    let source = scratch.path("in");
    std::fs::create_dir(&source).unwrap();
    for (i, name) in ["pink", "white", "sweep", "sine", "pink"].iter().enumerate() {
        let file = source.join(format!("{i}-{name}.wav"));
        let seed = (i + 1).to_string();
        ok(keel(&["gen", name, "-o", file.to_str().unwrap(), "--seconds", "0.7", "--seed", &seed]));
    }
    let mut outputs = Vec::new();
    for threads in ["1", "2", "3"] {
        let out_dir = scratch.path(&format!("out{threads}"));
        let mut args = vec!["render", source.to_str().unwrap(), "-o", out_dir.to_str().unwrap()];
        args.extend_from_slice(COLOURED);
        let output = keel_env(&args, &[("RAYON_NUM_THREADS", threads)]);
        let text = ok(output);
        assert!(text.contains("rendered 5 of 5 files"), "summary line missing: {text}");
        outputs.push(out_dir);
    }
    for i in 0..5 {
        let name = std::fs::read_dir(&source).unwrap().count();
        assert_eq!(name, 5);
        let file = |dir: &std::path::Path| {
            let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
            entries.sort();
            bytes(&entries[i])
        };
        assert!(file(&outputs[0]) == file(&outputs[1]) && file(&outputs[1]) == file(&outputs[2]), "file {i} differs by thread count");
    }
}

#[test]
fn mono_file_runs_as_two_identical_channels_and_comes_back_mono() {
    let scratch = Scratch::new("mono");
    let mono = generate(&scratch, "pink", "mono.wav", &["--seconds", "1", "--channels", "1"]);
    let stereo = generate(&scratch, "pink", "stereo.wav", &["--seconds", "1", "--channels", "2"]);
    let (mono_out, stereo_out) = (scratch.path("mono_out.wav"), scratch.path("stereo_out.wav"));
    render(&mono, &mono_out, COLOURED);
    render(&stereo, &stereo_out, COLOURED);
    let (format, mono_samples) = read_wav(&mono_out);
    let (_, stereo_samples) = read_wav(&stereo_out);
    assert_eq!(format.channels, 1);
    // Same noise seed in both files, so the mono render is the stereo render's left channel.
    assert_eq!(mono_samples[0], stereo_samples[0]);
}

#[test]
fn integer_output_is_dithered_deterministically() {
    let scratch = Scratch::new("dither");
    let input = generate(&scratch, "sine", "in.wav", &["--seconds", "0.5", "--level", "-30"]);
    let (a, b) = (scratch.path("a.wav"), scratch.path("b.wav"));
    render(&input, &a, &["--format", "s16"]);
    render(&input, &b, &["--format", "s16"]);
    assert_eq!(bytes(&a), bytes(&b));
    let (format, dithered) = read_wav_f64(&a);
    assert_eq!(format.encoding, Encoding::Int16);
    let (_, clean) = read_wav_f64(&input);
    let lsb = 1.0 / 32768.0;
    let mut off_grid_rounding = 0;
    for (d, c) in dithered[0].iter().zip(&clean[0]) {
        let error = (d - c) / lsb;
        assert!(error.abs() <= 1.5, "dither error {error} LSB");
        if (d / lsb - (c / lsb).round()).abs() > 0.5 {
            off_grid_rounding += 1;
        }
    }
    // Plain rounding would never land off the nearest step; TPDF dither often does.
    assert!(off_grid_rounding > dithered[0].len() / 20, "only {off_grid_rounding} samples show dither");
}

/// Integer files are dithered by the chain's own last stage (the plugin's `dither_*`
/// parameters): a 16-bit render holds exactly the samples of a float render with TPDF to 16 bits
/// set, and `--set` takes the choice back.
#[test]
fn integer_output_uses_the_chains_dither_stage_unless_set_otherwise() {
    let scratch = Scratch::new("dither-stage");
    let input = generate(&scratch, "pink", "in.wav", &["--seconds", "0.5", "--level", "-20"]);
    let path = |name: &str| scratch.path(name);
    render(&input, &path("s16.wav"), &["--format", "s16"]);
    render(&input, &path("f32_tpdf16.wav"), &["--format", "f32", "--set", "dither_mode=tpdf", "--set", "dither_bits=16"]);
    render(&input, &path("f32.wav"), &["--format", "f32"]);
    render(&input, &path("s16_off.wav"), &["--format", "s16", "--set", "dither_mode=off"]);
    render(&input, &path("s16_shaped.wav"), &["--format", "s16", "--set", "dither_mode=shaped"]);
    render(&input, &path("s32.wav"), &["--format", "s32"]);
    let (_, s16) = read_wav_f64(&path("s16.wav"));
    let (_, tpdf16) = read_wav_f64(&path("f32_tpdf16.wav"));
    let (_, plain) = read_wav_f64(&path("f32.wav"));
    let (_, off) = read_wav_f64(&path("s16_off.wav"));
    let (_, shaped) = read_wav_f64(&path("s16_shaped.wav"));
    let (_, s32) = read_wav_f64(&path("s32.wav"));
    assert_eq!(s16, tpdf16, "a 16-bit file holds the chain's TPDF-to-16-bit output exactly");
    let rounded: Vec<Vec<f64>> =
        plain.iter().map(|c| c.iter().map(|x| ((x * 32_768.0).round().clamp(-32_768.0, 32_767.0)) / 32_768.0).collect()).collect();
    assert_eq!(off, rounded, "dither_mode=off: the float render rounded to the nearest step");
    assert_ne!(s16, off, "the default adds dither");
    assert_ne!(shaped, s16, "dither_mode=shaped is honoured for a 16-bit file");
    let step = 1.0 / 2_147_483_648.0;
    for (a, b) in s32.iter().flatten().zip(plain.iter().flatten()) {
        assert!((a - b).abs() <= 0.5 * step, "32-bit integer output is not dithered: {a} vs {b}");
    }
}

#[test]
fn integer_input_keeps_its_format() {
    let scratch = Scratch::new("format");
    let input = generate(&scratch, "pink", "in24.wav", &["--seconds", "0.5", "--format", "s24"]);
    let output = scratch.path("out.wav");
    render(&input, &output, &["--set", "out_gain=-6"]);
    let (format, samples) = read_wav_f64(&output);
    assert_eq!(format.encoding, Encoding::Int24);
    let (_, original) = read_wav_f64(&input);
    let ratio = samples[0].iter().map(|x| x * x).sum::<f64>() / original[0].iter().map(|x| x * x).sum::<f64>();
    assert!((10.0 * ratio.log10() + 6.0).abs() < 0.01, "out_gain=-6 gave {:.3} dB", 10.0 * ratio.log10());
}

#[test]
fn set_overrides_the_preset_and_matches_the_same_values_given_directly() {
    let scratch = Scratch::new("preset");
    let input = generate(&scratch, "pink", "in.wav", &["--seconds", "0.5"]);
    let preset = scratch.path("p.json");
    std::fs::write(&preset, r#"{"keel_preset": 1, "params": {"eq2_on": true, "eq2_gain": 4.0, "out_gain": -6.0}}"#).unwrap();
    let (via_preset, direct) = (scratch.path("a.wav"), scratch.path("b.wav"));
    render(&input, &via_preset, &["--preset", preset.to_str().unwrap(), "--set", "out_gain=-2"]);
    render(&input, &direct, &["--set", "eq2_on=true", "--set", "eq2_gain=4", "--set", "out_gain=-2"]);
    assert_eq!(bytes(&via_preset), bytes(&direct));
}
