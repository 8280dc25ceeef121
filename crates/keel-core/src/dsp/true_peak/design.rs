//! The accurate reconstruction filter: a Kaiser-windowed sinc per sample rate, its
//! coefficients, and the bounds that follow from them (no output exceeds the L1 norm of its
//! phase times the largest input in its window).

/// Largest oversampling factor and taps per phase any [`ReconstructorDesign`] uses.
pub const MAX_FACTOR: usize = 16;
pub const MAX_TAPS_PER_PHASE: usize = 48;

/// Oversampling factor, taps per phase and Kaiser window of a [`super::Reconstructor`] for one rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReconstructorDesign {
    pub factor: usize,
    pub taps_per_phase: usize,
    pub kaiser_beta: f64,
}

impl ReconstructorDesign {
    /// Factor: keeps the oversampled rate at or above ~700 kHz below 320 kHz input, so the
    /// worst-case timing under-read of a 20 kHz tone, 20*log10(cos(pi*f/(L*fs))), stays under
    /// 0.035 dB (16x at 44.1 kHz). Taps: the transition band runs from 20 kHz to fs - 20 kHz
    /// (the image of a 20 kHz tone); at 44.1 kHz that is only 4.1 kHz wide and needs 48 taps for
    /// ~72 dB, at 48 kHz 32 taps give ~84 dB. Beta follows Kaiser's formula for the attenuation
    /// those taps allow over that transition width, capped at 120 dB.
    pub fn for_sample_rate(sample_rate: f64) -> Self {
        let factor = if sample_rate < 80_000.0 {
            16
        } else if sample_rate < 160_000.0 {
            8
        } else if sample_rate < 320_000.0 {
            4
        } else {
            2
        };
        let taps_per_phase = if sample_rate < 47_000.0 { 48 } else { 32 };
        // Transition width relative to fs; below 44.1 kHz keep the 44.1 kHz proportions.
        let transition = ((sample_rate - 40_000.0) / sample_rate).max(4_100.0 / 44_100.0);
        let prototype_order = (factor * taps_per_phase - 1) as f64;
        let transition_radians = std::f64::consts::TAU * transition / factor as f64;
        let attenuation_db = (8.0 + 2.285 * transition_radians * prototype_order).min(120.0);
        let kaiser_beta = if attenuation_db > 50.0 {
            0.1102 * (attenuation_db - 8.7)
        } else {
            0.5842 * (attenuation_db - 21.0).max(0.0).powf(0.4)
                + 0.07886 * (attenuation_db - 21.0).max(0.0)
        };
        Self {
            factor,
            taps_per_phase,
            kaiser_beta,
        }
    }

    /// Coefficients, tap-major with phases as lanes: `c[w * factor + (k - 1)]` multiplies window
    /// slot `w` (slot 0 oldest) for phase `k = 1..=factor`, which interpolates position
    /// `m - 1 + k/factor` where `m` is the input sample `taps/2 - 1` before the newest one.
    /// Each phase is normalised to unit DC gain; the last phase is exactly `x[m]`.
    pub fn coefficients(&self) -> Vec<f32> {
        let (l, t) = (self.factor, self.taps_per_phase);
        let half = (t / 2) as f64;
        let i0_beta = bessel_i0(self.kaiser_beta);
        let kernel = |time: f64| -> f64 {
            let u = time / half;
            if u.abs() >= 1.0 {
                return 0.0;
            }
            let sinc = if time == 0.0 {
                1.0
            } else {
                (std::f64::consts::PI * time).sin() / (std::f64::consts::PI * time)
            };
            sinc * bessel_i0(self.kaiser_beta * (1.0 - u * u).sqrt()) / i0_beta
        };
        let mut coefs = vec![0.0f32; l * t];
        for k in 1..=l {
            if k == l {
                // Integer position: a pure delay, so the reconstructed stream contains the samples.
                coefs[(t / 2) * l + (k - 1)] = 1.0;
                continue;
            }
            let phase: Vec<f64> = (0..t)
                .map(|w| kernel(half - 1.0 - w as f64 + k as f64 / l as f64))
                .collect();
            let dc: f64 = phase.iter().sum();
            for (w, c) in phase.iter().enumerate() {
                coefs[w * l + (k - 1)] = (c / dc) as f32;
            }
        }
        coefs
    }
}

/// Modified Bessel function of the first kind, order 0 (power series; converges for any x).
fn bessel_i0(x: f64) -> f64 {
    let quarter_x2 = 0.25 * x * x;
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut k = 1.0;
    while term > 1e-17 * sum {
        term *= quarter_x2 / (k * k);
        sum += term;
        k += 1.0;
    }
    sum
}

/// Window slots around the interval whose contribution `Reconstructor::central_bound` computes
/// exactly.
pub const CENTRAL_SLOTS: usize = 8;

/// Split of a [`super::Reconstructor`]'s L1 norm by distance from the interpolated interval: the
/// largest (over phases) sum of `|coefficient|` on the two samples bounding the interval, on the
/// next two out, and on all the others. Any interpolated value is at most
/// `near * max(|x[m-1]|, |x[m]|) + next * max(|x[m-2]|, |x[m+1]|) + far * max |rest of window|`.
/// `outer` is the same sum over the slots outside the central eight.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RingBound {
    pub near: f64,
    pub next: f64,
    pub far: f64,
    pub outer: f64,
}

impl ReconstructorDesign {
    /// The bound of `coefs` (this design's [`Self::coefficients`]).
    pub fn ring_bound(&self, coefs: &[f32]) -> RingBound {
        let (l, t) = (self.factor, self.taps_per_phase);
        let centre = t / 2; // window slot of x[m]
        let ring_of = |w: usize| {
            if w + 1 == centre || w == centre {
                0
            } else if w + 2 == centre || w == centre + 1 {
                1
            } else {
                2
            }
        };
        let central = centre - CENTRAL_SLOTS / 2..centre + CENTRAL_SLOTS / 2;
        let mut bound = [0.0f64; 4];
        for k in 0..l {
            let mut sums = [0.0f64; 4];
            for w in 0..t {
                let c = f64::from(coefs[w * l + k].abs());
                sums[ring_of(w)] += c;
                if !central.contains(&w) {
                    sums[3] += c;
                }
            }
            for r in 0..4 {
                bound[r] = bound[r].max(sums[r]);
            }
        }
        RingBound {
            near: bound[0],
            next: bound[1],
            far: bound[2],
            outer: bound[3],
        }
    }
}

/// The largest sum of |coefficient| over the phases of a tap-major, phase-lane layout with
/// `lanes` phases: no output of the filter exceeds this times the largest |x| in its window.
pub fn max_phase_l1(coefs: &[f32], lanes: usize) -> f64 {
    (0..lanes)
        .map(|k| coefs.iter().skip(k).step_by(lanes).map(|c| f64::from(c.abs())).sum::<f64>())
        .fold(0.0, f64::max)
}
