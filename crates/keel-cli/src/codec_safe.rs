//! `keel master --codec-safe`: the highest limiter ceiling at which every listed codec's decoded
//! true peak stays at or under the asked ceiling, with the loudness still on target.
//!
//! Each round masters at a trial ceiling, writes the master as it will be written (same format,
//! same dither), encodes and decodes it with every codec and reads the worst decoded true peak.
//! From a failing ceiling the next trial steps down by the worst codec's excess (lowering the
//! ceiling at the same loudness lowers the decoded peaks by about as much); once one passes
//! and one fails, bisection closes the gap to [`RESOLUTION_DB`].

use super::codec::{CodecReading, CodecSpec, ScratchDir, round_trips};
use super::error::{CliError, CliResult};
use super::master::{MasterJob, Mastered};
use super::output::{AudioWriter, Container};
use super::source::AudioSource;
use super::wav::WavFormat;
use std::path::Path;

/// The search stops when the passing and failing ceilings are this close.
pub const RESOLUTION_DB: f64 = 0.05;
/// Below the worst codec's excess, the extra step down after a failure.
const STEP_MARGIN_DB: f64 = 0.02;
const MAX_ROUNDS: usize = 14;

struct Trial {
    ceiling: f64,
    mastered: Mastered,
    readings: Vec<CodecReading>,
}

impl Trial {
    fn worst_peak(&self) -> f64 {
        self.readings.iter().map(|r| r.decoded.reading.true_peak_dbtp).fold(f64::NEG_INFINITY, f64::max)
    }
}

/// Masters `job` (the audio of `source`) with the limiter ceiling lowered until the codecs'
/// decoded peaks hold under `ceiling`; returns the master and the ceiling it used.
pub(crate) fn search(
    source: &Path,
    job: &mut MasterJob<'_>,
    specs: &[CodecSpec],
    ceiling: f64,
    container: Container,
    format: WavFormat,
) -> CliResult<(Mastered, f64)> {
    let scratch = ScratchDir::new()?;
    let master_file = scratch.path().join(if container == Container::Flac { "master.flac" } else { "master.wav" });
    let trial = |c: f64, job: &mut MasterJob<'_>| -> CliResult<Trial> {
        let mastered = job.master_to(c)?;
        // The codecs hear exactly the samples that will be written.
        let mut writer = AudioWriter::create(&master_file, container, format)?;
        let refs: Vec<&[f32]> = mastered.rendered.iter().map(Vec::as_slice).collect();
        writer.write(&refs)?;
        writer.finish()?;
        let (_, written) = AudioSource::open(&master_file)?.read_all::<f32>()?;
        let readings = round_trips(specs, source, &written, format.sample_rate)?;
        Ok(Trial { ceiling: c, mastered, readings })
    };

    let first = trial(ceiling, job)?;
    let drive_at_ceiling = first.mastered.stage.drive_db;
    report_round(&first, ceiling);
    // The highest passing trial, the lowest ceiling a codec failed at (and the worst peak
    // there), and the highest ceiling the loudness could not be reached under.
    let mut passed: Option<Trial> = None;
    let mut failed: Option<(f64, f64)> = None;
    let mut floor: Option<f64> = None;
    if first.worst_peak() <= ceiling {
        passed = Some(first);
    } else {
        failed = Some((ceiling, first.worst_peak()));
    }
    for _ in 0..MAX_ROUNDS {
        let next = match (&passed, failed) {
            (Some(_), None) => break,
            (Some(p), Some((f, _))) if f - p.ceiling <= RESOLUTION_DB => break,
            (Some(p), Some((f, _))) => 0.5 * (p.ceiling + f),
            (None, Some((f, worst))) => {
                let step = f - (worst - ceiling) - STEP_MARGIN_DB;
                match floor {
                    Some(low) if f - low <= RESOLUTION_DB => break,
                    Some(low) if step <= low + RESOLUTION_DB => 0.5 * (low + f),
                    _ => step,
                }
            }
            (None, None) => unreachable!("the first trial either passed or failed"),
        };
        let next = (next * 1000.0).round() / 1000.0;
        match trial(next, job) {
            Ok(t) => {
                report_round(&t, ceiling);
                let worst = t.worst_peak();
                if worst <= ceiling {
                    passed = Some(t);
                } else if failed.is_none_or(|(f, _)| next < f) {
                    failed = Some((next, worst));
                }
            }
            // Too low to reach the loudness: the search stays above this ceiling.
            Err(CliError::CheckFailed(why)) => {
                println!("trying ceiling {next:.2} dBTP: {why}");
                floor = Some(floor.map_or(next, |low: f64| low.max(next)));
            }
            Err(other) => return Err(other),
        }
    }
    let Some(best) = passed else {
        let (f, worst) = failed.unwrap_or((ceiling, f64::NAN));
        let reason = match floor {
            Some(low) => format!("and under a limiter ceiling of {low:.2} dBTP the loudness target cannot be reached"),
            None => format!("after {MAX_ROUNDS} rounds"),
        };
        return Err(CliError::check(format!(
            "cannot keep every codec under {ceiling:.1} dBTP on target: at a limiter ceiling of {f:.2} dBTP the worst decoded true peak is still {worst:+.2} dBTP, {reason}; nothing written"
        )));
    };
    println!(
        "codec-safe: ceiling {:.2} dBTP ({:.2} dB under the asked {ceiling:.1}); limiter drive {:.2} dB, {:+.2} dB over the master at {ceiling:.1} dBTP",
        best.ceiling,
        ceiling - best.ceiling,
        best.mastered.stage.drive_db,
        best.mastered.stage.drive_db - drive_at_ceiling
    );
    for r in &best.readings {
        println!("  {}", r.line(&best.mastered.reading));
    }
    Ok((best.mastered, best.ceiling))
}

fn report_round(t: &Trial, ceiling: f64) {
    let peaks: Vec<String> =
        t.readings.iter().map(|r| format!("{} {:+.2}", r.spec, r.decoded.reading.true_peak_dbtp)).collect();
    let verdict = if t.worst_peak() <= ceiling { "holds" } else { "over" };
    println!("trying ceiling {:.2} dBTP: decoded true peaks {} dBTP: {verdict}", t.ceiling, peaks.join(", "));
}
