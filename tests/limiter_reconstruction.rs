//! The true-peak limiter read by an oracle that shares nothing with Keel's true-peak code: a
//! Kaiser-windowed sinc (beta 10, 32x, 96 taps per phase, cutoff at fs/2) written here in f64,
//! beside a BS.1770-4 Annex 2 4x reading convolved here in f64 from the standard's table
//! (only the table is taken from keel_core), and, for information, an ideal band-limited
//! (FFT) reading. Also pins the loudness the limiter leaves on music-like material (a mixed
//! music's spectrum; the aliased synth's cost is printed beside it), and, when ffmpeg with x42-dpl
//! is installed, prints x42-dpl's readings on the same material.

mod common;

use common::{gain_to_db, limiter_signals};
use common::limiter_signals::{
    aliased_synth, clipped_drum_and_bass, music_like, naive_square, quarter_rate_sine, tone_bursts, white_noise,
};
use keel_core::dsp::limiter::{Limiter, LimiterSettings};
use keel_core::dsp::true_peak::BS1770_TAPS;
use realfft::RealFftPlanner;
use std::f64::consts::PI;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

// ---- the reference interpolator ----

const FACTOR: usize = 32;
const TAPS: usize = 96;
const HALF: usize = TAPS / 2;
const BETA: f64 = 10.0;

/// Modified Bessel function of the first kind, order 0 (power series; converges fast for the
/// arguments a Kaiser window needs).
fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term, mut k) = (1.0, 1.0, 1.0);
    while term > 1e-17 * sum {
        term *= (x / (2.0 * k)).powi(2);
        sum += term;
        k += 1.0;
    }
    sum
}

/// Kaiser-windowed sinc at `u` input samples from the interpolated point, window half-width
/// `HALF` samples.
fn windowed_sinc(u: f64) -> f64 {
    let r = u / HALF as f64;
    if r.abs() >= 1.0 {
        return 0.0;
    }
    let sinc = if u == 0.0 { 1.0 } else { (PI * u).sin() / (PI * u) };
    sinc * bessel_i0(BETA * (1.0 - r * r).sqrt()) / bessel_i0(BETA)
}

/// Coefficients laid out `[tap][phase]`: phase `p` reads `x(n + p/32) = sum_j c[j][p] x[n - 47 + j]`.
/// Phase-major lanes let the inner loop run 32 independent sums (vectorises without
/// reassociating f64 additions).
struct Reference {
    coefs: Vec<[f64; FACTOR]>,
}

impl Reference {
    fn new() -> Self {
        let mut coefs = vec![[0.0; FACTOR]; TAPS];
        for p in 0..FACTOR {
            let t = p as f64 / FACTOR as f64;
            for (j, c) in coefs.iter_mut().enumerate() {
                c[p] = windowed_sinc(t + (HALF - 1) as f64 - j as f64);
            }
            // Unit DC gain per phase, so a steady level reads the same at every phase.
            let dc: f64 = coefs.iter().map(|c| c[p]).sum();
            coefs.iter_mut().for_each(|c| c[p] /= dc);
        }
        Self { coefs }
    }

    /// The 32x prototype filter: tap `m` sits at `m/32 - 48` input samples (3072 taps).
    fn prototype(&self) -> Vec<f64> {
        let mut h = vec![0.0; TAPS * FACTOR];
        for (j, c) in self.coefs.iter().enumerate() {
            for (p, &v) in c.iter().enumerate() {
                h[p + FACTOR * (TAPS - 1 - j)] = v;
            }
        }
        h
    }

    /// Largest magnitude at any of the 32 phases, the signal zero-padded at both ends so its
    /// edges ring out in full.
    fn peak(&self, x: &[f32]) -> f64 {
        let mut padded = vec![0.0f64; x.len() + 2 * TAPS];
        padded[TAPS..TAPS + x.len()].iter_mut().zip(x).for_each(|(p, &v)| *p = f64::from(v));
        let mut peak = 0.0f64;
        for window in padded.windows(TAPS) {
            let mut acc = [0.0f64; FACTOR];
            for (&xv, c) in window.iter().zip(&self.coefs) {
                for (a, &cv) in acc.iter_mut().zip(c) {
                    *a += cv * xv;
                }
            }
            peak = acc.iter().fold(peak, |m, v| m.max(v.abs()));
        }
        peak
    }
}

/// BS.1770-4 Annex 2: `y_p[n] = sum_k TAPS[p][k] x[n - k]` over the zero-padded signal, reading
/// max(sample peak, every phase), as a meter displays it.
fn bs1770_peak(x: &[f32]) -> f64 {
    let k_len = BS1770_TAPS[0].len();
    let mut padded = vec![0.0f64; x.len() + 2 * k_len];
    padded[k_len..k_len + x.len()].iter_mut().zip(x).for_each(|(p, &v)| *p = f64::from(v));
    let mut peak = x.iter().fold(0.0f64, |m, &v| m.max(f64::from(v).abs()));
    for window in padded.windows(k_len) {
        // window[k_len - 1] is x[n], window[k_len - 1 - k] is x[n - k].
        for phase in &BS1770_TAPS {
            let y: f64 = phase.iter().enumerate().map(|(k, &c)| c * window[k_len - 1 - k]).sum();
            peak = peak.max(y.abs());
        }
    }
    peak
}

/// Smallest 2^a 3^b 5^c at or above `n` (fast FFT sizes).
fn smooth_len(n: usize) -> usize {
    (n..)
        .find(|&m| {
            let mut r = m;
            for p in [2, 3, 5] {
                while r % p == 0 {
                    r /= p;
                }
            }
            r == 1
        })
        .unwrap()
}

/// Ideal band-limited reading: the spectrum of the zero-padded signal, zero-padded 32x, back to
/// the time domain. Periodic, so 4096 zeros each side keep the wrap-around negligible.
fn ideal_peak(x: &[f32]) -> f64 {
    let pad = 4096;
    // Even, so the Nyquist bin exists; 32n is then smooth too.
    let n = 2 * smooth_len((x.len() + 2 * pad).div_ceil(2));
    let mut planner = RealFftPlanner::<f64>::new();
    let forward = planner.plan_fft_forward(n);
    let mut time = vec![0.0; n];
    time[pad..pad + x.len()].iter_mut().zip(x).for_each(|(t, &v)| *t = f64::from(v));
    let mut spectrum = forward.make_output_vec();
    forward.process(&mut time, &mut spectrum).unwrap();
    let inverse = planner.plan_fft_inverse(n * FACTOR);
    let mut wide = inverse.make_input_vec();
    wide[..n / 2].copy_from_slice(&spectrum[..n / 2]);
    // The Nyquist bin is shared between +fs/2 and -fs/2 once there is room for both.
    wide[n / 2] = spectrum[n / 2] * 0.5;
    wide[0].im = 0.0;
    wide[n / 2].im = 0.0;
    let mut out = inverse.make_output_vec();
    inverse.process(&mut wide, &mut out).unwrap();
    out.iter().fold(0.0f64, |m, v| m.max(v.abs())) / n as f64
}

#[test]
fn the_reference_is_flat_to_0_46_fs_and_rejects_images() {
    let reference = Reference::new();
    let h = reference.prototype();
    // Response on a grid of fs/8192 up to the 32x rate's Nyquist (16 fs).
    let bins_per_fs = 8192;
    let len = FACTOR * bins_per_fs;
    let mut padded = vec![0.0; len];
    padded[..h.len()].copy_from_slice(&h);
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(len);
    let mut spectrum = fft.make_output_vec();
    fft.process(&mut padded, &mut spectrum).unwrap();
    let db: Vec<f64> = spectrum.iter().map(|c| 20.0 * (c.norm() / FACTOR as f64).max(1e-300).log10()).collect();
    let freq = |k: usize| k as f64 / bins_per_fs as f64;
    let bin = |f: f64| (f * bins_per_fs as f64).round() as usize;

    let passband = db[..=bin(0.46)].iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let at_nyquist = db[bin(0.5)];
    let stop_054 = db[bin(0.54)..].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // Where the response actually leaves 0.01 dB, and from where everything stays under -80
    // and -95 dB.
    let flat_to = freq(db.iter().position(|v| v.abs() > 0.01).unwrap() - 1);
    let under = |level: f64| freq(db.iter().rposition(|&v| v > level).unwrap() + 1);
    // One print per test: tests run in parallel and would interleave lines.
    let mut report = format!("reference: Kaiser sinc, beta {BETA}, {FACTOR}x, {TAPS} taps per phase, cutoff fs/2\n");
    writeln!(report, "  passband DC..0.46 fs: worst deviation {passband:.6} dB (within 0.01 dB up to {flat_to:.4} fs)")
        .unwrap();
    writeln!(report, "  response at fs/2: {at_nyquist:.3} dB").unwrap();
    writeln!(
        report,
        "  images at or above 0.54 fs: worst {stop_054:.1} dB (all under -80 dB from {:.4} fs, under -95 dB from {:.4} fs)",
        under(-80.0),
        under(-95.0)
    )
    .unwrap();

    // Both it and the ideal (FFT) reading find band-limited sines' analytic peak: faded at both
    // ends so the reading is the steady part's; a 32x grid can miss the crest by at most
    // cos(pi f / 32 fs). Phases' own responses wobble a little more than the prototype's average,
    // hence 0.001 dB above.
    let (mut low, mut high, mut misses) = (0.0f64, 0.0f64, Vec::new());
    for fs in [44_100.0, 48_000.0, 96_000.0] {
        for freq in [997.0, 10_000.0, 19_997.0, 0.45 * fs] {
            for phase in [0.0, 0.37, 1.1] {
                let x = common::faded_sine(freq, fs, 0.5, phase, 8192, 2048);
                let grid = gain_to_db((PI * freq / fs / FACTOR as f64).cos());
                for (name, reading) in [("reference", reference.peak(&x)), ("ideal", ideal_peak(&x))] {
                    let err = gain_to_db(reading / 0.5);
                    if err > 0.001 || err < grid - 0.001 {
                        misses.push(format!("{fs} Hz: {freq} Hz sine at phase {phase}: {name} reads {err:+.5} dB"));
                    }
                    low = low.min(err);
                    high = high.max(err);
                }
            }
        }
    }
    writeln!(report, "  sines up to 0.45 fs, reference and ideal: {low:+.5} to {high:+.5} dB re their analytic peak")
        .unwrap();
    print!("{report}");
    assert!(misses.is_empty(), "{misses:#?}");

    assert!(passband <= 0.01, "passband deviation {passband} dB");
    assert!((-6.5..=-5.5).contains(&at_nyquist), "{at_nyquist} dB at fs/2");
    assert!(stop_054 <= -80.0, "images above 0.54 fs reach {stop_054} dB");
}

// ---- the limiter under test ----

/// The limiter with these settings over whole signals (`limiter_signals::run`).
fn run(fs: f64, s: &LimiterSettings, left: &[f32], right: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let mut lim = Limiter::new(fs);
    lim.set_params(s);
    limiter_signals::run(&mut lim, left, right)
}

struct Case {
    name: &'static str,
    drive_db: f32,
    left: Vec<f32>,
    right: Vec<f32>,
}

const RATES: [f64; 5] = [44_100.0, 48_000.0, 88_200.0, 96_000.0, 192_000.0];
const CEILINGS: [f32; 3] = [-0.1, -1.0, -3.0];
const SECONDS: f64 = 0.6;

fn cases(fs: f64) -> Vec<Case> {
    let len = (SECONDS * fs) as usize;
    vec![
        Case {
            name: "clipped drums +12",
            drive_db: 12.0,
            left: clipped_drum_and_bass(fs, len, 1),
            right: clipped_drum_and_bass(fs, len, 2),
        },
        // RMS 0 dBFS driven 10 dB: +10 dB RMS over full scale.
        Case {
            name: "white noise +10 RMS",
            drive_db: 10.0,
            left: white_noise(len, 3, 1.0),
            right: white_noise(len, 4, 1.0),
        },
        // At 44.1 kHz 3150 Hz is fs/14, so the 7th harmonic sits exactly on fs/2: the reference
        // weighs it -6 dB there, the FFT reading in full.
        Case {
            name: "naive square 3150 +-1.5",
            drive_db: 0.0,
            left: naive_square(3150.0, fs, 1.5, 0.0, len),
            right: naive_square(3150.0, fs, 1.5, 2.0, len),
        },
        Case {
            name: "12 kHz bursts +12",
            drive_db: 12.0,
            left: tone_bursts(fs, len, 0.0),
            right: tone_bursts(fs, len, 1.0),
        },
        Case {
            name: "fs/4 at 45 deg +12",
            drive_db: 12.0,
            left: quarter_rate_sine(fs, len, 0.0),
            right: quarter_rate_sine(fs, len, 0.3),
        },
        // Energy up to fs/2 far beyond music's: the hard case for overs.
        Case {
            name: "aliased synth +12",
            drive_db: 12.0,
            left: aliased_synth(fs, len, 5),
            right: aliased_synth(fs, len, 6),
        },
        Case { name: "music-like +12", drive_db: 12.0, left: music_like(fs, len, 5), right: music_like(fs, len, 6) },
    ]
}

/// Readings in dB over the ceiling, max over both channels.
#[derive(Clone, Copy)]
struct Over {
    bs1770: f64,
    reference: f64,
    ideal: Option<f64>,
}

fn over(reference: &Reference, left: &[f32], right: &[f32], ceiling_db: f32, ideal: bool) -> Over {
    let read = |x: &[f32]| (bs1770_peak(x), reference.peak(x), ideal.then(|| ideal_peak(x)));
    // One channel per core.
    let ((bl, rl, il), (br, rr, ir)) = std::thread::scope(|s| {
        let other = s.spawn(|| read(right));
        (read(left), other.join().unwrap())
    });
    let db = |a: f64, b: f64| gain_to_db(a.max(b)) - f64::from(ceiling_db);
    Over { bs1770: db(bl, br), reference: db(rl, rr), ideal: il.zip(ir).map(|(a, b)| db(a, b)) }
}

#[test]
fn output_reads_at_or_under_the_ceiling_on_the_reference() {
    let reference = Reference::new();
    let start = std::time::Instant::now();
    let mut table = format!(
        "{:>6}  {:<24} {:>7}  {:>12}  {:>14}  {:>10}\n",
        "rate", "signal", "ceiling", "BS.1770 over", "reference over", "ideal over"
    );
    let (mut worst_bs, mut worst_ref, mut worst_ideal) = (f64::NEG_INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
    let mut worst_ref_case = String::new();
    for fs in RATES {
        for case in cases(fs) {
            for ceiling_db in CEILINGS {
                let s = LimiterSettings { ceiling_db, drive_db: case.drive_db, ..LimiterSettings::default() };
                let (l, r) = run(fs, &s, &case.left, &case.right);
                let o = over(&reference, &l, &r, ceiling_db, true);
                let ideal = o.ideal.unwrap();
                writeln!(
                    table,
                    "{:>6}  {:<24} {:>7.1}  {:>+12.4}  {:>+14.4}  {:>+10.4}",
                    fs, case.name, ceiling_db, o.bs1770, o.reference, ideal
                )
                .unwrap();
                worst_bs = worst_bs.max(o.bs1770);
                worst_ideal = worst_ideal.max(ideal);
                if o.reference > worst_ref {
                    worst_ref = o.reference;
                    worst_ref_case = format!("{fs} Hz, {}, ceiling {ceiling_db} dB", case.name);
                }
            }
        }
    }
    writeln!(
        table,
        "worst over the ceiling: BS.1770 4x {worst_bs:+.5} dB, reference {worst_ref:+.4} dB ({worst_ref_case}), ideal {worst_ideal:+.4} dB (information)"
    )
    .unwrap();
    writeln!(table, "({:.1} s)", start.elapsed().as_secs_f64()).unwrap();
    print!("{table}");
    assert!(worst_bs <= 0.0, "BS.1770 4x reads {worst_bs:+.6} dB over the ceiling");
    assert!(worst_ref <= 0.05, "the reference reads {worst_ref:+.4} dB over the ceiling ({worst_ref_case})");
}

// ---- loudness cost ----

/// Integrated loudness (LUFS, `ebur128`) of the limiter's output on 4 s of `music_like` at
/// 48 kHz, driven +12 dB into a -1 dB ceiling, measured by this test run on the tree of commit
/// 38fffcb (the limiter before the full-band detector) with this signal.
const LOUDNESS_BEFORE_FULL_BAND_LUFS: f64 = -8.927;
/// The same for `aliased_synth`, measured the same way; for information only, as its energy above
/// 20 kHz is far beyond music's.
const ALIASED_SYNTH_LOUDNESS_BEFORE_FULL_BAND_LUFS: f64 = -8.652;

/// Share of both channels' energy above 20 kHz, and the mean power density of each band in dB re
/// the 1-2 kHz octave's (Hann-windowed periodogram), to show how the spectrum falls.
fn spectrum_summary(left: &[f32], right: &[f32], fs: f64) -> String {
    let n = left.len();
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
    let mut power = vec![0.0; n / 2 + 1];
    for x in [left, right] {
        let mut time: Vec<f64> =
            x.iter().enumerate().map(|(i, &v)| f64::from(v) * (PI * i as f64 / n as f64).sin().powi(2)).collect();
        let mut spectrum = fft.make_output_vec();
        fft.process(&mut time, &mut spectrum).unwrap();
        power.iter_mut().zip(&spectrum).for_each(|(p, c)| *p += c.norm_sqr());
    }
    let bin = |f: f64| ((f * n as f64 / fs).round() as usize).min(n / 2);
    let total: f64 = power.iter().sum();
    let above_20k: f64 = power[bin(20_000.0)..].iter().sum::<f64>() / total;
    let density = |lo: f64, hi: f64| {
        let band = &power[bin(lo)..bin(hi)];
        band.iter().sum::<f64>() / band.len() as f64
    };
    let reference = density(1_000.0, 2_000.0);
    let bands = [(2.0, 4.0), (4.0, 8.0), (8.0, 16.0), (16.0, 20.0), (20.0, fs / 2000.0)]
        .iter()
        .map(|&(lo, hi)| format!("{lo}-{hi}k {:+.1}", 10.0 * (density(lo * 1e3, hi * 1e3) / reference).log10()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "energy above 20 kHz {:.2e} ({:.1} dB); power density re 1-2 kHz (dB): {bands}",
        above_20k,
        10.0 * above_20k.log10()
    )
}

#[test]
fn full_band_detection_costs_at_most_0_1_lu() {
    let fs = 48_000.0;
    let len = (4.0 * fs) as usize;
    let s = LimiterSettings { ceiling_db: -1.0, drive_db: 12.0, ..LimiterSettings::default() };
    let integrated = |l: &[f32], r: &[f32]| {
        let mut meter = ebur128::EbuR128::new(2, fs as u32, ebur128::Mode::I).unwrap();
        meter.add_frames_planar_f32(&[l, r]).unwrap();
        meter.loudness_global().unwrap()
    };
    let gain = common::db_to_gain(12.0) as f32;
    let mut report = String::from("loudness cost, 48 kHz, +12 dB into -1 dBTP, integrated (ebur128):\n");
    let mut music_cost = f64::NAN;
    let signals: [(&str, fn(f64, usize, u64) -> Vec<f32>, f64); 2] = [
        ("music-like", music_like, LOUDNESS_BEFORE_FULL_BAND_LUFS),
        ("aliased synth (information)", aliased_synth, ALIASED_SYNTH_LOUDNESS_BEFORE_FULL_BAND_LUFS),
    ];
    for (name, make, before) in signals {
        let (left, right) = (make(fs, len, 5), make(fs, len, 6));
        let (l, r) = run(fs, &s, &left, &right);
        let driven: (Vec<f32>, Vec<f32>) =
            (left.iter().map(|v| v * gain).collect(), right.iter().map(|v| v * gain).collect());
        let input_lufs = integrated(&driven.0, &driven.1);
        let output_lufs = integrated(&l, &r);
        let cost = output_lufs - before;
        let peak = left.iter().chain(&right).fold(0.0f64, |m, &v| m.max(f64::from(v).abs()));
        writeln!(
            report,
            "  {name} (sample peak {:+.2} dBFS before drive): driven input {input_lufs:.4} LUFS, output {output_lufs:.4} LUFS, 38fffcb's {before:.3} LUFS: {cost:+.3} LU",
            gain_to_db(peak)
        )
        .unwrap();
        writeln!(report, "    {}", spectrum_summary(&left, &right, fs)).unwrap();
        if name == "music-like" {
            music_cost = cost;
        }
    }
    print!("{report}");
    assert!(music_cost.abs() <= 0.1, "music-like output is {music_cost:+.3} LU from 38fffcb's");
}

// ---- x42-dpl beside Keel (information only) ----


/// Stereo 32-bit float WAV (plain or extensible format tag), as ffmpeg writes it.
fn read_wav_f32(path: &Path) -> Result<(Vec<f32>, Vec<f32>), String> {
    let b = std::fs::read(path).map_err(|e| e.to_string())?;
    if b.len() < 12 || &b[..4] != b"RIFF" || &b[8..12] != b"WAVE" {
        return Err("not a RIFF/WAVE file".into());
    }
    let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let (mut at, mut float_stereo) = (12, false);
    while at + 8 <= b.len() {
        let size = u32_at(at + 4) as usize;
        let body = at + 8;
        match &b[at..at + 4] {
            b"fmt " => {
                let tag = if u16_at(body) == 0xFFFE { u16_at(body + 24) } else { u16_at(body) };
                float_stereo = tag == 3 && u16_at(body + 2) == 2 && u16_at(body + 14) == 32;
            }
            b"data" if float_stereo => {
                let end = (body + size).min(b.len());
                let samples: Vec<f32> =
                    b[body..end].chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
                return Ok((
                    samples.iter().step_by(2).copied().collect(),
                    samples.iter().skip(1).step_by(2).copied().collect(),
                ));
            }
            b"data" => return Err("data before a stereo float fmt chunk".into()),
            _ => {}
        }
        at = body + size + (size & 1);
    }
    Err("no data chunk".into())
}

/// Why the x42 comparison cannot run here, if it cannot.
fn x42_missing() -> Option<String> {
    let filters = Command::new("ffmpeg").args(["-hide_banner", "-filters"]).output();
    match filters {
        Err(e) => Some(format!("ffmpeg is not on PATH ({e})")),
        Ok(out)
            if !String::from_utf8_lossy(&out.stdout).lines().any(|l| l.split_whitespace().nth(1) == Some("lv2")) =>
        {
            Some("this ffmpeg has no lv2 filter".into())
        }
        _ if !Path::new("/usr/lib/lv2/dpl.lv2").is_dir() => {
            Some("x42-dpl is not installed (/usr/lib/lv2/dpl.lv2)".into())
        }
        _ => None,
    }
}

#[test]
fn x42_dpl_beside_keel_for_information() {
    if let Some(why) = x42_missing() {
        println!("\n**** x42-dpl comparison SKIPPED: {why} ****\n");
        return;
    }
    let fs = 48_000.0;
    let reference = Reference::new();
    let dir: PathBuf = std::env::temp_dir().join(format!("keel-x42-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut table =
        String::from("48 kHz, dB over the ceiling (x42-dpl: default 10 ms release, true-peak mode; Keel: 50 ms)\n");
    writeln!(
        table,
        "{:<24} {:>7}  {:>13} {:>13}  {:>13} {:>13}",
        "signal", "ceiling", "Keel BS.1770", "Keel ref", "x42 BS.1770", "x42 ref"
    )
    .unwrap();
    for case in cases(fs) {
        let gain = common::db_to_gain(f64::from(case.drive_db));
        // 0.1 s of silence after the programme so x42's lookahead delay lets the tail out.
        let tail = (0.1 * fs) as usize;
        let drive = |x: &[f32]| -> Vec<f32> {
            x.iter().map(|&v| (f64::from(v) * gain) as f32).chain(std::iter::repeat_n(0.0, tail)).collect()
        };
        let input = dir.join("in.wav");
        common::write_stereo_f32_wav(&input, fs as u32, &drive(&case.left), &drive(&case.right)).unwrap();
        for ceiling_db in CEILINGS {
            let s = LimiterSettings { ceiling_db, drive_db: case.drive_db, ..LimiterSettings::default() };
            let (l, r) = run(fs, &s, &case.left, &case.right);
            let keel = over(&reference, &l, &r, ceiling_db, false);
            let output = dir.join("out.wav");
            let filter = format!("lv2=p=http\\\\://gareus.org/oss/lv2/dpl#stereo:c=threshold={ceiling_db}|truepeak=1");
            let status = Command::new("ffmpeg")
                .args(["-nostdin", "-v", "error", "-y", "-i"])
                .arg(&input)
                .args(["-af", &filter, "-c:a", "pcm_f32le"])
                .arg(&output)
                .status();
            let x42 = match status {
                Ok(st) if st.success() => {
                    read_wav_f32(&output).map(|(xl, xr)| over(&reference, &xl, &xr, ceiling_db, false))
                }
                Ok(st) => Err(format!("ffmpeg exited with {st}")),
                Err(e) => Err(e.to_string()),
            };
            let row = match x42 {
                Ok(x) => format!(
                    "{:<24} {:>7.1}  {:>+13.4} {:>+13.4}  {:>+13.4} {:>+13.4}",
                    case.name, ceiling_db, keel.bs1770, keel.reference, x.bs1770, x.reference
                ),
                Err(e) => format!(
                    "{:<24} {:>7.1}  {:>+13.4} {:>+13.4}  x42 failed: {e}",
                    case.name, ceiling_db, keel.bs1770, keel.reference
                ),
            };
            writeln!(table, "{row}").unwrap();
        }
    }
    print!("{table}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn wav_round_trip() {
    // The x42 comparison's reader must read back what the writer wrote, bit for bit.
    let path = std::env::temp_dir().join(format!("keel-wav-{}.wav", std::process::id()));
    let (l, r) = (white_noise(1001, 1, 3.0), white_noise(1001, 2, 0.1));
    common::write_stereo_f32_wav(&path, 48_000, &l, &r).unwrap();
    let back = read_wav_f32(&path);
    let _ = std::fs::remove_file(&path);
    assert!(back.unwrap() == (l, r));
}
