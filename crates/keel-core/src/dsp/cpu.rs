//! Which instruction set the kernels run, detected once per process. Every build of a kernel is
//! the same source compiled for wider vectors, without fused multiply-add, so all give
//! bit-identical results; only the speed differs.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

/// Instruction-set levels, lowest first. Each includes those below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SimdLevel {
    /// What every CPU of the architecture runs (SSE2 on x86-64, NEON on aarch64).
    Portable = 0,
    /// x86-64 with AVX2.
    Avx2 = 1,
    /// x86-64 with AVX-512 F and VL.
    Avx512 = 2,
}

static CAP: AtomicU8 = AtomicU8::new(SimdLevel::Avx512 as u8);

/// The highest level this CPU supports.
pub fn detected() -> SimdLevel {
    static DETECTED: OnceLock<SimdLevel> = OnceLock::new();
    *DETECTED.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            if has!("avx512f") && has!("avx512vl") && has!("avx2") {
                return SimdLevel::Avx512;
            }
            if has!("avx2") {
                return SimdLevel::Avx2;
            }
        }
        SimdLevel::Portable
    })
}

/// The level kernels use: the detected one, capped by [`limit`].
#[inline]
pub fn level() -> SimdLevel {
    let cap = CAP.load(Ordering::Relaxed);
    let detected = detected();
    if (detected as u8) <= cap {
        detected
    } else if cap >= SimdLevel::Avx2 as u8 {
        SimdLevel::Avx2
    } else {
        SimdLevel::Portable
    }
}

/// Caps the level process-wide, for benches and tests that compare the builds.
pub fn limit(cap: SimdLevel) {
    CAP.store(cap as u8, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_never_raises_the_level() {
        let detected = detected();
        limit(SimdLevel::Portable);
        assert_eq!(level(), SimdLevel::Portable);
        limit(SimdLevel::Avx2);
        assert_eq!(level(), detected.min(SimdLevel::Avx2));
        limit(SimdLevel::Avx512);
        assert_eq!(level(), detected);
    }
}
