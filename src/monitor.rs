//! The editor's monitoring controls (listen as a platform, level-matched compare) and what the
//! audio side reports back. Editor-owned state shared through atomics: not parameters, so hosts
//! neither automate nor save them, and every new instance (a loaded project included) starts
//! with both off. The audio processing is `keel_core::monitor`.

use keel_core::targets::{Normalization, PLATFORM_TARGETS, PlatformTarget};
use nice_plug::prelude::AtomicF32;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

#[derive(Default)]
pub struct MonitorControls {
    /// 0: off; else 1 + the platform's index in `PLATFORM_TARGETS`.
    listen_as: AtomicUsize,
    compare: AtomicBool,
    /// Reported by the audio side, dB.
    pub listen_gain_db: AtomicF32,
    pub listen_limiter_db: AtomicF32,
    pub compare_gain_db: AtomicF32,
}

/// The platforms whose players change the level (those with a playback rule).
pub fn listening_platforms() -> impl Iterator<Item = &'static PlatformTarget> {
    PLATFORM_TARGETS.iter().filter(|t| t.target_lufs.is_some() && t.normalization != Normalization::None)
}

impl MonitorControls {
    pub fn listen_as(&self) -> Option<&'static PlatformTarget> {
        match self.listen_as.load(Ordering::Relaxed) {
            0 => None,
            n => PLATFORM_TARGETS.get(n - 1),
        }
    }

    /// Listens as the platform with this id (None or an unknown id: off).
    pub fn set_listen_as(&self, id: Option<&str>) {
        let index = id.and_then(|id| PLATFORM_TARGETS.iter().position(|t| t.id == id)).map_or(0, |i| i + 1);
        self.listen_as.store(index, Ordering::Relaxed);
    }

    pub fn compare(&self) -> bool {
        self.compare.load(Ordering::Relaxed)
    }

    pub fn set_compare(&self, on: bool) {
        self.compare.store(on, Ordering::Relaxed);
    }

    /// Whether either monitor is on (the editor shows a banner).
    pub fn any_on(&self) -> bool {
        self.compare() || self.listen_as().is_some()
    }
}
