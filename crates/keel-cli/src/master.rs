//! `keel master`: measure, then drive the chain's limiter so the result lands on a loudness
//! target with its true peak at or under a ceiling.
//!
//! The total gain G is split over the limiter's drive (0..24 dB, before the limiter) and the
//! output gain (after it). Gain after the limiter moves the peaks too, so the limiter's ceiling
//! is set to `ceiling - output gain`: the final true peak stays under the ceiling either way.
//! Limiting is nonlinear, so G is found by secant steps on the measured result.

use super::error::{CliError, CliResult};
use super::measure::{measure_buffers, resolve_target};
use super::output::{AudioWriter, FormatChoice};
use super::render::{Configured, DEFAULT_BLOCK, configured_params, render_buffers};
use super::source::AudioSource;
use keel_core::dsp::loudness::LoudnessReading;
use keel_core::targets::PlatformTarget;
use keel_core::params::{ParamTable, ParamValue};
use clap::Args;
use super::codec::{CodecSpec, ScratchDir, encode_to};
use super::pending_file::PendingFile;
use super::wav::Encoding;
use std::path::{Path, PathBuf};

/// Aim inside the +-0.1 LU promise, so an independent meter agrees too.
pub(crate) const AIM_LU: f64 = 0.03;
pub(crate) const MAX_PASSES: usize = 12;
const DRIVE_MAX_DB: f64 = 24.0;
const LIMITER_CEILING_MIN_DB: f64 = -20.0;
const OUT_GAIN_LIMIT_DB: f64 = 24.0;

#[derive(Args, Debug)]
pub struct MasterArgs {
    /// One file; with --album, the album's files in order, or a folder of them.
    #[arg(value_name = "IN.wav|FILES|DIR", required = true)]
    pub inputs: Vec<PathBuf>,
    /// The output file; with --album, a folder (created if needed) for the mastered tracks.
    #[arg(short, long, value_name = "OUT.wav|OUT_DIR")]
    pub output: PathBuf,
    /// Master the files as one album: one gain plan for every track, so their loudness
    /// differences stay, with the album on target by the platform's album rule (for a LUFS
    /// target: the album's integrated loudness, the ReplayGain / R128 convention).
    #[arg(long)]
    pub album: bool,
    /// Platform target id (spotify, apple-music, ebu-r128, ... as `keel measure` lists) or an
    /// integrated loudness in LUFS (e.g. -16).
    #[arg(long, value_name = "NAME|LUFS", allow_negative_numbers = true)]
    pub target: String,
    /// Highest true peak in dBTP; default: the platform's ceiling, or -1 for a LUFS target.
    #[arg(long, value_name = "DBTP", allow_negative_numbers = true)]
    pub ceiling: Option<f64>,
    /// Preset for the rest of the chain (EQ, compressor, limiter release...).
    #[arg(long, value_name = "P.json")]
    pub preset: Option<PathBuf>,
    /// Set a parameter after the preset (lim_drive, lim_ceiling and out_gain are chosen here).
    #[arg(long = "set", value_name = "ID=VALUE")]
    pub sets: Vec<String>,
    /// Output sample format (default: the input's); integer output is dithered.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Keep the ceiling after the platforms' encoders: encode the master with each codec
    /// (CODEC:KBPS,... as `keel measure --codec` takes), decode it, and lower the limiter's
    /// ceiling until every decoded true peak is at or under --ceiling with the loudness still on
    /// target; then print the ceiling used and each codec's decoded peak. Writes nothing (exit 1)
    /// when both cannot hold.
    #[arg(long, value_name = "LIST", conflicts_with = "album")]
    pub codec_safe: Option<String>,
    /// Also write the master encoded with these codecs (CODEC:KBPS,...) beside it, as
    /// <master stem>-<codec><kbps>.m4a / .opus / .ogg / .mp3.
    #[arg(long, value_name = "LIST", conflicts_with = "album")]
    pub deliver: Option<String>,
}

/// The gain staging for a total gain `g` dB under `ceiling` dBTP.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Staging {
    pub drive_db: f64,
    pub out_gain_db: f64,
    pub limiter_ceiling_db: f64,
}

pub(crate) fn staging(g: f64, ceiling: f64, margin: f64) -> Option<Staging> {
    let drive_db = g.clamp(0.0, DRIVE_MAX_DB);
    let out_gain_db = g - drive_db;
    let limiter_ceiling_db = (ceiling - out_gain_db).min(0.0) - margin;
    let fits = out_gain_db.abs() <= OUT_GAIN_LIMIT_DB && limiter_ceiling_db >= LIMITER_CEILING_MIN_DB;
    fits.then_some(Staging { drive_db, out_gain_db, limiter_ceiling_db })
}

pub(crate) fn apply(params: &mut Configured, table: &ParamTable, s: Staging) -> CliResult<()> {
    let value = |id: &str, v: ParamValue| -> CliResult<(String, ParamValue)> {
        table.get(id).map_err(|_| CliError::input(format!("master needs the limiter parameter {id}, which this build lacks")))?;
        Ok((id.to_string(), v))
    };
    table.assign(
        params.values_mut(),
        &[
            value("lim_on", ParamValue::Bool(true))?,
            value("lim_drive", ParamValue::Float(s.drive_db as f32))?,
            value("lim_ceiling", ParamValue::Float(s.limiter_ceiling_db as f32))?,
            value("out_gain", ParamValue::Float(s.out_gain_db as f32))?,
        ],
    )?;
    Ok(())
}

pub(crate) fn describe(r: &LoudnessReading) -> String {
    format!(
        "{:.2} LUFS integrated, {:.2} dBTP true peak, {:.1} LU loudness range",
        r.integrated, r.true_peak_dbtp, r.loudness_range
    )
}

/// What the master aims at: a loudness, a ceiling, and the platform when one was named.
pub(crate) struct Aim {
    pub lufs: f64,
    pub ceiling: f64,
    pub label: String,
    pub platform: Option<&'static PlatformTarget>,
}

impl Aim {
    pub fn of(args: &MasterArgs) -> CliResult<Self> {
        let (lufs, platform_ceiling, label, platform) = match args.target.parse::<f64>() {
            Ok(lufs) if lufs.is_finite() && (-60.0..=0.0).contains(&lufs) => (lufs, -1.0, format!("{lufs} LUFS"), None),
            Ok(lufs) => return Err(CliError::input(format!("--target {lufs} LUFS is outside -60 to 0"))),
            Err(_) => {
                let t = resolve_target(&args.target)?;
                let lufs = t.target_lufs.ok_or_else(|| {
                    CliError::input(format!("target {} has no single loudness to aim at; give --target in LUFS", t.id))
                })?;
                (lufs, t.true_peak_ceiling_dbtp, format!("{} ({lufs} LUFS)", t.id), Some(t))
            }
        };
        let ceiling = args.ceiling.unwrap_or(platform_ceiling);
        if !(LIMITER_CEILING_MIN_DB..=0.0).contains(&ceiling) {
            return Err(CliError::input(format!("--ceiling must be from -20 to 0 dBTP, got {ceiling}")));
        }
        Ok(Self { lufs, ceiling, label, platform })
    }
}

/// What one trial of [`search_gain`] reached: the loudness the search steers (a track's
/// integrated loudness, or an album's by its rule), the highest true peak, and the audio.
pub(crate) struct Trial<T> {
    pub stage: Staging,
    pub loudness: f64,
    pub peak: f64,
    pub result: T,
}

/// The gain search of `master` and `master --album`: total gain G from `start_gain`, staged under
/// `ceiling`, corrected by secant steps on what `render` reaches (limiting makes loudness grow
/// slower than gain) until within [`AIM_LU`] of `target` and under the ceiling, at most
/// [`MAX_PASSES`] renders. Returns the last trial, or `Err(gain)` when no staging fits the gain
/// the first step asks for.
pub(crate) fn search_gain<T>(
    start_gain: f64,
    target: f64,
    ceiling: f64,
    mut render: impl FnMut(Staging) -> CliResult<(f64, f64, T)>,
) -> CliResult<Result<Trial<T>, f64>> {
    let mut margin = 0.0;
    let mut gain = start_gain;
    let mut previous: Option<(f64, f64)> = None;
    let mut best = None;
    for _ in 0..MAX_PASSES {
        let Some(stage) = staging(gain, ceiling, margin) else { break };
        let (loudness, peak, result) = render(stage)?;
        let error = target - loudness;
        let peak_ok = peak <= ceiling;
        best = Some(Trial { stage, loudness, peak, result });
        if error.abs() <= AIM_LU && peak_ok {
            break;
        }
        if !peak_ok {
            margin += peak - ceiling + 0.01;
        }
        // Secant on loudness against gain; limiting makes the slope 1 or steeper.
        let slope = match previous {
            Some((g0, l0)) if (loudness - l0).abs() > 1e-6 => ((gain - g0) / (loudness - l0)).clamp(1.0, 20.0),
            _ => 1.0,
        };
        previous = Some((gain, loudness));
        gain += error * slope;
    }
    Ok(best.ok_or(gain))
}

/// A single file brought to a loudness under a ceiling: the staging, the rendered audio at the
/// output's settings, and its measurement.
pub(crate) struct Mastered {
    pub stage: Staging,
    pub rendered: Vec<Vec<f32>>,
    pub reading: LoudnessReading,
}

/// What one master search works on: the input, the chain's settings and the aim.
pub(crate) struct MasterJob<'a> {
    pub input: &'a [Vec<f32>],
    pub sample_rate: u32,
    pub params: Configured,
    pub table: ParamTable,
    pub encoding: Encoding,
    pub target_lufs: f64,
    pub target_label: String,
    /// The input's integrated loudness.
    pub before: f64,
}

impl MasterJob<'_> {
    /// Finds the staging that puts the input on the loudness target with its true peak at or
    /// under `ceiling` dBTP; a check failure (exit 1) when it cannot, saying what it reached.
    pub fn master_to(&mut self, ceiling: f64) -> CliResult<Mastered> {
        let rate = f64::from(self.sample_rate);
        let target_lufs = self.target_lufs;
        let MasterJob { input, sample_rate, params, table, encoding, .. } = self;
        let found = search_gain(target_lufs - self.before, target_lufs, ceiling, |stage| {
            apply(params, table, stage)?;
            let rendered = render_buffers(rate, &params.settings_for(*encoding), input, DEFAULT_BLOCK)?;
            let reading = measure_buffers(&rendered, *sample_rate)?;
            Ok((reading.integrated, reading.true_peak_dbtp, (rendered, reading)))
        })?;
        let label = &self.target_label;
        let trial = found.map_err(|gain| {
            CliError::check(format!(
                "cannot reach {label}: it needs {gain:.1} dB of gain, more than drive and output gain allow"
            ))
        })?;
        let (loudness, peak) = (trial.loudness, trial.peak);
        if (target_lufs - loudness).abs() > 0.1 || peak > ceiling {
            return Err(CliError::check(format!(
                "could not reach {label} within 0.1 LU under {ceiling:.2} dBTP (got {loudness:.2} LUFS, {peak:.2} dBTP); nothing written"
            )));
        }
        let (rendered, reading) = trial.result;
        let mastered = Mastered { stage: trial.stage, rendered, reading };
        Ok(mastered)
    }
}

pub fn run(args: &MasterArgs) -> CliResult<()> {
    if args.album {
        return super::album_master::run(args);
    }
    let [input_path] = args.inputs.as_slice() else {
        return Err(CliError::input("master takes one input file; for several, master them as an album with --album"));
    };
    let Aim { lufs: target_lufs, ceiling, label: target_label, .. } = Aim::of(args)?;
    let codec_safe = args.codec_safe.as_deref().map(CodecSpec::parse_list).transpose()?;
    let deliver = args.deliver.as_deref().map(CodecSpec::parse_list).transpose()?;
    let choice = FormatChoice::parse(args.format.as_deref())?;
    let table = ParamTable::new();
    let params = configured_params(args.preset.as_deref(), &args.sets, &table)?;
    super::refuse_overwriting_input(input_path, &args.output)?;
    for spec in deliver.iter().flatten() {
        super::refuse_overwriting_input(input_path, &delivery_path(&args.output, *spec))?;
    }
    let (format, input) = AudioSource::open(input_path)?.read_all::<f32>()?;
    if format.channels > 2 {
        return Err(CliError::input(format!("{}: master handles mono and stereo files", input_path.display())));
    }
    let before = measure_buffers(&input, format.sample_rate)?;
    if !before.integrated.is_finite() {
        return Err(CliError::input(format!("{}: too quiet to measure (below the -70 LUFS gate)", input_path.display())));
    }
    println!("before: {}", describe(&before));

    let (container, out_format) = choice.resolve(&args.output, format)?;
    let mut job = MasterJob {
        input: &input,
        sample_rate: format.sample_rate,
        params,
        table,
        encoding: out_format.encoding,
        target_lufs,
        target_label: target_label.clone(),
        before: before.integrated,
    };
    let (mastered, used_ceiling) = match &codec_safe {
        None => (job.master_to(ceiling)?, ceiling),
        Some(specs) => super::codec_safe::search(input_path, &mut job, specs, ceiling, container, out_format)?,
    };
    let Mastered { stage, rendered, .. } = mastered;

    let mut writer = AudioWriter::create(&args.output, container, out_format)?;
    let refs: Vec<&[f32]> = rendered.iter().map(Vec::as_slice).collect();
    writer.write(&refs)?;
    writer.finish()?;
    // Check the file as written: integer output is rounded to its word length.
    let (_, written) = AudioSource::open(&args.output)?.read_all::<f32>()?;
    let after = measure_buffers(&written, format.sample_rate)?;
    println!("after:  {}", describe(&after));
    println!(
        "target {target_label}, ceiling {used_ceiling:.2} dBTP: limiter drive {:.2} dB, limiter ceiling {:.2} dBTP, output gain {:+.2} dB",
        stage.drive_db, stage.limiter_ceiling_db, stage.out_gain_db
    );
    if (target_lufs - after.integrated).abs() > 0.1 || after.true_peak_dbtp > used_ceiling {
        let _ = std::fs::remove_file(&args.output);
        return Err(CliError::check(format!(
            "written file measures {:.2} LUFS, {:.2} dBTP after {} quantization; removed it",
            after.integrated,
            after.true_peak_dbtp,
            out_format.encoding.name()
        )));
    }
    for spec in deliver.iter().flatten() {
        let path = delivery_path(&args.output, *spec);
        deliver_file(*spec, &written, format.sample_rate, &path)?;
        println!("wrote {} ({spec}, {})", path.display(), spec.codec.encoder());
    }
    Ok(())
}

/// Where `--deliver` puts a codec's file: beside the master, as `<master stem>-<codec><kbps>.<ext>`.
pub(crate) fn delivery_path(master: &Path, spec: CodecSpec) -> PathBuf {
    let stem = master.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "master".into());
    master.with_file_name(format!("{stem}-{}{}.{}", spec.codec.name(), spec.kbps, spec.codec.extension()))
}

/// Encodes `audio` to `path`, which appears only when complete.
fn deliver_file(spec: CodecSpec, audio: &[Vec<f32>], sample_rate: u32, path: &Path) -> CliResult<()> {
    let scratch = ScratchDir::new()?;
    let encoded = scratch.path().join(format!("delivery.{}", spec.codec.extension()));
    encode_to(spec, audio, sample_rate, &encoded)?;
    let mut out = PendingFile::create(path)?;
    let mut from = std::fs::File::open(&encoded).map_err(|e| CliError::io(&encoded, "cannot read", e))?;
    let file = out.file()?;
    std::io::copy(&mut from, file).map_err(|e| CliError::io(path, "cannot write", e))?;
    out.commit()
}
