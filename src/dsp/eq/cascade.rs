//! The per-sample kernel: every active section of every band runs on one stereo frame before the
//! next frame starts (sample-major), with the two channels (or mid and side) as two f64 lanes.
//! State and coefficients are f64: f32 direct forms lose ~50 dB of precision on low bands.

use crate::dsp::biquad::{Coeffs, ScalarSection};

/// Coefficients with one value per lane (lane 0 = left or mid, lane 1 = right or side).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LaneCoeffs {
    b0: [f64; 2],
    b1: [f64; 2],
    b2: [f64; 2],
    a1: [f64; 2],
    a2: [f64; 2],
}

impl LaneCoeffs {
    pub const IDENTITY: Self = Self::per_lane(Coeffs::IDENTITY, Coeffs::IDENTITY);

    pub const fn per_lane(lane0: Coeffs, lane1: Coeffs) -> Self {
        Self {
            b0: [lane0.b0, lane1.b0],
            b1: [lane0.b1, lane1.b1],
            b2: [lane0.b2, lane1.b2],
            a1: [lane0.a1, lane1.a1],
            a2: [lane0.a2, lane1.a2],
        }
    }

    fn lane(&self, i: usize) -> Coeffs {
        Coeffs { b0: self.b0[i], b1: self.b1[i], b2: self.b2[i], a1: self.a1[i], a2: self.a2[i] }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct LaneState {
    s1: [f64; 2],
    s2: [f64; 2],
}

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
        for st in &mut self.state {
            for v in st.s1.iter_mut().chain(st.s2.iter_mut()) {
                if v.abs() < TINY {
                    *v = 0.0;
                }
            }
        }
    }

    /// Runs one stereo frame through every active section.
    #[inline(always)]
    pub fn tick(&mut self, frame: [f64; 2]) -> [f64; 2] {
        let mut x = frame;
        let mut in_mid_side = false;
        for &slot in &self.order[..self.order_len] {
            let slot = slot as usize;
            let mid_side = self.mid_side[slot];
            if mid_side != in_mid_side {
                x = if mid_side { to_mid_side(x) } else { to_left_right(x) };
                in_mid_side = mid_side;
            }
            let c = &self.coeffs[slot];
            let st = &mut self.state[slot];
            let mut y = [0.0; 2];
            for lane in 0..2 {
                y[lane] = c.b0[lane] * x[lane] + st.s1[lane];
                st.s1[lane] = c.b1[lane] * x[lane] - c.a1[lane] * y[lane] + st.s2[lane];
                st.s2[lane] = c.b2[lane] * x[lane] - c.a2[lane] * y[lane];
            }
            x = y;
        }
        if in_mid_side { to_left_right(x) } else { x }
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
            let mut left = ScalarSection::from_state(st.s1[0], st.s2[0]);
            let mut right = ScalarSection::from_state(st.s1[1], st.s2[1]);
            l = left.tick(&self.coeffs[slot].lane(0), l);
            r = right.tick(&self.coeffs[slot].lane(1), r);
            (st.s1[0], st.s2[0]) = left.state();
            (st.s1[1], st.s2[1]) = right.state();
        }
        if in_mid_side {
            let out = to_left_right([l, r]);
            (l, r) = (out[0], out[1]);
        }
        [l, r]
    }
}
