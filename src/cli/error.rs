//! The command's error type: one line for the user and the exit code scripts test.

use std::fmt;
use std::process::ExitCode;

/// 0 success, 1 a check failed, 2 bad usage or bad input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// A comparison or target check did not pass; the work itself ran.
    CheckFailed,
    /// Bad arguments, unreadable or invalid input, or an output that cannot be written.
    BadInput,
}

impl Failure {
    pub fn exit_code(self) -> ExitCode {
        match self {
            Failure::CheckFailed => ExitCode::from(1),
            Failure::BadInput => ExitCode::from(2),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    pub failure: Failure,
    pub message: String,
}

impl CliError {
    pub fn input(message: impl Into<String>) -> Self {
        Self { failure: Failure::BadInput, message: message.into() }
    }

    pub fn check(message: impl Into<String>) -> Self {
        Self { failure: Failure::CheckFailed, message: message.into() }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

impl From<crate::preset::PresetError> for CliError {
    fn from(e: crate::preset::PresetError) -> Self {
        CliError::input(e.to_string())
    }
}

pub type CliResult<T> = Result<T, CliError>;
