//! `keel render`: runs WAV files through the plugin's `Chain` with the plugin's parameters.
//!
//! Output is aligned with the input: the chain's latency is cut from the start and the same
//! number of samples is flushed from the end, so output frame n is input frame n processed.
//! A mono file runs as two identical channels and the left one is written back, as the plugin
//! does on a mono bus.

use super::error::{CliError, CliResult};
use super::output::{AudioWriter, FormatChoice};
use super::progress::Progress;
use super::source::AudioSource;
use super::wav::Encoding;
use clap::Args;
use keel_core::chain::{Chain, ChainSettings};
use keel_core::dsp::denormals::FlushDenormals;
use keel_core::dsp::dither::DitherMode;
use keel_core::params::{ParamTable, PlainValues};
use keel_core::preset::Preset;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Instant;

pub const DEFAULT_BLOCK: usize = 512;
pub const MAX_BLOCK: usize = 1 << 16;

#[derive(Args, Debug)]
pub struct RenderArgs {
    /// Input WAV file(s), or a folder of them.
    #[arg(required = true, value_name = "IN")]
    pub inputs: Vec<PathBuf>,
    /// Output file, or a folder when rendering several files.
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// Preset file ({"keel_preset": 1, "params": {...}}); parameters it omits use defaults.
    #[arg(long, value_name = "P.json")]
    pub preset: Option<PathBuf>,
    /// Set a parameter, after the preset: ID=VALUE in the units `keel params` lists.
    #[arg(long = "set", value_name = "ID=VALUE")]
    pub sets: Vec<String>,
    /// Samples per processing block (the output does not depend on it).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BLOCK)]
    pub block: usize,
    /// Output sample format: s16, s24, s32, f32 or f64 (integer output is TPDF-dithered).
    /// Default: the input's.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
}

/// The parameters a command runs with, and which of them the user chose.
#[derive(Debug, Clone)]
pub struct Configured {
    pub values: PlainValues,
    /// Ids the preset or a `--set` named.
    chosen: Vec<String>,
}

impl Configured {
    /// The chain settings for writing `encoding`. Integer files of 16 or 24 bits are dithered
    /// to their depth with flat TPDF unless the preset or `--set` chose the dither's mode or
    /// word length themselves; 32-bit integer and float files are not dithered by default.
    pub fn settings_for(&self, encoding: Encoding) -> ChainSettings {
        let mut settings = self.values.chain_settings();
        let chosen = |id: &str| self.chosen.iter().any(|c| c == id);
        let file_bits = match encoding {
            Encoding::Int16 => Some(16),
            Encoding::Int24 => Some(24),
            _ => None,
        };
        if let Some(bits) = file_bits {
            if !chosen("dither_mode") {
                settings.dither.mode = DitherMode::Tpdf;
            }
            if !chosen("dither_bits") {
                settings.dither.bits = bits;
            }
        }
        settings
    }

    pub fn values_mut(&mut self) -> &mut PlainValues {
        &mut self.values
    }
}

/// Default parameters, then the preset, then each `--set` in order.
pub fn configured_params(preset: Option<&Path>, sets: &[String], table: &ParamTable) -> CliResult<Configured> {
    let mut chosen = Vec::new();
    let mut values = match preset {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| CliError::io(path, "cannot read preset", e))?;
            let preset = Preset::from_json_str(&text, table).map_err(|e| CliError::in_file(path, e))?;
            chosen.extend(preset.values.iter().map(|(id, _)| id.clone()));
            preset.plain_values(table).map_err(|e| CliError::in_file(path, e))?
        }
        None => table.defaults(),
    };
    let assignments = sets.iter().map(|s| table.parse_assignment(s)).collect::<Result<Vec<_>, _>>()?;
    table.assign(&mut values, &assignments)?;
    chosen.extend(assignments.into_iter().map(|(id, _)| id));
    Ok(Configured { values, chosen })
}

pub fn check_block(block: usize) -> CliResult<()> {
    if block == 0 || block > MAX_BLOCK {
        return Err(CliError::input(format!("--block must be from 1 to {MAX_BLOCK}, got {block}")));
    }
    Ok(())
}

/// The chain plus latency bookkeeping: feed blocks in, get aligned blocks out.
pub struct Renderer {
    chain: Chain,
    /// Output samples still to drop: the chain's latency.
    skip: usize,
    /// Input samples still to flush at the end.
    flush: usize,
    block: usize,
}

impl Renderer {
    pub fn new(sample_rate: f64, settings: &ChainSettings, block: usize) -> Self {
        let mut chain = Chain::new(sample_rate);
        chain.set_settings(settings);
        let latency = chain.latency();
        Self { chain, skip: latency, flush: latency, block: block.clamp(1, MAX_BLOCK) }
    }

    pub fn latency(&self) -> usize {
        self.flush
    }

    /// Processes one block in place and hands on the part of it that is aligned output.
    pub fn process<E>(&mut self, left: &mut [f32], right: &mut [f32], emit: &mut E) -> CliResult<()>
    where
        E: FnMut(&[f32], &[f32]) -> CliResult<()>,
    {
        // As in the plugin: denormals flushed while the chain runs (the same samples result).
        let _flush = FlushDenormals::new();
        for (l, r) in left.chunks_mut(self.block).zip(right.chunks_mut(self.block)) {
            self.chain.process(l, r);
            let drop = self.skip.min(l.len());
            self.skip -= drop;
            if drop < l.len() {
                emit(&l[drop..], &r[drop..])?;
            }
        }
        Ok(())
    }

    /// Pushes silence through so the last input samples come out.
    pub fn finish<E>(mut self, emit: &mut E) -> CliResult<()>
    where
        E: FnMut(&[f32], &[f32]) -> CliResult<()>,
    {
        let mut left = vec![0.0; self.block];
        let mut right = vec![0.0; self.block];
        while self.flush > 0 {
            let n = self.flush.min(self.block);
            left[..n].fill(0.0);
            right[..n].fill(0.0);
            self.flush -= n;
            self.process(&mut left[..n], &mut right[..n], emit)?;
        }
        Ok(())
    }
}

/// Renders planar audio held in memory (1 or 2 channels) and returns the aligned result.
pub fn render_buffers(
    sample_rate: f64,
    settings: &ChainSettings,
    input: &[Vec<f32>],
    block: usize,
) -> CliResult<Vec<Vec<f32>>> {
    let mono = input.len() == 1;
    let frames = input.first().map_or(0, Vec::len);
    let mut out = vec![Vec::with_capacity(frames); input.len()];
    let mut left = input[0].clone();
    let mut right = if mono { input[0].clone() } else { input[1].clone() };
    let mut renderer = Renderer::new(sample_rate, settings, block);
    let mut emit = |l: &[f32], r: &[f32]| {
        out[0].extend_from_slice(l);
        if !mono {
            out[1].extend_from_slice(r);
        }
        Ok(())
    };
    renderer.process(&mut left, &mut right, &mut emit)?;
    renderer.finish(&mut emit)?;
    Ok(out)
}

/// What one file's render did, for the summary.
#[derive(Debug, Clone, Copy)]
pub struct RenderStats {
    pub frames: u64,
    pub sample_rate: u32,
}

/// Streams `input` through the chain into `output`.
pub fn render_file(
    input: &Path,
    output: &Path,
    configured: &Configured,
    block: usize,
    choice: FormatChoice,
    progress: &Progress,
) -> CliResult<RenderStats> {
    super::refuse_overwriting_input(input, output)?;
    let mut reader = AudioSource::open(input)?;
    let format = reader.format();
    if format.channels > 2 {
        return Err(CliError::input(format!(
            "{}: render handles mono and stereo files; this one has {} channels",
            input.display(),
            format.channels
        )));
    }
    let (container, out_format) = choice.resolve(output, format)?;
    let writer = AudioWriter::create(output, container, out_format)?;
    let mono = format.channels == 1;
    let settings = configured.settings_for(out_format.encoding);
    let mut renderer = Renderer::new(f64::from(format.sample_rate), &settings, block);
    let channels = usize::from(format.channels);
    // Decoding, the chain and encoding each on their own thread, handing blocks on: the chain
    // runs exactly as it would alone (same blocks, same order).
    std::thread::scope(|scope| -> CliResult<RenderStats> {
        let (to_chain, from_reader) = mpsc::sync_channel::<CliResult<(Vec<Vec<f32>>, usize)>>(PIPELINE_DEPTH);
        let (recycle, recycled) = mpsc::channel::<Vec<Vec<f32>>>();
        let reading = scope.spawn(move || {
            loop {
                let mut buffers = recycled.try_recv().unwrap_or_else(|_| vec![vec![0.0; PIPELINE_FRAMES]; channels]);
                match reader.read(&mut buffers, PIPELINE_FRAMES) {
                    Ok(0) => break,
                    Ok(n) => {
                        if to_chain.send(Ok((buffers, n))).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = to_chain.send(Err(e));
                        break;
                    }
                }
            }
            reader.frames_read()
        });
        let (to_writer, from_chain) = mpsc::sync_channel::<ToWriter>(PIPELINE_DEPTH);
        let (written_back, written) = mpsc::channel::<Vec<Vec<f32>>>();
        let writing = scope.spawn(move || -> CliResult<()> {
            let mut writer = writer;
            for message in from_chain {
                match message {
                    ToWriter::Frames(frames) => {
                        let refs: Vec<&[f32]> = frames.iter().map(Vec::as_slice).collect();
                        writer.write(&refs)?;
                        let _ = written_back.send(frames);
                    }
                    // Only a complete render is committed; otherwise dropping the writer removes
                    // the partial file.
                    ToWriter::Done => return writer.finish(),
                }
            }
            Ok(())
        });
        let chain_result = (|| -> CliResult<()> {
            let mut right_copy = vec![0.0; PIPELINE_FRAMES];
            let output_channels = if mono { 1 } else { 2 };
            // Output gathered per pipeline block, so the threads hand over few, large blocks.
            let mut pending: Vec<Vec<f32>> = vec![Vec::with_capacity(PIPELINE_FRAMES); output_channels];
            let hand_over = |pending: &mut Vec<Vec<f32>>| -> CliResult<()> {
                let mut next =
                    written.try_recv().unwrap_or_else(|_| vec![Vec::with_capacity(PIPELINE_FRAMES); output_channels]);
                next.iter_mut().for_each(Vec::clear);
                let frames = std::mem::replace(pending, next);
                // A closed channel means the writer stopped on an error, reported when joined.
                to_writer.send(ToWriter::Frames(frames)).map_err(|_| CliError::input("the writer stopped"))
            };
            for message in &from_reader {
                let (mut buffers, n) = message?;
                let (left, right) = if mono {
                    right_copy[..n].copy_from_slice(&buffers[0][..n]);
                    (&mut buffers[0][..n], &mut right_copy[..n])
                } else {
                    let (l, r) = buffers.split_at_mut(1);
                    (&mut l[0][..n], &mut r[0][..n])
                };
                renderer.process(left, right, &mut |l: &[f32], r: &[f32]| gather(&mut pending, l, r))?;
                hand_over(&mut pending)?;
                progress.advance(n as u64);
                let _ = recycle.send(buffers);
            }
            renderer.finish(&mut |l: &[f32], r: &[f32]| gather(&mut pending, l, r))?;
            hand_over(&mut pending)?;
            to_writer.send(ToWriter::Done).map_err(|_| CliError::input("the writer stopped"))
        })();
        drop(to_writer);
        drop(from_reader);
        let written =
            writing.join().map_err(|_| CliError::input(format!("{}: the writer thread failed", output.display())))?;
        let frames =
            reading.join().map_err(|_| CliError::input(format!("{}: the reader thread failed", input.display())))?;
        // The writer's own error (a full disk, say) is the cause when both failed.
        written?;
        chain_result?;
        Ok(RenderStats { frames, sample_rate: format.sample_rate })
    })
}

/// Appends one emitted block to the output gathered for the writer.
fn gather(pending: &mut [Vec<f32>], left: &[f32], right: &[f32]) -> CliResult<()> {
    for (buffer, samples) in pending.iter_mut().zip([left, right]) {
        buffer.extend_from_slice(samples);
    }
    Ok(())
}

/// Blocks in flight between the reader, the chain and the writer.
const PIPELINE_DEPTH: usize = 4;
/// Frames per block handed between the threads; the chain still runs in `--block` pieces
/// (`Renderer::process`), so its output is the same.
const PIPELINE_FRAMES: usize = 16_384;

enum ToWriter {
    Frames(Vec<Vec<f32>>),
    Done,
}

/// File names the commands pick up from a folder.
pub const AUDIO_EXTENSIONS: &[&str] = &[
    "wav", "wave", "bwf", "rf64", "flac", "mp3", "m4a", "mp4", "aac", "alac", "ogg", "oga", "opus", "aif", "aiff",
    "aifc", "caf",
];
const AUDIO_EXTENSIONS_TEXT: &str = "WAV, FLAC, MP3, M4A/AAC/ALAC, Ogg, Opus, AIFF, CAF";

pub fn is_audio_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.iter().any(|a| a.eq_ignore_ascii_case(e)))
}

/// The files given, each folder replaced by the audio files in it (by name).
pub fn expand_folders(paths: &[PathBuf]) -> CliResult<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| CliError::io(path, "cannot list folder", e))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && is_audio_name(p))
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(CliError::input(format!(
                    "{}: folder has no audio files ({AUDIO_EXTENSIONS_TEXT})",
                    path.display()
                )));
            }
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// Input/output pairs: one file to one file, or many files (or a folder) into a folder.
fn plan_jobs(args: &RenderArgs) -> CliResult<Vec<(PathBuf, PathBuf)>> {
    let single = args.inputs.len() == 1 && !args.inputs[0].is_dir();
    if single && !args.output.is_dir() {
        return Ok(vec![(args.inputs[0].clone(), args.output.clone())]);
    }
    let inputs = expand_folders(&args.inputs)?;
    if args.output.exists() && !args.output.is_dir() {
        return Err(CliError::input(format!(
            "{}: several inputs need an output folder, and this is a file",
            args.output.display()
        )));
    }
    std::fs::create_dir_all(&args.output).map_err(|e| CliError::io(&args.output, "cannot create output folder", e))?;
    let mut jobs = Vec::with_capacity(inputs.len());
    for input in inputs {
        let name = input.file_name().ok_or_else(|| CliError::input(format!("{}: not a file", input.display())))?;
        let output = args.output.join(name);
        if jobs.iter().any(|(_, o): &(PathBuf, PathBuf)| *o == output) {
            return Err(CliError::input(format!("two inputs would both be written to {}", output.display())));
        }
        jobs.push((input, output));
    }
    Ok(jobs)
}

pub fn run(args: &RenderArgs, quiet: bool) -> CliResult<()> {
    check_block(args.block)?;
    let choice = FormatChoice::parse(args.format.as_deref())?;
    let table = ParamTable::new();
    let configured = configured_params(args.preset.as_deref(), &args.sets, &table)?;
    let jobs = plan_jobs(args)?;
    for (input, output) in &jobs {
        super::refuse_overwriting_input(input, output)?;
    }

    // Headers first: a bad file is reported before any work, and the bar knows the total.
    let total_frames: u64 =
        jobs.iter().filter_map(|(input, _)| AudioSource::open(input).ok()).filter_map(|r| r.info().frames).sum();
    let progress = Progress::new(total_frames, "render", quiet);
    let started = Instant::now();
    let results: Vec<CliResult<RenderStats>> = jobs
        .par_iter()
        .map(|(input, output)| render_file(input, output, &configured, args.block, choice, &progress))
        .collect();
    progress.finish();
    let elapsed = started.elapsed().as_secs_f64();

    let mut failures = Vec::new();
    let mut audio_seconds = 0.0;
    for ((input, output), result) in jobs.iter().zip(results) {
        match result {
            Ok(stats) => {
                audio_seconds += stats.frames as f64 / f64::from(stats.sample_rate);
                if jobs.len() > 1 {
                    println!("{} -> {}", input.display(), output.display());
                }
            }
            Err(e) => failures.push(e),
        }
    }
    let speed = if elapsed > 0.0 { audio_seconds / elapsed } else { f64::INFINITY };
    if jobs.len() == 1 {
        if let Some(e) = failures.pop() {
            return Err(e);
        }
        println!(
            "rendered {} -> {} ({audio_seconds:.2} s of audio in {elapsed:.2} s, {speed:.0}x real time)",
            jobs[0].0.display(),
            jobs[0].1.display()
        );
        return Ok(());
    }
    for e in &failures {
        eprintln!("keel: {e}");
    }
    println!(
        "rendered {} of {} files ({audio_seconds:.2} s of audio in {elapsed:.2} s, {speed:.0}x real time)",
        jobs.len() - failures.len(),
        jobs.len()
    );
    if failures.is_empty() {
        Ok(())
    } else {
        Err(CliError::several(format!("{} of {} files failed", failures.len(), jobs.len()), &failures))
    }
}
