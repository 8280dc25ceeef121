//! `keel report`: one self-contained HTML file per release: a summary table, per track its
//! figures, where its true peak is, its loudness history (inline SVG) with the target lines and
//! what each platform does to it, and the album section with `--album`. No network: styles and
//! plots are inline, the fonts are the reader's own sans-serif. A print stylesheet lays it out on
//! A4, one page for the summary and one per track.

use super::album::Album;
use super::error::{CliError, CliResult};
use super::measure::{Measurement, Streamed, measure_inputs, measurement_json, resolve_targets, target_lines};
use super::pending_file::PendingFile;
use super::plot::svg_plot;
use clap::Args;
use keel_core::targets::{PLATFORM_TARGETS, PlatformTarget};
use serde_json::Value;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Audio files or folders of them.
    #[arg(required = true, value_name = "FILE|DIR")]
    pub inputs: Vec<PathBuf>,
    /// The report to write (.html).
    #[arg(short, long, value_name = "REPORT.html")]
    pub output: PathBuf,
    /// The files are one album: add the album section (see `keel measure --album`).
    #[arg(long)]
    pub album: bool,
    /// Platform targets to show (ids as `keel measure` lists, or `all`); default: all.
    #[arg(long = "target", value_name = "NAME")]
    pub targets: Vec<String>,
    /// Also print one JSON object per file on stdout as each finishes (as `keel measure --jsonl`).
    #[arg(long, conflicts_with = "csv")]
    pub jsonl: bool,
    /// Also print CSV on stdout, a row per file as each finishes (as `keel measure --csv`).
    #[arg(long)]
    pub csv: bool,
}

/// The per-file figures, in table order: JSON field, label, unit.
const FIGURES: [(&str, &str, &str); 7] = [
    ("integrated_lufs", "Integrated", "LUFS"),
    ("loudness_range_lu", "Loudness range", "LU"),
    ("max_momentary_lufs", "Max momentary", "LUFS"),
    ("max_short_term_lufs", "Max short-term", "LUFS"),
    ("true_peak_dbtp", "True peak (BS.1770)", "dBTP"),
    ("reconstructed_peak_dbtp", "Reconstructed peak (full band)", "dBTP"),
    ("sample_peak_dbfs", "Sample peak", "dBFS"),
];

const STYLE: &str = r#"
body { font-family: sans-serif; color: #1b1b1b; margin: 24px auto; max-width: 1100px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin: 18px 0 6px; }
p.meta { color: #555; margin: 2px 0 10px; font-size: 13px; }
table { border-collapse: collapse; font-size: 13px; margin-bottom: 10px; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td.over { color: #b00020; font-weight: bold; }
figure.plot { margin: 6px 0; } figure.plot svg { width: 100%; height: auto; }
section.track, section#album { border-top: 2px solid #333; margin-top: 22px; }
@page { size: A4; margin: 14mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 11px; }
  section.track, section#album { break-before: page; border-top: none; margin-top: 0; }
  table { font-size: 10px; } th, td { padding: 2px 5px; }
}
"#;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A figure as the JSON has it (`data-value`, for machines) and as people read it.
fn cell(object: &Value, field: &str, over: bool) -> String {
    let value = &object[field];
    let shown = value.as_f64().map_or("&minus;".to_string(), |v| format!("{v:.2}"));
    let class = if over { " class=\"over\"" } else { "" };
    format!("<td data-field=\"{field}\" data-value=\"{value}\"{class}>{shown}</td>")
}

fn minutes(seconds: f64) -> String {
    format!("{}:{:06.3}", (seconds / 60.0).floor(), seconds % 60.0)
}

fn track_section(html: &mut String, m: &Measurement, object: &Value, targets: &[&PlatformTarget]) -> CliResult<()> {
    let file = escape(&m.file.display().to_string());
    let _ = write!(
        html,
        "<section class=\"track\" data-file=\"{file}\"><h2>{}</h2><p class=\"meta\">{} ch &middot; {} Hz &middot; {} &middot; {}{}</p>",
        escape(&m.file_name()),
        m.channels,
        m.sample_rate,
        minutes(m.frames as f64 / f64::from(m.sample_rate)),
        escape(&m.codec),
        if m.lossy { " (lossy: measured as decoded)" } else { "" }
    );
    html.push_str("<table class=\"figures\"><tbody>");
    for (field, label, unit) in FIGURES {
        let _ = write!(html, "<tr><th>{label}</th>{}<td>{unit}</td></tr>", cell(object, field, false));
    }
    let _ = write!(
        html,
        "<tr><th>True peak at</th><td data-field=\"true_peak_at_seconds\" data-value=\"{}\">{}</td><td>min:s</td></tr></tbody></table>",
        object["true_peak_at_seconds"],
        minutes(m.true_peak_at_seconds)
    );
    // A few target lines keep the legend readable; the table below has them all.
    let lines: Vec<(String, f64)> = target_lines(targets).into_iter().take(4).collect();
    let title = m.file_name();
    let svg = svg_plot(&m.trace(&title, &lines))?;
    let _ = write!(html, "<figure class=\"plot\">{svg}</figure>");
    html.push_str(
        "<table class=\"platforms\"><thead><tr><th>Platform</th><th>Target</th><th>Player gain</th><th>Plays at</th><th>Peak then</th><th>Ceiling</th></tr></thead><tbody>",
    );
    for outcome in object["targets"].as_array().into_iter().flatten() {
        let holds = outcome["ceiling_holds"].as_bool().unwrap_or(true);
        let target = outcome["target_lufs"].as_f64().map_or("none".to_string(), |t| format!("{t:.0} LUFS"));
        let _ = write!(
            html,
            "<tr data-target=\"{}\"><td>{}</td><td>{target}</td>{}{}{}<td>{:.1} dBTP</td></tr>",
            escape(outcome["id"].as_str().unwrap_or_default()),
            escape(outcome["name"].as_str().unwrap_or_default()),
            cell(outcome, "gain_db", false),
            cell(outcome, "resulting_lufs", false),
            cell(outcome, "resulting_true_peak_dbtp", !holds),
            outcome["ceiling_dbtp"].as_f64().unwrap_or_default()
        );
    }
    html.push_str("</tbody></table></section>");
    Ok(())
}

fn album_section(html: &mut String, album: &Value) {
    html.push_str("<section id=\"album\"><h2>Album</h2>");
    let _ = write!(html, "<p class=\"meta\">{} tracks, {}</p><table class=\"figures\"><tbody>", album["tracks"], escape(album["measured_as"].as_str().unwrap_or_default()));
    for (field, label, unit) in [
        ("integrated_lufs", "Integrated", "LUFS"),
        ("loudness_range_lu", "Loudness range", "LU"),
        ("loudest_track_lufs", "Loudest track", "LUFS"),
        ("true_peak_dbtp", "True peak (BS.1770)", "dBTP"),
        ("reconstructed_peak_dbtp", "Reconstructed peak", "dBTP"),
    ] {
        let _ = write!(html, "<tr><th>{label}</th>{}<td>{unit}</td></tr>", cell(album, field, false));
    }
    html.push_str("</tbody></table><table class=\"platforms\"><thead><tr><th>Platform</th><th>Album rule</th><th>Confidence</th><th>Album gain</th></tr></thead><tbody>");
    for t in album["targets"].as_array().into_iter().flatten() {
        let gain = t["album_gain_db"].as_f64().map_or("per track".to_string(), |g| format!("{g:+.2} dB"));
        let _ = write!(
            html,
            "<tr title=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{gain}</td></tr>",
            escape(t["album_rule_source"].as_str().unwrap_or_default()),
            escape(t["name"].as_str().unwrap_or_default()),
            escape(t["album_basis"].as_str().unwrap_or_default()),
            escape(t["album_rule_confidence"].as_str().unwrap_or_default())
        );
    }
    html.push_str("</tbody></table></section>");
}

pub fn run(args: &ReportArgs, quiet: bool) -> CliResult<()> {
    let ext = args.output.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    if !matches!(ext.as_deref(), Some("html" | "htm")) {
        return Err(CliError::input(format!("{}: the report is an .html file", args.output.display())));
    }
    let targets: Vec<&'static PlatformTarget> =
        if args.targets.is_empty() { PLATFORM_TARGETS.iter().collect() } else { resolve_targets(&args.targets)? };
    let stream = Streamed::new(args.jsonl, args.csv, &targets);
    let (files, results, tape) = measure_inputs(&args.inputs, args.album, "report", quiet, &stream)?;
    let mut measured = Vec::with_capacity(results.len());
    let mut failures = Vec::new();
    for result in results {
        match result {
            Ok(m) => measured.push(m),
            Err(e) => failures.push(e),
        }
    }
    if !failures.is_empty() {
        return Err(CliError::several(
            format!("{} of {} files could not be measured; no report written", failures.len(), files.len()),
            &failures,
        ));
    }
    let objects: Vec<Value> = measured.iter().map(|m| measurement_json(m, &targets)).collect();

    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Loudness report</title><style>{STYLE}</style></head><body>"
    );
    let _ = write!(
        html,
        "<header><h1>Loudness report</h1><p class=\"meta\">{} files &middot; measured by keel {} (ITU-R BS.1770-5 / EBU R128; true peak BS.1770 Annex 2 4x; reconstructed peak: full band, 32x)</p></header>",
        measured.len(),
        env!("CARGO_PKG_VERSION")
    );
    html.push_str("<section id=\"summary\"><h2>Summary</h2><table class=\"summary\"><thead><tr><th>File</th>");
    for (_, label, unit) in FIGURES {
        let _ = write!(html, "<th>{label} ({unit})</th>");
    }
    html.push_str("</tr></thead><tbody>");
    for (m, object) in measured.iter().zip(&objects) {
        let _ = write!(html, "<tr data-file=\"{}\"><td>{}</td>", escape(&m.file.display().to_string()), escape(&m.file_name()));
        for (field, _, _) in FIGURES {
            html.push_str(&cell(object, field, false));
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table></section>");
    if args.album {
        album_section(&mut html, &Album::of(&measured, &tape, &targets)?.json());
    }
    for (m, object) in measured.iter().zip(&objects) {
        track_section(&mut html, m, object, &targets)?;
    }
    html.push_str("</body></html>\n");

    let mut out = PendingFile::create(&args.output)?;
    let written = out.file()?.write_all(html.as_bytes());
    written.map_err(|e| CliError::io(&args.output, "cannot write the report", e))?;
    out.commit()?;
    if !(quiet || args.jsonl || args.csv) {
        println!("report of {} files -> {}", measured.len(), args.output.display());
    }
    Ok(())
}
