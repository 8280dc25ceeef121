//! The `keel` command: render, measure, master, compare, generate test signals and list
//! parameters, running the plugin's own `Chain` and parameter list headless.
//!
//! This module only does I/O, orchestration and reporting; everything audible lives in
//! `chain` and `dsp`. The interface is documented in docs/cli.md and is a contract: scripts
//! depend on the syntax, the JSON fields and the exit codes (0 ok, 1 check failed, 2 bad input).

pub mod album;
pub mod album_master;
pub mod codec;
pub mod codec_safe;
pub mod compare;
pub mod decode;
pub mod error;
pub mod flac;
pub mod generate;
pub mod master;
pub mod measure;
pub mod output;
pub mod params;
pub mod pending_file;
pub mod plot;
pub mod progress;
pub mod render;
pub mod report;
pub mod source;
pub mod streams;
pub mod wav;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use error::{CliError, CliResult};
use std::ffi::OsString;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "keel",
    version,
    about = "Render, measure and master audio exactly as the Keel plugin does",
    after_help = "Exit codes: 0 success, 1 a check failed, 2 bad usage or bad input, 3 the system refused an operation (a full disk, say)."
)]
pub struct Cli {
    /// No progress bar.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Process audio files through the plugin's chain.
    Render(render::RenderArgs),
    /// Measure loudness (BS.1770 / EBU R128) and what platforms would do to it.
    Measure(measure::MeasureArgs),
    /// Write one self-contained HTML loudness report for files or an album.
    Report(report::ReportArgs),
    /// Bring a file, or an album, to a loudness target under a true-peak ceiling.
    Master(master::MasterArgs),
    /// Compare two WAV files sample by sample (null test).
    Compare(compare::CompareArgs),
    /// Write a test signal.
    Gen(generate::GenArgs),
    /// List every parameter: id, name, unit, range, default.
    Params(params::ParamsArgs),
}

/// Parses `args` (program name first), runs the command and returns its exit code. Results go
/// to stdout; errors are one line on stderr.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let asks_help = args.iter().skip(1).any(|a| a == "-h" || a == "--help" || a == "help");
    let mut command = Cli::command();
    if asks_help {
        command = with_codec_availability(command);
    }
    let cli = match command.try_get_matches_from(args).and_then(|m| Cli::from_arg_matches(&m)) {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("keel: {e}");
            e.exit()
        }
    }
}

fn execute(cli: Cli) -> CliResult<()> {
    let quiet = cli.quiet;
    match cli.command {
        Command::Render(args) => render::run(&args, quiet),
        Command::Measure(args) => measure::run(&args, quiet),
        Command::Report(args) => report::run(&args, quiet),
        Command::Master(args) => master::run(&args),
        Command::Compare(args) => compare::run(&args),
        Command::Gen(args) => generate::run(&args),
        Command::Params(args) => params::run(&args),
    }
}

/// The codec options' help, completed with what this build and system can run (probing for
/// ffmpeg and libmp3lame only when help is asked for).
fn with_codec_availability(command: clap::Command) -> clap::Command {
    let missing: Vec<String> = codec::Codec::ALL
        .iter()
        .filter_map(|c| c.available().err().map(|why| format!("{}: {why}", c.name())))
        .collect();
    let note = if missing.is_empty() {
        "All four codecs are available here.".to_string()
    } else {
        format!("Not available here: {}.", missing.join("; "))
    };
    let complete = move |arg: clap::Arg| {
        let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        let end = if help.ends_with('.') { "" } else { "." };
        arg.help(format!("{help}{end} {note}"))
    };
    command
        .mut_subcommand("measure", |c| c.mut_arg("codec", complete.clone()))
        .mut_subcommand("master", |c| c.mut_arg("codec_safe", complete.clone()).mut_arg("deliver", complete))
}

/// Help and version print as clap formats them; real usage errors become one line and exit 2.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            }
        }
        _ => {
            // clap's message without its usage block, folded onto one line.
            let rendered = e.render().to_string();
            let body = rendered.split("\n\nUsage:").next().unwrap_or("bad usage");
            let body = body.split("\n\nFor more information").next().unwrap_or(body);
            let folded = body.split_whitespace().collect::<Vec<_>>().join(" ");
            let message = folded.strip_prefix("error: ").unwrap_or(&folded);
            eprintln!("keel: {message} (see keel --help)");
            ExitCode::from(2)
        }
    }
}

/// Shared check for every command that writes a file.
pub(crate) fn refuse_overwriting_input(input: &std::path::Path, output: &std::path::Path) -> CliResult<()> {
    if wav::same_file(input, output) {
        return Err(CliError::input(format!(
            "{}: output path is the input file; choose another output name",
            output.display()
        )));
    }
    Ok(())
}
