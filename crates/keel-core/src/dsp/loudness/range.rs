//! Loudness range (EBU Tech 3342) in constant memory: short-term values in a histogram of 0.01 LU
//! bins from -70 to +30 LUFS (10 000 counts, louder values clamp into the top bin), with a
//! 0.1 LU coarse count on top so a percentile is found in at most ~1010 steps.
//!
//! The relative gate (-20 LU under the power mean of the absolute-gated values) is exact: the
//! energy sum is kept. A percentile is reported at the centre of its 0.01 LU bin, so each is
//! within 0.005 LU of the exact order statistic and the range within 0.01 LU; values within
//! 0.01 LU of the relative gate count as above it when their bin's centre is.

use super::gating::energy_to_lufs;

const ABSOLUTE_GATE_LUFS: f64 = -70.0;
const RELATIVE_GATE_LU: f64 = -20.0;
const FINE_PER_LU: f64 = 100.0;
const FINE_BINS: usize = 10_000;
const FINE_PER_COARSE: usize = 10;
const COARSE_BINS: usize = FINE_BINS / FINE_PER_COARSE;
const LOW_PERCENTILE: f64 = 0.10;
const HIGH_PERCENTILE: f64 = 0.95;

#[derive(Clone, Debug)]
pub struct RangeHistogram {
    fine: Box<[u32]>,
    coarse: Box<[u32]>,
    total_count: u64,
    total_energy: f64,
}

impl Default for RangeHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl RangeHistogram {
    pub fn new() -> Self {
        Self {
            fine: vec![0; FINE_BINS].into_boxed_slice(),
            coarse: vec![0; COARSE_BINS].into_boxed_slice(),
            total_count: 0,
            total_energy: 0.0,
        }
    }

    pub fn reset(&mut self) {
        self.fine.fill(0);
        self.coarse.fill(0);
        self.total_count = 0;
        self.total_energy = 0.0;
    }

    fn bin(lufs: f64) -> usize {
        (((lufs - ABSOLUTE_GATE_LUFS) * FINE_PER_LU) as usize).min(FINE_BINS - 1)
    }

    fn centre(bin: usize) -> f64 {
        ABSOLUTE_GATE_LUFS + (bin as f64 + 0.5) / FINE_PER_LU
    }

    /// Adds one short-term value (its mean channel-weighted energy); values under -70 LUFS are
    /// dropped by the absolute gate.
    pub fn add(&mut self, energy: f64) {
        let lufs = energy_to_lufs(energy);
        if lufs.is_nan() || lufs < ABSOLUTE_GATE_LUFS {
            return;
        }
        let bin = Self::bin(lufs);
        self.fine[bin] += 1;
        self.coarse[bin / FINE_PER_COARSE] += 1;
        self.total_count += 1;
        self.total_energy += energy;
    }

    /// Adds every value of `other`, as if they had been added here.
    pub fn merge(&mut self, other: &Self) {
        for (mine, theirs) in self.fine.iter_mut().zip(other.fine.iter()) {
            *mine += theirs;
        }
        for (mine, theirs) in self.coarse.iter_mut().zip(other.coarse.iter()) {
            *mine += theirs;
        }
        self.total_count += other.total_count;
        self.total_energy += other.total_energy;
    }

    /// Loudness range in LU (95th minus 10th percentile of the gated short-term values), or
    /// negative infinity before any value passed the absolute gate.
    pub fn loudness_range(&self) -> f64 {
        if self.total_count == 0 {
            return f64::NEG_INFINITY;
        }
        let gate = energy_to_lufs(self.total_energy / self.total_count as f64) + RELATIVE_GATE_LU;
        // First fine bin counted as above the gate: the one whose centre is at or above it.
        let first = if gate <= ABSOLUTE_GATE_LUFS {
            0
        } else {
            let b = Self::bin(gate);
            if Self::centre(b) >= gate { b } else { b + 1 }
        };
        if first >= FINE_BINS {
            return 0.0;
        }
        let gated: u64 = self.count_from(first);
        if gated == 0 {
            return 0.0;
        }
        // Tech 3342: P_p = sorted[round((n - 1) p)], 0-based.
        let rank = |p: f64| ((gated - 1) as f64 * p + 0.5) as u64;
        let high = self.value_at_rank(first, rank(HIGH_PERCENTILE));
        let low = self.value_at_rank(first, rank(LOW_PERCENTILE));
        high - low
    }

    fn count_from(&self, first: usize) -> u64 {
        let first_coarse = first / FINE_PER_COARSE;
        let partial_end = ((first_coarse + 1) * FINE_PER_COARSE).min(FINE_BINS);
        let partial: u64 = self.fine[first..partial_end]
            .iter()
            .map(|&c| u64::from(c))
            .sum();
        partial
            + self.coarse[first_coarse + 1..]
                .iter()
                .map(|&c| u64::from(c))
                .sum::<u64>()
    }

    /// Centre of the bin holding the value of 0-based `rank` among the values in bins `first..`.
    fn value_at_rank(&self, first: usize, rank: u64) -> f64 {
        let mut seen = 0u64;
        // Fine steps up to the end of the first coarse bin, then coarse steps, then fine again.
        let first_coarse = first / FINE_PER_COARSE;
        let partial_end = ((first_coarse + 1) * FINE_PER_COARSE).min(FINE_BINS);
        for bin in first..partial_end {
            seen += u64::from(self.fine[bin]);
            if seen > rank {
                return Self::centre(bin);
            }
        }
        for coarse in first_coarse + 1..COARSE_BINS {
            let count = u64::from(self.coarse[coarse]);
            if seen + count > rank {
                for bin in coarse * FINE_PER_COARSE..(coarse + 1) * FINE_PER_COARSE {
                    seen += u64::from(self.fine[bin]);
                    if seen > rank {
                        return Self::centre(bin);
                    }
                }
            }
            seen += count;
        }
        Self::centre(FINE_BINS - 1)
    }
}
