//! The delay line: the last `len` samples of one channel, sized once. Each sample is stored
//! twice, `len` apart, so the newest `len` samples are always one contiguous slice (the window an
//! FIR filter reads) and a block is delayed by whole-run swaps and copies.

#[derive(Clone, Debug)]
pub struct DelayLine {
    /// Two copies of the ring: slot `i` and `i + len` hold the same sample.
    buf: Box<[f32]>,
    len: usize,
    /// Ring slot of the oldest sample, where the next one is written.
    next: usize,
}

impl DelayLine {
    /// A line delaying by `len` samples (0: passes samples straight through).
    pub fn new(len: usize) -> Self {
        Self { buf: vec![0.0; 2 * len.max(1)].into_boxed_slice(), len, next: 0 }
    }

    pub fn delay(&self) -> usize {
        self.len
    }

    pub fn reset(&mut self) {
        self.buf.fill(0.0);
        self.next = 0;
    }

    /// Appends one sample.
    #[inline(always)]
    pub fn write(&mut self, x: f32) {
        if self.len == 0 {
            return;
        }
        self.buf[self.next] = x;
        self.buf[self.next + self.len] = x;
        self.next += 1;
        if self.next == self.len {
            self.next = 0;
        }
    }

    /// The last `len` samples, oldest first.
    #[inline(always)]
    pub fn window(&self) -> &[f32] {
        &self.buf[self.next..self.next + self.len]
    }

    /// Delays one sample.
    #[inline]
    pub fn tick(&mut self, x: f32) -> f32 {
        if self.len == 0 {
            return x;
        }
        let delayed = self.buf[self.next];
        self.write(x);
        delayed
    }

    /// Replaces `block` with the signal `len` samples earlier, bit for bit. The slots about to be
    /// written hold exactly the samples that leave, so swapping runs of the block with runs of
    /// the ring delays it; the second copy is then refreshed from the first.
    #[inline]
    pub fn process(&mut self, mut block: &mut [f32]) {
        if self.len == 0 {
            return;
        }
        while !block.is_empty() {
            let run = block.len().min(self.len - self.next);
            let (head, rest) = block.split_at_mut(run);
            let (first, second) = self.buf.split_at_mut(self.len);
            head.swap_with_slice(&mut first[self.next..self.next + run]);
            second[self.next..self.next + run].copy_from_slice(&first[self.next..self.next + run]);
            self.next += run;
            if self.next == self.len {
                self.next = 0;
            }
            block = rest;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DelayLine;

    #[test]
    fn delays_exactly_across_blocks_and_samples() {
        for delay in [0usize, 1, 5, 96] {
            let input: Vec<f32> = (0..500).map(|i| i as f32 + 1.0).collect();
            let expected = |i: usize| if i >= delay { input[i - delay] } else { 0.0 };
            let mut line = DelayLine::new(delay);
            let mut output = input.clone();
            for chunk in output.chunks_mut(7) {
                line.process(chunk);
            }
            let mut by_sample = DelayLine::new(delay);
            for (i, &y) in output.iter().enumerate() {
                assert_eq!(y, expected(i), "delay {delay}, sample {i}");
                assert_eq!(by_sample.tick(input[i]), expected(i), "delay {delay}, sample {i} by tick");
            }
        }
    }

    #[test]
    fn window_holds_the_last_samples_oldest_first_whatever_the_mix_of_calls() {
        let mut line = DelayLine::new(4);
        let mut block = [1.0, 2.0, 3.0];
        line.process(&mut block);
        line.write(4.0);
        line.tick(5.0);
        assert_eq!(line.window(), [2.0, 3.0, 4.0, 5.0]);
        let mut block = [6.0; 6];
        line.process(&mut block);
        assert_eq!(block, [2.0, 3.0, 4.0, 5.0, 6.0, 6.0]);
        assert_eq!(line.window(), [6.0; 4]);
    }
}
