//! `keel master --album`: one gain plan for every track of an album, so their loudness
//! differences stay, with the album on target by the platform's album rule (a LUFS target: the
//! album measured as one programme) and every track's true peak under the ceiling.
//!
//! The same staging as a single master (`master.rs`): one total gain G over the limiter's drive
//! and the output gain, the limiter's ceiling lowered by the output gain, found by secant steps
//! on the measured album; every track goes through the chain with the same settings.

use super::album::AlbumTape;
use super::error::{CliError, CliResult};
use super::measure::file_name_of;
use super::master::{Aim, MasterArgs, apply, search_gain};
use super::output::{AudioWriter, FormatChoice};
use super::render::{DEFAULT_BLOCK, configured_params, expand_folders, render_buffers};
use super::source::AudioSource;
use super::wav::WavFormat;
use keel_core::dsp::denormals::FlushDenormals;
use keel_core::dsp::loudness::{ChannelLayout, LoudnessMeter, LoudnessReading};
use keel_core::params::ParamTable;
use keel_core::targets::AlbumBasis;
use std::path::PathBuf;

struct Track {
    input: PathBuf,
    output: PathBuf,
    format: WavFormat,
    audio: Vec<Vec<f32>>,
}

/// Every track's reading and the album's integrated loudness (back to back, or pooled when the
/// sample rates differ).
fn measure<'a>(
    tracks: &[Track],
    audio: impl IntoIterator<Item = &'a Vec<Vec<f32>>>,
) -> CliResult<(Vec<LoudnessReading>, f64)> {
    let _flush = FlushDenormals::new();
    let mut tape = AlbumTape::new();
    let mut readings = Vec::with_capacity(tracks.len());
    for (track, channels) in tracks.iter().zip(audio) {
        let layout = ChannelLayout::from_channel_count(channels.len())
            .ok_or_else(|| CliError::input(format!("{}: mono or stereo only", track.input.display())))?;
        tape.start_track(layout, track.format.sample_rate);
        let refs: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
        tape.feed(&refs);
        // One meter per track gives both its reading and its blocks for the album.
        let mut meter = LoudnessMeter::with_layout(layout, f64::from(track.format.sample_rate), true);
        meter.process(&refs);
        tape.end_track(&meter);
        readings.push(meter.final_reading());
    }
    Ok((readings, tape.loudness().0))
}

pub fn run(args: &MasterArgs) -> CliResult<()> {
    let aim = Aim::of(args)?;
    let basis = match aim.platform.map(|p| p.album.basis) {
        None | Some(AlbumBasis::WholeAlbum) => AlbumBasis::WholeAlbum,
        Some(AlbumBasis::LoudestTrack) => AlbumBasis::LoudestTrack,
        Some(AlbumBasis::PerTrack) => {
            println!("{} normalizes track by track; the album is set by its whole-album loudness", aim.label);
            AlbumBasis::WholeAlbum
        }
    };
    let choice = FormatChoice::parse(args.format.as_deref())?;
    let table = ParamTable::new();
    let mut params = configured_params(args.preset.as_deref(), &args.sets, &table)?;
    let inputs = expand_folders(&args.inputs)?;
    if args.output.exists() && !args.output.is_dir() {
        return Err(CliError::input(format!(
            "{}: an album needs an output folder, and this is a file",
            args.output.display()
        )));
    }
    let mut tracks: Vec<Track> = Vec::with_capacity(inputs.len());
    for input in inputs {
        let (format, audio) = AudioSource::open(&input)?.read_all::<f32>()?;
        if format.channels > 2 {
            return Err(CliError::input(format!("{}: master handles mono and stereo files", input.display())));
        }
        if let Some(first) = tracks.first().filter(|t| t.format.channels != format.channels) {
            return Err(CliError::input(format!(
                "album: tracks have different channel counts ({}: {}, {}: {})",
                first.input.display(),
                first.format.channels,
                input.display(),
                format.channels
            )));
        }
        let stem = input.file_stem().ok_or_else(|| CliError::input(format!("{}: not a file", input.display())))?;
        let flac = input.extension().is_some_and(|e| e.eq_ignore_ascii_case("flac"));
        let output = args.output.join(stem).with_extension(if flac { "flac" } else { "wav" });
        super::refuse_overwriting_input(&input, &output)?;
        if tracks.iter().any(|t| t.output == output) {
            return Err(CliError::input(format!("two tracks would both be written to {}", output.display())));
        }
        tracks.push(Track { input, output, format, audio });
    }
    let (before, album_before) = measure(&tracks, tracks.iter().map(|t| &t.audio))?;
    if !album_before.is_finite() {
        return Err(CliError::input("album: too quiet to measure (below the -70 LUFS gate)"));
    }
    let metric = |readings: &[LoudnessReading], album: f64| match basis {
        AlbumBasis::LoudestTrack => readings.iter().map(|r| r.integrated).fold(f64::NEG_INFINITY, f64::max),
        _ => album,
    };
    let rule = match basis {
        AlbumBasis::LoudestTrack => "loudest track",
        _ => "whole album",
    };
    println!("before: album {album_before:.2} LUFS ({} tracks); aiming the {rule} at {}", tracks.len(), aim.label);

    let resolved: Vec<_> = tracks.iter().map(|t| choice.resolve(&t.output, t.format)).collect::<CliResult<Vec<_>>>()?;
    let found = search_gain(aim.lufs - metric(&before, album_before), aim.lufs, aim.ceiling, |stage| {
        apply(&mut params, &table, stage)?;
        let mut rendered = Vec::with_capacity(tracks.len());
        for (track, (_, out_format)) in tracks.iter().zip(&resolved) {
            let settings = params.settings_for(out_format.encoding);
            rendered.push(render_buffers(f64::from(track.format.sample_rate), &settings, &track.audio, DEFAULT_BLOCK)?);
        }
        let (readings, album) = measure(&tracks, &rendered)?;
        let worst_peak = readings.iter().map(|r| r.true_peak_dbtp).fold(f64::NEG_INFINITY, f64::max);
        Ok((metric(&readings, album), worst_peak, rendered))
    })?;
    let trial = found.map_err(|gain| {
        CliError::check(format!(
            "cannot reach {}: it needs {gain:.1} dB of gain, more than drive and output gain allow",
            aim.label
        ))
    })?;
    let (stage, reached, worst_peak) = (trial.stage, trial.loudness, trial.peak);
    let rendered = trial.result;
    if (aim.lufs - reached).abs() > 0.1 || worst_peak > aim.ceiling {
        return Err(CliError::check(format!(
            "could not bring the album ({rule} rule) to {} within 0.1 LU with every track under {} dBTP (got {reached:.2} LUFS, highest peak {worst_peak:.2} dBTP); nothing written",
            aim.label, aim.ceiling
        )));
    }

    std::fs::create_dir_all(&args.output).map_err(|e| CliError::io(&args.output, "cannot create output folder", e))?;
    let mut written = Vec::with_capacity(tracks.len());
    let outcome = (|| -> CliResult<()> {
        for ((track, audio), (container, out_format)) in tracks.iter().zip(&rendered).zip(&resolved) {
            let mut writer = AudioWriter::create(&track.output, *container, *out_format)?;
            let refs: Vec<&[f32]> = audio.iter().map(Vec::as_slice).collect();
            writer.write(&refs)?;
            writer.finish()?;
            written.push(track.output.clone());
        }
        Ok(())
    })();
    // Check the files as written (integer output is rounded to its word length).
    let checked = outcome.and_then(|()| {
        let on_disk: Vec<Vec<Vec<f32>>> = tracks
            .iter()
            .map(|t| AudioSource::open(&t.output)?.read_all::<f32>().map(|(_, a)| a))
            .collect::<CliResult<_>>()?;
        let (after, album_after) = measure(&tracks, &on_disk)?;
        let reached = metric(&after, album_after);
        let peak = after.iter().map(|r| r.true_peak_dbtp).fold(f64::NEG_INFINITY, f64::max);
        if (aim.lufs - reached).abs() > 0.1 || peak > aim.ceiling {
            return Err(CliError::check(format!(
                "the written files measure {reached:.2} LUFS ({rule}), highest peak {peak:.2} dBTP; removed them"
            )));
        }
        Ok((after, album_after))
    });
    let (after, album_after) = match checked {
        Ok(result) => result,
        Err(e) => {
            // An album is delivered whole or not at all.
            for path in &written {
                let _ = std::fs::remove_file(path);
            }
            return Err(e);
        }
    };
    println!(
        "album {album_before:.2} -> {album_after:.2} LUFS; limiter drive {:.2} dB, limiter ceiling {:.2} dBTP, output gain {:+.2} dB (every track)",
        stage.drive_db, stage.limiter_ceiling_db, stage.out_gain_db
    );
    println!("  {:<28} {:>9} {:>9} {:>8} {:>10}", "track", "before", "after", "change", "true peak");
    for ((track, b), a) in tracks.iter().zip(&before).zip(&after) {
        let name = file_name_of(&track.input);
        println!(
            "  {name:<28} {:>9.2} {:>9.2} {:>+8.2} {:>10.2}",
            b.integrated,
            a.integrated,
            a.integrated - b.integrated,
            a.true_peak_dbtp
        );
    }
    Ok(())
}
