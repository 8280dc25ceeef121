//! Fixed integer delay for one channel, in place, sized once.

#[derive(Clone, Debug)]
pub struct DelayLine {
    buf: Box<[f32]>,
    delay: usize,
    pos: usize,
}

impl DelayLine {
    pub fn new(delay: usize) -> Self {
        Self { buf: vec![0.0; delay.max(1)].into_boxed_slice(), delay, pos: 0 }
    }

    pub fn delay(&self) -> usize {
        self.delay
    }

    pub fn reset(&mut self) {
        self.buf.fill(0.0);
        self.pos = 0;
    }

    /// Replaces `block` with the signal `delay` samples earlier, bit for bit. The ring slot at
    /// `pos` holds the sample from exactly `delay` samples ago, so swapping runs of the block
    /// with runs of the ring does it, without per-sample bookkeeping.
    #[inline]
    pub fn process(&mut self, mut block: &mut [f32]) {
        if self.delay == 0 {
            return;
        }
        while !block.is_empty() {
            let run = block.len().min(self.delay - self.pos);
            let (head, rest) = block.split_at_mut(run);
            head.swap_with_slice(&mut self.buf[self.pos..self.pos + run]);
            self.pos += run;
            if self.pos == self.delay {
                self.pos = 0;
            }
            block = rest;
        }
    }

    /// Delays one sample.
    #[inline]
    pub fn tick(&mut self, x: f32) -> f32 {
        if self.delay == 0 {
            return x;
        }
        let delayed = self.buf[self.pos];
        self.buf[self.pos] = x;
        self.pos += 1;
        if self.pos == self.delay {
            self.pos = 0;
        }
        delayed
    }
}

#[cfg(test)]
mod tests {
    use super::DelayLine;

    #[test]
    fn delays_exactly_across_blocks() {
        for delay in [0usize, 1, 5, 96] {
            let mut line = DelayLine::new(delay);
            let input: Vec<f32> = (0..500).map(|i| i as f32 + 1.0).collect();
            let mut output = input.clone();
            for chunk in output.chunks_mut(7) {
                line.process(chunk);
            }
            for (i, &y) in output.iter().enumerate() {
                let expected = if i >= delay { input[i - delay] } else { 0.0 };
                assert_eq!(y, expected, "delay {delay}, sample {i}");
            }
        }
    }
}
