//! Per-sample linear parameter ramp: the chain's output gain and bypass fade, the compressor's
//! and the limiter's settings.

/// Moves linearly to a new target over a fixed number of samples and lands on it exactly, so a
/// settled parameter has precisely its target value (needed for bit-exact passthrough) and the
/// path does not depend on how the host splits blocks.
#[derive(Clone, Copy, Debug)]
pub struct LinearRamp {
    current: f64,
    target: f64,
    step: f64,
    remaining: u32,
    length: u32,
}

impl LinearRamp {
    pub fn new(value: f64, length_samples: usize) -> Self {
        Self { current: value, target: value, step: 0.0, remaining: 0, length: length_samples.max(1) as u32 }
    }

    /// Starts a ramp from the current value; a repeated target does not restart it.
    pub fn set_target(&mut self, target: f64) {
        if target != self.target {
            self.target = target;
            self.remaining = self.length;
            self.step = (target - self.current) / f64::from(self.length);
        }
    }

    /// Jumps to the target.
    pub fn snap(&mut self) {
        self.current = self.target;
        self.remaining = 0;
    }

    pub fn is_ramping(&self) -> bool {
        self.remaining > 0
    }

    pub fn current(&self) -> f64 {
        self.current
    }

    pub fn target(&self) -> f64 {
        self.target
    }

    /// Advances one sample and returns the value for that sample.
    #[inline(always)]
    pub fn advance(&mut self) -> f64 {
        if self.remaining > 0 {
            self.remaining -= 1;
            self.current = if self.remaining == 0 { self.target } else { self.current + self.step };
        }
        self.current
    }
}

#[cfg(test)]
mod tests {
    use super::LinearRamp;

    #[test]
    fn lands_exactly_and_ignores_repeated_targets() {
        let mut ramp = LinearRamp::new(0.3, 10);
        ramp.set_target(1.0 / 3.0);
        for _ in 0..5 {
            ramp.advance();
        }
        ramp.set_target(1.0 / 3.0);
        assert!(ramp.is_ramping());
        for _ in 0..5 {
            ramp.advance();
        }
        assert_eq!(ramp.current(), 1.0 / 3.0);
        assert!(!ramp.is_ramping());
    }
}
