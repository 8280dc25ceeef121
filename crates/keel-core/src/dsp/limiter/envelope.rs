//! From required gain to applied gain, per channel: hold (which also spreads each requirement
//! over the meter window), a longer hold driven by the bass, release, and the moving-average
//! attack (docs/dsp-notes.md §1.1, steps 3 to 5).
//!
//! Guarantee: every value entering the moving average at time n is at most the smallest
//! required gain in the hold window; a window of at least latency + 1 therefore covers every
//! requirement that bears on the output sample, and the average of values that are each at
//! most a bound is at most that bound. The average is kept as an exact integer sum (no drift
//! from adding and subtracting floats), so the bound holds to the last bit.

use crate::dsp::sliding_min::SlidingMin;

/// Fixed-point scale of the attack average: gains in [0, 1] as integers up to 2^40. Sums of a
/// few hundred of them stay below 2^53, so they convert to f64 exactly.
const SCALE: f64 = (1u64 << 40) as f64;

/// The bass hold keeps one minimum per this many samples (it spans tens of milliseconds and is
/// not part of the ceiling guarantee, so sample resolution buys nothing there).
const BASS_HOLD_STEP: u32 = 16;

/// Release lands on its target once within this fraction of it (8.7e-6 dB); without it the
/// exponential would stall one ulp short of unity and the limiter would never be transparent.
const SNAP: f64 = 1e-6;

/// Release coefficients (fraction of the remaining distance covered per sample).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReleaseCoefs {
    /// While the gain is below its running average (a dip deeper than usual: a transient).
    pub below_average: f64,
    /// Otherwise (sustained reduction, or the last part of a recovery).
    pub above_average: f64,
    /// Running average of the gain.
    pub average: f64,
}

impl ReleaseCoefs {
    /// Plain exponential release with time constant `release_s`.
    pub fn fixed(release_s: f64, sample_rate: f64) -> Self {
        let c = coef(release_s, sample_rate);
        Self { below_average: c, above_average: c, average: coef(AUTO_SLOW_FACTOR * release_s, sample_rate) }
    }

    /// Program-dependent release: dips below the running average gain recover with `release_s`,
    /// sustained reduction recovers [`AUTO_SLOW_FACTOR`] times slower.
    pub fn automatic(release_s: f64, sample_rate: f64) -> Self {
        let slow = coef(AUTO_SLOW_FACTOR * release_s, sample_rate);
        Self { below_average: coef(release_s, sample_rate), above_average: slow, average: slow }
    }
}

/// Auto release: sustained gain reduction recovers this many times slower than transient dips.
pub const AUTO_SLOW_FACTOR: f64 = 8.0;

fn coef(time_s: f64, sample_rate: f64) -> f64 {
    1.0 - (-1.0 / (time_s * sample_rate).max(1e-9)).exp()
}

#[derive(Clone, Debug)]
pub struct GainEnvelope {
    hold: SlidingMin<f64>,
    bass_hold: SlidingMin<f64>,
    release: f64,
    average: f64,
    attack: Box<[i64]>,
    attack_pos: usize,
    attack_sum: i64,
    /// The sum of a full unity history.
    attack_unity: i64,
    /// Largest f64 not above 1 / (attack * SCALE): multiplying by it can only round the
    /// average down (see `tick`).
    attack_reciprocal: f64,
    /// Minimum of the bass requirements since the last push into `bass_hold`.
    bass_pending: f64,
    /// `bass_hold.min()`, which only changes when a block is pushed.
    bass_held: f64,
    bass_phase: u32,
}

impl GainEnvelope {
    /// `hold` must be at least the latency + 1 (see the module docs); `attack` is the length of
    /// the moving average.
    pub fn new(hold: usize, bass_hold: usize, attack: usize) -> Self {
        let attack = attack.max(1);
        let divisor = attack as f64 * SCALE;
        let mut reciprocal = 1.0 / divisor;
        while reciprocal * divisor > 1.0 {
            reciprocal = reciprocal.next_down();
        }
        let bass_blocks = bass_hold.div_ceil(BASS_HOLD_STEP as usize).max(1);
        let mut this = Self {
            hold: SlidingMin::new(hold, hold, f64::INFINITY),
            bass_hold: SlidingMin::new(bass_blocks, bass_blocks, f64::INFINITY),
            release: 1.0,
            average: 1.0,
            attack: vec![0; attack].into_boxed_slice(),
            attack_pos: 0,
            attack_sum: 0,
            attack_unity: SCALE as i64 * attack as i64,
            attack_reciprocal: reciprocal,
            bass_pending: 1.0,
            bass_held: f64::INFINITY,
            bass_phase: 0,
        };
        this.reset();
        this
    }

    /// Back to unity gain with a history of unity.
    pub fn reset(&mut self) {
        self.hold.reset();
        self.bass_hold.reset();
        self.release = 1.0;
        self.average = 1.0;
        self.attack.fill(SCALE as i64);
        self.attack_pos = 0;
        self.attack_sum = self.attack_unity;
        self.bass_pending = 1.0;
        self.bass_held = f64::INFINITY;
        self.bass_phase = 0;
    }

    /// Takes over `other`'s state exactly, without allocating.
    pub fn copy_from(&mut self, other: &Self) {
        self.hold.copy_from(&other.hold);
        self.bass_hold.copy_from(&other.bass_hold);
        self.release = other.release;
        self.average = other.average;
        self.attack.copy_from_slice(&other.attack);
        self.attack_pos = other.attack_pos;
        self.attack_sum = other.attack_sum;
        self.bass_pending = other.bass_pending;
        self.bass_held = other.bass_held;
        self.bass_phase = other.bass_phase;
    }

    /// True when the gain is unity and stays unity as long as only unity is required.
    pub fn is_at_rest(&self) -> bool {
        self.release == 1.0
            && self.attack_sum == self.attack_unity
            && self.bass_pending == 1.0
            && self.hold.min() >= 1.0
            && self.bass_hold.min() >= 1.0
    }

    /// One sample: `required` is the gain the newest detected interval needs, `bass_required`
    /// the gain the bass detector asks to hold. Returns the gain for the output sample.
    #[inline(always)]
    pub fn tick(&mut self, required: f64, bass_required: f64, release: &ReleaseCoefs) -> f64 {
        self.bass_pending = self.bass_pending.min(bass_required);
        let bass = self.bass_held.min(self.bass_pending);
        self.bass_phase += 1;
        if self.bass_phase == BASS_HOLD_STEP {
            self.bass_held = self.bass_hold.push(self.bass_pending);
            self.bass_pending = 1.0;
            self.bass_phase = 0;
        }
        let target = self.hold.push(required).min(bass);
        // Falls to the target at once, rises towards it exponentially (docs/dsp-notes.md §1.1
        // step 4), written without branches: the choice flips unpredictably on dense material.
        let c = if self.release < self.average { release.below_average } else { release.above_average };
        let next = target.min(self.release + (target - self.release) * c);
        self.release = if target - next <= target * SNAP { target } else { next };
        self.average += (self.release - self.average) * release.average;

        // Truncation rounds down, so the average can only come out lower than the gains in it.
        let q = (self.release * SCALE) as i64;
        self.attack_sum += q - self.attack[self.attack_pos];
        self.attack[self.attack_pos] = q;
        self.attack_pos += 1;
        if self.attack_pos == self.attack.len() {
            self.attack_pos = 0;
        }
        // sum * reciprocal <= sum / divisor exactly, and rounding to nearest is monotone, so the
        // result never exceeds the largest representable value below the true average's bound.
        // Unity is special-cased: the rounded-down reciprocal would land one ulp short of it.
        if self.attack_sum == self.attack_unity { 1.0 } else { self.attack_sum as f64 * self.attack_reciprocal }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_above_the_held_requirement_and_returns_to_exact_unity() {
        let (hold, attack) = (40, 30);
        let mut env = GainEnvelope::new(hold, 10, attack);
        let coefs = ReleaseCoefs::fixed(0.005, 48_000.0);
        let mut required = Vec::new();
        let mut rng = crate::dsp::rng::Rng::new(5);
        for n in 0..20_000 {
            let r = if (n / 500) % 2 == 0 { 1.0 } else { 0.05 + 0.95 * rng.uniform() };
            required.push(r);
            let g = env.tick(r, 1.0, &coefs);
            // Every gain averaged at n was held over a window that contains all of
            // [n + 1 - hold, n + 1 - attack]; the average may not exceed any requirement there.
            if n + 1 < attack {
                continue;
            }
            let newest = n + 1 - attack;
            let oldest = (n + 1).saturating_sub(hold);
            let bound = required[oldest..=newest].iter().copied().fold(1.0, f64::min);
            assert!(g <= bound, "sample {n}: gain {g} above {bound}");
        }
        for _ in 0..48_000 {
            env.tick(1.0, 1.0, &coefs);
        }
        assert_eq!(env.tick(1.0, 1.0, &coefs), 1.0);
        assert!(env.is_at_rest());
    }
}
