//! Sliding-window minimum in amortised O(1) per sample: a monotonic deque (Lemire, "Streaming
//! Maximum-Minimum Filter Using No More than Three Comparisons per Element", 2006) kept in a
//! fixed power-of-two ring, so pushing never allocates.

/// Minimum of the last `window` pushed values.
///
/// The deque holds the values that can still become the minimum: strictly increasing from front
/// to back, each with the sample index it was pushed at. A new value evicts every back entry that
/// is not smaller (it outlives them and is at most as large); the front leaves once it is older
/// than the window. At most `window + 1` entries are live (during a push), which the ring holds.
#[derive(Clone, Debug)]
pub struct SlidingMin<T> {
    values: Box<[T]>,
    indices: Box<[u64]>,
    mask: usize,
    head: usize,
    len: usize,
    window: usize,
    /// Index the next pushed value gets.
    clock: u64,
}

impl<T: Copy + PartialOrd + Default> SlidingMin<T> {
    /// A minimum over windows of up to `max_window` samples (at least 1), starting at `window`.
    pub fn new(max_window: usize, window: usize) -> Self {
        let capacity = (max_window.max(1) + 1).next_power_of_two();
        let mut this = Self {
            values: vec![T::default(); capacity].into_boxed_slice(),
            indices: vec![0; capacity].into_boxed_slice(),
            mask: capacity - 1,
            head: 0,
            len: 0,
            window: 1,
            clock: 0,
        };
        this.set_window(window);
        this
    }

    /// Changes the window length (clamped to 1..=capacity) and empties the history.
    pub fn set_window(&mut self, window: usize) {
        self.window = window.clamp(1, self.mask);
        self.reset();
    }

    pub fn window(&self) -> usize {
        self.window
    }

    /// Forgets every value: the next push starts a new history, and until `window` values have
    /// arrived the minimum covers only those (as if the missing ones were +infinity).
    pub fn reset(&mut self) {
        self.head = 0;
        self.len = 0;
        self.clock = 0;
    }

    /// Takes over `other`'s history exactly (same capacity required); no allocation.
    pub fn copy_from(&mut self, other: &Self) {
        assert_eq!(self.mask, other.mask, "sliding minima of different capacity");
        self.values.copy_from_slice(&other.values);
        self.indices.copy_from_slice(&other.indices);
        self.head = other.head;
        self.len = other.len;
        self.window = other.window;
        self.clock = other.clock;
    }

    /// Adds `value` and returns the minimum of the last `window` values, this one included.
    /// Values must be comparable (no NaN).
    #[inline]
    pub fn push(&mut self, value: T) -> T {
        while self.len > 0 {
            let back = (self.head + self.len - 1) & self.mask;
            if self.values[back] >= value {
                self.len -= 1;
            } else {
                break;
            }
        }
        let slot = (self.head + self.len) & self.mask;
        self.values[slot] = value;
        self.indices[slot] = self.clock;
        self.len += 1;
        // The front is the oldest entry; at most one entry ages out per push.
        if self.indices[self.head] + self.window as u64 <= self.clock {
            self.head = (self.head + 1) & self.mask;
            self.len -= 1;
        }
        self.clock += 1;
        self.values[self.head]
    }

    /// Current minimum without pushing; `None` before the first push.
    pub fn min(&self) -> Option<T> {
        (self.len > 0).then(|| self.values[self.head])
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
            let mut min = SlidingMin::new(window, window);
            let mut history = Vec::new();
            for i in 0..5000 {
                // Runs of repeated values and monotone stretches exercise the eviction rules.
                let v = match i % 300 {
                    0..=99 => rng.uniform().round(),
                    100..=199 => (i % 100) as f64,
                    _ => rng.uniform(),
                };
                history.push(v);
                assert_eq!(min.push(v), brute_force(&history, window), "window {window}, sample {i}");
            }
        }
    }

    #[test]
    fn copy_continues_identically() {
        let mut rng = Rng::new(3);
        let mut a = SlidingMin::new(40, 33);
        let mut b = SlidingMin::new(40, 33);
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
