//! Inter-sample ("true") peak interpolators.
//!
//! Two streaming, per-channel polyphase interpolators with the same interface:
//!
//! - [`Bs1770Interpolator`]: the ITU-R BS.1770 Annex 2 reference filter, 4x, 12 taps per phase,
//!   bit-exact coefficients. Use it where compliance with that exact filter is the point.
//! - [`Reconstructor`]: an accurate Kaiser-windowed sinc (16x below 80 kHz, 8x below 160 kHz,
//!   4x below 320 kHz, else 2x; 48 taps per phase below 47 kHz, 32 above) that reads a sine up
//!   to 20 kHz within 0.05 dB of its analytic peak at any phase at 44.1, 48 and 96 kHz.
//!
//! Both take f32 and compute in f32: the Annex 2 taps are multiples of 2^-13 (exact in f32), and
//! f32 accumulation error (~1e-6 relative) is four orders below the 0.05 dB target.
//!
//! [`TruePeakTracker`] wraps a [`Reconstructor`] to keep a running maximum, and only runs the
//! interpolator where it could raise that maximum (see its docs); it is what the loudness meter
//! uses. Nothing here allocates after construction.
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
pub use design::{MAX_FACTOR, MAX_TAPS_PER_PHASE, ReconstructorDesign, RingBound};
pub use interpolators::{Bs1770Interpolator, Reconstructor};
pub use tracker::{TruePeakTracker, bs1770_true_peak_of, true_peak_of};
