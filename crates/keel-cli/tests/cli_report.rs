//! `keel report` in a real browser: headless Chromium renders the report; its DOM carries
//! exactly the figures `keel measure --json` gives, its screenshot shows the loudness curves,
//! and it prints to A4 with one page for the summary, one for the album and one per track.

mod cli_common;

use cli_common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Debian's `chromium`, else the names other distributions give it.
fn browser() -> &'static str {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|name| Command::new(name).arg("--version").output().is_ok_and(|o| o.status.success()))
        .unwrap_or("chromium")
}

fn chromium(args: &[&str], page: &Path) -> std::process::Output {
    let url = format!("file://{}", page.display());
    let output = Command::new(browser())
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-pdf-header-footer"])
        .args(args)
        .arg(&url)
        .output()
        .unwrap_or_else(|e| panic!("chromium is needed for the report test (cargo xtask test installs it): {e}"));
    assert!(output.status.success(), "chromium {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    output
}

/// `data-field` -> `data-value` pairs inside the element that starts at `from`.
fn fields(dom: &str, from: usize, end: usize) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = &dom[from..end];
    while let Some(at) = rest.find("data-field=\"") {
        rest = &rest[at + 12..];
        let name = rest[..rest.find('"').unwrap()].to_string();
        let value_at = rest.find("data-value=\"").unwrap() + 12;
        let value = rest[value_at..value_at + rest[value_at..].find('"').unwrap()].to_string();
        found.push((name, value));
    }
    found
}

#[test]
fn the_report_renders_with_the_measured_figures_its_plots_and_prints_on_a4() {
    let scratch = Scratch::new("report");
    let album = scratch.path("album");
    std::fs::create_dir_all(&album).unwrap();
    generate(&scratch, "pink", "album/01.wav", &["--seconds", "12", "--level", "-16", "--seed", "1"]);
    generate(&scratch, "sweep", "album/02.wav", &["--seconds", "8", "--level", "-6"]);
    let report = scratch.path("report.html");
    ok(keel(&["report", "--album", album.to_str().unwrap(), "-o", report.to_str().unwrap(), "--target", "spotify"]));

    // The DOM Chromium builds holds, per track, exactly what `keel measure --json` says.
    let dom = String::from_utf8(chromium(&["--dump-dom"], &report).stdout).unwrap();
    let measured: Value = serde_json::from_str(&ok(keel(&[
        "measure",
        "--json",
        "-q",
        "--target",
        "spotify",
        album.to_str().unwrap(),
    ])))
    .unwrap();
    let files = measured["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    for file in files {
        let name = file["file"].as_str().unwrap();
        let start = dom.find(&format!("<section class=\"track\" data-file=\"{name}\"")).expect("a section per track");
        let end = start + dom[start..].find("</section>").unwrap();
        let shown = fields(&dom, start, end);
        // The track's own figures (the platform rows repeat field names of the outcomes).
        let own: Vec<&(String, String)> = shown.iter().filter(|(field, _)| file.get(field.as_str()).is_some()).collect();
        assert!(own.len() >= 8, "{name}: {own:?}");
        for (field, value) in own {
            let expected = &file[field.as_str()];
            if expected.is_null() {
                assert_eq!(value, "null", "{name} {field}");
            } else {
                assert_eq!(value.parse::<f64>().unwrap(), expected.as_f64().unwrap(), "{name} {field}");
            }
        }
        assert!(dom[start..end].contains("<svg"), "{name}: its plot is inline");
    }
    assert!(dom.contains("<section id=\"album\""));
    // Self-contained: nothing to fetch (the only URL is the SVG namespace).
    assert!(!dom.contains("src=") && !dom.contains("href=") && !dom.contains("@import"), "no network");

    // The screenshot shows the curves: the short-term line's blue and the momentary line's.
    let shot = scratch.path("report.png");
    chromium(&[&format!("--screenshot={}", shot.display()), "--window-size=1200,2200"], &report);
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0u8; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let channels = info.color_type.samples();
    let count = |rgb: [u8; 3]| {
        pixels
            .chunks(channels)
            .filter(|p| p[..3].iter().zip(rgb).all(|(&a, b)| a.abs_diff(b) <= 12))
            .count()
    };
    let (short_term, momentary) = (count([20, 60, 150]), count([140, 180, 230]));
    println!("screenshot: {short_term} short-term pixels, {momentary} momentary pixels");
    assert!(short_term > 1_000 && momentary > 50, "curves drawn: {short_term}, {momentary}");
    if std::env::var_os("KEEL_UPDATE_DOCS").is_some() {
        let docs: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "..", "docs", "report.png"].iter().collect();
        std::fs::copy(&shot, docs).unwrap();
    }

    // The same run can stream the records for a catalog while it writes the report.
    let streamed = scratch.path("streamed.html");
    let lines = ok(keel(&["report", album.to_str().unwrap(), "-o", streamed.to_str().unwrap(), "--jsonl", "-q"]));
    let records: Vec<Value> = lines.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| files.iter().any(|f| f["integrated_lufs"] == r["integrated_lufs"])));
    assert!(streamed.exists());

    // Printed: A4 pages, one for the summary, one for the album, one per track.
    let pdf_path = scratch.path("report.pdf");
    chromium(&[&format!("--print-to-pdf={}", pdf_path.display())], &report);
    let pdf = bytes(&pdf_path);
    let text = String::from_utf8_lossy(&pdf);
    assert!(pdf.starts_with(b"%PDF"));
    let pages: Vec<usize> =
        text.match_indices("/Count ").filter_map(|(i, _)| text[i + 7..].split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()).collect();
    assert_eq!(pages.iter().max(), Some(&4), "pages: {pages:?}");
    let boxes: Vec<&str> = text.match_indices("/MediaBox [").map(|(i, _)| &text[i + 11..i + 11 + text[i + 11..].find(']').unwrap()]).collect();
    assert_eq!(boxes.len(), 4);
    for b in boxes {
        let size: Vec<f64> = b.split_whitespace().map(|v| v.parse().unwrap()).collect();
        // A4 is 210 x 297 mm: 595.3 x 841.9 points.
        assert!((size[2] - 595.3).abs() < 1.0 && (size[3] - 841.9).abs() < 1.0, "page {size:?}");
    }
}
