//! `keel gen`: writes test signals from `signals`.

use super::error::{CliError, CliResult};
use super::wav::{self, Encoding, WavFormat};
use keel_core::dsp::level::db_to_gain;
use keel_core::signals::{self, TestSignal};
use clap::Args;
use std::path::PathBuf;

pub const DEFAULT_RATE: u32 = 48_000;
pub const DEFAULT_SECONDS: f64 = 10.0;
pub const DEFAULT_LEVEL_DB: f64 = -20.0;
pub const DEFAULT_FREQ_HZ: f64 = 1000.0;
/// Noise seed: fixed so the same command always writes the same file.
pub const DEFAULT_SEED: u64 = 1;

#[derive(Args, Debug)]
pub struct GenArgs {
    /// sine, sweep, pink, white, impulse, ebu3341-N (N = 1-6, 9, 12, 15-19), ebu3341-N-K
    /// (N = 10, 11, 13, 14; K = 1-20) or ebu3342-N (N = 1-4).
    #[arg(value_name = "NAME")]
    pub name: String,
    #[arg(short, long, value_name = "OUT.wav")]
    pub output: PathBuf,
    /// Sample rate in Hz.
    #[arg(long, value_name = "R")]
    pub rate: Option<u32>,
    /// Length in seconds (not for the EBU cases, whose lengths are fixed).
    #[arg(long, value_name = "S")]
    pub seconds: Option<f64>,
    /// Level in dBFS: peak for sine, sweep and impulse, RMS for noise (not for EBU cases).
    #[arg(long, value_name = "DB", allow_negative_numbers = true)]
    pub level: Option<f64>,
    /// Sine frequency in Hz.
    #[arg(long, value_name = "HZ")]
    pub freq: Option<f64>,
    /// 1 or 2 channels, identical (not for EBU cases).
    #[arg(long, value_name = "N")]
    pub channels: Option<usize>,
    /// Noise seed.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// s16, s24, s32, f32 (default) or f64.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
}

/// Parses "ebu3341-N", "ebu3341-N-K" and "ebu3342-N" into (document, case, part).
fn parse_ebu_name(name: &str) -> Option<(u32, u32, u32)> {
    let (document, rest) = name.strip_prefix("ebu3341-").map(|r| (3341, r)).or_else(|| name.strip_prefix("ebu3342-").map(|r| (3342, r)))?;
    let mut numbers = rest.split('-').map(str::parse::<u32>);
    let case = numbers.next()?.ok()?;
    let part = match numbers.next() {
        Some(part) => part.ok()?,
        None => 0,
    };
    if numbers.next().is_some() {
        return None;
    }
    Some((document, case, part))
}

/// The signal a name stands for, at `rate`.
pub fn generate(args: &GenArgs, rate: f64) -> CliResult<TestSignal> {
    let name = args.name.as_str();
    if let Some((document, case, part)) = parse_ebu_name(name) {
        if args.seconds.is_some() || args.level.is_some() || args.freq.is_some() || args.channels.is_some() {
            return Err(CliError::input(format!(
                "{name} has a fixed length, level and layout; --seconds, --level, --freq and --channels do not apply"
            )));
        }
        let series = document == 3341 && matches!(case, 10 | 11 | 13 | 14);
        if series != (part != 0) || (series && !(1..=20).contains(&part)) {
            return Err(CliError::input(if series {
                format!("EBU 3341 case {case} is a series of 20 files: name one as ebu3341-{case}-K with K from 1 to 20")
            } else {
                format!("unknown test signal '{name}': only 3341 cases 10, 11, 13 and 14 take a part number")
            }));
        }
        let found = if document == 3341 { signals::ebu_3341(case, part, rate) } else { signals::ebu_3342(case, rate) };
        return found.map(|c| c.signal).ok_or_else(|| {
            CliError::input(format!(
                "EBU {document} case {case} cannot be synthesized (recorded programme or unspecified filter); \
                 available: 3341 cases 1-6, 9-19 and 3342 cases 1-4"
            ))
        });
    }

    let seconds = args.seconds.unwrap_or(DEFAULT_SECONDS);
    if !(seconds > 0.0 && seconds <= 24.0 * 3600.0) {
        return Err(CliError::input(format!("--seconds must be above 0 and at most 86400, got {seconds}")));
    }
    let level_db = args.level.unwrap_or(DEFAULT_LEVEL_DB);
    if !(level_db.is_finite() && level_db <= 0.0) {
        return Err(CliError::input(format!("--level must be at most 0 dBFS, got {level_db}")));
    }
    let level = db_to_gain(level_db);
    let channels = args.channels.unwrap_or(2);
    if !(1..=2).contains(&channels) {
        return Err(CliError::input(format!("--channels must be 1 or 2, got {channels}")));
    }
    let freq = args.freq.unwrap_or(DEFAULT_FREQ_HZ);
    if !(freq > 0.0 && freq < rate / 2.0) {
        return Err(CliError::input(format!("--freq must be between 0 and {} Hz (half the rate), got {freq}", rate / 2.0)));
    }
    let seed = args.seed.unwrap_or(DEFAULT_SEED);
    let mono = match name {
        "sine" => signals::sine(freq, rate, seconds, level, 0.0),
        "sweep" => signals::log_sweep(20.0, (0.45 * rate).min(20_000.0), rate, seconds, level),
        "pink" => signals::pink_noise(seed, rate, seconds, level),
        "white" => signals::white_noise(seed, rate, seconds, level),
        "impulse" => signals::impulse(rate, seconds, level),
        _ => {
            return Err(CliError::input(format!(
                "unknown test signal '{name}': expected sine, sweep, pink, white, impulse, ebu3341-N, ebu3341-N-K or ebu3342-N"
            )));
        }
    };
    Ok(TestSignal::copies(rate, mono, channels))
}

pub fn run(args: &GenArgs) -> CliResult<()> {
    let rate = args.rate.unwrap_or(DEFAULT_RATE);
    if !(wav::MIN_SAMPLE_RATE..=wav::MAX_SAMPLE_RATE).contains(&rate) {
        return Err(CliError::input(format!("--rate must be from 8000 to 384000 Hz, got {rate}")));
    }
    let encoding = match args.format.as_deref() {
        None => Encoding::Float32,
        Some(name) => Encoding::from_name(name)
            .ok_or_else(|| CliError::input(format!("unknown --format '{name}': expected s16, s24, s32, f32 or f64")))?,
    };
    let signal = generate(args, f64::from(rate))?;
    let format = WavFormat { channels: signal.channels.len() as u16, sample_rate: rate, encoding };
    // Test signals are written exactly (rounded, not dithered), so they mean what they say.
    wav::write_all(&args.output, format, &signal.channels)?;
    println!(
        "wrote {} ({}, {:.3} s, {} Hz, {} channel{}, {})",
        args.output.display(),
        args.name,
        signal.frames() as f64 / f64::from(rate),
        rate,
        format.channels,
        if format.channels == 1 { "" } else { "s" },
        encoding.name()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_ebu_name;

    #[test]
    fn ebu_names_parse() {
        assert_eq!(parse_ebu_name("ebu3341-1"), Some((3341, 1, 0)));
        assert_eq!(parse_ebu_name("ebu3341-13-20"), Some((3341, 13, 20)));
        assert_eq!(parse_ebu_name("ebu3342-4"), Some((3342, 4, 0)));
        assert_eq!(parse_ebu_name("ebu3341-x"), None);
        assert_eq!(parse_ebu_name("ebu3341-1-2-3"), None);
        assert_eq!(parse_ebu_name("sine"), None);
    }
}
