//! The Kaiser-windowed sinc every interpolation filter here is cut from: the true-peak
//! reconstruction (`true_peak::design`) and the sample-rate converter (`resample`).

/// sinc(time) under a Kaiser window reaching zero at `|time| = half`.
pub fn kaiser_sinc(time: f64, half: f64, beta: f64) -> f64 {
    let u = time / half;
    if u.abs() >= 1.0 {
        return 0.0;
    }
    let sinc = if time == 0.0 {
        1.0
    } else {
        (std::f64::consts::PI * time).sin() / (std::f64::consts::PI * time)
    };
    sinc * bessel_i0(beta * (1.0 - u * u).sqrt()) / bessel_i0(beta)
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
