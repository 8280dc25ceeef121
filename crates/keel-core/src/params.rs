//! Every parameter as plain data: id, name, unit, group, range, default, choices. This is the one
//! place a range is written; the plugin builds its host parameters from it, the `keel` command
//! lists, parses and checks values with it, and presets and saved states are validated by it.
//!
//! Ids are permanent (sessions, automation, presets and scripts use them). The order is the
//! plugin's parameter order: eight bands of seven parameters, the compressor, the limiter, the
//! output gain and bypass. [`index`] names the positions.
//!
//! Range rule, for every check (command line, presets, saved states): a number is valid when it
//! is finite and `min <= value <= max` with the numbers as written here, no slack. Every value
//! the plugin itself can hold passes: its host mapping clamps to these ends.

use crate::chain::ChainSettings;
use crate::dsp::compressor::{self as comp, CompressorSettings, DetectorMode};
use crate::dsp::dither::{DitherBits, DitherSettings};
use crate::dsp::eq::BANDS;
use crate::dsp::eq::design::{self as eq, BandSettings, FilterKind, Placement};
use crate::dsp::limiter::{self as lim, LimiterSettings};
use serde_json::{Number, Value};
use std::fmt;

/// A parameter with a fixed list of values, each with a permanent id and a display name.
pub trait Choice: Copy + PartialEq + 'static {
    /// Lower-case ids used in presets, saved states and on the command line.
    const IDS: &'static [&'static str];
    /// Names the plugin shows.
    const NAMES: &'static [&'static str];
    fn index(self) -> usize;
    /// The value at `index`; an index out of range gives the first value.
    fn from_index(index: usize) -> Self;
}

impl Choice for FilterKind {
    const IDS: &'static [&'static str] =
        &["bell", "low_shelf", "high_shelf", "high_pass", "low_pass", "notch", "band_pass", "tilt"];
    const NAMES: &'static [&'static str] =
        &["Bell", "Low Shelf", "High Shelf", "High Pass", "Low Pass", "Notch", "Band Pass", "Tilt"];
    fn index(self) -> usize {
        Self::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }
    fn from_index(index: usize) -> Self {
        Self::ALL.get(index).copied().unwrap_or(Self::ALL[0])
    }
}

impl Choice for Placement {
    const IDS: &'static [&'static str] = &["stereo", "left", "right", "mid", "side"];
    const NAMES: &'static [&'static str] = &["Stereo", "Left", "Right", "Mid", "Side"];
    fn index(self) -> usize {
        Self::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }
    fn from_index(index: usize) -> Self {
        Self::ALL.get(index).copied().unwrap_or(Self::ALL[0])
    }
}

impl Choice for DetectorMode {
    const IDS: &'static [&'static str] = &["peak", "rms"];
    const NAMES: &'static [&'static str] = &["Peak", "RMS"];
    fn index(self) -> usize {
        match self {
            DetectorMode::Peak => 0,
            DetectorMode::Rms => 1,
        }
    }
    fn from_index(index: usize) -> Self {
        if index == 1 { DetectorMode::Rms } else { DetectorMode::Peak }
    }
}

/// High/low-pass slope in dB per octave (Butterworth order = slope / 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slope(u8);

impl Slope {
    pub const STEPS: usize = 8;

    /// The slope for `db_per_octave`, rounded to a step of 6 dB within 6 to 48.
    pub fn from_db_per_octave(db_per_octave: u32) -> Self {
        Self((db_per_octave.div_ceil(6).clamp(1, Self::STEPS as u32) - 1) as u8)
    }

    pub fn db_per_octave(self) -> u32 {
        6 * (u32::from(self.0) + 1)
    }
}

impl Choice for Slope {
    const IDS: &'static [&'static str] = &["6", "12", "18", "24", "30", "36", "42", "48"];
    const NAMES: &'static [&'static str] =
        &["6 dB/oct", "12 dB/oct", "18 dB/oct", "24 dB/oct", "30 dB/oct", "36 dB/oct", "42 dB/oct", "48 dB/oct"];
    fn index(self) -> usize {
        usize::from(self.0)
    }
    fn from_index(index: usize) -> Self {
        Self(if index < Self::STEPS { index as u8 } else { 0 })
    }
}

/// Default band frequencies: spread over the spectrum so a fresh band lands somewhere useful.
pub const DEFAULT_BAND_FREQS: [f32; BANDS] = [40.0, 120.0, 300.0, 800.0, 2000.0, 5000.0, 10_000.0, 16_000.0];
/// Ratios above this read as "Limit" (infinite ratio).
pub const RATIO_LIMIT: f32 = 20.5;
/// Side-chain high-pass settings below this read as "Off".
pub const SC_HPF_OFF_BELOW: f32 = 20.0;
/// The side-chain high-pass control's lowest position ("Off").
pub const SC_HPF_MIN: f32 = 15.0;
pub const OUT_GAIN_DB: std::ops::RangeInclusive<f32> = -24.0..=24.0;

/// Positions in the table (and in [`PlainValues`]).
pub mod index {
    use super::BANDS;
    /// Per band, in this order.
    pub const BAND_ON: usize = 0;
    pub const BAND_TYPE: usize = 1;
    pub const BAND_FREQ: usize = 2;
    pub const BAND_GAIN: usize = 3;
    pub const BAND_Q: usize = 4;
    pub const BAND_SLOPE: usize = 5;
    pub const BAND_PLACE: usize = 6;
    pub const BAND_FIELDS: usize = 7;

    pub const fn band(band: usize, field: usize) -> usize {
        band * BAND_FIELDS + field
    }

    pub const COMP_ON: usize = BANDS * BAND_FIELDS;
    pub const COMP_THRESHOLD: usize = COMP_ON + 1;
    pub const COMP_RATIO: usize = COMP_ON + 2;
    pub const COMP_KNEE: usize = COMP_ON + 3;
    pub const COMP_ATTACK: usize = COMP_ON + 4;
    pub const COMP_RELEASE: usize = COMP_ON + 5;
    pub const COMP_AUTO_RELEASE: usize = COMP_ON + 6;
    pub const COMP_DETECTOR: usize = COMP_ON + 7;
    pub const COMP_MAKEUP: usize = COMP_ON + 8;
    pub const COMP_AUTO_MAKEUP: usize = COMP_ON + 9;
    pub const COMP_SC_HPF: usize = COMP_ON + 10;
    pub const COMP_LINK: usize = COMP_ON + 11;
    pub const COMP_MIX: usize = COMP_ON + 12;
    pub const LIM_ON: usize = COMP_ON + 13;
    pub const LIM_CEILING: usize = LIM_ON + 1;
    pub const LIM_DRIVE: usize = LIM_ON + 2;
    pub const LIM_RELEASE: usize = LIM_ON + 3;
    pub const LIM_AUTO_RELEASE: usize = LIM_ON + 4;
    pub const LIM_LINK: usize = LIM_ON + 5;
    pub const OUT_GAIN: usize = LIM_ON + 6;
    pub const BYPASS: usize = OUT_GAIN + 1;
    pub const DITHER_MODE: usize = BYPASS + 1;
    pub const DITHER_BITS: usize = DITHER_MODE + 1;
    pub const COUNT: usize = DITHER_BITS + 1;
}

/// How a float's range maps onto a host's 0..1 control.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    Linear,
    /// Skewed by a factor of 2^exponent (negative: more resolution near the bottom).
    Skewed { exponent: f32 },
}

/// How a float reads in a host's generic view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Display {
    Number,
    /// One decimal below 1 kHz, none above.
    Frequency,
    /// "2.00:1", and "Limit" above 20.
    Ratio,
    /// "Off" below [`SC_HPF_OFF_BELOW`], else whole hertz.
    FrequencyOrOff,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamKind {
    Float { min: f32, max: f32, scale: Scale, step: Option<f32>, display: Display },
    Bool,
    /// `ids` are the lower-case names used on the command line and in presets; `names` are the
    /// display names the plugin shows.
    Enum { ids: &'static [&'static str], names: &'static [&'static str] },
}

/// A plain parameter value. Enums hold the variant index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamValue {
    Float(f32),
    Bool(bool),
    Enum(usize),
}

impl ParamValue {
    /// The value as one number: floats as they are, switches 0 or 1, enums their index.
    pub fn plain(self) -> f32 {
        match self {
            ParamValue::Float(v) => v,
            ParamValue::Bool(v) => f32::from(u8::from(v)),
            ParamValue::Enum(index) => index as f32,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParamInfo {
    pub id: String,
    pub name: String,
    /// Unit without a leading space ("Hz", "dB", or empty).
    pub unit: &'static str,
    /// Group path in the plugin ("Band 1"), empty for top-level parameters.
    pub group: String,
    pub kind: ParamKind,
    pub default: ParamValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamError {
    UnknownParam(String),
    BadValue { id: String, given: String, expected: String },
    OutOfRange { id: String, given: String, range: String },
    Format(String),
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamError::UnknownParam(id) => write!(f, "unknown parameter id '{id}' (run `keel params` for the list)"),
            ParamError::BadValue { id, given, expected } => write!(f, "bad value '{given}' for {id}: expected {expected}"),
            ParamError::OutOfRange { id, given, range } => write!(f, "value {given} for {id} is out of range ({range})"),
            ParamError::Format(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for ParamError {}

impl ParamInfo {
    /// Parses a command-line value (`1000`, `-1.5`, `true`, `bell`).
    pub fn parse(&self, text: &str) -> Result<ParamValue, ParamError> {
        let text = text.trim();
        let bad = || ParamError::BadValue { id: self.id.clone(), given: text.to_string(), expected: self.expected() };
        match &self.kind {
            ParamKind::Float { .. } => {
                let value: f32 = text.parse().map_err(|_| bad())?;
                self.check(ParamValue::Float(value), text)
            }
            ParamKind::Bool => match text {
                "true" => Ok(ParamValue::Bool(true)),
                "false" => Ok(ParamValue::Bool(false)),
                _ => Err(bad()),
            },
            ParamKind::Enum { ids, names } => ids
                .iter()
                .position(|id| *id == text)
                .or_else(|| names.iter().position(|name| name.eq_ignore_ascii_case(text)))
                .map(ParamValue::Enum)
                .ok_or_else(bad),
        }
    }

    /// Reads a preset value; the JSON type must match the parameter's kind.
    pub fn from_json(&self, value: &Value) -> Result<ParamValue, ParamError> {
        let given = value.to_string();
        let bad = || ParamError::BadValue { id: self.id.clone(), given: given.clone(), expected: self.expected() };
        match (&self.kind, value) {
            (ParamKind::Float { .. }, Value::Number(n)) => {
                let value = n.as_f64().ok_or_else(bad)? as f32;
                self.check(ParamValue::Float(value), &given)
            }
            (ParamKind::Bool, Value::Bool(b)) => Ok(ParamValue::Bool(*b)),
            (ParamKind::Enum { .. }, Value::String(s)) => self.parse(s),
            _ => Err(bad()),
        }
    }

    pub fn to_json(&self, value: ParamValue) -> Value {
        match (value, &self.kind) {
            // Shortest decimal that reads back as the same f32, so presets stay readable.
            (ParamValue::Float(v), _) => {
                let shortest: f64 = format!("{v}").parse().unwrap_or(f64::from(v));
                Number::from_f64(shortest).map_or(Value::Null, Value::Number)
            }
            (ParamValue::Bool(v), _) => Value::Bool(v),
            (ParamValue::Enum(index), ParamKind::Enum { ids, .. }) if index < ids.len() => Value::String(ids[index].into()),
            (ParamValue::Enum(index), _) => Value::from(index),
        }
    }

    /// The value as typed on the command line.
    pub fn format(&self, value: ParamValue) -> String {
        match (value, &self.kind) {
            (ParamValue::Float(v), _) => format!("{v}"),
            (ParamValue::Bool(v), _) => v.to_string(),
            (ParamValue::Enum(index), ParamKind::Enum { ids, .. }) if index < ids.len() => ids[index].to_string(),
            (ParamValue::Enum(index), _) => index.to_string(),
        }
    }

    /// "-24 to 24 dB", "true or false", "one of bell, low_shelf, ...".
    pub fn range_text(&self) -> String {
        let unit = if self.unit.is_empty() { String::new() } else { format!(" {}", self.unit) };
        match &self.kind {
            ParamKind::Float { min, max, .. } => format!("{min} to {max}{unit}"),
            ParamKind::Bool => "true or false".to_string(),
            ParamKind::Enum { ids, .. } => format!("one of {}", ids.join(", ")),
        }
    }

    fn expected(&self) -> String {
        match &self.kind {
            ParamKind::Float { .. } => format!("a number from {}", self.range_text()),
            _ => self.range_text(),
        }
    }

    /// Whether `value` is of this parameter's kind and inside its range (the rule in this
    /// module's documentation).
    pub fn accepts(&self, value: ParamValue) -> bool {
        match (&self.kind, value) {
            (ParamKind::Float { min, max, .. }, ParamValue::Float(v)) => v.is_finite() && *min <= v && v <= *max,
            (ParamKind::Bool, ParamValue::Bool(_)) => true,
            (ParamKind::Enum { ids, .. }, ParamValue::Enum(index)) => index < ids.len(),
            _ => false,
        }
    }

    /// The index of an enum id, if this is an enum and knows it.
    pub fn enum_index(&self, id: &str) -> Option<usize> {
        match &self.kind {
            ParamKind::Enum { ids, .. } => ids.iter().position(|known| *known == id),
            _ => None,
        }
    }

    fn check(&self, value: ParamValue, given: &str) -> Result<ParamValue, ParamError> {
        if self.accepts(value) {
            Ok(value)
        } else {
            Err(ParamError::OutOfRange { id: self.id.clone(), given: given.to_string(), range: self.range_text() })
        }
    }
}

/// The description of every parameter, in the plugin's order.
#[derive(Debug, Clone)]
pub struct ParamTable {
    entries: Vec<ParamInfo>,
}

impl Default for ParamTable {
    fn default() -> Self {
        Self::new()
    }
}

fn float(min: f32, max: f32, scale: Scale, step: Option<f32>) -> ParamKind {
    ParamKind::Float { min, max, scale, step, display: Display::Number }
}

fn linear(range: &std::ops::RangeInclusive<f32>, step: f32) -> ParamKind {
    float(*range.start(), *range.end(), Scale::Linear, Some(step))
}

fn milliseconds(range: &std::ops::RangeInclusive<f32>, step: f32) -> ParamKind {
    float(*range.start(), *range.end(), Scale::Skewed { exponent: -2.0 }, Some(step))
}

fn choice<T: Choice>(default: T) -> (ParamKind, ParamValue) {
    (ParamKind::Enum { ids: T::IDS, names: T::NAMES }, ParamValue::Enum(default.index()))
}

fn percent() -> ParamKind {
    float(0.0, 100.0, Scale::Linear, Some(0.1))
}

impl ParamTable {
    pub fn new() -> Self {
        let mut entries = Vec::with_capacity(index::COUNT);
        let mut add = |id: String, name: String, unit: &'static str, group: &str, (kind, default): (ParamKind, ParamValue)| {
            entries.push(ParamInfo { id, name, unit, group: group.to_string(), kind, default });
        };
        for band in 0..BANDS {
            let (n, group) = (band + 1, format!("Band {}", band + 1));
            let id = |field: &str| format!("eq{n}_{field}");
            add(id("on"), format!("Band {n} On"), "", &group, (ParamKind::Bool, ParamValue::Bool(false)));
            add(id("type"), format!("Band {n} Type"), "", &group, choice(FilterKind::Bell));
            let freq = ParamKind::Float {
                min: eq::MIN_FREQ_HZ as f32,
                max: eq::MAX_FREQ_HZ as f32,
                scale: Scale::Skewed { exponent: -2.2 },
                step: None,
                display: Display::Frequency,
            };
            add(id("freq"), format!("Band {n} Frequency"), "Hz", &group, (freq, ParamValue::Float(DEFAULT_BAND_FREQS[band])));
            let gain = float(eq::MIN_GAIN_DB as f32, eq::MAX_GAIN_DB as f32, Scale::Linear, Some(0.01));
            add(id("gain"), format!("Band {n} Gain"), "dB", &group, (gain, ParamValue::Float(0.0)));
            let q = float(eq::MIN_Q as f32, eq::MAX_Q as f32, Scale::Skewed { exponent: -2.0 }, Some(0.001));
            add(id("q"), format!("Band {n} Q"), "", &group, (q, ParamValue::Float(std::f32::consts::FRAC_1_SQRT_2)));
            add(id("slope"), format!("Band {n} Slope"), "", &group, choice(Slope::from_db_per_octave(12)));
            add(id("place"), format!("Band {n} Placement"), "", &group, choice(Placement::Stereo));
        }

        let c = CompressorSettings::default();
        let group = "Compressor";
        let s = |v: &str| v.to_string();
        add(s("comp_on"), s("Compressor On"), "", group, (ParamKind::Bool, ParamValue::Bool(false)));
        add(s("comp_threshold"), s("Threshold"), "dB", group, (linear(&comp::THRESHOLD_DB, 0.1), ParamValue::Float(c.threshold_db)));
        let ratio = ParamKind::Float {
            min: *comp::RATIO.start(),
            max: RATIO_LIMIT,
            scale: Scale::Skewed { exponent: -1.5 },
            step: Some(0.01),
            display: Display::Ratio,
        };
        add(s("comp_ratio"), s("Ratio"), "", group, (ratio, ParamValue::Float(c.ratio)));
        add(s("comp_knee"), s("Knee"), "dB", group, (linear(&comp::KNEE_DB, 0.1), ParamValue::Float(c.knee_db)));
        add(s("comp_attack"), s("Attack"), "ms", group, (milliseconds(&comp::ATTACK_MS, 0.01), ParamValue::Float(c.attack_ms)));
        add(s("comp_release"), s("Release"), "ms", group, (milliseconds(&comp::RELEASE_MS, 0.1), ParamValue::Float(c.release_ms)));
        add(s("comp_auto_release"), s("Auto Release"), "", group, (ParamKind::Bool, ParamValue::Bool(false)));
        add(s("comp_detector"), s("Detector"), "", group, choice(DetectorMode::Peak));
        add(s("comp_makeup"), s("Makeup"), "dB", group, (linear(&comp::MAKEUP_DB, 0.1), ParamValue::Float(0.0)));
        add(s("comp_auto_makeup"), s("Auto Makeup"), "", group, (ParamKind::Bool, ParamValue::Bool(false)));
        let sc_hpf = ParamKind::Float {
            min: SC_HPF_MIN,
            max: *comp::SIDECHAIN_HPF_HZ.end(),
            scale: Scale::Skewed { exponent: -1.0 },
            step: Some(0.1),
            display: Display::FrequencyOrOff,
        };
        add(s("comp_sc_hpf"), s("Sidechain HPF"), "", group, (sc_hpf, ParamValue::Float(SC_HPF_MIN)));
        add(s("comp_link"), s("Compressor Link"), "%", group, (percent(), ParamValue::Float(100.0)));
        add(s("comp_mix"), s("Mix"), "%", group, (percent(), ParamValue::Float(100.0)));

        let l = LimiterSettings::default();
        let group = "Limiter";
        add(s("lim_on"), s("Limiter On"), "", group, (ParamKind::Bool, ParamValue::Bool(false)));
        add(s("lim_ceiling"), s("Ceiling"), "dBTP", group, (linear(&lim::CEILING_DB, 0.01), ParamValue::Float(l.ceiling_db)));
        add(s("lim_drive"), s("Drive"), "dB", group, (linear(&lim::DRIVE_DB, 0.01), ParamValue::Float(l.drive_db)));
        add(s("lim_release"), s("Limiter Release"), "ms", group, (milliseconds(&lim::RELEASE_MS, 0.1), ParamValue::Float(l.release_ms)));
        add(s("lim_auto_release"), s("Limiter Auto Release"), "", group, (ParamKind::Bool, ParamValue::Bool(l.auto_release)));
        add(s("lim_link"), s("Limiter Link"), "%", group, (percent(), ParamValue::Float(100.0)));

        add(s("out_gain"), s("Output Gain"), "dB", "", (linear(&OUT_GAIN_DB, 0.01), ParamValue::Float(0.0)));
        add(s("bypass"), s("Bypass"), "", "", (ParamKind::Bool, ParamValue::Bool(false)));
        let d = DitherSettings::default();
        add(s("dither_mode"), s("Dither"), "", "", choice(d.mode));
        add(s("dither_bits"), s("Dither Bits"), "", "", choice(DitherBits::from_bits(d.bits).unwrap_or(DitherBits::from_index(2))));
        debug_assert_eq!(entries.len(), index::COUNT);
        Self { entries }
    }

    pub fn entries(&self) -> &[ParamInfo] {
        &self.entries
    }

    pub fn get(&self, id: &str) -> Result<&ParamInfo, ParamError> {
        self.entries.iter().find(|info| info.id == id).ok_or_else(|| ParamError::UnknownParam(id.to_string()))
    }

    pub fn position(&self, id: &str) -> Option<usize> {
        self.entries.iter().position(|info| info.id == id)
    }

    /// Parses `ID=VALUE` as given to `--set`.
    pub fn parse_assignment(&self, text: &str) -> Result<(String, ParamValue), ParamError> {
        let (id, value) =
            text.split_once('=').ok_or_else(|| ParamError::Format(format!("--set expects ID=VALUE, got '{text}'")))?;
        let info = self.get(id.trim())?;
        Ok((info.id.clone(), info.parse(value)?))
    }

    /// Every parameter at its default.
    pub fn defaults(&self) -> PlainValues {
        let mut values = PlainValues([0.0; index::COUNT]);
        for (slot, info) in values.0.iter_mut().zip(&self.entries) {
            *slot = info.default.plain();
        }
        values
    }

    /// `values` with each assignment applied in order; every one is checked against the table.
    pub fn assign(&self, values: &mut PlainValues, assignments: &[(String, ParamValue)]) -> Result<(), ParamError> {
        for (id, value) in assignments {
            let position = self.position(id).ok_or_else(|| ParamError::UnknownParam(id.clone()))?;
            let info = &self.entries[position];
            if !info.accepts(*value) {
                return Err(ParamError::OutOfRange { id: id.clone(), given: info.format(*value), range: info.range_text() });
            }
            values.0[position] = value.plain();
        }
        Ok(())
    }

    /// The typed value a plain number stands for at `position`.
    pub fn value_at(&self, values: &PlainValues, position: usize) -> ParamValue {
        let plain = values.0[position];
        match self.entries[position].kind {
            ParamKind::Float { .. } => ParamValue::Float(plain),
            ParamKind::Bool => ParamValue::Bool(plain >= 0.5),
            ParamKind::Enum { .. } => ParamValue::Enum(plain.max(0.0) as usize),
        }
    }
}

/// One plain value per parameter, in the table's order (see [`ParamValue::plain`]). Fixed size,
/// so the plugin fills it on the audio thread without allocating.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlainValues(pub [f32; index::COUNT]);

impl PlainValues {
    fn flag(&self, position: usize) -> bool {
        self.0[position] >= 0.5
    }

    fn choice<T: Choice>(&self, position: usize) -> T {
        T::from_index(self.0[position].max(0.0) as usize)
    }

    /// The plain settings the chain runs on.
    pub fn chain_settings(&self) -> ChainSettings {
        use index::*;
        let v = &self.0;
        let band = |b: usize| BandSettings {
            enabled: self.flag(band(b, BAND_ON)),
            kind: self.choice(band(b, BAND_TYPE)),
            freq_hz: f64::from(v[band(b, BAND_FREQ)]),
            gain_db: f64::from(v[band(b, BAND_GAIN)]),
            q: f64::from(v[band(b, BAND_Q)]),
            slope_db_oct: self.choice::<Slope>(band(b, BAND_SLOPE)).db_per_octave(),
            placement: self.choice(band(b, BAND_PLACE)),
        };
        let ratio = v[COMP_RATIO];
        let hpf = v[COMP_SC_HPF];
        ChainSettings {
            eq: std::array::from_fn(band),
            compressor: CompressorSettings {
                enabled: self.flag(COMP_ON),
                threshold_db: v[COMP_THRESHOLD],
                ratio: if ratio > 20.0 { f32::INFINITY } else { ratio },
                knee_db: v[COMP_KNEE],
                attack_ms: v[COMP_ATTACK],
                release_ms: v[COMP_RELEASE],
                auto_release: self.flag(COMP_AUTO_RELEASE),
                detector: self.choice(COMP_DETECTOR),
                makeup_db: v[COMP_MAKEUP],
                auto_makeup: self.flag(COMP_AUTO_MAKEUP),
                sidechain_hpf_hz: (hpf >= SC_HPF_OFF_BELOW).then_some(hpf),
                link: v[COMP_LINK] / 100.0,
                mix: v[COMP_MIX] / 100.0,
            },
            limiter: LimiterSettings {
                enabled: self.flag(LIM_ON),
                ceiling_db: v[LIM_CEILING],
                drive_db: v[LIM_DRIVE],
                release_ms: v[LIM_RELEASE],
                auto_release: self.flag(LIM_AUTO_RELEASE),
                link: v[LIM_LINK] / 100.0,
            },
            out_gain_db: f64::from(v[OUT_GAIN]),
            bypass: self.flag(BYPASS),
            dither: DitherSettings {
                mode: self.choice(DITHER_MODE),
                bits: self.choice::<DitherBits>(DITHER_BITS).bits(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_match_ids() {
        let table = ParamTable::new();
        let id = |position: usize| table.entries()[position].id.as_str();
        assert_eq!(table.entries().len(), index::COUNT);
        assert_eq!(id(index::band(2, index::BAND_Q)), "eq3_q");
        assert_eq!(id(index::band(7, index::BAND_PLACE)), "eq8_place");
        assert_eq!(id(index::COMP_ON), "comp_on");
        assert_eq!(id(index::COMP_MIX), "comp_mix");
        assert_eq!(id(index::LIM_ON), "lim_on");
        assert_eq!(id(index::LIM_LINK), "lim_link");
        assert_eq!(id(index::OUT_GAIN), "out_gain");
        assert_eq!(id(index::BYPASS), "bypass");
        assert_eq!(id(index::DITHER_MODE), "dither_mode");
        assert_eq!(id(index::DITHER_BITS), "dither_bits");
    }

    #[test]
    fn range_ends_are_inside_and_the_next_float_outside() {
        let table = ParamTable::new();
        for info in table.entries() {
            if let ParamKind::Float { min, max, .. } = info.kind {
                assert!(info.accepts(ParamValue::Float(min)) && info.accepts(ParamValue::Float(max)), "{}", info.id);
                assert!(!info.accepts(ParamValue::Float(min.next_down())), "{} below min", info.id);
                assert!(!info.accepts(ParamValue::Float(max.next_up())), "{} above max", info.id);
                assert!(!info.accepts(ParamValue::Float(f32::NAN)));
                assert!(info.accepts(info.default), "{} default", info.id);
            }
        }
    }

    #[test]
    fn assignments_parse_and_reject_out_of_range() {
        let table = ParamTable::new();
        assert_eq!(table.parse_assignment("out_gain=-3").unwrap(), ("out_gain".into(), ParamValue::Float(-3.0)));
        assert_eq!(table.parse_assignment("eq2_on=true").unwrap().1, ParamValue::Bool(true));
        assert_eq!(table.parse_assignment("eq1_type=High Shelf").unwrap().1, ParamValue::Enum(2));
        assert!(matches!(table.parse_assignment("out_gain=99"), Err(ParamError::OutOfRange { .. })));
        assert!(matches!(table.parse_assignment("eq2_on=yes"), Err(ParamError::BadValue { .. })));
        assert!(matches!(table.parse_assignment("eq1_type=wobble"), Err(ParamError::BadValue { .. })));
        assert!(matches!(table.parse_assignment("nope=1"), Err(ParamError::UnknownParam(_))));
    }

    #[test]
    fn defaults_give_the_chains_default_settings() {
        let settings = ParamTable::new().defaults().chain_settings();
        assert!(!settings.compressor.enabled && !settings.limiter.enabled && !settings.bypass);
        assert_eq!(settings.limiter.ceiling_db, -1.0);
        assert_eq!(settings.compressor.sidechain_hpf_hz, None);
        assert_eq!(settings.eq[0].freq_hz, 40.0);
        assert_eq!(settings.eq[0].slope_db_oct, 12);
    }

    #[test]
    fn slopes_map_to_their_steps() {
        for (i, id) in Slope::IDS.iter().enumerate() {
            let slope = Slope::from_index(i);
            assert_eq!(slope.db_per_octave().to_string(), *id);
            assert_eq!(Slope::from_db_per_octave(slope.db_per_octave()), slope);
        }
    }
}
