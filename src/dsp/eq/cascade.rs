//! The per-sample kernel: every active section of every band runs on one stereo frame before the
//! next frame starts (sample-major), with the two channels (or mid and side) as two f64 lanes.
//! State and coefficients are f64: f32 direct forms lose ~50 dB of precision on low bands.

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
