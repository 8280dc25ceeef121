//! The real editor in a real window: `keel-standalone` opens it on an X display (Xvfb, started
//! here when no display is set), screenshots of the root window are taken with `xwd`, and the
//! tests check that every panel is drawn where the layout puts it and, with music playing
//! through a JACK server (`jackd -d dummy`, fed by `jack-play` from jack-tools), that the meters,
//! the analyzer and the loudness history move.
//!
//! The screenshot with music is kept as `target/screenshots/editor.png`; with
//! `KEEL_UPDATE_DOCS=1` it also becomes the README's picture, `docs/editor.png`.

mod common;
use common::limiter_signals;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WIDTH: usize = keel::editor::DEFAULT_WIDTH as usize;
const HEIGHT: usize = keel::editor::DEFAULT_HEIGHT as usize;

/// One window at a time: both tests put theirs at the origin of the same (or a fresh) display.
static ONE_WINDOW: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_window() -> std::sync::MutexGuard<'static, ()> {
    ONE_WINDOW.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

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

fn screenshot_path(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("screenshots").join(name)
}

/// Waits until the window has painted (at its size, with more than a background's colours);
/// fails if the standalone exits first or nothing paints within 60 s.
fn wait_until_painted(display: &str, standalone: &mut KillOnDrop, log: &Path) -> Screenshot {
    let start = Instant::now();
    loop {
        if let Some(status) = standalone.0.try_wait().unwrap() {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            panic!("keel-standalone exited early ({status}):\n{text}");
        }
        let shot = Screenshot::take(display);
        if shot.width >= WIDTH && shot.height >= HEIGHT && distinct_colours(&shot.region(0.0, 0.0, 1.0, 1.0)) > 200 {
            return shot;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "the editor window did not paint within 60 s");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Waits until the window has painted and settled (two shots a second apart agree, the first
/// frames come before the window reaches its size) or gives up after 20 s.
fn wait_for_paint(display: &str, standalone: &mut KillOnDrop, log: &Path) -> Screenshot {
    let start = Instant::now();
    loop {
        let shot = wait_until_painted(display, standalone, log);
        std::thread::sleep(Duration::from_secs(1));
        let again = Screenshot::take(display);
        if again.rgb == shot.rgb || start.elapsed() > Duration::from_secs(20) {
            return again;
        }
    }
}

/// Starts `keel-standalone` on `display` with `args` and extra environment, its output going
/// to a log named after `log_name` (read back when it exits early).
fn start_standalone(log_name: &str, display: &str, args: &[&str], env: &[(&str, &str)]) -> (KillOnDrop, PathBuf) {
    let log = std::env::temp_dir().join(format!("{log_name}-{}.log", std::process::id()));
    let log_file = std::fs::File::create(&log).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_keel-standalone"))
        .args(args)
        .env("DISPLAY", display)
        .envs(env.iter().copied())
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .spawn()
        .expect("cannot start keel-standalone");
    (KillOnDrop(child), log)
}

#[test]
fn standalone_editor_window_draws_every_panel() {
    let _window = one_window();
    let (display, _xvfb) = display();
    let (mut standalone, log) = start_standalone("keel-standalone", &display, &["--backend", "dummy"], &[]);
    let shot = wait_for_paint(&display, &mut standalone, &log);
    shot.write_png(&screenshot_path("editor-silent.png"), WIDTH, HEIGHT);

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

/// Stops a JACK server the way it expects (SIGTERM) and removes its clients' semaphores, named
/// after the server.
struct StopOnDrop(Child, String);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let start = Instant::now();
        while self.0.try_wait().ok().flatten().is_none() {
            if start.elapsed() > Duration::from_secs(5) {
                let _ = self.0.kill();
                let _ = self.0.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let ours = format!("_{}_", self.1);
        for entry in std::fs::read_dir("/dev/shm").into_iter().flatten().flatten() {
            if entry.file_name().to_string_lossy().contains(&ours) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// Runs `program`, naming the package that provides it when it is missing.
fn tool(program: &str, package: &str) -> Command {
    let found = Command::new("sh").args(["-c", &format!("command -v {program}")]).output().is_ok_and(|o| o.status.success());
    assert!(found, "{program} is needed for this test: `cargo xtask test` installs {package}");
    Command::new(program)
}


/// Waits until `wanted` is among the ports of the JACK server `server`; on failure shows the
/// server's log.
fn wait_for_port(server: &str, wanted: &str, log: &Path) {
    let start = Instant::now();
    loop {
        let listing = tool("jack_lsp", "jackd2").env("JACK_DEFAULT_SERVER", server).output();
        if listing.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).lines().any(|l| l == wanted)) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "JACK port {wanted} did not appear on server {server}; jackd said:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Share of pixels that differ between two shots of the same region.
fn changed(a: &[[u8; 3]], b: &[[u8; 3]]) -> f64 {
    a.iter().zip(b).filter(|(x, y)| x != y).count() as f64 / a.len().max(1) as f64
}

#[test]
fn standalone_editor_shows_music_playing_through_jack() {
    let _window = one_window();
    let (display, _xvfb) = display();
    // A server of its own, not realtime (CI containers may not grant realtime scheduling). Its
    // name stays the same from run to run: JACK keeps a dead server's slot in its registry
    // unless a server of the same name starts, and after eight slots no server can.
    let server = "keel-window-test".to_string();
    let jackd_log = std::env::temp_dir().join(format!("{server}-jackd.log"));
    let jackd_out = std::fs::File::create(&jackd_log).unwrap();
    let _jackd = StopOnDrop(
        tool("jackd", "jackd2")
            .args(["--no-realtime", "-n", &server, "-d", "dummy", "-r", "48000", "-p", "512"])
            .stdout(jackd_out.try_clone().unwrap())
            .stderr(jackd_out)
            .spawn()
            .expect("cannot start jackd"),
        server.clone(),
    );
    wait_for_port(&server, "system:playback_1", &jackd_log);

    // A minute of music-like material Keel generates (tests/common/limiter_signals.rs).
    let music = std::env::temp_dir().join(format!("keel-window-music-{}.wav", std::process::id()));
    let len = 60 * 48_000;
    let (mut left, mut right) = (limiter_signals::music_like(48_000.0, len, 3), limiter_signals::music_like(48_000.0, len, 4));
    // Peaking at -1 dBFS.
    let peak = left.iter().chain(&right).fold(0.0f32, |m, x| m.max(x.abs()));
    left.iter_mut().chain(right.iter_mut()).for_each(|x| *x *= 0.891 / peak);
    common::write_stereo_f32_wav(&music, 48_000, &left, &right).unwrap();
    let player = tool("jack-play", "jack-tools")
        .arg(&music)
        .env("JACK_DEFAULT_SERVER", &server)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start jack-play");
    let ports = format!("jack-play-{0}:out_1,jack-play-{0}:out_2", player.id());
    let _player = KillOnDrop(player);
    wait_for_port(&server, ports.split(',').next().unwrap(), &jackd_log);

    let (mut standalone, log) = start_standalone(
        "keel-standalone-jack",
        &display,
        &["--backend", "jack", "--connect-jack-inputs", &ports],
        &[("JACK_DEFAULT_SERVER", &server)],
    );
    // Painted, then a few seconds of music for the loudness readings and history to fill.
    wait_until_painted(&display, &mut standalone, &log);
    std::thread::sleep(Duration::from_secs(8));
    let first = Screenshot::take(&display);
    std::thread::sleep(Duration::from_millis(700));
    let shot = Screenshot::take(&display);
    let _ = std::fs::remove_file(&music);
    shot.write_png(&screenshot_path("editor.png"), WIDTH, HEIGHT);
    if std::env::var_os("KEEL_UPDATE_DOCS").is_some() {
        std::fs::copy(screenshot_path("editor.png"), Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/editor.png")).unwrap();
    }

    // The analyzer (over the EQ curve), the loudness readings and history, and the peak meters
    // all move with the music; the band controls, which nothing changes, stay still.
    let regions = [
        ("analyzer", (0.0, 0.11, 0.68, 0.43), 0.01),
        ("loudness readings", (0.70, 0.10, 0.90, 0.26), 0.002),
        ("loudness history", (0.70, 0.38, 1.0, 0.52), 0.0005),
        ("peak meters", (0.80, 0.72, 0.92, 0.98), 0.002),
    ];
    for (name, (x0, y0, x1, y1), least) in regions {
        let moved = changed(&first.region(x0, y0, x1, y1), &shot.region(x0, y0, x1, y1));
        println!("{name}: {:.2}% of pixels changed in 0.7 s", 100.0 * moved);
        assert!(moved > least, "{name} does not move with the music ({:.3}% changed)", 100.0 * moved);
    }
    let still = changed(&first.region(0.0, 0.47, 0.68, 0.68), &shot.region(0.0, 0.47, 0.68, 0.68));
    assert!(still < 0.001, "the band controls changed ({:.3}%)", 100.0 * still);
}
