//! Level conversions and the peak of a block: one of each, shared by the chain, the dynamics,
//! the meters and the signal generators.

/// Linear gain of a level in dB (amplitude, 20 dB per decade). 0 dB is exactly 1, so a
/// settled unity gain passes samples through bit for bit. `exp` rather than `powf`: the
/// compressor calls this per sample.
#[inline(always)]
pub fn db_to_gain(db: f64) -> f64 {
    if db == 0.0 { 1.0 } else { (db * (std::f64::consts::LN_10 / 20.0)).exp() }
}

/// Level in dB of a linear gain or amplitude; 0 and below (and NaN) read as -inf.
pub fn gain_to_db(gain: f64) -> f64 {
    if gain > 0.0 { 20.0 * gain.log10() } else { f64::NEG_INFINITY }
}

/// [`gain_to_db`] of an f32 amplitude.
pub fn amplitude_to_db(amplitude: f32) -> f64 {
    gain_to_db(f64::from(amplitude))
}

/// The largest finite |sample| of a block (0 for an empty one): NaN and infinity count as
/// silence, as everywhere in the meters. The plain maximum first (packed max instructions; it
/// skips NaN), and only if that is infinite a second pass without the infinities.
#[inline]
pub fn peak(samples: &[f32]) -> f32 {
    let m = max_magnitude(samples, |a| a);
    if m < f32::INFINITY { m } else { max_magnitude(samples, |a| if a < f32::INFINITY { a } else { 0.0 }) }
}

#[inline(always)]
fn max_magnitude(samples: &[f32], keep: impl Fn(f32) -> f32) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (chunks, rest) = samples.as_chunks::<8>();
    for chunk in chunks {
        for k in 0..8 {
            let v = keep(chunk[k].abs());
            lanes[k] = if v > lanes[k] { v } else { lanes[k] };
        }
    }
    let mut m = rest.iter().fold(0.0f32, |m, x| {
        let v = keep(x.abs());
        if v > m { v } else { m }
    });
    for v in lanes {
        m = if v > m { v } else { m };
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unity_is_exact_and_levels_convert_both_ways() {
        assert_eq!(db_to_gain(0.0), 1.0);
        assert!((db_to_gain(-6.0) - 0.501_187_233_627_272_2).abs() < 1e-15);
        assert!((amplitude_to_db(db_to_gain(-13.7) as f32) + 13.7).abs() < 1e-5);
    }

    #[test]
    fn peak_is_the_largest_finite_magnitude() {
        assert_eq!(peak(&[]), 0.0);
        let mut block: Vec<f32> = (0..37).map(|i| (i as f32 * 0.7).sin() * 0.5).collect();
        block[29] = -0.93;
        block[3] = f32::NAN;
        block[11] = f32::NEG_INFINITY;
        assert_eq!(peak(&block), 0.93);
        assert_eq!(peak(&block[30..]), block[30..].iter().fold(0.0f32, |m, x| m.max(x.abs())));
        assert_eq!(peak(&[f32::INFINITY, 0.25]), 0.25);
    }
}

/// True when every sample is finite (the chain, compressor and limiter process a block with
/// NaN or infinity in it as silence).
pub fn all_finite(block: &[f32]) -> bool {
    // x * 0 is 0 for finite x and NaN otherwise; summing keeps the loop branch-free, and eight
    // independent lanes let it vectorise (one running sum would wait on every addition).
    let (chunks, rest) = block.as_chunks::<8>();
    let mut lanes = [0.0f32; 8];
    for chunk in chunks {
        for k in 0..8 {
            lanes[k] += chunk[k] * 0.0;
        }
    }
    lanes.iter().chain(rest).fold(0.0f32, |acc, &x| acc + x * 0.0) == 0.0
}
