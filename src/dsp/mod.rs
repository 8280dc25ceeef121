//! Framework-free DSP building blocks: no plugin framework or GUI types in here.

pub mod biquad;
pub mod eq;
pub mod rng;
pub mod signals;
