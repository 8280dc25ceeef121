//! The plugin's host parameters, each built from its entry in the core's table
//! (`keel_core::params`), which holds every id, name, unit, range, step and default. The field
//! attributes below repeat only the ids (the framework needs them at compile time); a test
//! checks them, and everything else, against the table.

use keel_core::dsp::compressor::DetectorMode;
use keel_core::dsp::dither::{DitherBits, DitherMode};
use keel_core::dsp::eq::BANDS;
use keel_core::dsp::eq::design::{FilterKind, Placement};
use keel_core::params::{self as table, Choice as _, Display, ParamInfo, ParamKind, ParamTable, ParamValue, PlainValues, Scale, Slope, index};
use nice_plug::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

/// The table the parameters are built from, made once.
pub fn param_table() -> &'static ParamTable {
    static TABLE: LazyLock<ParamTable> = LazyLock::new(ParamTable::new);
    &TABLE
}

/// A core choice (filter kind, placement, slope, detector) as the framework's enum parameter,
/// with the table's ids and names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Choice<T>(pub T);

impl<T: table::Choice> Enum for Choice<T> {
    fn variants() -> &'static [&'static str] {
        T::NAMES
    }
    fn ids() -> Option<&'static [&'static str]> {
        Some(T::IDS)
    }
    fn to_index(self) -> usize {
        self.0.index()
    }
    fn from_index(index: usize) -> Self {
        Self(T::from_index(index))
    }
}

fn info(position: usize) -> &'static ParamInfo {
    &param_table().entries()[position]
}

fn float_param(position: usize) -> FloatParam {
    let info = info(position);
    let (ParamKind::Float { min, max, scale, step, display }, ParamValue::Float(default)) = (&info.kind, info.default)
    else {
        unreachable!("{} is a float in the table", info.id)
    };
    let range = match *scale {
        Scale::Linear => FloatRange::Linear { min: *min, max: *max },
        Scale::Skewed { exponent } => FloatRange::Skewed { min: *min, max: *max, factor: FloatRange::skew_factor(exponent) },
    };
    let mut param = FloatParam::new(info.name.clone(), default, range);
    if !info.unit.is_empty() {
        param = param.with_unit(if info.unit == "%" { " %" } else { unit_with_space(info.unit) });
    }
    if let Some(step) = step {
        param = param.with_step_size(*step);
    }
    match display {
        Display::Number => param,
        // The unit is appended by the host or the editor, so the number is printed bare.
        Display::Frequency => param
            .with_value_to_string(Arc::new(|hz| if hz < 1000.0 { format!("{hz:.1}") } else { format!("{hz:.0}") }))
            .with_string_to_value(formatters::s2v_f32_hz_then_khz()),
        Display::Ratio => param
            .with_value_to_string(Arc::new(|v| if v > 20.0 { "Limit".into() } else { format!("{v:.2}:1") }))
            .with_string_to_value(Arc::new(|s| {
                let s = s.trim().trim_end_matches(":1");
                if s.eq_ignore_ascii_case("limit") { Some(table::RATIO_LIMIT) } else { s.parse().ok() }
            })),
        Display::FrequencyOrOff => param
            .with_value_to_string(Arc::new(|v| if v < table::SC_HPF_OFF_BELOW { "Off".into() } else { format!("{v:.0} Hz") }))
            .with_string_to_value(Arc::new(|s| {
                let s = s.trim().trim_end_matches("Hz").trim();
                if s.eq_ignore_ascii_case("off") { Some(table::SC_HPF_MIN) } else { s.parse().ok() }
            })),
    }
}

/// The framework shows units with a leading space.
fn unit_with_space(unit: &'static str) -> &'static str {
    match unit {
        "Hz" => " Hz",
        "dB" => " dB",
        "dBTP" => " dBTP",
        "ms" => " ms",
        other => other,
    }
}

fn bool_param(position: usize) -> BoolParam {
    let info = info(position);
    let ParamValue::Bool(default) = info.default else { unreachable!("{} is a switch in the table", info.id) };
    BoolParam::new(info.name.clone(), default)
}

fn choice_param<T: table::Choice>(position: usize) -> EnumParam<Choice<T>> {
    let info = info(position);
    let ParamValue::Enum(default) = info.default else { unreachable!("{} is a choice in the table", info.id) };
    EnumParam::new(info.name.clone(), Choice(T::from_index(default)))
}

#[derive(Params)]
pub struct BandParams {
    #[id = "on"]
    pub on: BoolParam,
    #[id = "type"]
    pub kind: EnumParam<Choice<FilterKind>>,
    #[id = "freq"]
    pub freq: FloatParam,
    #[id = "gain"]
    pub gain: FloatParam,
    #[id = "q"]
    pub q: FloatParam,
    #[id = "slope"]
    pub slope: EnumParam<Choice<Slope>>,
    #[id = "place"]
    pub place: EnumParam<Choice<Placement>>,
}

impl BandParams {
    fn new(band: usize) -> Self {
        let at = |field| index::band(band, field);
        Self {
            on: bool_param(at(index::BAND_ON)),
            kind: choice_param(at(index::BAND_TYPE)),
            freq: float_param(at(index::BAND_FREQ)),
            gain: float_param(at(index::BAND_GAIN)),
            q: float_param(at(index::BAND_Q)),
            slope: choice_param(at(index::BAND_SLOPE)),
            place: choice_param(at(index::BAND_PLACE)),
        }
    }

    /// The band's filter kind.
    pub fn filter_kind(&self) -> FilterKind {
        self.kind.value().0
    }

    fn read_into(&self, band: usize, values: &mut PlainValues) {
        let at = |field| index::band(band, field);
        let v = &mut values.0;
        v[at(index::BAND_ON)] = flag(&self.on);
        v[at(index::BAND_TYPE)] = self.kind.value().0.index() as f32;
        v[at(index::BAND_FREQ)] = self.freq.value();
        v[at(index::BAND_GAIN)] = self.gain.value();
        v[at(index::BAND_Q)] = self.q.value();
        v[at(index::BAND_SLOPE)] = self.slope.value().0.index() as f32;
        v[at(index::BAND_PLACE)] = self.place.value().0.index() as f32;
    }
}

fn flag(param: &BoolParam) -> f32 {
    f32::from(u8::from(param.value()))
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
    pub detector: EnumParam<Choice<DetectorMode>>,
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
        Self {
            on: bool_param(index::COMP_ON),
            threshold: float_param(index::COMP_THRESHOLD),
            ratio: float_param(index::COMP_RATIO),
            knee: float_param(index::COMP_KNEE),
            attack: float_param(index::COMP_ATTACK),
            release: float_param(index::COMP_RELEASE),
            auto_release: bool_param(index::COMP_AUTO_RELEASE),
            detector: choice_param(index::COMP_DETECTOR),
            makeup: float_param(index::COMP_MAKEUP),
            auto_makeup: bool_param(index::COMP_AUTO_MAKEUP),
            sc_hpf: float_param(index::COMP_SC_HPF),
            link: float_param(index::COMP_LINK),
            mix: float_param(index::COMP_MIX),
        }
    }
}

impl CompressorParams {
    fn read_into(&self, values: &mut PlainValues) {
        let v = &mut values.0;
        v[index::COMP_ON] = flag(&self.on);
        v[index::COMP_THRESHOLD] = self.threshold.value();
        v[index::COMP_RATIO] = self.ratio.value();
        v[index::COMP_KNEE] = self.knee.value();
        v[index::COMP_ATTACK] = self.attack.value();
        v[index::COMP_RELEASE] = self.release.value();
        v[index::COMP_AUTO_RELEASE] = flag(&self.auto_release);
        v[index::COMP_DETECTOR] = self.detector.value().0.index() as f32;
        v[index::COMP_MAKEUP] = self.makeup.value();
        v[index::COMP_AUTO_MAKEUP] = flag(&self.auto_makeup);
        v[index::COMP_SC_HPF] = self.sc_hpf.value();
        v[index::COMP_LINK] = self.link.value();
        v[index::COMP_MIX] = self.mix.value();
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
        Self {
            on: bool_param(index::LIM_ON),
            ceiling: float_param(index::LIM_CEILING),
            drive: float_param(index::LIM_DRIVE),
            release: float_param(index::LIM_RELEASE),
            auto_release: bool_param(index::LIM_AUTO_RELEASE),
            link: float_param(index::LIM_LINK),
        }
    }
}

impl LimiterParams {
    fn read_into(&self, values: &mut PlainValues) {
        let v = &mut values.0;
        v[index::LIM_ON] = flag(&self.on);
        v[index::LIM_CEILING] = self.ceiling.value();
        v[index::LIM_DRIVE] = self.drive.value();
        v[index::LIM_RELEASE] = self.release.value();
        v[index::LIM_AUTO_RELEASE] = flag(&self.auto_release);
        v[index::LIM_LINK] = self.link.value();
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

    #[id = "dither_mode"]
    pub dither_mode: EnumParam<Choice<DitherMode>>,
    #[id = "dither_bits"]
    pub dither_bits: EnumParam<Choice<DitherBits>>,

    /// The editor's logical size, saved with the plugin's state (width << 32 | height).
    #[persist = "editor-size"]
    pub editor_size: Arc<AtomicU64>,

    /// The loudness panel's platform target (an id from `keel_core::targets`), saved with the
    /// state. Only the editor touches it.
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
            out_gain: float_param(index::OUT_GAIN),
            bypass: bool_param(index::BYPASS).make_bypass(),
            dither_mode: choice_param(index::DITHER_MODE),
            dither_bits: choice_param(index::DITHER_BITS),
            editor_size: Arc::new(AtomicU64::new(pack_size(crate::editor::DEFAULT_WIDTH, crate::editor::DEFAULT_HEIGHT))),
            loudness_target: Arc::new(std::sync::RwLock::new(keel_core::targets::DEFAULT_TARGET_ID.to_owned())),
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

    /// Every parameter's current value in the table's order. Realtime-safe: read once per block.
    pub fn plain_values(&self) -> PlainValues {
        let mut values = PlainValues([0.0; index::COUNT]);
        for (band, params) in self.bands().into_iter().enumerate() {
            params.read_into(band, &mut values);
        }
        self.comp.read_into(&mut values);
        self.lim.read_into(&mut values);
        values.0[index::OUT_GAIN] = self.out_gain.value();
        values.0[index::BYPASS] = flag(&self.bypass);
        values.0[index::DITHER_MODE] = self.dither_mode.value().0.index() as f32;
        values.0[index::DITHER_BITS] = self.dither_bits.value().0.index() as f32;
        values
    }

    /// The plain settings the chain runs on.
    pub fn chain_settings(&self) -> keel_core::chain::ChainSettings {
        self.plain_values().chain_settings()
    }
}
