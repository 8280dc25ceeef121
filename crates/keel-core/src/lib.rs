//! Keel's signal path and its data, with no plugin framework, GUI, files, OS calls or threads:
//! the compiler keeps it that way, since this crate depends on none of them. The plugin and the
//! `keel` command both run [`chain::Chain`] with settings from [`params::PlainValues`], so a
//! render and a DAW bounce are the same audio.

pub mod chain;
pub mod dsp;
pub mod monitor;
pub mod params;
pub mod preset;
pub mod signals;
pub mod targets;

/// Aborts a unit test that allocates inside `assert_no_alloc` (debug builds).
#[cfg(test)]
#[global_allocator]
static ALLOCATION_GUARD: nice_assert_no_alloc::AllocDisabler = nice_assert_no_alloc::AllocDisabler;
