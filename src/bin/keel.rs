//! The `keel` command; everything lives in `keel::cli`.

fn main() -> std::process::ExitCode {
    keel::cli::run(std::env::args_os())
}
