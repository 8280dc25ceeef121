//! `keel measure`: BS.1770 / EBU R128 loudness of WAV files with the plugin's own meter, and
//! what each delivery platform would do to them.

use super::error::{CliError, CliResult};
use super::plot::{LoudnessTrace, write_plot};
use super::progress::Progress;
use super::album::{Album, AlbumTape};
use super::codec::{CodecReading, CodecSpec, round_trips};
use super::render::expand_folders;
use super::source::AudioSource;
use super::streams::{Batch, Stream, run_streams};
use clap::Args;
use keel_core::dsp::denormals::FlushDenormals;
use keel_core::dsp::loudness::{ChannelLayout, LoudnessMeter, LoudnessReading};
use keel_core::dsp::true_peak::{ChannelTruePeaks, TruePeaks};
use keel_core::targets::{PLATFORM_TARGETS, PlatformOutcome, PlatformTarget, evaluate, find_target};
use rayon::prelude::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::io::Write;
use std::sync::Mutex;

/// Seconds between the momentary/short-term readings kept for the plot.
const TRACE_HOP_SECONDS: f64 = 0.1;
/// Streams the true-peak trackers run as, each for a share of the channels.
const TRUE_PEAK_GROUPS: usize = 2;
/// Hops of audio in one batch.
const BATCH_HOPS: usize = 16;
/// Batches read at most beyond the slowest stream.
const BATCHES_AHEAD: usize = 4;

#[derive(Args, Debug)]
pub struct MeasureArgs {
    /// Audio files or folders of them: mono, stereo, 5.0 or 5.1.
    #[arg(required = true, value_name = "FILE|DIR")]
    pub files: Vec<PathBuf>,
    /// Platform target id (see docs/cli.md; `spotify` = spotify-normal), or `all`. Repeatable.
    #[arg(long = "target", value_name = "NAME")]
    pub targets: Vec<String>,
    /// Print the results as JSON.
    #[arg(long, conflicts_with_all = ["jsonl", "csv"])]
    pub json: bool,
    /// Print one JSON object per file, on its own line, as each file finishes (for catalogs:
    /// see docs/cli.md).
    #[arg(long, conflicts_with = "csv")]
    pub jsonl: bool,
    /// Print CSV: a header, then one row per file as each finishes.
    #[arg(long)]
    pub csv: bool,
    /// The files (or the audio files in the folders given) are one album: also measure it as
    /// one programme and show, per platform, the album gain it applies and each track's level
    /// and peak in album mode beside track mode (all platforms unless --target is given).
    #[arg(long, conflicts_with = "csv")]
    pub album: bool,
    /// Draw momentary and short-term loudness over time (.png or .svg). With several files,
    /// each gets its own image, named OUT-<file stem>.png.
    #[arg(long, value_name = "OUT.png|OUT.svg")]
    pub plot: Option<PathBuf>,
    /// Also encode each file with these codecs at these bitrates (kbps), decode it, and report
    /// the decoded true peak, its rise and the loudness after decoding: CODEC:KBPS,... with
    /// codecs aac (ffmpeg's encoder, when ffmpeg is installed), opus (libopus), vorbis
    /// (libvorbis) and mp3 (LAME, when libmp3lame is installed). Opus runs at 48 kHz and MP3 at
    /// 32, 44.1 or 48 kHz; other rates are converted first, and the report says so. Works with
    /// --json, --jsonl and --csv (columns <codec>:<kbps>:<field>).
    #[arg(long, value_name = "LIST")]
    pub codec: Option<String>,
}

/// Short names scripts are likely to type.
fn alias(name: &str) -> &str {
    match name {
        "spotify" => "spotify-normal",
        "apple" => "apple-music",
        "amazon" => "amazon-music",
        "r128" | "ebu" => "ebu-r128",
        "atsc" | "a85" => "atsc-a85",
        other => other,
    }
}

pub fn resolve_target(name: &str) -> CliResult<&'static PlatformTarget> {
    find_target(alias(&name.to_ascii_lowercase())).ok_or_else(|| {
        let ids: Vec<&str> = PLATFORM_TARGETS.iter().map(|t| t.id).collect();
        CliError::input(format!("unknown target '{name}': expected one of {}", ids.join(", ")))
    })
}

pub fn resolve_targets(names: &[String]) -> CliResult<Vec<&'static PlatformTarget>> {
    if names.iter().any(|n| n == "all") {
        return Ok(PLATFORM_TARGETS.iter().collect());
    }
    names.iter().map(|n| resolve_target(n)).collect()
}

/// One file's measurement.
pub struct Measurement {
    pub file: PathBuf,
    pub channels: usize,
    pub sample_rate: u32,
    pub frames: u64,
    /// "PCM" for WAV, else the codec the file holds.
    pub codec: String,
    pub lossy: bool,
    pub reading: LoudnessReading,
    /// Where the BS.1770 true peak is, in seconds from the start.
    pub true_peak_at_seconds: f64,
    pub momentary_trace: Vec<f64>,
    pub short_term_trace: Vec<f64>,
    /// With `--codec`: each codec's round trip of the file, in the order asked.
    pub codecs: Vec<CodecReading>,
}

impl Measurement {
    /// The file's name without its folder.
    pub fn file_name(&self) -> String {
        file_name_of(&self.file)
    }

    /// What the loudness plot of this file shows.
    pub fn trace<'a>(&'a self, title: &'a str, targets: &'a [(String, f64)]) -> LoudnessTrace<'a> {
        let r = &self.reading;
        LoudnessTrace {
            title,
            hop_seconds: TRACE_HOP_SECONDS,
            momentary: &self.momentary_trace,
            short_term: &self.short_term_trace,
            integrated: Some(r.integrated),
            targets,
            peaks: Some((r.true_peak_dbtp, r.reconstructed_peak_dbtp)).filter(|(tp, rc)| tp.is_finite() && rc.is_finite()),
        }
    }
}

/// A path's last component, for tables and titles.
pub fn file_name_of(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// The plot's target lines: (id, LUFS) of the targets that normalize to a loudness.
pub fn target_lines(targets: &[&PlatformTarget]) -> Vec<(String, f64)> {
    targets.iter().filter_map(|t| t.target_lufs.map(|l| (t.id.to_string(), l))).collect()
}

/// Measures planar audio already in memory (used by `master`).
pub fn measure_buffers(channels: &[Vec<f32>], sample_rate: u32) -> CliResult<LoudnessReading> {
    let _flush = FlushDenormals::new();
    let mut meter =
        LoudnessMeter::new(channels.len(), f64::from(sample_rate)).map_err(|e| CliError::input(e.to_string()))?;
    let refs: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
    meter.process(&refs);
    Ok(meter.final_reading())
}

/// Measures one file; with `tape`, its blocks also go on the album's back-to-back measurement.
pub fn measure_file(path: &Path, progress: &Progress, tape: Option<&mut AlbumTape>) -> CliResult<Measurement> {
    measure_file_keeping(path, progress, tape, false).map(|(m, _)| m)
}

/// [`measure_file`], also handing back the decoded audio (planar) when `keep`, so work on it
/// (codec round trips) does not decode the file again.
fn measure_file_keeping(
    path: &Path,
    progress: &Progress,
    mut tape: Option<&mut AlbumTape>,
    keep: bool,
) -> CliResult<(Measurement, Option<Vec<Vec<f32>>>)> {
    let mut reader = AudioSource::open(path)?;
    let info = reader.info();
    let format = info.format;
    let channels = usize::from(format.channels);
    let Some(layout) = ChannelLayout::from_channel_count(channels) else {
        return Err(CliError::input(format!(
            "{}: {channels} channels; measure handles mono, stereo, 5.0 and 5.1",
            path.display()
        )));
    };
    let rate = f64::from(format.sample_rate);
    let _flush = FlushDenormals::new();
    let mut meter = LoudnessMeter::with_layout(layout, rate, false);
    if let Some(tape) = tape.as_deref_mut() {
        tape.start_track(layout, format.sample_rate);
    }
    let hop = ((TRACE_HOP_SECONDS * rate).round() as usize).max(1);
    let (mut momentary_trace, mut short_term_trace) = (Vec::new(), Vec::new());
    // The true peaks (the costlier part, independent of the loudness) as two streams, each for
    // half the channels, and the loudness as a third, all over the same batches of whole hops
    // (fewer hand-offs, and the hop boundaries the trace needs): see `streams`. The trackers'
    // results do not depend on how the samples are split, so the figures equal a single meter's.
    let groups: Vec<Vec<usize>> = (0..TRUE_PEAK_GROUPS.min(channels))
        .map(|g| (0..channels).filter(|c| c % TRUE_PEAK_GROUPS.min(channels) == g).collect())
        .collect();
    let mut trackers: Vec<Vec<ChannelTruePeaks>> =
        groups.iter().map(|group| group.iter().map(|_| ChannelTruePeaks::new(rate)).collect()).collect();
    let mut streams: Vec<Stream> = Vec::new();
    for (group, trackers) in groups.iter().zip(&mut trackers) {
        streams.push(Box::new(move |batch: &Batch| {
            for (tracker, &c) in trackers.iter_mut().zip(group) {
                tracker.process(&batch[c]);
            }
        }));
    }
    let (meter_ref, tape_ref, momentary, short_term) =
        (&mut meter, &mut tape, &mut momentary_trace, &mut short_term_trace);
    streams.push(Box::new(move |batch: &Batch| {
        let frames = batch[0].len();
        for start in (0..frames).step_by(hop) {
            let refs: Vec<&[f32]> = batch.iter().map(|c| &c[start..(start + hop).min(frames)]).collect();
            meter_ref.process(&refs);
            if let Some(tape) = tape_ref.as_deref_mut() {
                tape.feed(&refs);
            }
            let now = meter_ref.reading();
            momentary.push(now.momentary);
            short_term.push(now.short_term);
        }
    }));
    let batch_frames = BATCH_HOPS * hop;
    let read = |batch: &mut Batch| -> CliResult<usize> {
        batch.resize_with(channels, || Vec::with_capacity(batch_frames));
        let n = reader.read(batch, batch_frames)?;
        for channel in batch.iter_mut() {
            channel.truncate(n);
        }
        progress.advance(n as u64);
        Ok(n)
    };
    let kept = run_streams(path, read, streams, BATCHES_AHEAD, keep)?;
    let true_peaks = trackers
        .iter()
        .flatten()
        .map(ChannelTruePeaks::peaks_with_tail)
        .fold(TruePeaks::default(), TruePeaks::max);
    let audio = keep.then(|| (0..channels).map(|c| kept.iter().flat_map(|b| b[c].iter().copied()).collect()).collect());
    let measurement = Measurement {
        file: path.to_path_buf(),
        channels,
        sample_rate: format.sample_rate,
        frames: reader.frames_read(),
        codec: info.codec,
        lossy: info.lossy,
        reading: meter.final_reading_with_true_peaks(true_peaks),
        true_peak_at_seconds: true_peaks.bs1770_at as f64 / rate,
        momentary_trace,
        short_term_trace,
        codecs: Vec::new(),
    };
    if let Some(tape) = tape {
        tape.end_track(&meter);
    }
    Ok((measurement, audio))
}

/// Expands folders and measures every file behind one progress bar named `label`, streaming
/// each result through `stream` as it comes (a CSV header first). Returns the files, their
/// results in order and the album tape.
pub(crate) fn measure_inputs(
    inputs: &[PathBuf],
    album: bool,
    label: &str,
    quiet: bool,
    stream: &Streamed,
) -> CliResult<(Vec<PathBuf>, Vec<CliResult<Measurement>>, AlbumTape)> {
    let files = expand_folders(inputs)?;
    let total: u64 = files.iter().filter_map(|f| AudioSource::open(f).ok()).filter_map(|r| r.info().frames).sum();
    let progress = Progress::new(total, label, quiet);
    if let Some(header) = stream.header() {
        stream.emit(&header);
    }
    let (results, tape) = measure_all(&files, &progress, album, &stream.codecs, |f, result| {
        if let Some(line) = stream.line(f, result) {
            stream.emit(&line);
        }
    });
    progress.finish();
    Ok((files, results, tape))
}

/// Measures `files` (with each codec's round trip when `codecs` names some): in parallel, or
/// for an album in order onto its [`AlbumTape`]; `each` sees every result as it comes.
fn measure_all(
    files: &[PathBuf],
    progress: &Progress,
    album: bool,
    codecs: &[CodecSpec],
    each: impl Fn(&Path, &CliResult<Measurement>) + Sync,
) -> (Vec<CliResult<Measurement>>, AlbumTape) {
    let measure_one = |f: &PathBuf, tape: Option<&mut AlbumTape>| {
        let result = measure_file_keeping(f, progress, tape, !codecs.is_empty()).and_then(|(mut m, audio)| {
            if let Some(audio) = audio {
                m.codecs = round_trips(codecs, f, &audio, m.sample_rate)?;
            }
            Ok(m)
        });
        each(f, &result);
        result
    };
    // An album is also played back to back through one meter, so its tracks go in order; other
    // runs measure files in parallel.
    let mut tape = AlbumTape::new();
    let results = if album {
        files.iter().map(|f| measure_one(f, Some(&mut tape))).collect()
    } else {
        files.par_iter().map(|f| measure_one(f, None)).collect()
    };
    (results, tape)
}

/// Output written as each file finishes (`--jsonl`, `--csv`): one line per file, whole lines
/// under a lock and flushed, so a pipe sees complete records in completion order.
pub(crate) struct Streamed<'a> {
    format: Option<StreamFormat>,
    targets: &'a [&'static PlatformTarget],
    /// Codec round trips to run on every file (`--codec`).
    codecs: Vec<CodecSpec>,
    lock: Mutex<()>,
}

#[derive(Clone, Copy, PartialEq)]
enum StreamFormat {
    Jsonl,
    Csv,
}

/// The per-file fields of `measurement_json`, in CSV column order.
const CSV_FIELDS: [&str; 14] = [
    "file",
    "channels",
    "sample_rate",
    "duration_seconds",
    "codec",
    "lossy",
    "integrated_lufs",
    "loudness_range_lu",
    "max_momentary_lufs",
    "max_short_term_lufs",
    "true_peak_dbtp",
    "true_peak_at_seconds",
    "reconstructed_peak_dbtp",
    "sample_peak_dbfs",
];
/// The per-target fields, each column named `<target id>:<field>`.
const CSV_TARGET_FIELDS: [&str; 4] = ["gain_db", "resulting_lufs", "resulting_true_peak_dbtp", "ceiling_holds"];
/// The per-codec fields (`--codec`), each column named `<codec>:<kbps>:<field>`.
const CSV_CODEC_FIELDS: [&str; 5] =
    ["true_peak_dbtp", "true_peak_rise_db", "reconstructed_peak_dbtp", "integrated_lufs", "loudness_change_lu"];

impl<'a> Streamed<'a> {
    fn of(args: &MeasureArgs, targets: &'a [&'static PlatformTarget], codecs: Vec<CodecSpec>) -> Self {
        Self { codecs, ..Self::new(args.jsonl, args.csv, targets) }
    }

    /// Streams JSON lines, or CSV, or nothing.
    pub(crate) fn new(jsonl: bool, csv: bool, targets: &'a [&'static PlatformTarget]) -> Self {
        let format = if jsonl {
            Some(StreamFormat::Jsonl)
        } else if csv {
            Some(StreamFormat::Csv)
        } else {
            None
        };
        Self { format, targets, codecs: Vec::new(), lock: Mutex::new(()) }
    }

    pub(crate) fn header(&self) -> Option<String> {
        (self.format == Some(StreamFormat::Csv)).then(|| {
            let target_columns =
                self.targets.iter().flat_map(|t| CSV_TARGET_FIELDS.iter().map(move |f| format!("{}:{f}", t.id)));
            let codec_columns =
                self.codecs.iter().flat_map(|c| CSV_CODEC_FIELDS.iter().map(move |f| format!("{c}:{f}")));
            let columns: Vec<String> = CSV_FIELDS
                .iter()
                .map(|f| f.to_string())
                .chain(target_columns)
                .chain(codec_columns)
                .chain(["error".to_string()])
                .collect();
            columns.join(",")
        })
    }

    pub(crate) fn line(&self, file: &Path, result: &CliResult<Measurement>) -> Option<String> {
        let object = match result {
            Ok(m) => measurement_json(m, self.targets),
            Err(e) => json!({ "file": file.display().to_string(), "error": e.to_string() }),
        };
        match self.format? {
            StreamFormat::Jsonl => Some(object.to_string()),
            StreamFormat::Csv => Some(self.csv_row(&object)),
        }
    }

    fn csv_row(&self, object: &Value) -> String {
        let mut fields: Vec<String> = CSV_FIELDS.iter().map(|f| csv_value(&object[*f])).collect();
        for (i, target) in self.targets.iter().enumerate() {
            let outcome = &object["targets"][i];
            debug_assert!(outcome.is_null() || outcome["id"] == target.id);
            fields.extend(CSV_TARGET_FIELDS.iter().map(|f| csv_value(&outcome[*f])));
        }
        for (i, codec) in self.codecs.iter().enumerate() {
            let row = &object["codecs"][i];
            debug_assert!(row.is_null() || row["codec"] == codec.codec.name());
            fields.extend(CSV_CODEC_FIELDS.iter().map(|f| csv_value(&row[*f])));
        }
        fields.push(csv_value(&object["error"]));
        fields.join(",")
    }

    pub(crate) fn emit(&self, line: &str) {
        let _whole_lines = self.lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out = std::io::stdout().lock();
        // A closed pipe (`| head`) ends the output, not the measurement.
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    }
}

/// One CSV field (RFC 4180): null is empty; text with a comma, quote or line break is quoted.
fn csv_value(value: &Value) -> String {
    let text = match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
}

pub(crate) fn finite(x: f64) -> Value {
    if x.is_finite() { json!((x * 1e4).round() / 1e4) } else { Value::Null }
}

pub fn outcome_json(target: &PlatformTarget, outcome: &PlatformOutcome) -> Value {
    json!({
        "id": target.id,
        "name": target.name,
        "target_lufs": target.target_lufs,
        "ceiling_dbtp": target.true_peak_ceiling_dbtp,
        "gain_db": finite(outcome.gain_db),
        "resulting_lufs": finite(outcome.resulting_lufs),
        "resulting_true_peak_dbtp": finite(outcome.resulting_true_peak_dbtp),
        "ceiling_holds": outcome.ceiling_holds,
        "within_accepted": outcome.within_accepted,
        "distance_to_target_lu": outcome.distance_to_target_lu.map(finite),
    })
}

pub fn reading_json(r: &LoudnessReading) -> Value {
    json!({
        "integrated_lufs": finite(r.integrated),
        "loudness_range_lu": finite(r.loudness_range),
        "max_momentary_lufs": finite(r.max_momentary),
        "max_short_term_lufs": finite(r.max_short_term),
        "true_peak_dbtp": finite(r.true_peak_dbtp),
        "reconstructed_peak_dbtp": finite(r.reconstructed_peak_dbtp),
        "sample_peak_dbfs": finite(r.sample_peak_dbfs),
    })
}

pub(crate) fn measurement_json(m: &Measurement, targets: &[&PlatformTarget]) -> Value {
    let mut object = json!({
        "file": m.file.display().to_string(),
        "channels": m.channels,
        "sample_rate": m.sample_rate,
        "duration_seconds": m.frames as f64 / f64::from(m.sample_rate),
        "codec": m.codec,
        "lossy": m.lossy,
        "true_peak_at_seconds": finite(m.true_peak_at_seconds),
    });
    if let (Value::Object(o), Value::Object(r)) = (&mut object, reading_json(&m.reading)) {
        o.extend(r);
        let list: Vec<Value> = targets
            .iter()
            .map(|t| outcome_json(t, &evaluate(t, m.reading.integrated, m.reading.true_peak_dbtp)))
            .collect();
        o.insert("targets".into(), Value::Array(list));
        if !m.codecs.is_empty() {
            o.insert("codecs".into(), m.codecs.iter().map(|c| c.json(&m.reading)).collect());
        }
    }
    object
}

pub(crate) fn level(x: f64, unit: &str) -> String {
    if x.is_finite() { format!("{x:8.2} {unit}") } else { format!("    -inf {unit}") }
}

fn print_text(m: &Measurement, targets: &[&PlatformTarget]) {
    let r = &m.reading;
    let source = if m.lossy {
        format!(", {} (lossy: measured as decoded)", m.codec)
    } else if m.codec == "PCM" {
        String::new()
    } else {
        format!(", {}", m.codec)
    };
    println!(
        "{} ({} ch, {} Hz, {:.2} s{source})",
        m.file.display(),
        m.channels,
        m.sample_rate,
        m.frames as f64 / f64::from(m.sample_rate)
    );
    println!("  integrated      {}", level(r.integrated, "LUFS"));
    println!("  loudness range  {}", level(r.loudness_range, "LU"));
    println!("  max momentary   {}", level(r.max_momentary, "LUFS"));
    println!("  max short-term  {}", level(r.max_short_term, "LUFS"));
    println!("  true peak       {}   (BS.1770, 4x)", level(r.true_peak_dbtp, "dBTP"));
    println!("  reconstructed   {}   (full band, as a DAC reconstructs it)", level(r.reconstructed_peak_dbtp, "dBTP"));
    println!("  sample peak     {}", level(r.sample_peak_dbfs, "dBFS"));
    for t in targets {
        let o = evaluate(t, r.integrated, r.true_peak_dbtp);
        let goal = t.target_lufs.map_or("no normalization".to_string(), |l| format!("{l:.1} LUFS"));
        println!(
            "  {:<15} {goal}: player gain {:+.1} dB -> {:.1} LUFS, peak {:.1} dBTP, ceiling {:.1} dBTP {}",
            t.id,
            o.gain_db,
            o.resulting_lufs,
            o.resulting_true_peak_dbtp,
            t.true_peak_ceiling_dbtp,
            if o.ceiling_holds { "holds" } else { "EXCEEDED" }
        );
    }
    if !m.codecs.is_empty() {
        println!("  after encoding and decoding (rise over the source's true peak):");
        for c in &m.codecs {
            println!("    {}", c.line(r));
        }
    }
}

fn plot_path(base: &Path, file: &Path, many: bool) -> PathBuf {
    if !many {
        return base.to_path_buf();
    }
    let stem = base.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = base.extension().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let file_stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    base.with_file_name(format!("{stem}-{file_stem}.{ext}"))
}

pub fn run(args: &MeasureArgs, quiet: bool) -> CliResult<()> {
    let targets = resolve_targets(&args.targets)?;
    if let Some(plot) = &args.plot {
        let ext = plot.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        if !matches!(ext.as_deref(), Some("png" | "svg")) {
            return Err(CliError::input(format!("{}: --plot needs a .png or .svg file name", plot.display())));
        }
    }
    let codecs = args.codec.as_deref().map(CodecSpec::parse_list).transpose()?.unwrap_or_default();
    let stream = Streamed::of(args, &targets, codecs);
    let (files, results, tape) = measure_inputs(&args.files, args.album, "measure", quiet, &stream)?;

    let many = files.len() > 1;
    let mut failures = Vec::new();
    let mut measured = Vec::new();
    for result in results {
        match result {
            Ok(m) => {
                if let Some(base) = &args.plot {
                    let title = m.file_name();
                    write_plot(&plot_path(base, &m.file, many), &m.trace(&title, &target_lines(&targets)))?;
                }
                measured.push(m);
            }
            Err(e) => failures.push(e),
        }
    }
    let album = if args.album && failures.is_empty() {
        let album_targets: Vec<&PlatformTarget> =
            if args.targets.is_empty() { PLATFORM_TARGETS.iter().collect() } else { targets.clone() };
        Some(Album::of(&measured, &tape, &album_targets)?)
    } else {
        None
    };
    if args.jsonl || args.csv {
        // Already printed, file by file; the album last.
        if let Some(album) = &album {
            stream.emit(&json!({ "album": album.json() }).to_string());
        }
    } else if args.json {
        let file_list: Vec<Value> = measured.iter().map(|m| measurement_json(m, &targets)).collect();
        let failed: Vec<Value> = failures.iter().map(|e| json!({ "error": e.to_string() })).collect();
        let mut report = json!({ "files": file_list, "failed": failed });
        if let Some(album) = &album {
            report["album"] = album.json();
        }
        println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    } else {
        for m in &measured {
            print_text(m, &targets);
        }
        if let Some(album) = &album {
            album.print();
        }
    }
    if args.album && !failures.is_empty() {
        eprintln!("keel: the album was not measured: {} of its {} tracks could not be read", failures.len(), files.len());
    }
    if !many {
        return match failures.pop() {
            Some(e) => Err(e),
            None => Ok(()),
        };
    }
    for e in &failures {
        eprintln!("keel: {e}");
    }
    if !(args.json || args.jsonl || args.csv) {
        println!("measured {} of {} files", measured.len(), files.len());
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(CliError::several(
            format!("{} of {} files could not be measured", failures.len(), files.len()),
            &failures,
        ))
    }
}
