//! Hands the plugin's input and output (each as a mono sum) from the audio thread to the
//! editor's spectrum analyzer without locks: two rings of atomic samples, a count of published
//! samples, and a count of samples reserved for writing. The audio thread writes only while the
//! editor is open; the editor copies the newest samples and rejects any copy the writer may have
//! overwritten while it was reading, published or not.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering, fence};

/// Ring length in samples: room for the largest analysis window plus several host blocks.
pub const TAP_LEN: usize = 1 << 15;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TapPoint {
    Input,
    Output,
}

pub struct SpectrumTap {
    input: Box<[AtomicU32]>,
    output: Box<[AtomicU32]>,
    /// Samples published so far (both rings advance together).
    written: AtomicU64,
    /// Samples the writer may have stored so far: `written` plus the block being written.
    reserved: AtomicU64,
}

impl Default for SpectrumTap {
    fn default() -> Self {
        Self::with_len(TAP_LEN)
    }
}

impl SpectrumTap {
    /// A tap with rings of `len` samples (tests use short rings to make the writer lap often).
    pub fn with_len(len: usize) -> Self {
        let ring = || (0..len.max(2)).map(|_| AtomicU32::new(0)).collect::<Box<[_]>>();
        Self { input: ring(), output: ring(), written: AtomicU64::new(0), reserved: AtomicU64::new(0) }
    }

    fn ring(&self, point: TapPoint) -> &[AtomicU32] {
        match point {
            TapPoint::Input => &self.input,
            TapPoint::Output => &self.output,
        }
    }

    /// Audio thread: stores `(left + right) / 2` at the positions the next `commit` publishes.
    pub fn write(&self, point: TapPoint, left: &[f32], right: &[f32]) {
        let ring = self.ring(point);
        let start = self.written.load(Ordering::Relaxed);
        self.reserved.store(start + left.len() as u64, Ordering::Relaxed);
        // The reservation is visible to any reader that sees one of the stores below.
        fence(Ordering::Release);
        let len = ring.len();
        for (i, (l, r)) in left.iter().zip(right).enumerate() {
            ring[(start as usize + i) % len].store((0.5 * (l + r)).to_bits(), Ordering::Relaxed);
        }
    }

    /// Audio thread: publishes `frames` samples written to both rings.
    pub fn commit(&self, frames: usize) {
        self.written.fetch_add(frames as u64, Ordering::Release);
    }

    /// Samples published so far; the editor uses it to see whether anything new arrived.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Acquire)
    }

    /// Editor: copies the newest `out.len()` samples of `point`, oldest first. Returns false when
    /// fewer have been published, the window is longer than half the ring, or the writer may have
    /// overwritten part of the copy (the caller keeps its last frame).
    pub fn read_latest(&self, point: TapPoint, out: &mut [f32]) -> bool {
        let ring = self.ring(point);
        let (len, ring_len) = (out.len(), ring.len());
        if len > ring_len / 2 {
            return false;
        }
        let end = self.written();
        if end < len as u64 {
            return false;
        }
        let start = end as usize - len;
        for (i, sample) in out.iter_mut().enumerate() {
            *sample = f32::from_bits(ring[(start + i) % ring_len].load(Ordering::Relaxed));
        }
        // Every load above happens before the reservation is read again.
        fence(Ordering::Acquire);
        // The oldest copied slot is rewritten once the writer reserves past `start + ring_len`.
        self.reserved.load(Ordering::Relaxed) - end <= (ring_len - len) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_newest_samples_as_mono_sums() {
        let tap = SpectrumTap::default();
        let left: Vec<f32> = (0..100).map(|i| i as f32).collect();
        let right: Vec<f32> = (0..100).map(|i| -(i as f32) + 2.0).collect();
        let mut out = [0.0f32; 8];
        assert!(!tap.read_latest(TapPoint::Input, &mut out));
        tap.write(TapPoint::Input, &left, &left);
        tap.write(TapPoint::Output, &left, &right);
        tap.commit(100);
        assert!(tap.read_latest(TapPoint::Input, &mut out));
        assert_eq!(out, [92.0, 93.0, 94.0, 95.0, 96.0, 97.0, 98.0, 99.0]);
        assert!(tap.read_latest(TapPoint::Output, &mut out));
        assert_eq!(out, [1.0; 8]);
    }

    #[test]
    fn wraps_around_the_ring() {
        let tap = SpectrumTap::default();
        let block: Vec<f32> = (0..1000).map(|i| i as f32).collect();
        for _ in 0..(TAP_LEN / 1000 + 3) {
            tap.write(TapPoint::Input, &block, &block);
            tap.commit(block.len());
        }
        let mut out = [0.0f32; 1500];
        assert!(tap.read_latest(TapPoint::Input, &mut out));
        assert_eq!(out[0], 500.0);
        assert_eq!(out[499], 999.0);
        assert_eq!(out[500], 0.0);
        assert_eq!(out[1499], 999.0);
    }
}
