//! `keel compare`: a sample-aligned null test between two WAV files.
//!
//! Samples are compared in f64 frame by frame from the start. If one file is longer, its extra
//! samples count against silence, so a length mismatch shows up in the difference.

use keel_core::dsp::level::gain_to_db;
use super::error::{CliError, CliResult};
use super::source::AudioSource;
use clap::Args;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct CompareArgs {
    #[arg(value_name = "A.wav")]
    pub a: PathBuf,
    #[arg(value_name = "B.wav")]
    pub b: PathBuf,
    /// Fail (exit 1) when the peak difference is above this many dBFS.
    #[arg(long, value_name = "DB", allow_negative_numbers = true)]
    pub max_diff_db: Option<f64>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The difference signal's statistics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Difference {
    /// Largest absolute sample difference, linear full scale.
    pub peak: f64,
    /// RMS of the difference over every sample of every channel, linear.
    pub rms: f64,
    /// Where the peak difference is (0-based frame and channel).
    pub peak_frame: u64,
    pub peak_channel: usize,
    pub frames_a: u64,
    pub frames_b: u64,
}

pub fn difference(a: &PathBuf, b: &PathBuf) -> CliResult<(Difference, u32)> {
    let mut reader_a = AudioSource::open(a)?;
    let mut reader_b = AudioSource::open(b)?;
    let (fa, fb) = (reader_a.format(), reader_b.format());
    if fa.channels != fb.channels {
        return Err(CliError::input(format!(
            "cannot compare: {} has {} channels, {} has {}",
            a.display(),
            fa.channels,
            b.display(),
            fb.channels
        )));
    }
    if fa.sample_rate != fb.sample_rate {
        return Err(CliError::input(format!(
            "cannot compare: {} is {} Hz, {} is {} Hz",
            a.display(),
            fa.sample_rate,
            b.display(),
            fb.sample_rate
        )));
    }
    let channels = usize::from(fa.channels);
    const BLOCK: usize = 1 << 14;
    let mut block_a: Vec<Vec<f64>> = vec![vec![0.0; BLOCK]; channels];
    let mut block_b: Vec<Vec<f64>> = vec![vec![0.0; BLOCK]; channels];
    let (mut peak, mut peak_frame, mut peak_channel) = (0.0f64, 0u64, 0usize);
    let mut sum_squares = 0.0f64;
    let mut frame = 0u64;
    loop {
        let na = reader_a.read(&mut block_a, BLOCK)?;
        let nb = reader_b.read(&mut block_b, BLOCK)?;
        let n = na.max(nb);
        if n == 0 {
            break;
        }
        for ch in 0..channels {
            for i in 0..n {
                let x = if i < na { block_a[ch][i] } else { 0.0 };
                let y = if i < nb { block_b[ch][i] } else { 0.0 };
                let d = (x - y).abs();
                sum_squares += d * d;
                if d > peak {
                    peak = d;
                    peak_frame = frame + i as u64;
                    peak_channel = ch;
                }
            }
        }
        frame += n as u64;
    }
    let rms = (sum_squares / (frame.max(1) as f64 * channels as f64)).sqrt();
    let diff = Difference { peak, rms, peak_frame, peak_channel, frames_a: reader_a.frames_read(), frames_b: reader_b.frames_read() };
    Ok((diff, fa.sample_rate))
}

#[derive(Serialize)]
struct CompareReport {
    a: String,
    b: String,
    /// null when the files are identical (minus infinity dBFS).
    peak_diff_dbfs: Option<f64>,
    rms_diff_dbfs: Option<f64>,
    peak_diff_seconds: f64,
    peak_diff_channel: usize,
    frames_a: u64,
    frames_b: u64,
    max_diff_db: Option<f64>,
    passed: bool,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn format_db(x: f64) -> String {
    if x.is_finite() { format!("{x:.2} dBFS") } else { "-inf dBFS (identical)".to_string() }
}

pub fn run(args: &CompareArgs) -> CliResult<()> {
    if let Some(limit) = args.max_diff_db
        && !limit.is_finite()
    {
        return Err(CliError::input("--max-diff-db must be a number of dBFS"));
    }
    let (diff, rate) = difference(&args.a, &args.b)?;
    let peak_db = gain_to_db(diff.peak);
    let rms_db = gain_to_db(diff.rms);
    let passed = args.max_diff_db.is_none_or(|limit| peak_db <= limit);
    let peak_seconds = diff.peak_frame as f64 / f64::from(rate);
    if args.json {
        let report = CompareReport {
            a: args.a.display().to_string(),
            b: args.b.display().to_string(),
            peak_diff_dbfs: finite(peak_db),
            rms_diff_dbfs: finite(rms_db),
            peak_diff_seconds: peak_seconds,
            peak_diff_channel: diff.peak_channel + 1,
            frames_a: diff.frames_a,
            frames_b: diff.frames_b,
            max_diff_db: args.max_diff_db,
            passed,
        };
        println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    } else {
        if diff.frames_a != diff.frames_b {
            println!("lengths differ: A has {} frames, B has {}", diff.frames_a, diff.frames_b);
        }
        if diff.peak > 0.0 {
            println!("peak difference: {} at {peak_seconds:.6} s, channel {}", format_db(peak_db), diff.peak_channel + 1);
        } else {
            println!("peak difference: {}", format_db(peak_db));
        }
        println!("RMS difference:  {}", format_db(rms_db));
    }
    match args.max_diff_db {
        Some(limit) if !passed => {
            Err(CliError::check(format!("files differ: peak difference {peak_db:.2} dBFS is over {limit} dBFS")))
        }
        _ => Ok(()),
    }
}
