//! Framework-free DSP building blocks: no plugin framework or GUI types in here.

pub mod biquad;
pub mod compressor;
pub mod cpu;
pub mod delay;
pub mod dither;
pub mod denormals;
pub mod eq;
pub mod limiter;
pub mod rng;
pub mod spectrum;
pub mod sliding_min;
pub mod true_peak;
pub mod k_weighting;
pub mod level;
pub mod ramp;
pub mod resample;
pub mod windowed_sinc;
pub mod loudness;
