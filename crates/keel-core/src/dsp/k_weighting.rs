//! BS.1770 K-weighting at any sample rate: the high-shelf "pre-filter" and the RLB high-pass,
//! designed from their analog prototypes by the prewarped bilinear transform (the parameters
//! libebur128, the `ebur128` crate and FFmpeg share; at 48 kHz they reproduce the standard's
//! Tables 1 and 2 to 1e-15), and run in f64.
//!
//! As in those implementations, the high-pass numerator is `1, -2, 1` at every rate, so its
//! passband gain is `1 + K/Q + K^2` (`K = tan(pi f0 / fs)`): +0.043 dB at 48 kHz, which the
//! -0.691 constant absorbs, but +0.26 dB at 8 kHz and +0.005 dB at 384 kHz. Keeping it makes
//! readings agree with those meters at every rate.
//!
//! The filter is a cascade of two direct-form-I sections with the channels as lanes: the
//! feedback path of each section is then one multiply and one add long, and independent
//! channels fill the vector units instead of waiting on each other.

use std::f64::consts::PI;

const SHELF_HZ: f64 = 1681.974450955533;
const SHELF_Q: f64 = 0.7071752369554196;
const SHELF_GAIN_DB: f64 = 3.999843853973347;
const SHELF_VB_EXPONENT: f64 = 0.4996667741545416;
const HIGH_PASS_HZ: f64 = 38.13547087602444;
const HIGH_PASS_Q: f64 = 0.5003270373238773;

/// Filter states below this (-600 dBFS) are set to zero at block boundaries so long silences do
/// not decay into denormals; the effect on any reading is below 1e-50 LU.
const DENORMAL_FLOOR: f64 = 1e-30;

/// One biquad, `a0 = 1`: `y = b0 x + b1 x1 + b2 x2 - a1 y1 - a2 y2`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Section {
    pub b0: f64,
    pub b1: f64,
    pub b2: f64,
    pub a1: f64,
    pub a2: f64,
}

impl Section {
    /// Complex response at `freq` Hz, returned as (re, im).
    fn response(&self, freq: f64, sample_rate: f64) -> (f64, f64) {
        let w = 2.0 * PI * freq / sample_rate;
        let (c1, s1, c2, s2) = (w.cos(), -w.sin(), (2.0 * w).cos(), -(2.0 * w).sin());
        let (num_re, num_im) = (
            self.b0 + self.b1 * c1 + self.b2 * c2,
            self.b1 * s1 + self.b2 * s2,
        );
        let (den_re, den_im) = (
            1.0 + self.a1 * c1 + self.a2 * c2,
            self.a1 * s1 + self.a2 * s2,
        );
        let den = den_re * den_re + den_im * den_im;
        (
            (num_re * den_re + num_im * den_im) / den,
            (num_im * den_re - num_re * den_im) / den,
        )
    }
}

/// Both K-weighting sections for one sample rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KWeightingCoeffs {
    pub sample_rate: f64,
    pub shelf: Section,
    /// Numerator is always `1, -2, 1`, as in the standard.
    pub high_pass: Section,
}

/// K-weighting coefficients for `sample_rate` (any rate; tested from 8 kHz to 384 kHz).
pub fn design(sample_rate: f64) -> KWeightingCoeffs {
    let k = (PI * SHELF_HZ / sample_rate).tan();
    let vh = 10f64.powf(SHELF_GAIN_DB / 20.0);
    let vb = vh.powf(SHELF_VB_EXPONENT);
    let a0 = 1.0 + k / SHELF_Q + k * k;
    let shelf = Section {
        b0: (vh + vb * k / SHELF_Q + k * k) / a0,
        b1: 2.0 * (k * k - vh) / a0,
        b2: (vh - vb * k / SHELF_Q + k * k) / a0,
        a1: 2.0 * (k * k - 1.0) / a0,
        a2: (1.0 - k / SHELF_Q + k * k) / a0,
    };
    let k = (PI * HIGH_PASS_HZ / sample_rate).tan();
    let a0 = 1.0 + k / HIGH_PASS_Q + k * k;
    let high_pass = Section {
        b0: 1.0,
        b1: -2.0,
        b2: 1.0,
        a1: 2.0 * (k * k - 1.0) / a0,
        a2: (1.0 - k / HIGH_PASS_Q + k * k) / a0,
    };
    KWeightingCoeffs {
        sample_rate,
        shelf,
        high_pass,
    }
}

impl KWeightingCoeffs {
    /// Exact magnitude response (linear) of the cascade at `freq` Hz.
    pub fn magnitude(&self, freq: f64) -> f64 {
        let (ar, ai) = self.shelf.response(freq, self.sample_rate);
        let (br, bi) = self.high_pass.response(freq, self.sample_rate);
        (ar * br - ai * bi).hypot(ar * bi + ai * br)
    }

    pub fn magnitude_db(&self, freq: f64) -> f64 {
        20.0 * self.magnitude(freq).log10()
    }
}

/// K-weighting filter state for `N` channels run as lanes.
#[derive(Clone, Debug)]
pub struct KWeighting<const N: usize> {
    coeffs: KWeightingCoeffs,
    x1: [f64; N],
    x2: [f64; N],
    /// Shelf output history (the high-pass input).
    u1: [f64; N],
    u2: [f64; N],
    y1: [f64; N],
    y2: [f64; N],
}

impl<const N: usize> KWeighting<N> {
    pub fn new(sample_rate: f64) -> Self {
        let zero = [0.0; N];
        Self {
            coeffs: design(sample_rate),
            x1: zero,
            x2: zero,
            u1: zero,
            u2: zero,
            y1: zero,
            y2: zero,
        }
    }

    pub fn coeffs(&self) -> &KWeightingCoeffs {
        &self.coeffs
    }

    pub fn reset(&mut self) {
        let zero = [0.0; N];
        (self.x1, self.x2, self.u1, self.u2, self.y1, self.y2) =
            (zero, zero, zero, zero, zero, zero);
    }

    /// Filters `inputs[c][..frames]` (non-finite samples count as 0) and adds the squared
    /// K-weighted samples of each channel to `energy[c]`. Output samples are not kept.
    #[inline]
    pub fn accumulate_energy(&mut self, inputs: [&[f32]; N], frames: usize, energy: &mut [f64; N]) {
        #[cfg(target_arch = "x86_64")]
        if crate::dsp::cpu::level() >= crate::dsp::cpu::SimdLevel::Avx2 {
            // SAFETY: `cpu::level` reports AVX2 only on a CPU that has it.
            return unsafe { self.accumulate_energy_avx2(inputs, frames, energy) };
        }
        self.accumulate_energy_portable(inputs, frames, energy);
    }

    /// The same source with three-operand vector instructions: fewer register copies in a loop
    /// that is mostly its two recursions, and the same values (no fused multiply-add).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn accumulate_energy_avx2(&mut self, inputs: [&[f32]; N], frames: usize, energy: &mut [f64; N]) {
        self.accumulate_energy_portable(inputs, frames, energy);
    }

    #[inline(always)]
    fn accumulate_energy_portable(&mut self, inputs: [&[f32]; N], frames: usize, energy: &mut [f64; N]) {
        let s = self.coeffs.shelf;
        let h = self.coeffs.high_pass;
        let (mut x1, mut x2, mut u1, mut u2, mut y1, mut y2) =
            (self.x1, self.x2, self.u1, self.u2, self.y1, self.y2);
        let mut acc = *energy;
        let inputs = inputs.map(|ch| &ch[..frames]);
        for i in 0..frames {
            let mut x = [0.0f64; N];
            for c in 0..N {
                let v = inputs[c][i];
                x[c] = if v.is_finite() { f64::from(v) } else { 0.0 };
            }
            for c in 0..N {
                // Feed-forward terms first: only the last multiply-add waits on the previous output.
                let u = (s.b0 * x[c] + s.b1 * x1[c] + s.b2 * x2[c] - s.a2 * u2[c]) - s.a1 * u1[c];
                let y = ((u - 2.0 * u1[c] + u2[c]) - h.a2 * y2[c]) - h.a1 * y1[c];
                x2[c] = x1[c];
                x1[c] = x[c];
                u2[c] = u1[c];
                u1[c] = u;
                y2[c] = y1[c];
                y1[c] = y;
                acc[c] += y * y;
            }
        }
        (self.x1, self.x2, self.u1, self.u2, self.y1, self.y2) = (x1, x2, u1, u2, y1, y2);
        *energy = acc;
    }

    /// Zeroes states that decayed below -600 dBFS. Call at fixed points of the stream (the meter
    /// does it every 10 ms of audio) so results do not depend on the host's block size.
    pub fn flush_denormals(&mut self) {
        for state in [
            &mut self.x1,
            &mut self.x2,
            &mut self.u1,
            &mut self.u2,
            &mut self.y1,
            &mut self.y2,
        ] {
            for v in state.iter_mut() {
                if v.abs() < DENORMAL_FLOOR {
                    *v = 0.0;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AVX2 build of the filter loop gives bit-identical energies and state.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn avx2_build_matches_the_portable_one() {
        if crate::dsp::cpu::detected() < crate::dsp::cpu::SimdLevel::Avx2 {
            eprintln!("this CPU has no AVX2: only the portable build runs here");
            return;
        }
        let mut rng = crate::dsp::rng::Rng::new(9);
        let left: Vec<f32> = (0..4801).map(|_| rng.gaussian() as f32).collect();
        let mut right: Vec<f32> = (0..4801).map(|_| (0.3 * rng.gaussian()) as f32).collect();
        right[100] = f32::NAN;
        let (mut portable, mut avx2) = (KWeighting::<2>::new(44_100.0), KWeighting::<2>::new(44_100.0));
        let (mut e_portable, mut e_avx2) = ([0.0; 2], [0.0; 2]);
        for start in (0..left.len()).step_by(480) {
            let inputs = [&left[start..], &right[start..]];
            let frames = (left.len() - start).min(480);
            portable.accumulate_energy_portable(inputs, frames, &mut e_portable);
            // SAFETY: checked above that the CPU has AVX2.
            unsafe { avx2.accumulate_energy_avx2(inputs, frames, &mut e_avx2) };
            assert_eq!(e_portable, e_avx2);
        }
        assert_eq!((portable.u1, portable.y1, portable.y2), (avx2.u1, avx2.y1, avx2.y2));
    }
}
