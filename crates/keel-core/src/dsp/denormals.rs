//! Denormal numbers flushed to zero while audio is processed. Decaying filter states and
//! release curves pass through denormal values, which many CPUs compute tens of times slower
//! than normal ones; a real-time thread cannot afford that, and the sound cannot tell.
//!
//! [`FlushDenormals`] sets flush-to-zero (results) and denormals-are-zero (inputs) for its
//! lifetime and puts back the caller's floating-point control state when dropped: hosts share
//! their threads with other plugins and expect their state unchanged.

/// Flush-to-zero and denormals-are-zero while alive; the previous control state on drop.
#[must_use = "the mode holds only while the guard lives"]
pub struct FlushDenormals {
    #[cfg_attr(not(any(target_arch = "x86_64", target_arch = "aarch64")), allow(dead_code))]
    saved: u64,
}

#[cfg(target_arch = "x86_64")]
mod arch {
    /// MXCSR bits: DAZ (6) and FTZ (15).
    pub const FLUSH: u64 = (1 << 6) | (1 << 15);
    /// Everything but the six status flags (bits 0 to 5).
    pub const CONTROL: u64 = 0xFFC0;

    pub fn read() -> u64 {
        let mut mxcsr: u32 = 0;
        // SAFETY: stores the SSE control register into a local; every x86-64 CPU has SSE.
        unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut mxcsr, options(nostack, preserves_flags)) };
        u64::from(mxcsr)
    }

    pub fn write(value: u64) {
        let mxcsr = value as u32;
        // SAFETY: loads a value read from the register with only the FTZ/DAZ bits changed,
        // both of which every x86-64 CPU supports.
        unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &mxcsr, options(nostack, preserves_flags)) };
    }
}

#[cfg(target_arch = "aarch64")]
mod arch {
    /// FPCR bit 24 (FZ): flushes denormal inputs and results.
    pub const FLUSH: u64 = 1 << 24;
    /// FPCR holds only control bits (the status flags are in FPSR).
    pub const CONTROL: u64 = u64::MAX;

    pub fn read() -> u64 {
        let fpcr: u64;
        // SAFETY: reads the floating-point control register.
        unsafe { std::arch::asm!("mrs {}, fpcr", out(reg) fpcr, options(nomem, nostack, preserves_flags)) };
        fpcr
    }

    pub fn write(value: u64) {
        // SAFETY: writes back a value read from the register with only FZ changed.
        unsafe { std::arch::asm!("msr fpcr, {}", in(reg) value, options(nomem, nostack, preserves_flags)) };
    }
}

impl FlushDenormals {
    pub fn new() -> Self {
        #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
        {
            let saved = arch::read();
            if saved & arch::FLUSH != arch::FLUSH {
                arch::write(saved | arch::FLUSH);
            }
            Self { saved }
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        Self { saved: 0 }
    }

    /// The floating-point control bits as they are now (rounding, exception masks, flushing),
    /// without the sticky status flags any arithmetic sets: for tests of the restore.
    pub fn control_state() -> u64 {
        #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
        return arch::read() & arch::CONTROL;
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        0
    }
}

impl Default for FlushDenormals {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for FlushDenormals {
    fn drop(&mut self) {
        #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
        if arch::read() != self.saved {
            arch::write(self.saved);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flushes_while_alive_and_restores_the_callers_state() {
        let before = FlushDenormals::control_state();
        let tiny = std::hint::black_box(f32::MIN_POSITIVE);
        {
            let _flush = FlushDenormals::new();
            #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
            {
                // Result flushed, and a denormal input read as zero.
                assert_eq!(std::hint::black_box(tiny) / std::hint::black_box(4.0f32), 0.0);
                let denormal = std::hint::black_box(f32::from_bits(1));
                assert_eq!(denormal * std::hint::black_box(1.0f32), 0.0);
            }
        }
        assert_eq!(FlushDenormals::control_state(), before);
        assert!(std::hint::black_box(tiny) / std::hint::black_box(4.0f32) > 0.0, "denormals are back");
    }
}
