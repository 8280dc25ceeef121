//! One second-order section: coefficients, exact frequency response, and the scalar reference
//! kernel (transposed direct form II in f64) that the SIMD path must reproduce bit for bit.

use realfft::num_complex::Complex64;

/// Normalised biquad coefficients (a0 = 1): y = b0 x + b1 x[-1] + b2 x[-2] - a1 y[-1] - a2 y[-2].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coeffs {
    pub b0: f64,
    pub b1: f64,
    pub b2: f64,
    pub a1: f64,
    pub a2: f64,
}

impl Coeffs {
    pub const IDENTITY: Self = Self { b0: 1.0, b1: 0.0, b2: 0.0, a1: 0.0, a2: 0.0 };

    /// Divides through by `a0`.
    pub fn normalized(b: [f64; 3], a: [f64; 3]) -> Self {
        Self { b0: b[0] / a[0], b1: b[1] / a[0], b2: b[2] / a[0], a1: a[1] / a[0], a2: a[2] / a[0] }
    }

    /// The reciprocal filter (numerator and denominator swapped), renormalised.
    pub fn inverted(&self) -> Self {
        Self::normalized([1.0, self.a1, self.a2], [self.b0, self.b1, self.b2])
    }

    /// Exact complex response at `freq_hz`.
    pub fn response(&self, freq_hz: f64, sample_rate: f64) -> Complex64 {
        let w = std::f64::consts::TAU * freq_hz / sample_rate;
        let z1 = Complex64::from_polar(1.0, -w);
        let z2 = z1 * z1;
        (self.b0 + z1 * self.b1 + z2 * self.b2) / (1.0 + z1 * self.a1 + z2 * self.a2)
    }

    pub fn is_finite(&self) -> bool {
        [self.b0, self.b1, self.b2, self.a1, self.a2].iter().all(|c| c.is_finite())
    }

    /// Poles strictly inside the unit circle (Jury conditions for a monic quadratic).
    pub fn is_stable(&self) -> bool {
        self.a2.abs() < 1.0 && self.a1.abs() < 1.0 + self.a2
    }
}

/// Scalar TDF2 state for one channel, f64 throughout. This is the reference the lane kernel
/// in `eq::cascade` is checked against.
#[derive(Clone, Copy, Debug, Default)]
pub struct ScalarSection {
    s1: f64,
    s2: f64,
}

impl ScalarSection {
    pub fn from_state(s1: f64, s2: f64) -> Self {
        Self { s1, s2 }
    }

    pub fn state(&self) -> (f64, f64) {
        (self.s1, self.s2)
    }

    #[inline]
    pub fn tick(&mut self, c: &Coeffs, x: f64) -> f64 {
        let y = c.b0 * x + self.s1;
        self.s1 = c.b1 * x - c.a1 * y + self.s2;
        self.s2 = c.b2 * x - c.a2 * y;
        y
    }
}
