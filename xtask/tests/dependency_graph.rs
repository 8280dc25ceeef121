//! The workspace's dependency graph, checked with `cargo tree`:
//!
//! - the bundled plugin (`keel`) carries none of the command line's crates (argument parsing,
//!   thread pools, plotting, progress bars, audio file codecs) nor the standalone wrapper's
//!   (clap, cpal, jack, which nice-plug's `standalone` feature brings);
//! - the DSP core (`keel-core`) knows no plugin framework, GUI, command-line or I/O crate;
//! - every member declares its dependencies for every platform it ships on: what a member
//!   depends on directly on Linux it also depends on on Windows and macOS (only `libc` may be
//!   Unix-only);
//! - and a self-check that the lists these tests read are real, so they cannot pass vacuously.
//!
//! `cargo tree -p PKG` resolves features for the selected package alone (resolver 2 and later),
//! with its default features, which is how the bundler builds the plugin (`cargo build -p keel`):
//! the plugin's own `standalone` feature (the application) is off there.
//!
//! Only std: each check shells out to the cargo that runs the tests (`CARGO`), in the workspace
//! root, with `--locked` so a test never rewrites `Cargo.lock`.

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;
use std::process::{Command, Output};

/// The platforms Keel ships on. `unix` says whether `cfg(unix)` holds there.
struct Target {
    triple: &'static str,
    unix: bool,
}

const LINUX: &str = "x86_64-unknown-linux-gnu";

const TARGETS: [Target; 3] = [
    Target { triple: LINUX, unix: true },
    Target { triple: "x86_64-pc-windows-msvc", unix: false },
    Target { triple: "aarch64-apple-darwin", unix: true },
];

/// Every package of the workspace.
const MEMBERS: [&str; 5] = ["keel", "keel-core", "keel-cli", "host-tests", "xtask"];

/// Crates a member may depend on only under `cfg(unix)`: they must be there on every Unix
/// target, and may be missing on the others.
const UNIX_ONLY: [&str; 1] = ["libc"];

/// Crate names the plugin must not carry. A trailing `*` matches every crate whose name starts
/// with what comes before it. Names match exactly otherwise: `clap-sys` (the CLAP plugin ABI,
/// which the plugin needs) is not `clap` (the argument parser).
const NOT_IN_PLUGIN: &[&str] = &[
    // The command line: argument parsing, thread pool, plots, progress bars.
    "clap",
    "clap_builder",
    "rayon",
    "rayon-core",
    "plotters",
    "indicatif",
    // Audio file reading and writing.
    "hound",
    "symphonia*",
    "opus",
    "audiopus*",
    "libflac-sys",
    "flacenc",
    "vorbis",
    "vorbis_rs",
    "aotuv_lancer_vorbis_sys",
    "ogg",
    "ogg_next_sys",
    "mp3lame-encoder",
    "fdk-aac",
    "claxon",
    "flac",
    "lame",
    // The standalone wrapper's audio back ends (nice-plug's `standalone` feature).
    "cpal",
    "jack",
];

/// Crate names the DSP core must not carry, directly or transitively. `libc` is on the list:
/// nothing the core uses (realfft, rustfft, num-traits, wide, serde_json) brings it today.
const NOT_IN_CORE: &[&str] = &[
    // The plugin framework (nice-plug, nice-plug-egui and the framework's own crates) and GUI.
    "nice-plug*",
    "egui*",
    // The command line and file I/O.
    "clap",
    "rayon",
    "hound",
    "plotters",
    "indicatif",
    // Platform bindings.
    "libc",
];

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(workspace_root());
    command
}

/// `cargo tree --locked ARGS`, its standard output; panics with cargo's message if it fails.
fn cargo_tree(args: &[&str]) -> String {
    let mut command = cargo();
    command.args(["tree", "--locked", "--charset", "ascii"]).args(args);
    let Output { status, stdout, stderr } = command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(status.success(), "{command:?} failed ({status}):\n{}", String::from_utf8_lossy(&stderr));
    String::from_utf8(stdout).unwrap_or_else(|e| panic!("{command:?} printed something that is not UTF-8: {e}"))
}

/// Every crate in `package`'s normal dependency graph on `target`, itself included, by name.
fn normal_graph(package: &str, target: &str) -> BTreeSet<String> {
    let output = cargo_tree(&["-p", package, "-e", "normal", "--target", target, "--prefix", "none", "--format", "{p}"]);
    output
        .lines()
        // Lines are `name vX.Y.Z [(path)] [(proc-macro)] [(*)]`; headers such as
        // `[build-dependencies]` cannot appear with `-e normal`, but are skipped regardless.
        .filter(|line| !line.trim().is_empty() && !line.starts_with('['))
        .map(|line| line.split_whitespace().next().expect("a non-empty line has a first word").to_string())
        .collect()
}

fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == pattern,
    }
}

/// The crates of `package`'s normal graph on `target` that one of `patterns` names.
fn forbidden_crates(package: &str, target: &str, patterns: &[&str]) -> Vec<String> {
    let graph = normal_graph(package, target);
    assert!(
        graph.contains(package),
        "`cargo tree -p {package} --target {target}` did not list {package} itself; the output format changed? Got {graph:?}"
    );
    graph.into_iter().filter(|name| patterns.iter().any(|pattern| matches(pattern, name))).collect()
}

/// The crate that pulls `dependency` into `package`'s graph, for the failure messages.
fn why(package: &str, dependency: &str, target: &str) -> String {
    let mut command = cargo();
    command.args(["tree", "--locked", "--charset", "ascii", "-p", package, "-e", "normal", "--target", target, "-i", dependency]);
    match command.output() {
        Ok(output) if output.status.success() => String::from_utf8_lossy(&output.stdout).into_owned(),
        Ok(output) => String::from_utf8_lossy(&output.stderr).into_owned(),
        Err(e) => format!("cannot run {command:?}: {e}"),
    }
}

/// Every forbidden crate in `package`'s graph on any target, and what brings it.
fn forbidden_in_graph(package: &str, patterns: &[&str], what: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for target in &TARGETS {
        for name in forbidden_crates(package, target.triple, patterns) {
            let path = why(package, &name, target.triple);
            problems.push(format!("{package} on {}: {name} ({what}); it comes through:\n{path}", target.triple));
        }
    }
    problems
}

fn assert_no_problems(package: &str, problems: &[String]) {
    assert!(problems.is_empty(), "{package}'s normal dependency graph has crates it must not have:\n\n{}", problems.join("\n"));
}

#[test]
fn plugin_as_bundled_carries_no_command_line_crates() {
    let mut problems = Vec::new();

    // The root of it all: nice-plug's `standalone` feature is what would bring clap, cpal and
    // jack; only the plugin package's own `standalone` feature, off by default, may enable it.
    for target in &TARGETS {
        let output = cargo_tree(&["-p", "keel", "-e", "normal", "--target", target.triple, "--prefix", "none", "--format", "{p} {f}"]);
        let nice_plug: Vec<&str> = output.lines().filter(|line| line.starts_with("nice-plug v")).collect();
        assert!(!nice_plug.is_empty(), "keel on {} does not depend on nice-plug? `cargo tree` printed:\n{output}", target.triple);
        for line in nice_plug {
            // `nice-plug vX.Y.Z feature,feature,... [(*)]`
            let features: Vec<&str> = line.split_whitespace().nth(2).unwrap_or("").split(',').collect();
            if features.contains(&"standalone") {
                problems.push(format!(
                    "keel on {} builds nice-plug with its `standalone` feature ({line}); only keel's `standalone` feature may enable it\n",
                    target.triple
                ));
            }
        }
    }

    problems.extend(forbidden_in_graph("keel", NOT_IN_PLUGIN, "a command-line, codec or standalone crate"));
    assert_no_problems("keel", &problems);
}

#[test]
fn core_knows_no_framework_or_io_crates() {
    let problems = forbidden_in_graph("keel-core", NOT_IN_CORE, "a framework, GUI, command-line, I/O or platform crate");
    assert_no_problems("keel-core", &problems);
}

/// What kind of dependency an edge of `cargo tree` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Normal,
    Build,
    Dev,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Normal => "dependency",
            Kind::Build => "build-dependency",
            Kind::Dev => "dev-dependency",
        })
    }
}

/// `package`'s direct dependencies on `target` (normal, build and dev), by kind and crate name.
fn direct_dependencies(package: &str, target: &str) -> BTreeSet<(Kind, String)> {
    let output =
        cargo_tree(&["-p", package, "-e", "normal,build,dev", "--target", target, "--depth", "1", "--prefix", "indent", "--format", "{p}"]);
    // keel-cli v0.1.0 (/work/main/crates/keel-cli)
    // |-- clap v4.6.9
    // `-- thiserror v2.0.21
    // [dev-dependencies]
    // `-- hound v3.5.1
    let mut lines = output.lines().filter(|line| !line.trim().is_empty());
    let root = lines.next().unwrap_or_else(|| panic!("`cargo tree -p {package} --target {target}` printed nothing"));
    assert_eq!(
        root.split_whitespace().next(),
        Some(package),
        "`cargo tree -p {package} --target {target}` starts with {root:?}, not the package"
    );
    let mut kind = Kind::Normal;
    let mut dependencies = BTreeSet::new();
    for line in lines {
        // Deeper lines (a dependency's own build-dependency header at the depth limit).
        if line.starts_with("|   ") || line.starts_with("    ") {
            continue;
        }
        match line.trim() {
            "[dependencies]" => kind = Kind::Normal,
            "[build-dependencies]" => kind = Kind::Build,
            "[dev-dependencies]" => kind = Kind::Dev,
            _ => {
                let entry = line
                    .strip_prefix("|-- ")
                    .or_else(|| line.strip_prefix("`-- "))
                    .unwrap_or_else(|| panic!("unexpected line in `cargo tree -p {package} --target {target} --depth 1`: {line:?}"));
                let name = entry.split_whitespace().next().expect("an edge names a crate");
                dependencies.insert((kind, name.to_string()));
            }
        }
    }
    dependencies
}

#[test]
fn every_dependency_is_declared_for_every_platform() {
    let mut problems = Vec::new();
    for package in MEMBERS {
        let on_linux = direct_dependencies(package, LINUX);
        for target in TARGETS.iter().filter(|target| target.triple != LINUX) {
            let here = direct_dependencies(package, target.triple);
            for (kind, name) in on_linux.difference(&here) {
                if !target.unix && UNIX_ONLY.contains(&name.as_str()) {
                    continue;
                }
                problems.push(format!(
                    "{package}: {kind} `{name}` is there on {LINUX} but missing on {} \
                     (declared under a Linux-only or Unix-only [target.'cfg(..)'] table?)",
                    target.triple
                ));
            }
        }
    }
    assert!(problems.is_empty(), "dependencies missing on some platform (only {UNIX_ONLY:?} may be Unix-only):\n{}", problems.join("\n"));
}

/// The lists the other tests read are real: the packages' graphs are there, the direct
/// dependencies everyone knows about are found, and the forbidden-crate check does see
/// clap and cpal where they belong (the standalone application).
#[test]
fn the_checks_read_real_dependency_lists() {
    for package in MEMBERS {
        let graph = normal_graph(package, LINUX);
        assert!(graph.contains(package), "{package}'s graph on {LINUX} does not list the package itself: {graph:?}");
    }

    let cli = direct_dependencies("keel-cli", LINUX);
    assert!(!cli.is_empty(), "keel-cli has no direct dependencies on {LINUX}?");
    assert!(cli.contains(&(Kind::Normal, "clap".into())), "keel-cli's direct dependencies on {LINUX} lack clap: {cli:?}");
    assert!(cli.contains(&(Kind::Normal, "libc".into())), "keel-cli's direct dependencies on {LINUX} lack libc: {cli:?}");

    let plugin = direct_dependencies("keel", LINUX);
    assert!(!plugin.is_empty(), "keel has no direct dependencies on {LINUX}?");
    assert!(plugin.contains(&(Kind::Normal, "nice-plug".into())), "keel's direct dependencies on {LINUX} lack nice-plug: {plugin:?}");
    assert!(plugin.iter().any(|(kind, _)| *kind == Kind::Dev), "keel's dev-dependencies were not read: {plugin:?}");

    let plugin_graph = normal_graph("keel", LINUX);
    for expected in ["keel-core", "nice-plug", "clap-sys"] {
        assert!(plugin_graph.contains(expected), "keel's graph on {LINUX} lacks {expected}: {plugin_graph:?}");
    }
    let core_graph = normal_graph("keel-core", LINUX);
    assert!(core_graph.contains("realfft"), "keel-core's graph on {LINUX} lacks realfft: {core_graph:?}");

    // The same reading does find the standalone wrapper's crates where they belong: in the
    // plugin package built with its `standalone` feature, on every platform.
    for target in &TARGETS {
        let output = cargo_tree(&[
            "-p", "keel", "--features", "standalone", "-e", "normal", "--target", target.triple, "--prefix", "none", "--format", "{p}",
        ]);
        let found: Vec<&str> = output.lines().filter_map(|line| line.split_whitespace().next()).collect();
        for expected in ["clap", "cpal"] {
            assert!(
                found.iter().any(|name| matches(expected, name)),
                "the dependency reading does not see {expected} in keel with `standalone` on {}: found {found:?}",
                target.triple
            );
        }
    }
    assert!(matches("symphonia*", "symphonia-core") && !matches("clap", "clap-sys"), "the name patterns match wrongly");
}
