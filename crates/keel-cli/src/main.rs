//! The `keel` command; everything lives in the `keel_cli` library.

fn main() -> std::process::ExitCode {
    restore_default_sigpipe();
    keel_cli::run(std::env::args_os())
}

/// Rust ignores SIGPIPE, so printing into a closed pipe (`keel params | head`) would panic.
/// Command-line tools are expected to end quietly there instead, as the default action does.
#[cfg(unix)]
fn restore_default_sigpipe() {
    // SAFETY: setting a signal disposition to its default before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn restore_default_sigpipe() {}
