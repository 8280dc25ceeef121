//! `--plot`: momentary and short-term loudness over time with the target line, as PNG or SVG.

use super::error::{CliError, CliResult};
use super::pending_file::PendingFile;
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::io::Write;
use std::path::Path;
use std::sync::Once;

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 500;
/// Lowest level drawn; quieter readings (and silence) sit on the floor.
const FLOOR_LUFS: f64 = -70.0;

/// What the plot shows for one file.
pub struct LoudnessTrace<'a> {
    pub title: &'a str,
    /// Seconds between readings.
    pub hop_seconds: f64,
    /// LUFS per reading; minus infinity for silence.
    pub momentary: &'a [f64],
    pub short_term: &'a [f64],
    pub integrated: Option<f64>,
    /// (label, LUFS) lines, e.g. ("spotify", -14).
    pub targets: &'a [(String, f64)],
    /// (BS.1770 true peak, full-band reconstructed peak) in dBTP, shown in the legend.
    pub peaks: Option<(f64, f64)>,
}

fn register_font() -> CliResult<()> {
    static ONCE: Once = Once::new();
    let mut failed = false;
    ONCE.call_once(|| {
        failed = plotters::style::register_font("sans-serif", FontStyle::Normal, epaint_default_fonts::UBUNTU_LIGHT)
            .is_err();
    });
    if failed { Err(CliError::input("plot: the built-in font could not be loaded")) } else { Ok(()) }
}

/// Writes the plot; the format follows the extension (.png or .svg).
pub fn write_plot(path: &Path, trace: &LoudnessTrace) -> CliResult<()> {
    register_font()?;
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let bytes = match extension.as_deref() {
        Some("svg") => svg_plot(trace)?.into_bytes(),
        Some("png") => {
            let mut pixels = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
            draw(BitMapBackend::with_buffer(&mut pixels, (WIDTH, HEIGHT)), trace)?;
            encode_png(&pixels)?
        }
        _ => {
            return Err(CliError::input(format!("{}: --plot needs a .png or .svg file name", path.display())));
        }
    };
    let mut out = PendingFile::create(path)?;
    let written = out.file()?.write_all(&bytes);
    written.map_err(|e| CliError::io(path, "cannot write plot", e))?;
    out.commit()
}

/// The plot as an SVG document, for embedding (`keel report`).
pub fn svg_plot(trace: &LoudnessTrace) -> CliResult<String> {
    register_font()?;
    let mut svg = String::new();
    draw(SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)), trace)?;
    Ok(svg)
}

fn encode_png(rgb: &[u8]) -> CliResult<Vec<u8>> {
    let fail = |e: png::EncodingError| CliError::input(format!("plot: PNG encoding failed: {e}"));
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(fail)?;
    writer.write_image_data(rgb).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(bytes)
}

fn draw<B: DrawingBackend>(backend: B, trace: &LoudnessTrace) -> CliResult<()> {
    let fail = |e: &dyn std::fmt::Display| CliError::input(format!("plot: drawing failed: {e}"));
    let root = backend.into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;

    let readings = trace.momentary.len().max(trace.short_term.len()).max(1);
    let duration = (readings as f64 * trace.hop_seconds).max(trace.hop_seconds);
    let finite_max = trace
        .momentary
        .iter()
        .chain(trace.short_term)
        .chain(trace.targets.iter().map(|(_, l)| l))
        .copied()
        .filter(|x| x.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    let top = if finite_max.is_finite() { ((finite_max + 3.0) / 3.0).ceil() * 3.0 } else { 0.0 };
    let top = top.clamp(FLOOR_LUFS + 10.0, 6.0);

    let caption = match trace.integrated {
        Some(i) if i.is_finite() => format!("{}  (integrated {i:.1} LUFS)", trace.title),
        _ => trace.title.to_string(),
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..duration, FLOOR_LUFS..top)
        .map_err(|e| fail(&e))?;
    chart
        .configure_mesh()
        .x_desc("time (s)")
        .y_desc("loudness (LUFS)")
        .label_style(("sans-serif", 14))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(|e| fail(&e))?;

    let points = |values: &[f64]| -> Vec<(f64, f64)> {
        values
            .iter()
            .enumerate()
            // Each reading covers the window that ends at its time.
            .map(|(i, v)| ((i + 1) as f64 * trace.hop_seconds, v.max(FLOOR_LUFS).min(top)))
            .collect()
    };
    let momentary_colour = RGBColor(140, 180, 230);
    let short_term_colour = RGBColor(20, 60, 150);
    chart
        .draw_series(LineSeries::new(points(trace.momentary), momentary_colour.stroke_width(1)))
        .map_err(|e| fail(&e))?
        .label("momentary (400 ms)")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], momentary_colour.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(points(trace.short_term), short_term_colour.stroke_width(2)))
        .map_err(|e| fail(&e))?
        .label("short-term (3 s)")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], short_term_colour.stroke_width(2)));
    if let Some(integrated) = trace.integrated.filter(|i| i.is_finite()) {
        let colour = RGBColor(30, 140, 60);
        chart
            .draw_series(LineSeries::new(vec![(0.0, integrated), (duration, integrated)], colour.stroke_width(1)))
            .map_err(|e| fail(&e))?
            .label(format!("integrated {integrated:.1} LUFS"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
    }
    if let Some((true_peak, reconstructed)) = trace.peaks {
        // Legend-only entries: the peaks are single numbers, not curves.
        let entries = [
            (format!("true peak {true_peak:.2} dBTP (BS.1770)"), RGBColor(200, 60, 60)),
            (format!("reconstructed peak {reconstructed:.2} dBTP (full band)"), RGBColor(150, 40, 150)),
        ];
        for (label, colour) in entries {
            chart
                .draw_series(LineSeries::new(Vec::<(f64, f64)>::new(), colour.stroke_width(2)))
                .map_err(|e| fail(&e))?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
        }
    }
    for (label, level) in trace.targets {
        let colour = RGBColor(200, 30, 30);
        let line = DashedLineSeries::new(vec![(0.0, *level), (duration, *level)], 8, 5, colour.stroke_width(2));
        chart
            .draw_series(line)
            .map_err(|e| fail(&e))?
            .label(format!("{label} target {level:.0} LUFS"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(|e| fail(&e))?;
    root.present().map_err(|e| fail(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace_values() -> (Vec<f64>, Vec<f64>) {
        let momentary =
            (0..300).map(|i| if i < 20 { f64::NEG_INFINITY } else { -20.0 + 6.0 * (i as f64 * 0.1).sin() }).collect();
        let short_term =
            (0..300).map(|i| if i < 30 { f64::NEG_INFINITY } else { -20.0 + 2.0 * (i as f64 * 0.03).sin() }).collect();
        (momentary, short_term)
    }

    #[test]
    fn png_and_svg_have_the_documented_size() {
        let (momentary, short_term) = trace_values();
        let targets = [("spotify".to_string(), -14.0)];
        let trace = LoudnessTrace {
            title: "unit",
            hop_seconds: 0.1,
            momentary: &momentary,
            short_term: &short_term,
            integrated: Some(-20.3),
            peaks: Some((-1.2, -0.9)),
            targets: &targets,
        };
        let dir = std::env::temp_dir();
        let png_path = dir.join(format!("keel-plot-unit-{}.png", std::process::id()));
        write_plot(&png_path, &trace).unwrap();
        let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png_path).unwrap()));
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (WIDTH, HEIGHT));
        std::fs::remove_file(&png_path).unwrap();

        let svg_path = dir.join(format!("keel-plot-unit-{}.svg", std::process::id()));
        write_plot(&svg_path, &trace).unwrap();
        let svg = std::fs::read_to_string(&svg_path).unwrap();
        std::fs::remove_file(&svg_path).unwrap();
        assert!(svg.contains(&format!("width=\"{WIDTH}\"")) && svg.contains(&format!("height=\"{HEIGHT}\"")));
        assert!(svg.contains("spotify target -14 LUFS"));
    }
}
