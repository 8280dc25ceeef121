//! The 10 ms sub-block grid the meter measures on: ring of per-sub-block K-weighted energies,
//! from which the momentary (400 ms) and short-term (3 s) windows are summed afresh each time
//! (no running sums that could drift).
//!
//! Sub-block boundaries sit at `round(k * fs / 100)` samples from the start, so ten of them make
//! exactly one 100 ms hop whenever `fs / 10` is whole, and 40 or 300 consecutive ones always span
//! `round(0.4 fs)` and `3 fs` samples for the standard rates.

/// Sub-blocks per 100 ms hop (the update interval of M, S, the gating blocks and LRA).
pub const SUB_BLOCKS_PER_HOP: u64 = 10;
/// Sub-blocks in the momentary window.
pub const MOMENTARY_SUB_BLOCKS: usize = 40;
/// Sub-blocks in the short-term window (and the ring's capacity).
pub const SHORT_TERM_SUB_BLOCKS: usize = 300;
/// The sub-block length pattern repeats every second.
const PATTERN: usize = 100;

#[derive(Clone, Debug)]
pub struct SubBlockWindows {
    /// Frames in sub-block `k % 100`.
    lengths: [u32; PATTERN],
    energies: [f64; SHORT_TERM_SUB_BLOCKS],
    frames: [u32; SHORT_TERM_SUB_BLOCKS],
    /// Ring slot the next completed sub-block goes to.
    head: usize,
    /// Sub-blocks completed since the start (saturates long after any real session).
    completed: u64,
}

impl SubBlockWindows {
    pub fn new(sample_rate: f64) -> Self {
        let fs = sample_rate.round().max(100.0) as u64;
        let boundary = |k: u64| (k * fs + 50) / 100;
        let mut lengths = [0u32; PATTERN];
        for (k, length) in lengths.iter_mut().enumerate() {
            *length = (boundary(k as u64 + 1) - boundary(k as u64)) as u32;
        }
        Self {
            lengths,
            energies: [0.0; SHORT_TERM_SUB_BLOCKS],
            frames: [0; SHORT_TERM_SUB_BLOCKS],
            head: 0,
            completed: 0,
        }
    }

    pub fn reset(&mut self) {
        self.energies = [0.0; SHORT_TERM_SUB_BLOCKS];
        self.frames = [0; SHORT_TERM_SUB_BLOCKS];
        self.head = 0;
        self.completed = 0;
    }

    /// Frames in the sub-block now being filled.
    pub fn current_length(&self) -> usize {
        self.lengths[(self.completed % PATTERN as u64) as usize] as usize
    }

    pub fn completed(&self) -> u64 {
        self.completed
    }

    /// True when the sub-block just pushed closed a 100 ms hop.
    pub fn at_hop_boundary(&self) -> bool {
        self.completed > 0 && self.completed.is_multiple_of(SUB_BLOCKS_PER_HOP)
    }

    /// Records a completed sub-block: its summed (channel-weighted) energy and frame count.
    pub fn push(&mut self, energy: f64, frames: usize) {
        self.energies[self.head] = energy;
        self.frames[self.head] = frames as u32;
        self.head = (self.head + 1) % SHORT_TERM_SUB_BLOCKS;
        self.completed = self.completed.saturating_add(1);
    }

    /// Mean energy per frame over the last `count` sub-blocks, once that many exist.
    pub fn mean_energy(&self, count: usize) -> Option<f64> {
        debug_assert!(count <= SHORT_TERM_SUB_BLOCKS);
        if self.completed < count as u64 {
            return None;
        }
        // The last `count` slots end just before `head`; they wrap at most once.
        let start = (self.head + SHORT_TERM_SUB_BLOCKS - count) % SHORT_TERM_SUB_BLOCKS;
        let (energy, frames) = if start < self.head {
            (
                sum(&self.energies[start..self.head]),
                frame_sum(&self.frames[start..self.head]),
            )
        } else {
            (
                sum(&self.energies[start..]) + sum(&self.energies[..self.head]),
                frame_sum(&self.frames[start..]) + frame_sum(&self.frames[..self.head]),
            )
        };
        Some(energy / frames as f64)
    }
}

/// Summed in sixteen interleaved lanes, then the lanes pairwise: a fixed order (the same value
/// on every machine) whose additions do not all wait on one another, as a single running sum's
/// would.
fn sum(values: &[f64]) -> f64 {
    const LANES: usize = 16;
    let (chunks, rest) = values.as_chunks::<LANES>();
    let mut lanes = [0.0f64; LANES];
    for chunk in chunks {
        for (lane, v) in lanes.iter_mut().zip(chunk) {
            *lane += v;
        }
    }
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for k in 0..width {
            lanes[k] += lanes[k + width];
        }
    }
    lanes[0] + rest.iter().sum::<f64>()
}

fn frame_sum(values: &[u32]) -> u64 {
    values.iter().map(|&v| u64::from(v)).sum()
}
