//! Every parameter of the plugin. Ids are permanent (sessions, automation and the CLI use them);
//! ranges come from the DSP's constants, so the GUI, the CLI and the DSP share one definition.

use crate::chain::ChainSettings;
use crate::dsp::compressor::{self as comp, CompressorSettings, DetectorMode};
use crate::dsp::limiter::{self as lim, LimiterSettings};
use crate::dsp::eq::BANDS;
use crate::dsp::eq::design::{self as eq, BandSettings, FilterKind, Placement};
use nice_plug::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Default band frequencies: spread over the spectrum so a fresh band lands somewhere useful.
pub const DEFAULT_BAND_FREQS: [f32; BANDS] = [40.0, 120.0, 300.0, 800.0, 2000.0, 5000.0, 10_000.0, 16_000.0];

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum BandType {
    #[id = "bell"]
    #[name = "Bell"]
    Bell,
    #[id = "low_shelf"]
    #[name = "Low Shelf"]
    LowShelf,
    #[id = "high_shelf"]
    #[name = "High Shelf"]
    HighShelf,
    #[id = "high_pass"]
    #[name = "High Pass"]
    HighPass,
    #[id = "low_pass"]
    #[name = "Low Pass"]
    LowPass,
    #[id = "notch"]
    #[name = "Notch"]
    Notch,
    #[id = "band_pass"]
    #[name = "Band Pass"]
    BandPass,
    #[id = "tilt"]
    #[name = "Tilt"]
    Tilt,
}

impl From<BandType> for FilterKind {
    fn from(t: BandType) -> Self {
        match t {
            BandType::Bell => FilterKind::Bell,
            BandType::LowShelf => FilterKind::LowShelf,
            BandType::HighShelf => FilterKind::HighShelf,
            BandType::HighPass => FilterKind::HighPass,
            BandType::LowPass => FilterKind::LowPass,
            BandType::Notch => FilterKind::Notch,
            BandType::BandPass => FilterKind::BandPass,
            BandType::Tilt => FilterKind::Tilt,
        }
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum BandPlacement {
    #[id = "stereo"]
    #[name = "Stereo"]
    Stereo,
    #[id = "left"]
    #[name = "Left"]
    Left,
    #[id = "right"]
    #[name = "Right"]
    Right,
    #[id = "mid"]
    #[name = "Mid"]
    Mid,
    #[id = "side"]
    #[name = "Side"]
    Side,
}

impl From<BandPlacement> for Placement {
    fn from(p: BandPlacement) -> Self {
        match p {
            BandPlacement::Stereo => Placement::Stereo,
            BandPlacement::Left => Placement::Left,
            BandPlacement::Right => Placement::Right,
            BandPlacement::Mid => Placement::Mid,
            BandPlacement::Side => Placement::Side,
        }
    }
}

/// High/low-pass slope in dB per octave (Butterworth order = slope / 6).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slope {
    #[id = "6"]
    #[name = "6 dB/oct"]
    Db6,
    #[id = "12"]
    #[name = "12 dB/oct"]
    Db12,
    #[id = "18"]
    #[name = "18 dB/oct"]
    Db18,
    #[id = "24"]
    #[name = "24 dB/oct"]
    Db24,
    #[id = "30"]
    #[name = "30 dB/oct"]
    Db30,
    #[id = "36"]
    #[name = "36 dB/oct"]
    Db36,
    #[id = "42"]
    #[name = "42 dB/oct"]
    Db42,
    #[id = "48"]
    #[name = "48 dB/oct"]
    Db48,
}

impl Slope {
    pub fn db_per_octave(self) -> u32 {
        6 * (self as u32 + 1)
    }
}

#[derive(Params)]
pub struct BandParams {
    #[id = "on"]
    pub on: BoolParam,
    #[id = "type"]
    pub kind: EnumParam<BandType>,
    #[id = "freq"]
    pub freq: FloatParam,
    #[id = "gain"]
    pub gain: FloatParam,
    #[id = "q"]
    pub q: FloatParam,
    #[id = "slope"]
    pub slope: EnumParam<Slope>,
    #[id = "place"]
    pub place: EnumParam<BandPlacement>,
}

pub fn freq_range() -> FloatRange {
    FloatRange::Skewed {
        min: eq::MIN_FREQ_HZ as f32,
        max: eq::MAX_FREQ_HZ as f32,
        factor: FloatRange::skew_factor(-2.2),
    }
}

pub fn band_gain_range() -> FloatRange {
    FloatRange::Linear { min: eq::MIN_GAIN_DB as f32, max: eq::MAX_GAIN_DB as f32 }
}

pub fn q_range() -> FloatRange {
    FloatRange::Skewed { min: eq::MIN_Q as f32, max: eq::MAX_Q as f32, factor: FloatRange::skew_factor(-2.0) }
}

pub fn out_gain_range() -> FloatRange {
    FloatRange::Linear { min: -24.0, max: 24.0 }
}

impl BandParams {
    fn new(index: usize) -> Self {
        let n = index + 1;
        Self {
            on: BoolParam::new(format!("Band {n} On"), false),
            kind: EnumParam::new(format!("Band {n} Type"), BandType::Bell),
            freq: FloatParam::new(format!("Band {n} Frequency"), DEFAULT_BAND_FREQS[index], freq_range())
                .with_unit(" Hz")
                // The unit is appended by the host/GUI, so the number is printed bare.
                .with_value_to_string(std::sync::Arc::new(|hz| if hz < 1000.0 { format!("{hz:.1}") } else { format!("{hz:.0}") }))
                .with_string_to_value(formatters::s2v_f32_hz_then_khz()),
            gain: FloatParam::new(format!("Band {n} Gain"), 0.0, band_gain_range())
                .with_unit(" dB")
                .with_step_size(0.01),
            q: FloatParam::new(format!("Band {n} Q"), std::f32::consts::FRAC_1_SQRT_2, q_range())
                .with_step_size(0.001),
            slope: EnumParam::new(format!("Band {n} Slope"), Slope::Db12),
            place: EnumParam::new(format!("Band {n} Placement"), BandPlacement::Stereo),
        }
    }

    pub fn settings(&self) -> BandSettings {
        BandSettings {
            enabled: self.on.value(),
            kind: self.kind.value().into(),
            freq_hz: f64::from(self.freq.value()),
            gain_db: f64::from(self.gain.value()),
            q: f64::from(self.q.value()),
            slope_db_oct: self.slope.value().db_per_octave(),
            placement: self.place.value().into(),
        }
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detector {
    #[id = "peak"]
    #[name = "Peak"]
    Peak,
    #[id = "rms"]
    #[name = "RMS"]
    Rms,
}

/// Ratios above this read as "Limit" (infinite ratio).
pub const RATIO_LIMIT: f32 = 20.5;
/// Side-chain high-pass settings below this read as "Off".
pub const SC_HPF_OFF_BELOW: f32 = 20.0;

fn ms_range(range: &std::ops::RangeInclusive<f32>) -> FloatRange {
    FloatRange::Skewed { min: *range.start(), max: *range.end(), factor: FloatRange::skew_factor(-2.0) }
}

fn linear(range: &std::ops::RangeInclusive<f32>) -> FloatRange {
    FloatRange::Linear { min: *range.start(), max: *range.end() }
}

fn percent(name: &str, default: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min: 0.0, max: 100.0 }).with_unit(" %").with_step_size(0.1)
}

#[derive(Params)]
pub struct CompressorParams {
    #[id = "on"]
    pub on: BoolParam,
    #[id = "threshold"]
    pub threshold: FloatParam,
    #[id = "ratio"]
    pub ratio: FloatParam,
    #[id = "knee"]
    pub knee: FloatParam,
    #[id = "attack"]
    pub attack: FloatParam,
    #[id = "release"]
    pub release: FloatParam,
    #[id = "auto_release"]
    pub auto_release: BoolParam,
    #[id = "detector"]
    pub detector: EnumParam<Detector>,
    #[id = "makeup"]
    pub makeup: FloatParam,
    #[id = "auto_makeup"]
    pub auto_makeup: BoolParam,
    #[id = "sc_hpf"]
    pub sc_hpf: FloatParam,
    #[id = "link"]
    pub link: FloatParam,
    #[id = "mix"]
    pub mix: FloatParam,
}

impl Default for CompressorParams {
    fn default() -> Self {
        let d = CompressorSettings::default();
        Self {
            on: BoolParam::new("Compressor On", false),
            threshold: FloatParam::new("Threshold", d.threshold_db, linear(&comp::THRESHOLD_DB))
                .with_unit(" dB")
                .with_step_size(0.1),
            ratio: FloatParam::new(
                "Ratio",
                d.ratio,
                FloatRange::Skewed { min: *comp::RATIO.start(), max: RATIO_LIMIT, factor: FloatRange::skew_factor(-1.5) },
            )
            .with_step_size(0.01)
            .with_value_to_string(std::sync::Arc::new(|v| if v > 20.0 { "Limit".into() } else { format!("{v:.2}:1") }))
            .with_string_to_value(std::sync::Arc::new(|s| {
                let s = s.trim().trim_end_matches(":1");
                if s.eq_ignore_ascii_case("limit") { Some(RATIO_LIMIT) } else { s.parse().ok() }
            })),
            knee: FloatParam::new("Knee", d.knee_db, linear(&comp::KNEE_DB)).with_unit(" dB").with_step_size(0.1),
            attack: FloatParam::new("Attack", d.attack_ms, ms_range(&comp::ATTACK_MS)).with_unit(" ms").with_step_size(0.01),
            release: FloatParam::new("Release", d.release_ms, ms_range(&comp::RELEASE_MS)).with_unit(" ms").with_step_size(0.1),
            auto_release: BoolParam::new("Auto Release", false),
            detector: EnumParam::new("Detector", Detector::Peak),
            makeup: FloatParam::new("Makeup", 0.0, linear(&comp::MAKEUP_DB)).with_unit(" dB").with_step_size(0.1),
            auto_makeup: BoolParam::new("Auto Makeup", false),
            sc_hpf: FloatParam::new(
                "Sidechain HPF",
                15.0,
                FloatRange::Skewed { min: 15.0, max: *comp::SIDECHAIN_HPF_HZ.end(), factor: FloatRange::skew_factor(-1.0) },
            )
            .with_step_size(0.1)
            .with_value_to_string(std::sync::Arc::new(|v| if v < SC_HPF_OFF_BELOW { "Off".into() } else { format!("{v:.0} Hz") }))
            .with_string_to_value(std::sync::Arc::new(|s| {
                let s = s.trim().trim_end_matches("Hz").trim();
                if s.eq_ignore_ascii_case("off") { Some(15.0) } else { s.parse().ok() }
            })),
            link: percent("Compressor Link", 100.0),
            mix: percent("Mix", 100.0),
        }
    }
}

impl CompressorParams {
    pub fn settings(&self) -> CompressorSettings {
        let ratio = self.ratio.value();
        let hpf = self.sc_hpf.value();
        CompressorSettings {
            enabled: self.on.value(),
            threshold_db: self.threshold.value(),
            ratio: if ratio > 20.0 { f32::INFINITY } else { ratio },
            knee_db: self.knee.value(),
            attack_ms: self.attack.value(),
            release_ms: self.release.value(),
            auto_release: self.auto_release.value(),
            detector: match self.detector.value() {
                Detector::Peak => DetectorMode::Peak,
                Detector::Rms => DetectorMode::Rms,
            },
            makeup_db: self.makeup.value(),
            auto_makeup: self.auto_makeup.value(),
            sidechain_hpf_hz: (hpf >= SC_HPF_OFF_BELOW).then_some(hpf),
            link: self.link.value() / 100.0,
            mix: self.mix.value() / 100.0,
        }
    }
}

#[derive(Params)]
pub struct LimiterParams {
    #[id = "on"]
    pub on: BoolParam,
    #[id = "ceiling"]
    pub ceiling: FloatParam,
    #[id = "drive"]
    pub drive: FloatParam,
    #[id = "release"]
    pub release: FloatParam,
    #[id = "auto_release"]
    pub auto_release: BoolParam,
    #[id = "link"]
    pub link: FloatParam,
}

impl Default for LimiterParams {
    fn default() -> Self {
        let d = LimiterSettings::default();
        Self {
            on: BoolParam::new("Limiter On", false),
            ceiling: FloatParam::new("Ceiling", d.ceiling_db, linear(&lim::CEILING_DB)).with_unit(" dBTP").with_step_size(0.01),
            drive: FloatParam::new("Drive", d.drive_db, linear(&lim::DRIVE_DB)).with_unit(" dB").with_step_size(0.01),
            release: FloatParam::new("Limiter Release", d.release_ms, ms_range(&lim::RELEASE_MS)).with_unit(" ms").with_step_size(0.1),
            auto_release: BoolParam::new("Limiter Auto Release", d.auto_release),
            link: percent("Limiter Link", 100.0),
        }
    }
}

impl LimiterParams {
    pub fn settings(&self) -> LimiterSettings {
        LimiterSettings {
            enabled: self.on.value(),
            ceiling_db: self.ceiling.value(),
            drive_db: self.drive.value(),
            release_ms: self.release.value(),
            auto_release: self.auto_release.value(),
            link: self.link.value() / 100.0,
        }
    }
}

#[derive(Params)]
pub struct KeelParams {
    #[nested(id_prefix = "eq1", group = "Band 1")]
    pub band1: BandParams,
    #[nested(id_prefix = "eq2", group = "Band 2")]
    pub band2: BandParams,
    #[nested(id_prefix = "eq3", group = "Band 3")]
    pub band3: BandParams,
    #[nested(id_prefix = "eq4", group = "Band 4")]
    pub band4: BandParams,
    #[nested(id_prefix = "eq5", group = "Band 5")]
    pub band5: BandParams,
    #[nested(id_prefix = "eq6", group = "Band 6")]
    pub band6: BandParams,
    #[nested(id_prefix = "eq7", group = "Band 7")]
    pub band7: BandParams,
    #[nested(id_prefix = "eq8", group = "Band 8")]
    pub band8: BandParams,

    #[nested(id_prefix = "comp", group = "Compressor")]
    pub comp: CompressorParams,
    #[nested(id_prefix = "lim", group = "Limiter")]
    pub lim: LimiterParams,

    #[id = "out_gain"]
    pub out_gain: FloatParam,
    #[id = "bypass"]
    pub bypass: BoolParam,

    /// The editor's logical size, saved with the plugin's state (width << 32 | height).
    #[persist = "editor-size"]
    pub editor_size: Arc<AtomicU64>,

    /// The loudness panel's platform target (an id from `dsp::targets`), saved with the state.
    /// Only the editor touches it.
    #[persist = "loudness-target"]
    pub loudness_target: Arc<std::sync::RwLock<String>>,
}

impl Default for KeelParams {
    fn default() -> Self {
        Self {
            band1: BandParams::new(0),
            band2: BandParams::new(1),
            band3: BandParams::new(2),
            band4: BandParams::new(3),
            band5: BandParams::new(4),
            band6: BandParams::new(5),
            band7: BandParams::new(6),
            band8: BandParams::new(7),
            comp: CompressorParams::default(),
            lim: LimiterParams::default(),
            out_gain: FloatParam::new("Output Gain", 0.0, out_gain_range())
                .with_unit(" dB")
                .with_step_size(0.01),
            bypass: BoolParam::new("Bypass", false).make_bypass(),
            editor_size: Arc::new(AtomicU64::new(pack_size(
                crate::editor::DEFAULT_WIDTH,
                crate::editor::DEFAULT_HEIGHT,
            ))),
            loudness_target: Arc::new(std::sync::RwLock::new(crate::dsp::targets::DEFAULT_TARGET_ID.to_owned())),
        }
    }
}

fn pack_size(width: u32, height: u32) -> u64 {
    (u64::from(width) << 32) | u64::from(height)
}

impl KeelParams {
    /// The editor size saved with the state, in logical pixels, kept within the editor's limits.
    pub fn editor_size(&self) -> (u32, u32) {
        let packed = self.editor_size.load(Ordering::Relaxed);
        let (width, height) = ((packed >> 32) as u32, packed as u32);
        (
            width.clamp(crate::editor::MIN_WIDTH, crate::editor::MAX_WIDTH),
            height.clamp(crate::editor::MIN_HEIGHT, crate::editor::MAX_HEIGHT),
        )
    }

    pub fn set_editor_size(&self, width: u32, height: u32) {
        self.editor_size.store(pack_size(width, height), Ordering::Relaxed);
    }

    pub fn bands(&self) -> [&BandParams; BANDS] {
        [&self.band1, &self.band2, &self.band3, &self.band4, &self.band5, &self.band6, &self.band7, &self.band8]
    }

    /// The plain settings the chain runs on: read once per block.
    pub fn chain_settings(&self) -> ChainSettings {
        let bands = self.bands();
        ChainSettings {
            eq: std::array::from_fn(|i| bands[i].settings()),
            compressor: self.comp.settings(),
            limiter: self.lim.settings(),
            out_gain_db: f64::from(self.out_gain.value()),
            bypass: self.bypass.value(),
        }
    }
}
