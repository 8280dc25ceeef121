//! The eight-band parametric EQ: matched designs (`design`), the lane kernel (`cascade`), and
//! the smoothing that makes automation click-free.
//!
//! Continuous settings (frequency, gain, Q) ramp linearly in log-frequency, dB and log-Q over
//! [`RAMP_SECONDS`], with coefficients redesigned every [`TICK`] samples. Discrete settings (on,
//! type, slope, placement) change the section layout, so the EQ crossfades from a frozen copy
//! of the old cascade to the new one over [`FADE_SECONDS`]. Ticks fall on a fixed grid of
//! absolute sample positions, so the output does not depend on how the host splits blocks.

pub mod cascade;
pub mod design;
mod matched;

use cascade::{Cascade, LaneCoeffs};
use design::{BandDesign, BandSettings, MAX_SECTIONS_PER_BAND, Placement, design_band};
use realfft::num_complex::Complex64;

pub const BANDS: usize = 8;
pub const SLOTS: usize = BANDS * MAX_SECTIONS_PER_BAND;
/// Samples between coefficient updates while a parameter moves.
pub const TICK: usize = 16;
pub const RAMP_SECONDS: f64 = 0.02;
pub const FADE_SECONDS: f64 = 0.01;
/// Decayed filter state is flushed to zero every this many ticks (1024 samples).
const FLUSH_EVERY_TICKS: u64 = 64;

/// The continuous part of a band, in the domains it is smoothed in.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Continuous {
    log_freq: f64,
    gain_db: f64,
    log_q: f64,
}

impl Continuous {
    fn of(s: &BandSettings) -> Self {
        Self { log_freq: s.freq_hz.ln(), gain_db: s.gain_db, log_q: s.q.ln() }
    }

    fn apply(&self, s: &BandSettings) -> BandSettings {
        BandSettings { freq_hz: self.log_freq.exp(), gain_db: self.gain_db, q: self.log_q.exp(), ..*s }
    }
}

#[derive(Clone, Copy, Debug)]
struct Band {
    /// What the user asked for (clamped).
    target: BandSettings,
    /// What the sections currently implement.
    now: BandSettings,
    step: Continuous,
    ticks_left: usize,
}

fn same_layout(a: &BandSettings, b: &BandSettings) -> bool {
    a.enabled == b.enabled && a.kind == b.kind && a.placement == b.placement && a.order() == b.order()
}

pub struct Equalizer {
    sample_rate: f64,
    bands: [Band; BANDS],
    current: Cascade<SLOTS>,
    /// The cascade before the last layout change, faded out over `fade_len` samples.
    previous: Cascade<SLOTS>,
    fade_pos: usize,
    fade_len: usize,
    ramp_ticks: usize,
    until_tick: usize,
    /// Ticks since construction: schedules the denormal flush on the same absolute grid.
    ticks: u64,
}

impl Equalizer {
    pub fn new(sample_rate: f64) -> Self {
        let band = Band {
            target: BandSettings::default(),
            now: BandSettings::default(),
            step: Continuous { log_freq: 0.0, gain_db: 0.0, log_q: 0.0 },
            ticks_left: 0,
        };
        let mut eq = Self {
            sample_rate,
            bands: [band; BANDS],
            current: Cascade::default(),
            previous: Cascade::default(),
            fade_pos: 0,
            fade_len: ((FADE_SECONDS * sample_rate).round() as usize).max(1),
            ramp_ticks: ((RAMP_SECONDS * sample_rate / TICK as f64).round() as usize).max(1),
            until_tick: TICK,
            ticks: 0,
        };
        eq.reset();
        eq
    }

    pub fn sample_rate(&self) -> f64 {
        self.sample_rate
    }

    /// Sets the targets. Moves start at the next tick; the first call after `new`/`reset`
    /// should be followed by `snap` if no smoothing is wanted (the chain does this).
    pub fn set_bands(&mut self, settings: &[BandSettings; BANDS]) {
        for (band, s) in self.bands.iter_mut().zip(settings) {
            band.target = s.clamped(self.sample_rate);
        }
    }

    /// Jumps every band to its target with no ramp or fade, and clears the filter state.
    pub fn snap(&mut self) {
        for i in 0..BANDS {
            self.bands[i].now = self.bands[i].target;
            self.bands[i].ticks_left = 0;
            self.write_band(i, true);
        }
        self.current.reset();
        self.fade_pos = self.fade_len;
    }

    /// Clears all filter state (keeps settings).
    pub fn reset(&mut self) {
        self.snap();
        self.until_tick = TICK;
        self.ticks = 0;
    }

    pub fn is_smoothing(&self) -> bool {
        self.fade_pos < self.fade_len || self.bands.iter().any(|b| b.ticks_left > 0 || b.now != b.target)
    }

    /// Current settings of a band (as the sections implement them right now).
    pub fn band_now(&self, band: usize) -> BandSettings {
        self.bands[band].now
    }

    pub fn active_sections(&self) -> usize {
        self.current.active_sections()
    }

    /// Processes planar stereo in place. A mono caller passes the same data twice.
    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let len = left.len().min(right.len());
        let mut pos = 0;
        while pos < len {
            // Settings only move at ticks and targets only change between calls, so a steady
            // EQ stays steady for the whole call; its ticks just schedule the denormal flush.
            let steady = !self.is_smoothing();
            let run = if steady { self.frames_to_flush() } else { self.until_tick }.min(len - pos);
            let (l, r) = (&mut left[pos..pos + run], &mut right[pos..pos + run]);
            if steady {
                self.current.process_block(l, r);
            } else if self.fade_pos < self.fade_len {
                self.run_fading(l, r);
            } else {
                for (l, r) in l.iter_mut().zip(r.iter_mut()) {
                    let y = self.current.tick([f64::from(*l), f64::from(*r)]);
                    (*l, *r) = (y[0] as f32, y[1] as f32);
                }
            }
            pos += run;
            self.advance_clock(run);
        }
    }

    /// Frames until the tick that flushes denormal state.
    fn frames_to_flush(&self) -> usize {
        let ticks_after_next = FLUSH_EVERY_TICKS - 1 - self.ticks % FLUSH_EVERY_TICKS;
        self.until_tick + ticks_after_next as usize * TICK
    }

    /// Moves the tick clock on by `frames`, running every tick it passes.
    fn advance_clock(&mut self, mut frames: usize) {
        while frames >= self.until_tick {
            frames -= self.until_tick;
            self.until_tick = TICK;
            self.on_tick();
        }
        self.until_tick -= frames;
    }

    fn run_fading(&mut self, left: &mut [f32], right: &mut [f32]) {
        let inv_len = 1.0 / self.fade_len as f64;
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let x = [f64::from(*l), f64::from(*r)];
            let new = self.current.tick(x);
            let old = self.previous.tick(x);
            let t = (self.fade_pos as f64 + 1.0) * inv_len;
            let t = t.min(1.0);
            self.fade_pos = (self.fade_pos + 1).min(self.fade_len);
            *l = (old[0] + (new[0] - old[0]) * t) as f32;
            *r = (old[1] + (new[1] - old[1]) * t) as f32;
        }
    }

    fn on_tick(&mut self) {
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks % FLUSH_EVERY_TICKS == 0 {
            self.current.flush_tiny_state();
        }
        if !self.is_smoothing() {
            return;
        }
        let fading = self.fade_pos < self.fade_len;
        for i in 0..BANDS {
            let band = &mut self.bands[i];
            if !same_layout(&band.now, &band.target) {
                // One layout change at a time: a second waits until the running fade ends.
                if !fading {
                    self.start_layout_change(i);
                    return;
                }
                continue;
            }
            if band.ticks_left == 0 && band.now != band.target {
                let (from, to) = (Continuous::of(&band.now), Continuous::of(&band.target));
                let n = self.ramp_ticks as f64;
                band.step = Continuous {
                    log_freq: (to.log_freq - from.log_freq) / n,
                    gain_db: (to.gain_db - from.gain_db) / n,
                    log_q: (to.log_q - from.log_q) / n,
                };
                band.ticks_left = self.ramp_ticks;
            }
            if band.ticks_left > 0 {
                band.ticks_left -= 1;
                band.now = if band.ticks_left == 0 {
                    band.target
                } else {
                    let c = Continuous::of(&band.now);
                    Continuous {
                        log_freq: c.log_freq + band.step.log_freq,
                        gain_db: c.gain_db + band.step.gain_db,
                        log_q: c.log_q + band.step.log_q,
                    }
                    .apply(&band.now)
                };
                // A retarget mid-ramp restarts the ramp from here.
                if band.ticks_left > 0 && !ramp_heads_to(&band.now, &band.step, band.ticks_left, &band.target) {
                    band.ticks_left = 0;
                }
                self.write_band(i, false);
            }
        }
    }

    fn start_layout_change(&mut self, band: usize) {
        self.previous.clone_from(&self.current);
        self.bands[band].now = self.bands[band].target;
        self.bands[band].ticks_left = 0;
        self.write_band(band, true);
        self.fade_pos = 0;
    }

    /// Designs band `i` from its `now` settings into its slots.
    fn write_band(&mut self, i: usize, clear_state: bool) {
        let settings = self.bands[i].now;
        let design = design_band(&settings, self.sample_rate);
        for k in 0..MAX_SECTIONS_PER_BAND {
            let slot = i * MAX_SECTIONS_PER_BAND + k;
            if k < design.count {
                let c = design.sections[k];
                let id = crate::dsp::biquad::Coeffs::IDENTITY;
                let lanes = match settings.placement {
                    Placement::Stereo => LaneCoeffs::per_lane(c, c),
                    Placement::Left | Placement::Mid => LaneCoeffs::per_lane(c, id),
                    Placement::Right | Placement::Side => LaneCoeffs::per_lane(id, c),
                };
                self.current.set_coeffs(slot, lanes, settings.placement.is_mid_side());
                if clear_state {
                    self.current.clear_state(slot);
                }
            } else {
                self.current.deactivate(slot);
            }
        }
    }

    /// The scalar reference path over the current cascade (tests only compare it with
    /// `process`; it has no smoothing of its own).
    pub fn process_scalar_reference(&mut self, left: &mut [f32], right: &mut [f32]) {
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let y = self.current.tick_scalar([f64::from(*l), f64::from(*r)]);
            (*l, *r) = (y[0] as f32, y[1] as f32);
        }
    }
}

/// Whether continuing the ramp for `ticks_left` steps still lands on `target`.
fn ramp_heads_to(now: &BandSettings, step: &Continuous, ticks_left: usize, target: &BandSettings) -> bool {
    let n = ticks_left as f64;
    let c = Continuous::of(now);
    let t = Continuous::of(target);
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + b.abs());
    close(c.log_freq + step.log_freq * n, t.log_freq)
        && close(c.gain_db + step.gain_db * n, t.gain_db)
        && close(c.log_q + step.log_q * n, t.log_q)
}

/// Exact response of a set of bands (all enabled bands multiplied, whatever their placement):
/// the combined curve the editor draws and the tests measure against.
pub fn response(bands: &[BandSettings], sample_rate: f64, freq_hz: f64) -> Complex64 {
    bands
        .iter()
        .map(|b| design_band(b, sample_rate).response(freq_hz, sample_rate))
        .product()
}

/// Designs of all bands, for callers that evaluate many frequencies (the editor curve).
pub fn designs(bands: &[BandSettings; BANDS], sample_rate: f64) -> [BandDesign; BANDS] {
    std::array::from_fn(|i| design_band(&bands[i], sample_rate))
}
