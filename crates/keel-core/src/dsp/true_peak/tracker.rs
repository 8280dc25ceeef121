//! The running true-peak maximum the loudness meter keeps, and offline true peaks of whole
//! signals.

use super::bs1770::{self, BS1770_FACTOR, BS1770_TAPS_PER_PHASE};
use super::design::{CentreBound, HALF_BAND_TAPS, ROUNDING_MARGIN, ReconstructorDesign, TWO_X, WINDOW, max_phase_l1};
use super::interpolators::{Bs1770Interpolator, Reconstructor, sanitize};
use super::kernel::{self, BLOCK, BLOCK_TWO_X};
use crate::dsp::cpu::{self, SimdLevel};

/// Running maximum of one channel's full-band reconstruction ([`Reconstructor`]), running the
/// interpolation only where it could raise the maximum.
///
/// Samples go through in blocks of up to [`BLOCK`]. Three checks, each exact:
/// 1. A block whose whole window stays under `peak / l1` of the composite filter is skipped.
/// 2. Otherwise the 2x stream (the half-band) is computed for each run of [`SUB_BLOCK`]
///    intervals where the [`CentreBound`] of one of them exceeds `(1 - 1e-5) * peak`; the rest
///    of the stream stays zero.
/// 3. An interval is interpolated only if the second stage's L1 norm times the largest |y| of
///    its 2x stream exceeds `(1 - 1e-5) * peak`.
///
/// The margins exceed the f32 rounding of the dot products, so every skipped interval provably
/// stays at or below the running peak: the result is identical to running the interpolator
/// everywhere, for any block segmentation, and bit-identical to the limiter's detector (same
/// kernel).
#[derive(Clone, Debug)]
pub struct TruePeakTracker {
    design: ReconstructorDesign,
    centre_bound: CentreBound,
    half_band: [f32; HALF_BAND_TAPS],
    fine: Box<[f32]>,
    composite_l1: f32,
    fine_l1: f32,
    /// The last `WINDOW - 1` samples, then room for one block.
    history: Box<[f32]>,
    peak: f32,
    peak_limit: f32,
    level: SimdLevel,
    /// Interval evaluations actually run (for tests and benches).
    evaluations: u64,
}

impl TruePeakTracker {
    pub fn new(sample_rate: f64) -> Self {
        let reconstructor = Reconstructor::new(sample_rate);
        let design = reconstructor.design();
        let fine = design.fine_coefficients().into_boxed_slice();
        let margin = 1.0 + ROUNDING_MARGIN;
        Self {
            design,
            centre_bound: CentreBound::new(&design),
            half_band: design.half_band_coefficients(),
            fine_l1: (max_phase_l1(&fine, design.fine_factor) * margin) as f32,
            fine,
            composite_l1: (reconstructor.l1_norm() * margin) as f32,
            history: vec![0.0; WINDOW - 1 + BLOCK].into_boxed_slice(),
            peak: 0.0,
            peak_limit: 0.0,
            level: cpu::level(),
            evaluations: 0,
        }
    }

    pub fn reset(&mut self) {
        self.history.fill(0.0);
        self.set_peak(0.0);
        self.evaluations = 0;
    }

    /// Samples between a processed sample and the end of the last interval read (the
    /// reconstruction's latency).
    pub fn latency(&self) -> usize {
        WINDOW / 2 - 1
    }

    /// Largest interpolated `|value|` so far, through the sample [`Self::latency`] behind the
    /// input. It includes the samples themselves up to that point. Linear, not dB.
    pub fn peak(&self) -> f32 {
        self.peak
    }

    /// [`Self::peak`] including the positions still in the window and the ringing after the
    /// last sample, as if zeros followed. For the end of a file; does not change the state.
    pub fn peak_with_tail(&self) -> f32 {
        let mut scratch = [0.0f32; 2 * WINDOW];
        scratch[1..WINDOW].copy_from_slice(&self.history[..WINDOW - 1]);
        (1..WINDOW)
            .map(|shift| {
                let y = kernel::two_x_stream(&self.half_band, &scratch[shift..shift + WINDOW]);
                kernel::fine_peak(self.level, self.design.fine_factor, &self.fine, &y)
            })
            .fold(self.peak, f32::max)
    }

    pub fn evaluations(&self) -> u64 {
        self.evaluations
    }

    fn set_peak(&mut self, peak: f32) {
        self.peak = peak;
        self.peak_limit = limit_for(peak);
    }

    pub fn process(&mut self, samples: &[f32]) {
        for block in samples.chunks(BLOCK) {
            let n = block.len();
            for (h, &x) in self.history[WINDOW - 1..WINDOW - 1 + n]
                .iter_mut()
                .zip(block)
            {
                *h = sanitize(x);
            }
            let window_peak = crate::dsp::level::peak(&self.history[..WINDOW - 1 + n]);
            if window_peak * self.composite_l1 > self.peak_limit {
                match self.level {
                    // SAFETY: `level` comes from `cpu::level`, which reports AVX2 and up only on
                    // a CPU that has them.
                    #[cfg(target_arch = "x86_64")]
                    SimdLevel::Avx2 | SimdLevel::Avx512 => unsafe { self.scan_avx2(n, window_peak) },
                    _ => self.scan(n, window_peak),
                }
            }
            self.history.copy_within(n..n + WINDOW - 1, 0);
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn scan_avx2(&mut self, n: usize, window_peak: f32) {
        self.scan(n, window_peak);
    }

    /// The `n` intervals the newest `n` samples of the history complete; `window_peak` is the
    /// largest |x| over their windows.
    #[inline(always)]
    fn scan(&mut self, n: usize, window_peak: f32) {
        let bounds = self.centre_bound.of_intervals::<BLOCK>(&self.history, window_peak);
        // Bounds past `n` (stale history) only ever mark a run needed, and no run past `n` is.
        let (runs, _) = bounds.as_chunks::<SUB_BLOCK>();
        let needed: [bool; BLOCK / SUB_BLOCK] =
            std::array::from_fn(|run| run * SUB_BLOCK < n && kernel::max_abs(&runs[run]) > self.peak_limit);
        // Each stretch of needed runs gets its 2x stream in its place in the block's; the rest
        // stays zero.
        let mut y = [0.0f32; BLOCK_TWO_X];
        let mut any = false;
        let mut run = 0;
        while run < needed.len() {
            if !needed[run] {
                run += 1;
                continue;
            }
            let start = run;
            while run < needed.len() && needed[run] {
                run += 1;
            }
            let (first, end) = (start * SUB_BLOCK, (run * SUB_BLOCK).min(n));
            let count = end - first;
            let stream = &mut y[2 * first..2 * first + kernel::two_x_len(count)];
            kernel::two_x_block(&self.half_band, &self.history[first..first + WINDOW - 1 + count], count, stream);
            any = true;
        }
        if !any {
            return;
        }
        if self.fine_l1 * crate::dsp::level::peak(&y[..2 * n + TWO_X - 1]) <= self.peak_limit {
            return;
        }
        // The 2x samples are points of the reconstruction (each half's last phase is exactly its
        // centre sample), so the block's largest one is a value the interpolation would return:
        // take it first, and fewer intervals can still beat the peak.
        let on_grid = crate::dsp::level::peak(&y[8..2 * n + 8]);
        if on_grid > self.peak {
            self.set_peak(on_grid);
        }
        let mut window_peaks = [0.0f32; BLOCK];
        kernel::two_x_window_peaks(&y, n, &mut window_peaks);
        // An interval of a run left out may read part of a computed stream: it stays under the
        // peak (its bound said so), and is not evaluated on a stream half zero.
        for (peaks, &needed) in window_peaks.chunks_mut(SUB_BLOCK).zip(&needed) {
            if !needed {
                peaks.fill(0.0);
            }
        }
        macro_rules! run {
            ($lanes:literal) => {{
                let (rows, _) = self.fine.as_chunks::<$lanes>();
                for i in 0..n {
                    if self.fine_l1 * window_peaks[i] <= self.peak_limit {
                        continue;
                    }
                    let two_x = &y[2 * i..2 * i + TWO_X];
                    self.evaluations += 1;
                    let [early, late] = kernel::fine_phases_rows::<$lanes>(rows, two_x);
                    let value = kernel::max_abs(&early).max(kernel::max_abs(&late));
                    if value > self.peak {
                        self.peak = value;
                        self.peak_limit = limit_for(value);
                    }
                }
            }};
        }
        match self.design.fine_factor {
            16 => run!(16),
            _ => run!(8),
        }
    }
}

/// Intervals the second check decides on together: one of the half-band's widest groups.
const SUB_BLOCK: usize = 32;
const _: () = assert!(BLOCK % SUB_BLOCK == 0);

/// Largest bound an interval may have and still provably stay under `peak`.
#[inline(always)]
fn limit_for(peak: f32) -> f32 {
    ((1.0 - ROUNDING_MARGIN) * f64::from(peak)) as f32
}

/// Running maximum of the BS.1770 Annex 2 interpolation of one channel (the samples
/// themselves are not included: the meter adds its sample peak).
///
/// No Annex 2 value exceeds `l1 * max |x|` over its 12-sample window, so a sample can only
/// raise the maximum while a sample above `peak / l1` is in the window: elsewhere the filter
/// only takes the samples in. Where one is, [`HOT_GROUP`] intervals are interpolated at once
/// (any of them that did not need it stays under the peak anyway). The result is identical to
/// interpolating everywhere.
#[derive(Clone, Debug)]
pub struct Bs1770Tracker {
    interp: Bs1770Interpolator,
    rows: [[f32; BS1770_FACTOR]; BS1770_TAPS_PER_PHASE],
    l1: f64,
    peak: f32,
    /// Sample index (from the first sample processed) of the interval that holds the peak.
    peak_at: u64,
    /// Samples processed so far.
    processed: u64,
    threshold: f32,
    countdown: usize,
    level: SimdLevel,
}

/// Intervals interpolated together once a hot sample is in the window: the windows are the
/// lanes of [`kernel::bs1770_group_peaks`], which costs less for eight than a lone window does.
const HOT_GROUP: usize = 8;

impl Bs1770Tracker {
    pub fn new(sample_rate: f64) -> Self {
        Self {
            interp: Bs1770Interpolator::new(sample_rate),
            rows: bs1770::window_rows(),
            l1: max_phase_l1(&bs1770::window_coefficients(), BS1770_FACTOR) * (1.0 + ROUNDING_MARGIN),
            peak: 0.0,
            peak_at: 0,
            processed: 0,
            threshold: 0.0,
            countdown: 0,
            level: cpu::level(),
        }
    }

    pub fn reset(&mut self) {
        self.interp.reset();
        self.peak = 0.0;
        self.peak_at = 0;
        self.processed = 0;
        self.threshold = 0.0;
        self.countdown = 0;
    }

    /// [`Self::peak_with_tail`] and where it is: the sample index (counted from the first
    /// sample processed) at the end of the interval that holds it; the last sample for the tail.
    pub fn peak_with_tail_at(&self) -> (f32, u64) {
        let tail = self.interp.tail_max();
        if tail > self.peak { (tail, self.processed.saturating_sub(1)) } else { (self.peak, self.peak_at) }
    }

    /// Largest interpolated `|value|` so far (linear), up to the interval the filter's latency
    /// allows.
    pub fn peak(&self) -> f32 {
        self.peak
    }

    /// [`Self::peak`] including the ringing after the last sample, as if zeros followed.
    pub fn peak_with_tail(&self) -> f32 {
        self.peak_with_tail_at().0
    }

    pub fn process(&mut self, samples: &[f32]) {
        let mut i = 0;
        while i < samples.len() {
            if self.countdown == 0 {
                let run = cold_run_length(&samples[i..], self.threshold);
                if run > 0 {
                    let start = (i + run).saturating_sub(BS1770_TAPS_PER_PHASE).max(i);
                    for &x in &samples[start..i + run] {
                        self.interp.write(x);
                    }
                    i += run;
                    self.processed += run as u64;
                    continue;
                }
            }
            let n = (samples.len() - i).min(HOT_GROUP);
            self.hot_group(&samples[i..i + n]);
            i += n;
        }
    }

    /// Interpolates the intervals `samples` (at most [`HOT_GROUP`]) complete, in order.
    fn hot_group(&mut self, samples: &[f32]) {
        // The window of the first interval's predecessor, then the new samples.
        const HISTORY: usize = BS1770_TAPS_PER_PHASE - 1;
        let mut x = [0.0f32; HISTORY + HOT_GROUP];
        x[..HISTORY].copy_from_slice(&self.interp.window()[1..]);
        for (slot, &sample) in x[HISTORY..].iter_mut().zip(samples) {
            *slot = sanitize(sample);
        }
        let values = match self.level {
            // SAFETY: `level` comes from `cpu::level`, which reports AVX2 and up only on a CPU
            // that has them.
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx2 | SimdLevel::Avx512 => unsafe { group_peaks_avx2(&self.rows, &x) },
            _ => kernel::bs1770_group_peaks::<HOT_GROUP>(&self.rows, &x),
        };
        for (&sample, &value) in x[HISTORY..].iter().zip(&values).take(samples.len()) {
            if sample.abs() > self.threshold {
                self.countdown = BS1770_TAPS_PER_PHASE;
            }
            self.interp.write(sample);
            self.processed += 1;
            if value > self.peak {
                self.peak_at = self.processed.saturating_sub(1 + Bs1770Interpolator::LATENCY as u64);
                self.peak = value;
                self.threshold = (f64::from(value) / self.l1) as f32;
            }
            self.countdown = self.countdown.saturating_sub(1);
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn group_peaks_avx2(rows: &[[f32; BS1770_FACTOR]; BS1770_TAPS_PER_PHASE], x: &[f32]) -> [f32; HOT_GROUP] {
    kernel::bs1770_group_peaks::<HOT_GROUP>(rows, x)
}

/// Both true-peak maxima of one channel (linear, samples not included).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TruePeaks {
    /// BS.1770 Annex 2 4x interpolation: what platforms and the target table use.
    pub bs1770: f32,
    /// Sample index where the BS.1770 peak is (see [`Bs1770Tracker::peak_with_tail_at`]).
    pub bs1770_at: u64,
    /// The full-band reconstruction (a DAC's view).
    pub reconstructed: f32,
}

impl TruePeaks {
    /// The larger of each (and where the larger BS.1770 peak is).
    pub fn max(self, other: Self) -> Self {
        let (bs1770, bs1770_at) = if other.bs1770 > self.bs1770 {
            (other.bs1770, other.bs1770_at)
        } else {
            (self.bs1770, self.bs1770_at)
        };
        Self {
            bs1770,
            bs1770_at,
            reconstructed: self.reconstructed.max(other.reconstructed),
        }
    }
}

/// Both running maxima of one channel: what the loudness meter keeps per channel.
#[derive(Clone, Debug)]
pub struct ChannelTruePeaks {
    bs1770: Bs1770Tracker,
    reconstructed: TruePeakTracker,
}

impl ChannelTruePeaks {
    pub fn new(sample_rate: f64) -> Self {
        Self {
            bs1770: Bs1770Tracker::new(sample_rate),
            reconstructed: TruePeakTracker::new(sample_rate),
        }
    }

    pub fn reset(&mut self) {
        self.bs1770.reset();
        self.reconstructed.reset();
    }

    pub fn process(&mut self, samples: &[f32]) {
        self.bs1770.process(samples);
        self.reconstructed.process(samples);
    }

    /// Samples by which the live readings trail the input (the longer of the two).
    pub fn latency(&self) -> usize {
        self.reconstructed
            .latency()
            .max(Bs1770Interpolator::LATENCY)
    }

    pub fn peaks(&self) -> TruePeaks {
        TruePeaks {
            bs1770: self.bs1770.peak(),
            bs1770_at: self.bs1770.peak_at,
            reconstructed: self.reconstructed.peak(),
        }
    }

    /// Including the ringing after the last sample, as if zeros followed.
    pub fn peaks_with_tail(&self) -> TruePeaks {
        let (bs1770, bs1770_at) = self.bs1770.peak_with_tail_at();
        TruePeaks { bs1770, bs1770_at, reconstructed: self.reconstructed.peak_with_tail() }
    }
}

/// Number of leading samples with `|x| <= threshold` (NaN counts as cold: it is written as 0).
/// A whole chunk is tested at once (a branch-free compare the compiler vectorises), then the
/// samples of the first chunk that fails one by one.
#[inline]
fn cold_run_length(samples: &[f32], threshold: f32) -> usize {
    const CHUNK: usize = 16;
    let cold = |x: &f32| !(x.abs() > threshold);
    let (chunks, _) = samples.as_chunks::<CHUNK>();
    let mut n = 0;
    for chunk in chunks {
        if !chunk.iter().fold(true, |all, x| all & cold(x)) {
            break;
        }
        n += CHUNK;
    }
    n + samples[n..].iter().take_while(|x| cold(x)).count()
}

/// Offline true peak (linear) of a whole signal with the [`Reconstructor`], zero-padded so the
/// last samples and the ringing after them are included. For tests and tools.
pub fn true_peak_of(samples: &[f32], sample_rate: f64) -> f32 {
    let mut interp = Reconstructor::new(sample_rate);
    let mut peak = 0.0f32;
    for &x in samples {
        peak = peak.max(interp.push(x));
    }
    peak.max(interp.tail_max())
}

/// Offline true peak (linear) with the BS.1770 Annex 2 filter, zero-padded to flush; the input
/// samples themselves are not included (take the max with the sample peak if wanted).
pub fn bs1770_true_peak_of(samples: &[f32], sample_rate: f64) -> f32 {
    let mut interp = Bs1770Interpolator::new(sample_rate);
    let mut peak = 0.0f32;
    for &x in samples
        .iter()
        .chain(std::iter::repeat_n(&0.0, BS1770_TAPS_PER_PHASE))
    {
        peak = peak.max(interp.push(x));
    }
    peak
}
