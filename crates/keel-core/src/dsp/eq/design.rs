//! Band settings, the analog prototypes they stand for, and the f64 design of the digital
//! sections that follow those prototypes up to Nyquist.

use super::matched::{Phi, denominator_terms, fit_numerator, impulse_invariant_poles};
use crate::dsp::biquad::Coeffs;
use realfft::num_complex::Complex64;
use std::f64::consts::{FRAC_1_SQRT_2, PI, TAU};

/// The most second-order sections one band can need (48 dB/oct = 8th order).
pub const MAX_SECTIONS_PER_BAND: usize = 4;
/// Frequencies are kept at or below this fraction of the sample rate.
pub const MAX_FREQ_RATIO: f64 = 0.47;
pub const MIN_FREQ_HZ: f64 = 10.0;
pub const MAX_FREQ_HZ: f64 = 30_000.0;
pub const MIN_GAIN_DB: f64 = -24.0;
pub const MAX_GAIN_DB: f64 = 24.0;
pub const MIN_Q: f64 = 0.1;
pub const MAX_Q: f64 = 18.0;
pub const MIN_SLOPE_DB_OCT: u32 = 6;
pub const MAX_SLOPE_DB_OCT: u32 = 48;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FilterKind {
    Bell,
    LowShelf,
    HighShelf,
    HighPass,
    LowPass,
    Notch,
    BandPass,
    Tilt,
}

impl FilterKind {
    pub const ALL: [FilterKind; 8] = [
        FilterKind::Bell,
        FilterKind::LowShelf,
        FilterKind::HighShelf,
        FilterKind::HighPass,
        FilterKind::LowPass,
        FilterKind::Notch,
        FilterKind::BandPass,
        FilterKind::Tilt,
    ];

    /// Whether the gain setting shapes this kind (the others ignore it).
    pub fn uses_gain(self) -> bool {
        matches!(self, Self::Bell | Self::LowShelf | Self::HighShelf | Self::Tilt)
    }

    /// Whether the slope setting shapes this kind.
    pub fn uses_slope(self) -> bool {
        matches!(self, Self::HighPass | Self::LowPass)
    }

    pub fn uses_q(self) -> bool {
        !matches!(self, Self::Tilt)
    }
}

/// Which part of the stereo signal a band works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Placement {
    Stereo,
    Left,
    Right,
    Mid,
    Side,
}

impl Placement {
    pub const ALL: [Placement; 5] =
        [Placement::Stereo, Placement::Left, Placement::Right, Placement::Mid, Placement::Side];

    pub fn is_mid_side(self) -> bool {
        matches!(self, Self::Mid | Self::Side)
    }
}

/// One band as the user set it, in natural units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BandSettings {
    pub enabled: bool,
    pub kind: FilterKind,
    pub freq_hz: f64,
    pub gain_db: f64,
    pub q: f64,
    pub slope_db_oct: u32,
    pub placement: Placement,
}

impl Default for BandSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            kind: FilterKind::Bell,
            freq_hz: 1000.0,
            gain_db: 0.0,
            q: FRAC_1_SQRT_2,
            slope_db_oct: 12,
            placement: Placement::Stereo,
        }
    }
}

impl BandSettings {
    /// The same settings with every value inside its range and the frequency below Nyquist.
    pub fn clamped(&self, sample_rate: f64) -> Self {
        let max_freq = (MAX_FREQ_RATIO * sample_rate).min(MAX_FREQ_HZ);
        let slope = self.slope_db_oct.clamp(MIN_SLOPE_DB_OCT, MAX_SLOPE_DB_OCT);
        Self {
            freq_hz: finite_or(self.freq_hz, 1000.0).clamp(MIN_FREQ_HZ, max_freq),
            gain_db: finite_or(self.gain_db, 0.0).clamp(MIN_GAIN_DB, MAX_GAIN_DB),
            q: finite_or(self.q, FRAC_1_SQRT_2).clamp(MIN_Q, MAX_Q),
            slope_db_oct: (slope / 6) * 6,
            ..*self
        }
    }

    /// Butterworth order of a high/low-pass: 6 dB/oct per order.
    pub fn order(&self) -> usize {
        (self.slope_db_oct / 6).clamp(1, 8) as usize
    }

    /// Whether the band, as set, changes nothing (off, or a gain kind at 0 dB).
    pub fn is_neutral(&self) -> bool {
        !self.enabled || (self.kind.uses_gain() && self.gain_db == 0.0)
    }
}

fn finite_or(x: f64, fallback: f64) -> f64 {
    if x.is_finite() { x } else { fallback }
}

/// The digital sections of one band, in series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BandDesign {
    pub sections: [Coeffs; MAX_SECTIONS_PER_BAND],
    pub count: usize,
}

impl BandDesign {
    pub const NEUTRAL: Self = Self { sections: [Coeffs::IDENTITY; MAX_SECTIONS_PER_BAND], count: 0 };

    fn push(&mut self, c: Coeffs) {
        self.sections[self.count] = c;
        self.count += 1;
    }

    pub fn response(&self, freq_hz: f64, sample_rate: f64) -> Complex64 {
        self.sections[..self.count]
            .iter()
            .fold(Complex64::new(1.0, 0.0), |acc, c| acc * c.response(freq_hz, sample_rate))
    }
}

/// Designs the digital sections for `settings` (clamped first) at `sample_rate`.
pub fn design_band(settings: &BandSettings, sample_rate: f64) -> BandDesign {
    let s = settings.clamped(sample_rate);
    let mut design = BandDesign::NEUTRAL;
    if !s.enabled {
        return design;
    }
    let f0 = s.freq_hz;
    match s.kind {
        // A gain kind at 0 dB keeps its (identity) sections, so the section layout depends only
        // on the discrete settings and a gain ramp through 0 dB never drops filter state.
        _ if s.kind.uses_gain() && s.gain_db == 0.0 => {
            for _ in 0..gain_kind_sections(s.kind) {
                design.push(Coeffs::IDENTITY);
            }
        }
        FilterKind::Bell => design.push(bell(f0, s.gain_db, s.q, sample_rate)),
        FilterKind::LowShelf | FilterKind::HighShelf => {
            let high = s.kind == FilterKind::HighShelf;
            for c in shelf(f0, s.gain_db, s.q, sample_rate, high) {
                design.push(c);
            }
        }
        FilterKind::Tilt => design.push(tilt(f0, s.gain_db, sample_rate)),
        FilterKind::Notch => design.push(notch(f0, s.q, sample_rate)),
        FilterKind::BandPass => design.push(band_pass(f0, s.q, sample_rate)),
        FilterKind::HighPass | FilterKind::LowPass => {
            let high = s.kind == FilterKind::HighPass;
            let order = s.order();
            if order % 2 == 1 {
                design.push(first_order_pass(f0, sample_rate, high));
            }
            for q in butterworth_qs(order, s.q).into_iter().flatten() {
                design.push(second_order_pass(f0, q, sample_rate, high));
            }
        }
    }
    design
}

/// Sections of a gain kind: shelves always use two (see `shelf`), the others one.
fn gain_kind_sections(kind: FilterKind) -> usize {
    if matches!(kind, FilterKind::LowShelf | FilterKind::HighShelf) { SHELF_SECTIONS } else { 1 }
}

/// Section qualities of a Butterworth filter of `order` (Q_k = 1 / (2 sin((2k-1) pi / 2N))).
/// The user's Q scales the most resonant section, so Q = 0.707 gives exact Butterworth.
pub fn butterworth_qs(order: usize, user_q: f64) -> [Option<f64>; MAX_SECTIONS_PER_BAND] {
    let mut qs = [None; MAX_SECTIONS_PER_BAND];
    let pairs = order / 2;
    for k in 1..=pairs {
        let q = 1.0 / (2.0 * ((2 * k - 1) as f64 * PI / (2 * order) as f64).sin());
        qs[k - 1] = Some(q);
    }
    if pairs > 0 {
        // k = 1 is the most resonant section.
        qs[0] = qs[0].map(|q| q * user_q / FRAC_1_SQRT_2);
    }
    qs
}

/// Complex response of the analog prototype the band follows.
pub fn analog_response(settings: &BandSettings, sample_rate: f64, freq_hz: f64) -> Complex64 {
    let s = settings.clamped(sample_rate);
    let one = Complex64::new(1.0, 0.0);
    if s.is_neutral() {
        return one;
    }
    let jw = Complex64::new(0.0, freq_hz / s.freq_hz);
    let a = 10f64.powf(s.gain_db / 40.0);
    let q = s.q;
    match s.kind {
        FilterKind::Bell => analog_bell(jw, a, q),
        FilterKind::LowShelf => analog_low_shelf(jw, a, q),
        FilterKind::HighShelf => analog_high_shelf(jw, a, q),
        FilterKind::Tilt => (jw * a + 1.0) / (jw + a),
        FilterKind::Notch => (jw * jw + 1.0) / (jw * jw + jw / q + 1.0),
        FilterKind::BandPass => (jw / q) / (jw * jw + jw / q + 1.0),
        FilterKind::HighPass | FilterKind::LowPass => {
            let high = s.kind == FilterKind::HighPass;
            let order = s.order();
            let mut h = one;
            if order % 2 == 1 {
                h *= if high { jw / (jw + 1.0) } else { one / (jw + 1.0) };
            }
            for q in butterworth_qs(order, s.q).into_iter().flatten() {
                let den = jw * jw + jw / q + 1.0;
                h *= if high { jw * jw / den } else { one / den };
            }
            h
        }
    }
}

fn analog_bell(s: Complex64, a: f64, q: f64) -> Complex64 {
    (s * s + s * (a / q) + 1.0) / (s * s + s / (a * q) + 1.0)
}

fn analog_low_shelf(s: Complex64, a: f64, q: f64) -> Complex64 {
    let sa = a.sqrt();
    (s * s + s * (sa / q) + a) * a / (s * s * a + s * (sa / q) + 1.0)
}

fn analog_high_shelf(s: Complex64, a: f64, q: f64) -> Complex64 {
    let sa = a.sqrt();
    (s * s * a + s * (sa / q) + 1.0) * a / (s * s + s * (sa / q) + a)
}

fn omega(freq_hz: f64, sample_rate: f64) -> f64 {
    TAU * freq_hz / sample_rate
}

/// Bell: the boost is fitted directly; a cut is the inverse of the mirrored boost, which keeps
/// its zeros inside the unit circle.
fn bell(f0: f64, gain_db: f64, q: f64, fs: f64) -> Coeffs {
    let boost_db = gain_db.abs();
    let a = 10f64.powf(boost_db / 40.0);
    let target = |f: f64| analog_bell(Complex64::new(0.0, f / f0), a, q).norm_sqr();
    let (a1, a2) = impulse_invariant_poles(omega(f0, fs), a * q);
    let boost = fit_numerator(target, a1, a2, fs, f0, (0.25 * f0).max(5.0))
        .unwrap_or_else(|| rbj_bell(f0, boost_db, q, fs));
    if gain_db < 0.0 { boost.inverted() } else { boost }
}

/// Shelves always use two sections, so a shelf's layout never depends on its gain, frequency or Q.
const SHELF_SECTIONS: usize = 2;
/// Zero frequency (as a fraction of Nyquist) above which the split's helper quality slides from
/// 1/sqrt(2) towards Q, fading the second section to identity at Nyquist.
const SPLIT_FADE_START: f64 = 0.8;

/// Shelves, designed in the orientation whose poles sit below f0 (low-shelf boost, high-shelf
/// cut): poles at wp = f0 / r and zeros at wz = f0 * r, r = 10^(|gain|/80), both of quality Q;
/// the other sign is the inverse.
///
/// One section with impulse-invariant poles and a fitted numerator cannot follow resonant zeros
/// near Nyquist (Q 4 missed by up to 1.8 dB at 44.1 kHz), so the prototype K N/D is split exactly
/// into (K E/D) (N/E), where E has the zeros' frequency wz but a low quality Qe:
/// - K E/D: impulse-invariant poles at wp and a fitted numerator, as before; its zeros are now
///   well damped and easy to fit.
/// - N/E: the inverse of the bell-like E/N, designed like a bell (impulse-invariant poles at wz,
///   numerator fitted), so the resonant zeros of N land where the analog ones are.
///
/// As wz nears Nyquist, Qe slides to Q, which makes N/E the identity and K E/D the whole shelf,
/// so the design is continuous in every parameter; from Nyquist up the split is not used.
fn shelf(f0: f64, gain_db: f64, q: f64, fs: f64, high: bool) -> [Coeffs; SHELF_SECTIONS] {
    let magnitude_db = gain_db.abs();
    let design_db = if high { -magnitude_db } else { magnitude_db };
    let a = 10f64.powf(design_db / 40.0);
    let r = 10f64.powf(magnitude_db / 80.0);
    let (pole_freq, zero_freq) = (f0 / r, f0 * r);
    let target = |f: f64| {
        let s = Complex64::new(0.0, f / f0);
        if high { analog_high_shelf(s, a, q) } else { analog_low_shelf(s, a, q) }.norm_sqr()
    };
    let invert = (gain_db < 0.0) != (design_db < 0.0);
    let orient = |c: Coeffs| if invert { c.inverted() } else { c };
    let (p1, p2) = impulse_invariant_poles(omega(pole_freq, fs), q);
    let f_low = (0.25 * pole_freq).max(5.0);
    // One section (the whole shelf on the poles at wp), with the identity as the second.
    let single = || {
        let c = fit_numerator(target, p1, p2, fs, f0, f_low)
            .unwrap_or_else(|| rbj_shelf(f0, design_db, q, fs, high));
        [orient(c), Coeffs::IDENTITY]
    };

    let x = zero_freq / (0.5 * fs);
    if x >= 1.0 {
        return single();
    }
    let fade = ((x - SPLIT_FADE_START) / (1.0 - SPLIT_FADE_START)).clamp(0.0, 1.0);
    let qe = FRAC_1_SQRT_2 * (q / FRAC_1_SQRT_2).powf(fade);
    // |E/N|^2: DC 1, peak Q/Qe at wz.
    let helper = |f: f64| {
        let s = Complex64::new(0.0, f / zero_freq);
        ((s * s + s / qe + 1.0) / (s * s + s / q + 1.0)).norm_sqr()
    };
    let (z1, z2) = impulse_invariant_poles(omega(zero_freq, fs), q);
    let zeros = fit_numerator(helper, z1, z2, fs, zero_freq, (0.25 * zero_freq).max(5.0));
    let poles = fit_numerator(|f| target(f) * helper(f), p1, p2, fs, f0, f_low);
    match (poles, zeros) {
        (Some(poles), Some(zeros)) => {
            let sections = [orient(poles), orient(zeros.inverted())];
            if sections.iter().all(|c| c.is_finite() && c.is_stable()) { sections } else { single() }
        }
        _ => single(),
    }
}

/// First-order tilt around f0, matched at DC and Nyquist with an impulse-invariant pole.
fn tilt(f0: f64, gain_db: f64, fs: f64) -> Coeffs {
    let a = 10f64.powf(gain_db / 40.0);
    let pole = (-a * omega(f0, fs)).exp();
    let nyquist = 0.5 * fs / f0;
    let hf_sqr = (a * a * nyquist * nyquist + 1.0) / (nyquist * nyquist + a * a);
    let (r0, r1) = ((1.0 - pole) / a, (1.0 + pole) * hf_sqr.sqrt());
    Coeffs { b0: 0.5 * (r0 + r1), b1: 0.5 * (r0 - r1), b2: 0.0, a1: -pole, a2: 0.0 }
}

/// Notch: impulse-invariant poles, zeros on the unit circle at f0, unity gain at DC.
fn notch(f0: f64, q: f64, fs: f64) -> Coeffs {
    let w0 = omega(f0, fs);
    let (a1, a2) = impulse_invariant_poles(w0, q);
    let cos = w0.cos();
    let k = (1.0 + a1 + a2) / (2.0 - 2.0 * cos);
    Coeffs { b0: k, b1: -2.0 * k * cos, b2: k, a1, a2 }
}

/// Band-pass with unity peak at f0 (Vicanek 2016, matched band-pass).
fn band_pass(f0: f64, q: f64, fs: f64) -> Coeffs {
    let w0 = omega(f0, fs);
    let (a1, a2) = impulse_invariant_poles(w0, q);
    let a = denominator_terms(a1, a2);
    let p = Phi::at(w0);
    let s = a[0] * p.p0 + a[1] * p.p1 + a[2] * p.p2;
    let r2 = -a[0] + a[1] + 4.0 * (p.p0 - p.p1) * a[2];
    let bb2 = (s - r2 * p.p1) / (4.0 * p.p1 * p.p1);
    let bb1 = r2 + 4.0 * (p.p1 - p.p0) * bb2;
    let b1 = -0.5 * bb1.max(0.0).sqrt();
    let b0 = 0.5 * ((bb2 + 0.25 * bb1).max(0.0).sqrt() - b1);
    Coeffs { b0, b1, b2: -b0 - b1, a1, a2 }
}

/// First-order high/low-pass matched at DC and Nyquist.
fn first_order_pass(f0: f64, fs: f64, high: bool) -> Coeffs {
    let pole = (-omega(f0, fs)).exp();
    let nyquist = 0.5 * fs / f0;
    let n2 = nyquist * nyquist;
    let at_nyquist = if high { (n2 / (1.0 + n2)).sqrt() } else { (1.0 / (1.0 + n2)).sqrt() };
    let r1 = (1.0 + pole) * at_nyquist;
    let r0 = if high { 0.0 } else { 1.0 - pole };
    Coeffs { b0: 0.5 * (r0 + r1), b1: 0.5 * (r0 - r1), b2: 0.0, a1: -pole, a2: 0.0 }
}

/// Second-order high/low-pass matched at Nyquist (Vicanek 2016, simplified form).
fn second_order_pass(f0: f64, q: f64, fs: f64, high: bool) -> Coeffs {
    let (a1, a2) = impulse_invariant_poles(omega(f0, fs), q);
    let nu = 2.0 * f0 / fs;
    let d = ((1.0 - nu * nu).powi(2) + (nu / q).powi(2)).sqrt();
    if high {
        let b0 = (1.0 - a1 + a2) / (4.0 * d);
        Coeffs { b0, b1: -2.0 * b0, b2: b0, a1, a2 }
    } else {
        let r0 = 1.0 + a1 + a2;
        let r1 = (1.0 - a1 + a2) * nu * nu / d;
        let b0 = 0.5 * (r0 + r1);
        Coeffs { b0, b1: r0 - b0, b2: 0.0, a1, a2 }
    }
}

/// Bilinear-transform bell (RBJ cookbook); only a fallback if the matched fit is not realisable.
fn rbj_bell(f0: f64, gain_db: f64, q: f64, fs: f64) -> Coeffs {
    let a = 10f64.powf(gain_db / 40.0);
    let w0 = omega(f0, fs);
    let alpha = w0.sin() / (2.0 * q);
    let c = w0.cos();
    Coeffs::normalized(
        [1.0 + alpha * a, -2.0 * c, 1.0 - alpha * a],
        [1.0 + alpha / a, -2.0 * c, 1.0 - alpha / a],
    )
}

/// Bilinear-transform shelf (RBJ cookbook); only a fallback.
fn rbj_shelf(f0: f64, gain_db: f64, q: f64, fs: f64, high: bool) -> Coeffs {
    let a = 10f64.powf(gain_db / 40.0);
    let w0 = omega(f0, fs);
    let alpha = w0.sin() / (2.0 * q);
    let c = w0.cos();
    let sa2 = 2.0 * a.sqrt() * alpha;
    let sign = if high { -1.0 } else { 1.0 };
    let b = [
        a * ((a + 1.0) - sign * (a - 1.0) * c + sa2),
        sign * 2.0 * a * ((a - 1.0) - sign * (a + 1.0) * c),
        a * ((a + 1.0) - sign * (a - 1.0) * c - sa2),
    ];
    let den = [
        (a + 1.0) + sign * (a - 1.0) * c + sa2,
        -sign * 2.0 * ((a - 1.0) + sign * (a + 1.0) * c),
        (a + 1.0) + sign * (a - 1.0) * c - sa2,
    ];
    Coeffs::normalized(b, den)
}
