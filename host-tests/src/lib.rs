//! Empty on purpose: the checks live in `tests/clap_host.rs`, which loads the built
//! `Keel.clap` bundle through a CLAP host library.
