//! Spectrum analysis for the editor's analyzer: a Hann-windowed real FFT of the newest samples,
//! read as fractional-octave band levels at the display's columns (log-spaced frequencies), then
//! smoothed over time (fast attack, slower release) with a held and falling peak per column.
//!
//! Level convention, as on a fractional-octave RTA: a column reads the power in a band
//! `BAND_OCTAVES` (1/6 octave) wide around its frequency, in dB relative to a full-scale sine
//! (AES17 dBFS: a sine of peak 1.0 reads 0 dB at its frequency). Pink noise therefore reads flat
//! and white noise rises 3 dB per octave; no further display tilt is added. The band is weighted
//! by a triangle on linear frequency, 1 at the column's frequency and 0 a sixth of an octave
//! either side: its noise bandwidth is 1/6 octave (within 0.1 %), and a sine shows as a peak at
//! its level rather than a flat 1/6-octave block. Where that band is narrower than the FFT's
//! resolution (the lowest octaves) a column reads the bin spectrum interpolated at its frequency
//! instead, which still reads a sine at a bin centre at its level. In between (about 40 to 250 Hz
//! at 8192 points and 48 kHz) a tone between bins reads up to 1.3 dB low; from 400 Hz up within
//! 0.3 dB.
//!
//! All buffers are sized in `new` and `set_columns`; `update` does not allocate.

use realfft::num_complex::Complex32;
use realfft::{RealFftPlanner, RealToComplex};
use std::f64::consts::PI;
use std::sync::Arc;

/// FFT length at 44.1 and 48 kHz; other rates scale it to keep about 5.9 Hz resolution.
pub const FFT_LEN_AT_48K: usize = 8192;
/// Longest window (the spectrum tap hands over at most half its 32768-sample ring).
pub const MAX_FFT_LEN: usize = 16384;
pub const MIN_FFT_LEN: usize = 4096;
/// Noise bandwidth of each column's band: 1/6 octave (its triangle spans 1/6 octave either side).
pub const BAND_OCTAVES: f64 = 1.0 / 6.0;
/// Levels below this (silence) read as this.
pub const FLOOR_DB: f32 = -160.0;
/// Time constant of the one-pole smoothing (in dB) while a column's level rises.
pub const ATTACK_SECONDS: f32 = 0.01;
/// Time constant while it falls.
pub const RELEASE_SECONDS: f32 = 0.25;
/// A column's peak stays this long after it was last reached...
pub const PEAK_HOLD_SECONDS: f32 = 1.0;
/// ...and then falls at this rate.
pub const PEAK_FALL_DB_PER_SECOND: f32 = 20.0;

/// FFT length for a sample rate: the 48 kHz length scaled with the rate, rounded up to a power of
/// two (44.1 and 48 kHz: 8192; 88.2 and 96 kHz: 16384; higher rates stay at 16384).
pub fn fft_len_for(sample_rate: f64) -> usize {
    let scaled = (FFT_LEN_AT_48K as f64 * sample_rate / 48_000.0).round().max(1.0) as usize;
    scaled.next_power_of_two().clamp(MIN_FFT_LEN, MAX_FFT_LEN)
}

/// One display column's band, in (fractional) FFT bins.
#[derive(Clone, Copy, Debug)]
struct ColumnBand {
    low_bin: f64,
    high_bin: f64,
    centre_bin: f64,
}

impl ColumnBand {
    /// The triangle around `freq_hz`: from a sixth of an octave below to a sixth above.
    fn around(freq_hz: f64, bin_hz: f64) -> Self {
        let half_base = 2f64.powf(BAND_OCTAVES);
        Self { low_bin: freq_hz / half_base / bin_hz, high_bin: freq_hz * half_base / bin_hz, centre_bin: freq_hz / bin_hz }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct ColumnLayout {
    min_freq: f64,
    max_freq: f64,
    count: usize,
}

pub struct SpectrumAnalyzer {
    sample_rate: f64,
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    /// The newest samples, oldest first; the caller fills it before each `update`.
    input: Vec<f32>,
    spectrum: Vec<Complex32>,
    fft_scratch: Vec<Complex32>,
    /// Power per bin, scaled so a full-scale sine centred on a bin reads 1.0 there.
    bin_power: Vec<f64>,
    /// |X|^2 to `bin_power`: |X| of a sine of peak A at a bin centre is A * sum(w) / 2.
    power_scale: f64,
    /// `prefix_power[k]` = sum of `bin_power[..k]` and `prefix_moment[k]` = sum of
    /// `i * bin_power[i]` for `i < k`: triangle-weighted band sums in constant time.
    prefix_power: Vec<f64>,
    prefix_moment: Vec<f64>,
    /// Equivalent noise bandwidth of the window in bins (1.5 for Hann): what a sine's power
    /// spreads over, so a band sum divided by it reads the sine's level.
    noise_bandwidth_bins: f64,
    bin_hz: f64,
    layout: Option<ColumnLayout>,
    columns: Vec<ColumnBand>,
    frame_db: Vec<f32>,
    smoothed_db: Vec<f32>,
    peak_db: Vec<f32>,
    /// Seconds since each column's peak was last reached.
    peak_age: Vec<f32>,
    frames_analyzed: u64,
}

impl SpectrumAnalyzer {
    pub fn new(sample_rate: f64) -> Self {
        let len = fft_len_for(sample_rate);
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(len);
        // Periodic Hann: its bins line up with the FFT's, so a bin-centred sine has no scalloping.
        let window: Vec<f32> = (0..len).map(|n| (0.5 - 0.5 * (2.0 * PI * n as f64 / len as f64).cos()) as f32).collect();
        let sum: f64 = window.iter().map(|&w| f64::from(w)).sum();
        let sum_squares: f64 = window.iter().map(|&w| f64::from(w) * f64::from(w)).sum();
        let bins = len / 2 + 1;
        Self {
            sample_rate,
            input: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            fft_scratch: fft.make_scratch_vec(),
            fft,
            window,
            bin_power: vec![0.0; bins],
            power_scale: (2.0 / sum).powi(2),
            prefix_power: vec![0.0; bins + 1],
            prefix_moment: vec![0.0; bins + 1],
            noise_bandwidth_bins: len as f64 * sum_squares / (sum * sum),
            bin_hz: sample_rate / len as f64,
            layout: None,
            columns: Vec::new(),
            frame_db: Vec::new(),
            smoothed_db: Vec::new(),
            peak_db: Vec::new(),
            peak_age: Vec::new(),
            frames_analyzed: 0,
        }
    }

    pub fn sample_rate(&self) -> f64 {
        self.sample_rate
    }

    pub fn fft_len(&self) -> usize {
        self.window.len()
    }

    pub fn bin_hz(&self) -> f64 {
        self.bin_hz
    }

    /// Where the caller puts the newest `fft_len()` samples, oldest first, before `update`.
    /// `update` overwrites it (the FFT works in place).
    pub fn input_mut(&mut self) -> &mut [f32] {
        &mut self.input
    }

    /// Whether any frame has been analyzed since the columns were laid out.
    pub fn has_frame(&self) -> bool {
        self.frames_analyzed > 0
    }

    /// Makes the next frame set the smoothed levels and peaks directly (after a pause, when
    /// easing in from the old frame would show stale audio).
    pub fn restart_smoothing(&mut self) {
        self.frames_analyzed = 0;
    }

    /// Lays out `count` columns with log-spaced centres from `min_freq` to `max_freq` (column
    /// `i` at `min * (max/min)^((i + 0.5) / count)`, one per pixel column of a plot). Does
    /// nothing when the layout is unchanged; a new layout restarts the smoothing and peaks.
    pub fn set_columns(&mut self, min_freq: f64, max_freq: f64, count: usize) {
        let layout = ColumnLayout { min_freq, max_freq, count };
        if self.layout == Some(layout) {
            return;
        }
        self.layout = Some(layout);
        let ratio = max_freq / min_freq;
        self.columns.clear();
        let bin_hz = self.bin_hz;
        self.columns.extend((0..count).map(|i| ColumnBand::around(min_freq * ratio.powf((i as f64 + 0.5) / count as f64), bin_hz)));
        for levels in [&mut self.frame_db, &mut self.smoothed_db, &mut self.peak_db] {
            levels.clear();
            levels.resize(count, FLOOR_DB);
        }
        self.peak_age.clear();
        self.peak_age.resize(count, 0.0);
        self.frames_analyzed = 0;
    }

    /// Analyzes the samples in `input_mut()` and advances the smoothing and peaks by
    /// `elapsed_seconds` (the audio time since the previous update).
    pub fn update(&mut self, elapsed_seconds: f32) {
        for (sample, w) in self.input.iter_mut().zip(&self.window) {
            *sample *= w;
        }
        self.fft
            .process_with_scratch(&mut self.input, &mut self.spectrum, &mut self.fft_scratch)
            .expect("buffers are made by the FFT plan itself");
        let (mut power_sum, mut moment_sum) = (0.0, 0.0);
        for (k, bin) in self.spectrum.iter().enumerate() {
            let power = f64::from(bin.norm_sqr()) * self.power_scale;
            let power = if power.is_finite() { power } else { 0.0 };
            self.bin_power[k] = power;
            self.prefix_power[k] = power_sum;
            self.prefix_moment[k] = moment_sum;
            power_sum += power;
            moment_sum += k as f64 * power;
        }
        let bins = self.bin_power.len();
        self.prefix_power[bins] = power_sum;
        self.prefix_moment[bins] = moment_sum;

        let first = self.frames_analyzed == 0;
        let dt = elapsed_seconds.max(0.0);
        let attack = 1.0 - (-dt / ATTACK_SECONDS).exp();
        let release = 1.0 - (-dt / RELEASE_SECONDS).exp();
        for i in 0..self.columns.len() {
            let level = self.column_level_db(&self.columns[i]);
            self.frame_db[i] = level;
            let smoothed = &mut self.smoothed_db[i];
            if first {
                *smoothed = level;
            } else {
                let coefficient = if level > *smoothed { attack } else { release };
                *smoothed += (level - *smoothed) * coefficient;
            }
            // The peak stays for the hold time after it was last reached, then falls linearly.
            let previous_age = self.peak_age[i];
            let age = previous_age + dt;
            let falling = (age - previous_age.max(PEAK_HOLD_SECONDS)).max(0.0);
            let fallen = self.peak_db[i] - PEAK_FALL_DB_PER_SECOND * falling;
            if level >= fallen || first {
                self.peak_db[i] = level;
                self.peak_age[i] = 0.0;
            } else {
                self.peak_db[i] = fallen.max(FLOOR_DB);
                self.peak_age[i] = age;
            }
        }
        self.frames_analyzed += 1;
    }

    /// The level this analyzer reads at any frequency in the last analyzed frame, with the same
    /// band and convention as the columns (before time smoothing).
    pub fn level_db_at(&self, freq_hz: f64) -> f32 {
        self.column_level_db(&ColumnBand::around(freq_hz, self.bin_hz))
    }

    /// Level of one bin of the last frame (a full-scale sine centred on it reads 0 dB).
    pub fn bin_db(&self, bin: usize) -> f32 {
        power_to_db(self.bin_power[bin])
    }

    pub fn bin_count(&self) -> usize {
        self.bin_power.len()
    }

    /// Each column's level in the last frame, unsmoothed.
    pub fn frame_db(&self) -> &[f32] {
        &self.frame_db
    }

    /// Each column's level after the attack/release smoothing: what the display draws.
    pub fn smoothed_db(&self) -> &[f32] {
        &self.smoothed_db
    }

    /// Each column's held and falling peak.
    pub fn peak_db(&self) -> &[f32] {
        &self.peak_db
    }

    fn column_level_db(&self, band: &ColumnBand) -> f32 {
        let band_power = self.triangle_sum(band) / self.noise_bandwidth_bins;
        // Below the FFT's resolution the band misses most of a sine's main lobe; the
        // interpolated bin reads it instead.
        let at_centre = self.interpolated_power(band.centre_bin);
        power_to_db(band_power.max(at_centre))
    }

    /// The spectrum (each bin's power spread evenly over `k - 0.5 .. k + 0.5`) integrated against
    /// a triangle rising from `low_bin` to 1 at `centre_bin` and falling to 0 at `high_bin`.
    fn triangle_sum(&self, band: &ColumnBand) -> f64 {
        let ColumnBand { low_bin: low, centre_bin: centre, high_bin: high } = *band;
        let (power_low, moment_low) = self.integrals_to(low);
        let (power_centre, moment_centre) = self.integrals_to(centre);
        let (power_high, moment_high) = self.integrals_to(high);
        let rising = ((moment_centre - moment_low) - low * (power_centre - power_low)) / (centre - low);
        let falling = (high * (power_high - power_centre) - (moment_high - moment_centre)) / (high - centre);
        (rising + falling).max(0.0)
    }

    /// Integrals of the spectrum's density `p(x)` and of `x * p(x)` from the bottom up to `bin`.
    fn integrals_to(&self, bin: f64) -> (f64, f64) {
        let bins = self.bin_power.len();
        let edge = (bin + 0.5).clamp(0.0, bins as f64);
        let whole = (edge.floor() as usize).min(bins);
        let (power, moment) = (self.prefix_power[whole], self.prefix_moment[whole]);
        if whole == bins {
            return (power, moment);
        }
        let density = self.bin_power[whole];
        let (from, to) = (whole as f64 - 0.5, edge - 0.5);
        (power + density * (to - from), moment + density * 0.5 * (to * to - from * from))
    }

    fn interpolated_power(&self, bin: f64) -> f64 {
        let last = self.bin_power.len() - 1;
        let position = bin.clamp(0.0, last as f64);
        let below = (position.floor() as usize).min(last);
        let above = (below + 1).min(last);
        let t = position - below as f64;
        self.bin_power[below] * (1.0 - t) + self.bin_power[above] * t
    }
}

fn power_to_db(power: f64) -> f32 {
    if power > 0.0 { ((10.0 * power.log10()) as f32).max(FLOOR_DB) } else { FLOOR_DB }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals;

    fn analyze(analyzer: &mut SpectrumAnalyzer, samples: &[f64], elapsed_seconds: f32) {
        for (slot, &x) in analyzer.input_mut().iter_mut().zip(samples) {
            *slot = x as f32;
        }
        analyzer.update(elapsed_seconds);
    }

    fn peak_bin(analyzer: &SpectrumAnalyzer) -> usize {
        (0..analyzer.bin_count()).max_by(|&a, &b| analyzer.bin_db(a).total_cmp(&analyzer.bin_db(b))).unwrap()
    }

    #[test]
    fn fft_length_scales_with_the_sample_rate() {
        assert_eq!(fft_len_for(44_100.0), 8192);
        assert_eq!(fft_len_for(48_000.0), 8192);
        assert_eq!(fft_len_for(88_200.0), 16384);
        assert_eq!(fft_len_for(96_000.0), 16384);
        assert_eq!(fft_len_for(192_000.0), MAX_FFT_LEN);
    }

    #[test]
    fn a_sine_reads_its_level_at_its_frequency_and_peaks_in_its_bin() {
        for sample_rate in [44_100.0, 48_000.0, 96_000.0] {
            let mut analyzer = SpectrumAnalyzer::new(sample_rate);
            let bin_hz = analyzer.bin_hz();
            // A bin-centred low tone (its band is narrower than a bin), and tones between bins
            // from where the band spans several bins.
            for (freq, peak_db) in [(6.0 * bin_hz, -6.0), (431.0, -3.0), (1000.0, 0.0), (3210.5, -20.0), (15_000.0, -12.0)] {
                let amplitude = 10f64.powf(peak_db / 20.0);
                let tone = signals::sine(freq, sample_rate, 1.0, amplitude, 0.3);
                analyze(&mut analyzer, &tone, 0.0);
                let level = analyzer.level_db_at(freq);
                assert!(
                    (f64::from(level) - peak_db).abs() <= 0.5,
                    "{freq:.1} Hz at {sample_rate} Hz: read {level:.2} dB, expected {peak_db} dB"
                );
                let peak_freq = peak_bin(&analyzer) as f64 * bin_hz;
                assert!((peak_freq - freq).abs() <= 0.5 * bin_hz, "{freq:.1} Hz peaked at {peak_freq:.1} Hz");
            }
        }
    }

    #[test]
    fn the_column_at_a_tone_reads_its_level() {
        let sample_rate = 48_000.0;
        let mut analyzer = SpectrumAnalyzer::new(sample_rate);
        let (min_freq, max_freq, count) = (10.0, 24_000.0, 800);
        analyzer.set_columns(min_freq, max_freq, count);
        let tone = signals::sine(2500.0, sample_rate, 1.0, 1.0, 0.0);
        analyze(&mut analyzer, &tone, 0.03);
        let column = ((2500f64 / min_freq).ln() / (max_freq / min_freq).ln() * count as f64) as usize;
        assert!(analyzer.frame_db()[column].abs() <= 0.5, "column read {}", analyzer.frame_db()[column]);
        assert!(analyzer.smoothed_db()[column].abs() <= 0.5, "the first frame sets the smoothing");
        // An octave away the tone is out of the band: far below.
        let octave_up = ((5000f64 / min_freq).ln() / (max_freq / min_freq).ln() * count as f64) as usize;
        assert!(analyzer.frame_db()[octave_up] < -60.0, "an octave up read {}", analyzer.frame_db()[octave_up]);
    }

    /// Band levels averaged (in power) over `frames` consecutive windows of `signal`.
    fn average_levels(signal: &[f64], sample_rate: f64, freqs: &[f64], frames: usize) -> Vec<f64> {
        let mut analyzer = SpectrumAnalyzer::new(sample_rate);
        let len = analyzer.fft_len();
        let mut sums = vec![0.0; freqs.len()];
        for frame in signal.chunks_exact(len).take(frames) {
            analyze(&mut analyzer, frame, 0.0);
            for (sum, &f) in sums.iter_mut().zip(freqs) {
                *sum += 10f64.powf(f64::from(analyzer.level_db_at(f)) / 10.0);
            }
        }
        sums.iter().map(|s| 10.0 * (s / frames as f64).log10()).collect()
    }

    #[test]
    fn white_noise_rises_three_db_per_octave_and_pink_noise_reads_flat() {
        let sample_rate = 48_000.0;
        let frames = 40;
        let seconds = (frames * fft_len_for(sample_rate)) as f64 / sample_rate + 0.1;
        let freqs: Vec<f64> = (0..7).map(|k| 250.0 * 2f64.powi(k)).collect();
        let rms = 0.1;

        // Expected white-noise reading: band power 2 * rms^2 * bandwidth / fs, doubled by the
        // full-scale-sine reference.
        let white = average_levels(&signals::white_noise(7, sample_rate, seconds, rms), sample_rate, &freqs, frames);
        let half_band = 2f64.powf(0.5 * BAND_OCTAVES);
        for (&f, &level) in freqs.iter().zip(&white) {
            let bandwidth = f * (half_band - 1.0 / half_band); // 1/6 octave
            let expected = 10.0 * (4.0 * rms * rms * bandwidth / sample_rate).log10();
            assert!((level - expected).abs() <= 1.0, "white noise at {f} Hz read {level:.2} dB, expected {expected:.2}");
        }
        let slope = (white[6] - white[0]) / 6.0;
        assert!((slope - 3.01).abs() <= 0.3, "white noise rose {slope:.2} dB/oct");

        let pink = average_levels(&signals::pink_noise(11, sample_rate, seconds, rms), sample_rate, &freqs, frames);
        let mean = pink.iter().sum::<f64>() / pink.len() as f64;
        for (&f, &level) in freqs.iter().zip(&pink) {
            assert!((level - mean).abs() <= 1.0, "pink noise at {f} Hz read {level:.2} dB against a mean of {mean:.2}");
        }
    }

    #[test]
    fn smoothing_rises_fast_and_falls_with_the_release_time_constant() {
        let sample_rate = 48_000.0;
        let mut analyzer = SpectrumAnalyzer::new(sample_rate);
        analyzer.set_columns(20.0, 20_000.0, 300);
        let len = analyzer.fft_len();
        let silence = vec![0.0; len];
        let tone = signals::sine(1000.0, sample_rate, 1.0, 1.0, 0.0);
        let column = ((1000f64 / 20.0).ln() / 1000f64.ln() * 300.0) as usize;

        analyze(&mut analyzer, &silence, 0.03);
        assert_eq!(analyzer.smoothed_db()[column], FLOOR_DB);
        analyze(&mut analyzer, &tone, 0.05);
        let rise = 1.0 - (-0.05 / ATTACK_SECONDS).exp();
        let expected = FLOOR_DB + (analyzer.frame_db()[column] - FLOOR_DB) * rise;
        assert!((analyzer.smoothed_db()[column] - expected).abs() < 1e-3);
        assert!(analyzer.smoothed_db()[column] > -2.0, "attack is nearly complete within 50 ms");

        let top = analyzer.smoothed_db()[column];
        analyze(&mut analyzer, &silence, 0.1);
        let fall = 1.0 - (-0.1 / RELEASE_SECONDS).exp();
        let expected = top + (FLOOR_DB - top) * fall;
        assert!((analyzer.smoothed_db()[column] - expected).abs() < 1e-3);
    }

    #[test]
    fn peak_holds_then_falls_at_the_stated_rate() {
        let sample_rate = 48_000.0;
        let mut analyzer = SpectrumAnalyzer::new(sample_rate);
        analyzer.set_columns(20.0, 20_000.0, 300);
        let len = analyzer.fft_len();
        let tone = signals::sine(1000.0, sample_rate, 1.0, 0.5, 0.0);
        let silence = vec![0.0; len];
        let column = ((1000f64 / 20.0).ln() / 1000f64.ln() * 300.0) as usize;
        for _ in 0..3 {
            analyze(&mut analyzer, &tone, 0.05);
        }
        let held = analyzer.peak_db()[column];
        assert!((held + 6.02).abs() < 0.5, "peak {held}");

        let step = 0.1f32;
        let mut elapsed = 0.0f32;
        while elapsed < 3.0 - 1e-4 {
            analyze(&mut analyzer, &silence, step);
            elapsed += step;
            let expected = held - PEAK_FALL_DB_PER_SECOND * (elapsed - PEAK_HOLD_SECONDS).max(0.0);
            let peak = analyzer.peak_db()[column];
            assert!((peak - expected).abs() < 1e-3, "after {elapsed:.1} s of silence the peak is {peak}, expected {expected}");
        }
        // A new, higher level replaces the peak at once.
        analyze(&mut analyzer, &tone, 0.05);
        assert!((analyzer.peak_db()[column] - held).abs() < 0.01);
    }

    #[test]
    fn update_does_not_allocate() {
        let mut analyzer = SpectrumAnalyzer::new(48_000.0);
        analyzer.set_columns(10.0, 24_000.0, 1200);
        let tone = signals::sine(440.0, 48_000.0, 0.5, 0.5, 0.0);
        for (slot, &x) in analyzer.input_mut().iter_mut().zip(&tone) {
            *slot = x as f32;
        }
        nice_assert_no_alloc::assert_no_alloc(|| analyzer.update(0.03));
        assert!(analyzer.has_frame());
    }
}
