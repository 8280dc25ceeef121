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
use std::path::PathBuf;

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

pub fn run(args: &MasterArgs) -> CliResult<()> {
    if args.album {
        return super::album_master::run(args);
    }
    let [input_path] = args.inputs.as_slice() else {
        return Err(CliError::input("master takes one input file; for several, master them as an album with --album"));
    };
    let Aim { lufs: target_lufs, ceiling, label: target_label, .. } = Aim::of(args)?;
    let choice = FormatChoice::parse(args.format.as_deref())?;
    let table = ParamTable::new();
    let mut params = configured_params(args.preset.as_deref(), &args.sets, &table)?;
    super::refuse_overwriting_input(input_path, &args.output)?;
    let (format, input) = AudioSource::open(input_path)?.read_all::<f32>()?;
    if format.channels > 2 {
        return Err(CliError::input(format!("{}: master handles mono and stereo files", input_path.display())));
    }
    let before = measure_buffers(&input, format.sample_rate)?;
    if !before.integrated.is_finite() {
        return Err(CliError::input(format!("{}: too quiet to measure (below the -70 LUFS gate)", input_path.display())));
    }
    println!("before: {}", describe(&before));

    let rate = f64::from(format.sample_rate);
    let (container, out_format) = choice.resolve(&args.output, format)?;
    let mut margin = 0.0;
    let mut gain = target_lufs - before.integrated;
    let mut previous: Option<(f64, f64)> = None;
    let mut best: Option<(Staging, Vec<Vec<f32>>, LoudnessReading)> = None;
    for _ in 0..MAX_PASSES {
        let Some(stage) = staging(gain, ceiling, margin) else { break };
        apply(&mut params, &table, stage)?;
        let rendered = render_buffers(rate, &params.settings_for(out_format.encoding), &input, DEFAULT_BLOCK)?;
        let reading = measure_buffers(&rendered, format.sample_rate)?;
        let error = target_lufs - reading.integrated;
        let peak_ok = reading.true_peak_dbtp <= ceiling;
        let done = error.abs() <= AIM_LU && peak_ok;
        best = Some((stage, rendered, reading));
        if done {
            break;
        }
        if !peak_ok {
            margin += reading.true_peak_dbtp - ceiling + 0.01;
        }
        // Secant on loudness against gain; limiting makes the slope 1 or steeper.
        let slope = match previous {
            Some((g0, l0)) if (reading.integrated - l0).abs() > 1e-6 => ((gain - g0) / (reading.integrated - l0)).clamp(1.0, 20.0),
            _ => 1.0,
        };
        previous = Some((gain, reading.integrated));
        gain += error * slope;
    }
    let Some((stage, rendered, reading)) = best else {
        return Err(CliError::check(format!(
            "cannot reach {target_label}: it needs {gain:.1} dB of gain, more than drive and output gain allow"
        )));
    };
    let reached = (target_lufs - reading.integrated).abs() <= 0.1 && reading.true_peak_dbtp <= ceiling;
    if !reached {
        println!("best:   {}", describe(&reading));
        return Err(CliError::check(format!(
            "could not reach {target_label} within 0.1 LU under {ceiling} dBTP (got {:.2} LUFS, {:.2} dBTP); nothing written",
            reading.integrated, reading.true_peak_dbtp
        )));
    }

    let mut writer = AudioWriter::create(&args.output, container, out_format)?;
    let refs: Vec<&[f32]> = rendered.iter().map(Vec::as_slice).collect();
    writer.write(&refs)?;
    writer.finish()?;
    // Check the file as written: integer output is rounded to its word length.
    let (_, written) = AudioSource::open(&args.output)?.read_all::<f32>()?;
    let after = measure_buffers(&written, format.sample_rate)?;
    println!("after:  {}", describe(&after));
    println!(
        "target {target_label}, ceiling {ceiling:.1} dBTP: limiter drive {:.2} dB, limiter ceiling {:.2} dBTP, output gain {:+.2} dB",
        stage.drive_db, stage.limiter_ceiling_db, stage.out_gain_db
    );
    if (target_lufs - after.integrated).abs() > 0.1 || after.true_peak_dbtp > ceiling {
        let _ = std::fs::remove_file(&args.output);
        return Err(CliError::check(format!(
            "written file measures {:.2} LUFS, {:.2} dBTP after {} quantization; removed it",
            after.integrated,
            after.true_peak_dbtp,
            out_format.encoding.name()
        )));
    }
    Ok(())
}
