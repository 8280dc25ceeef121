//! The real editor in a real window: `keel-standalone --backend dummy` opens it on an X display
//! (Xvfb, started here when no display is set), a screenshot of the root window is taken with
//! `xwd`, and the test checks that every panel is drawn where the layout puts it.
//!
//! The screenshot is kept as `target/screenshots/editor.png` (the README's picture comes from it).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WIDTH: usize = keel::editor::DEFAULT_WIDTH as usize;
const HEIGHT: usize = keel::editor::DEFAULT_HEIGHT as usize;

/// Kills the child when the test ends, however it ends.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The display to use: `DISPLAY` if set, else a private Xvfb. Its screen is large enough that
/// the pointer, which starts at the centre, rests outside the editor (no tooltip in the shot).
fn display() -> (String, Option<KillOnDrop>) {
    if let Some(display) = std::env::var_os("DISPLAY") {
        return (display.to_string_lossy().into_owned(), None);
    }
    let number = (140..200)
        .find(|n| !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() && !Path::new(&format!("/tmp/.X{n}-lock")).exists())
        .expect("no free X display number");
    let display = format!(":{number}");
    let xvfb = Command::new("Xvfb")
        .args([display.as_str(), "-screen", "0", "2560x1800x24", "-nolisten", "tcp"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("no DISPLAY and Xvfb cannot start ({e}): run `cargo xtask test`, which installs and starts it")
        });
    let socket = format!("/tmp/.X11-unix/X{number}");
    let start = Instant::now();
    while !Path::new(&socket).exists() {
        assert!(start.elapsed() < Duration::from_secs(10), "Xvfb did not come up on {display}");
        std::thread::sleep(Duration::from_millis(50));
    }
    (display, Some(KillOnDrop(xvfb)))
}

/// An RGB screenshot of the root window.
struct Screenshot {
    width: usize,
    height: usize,
    rgb: Vec<[u8; 3]>,
}

impl Screenshot {
    fn take(display: &str) -> Screenshot {
        let output = Command::new("xwd")
            .args(["-root", "-silent", "-display", display])
            .output()
            .unwrap_or_else(|e| panic!("cannot run xwd ({e}): it comes with x11-apps, which `cargo xtask test` installs"));
        assert!(output.status.success(), "xwd failed: {}", String::from_utf8_lossy(&output.stderr));
        Screenshot::from_xwd(&output.stdout)
    }

    /// Reads an XWD dump: a big-endian header, a colour map, then ZPixmap rows of 3- or 4-byte pixels.
    fn from_xwd(data: &[u8]) -> Screenshot {
        let field = |index: usize| u32::from_be_bytes(data[index * 4..index * 4 + 4].try_into().unwrap()) as usize;
        let (header_size, format, width, height) = (field(0), field(2), field(4), field(5));
        let (byte_order, bytes_per_pixel, bytes_per_line) = (field(7), field(11) / 8, field(12));
        let (red_mask, green_mask, blue_mask, colours) = (field(14), field(15), field(16), field(19));
        assert_eq!(format, 2, "expected a ZPixmap dump");
        assert!(bytes_per_pixel == 3 || bytes_per_pixel == 4, "unexpected pixel size {bytes_per_pixel}");
        let pixels = &data[header_size + colours * 12..];
        assert!(pixels.len() >= height * bytes_per_line, "truncated XWD dump");
        let channel = |pixel: u32, mask: usize| ((pixel as usize & mask) >> mask.trailing_zeros()) as u8;
        let mut rgb = Vec::with_capacity(width * height);
        for y in 0..height {
            for x in 0..width {
                let start = y * bytes_per_line + x * bytes_per_pixel;
                let mut bytes = [0u8; 4];
                if byte_order == 0 {
                    bytes[..bytes_per_pixel].copy_from_slice(&pixels[start..start + bytes_per_pixel]);
                } else {
                    bytes[4 - bytes_per_pixel..].copy_from_slice(&pixels[start..start + bytes_per_pixel]);
                }
                let pixel = if byte_order == 0 { u32::from_le_bytes(bytes) } else { u32::from_be_bytes(bytes) };
                rgb.push([channel(pixel, red_mask), channel(pixel, green_mask), channel(pixel, blue_mask)]);
            }
        }
        Screenshot { width, height, rgb }
    }

    fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        self.rgb[y * self.width + x]
    }

    /// Pixels of a region given as fractions of the editor window at the top-left corner.
    fn region(&self, x0: f32, y0: f32, x1: f32, y1: f32) -> Vec<[u8; 3]> {
        let (xs, ys) = ((x0 * WIDTH as f32) as usize, (y0 * HEIGHT as f32) as usize);
        let (xe, ye) = ((x1 * WIDTH as f32) as usize, (y1 * HEIGHT as f32) as usize);
        let mut out = Vec::new();
        for y in ys..ye.min(self.height) {
            for x in xs..xe.min(self.width) {
                out.push(self.pixel(x, y));
            }
        }
        out
    }

    fn write_png(&self, path: &Path, width: usize, height: usize) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        let mut encoder = png::Encoder::new(file, width as u32, height as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        let mut data = Vec::with_capacity(width * height * 3);
        for y in 0..height {
            for x in 0..width {
                data.extend_from_slice(&self.pixel(x, y));
            }
        }
        writer.write_image_data(&data).unwrap();
    }
}

fn distinct_colours(pixels: &[[u8; 3]]) -> usize {
    let mut seen: Vec<[u8; 3]> = pixels.to_vec();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

fn fraction(pixels: &[[u8; 3]], test: impl Fn([u8; 3]) -> bool) -> f64 {
    pixels.iter().filter(|&&p| test(p)).count() as f64 / pixels.len().max(1) as f64
}

fn is_text(p: [u8; 3]) -> bool {
    p.iter().all(|&c| c > 170)
}

/// A clearly coloured pixel (not grey).
fn is_saturated(p: [u8; 3]) -> bool {
    let (max, min) = (p.iter().max().unwrap(), p.iter().min().unwrap());
    max - min > 40
}

/// The value bars of the parameter controls.
fn is_control_fill(p: [u8; 3]) -> bool {
    let fill = keel::editor::widgets::FILL;
    (i16::from(p[0]) - i16::from(fill.r())).abs() <= 6
        && (i16::from(p[1]) - i16::from(fill.g())).abs() <= 6
        && (i16::from(p[2]) - i16::from(fill.b())).abs() <= 6
}

fn screenshot_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("screenshots/editor.png")
}

/// Waits until the window has painted and settled (two shots a second apart agree, the first
/// frames come before the window reaches its size) or gives up.
fn wait_for_paint(display: &str, standalone: &mut KillOnDrop, log: &Path) -> Screenshot {
    let start = Instant::now();
    loop {
        if let Some(status) = standalone.0.try_wait().unwrap() {
            let mut text = String::new();
            let _ = std::fs::File::open(log).and_then(|mut f| f.read_to_string(&mut text));
            panic!("keel-standalone exited early ({status}):\n{text}");
        }
        let shot = Screenshot::take(display);
        let painted = shot.width >= WIDTH
            && shot.height >= HEIGHT
            && distinct_colours(&shot.region(0.0, 0.0, 1.0, 1.0)) > 200;
        if painted {
            std::thread::sleep(Duration::from_secs(1));
            let again = Screenshot::take(display);
            if again.rgb == shot.rgb || start.elapsed() > Duration::from_secs(20) {
                return again;
            }
            continue;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "the editor window did not paint within 60 s");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn standalone_editor_window_draws_every_panel() {
    let (display, _xvfb) = display();
    let log = std::env::temp_dir().join(format!("keel-standalone-{}.log", std::process::id()));
    let log_file = std::fs::File::create(&log).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_keel-standalone"))
        .args(["--backend", "dummy"])
        .env("DISPLAY", &display)
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .spawn()
        .expect("cannot start keel-standalone");
    let mut standalone = KillOnDrop(child);
    let shot = wait_for_paint(&display, &mut standalone, &log);
    shot.write_png(&screenshot_path(), WIDTH, HEIGHT);

    // The window covers the default size at the origin (no window manager under Xvfb), and
    // outside it the root window stays black.
    let outside = shot.region(1.0, 0.0, 1.0 + 100.0 / WIDTH as f32, 1.0);
    assert!(fraction(&outside, |p| p == [0, 0, 0]) > 0.99, "something drawn outside the editor window");

    // Top bar with the preset controls, EQ curve, band controls, loudness column, dynamics.
    let regions = [
        ("top bar", (0.0, 0.0, 0.6, 0.04)),
        ("EQ curve", (0.0, 0.07, 0.68, 0.42)),
        ("band controls", (0.0, 0.43, 0.68, 0.66)),
        ("loudness panel", (0.72, 0.04, 1.0, 0.60)),
        ("dynamics panel", (0.0, 0.69, 1.0, 1.0)),
    ];
    for (name, (x0, y0, x1, y1)) in regions {
        let pixels = shot.region(x0, y0, x1, y1);
        let colours = distinct_colours(&pixels);
        let text = fraction(&pixels, is_text);
        println!("{name}: {colours} colours, {:.2}% text pixels", 100.0 * text);
        assert!(colours >= 12, "{name} looks blank ({colours} colours)");
        assert!(text > 0.001, "{name} has no readable text");
    }
    // The band controls' value bars in the bands' colours, and the dynamics controls' bars.
    let band_bars = fraction(&shot.region(0.0, 0.43, 0.68, 0.66), is_saturated);
    assert!(band_bars > 0.02, "band controls: no coloured value bars ({:.3}%)", 100.0 * band_bars);
    let dynamics_bars = fraction(&shot.region(0.0, 0.69, 1.0, 1.0), is_control_fill);
    assert!(dynamics_bars > 0.002, "dynamics panel: no value bars ({:.3}%)", 100.0 * dynamics_bars);
    // The combined EQ curve of a flat EQ: a bright line across most of the plot's width.
    let curve = shot.region(0.0, 0.07, 0.68, 0.42);
    let rows = (0.42 * HEIGHT as f32) as usize - (0.07 * HEIGHT as f32) as usize;
    let cols = curve.len() / rows;
    let longest_bright_row = (0..rows)
        .map(|y| curve[y * cols..(y + 1) * cols].iter().filter(|&&p| is_text(p)).count())
        .max()
        .unwrap();
    assert!(longest_bright_row > cols / 2, "no combined EQ curve across the plot ({longest_bright_row} of {cols})");
}
