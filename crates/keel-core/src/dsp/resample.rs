//! Offline sample-rate conversion by a rational factor L/M: a polyphase Kaiser-windowed sinc,
//! cut off just under the lower of the two Nyquist frequencies, with no delay (output sample n
//! sits at input time n * M / L). Used where audio must reach a rate a codec takes (Opus: 48 kHz;
//! MP3: 48 kHz at most), as a player or a platform's encoder chain would convert it.

use crate::dsp::windowed_sinc::kaiser_sinc;

/// Cutoff as a fraction of the lower Nyquist frequency: flat to about 0.45 of the lower rate.
const CUTOFF: f64 = 0.97;
/// Zero crossings of the sinc on each side, at the cutoff's scale.
const ZERO_CROSSINGS: f64 = 32.0;
/// Kaiser beta: about 90 dB of stop-band rejection.
const BETA: f64 = 9.0;
/// The largest L (phases) accepted: enough for 44.1 <-> 48 kHz (160) and 32 <-> 44.1 kHz (441).
const MAX_PHASES: u64 = 1024;

pub struct Resampler {
    up: usize,
    down: usize,
    /// Taps per phase (2 * half-span).
    taps: usize,
    /// `coefs[p * taps + k]`: phase p, input sample i - taps/2 + 1 + k for output at i + p/up.
    coefs: Vec<f32>,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

impl Resampler {
    /// A converter from `from` Hz to `to` Hz, or None when the ratio needs more than
    /// [`MAX_PHASES`] phases.
    pub fn new(from: u32, to: u32) -> Option<Self> {
        if from == 0 || to == 0 {
            return None;
        }
        let g = gcd(u64::from(from), u64::from(to));
        let (up, down) = (u64::from(to) / g, u64::from(from) / g);
        if up > MAX_PHASES {
            return None;
        }
        let (up, down) = (up as usize, down as usize);
        let cutoff = CUTOFF * (up as f64 / down as f64).min(1.0);
        let half_span = (ZERO_CROSSINGS / cutoff).ceil() as usize;
        let taps = 2 * half_span;
        let mut coefs = vec![0.0f32; up * taps];
        for p in 0..up {
            let row: Vec<f64> = (0..taps)
                .map(|k| {
                    let t = p as f64 / up as f64 + (half_span as f64 - 1.0 - k as f64);
                    kaiser_sinc(cutoff * t, ZERO_CROSSINGS, BETA)
                })
                .collect();
            // Each phase passes DC at exactly unity.
            let dc: f64 = row.iter().sum();
            for (c, v) in coefs[p * taps..(p + 1) * taps].iter_mut().zip(&row) {
                *c = (v / dc) as f32;
            }
        }
        Some(Self { up, down, taps, coefs })
    }

    /// Output samples for `input_len` input samples: ceil(input_len * L / M).
    pub fn output_len(&self, input_len: usize) -> usize {
        (input_len * self.up).div_ceil(self.down)
    }

    /// Converts one channel; the signal is taken as silent outside `input`.
    pub fn process(&self, input: &[f32]) -> Vec<f32> {
        let half_span = self.taps / 2;
        // Silence around the input, so every window is a plain slice.
        let mut padded = vec![0.0f32; input.len() + self.taps];
        padded[half_span..half_span + input.len()].copy_from_slice(input);
        (0..self.output_len(input.len()))
            .map(|n| {
                let position = n * self.down;
                let (i, p) = (position / self.up, position % self.up);
                // Input sample i - half_span + 1 sits at padded index i + 1.
                let window = &padded[i + 1..i + 1 + self.taps];
                let row = &self.coefs[p * self.taps..(p + 1) * self.taps];
                window.iter().zip(row).map(|(x, c)| x * c).sum::<f32>()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, rate: f64, len: usize) -> Vec<f32> {
        (0..len).map(|n| (2.0 * std::f64::consts::PI * freq * n as f64 / rate).sin() as f32).collect()
    }

    /// Largest error against the analytic sine at the new rate, away from the edges.
    fn worst_error_db(from: u32, to: u32, freq: f64) -> f64 {
        let input = sine(freq, f64::from(from), from as usize);
        let out = Resampler::new(from, to).unwrap().process(&input);
        let expected = sine(freq, f64::from(to), out.len());
        let edge = to as usize / 10;
        let worst = out[edge..out.len() - edge]
            .iter()
            .zip(&expected[edge..])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        20.0 * f64::from(worst).log10()
    }

    #[test]
    fn tones_in_the_pass_band_come_out_where_the_analytic_sine_is() {
        for (from, to) in [
            (44_100, 48_000),
            (48_000, 44_100),
            (96_000, 48_000),
            (88_200, 44_100),
            (32_000, 48_000),
            (192_000, 48_000),
        ] {
            let pass_band = 0.43 * f64::from(from.min(to));
            for freq in [100.0, 1000.0, 10_000.0, pass_band] {
                let e = worst_error_db(from, to, freq);
                assert!(e < -60.0, "{from}->{to} Hz at {freq} Hz: error {e:.1} dB");
            }
            let e = worst_error_db(from, to, 1000.0);
            assert!(e < -80.0, "{from}->{to} Hz at 1 kHz: error {e:.1} dB");
        }
    }

    #[test]
    fn content_above_the_new_nyquist_is_removed() {
        let input = sine(30_000.0, 96_000.0, 96_000);
        let out = Resampler::new(96_000, 48_000).unwrap().process(&input);
        let peak = out[4800..out.len() - 4800].iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(20.0 * f64::from(peak).log10() < -80.0, "30 kHz leaks at {peak}");
    }

    #[test]
    fn lengths_and_dc() {
        let r = Resampler::new(44_100, 48_000).unwrap();
        assert_eq!(r.output_len(44_100), 48_000);
        assert_eq!(r.output_len(1), 2);
        let out = r.process(&vec![0.5; 44_100]);
        assert!(out[1000..47_000].iter().all(|x| (x - 0.5).abs() < 1e-6));
        assert!(Resampler::new(44_100, 48_001).is_none());
    }
}
