//! The command's errors: one line for the user, the exit code scripts test, and the cause kept
//! as the error's source.
//!
//! Exit codes (docs/cli.md): 0 success, 1 a check failed, 2 bad usage or input whose content is
//! bad, 3 the operating system refused an operation on valid arguments (disk full, permission
//! denied, an I/O error while reading or writing).

use keel_core::params::ParamError;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A comparison or target check did not pass; the work itself ran.
    #[error("{0}")]
    CheckFailed(String),
    /// Bad arguments, or input whose content cannot be used.
    #[error("{0}")]
    BadInput(String),
    /// A parameter, `--set` or preset value the table refuses.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// Some files of a batch failed (each was reported on its own line); the exit code is the
    /// most serious of theirs.
    #[error("{message}")]
    Several { message: String, exit_code: u8 },
    /// A file operation failed.
    #[error("{}: {action}: {source}", path.display())]
    Io {
        path: PathBuf,
        /// What was being done, as in "cannot write".
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
}

impl CliError {
    pub fn input(message: impl Into<String>) -> Self {
        CliError::BadInput(message.into())
    }

    pub fn check(message: impl Into<String>) -> Self {
        CliError::CheckFailed(message.into())
    }

    pub fn io(path: &Path, action: &'static str, source: std::io::Error) -> Self {
        CliError::Io { path: path.to_path_buf(), action, source }
    }

    pub fn several(message: String, failures: &[CliError]) -> Self {
        let exit_code = failures.iter().map(CliError::exit_code).max().unwrap_or(2);
        CliError::Several { message, exit_code }
    }

    /// A preset or parameter error, with the file it came from in front.
    pub fn in_file(path: &Path, e: ParamError) -> Self {
        CliError::BadInput(format!("{}: {e}", path.display()))
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::CheckFailed(_) => 1,
            CliError::BadInput(_) | CliError::Param(_) => 2,
            CliError::Several { exit_code, .. } => *exit_code,
            // A path that is not there or not usable is a bad argument; a file that ends early
            // or holds bad bytes is bad input. Everything else the system refused.
            CliError::Io { source, .. } => match source.kind() {
                ErrorKind::NotFound
                | ErrorKind::IsADirectory
                | ErrorKind::NotADirectory
                | ErrorKind::InvalidInput
                | ErrorKind::InvalidData
                | ErrorKind::UnexpectedEof
                | ErrorKind::InvalidFilename => 2,
                _ => 3,
            },
        }
    }

    pub fn exit(&self) -> ExitCode {
        ExitCode::from(self.exit_code())
    }
}

pub type CliResult<T> = Result<T, CliError>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error;

    #[test]
    fn the_system_refusing_is_3_and_bad_paths_or_content_are_2() {
        let io = |kind| CliError::io(Path::new("out.wav"), "cannot write", std::io::Error::from(kind));
        assert_eq!(io(ErrorKind::StorageFull).exit_code(), 3);
        assert_eq!(io(ErrorKind::PermissionDenied).exit_code(), 3);
        assert_eq!(io(ErrorKind::Other).exit_code(), 3);
        assert_eq!(io(ErrorKind::NotFound).exit_code(), 2);
        assert_eq!(io(ErrorKind::UnexpectedEof).exit_code(), 2);
        assert_eq!(CliError::input("x").exit_code(), 2);
        assert_eq!(CliError::check("x").exit_code(), 1);
        assert_eq!(CliError::from(ParamError::UnknownParam("zz".into())).exit_code(), 2);
    }

    #[test]
    fn io_errors_name_the_file_and_keep_their_cause() {
        let e = CliError::io(Path::new("out.wav"), "cannot write", std::io::Error::from(ErrorKind::StorageFull));
        assert!(e.to_string().starts_with("out.wav: cannot write: "), "{e}");
        let source = e.source().expect("the io::Error is kept");
        assert_eq!(source.downcast_ref::<std::io::Error>().unwrap().kind(), ErrorKind::StorageFull);
    }
}
