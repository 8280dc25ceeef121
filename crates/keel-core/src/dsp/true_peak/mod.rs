//! Inter-sample ("true") peak interpolators.
//!
//! Two streaming, per-channel polyphase interpolators with the same interface:
//!
//! - [`Bs1770Interpolator`]: the ITU-R BS.1770 Annex 2 reference filter, 4x, 12 taps per phase,
//!   bit-exact coefficients. Use it where compliance with that exact filter is the point.
//! - [`Reconstructor`]: the full-band reconstruction a DAC makes (Kaiser-windowed sinc, flat
//!   within 0.01 dB to 0.46 fs, -6 dB at fs/2, 32x up to 192 kHz), in two stages (see
//!   [`design`]). It reads a sine anywhere up to 0.46 fs within 0.02 dB of its analytic peak.
//!
//! Both take f32 and compute in f32: the Annex 2 taps are multiples of 2^-13 (exact in f32), and
//! f32 accumulation error (~1e-6 relative) is four orders below the targets.
//!
//! The loudness meter reports both: the BS.1770 true peak (Annex 2, what platforms and the
//! target table use) and the reconstructed peak (full band). [`TruePeakTracker`] and
//! [`Bs1770Tracker`] keep their running maxima and only run an interpolator where it could raise
//! the maximum (see their docs). Nothing here allocates after construction.
//!
//! One file a job: [`bs1770`] the standard's table, [`design`] the reconstruction filter and its
//! bounds, [`kernel`] the polyphase arithmetic (shared with the limiter's detector),
//! [`interpolators`] the two streaming filters, [`tracker`] the running maximum.

pub mod bs1770;
pub mod design;
pub mod interpolators;
pub mod kernel;
pub mod tracker;

pub use bs1770::BS1770_TAPS;
pub use design::{MAX_FACTOR, ReconstructorDesign, WINDOW};
pub use interpolators::{Bs1770Interpolator, Reconstructor};
pub use tracker::{
    Bs1770Tracker, ChannelTruePeaks, TruePeakTracker, TruePeaks, bs1770_true_peak_of, true_peak_of,
};
