//! The section kernels, with the two channels (or mid and side) as two f64 lanes. State and
//! coefficients are f64: f32 direct forms lose ~50 dB of precision on low bands.
//!
//! `tick` runs every active section on one frame before the next frame starts (sample-major);
//! the EQ uses it while settings move. `process_block` computes exactly the same numbers in
//! wavefront order for steady settings: at step `d`, section `k` works on frame `d - k`, so the
//! sections of one step do not depend on each other and the CPU overlaps them, instead of
//! waiting on each section's output before starting the next.

use crate::dsp::biquad::{Coeffs, ScalarSection};
use wide::f64x2;

/// Coefficients with one value per lane (lane 0 = left or mid, lane 1 = right or side).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LaneCoeffs {
    b0: f64x2,
    b1: f64x2,
    b2: f64x2,
    a1: f64x2,
    a2: f64x2,
}

impl LaneCoeffs {
    pub const IDENTITY: Self = Self::per_lane(Coeffs::IDENTITY, Coeffs::IDENTITY);

    pub const fn per_lane(lane0: Coeffs, lane1: Coeffs) -> Self {
        Self {
            b0: f64x2::new([lane0.b0, lane1.b0]),
            b1: f64x2::new([lane0.b1, lane1.b1]),
            b2: f64x2::new([lane0.b2, lane1.b2]),
            a1: f64x2::new([lane0.a1, lane1.a1]),
            a2: f64x2::new([lane0.a2, lane1.a2]),
        }
    }

    fn lane(&self, i: usize) -> Coeffs {
        Coeffs {
            b0: self.b0.to_array()[i],
            b1: self.b1.to_array()[i],
            b2: self.b2.to_array()[i],
            a1: self.a1.to_array()[i],
            a2: self.a2.to_array()[i],
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct LaneState {
    s1: f64x2,
    s2: f64x2,
}

/// Domain change in front of a section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Convert {
    None,
    ToMidSide,
    ToLeftRight,
}

/// One active section, copied out of the slots in processing order for `process_block`.
#[derive(Clone, Copy)]
struct Stage {
    coeffs: LaneCoeffs,
    state: LaneState,
    convert: Convert,
}

impl Stage {
    const IDLE: Self = Self { coeffs: LaneCoeffs::IDENTITY, state: LaneState { s1: f64x2::ZERO, s2: f64x2::ZERO }, convert: Convert::None };

    /// The same arithmetic, in the same order, as `Cascade::tick`.
    #[inline(always)]
    fn run(&mut self, x: f64x2) -> f64x2 {
        let x = match self.convert {
            Convert::None => x,
            Convert::ToMidSide => convert(x, true),
            Convert::ToLeftRight => convert(x, false),
        };
        let c = &self.coeffs;
        let st = &mut self.state;
        let y = c.b0 * x + st.s1;
        st.s1 = c.b1 * x - c.a1 * y + st.s2;
        st.s2 = c.b2 * x - c.a2 * y;
        y
    }
}

#[inline(always)]
fn lane_output(y: f64x2, in_mid_side: bool) -> [f32; 2] {
    let [l, r] = (if in_mid_side { convert(y, false) } else { y }).to_array();
    [l as f32, r as f32]
}

/// A wavefront step while the pipe fills or drains: only stages whose frame `d - k` lies
/// inside the block run.
#[inline(never)]
fn edge_step<const K: usize>(
    stages: &mut [Stage; K],
    pipe: &mut [f64x2; K],
    d: usize,
    frames: usize,
    in_mid_side: bool,
    left: &mut [f32],
    right: &mut [f32],
) {
    let first = (d + 1).saturating_sub(frames);
    let last = d.min(K - 1);
    for k in (first.max(1)..=last).rev() {
        pipe[k] = stages[k].run(pipe[k - 1]);
    }
    if first == 0 {
        pipe[0] = stages[0].run(f64x2::new([f64::from(left[d]), f64::from(right[d])]));
    }
    if last == K - 1 && first <= last {
        [left[d + 1 - K], right[d + 1 - K]] = lane_output(pipe[K - 1], in_mid_side);
    }
}

/// Largest cascade that runs as a wavefront with its stages unrolled; longer ones use `tick`.
const WAVEFRONT_MAX: usize = 16;

/// Up to `SLOTS` sections run in a fixed order; each slot belongs to a domain (left/right or
/// mid/side). Inactive slots are skipped.
#[derive(Clone, Debug)]
pub struct Cascade<const SLOTS: usize> {
    coeffs: [LaneCoeffs; SLOTS],
    state: [LaneState; SLOTS],
    mid_side: [bool; SLOTS],
    active: [bool; SLOTS],
    /// Active slot indices in processing order, rebuilt when `active` changes.
    order: [u8; SLOTS],
    order_len: usize,
}

impl<const SLOTS: usize> Default for Cascade<SLOTS> {
    fn default() -> Self {
        Self {
            coeffs: [LaneCoeffs::IDENTITY; SLOTS],
            state: [LaneState::default(); SLOTS],
            mid_side: [false; SLOTS],
            active: [false; SLOTS],
            order: [0; SLOTS],
            order_len: 0,
        }
    }
}

#[inline(always)]
fn to_mid_side(x: [f64; 2]) -> [f64; 2] {
    [0.5 * (x[0] + x[1]), 0.5 * (x[0] - x[1])]
}

#[inline(always)]
fn to_left_right(x: [f64; 2]) -> [f64; 2] {
    [x[0] + x[1], x[0] - x[1]]
}

#[inline(always)]
fn convert(x: f64x2, to_mid_side_domain: bool) -> f64x2 {
    let a = x.to_array();
    f64x2::new(if to_mid_side_domain { to_mid_side(a) } else { to_left_right(a) })
}

impl<const SLOTS: usize> Cascade<SLOTS> {
    /// Activates `slot` with new coefficients, keeping its state (for smooth parameter moves).
    pub fn set_coeffs(&mut self, slot: usize, coeffs: LaneCoeffs, mid_side: bool) {
        self.coeffs[slot] = coeffs;
        self.mid_side[slot] = mid_side;
        if !self.active[slot] {
            self.active[slot] = true;
            self.rebuild_order();
        }
    }

    pub fn deactivate(&mut self, slot: usize) {
        self.state[slot] = LaneState::default();
        if self.active[slot] {
            self.active[slot] = false;
            self.rebuild_order();
        }
    }

    pub fn clear_state(&mut self, slot: usize) {
        self.state[slot] = LaneState::default();
    }

    pub fn reset(&mut self) {
        self.state = [LaneState::default(); SLOTS];
    }

    pub fn active_sections(&self) -> usize {
        self.order_len
    }

    fn rebuild_order(&mut self) {
        self.order_len = 0;
        for slot in 0..SLOTS {
            if self.active[slot] {
                self.order[self.order_len] = slot as u8;
                self.order_len += 1;
            }
        }
    }

    /// Flushes state that has decayed into the denormal range, so long silences cost nothing.
    pub fn flush_tiny_state(&mut self) {
        const TINY: f64 = 1e-30;
        let flush = |v: f64x2| f64x2::new(v.to_array().map(|x| if x.abs() < TINY { 0.0 } else { x }));
        for &slot in &self.order[..self.order_len] {
            let st = &mut self.state[slot as usize];
            st.s1 = flush(st.s1);
            st.s2 = flush(st.s2);
        }
    }

    /// Runs one stereo frame through every active section.
    #[inline(always)]
    pub fn tick(&mut self, frame: [f64; 2]) -> [f64; 2] {
        let mut x = f64x2::new(frame);
        let mut in_mid_side = false;
        for &slot in &self.order[..self.order_len] {
            let slot = slot as usize;
            let mid_side = self.mid_side[slot];
            if mid_side != in_mid_side {
                x = convert(x, mid_side);
                in_mid_side = mid_side;
            }
            let c = &self.coeffs[slot];
            let st = &mut self.state[slot];
            let y = c.b0 * x + st.s1;
            st.s1 = c.b1 * x - c.a1 * y + st.s2;
            st.s2 = c.b2 * x - c.a2 * y;
            x = y;
        }
        if in_mid_side { convert(x, false) } else { x }.to_array()
    }

    /// Runs planar stereo through every active section: the same results as `tick` per frame,
    /// computed in wavefront order (see the module notes).
    pub fn process_block(&mut self, left: &mut [f32], right: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        match crate::dsp::cpu::level() {
            // SAFETY: `cpu::level` reports a level only on a CPU that has its features.
            crate::dsp::cpu::SimdLevel::Avx512 => return unsafe { self.process_block_avx512(left, right) },
            // SAFETY: as above.
            crate::dsp::cpu::SimdLevel::Avx2 => return unsafe { self.process_block_avx2(left, right) },
            crate::dsp::cpu::SimdLevel::Portable => {}
        }
        self.process_block_portable(left, right);
    }

    /// The same code in AVX2's three-operand encoding (fewer register copies).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn process_block_avx2(&mut self, left: &mut [f32], right: &mut [f32]) {
        self.process_block_portable(left, right);
    }

    /// The same code compiled with AVX-512's 32 vector registers, where the states of a
    /// typical cascade all stay in registers. Same operations, so the same results.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512vl")]
    unsafe fn process_block_avx512(&mut self, left: &mut [f32], right: &mut [f32]) {
        self.process_block_portable(left, right);
    }

    #[inline(always)]
    fn process_block_portable(&mut self, left: &mut [f32], right: &mut [f32]) {
        let frames = left.len().min(right.len());
        let (left, right) = (&mut left[..frames], &mut right[..frames]);
        macro_rules! dispatch {
            ($($k:literal)*) => {
                match self.order_len {
                    0 => {}
                    $($k => self.wavefront::<$k>(left, right),)*
                    _ => {
                        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
                            let y = self.tick([f64::from(*l), f64::from(*r)]);
                            (*l, *r) = (y[0] as f32, y[1] as f32);
                        }
                    }
                }
            };
        }
        dispatch!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
    }

    #[inline(always)]
    fn wavefront<const K: usize>(&mut self, left: &mut [f32], right: &mut [f32]) {
        const { assert!(K >= 1 && K <= WAVEFRONT_MAX) };
        let mut stages = [Stage::IDLE; K];
        let mut in_mid_side = false;
        for (stage, &slot) in stages.iter_mut().zip(&self.order[..K]) {
            let slot = slot as usize;
            let mid_side = self.mid_side[slot];
            stage.coeffs = self.coeffs[slot];
            stage.state = self.state[slot];
            stage.convert = match (in_mid_side, mid_side) {
                (false, true) => Convert::ToMidSide,
                (true, false) => Convert::ToLeftRight,
                _ => Convert::None,
            };
            in_mid_side = mid_side;
        }
        let n = left.len();
        // pipe[k]: the output of stage k at the previous step, the input of stage k + 1.
        let mut pipe = [f64x2::ZERO; K];
        // Step d runs stage k on frame d - k. The first K - 1 steps fill the pipe and the last
        // K - 1 drain it; only the steps in between have every stage busy.
        let steps = n + K - 1;
        for d in 0..steps.min(K - 1) {
            edge_step(&mut stages, &mut pipe, d, n, in_mid_side, left, right);
        }
        for d in (K - 1)..n {
            // Last stage first, so each stage reads its predecessor's output of the step before.
            for k in (1..K).rev() {
                pipe[k] = stages[k].run(pipe[k - 1]);
            }
            pipe[0] = stages[0].run(f64x2::new([f64::from(left[d]), f64::from(right[d])]));
            [left[d + 1 - K], right[d + 1 - K]] = lane_output(pipe[K - 1], in_mid_side);
        }
        for d in n.max(K - 1)..steps {
            edge_step(&mut stages, &mut pipe, d, n, in_mid_side, left, right);
        }
        for (stage, &slot) in stages.iter().zip(&self.order[..K]) {
            self.state[slot as usize] = stage.state;
        }
    }

    /// The scalar reference: the same arithmetic, one lane at a time through
    /// [`ScalarSection`]. Used by the tests to prove the lane kernel computes the same thing.
    pub fn tick_scalar(&mut self, frame: [f64; 2]) -> [f64; 2] {
        let (mut l, mut r) = (frame[0], frame[1]);
        let mut in_mid_side = false;
        for i in 0..self.order_len {
            let slot = self.order[i] as usize;
            if self.mid_side[slot] != in_mid_side {
                let converted =
                    if self.mid_side[slot] { to_mid_side([l, r]) } else { to_left_right([l, r]) };
                (l, r) = (converted[0], converted[1]);
                in_mid_side = self.mid_side[slot];
            }
            let st = &mut self.state[slot];
            let (s1, s2) = (st.s1.to_array(), st.s2.to_array());
            let mut left = ScalarSection::from_state(s1[0], s2[0]);
            let mut right = ScalarSection::from_state(s1[1], s2[1]);
            l = left.tick(&self.coeffs[slot].lane(0), l);
            r = right.tick(&self.coeffs[slot].lane(1), r);
            let ((l1, l2), (r1, r2)) = (left.state(), right.state());
            st.s1 = f64x2::new([l1, r1]);
            st.s2 = f64x2::new([l2, r2]);
        }
        if in_mid_side {
            let out = to_left_right([l, r]);
            (l, r) = (out[0], out[1]);
        }
        [l, r]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::rng::Rng;

    /// A stable section with coefficients drawn from `rng` (poles inside radius 0.95).
    fn random_section(rng: &mut Rng) -> Coeffs {
        let radius = 0.5 + 0.45 * rng.bipolar().abs();
        let angle = std::f64::consts::PI * rng.bipolar().abs();
        Coeffs {
            b0: 1.0 + 0.5 * rng.bipolar(),
            b1: rng.bipolar(),
            b2: 0.5 * rng.bipolar(),
            a1: -2.0 * radius * angle.cos(),
            a2: radius * radius,
        }
    }

    /// Every cascade length (wavefront and the long fallback), mixed stereo, left-only and
    /// mid/side sections, blocks shorter and longer than the cascade: bit-identical to `tick`.
    #[test]
    fn process_block_equals_tick_frame_by_frame() {
        let mut rng = Rng::new(5);
        for sections in 1..=20 {
            let mut by_block = Cascade::<24>::default();
            for slot in 0..sections {
                let c = random_section(&mut rng);
                let lanes = if slot % 3 == 1 { LaneCoeffs::per_lane(c, Coeffs::IDENTITY) } else { LaneCoeffs::per_lane(c, c) };
                by_block.set_coeffs(slot, lanes, slot % 4 >= 2);
            }
            let mut by_frame = by_block.clone();
            let len = 700;
            let left: Vec<f32> = (0..len).map(|_| (0.5 * rng.bipolar()) as f32).collect();
            let right: Vec<f32> = (0..len).map(|_| (0.5 * rng.bipolar()) as f32).collect();
            let (mut bl, mut br) = (left.clone(), right.clone());
            let mut start = 0;
            for block in [1, 3, sections - 1, sections, sections + 1, 64, 500].into_iter().cycle() {
                if start >= len {
                    break;
                }
                let end = (start + block.max(1)).min(len);
                // Every kernel build this CPU can run, in turn.
                let (l, r) = (&mut bl[start..end], &mut br[start..end]);
                match start % 3 {
                    0 => by_block.process_block(l, r),
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: only where the CPU has AVX2.
                    1 if crate::dsp::cpu::detected() >= crate::dsp::cpu::SimdLevel::Avx2 => unsafe { by_block.process_block_avx2(l, r) },
                    _ => by_block.process_block_portable(l, r),
                }
                start = end;
            }
            for i in 0..len {
                let y = by_frame.tick([f64::from(left[i]), f64::from(right[i])]);
                assert_eq!([bl[i], br[i]], [y[0] as f32, y[1] as f32], "{sections} sections, frame {i}");
            }
            assert_eq!(by_block.state, by_frame.state, "{sections} sections: state after the run");
        }
    }
}
