//! Sliding-window minimum in O(1) per sample with no data-dependent branches: van Herk /
//! Gil-Werman (docs/dsp-notes.md §2). Time is cut into `window`-sample blocks. The minimum of the
//! last `window` values is the minimum of a suffix of the previous block (precomputed once
//! that block is complete) and a prefix of the current one (kept as a running minimum): about
//! three comparisons per sample, the same every sample, in fixed buffers sized at construction.
//! (A monotonic deque does fewer comparisons on average, but its pop loop runs a data-dependent
//! number of times and mispredicts on dense limiting; this is faster there and just as exact.)

/// Minimum of the last `window` pushed values.
#[derive(Clone, Debug)]
pub struct SlidingMin<T> {
    /// Values of the block being filled.
    current: Box<[T]>,
    /// `suffix[i]` = minimum of the previous block from position `i` to its end.
    suffix: Box<[T]>,
    /// Minimum of the current block so far.
    prefix: T,
    /// Position in the current block of the next push.
    pos: usize,
    window: usize,
    /// Stands for "no value yet": larger than anything pushed.
    empty: T,
}

impl<T: Copy + PartialOrd> SlidingMin<T> {
    /// A minimum over windows of up to `max_window` samples (at least 1), starting at `window`.
    /// `empty` must compare greater than or equal to every value that will be pushed (for gains,
    /// `f64::INFINITY`); it is what the minimum covers before `window` values have arrived.
    pub fn new(max_window: usize, window: usize, empty: T) -> Self {
        let capacity = max_window.max(1);
        let mut this = Self {
            current: vec![empty; capacity].into_boxed_slice(),
            suffix: vec![empty; capacity].into_boxed_slice(),
            prefix: empty,
            pos: 0,
            window: 1,
            empty,
        };
        this.set_window(window);
        this
    }

    /// Changes the window length (clamped to 1..=capacity) and empties the history.
    pub fn set_window(&mut self, window: usize) {
        self.window = window.clamp(1, self.current.len());
        self.reset();
    }

    pub fn window(&self) -> usize {
        self.window
    }

    /// Forgets every value: until `window` values have arrived, the minimum covers only those.
    pub fn reset(&mut self) {
        self.suffix.fill(self.empty);
        self.current.fill(self.empty);
        self.prefix = self.empty;
        self.pos = 0;
    }

    /// Takes over `other`'s history exactly (same capacity: a caller's mistake otherwise, which
    /// leaves this one unchanged); no allocation.
    pub fn copy_from(&mut self, other: &Self) {
        debug_assert_eq!(self.current.len(), other.current.len(), "sliding minima of different capacity");
        if self.current.len() != other.current.len() {
            return;
        }
        self.current.copy_from_slice(&other.current);
        self.suffix.copy_from_slice(&other.suffix);
        self.prefix = other.prefix;
        self.pos = other.pos;
        self.window = other.window;
    }

    /// Adds `value` and returns the minimum of the last `window` values, this one included.
    /// Values must be comparable (no NaN).
    #[inline]
    pub fn push(&mut self, value: T) -> T {
        let pos = self.pos;
        self.current[pos] = value;
        self.prefix = if value < self.prefix { value } else { self.prefix };
        // The window is this block's [0, pos] plus the previous block's [pos + 1, window).
        let older = if pos + 1 < self.window { self.suffix[pos + 1] } else { self.empty };
        let min = if older < self.prefix { older } else { self.prefix };
        self.pos += 1;
        if self.pos == self.window {
            self.seal_block();
        }
        min
    }

    /// Current minimum (of the last `window` values) without pushing; `empty` before any push.
    pub fn min(&self) -> T {
        let older = if self.pos < self.window { self.suffix[self.pos] } else { self.empty };
        if older < self.prefix { older } else { self.prefix }
    }

    /// The block is full: its suffix minima become the "previous block" for the next one.
    fn seal_block(&mut self) {
        let mut running = self.empty;
        for i in (0..self.window).rev() {
            let v = self.current[i];
            running = if v < running { v } else { running };
            self.suffix[i] = running;
        }
        self.prefix = self.empty;
        self.pos = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::SlidingMin;
    use crate::dsp::rng::Rng;

    fn brute_force(history: &[f64], window: usize) -> f64 {
        let start = history.len().saturating_sub(window);
        history[start..].iter().copied().fold(f64::INFINITY, f64::min)
    }

    #[test]
    fn matches_brute_force_for_many_windows() {
        let mut rng = Rng::new(7);
        for window in [1usize, 2, 3, 7, 16, 63, 64, 65, 500] {
            let mut min = SlidingMin::new(window, window, f64::INFINITY);
            let mut history = Vec::new();
            assert_eq!(min.min(), f64::INFINITY);
            for i in 0..5000 {
                // Runs of repeated values and monotone stretches exercise block edges and ties.
                let v = match i % 300 {
                    0..=99 => rng.uniform().round(),
                    100..=199 => (i % 100) as f64,
                    _ => rng.uniform(),
                };
                history.push(v);
                assert_eq!(min.push(v), brute_force(&history, window), "window {window}, sample {i}");
                assert_eq!(min.min(), brute_force(&history, window), "peek, window {window}, sample {i}");
            }
        }
    }

    #[test]
    fn copy_continues_identically() {
        let mut rng = Rng::new(3);
        let mut a = SlidingMin::new(40, 33, f64::INFINITY);
        let mut b = SlidingMin::new(40, 33, f64::INFINITY);
        for _ in 0..1000 {
            a.push(rng.uniform());
        }
        b.copy_from(&a);
        for _ in 0..1000 {
            let v = rng.uniform();
            assert_eq!(a.push(v), b.push(v));
        }
    }
}
