//! Loads the built `Keel.vst3` through the VST3 interfaces (IPluginFactory, IComponent,
//! IAudioProcessor, IEditController) and checks that it renders exactly what the CLAP build
//! renders with the same settings, set through the edit controller, by loading the CLAP build's
//! saved state, or as parameter changes passed to `process`.
//!
//! The bundle comes from `KEEL_VST3_BUNDLE` (set by `cargo xtask test`), or else
//! `<workspace>/target/bundled/Keel.vst3`. A missing bundle is a failure, never a skip.
//!
//! Both formats wrap the same `Keel` and the same chain, so the comparison is bit for bit: any
//! difference would mean a format delivers parameters, buffers or activation differently.

mod common;

use common::*;
use std::cell::{Cell, RefCell};
use std::ffi::c_void;
use vst3::Steinberg::IBStream_::IStreamSeekMode_::{kIBSeekCur, kIBSeekEnd, kIBSeekSet};
use vst3::Steinberg::Vst::ProcessModes_::kRealtime;
use vst3::Steinberg::Vst::SpeakerArr::kStereo;
use vst3::Steinberg::Vst::SymbolicSampleSizes_::kSample32;
use vst3::Steinberg::Vst::{
    AudioBusBuffers, AudioBusBuffers__type0, IAudioProcessor, IAudioProcessorTrait, IComponent, IComponentTrait,
    IEditController, IEditControllerTrait, IParamValueQueue, IParamValueQueueTrait, IParameterChanges,
    IParameterChangesTrait, ParamID, ParamValue, ParameterInfo, ProcessData, ProcessSetup, SpeakerArrangement, String128,
};
use vst3::Steinberg::{
    FIDString, IBStream, IBStreamTrait, IPluginBaseTrait, IPluginFactory, IPluginFactoryTrait, PClassInfo, int32, int64,
    kInvalidArgument, kResultFalse, kResultOk, tresult,
};
use vst3::{Class, ComPtr, ComWrapper, Interface};

const RATE: f64 = 48_000.0;
const MAX_BLOCK: usize = 512;

fn vst3_library_path() -> PathBuf {
    let bundle = built_bundle("KEEL_VST3_BUNDLE", "Keel.vst3");
    let library = bundle.join(format!("Contents/{}-linux/Keel.so", std::env::consts::ARCH));
    assert!(library.exists(), "the Keel VST3 bundle at {} has no {}", bundle.display(), library.display());
    library
}

/// The plugin factory of the loaded module. The library stays loaded until the process ends, for
/// the same reason as the CLAP one (see `common::load_entry`).
fn factory() -> ComPtr<IPluginFactory> {
    static LIBRARY: OnceLock<libloading::Library> = OnceLock::new();
    let library = LIBRARY.get_or_init(|| {
        let path = vst3_library_path();
        // SAFETY: loading the library under test runs its initialisers.
        let library = unsafe { libloading::Library::new(&path) }.unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display()));
        // SAFETY: the Linux module entry point of the VST3 SDK, called once before the factory.
        let entered = unsafe {
            let entry: libloading::Symbol<unsafe extern "C" fn(*mut c_void) -> bool> =
                library.get(b"ModuleEntry").expect("the module exports ModuleEntry");
            entry(std::ptr::null_mut())
        };
        assert!(entered, "ModuleEntry failed");
        library
    });
    // SAFETY: GetPluginFactory returns an owned reference to an IPluginFactory.
    unsafe {
        let get: libloading::Symbol<unsafe extern "system" fn() -> *mut c_void> =
            library.get(b"GetPluginFactory").expect("the module exports GetPluginFactory");
        ComPtr::from_raw(get() as *mut IPluginFactory).expect("GetPluginFactory returned null")
    }
}

fn c_text(chars: &[std::ffi::c_char]) -> String {
    let bytes: Vec<u8> = chars.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn wide_text(chars: &[u16]) -> String {
    String::from_utf16_lossy(&chars[..chars.iter().position(|&c| c == 0).unwrap_or(chars.len())])
}

fn to_string128(text: &str) -> String128 {
    let mut out = [0u16; 128];
    for (o, c) in out.iter_mut().zip(text.encode_utf16().take(127)) {
        *o = c;
    }
    out
}

/// An in-memory IBStream, as hosts hand to `getState`/`setState`.
struct MemoryStream {
    data: RefCell<Vec<u8>>,
    position: Cell<usize>,
}

impl MemoryStream {
    fn new(data: Vec<u8>) -> ComWrapper<Self> {
        ComWrapper::new(Self { data: RefCell::new(data), position: Cell::new(0) })
    }
}

impl Class for MemoryStream {
    type Interfaces = (IBStream,);
}

impl IBStreamTrait for MemoryStream {
    unsafe fn read(&self, buffer: *mut c_void, num_bytes: int32, num_bytes_read: *mut int32) -> tresult {
        let data = self.data.borrow();
        let start = self.position.get().min(data.len());
        let n = (num_bytes.max(0) as usize).min(data.len() - start);
        // SAFETY: the caller provides `num_bytes` writable bytes.
        unsafe { std::ptr::copy_nonoverlapping(data[start..].as_ptr(), buffer as *mut u8, n) };
        self.position.set(start + n);
        if !num_bytes_read.is_null() {
            // SAFETY: checked for null; the caller owns it.
            unsafe { *num_bytes_read = n as int32 };
        }
        kResultOk
    }

    unsafe fn write(&self, buffer: *mut c_void, num_bytes: int32, num_bytes_written: *mut int32) -> tresult {
        let mut data = self.data.borrow_mut();
        let n = num_bytes.max(0) as usize;
        let start = self.position.get();
        if data.len() < start + n {
            data.resize(start + n, 0);
        }
        // SAFETY: the caller provides `num_bytes` readable bytes.
        unsafe { std::ptr::copy_nonoverlapping(buffer as *const u8, data[start..].as_mut_ptr(), n) };
        self.position.set(start + n);
        if !num_bytes_written.is_null() {
            // SAFETY: checked for null; the caller owns it.
            unsafe { *num_bytes_written = n as int32 };
        }
        kResultOk
    }

    unsafe fn seek(&self, pos: int64, mode: int32, result: *mut int64) -> tresult {
        let base = match mode as u32 {
            m if m == kIBSeekSet as u32 => 0,
            m if m == kIBSeekCur as u32 => self.position.get() as int64,
            m if m == kIBSeekEnd as u32 => self.data.borrow().len() as int64,
            _ => return kInvalidArgument,
        };
        let target = base + pos;
        if target < 0 {
            return kResultFalse;
        }
        self.position.set(target as usize);
        if !result.is_null() {
            // SAFETY: checked for null; the caller owns it.
            unsafe { *result = target };
        }
        kResultOk
    }

    unsafe fn tell(&self, pos: *mut int64) -> tresult {
        if pos.is_null() {
            return kInvalidArgument;
        }
        // SAFETY: checked for null; the caller owns it.
        unsafe { *pos = self.position.get() as int64 };
        kResultOk
    }
}

/// One parameter's changes within a block, as a host passes them to `process`.
struct ValueQueue {
    id: ParamID,
    points: Vec<(int32, ParamValue)>,
}

impl Class for ValueQueue {
    type Interfaces = (IParamValueQueue,);
}

impl IParamValueQueueTrait for ValueQueue {
    unsafe fn getParameterId(&self) -> ParamID {
        self.id
    }

    unsafe fn getPointCount(&self) -> int32 {
        self.points.len() as int32
    }

    unsafe fn getPoint(&self, index: int32, sample_offset: *mut int32, value: *mut ParamValue) -> tresult {
        let Some(&(offset, v)) = self.points.get(index as usize) else { return kInvalidArgument };
        // SAFETY: the caller passes valid out-pointers.
        unsafe {
            *sample_offset = offset;
            *value = v;
        }
        kResultOk
    }

    unsafe fn addPoint(&self, _sample_offset: int32, _value: ParamValue, _index: *mut int32) -> tresult {
        kResultFalse // input queues are read-only for the plugin
    }
}

/// All parameter changes of one block.
struct ParameterChanges {
    queues: Vec<ComWrapper<ValueQueue>>,
}

impl Class for ParameterChanges {
    type Interfaces = (IParameterChanges,);
}

impl IParameterChangesTrait for ParameterChanges {
    unsafe fn getParameterCount(&self) -> int32 {
        self.queues.len() as int32
    }

    unsafe fn getParameterData(&self, index: int32) -> *mut IParamValueQueue {
        match self.queues.get(index as usize) {
            Some(queue) => queue.as_com_ref::<IParamValueQueue>().unwrap().as_ptr(),
            None => std::ptr::null_mut(),
        }
    }

    unsafe fn addParameterData(&self, _id: *const ParamID, _index: *mut int32) -> *mut IParamValueQueue {
        std::ptr::null_mut()
    }
}

/// One VST3 instance: the component with its processor and controller interfaces (nice-plug's
/// VST3 wrapper is a single-component effect, so all three are the same object).
struct Vst3Plug {
    component: ComPtr<IComponent>,
    processor: ComPtr<IAudioProcessor>,
    controller: ComPtr<IEditController>,
    active: bool,
}

impl Vst3Plug {
    fn new() -> Self {
        let factory = factory();
        // SAFETY: plain VST3 calls on a valid factory with valid out-pointers.
        unsafe {
            assert_eq!(factory.countClasses(), 1, "one class in the module");
            let mut info: PClassInfo = std::mem::zeroed();
            assert_eq!(factory.getClassInfo(0, &mut info), kResultOk);
            assert_eq!(c_text(&info.name), "Keel");
            assert_eq!(c_text(&info.category), "Audio Module Class");
            let mut object: *mut c_void = std::ptr::null_mut();
            let result = factory.createInstance(
                info.cid.as_ptr() as FIDString,
                IComponent::IID.as_ptr() as FIDString,
                &mut object,
            );
            assert_eq!(result, kResultOk, "createInstance");
            let component = ComPtr::from_raw(object as *mut IComponent).expect("an IComponent");
            assert_eq!(component.initialize(std::ptr::null_mut()), kResultOk, "initialize");
            let processor = component.cast::<IAudioProcessor>().expect("the component is an IAudioProcessor");
            let controller = component.cast::<IEditController>().expect("the component is an IEditController");
            Self { component, processor, controller, active: false }
        }
    }

    /// Every parameter as (id, title).
    fn parameters(&self) -> Vec<(u32, String)> {
        // SAFETY: valid interface, valid out-pointer.
        unsafe {
            (0..self.controller.getParameterCount())
                .map(|i| {
                    let mut info: ParameterInfo = std::mem::zeroed();
                    assert_eq!(self.controller.getParameterInfo(i, &mut info), kResultOk);
                    (info.id, wide_text(&info.title))
                })
                .collect()
        }
    }

    /// Sets a parameter from its display text, as a host's generic editor does.
    fn set_text(&self, id: &str, text: &str) {
        let mut normalized = 0.0;
        let mut wide = to_string128(text);
        // SAFETY: valid interface; the string is NUL-terminated.
        unsafe {
            assert_eq!(
                self.controller.getParamValueByString(clap_id(id).get(), wide.as_mut_ptr(), &mut normalized),
                kResultOk,
                "{id} does not parse {text:?}"
            );
            assert_eq!(self.controller.setParamNormalized(clap_id(id).get(), normalized), kResultOk, "{id}");
        }
    }

    /// Sets a stepped parameter (enum index, bool 0/1) from its plain value.
    fn set_plain(&self, id: &str, plain: f64) {
        // SAFETY: valid interface.
        unsafe {
            let normalized = self.controller.plainParamToNormalized(clap_id(id).get(), plain);
            assert_eq!(self.controller.setParamNormalized(clap_id(id).get(), normalized), kResultOk, "{id}");
        }
    }

    /// The normalised value for a display text (continuous parameters) or a plain value.
    fn normalized_for_text(&self, id: &str, text: &str) -> f64 {
        let mut normalized = 0.0;
        let mut wide = to_string128(text);
        // SAFETY: valid interface; the string is NUL-terminated.
        let result = unsafe { self.controller.getParamValueByString(clap_id(id).get(), wide.as_mut_ptr(), &mut normalized) };
        assert_eq!(result, kResultOk, "{id} does not parse {text:?}");
        normalized
    }

    fn normalized_for_plain(&self, id: &str, plain: f64) -> f64 {
        // SAFETY: valid interface.
        unsafe { self.controller.plainParamToNormalized(clap_id(id).get(), plain) }
    }

    fn normalized(&self, id: &str) -> f64 {
        // SAFETY: valid interface.
        unsafe { self.controller.getParamNormalized(clap_id(id).get()) }
    }

    fn set_state(&self, bytes: &[u8]) {
        let stream = MemoryStream::new(bytes.to_vec());
        let stream = stream.to_com_ptr::<IBStream>().unwrap();
        // SAFETY: valid interfaces.
        assert_eq!(unsafe { self.component.setState(stream.as_ptr()) }, kResultOk, "setState");
    }

    fn get_state(&self) -> Vec<u8> {
        let stream = MemoryStream::new(Vec::new());
        let pointer = stream.to_com_ptr::<IBStream>().unwrap();
        // SAFETY: valid interfaces.
        assert_eq!(unsafe { self.component.getState(pointer.as_ptr()) }, kResultOk, "getState");
        stream.data.borrow().clone()
    }

    /// Stereo in and out, 32-bit float, realtime, then active and processing.
    fn activate(&mut self, sample_rate: f64, max_block: usize) {
        // SAFETY: plain VST3 calls with valid pointers that outlive them.
        unsafe {
            let mut inputs: [SpeakerArrangement; 1] = [kStereo];
            let mut outputs: [SpeakerArrangement; 1] = [kStereo];
            assert_eq!(self.processor.setBusArrangements(inputs.as_mut_ptr(), 1, outputs.as_mut_ptr(), 1), kResultOk);
            assert_eq!(self.processor.canProcessSampleSize(kSample32 as int32), kResultOk);
            let mut setup = ProcessSetup {
                processMode: kRealtime as int32,
                symbolicSampleSize: kSample32 as int32,
                maxSamplesPerBlock: max_block as int32,
                sampleRate: sample_rate,
            };
            assert_eq!(self.processor.setupProcessing(&mut setup), kResultOk, "setupProcessing");
            assert_eq!(self.component.setActive(1), kResultOk, "setActive");
            assert_eq!(self.processor.setProcessing(1), kResultOk, "setProcessing");
        }
        self.active = true;
    }

    fn latency(&self) -> u32 {
        // SAFETY: valid interface.
        unsafe { self.processor.getLatencySamples() }
    }

    /// Processes a stereo signal in blocks of `block` frames.
    fn process_signal(&mut self, signal: &[Vec<f32>; 2], block: usize) -> [Vec<f32>; 2] {
        self.process_signal_with_changes(signal, block, &[])
    }

    /// As [`Self::process_signal`], with parameter changes (block index, parameter id, sample
    /// offset, normalised value) delivered through `ProcessData::inputParameterChanges`.
    fn process_signal_with_changes(
        &mut self,
        signal: &[Vec<f32>; 2],
        block: usize,
        changes: &[(usize, u32, i32, f64)],
    ) -> [Vec<f32>; 2] {
        let mut out = [Vec::with_capacity(signal[0].len()), Vec::with_capacity(signal[0].len())];
        let mut input = [vec![0.0f32; block], vec![0.0f32; block]];
        let mut output = [vec![0.0f32; block], vec![0.0f32; block]];
        let mut start = 0;
        while start < signal[0].len() {
            let n = block.min(signal[0].len() - start);
            for c in 0..2 {
                input[c][..n].copy_from_slice(&signal[c][start..start + n]);
                output[c][..n].fill(f32::NAN);
            }
            let mut input_pointers = [input[0].as_mut_ptr(), input[1].as_mut_ptr()];
            let mut output_pointers = [output[0].as_mut_ptr(), output[1].as_mut_ptr()];
            let mut input_bus = AudioBusBuffers {
                numChannels: 2,
                silenceFlags: 0,
                __field0: AudioBusBuffers__type0 { channelBuffers32: input_pointers.as_mut_ptr() },
            };
            let mut output_bus = AudioBusBuffers {
                numChannels: 2,
                silenceFlags: 0,
                __field0: AudioBusBuffers__type0 { channelBuffers32: output_pointers.as_mut_ptr() },
            };
            let block_index = start / block;
            let mut queues: Vec<ComWrapper<ValueQueue>> = Vec::new();
            for &(_, id, offset, value) in changes.iter().filter(|c| c.0 == block_index) {
                match queues.iter().position(|q| q.id == id) {
                    Some(_) => panic!("one queue per parameter and block in this test"),
                    None => queues.push(ComWrapper::new(ValueQueue { id, points: vec![(offset, value)] })),
                }
            }
            let parameter_changes = ComWrapper::new(ParameterChanges { queues });
            let parameter_changes = parameter_changes.to_com_ptr::<IParameterChanges>().unwrap();
            let mut data = ProcessData {
                processMode: kRealtime as int32,
                symbolicSampleSize: kSample32 as int32,
                numSamples: n as int32,
                numInputs: 1,
                numOutputs: 1,
                inputs: &mut input_bus,
                outputs: &mut output_bus,
                inputParameterChanges: parameter_changes.as_ptr(),
                outputParameterChanges: std::ptr::null_mut(),
                inputEvents: std::ptr::null_mut(),
                outputEvents: std::ptr::null_mut(),
                processContext: std::ptr::null_mut(),
            };
            // SAFETY: every pointer in `data` is valid for `n` frames during the call.
            assert_eq!(unsafe { self.processor.process(&mut data) }, kResultOk, "process");
            for c in 0..2 {
                out[c].extend_from_slice(&output[c][..n]);
            }
            start += n;
        }
        out
    }
}

impl Drop for Vst3Plug {
    fn drop(&mut self) {
        // SAFETY: the documented teardown order.
        unsafe {
            if self.active {
                self.processor.setProcessing(0);
                self.component.setActive(0);
            }
            self.component.terminate();
        }
    }
}

/// Settings that run every stage, as (id, display text) for continuous parameters and
/// (id, plain value) for switches and choices.
const TEXT_SETTINGS: &[(&str, &str)] = &[
    ("eq1_freq", "120 Hz"),
    ("eq1_gain", "3 dB"),
    ("eq2_freq", "8 kHz"),
    ("eq2_gain", "-2 dB"),
    ("eq3_freq", "35 Hz"),
    ("eq3_q", "0.9"),
    ("comp_threshold", "-20 dB"),
    ("comp_ratio", "4"),
    ("comp_attack", "3 ms"),
    ("comp_release", "180 ms"),
    ("comp_mix", "80 %"),
    ("lim_drive", "6 dB"),
    ("lim_ceiling", "-0.5 dBTP"),
    ("out_gain", "-0.7 dB"),
];
const PLAIN_SETTINGS: &[(&str, f64)] = &[
    ("eq1_on", 1.0),
    ("eq2_on", 1.0),
    ("eq2_type", 2.0), // High Shelf
    ("eq3_on", 1.0),
    ("eq3_type", 3.0), // High Pass
    ("eq3_slope", 3.0), // 24 dB/oct
    ("eq3_place", 4.0), // Side
    ("comp_on", 1.0),
    ("comp_detector", 1.0), // RMS
    ("lim_on", 1.0),
];

/// Programme-like test signal: noise with level steps, so the compressor and limiter move.
fn test_signal() -> [Vec<f32>; 2] {
    let mut signal = noise(96_000, 0.6, 91);
    let [left, right] = &mut signal;
    for (i, (l, r)) in left.iter_mut().zip(right.iter_mut()).enumerate() {
        let level = [0.3f32, 1.0, 0.1, 0.7][(i / 24_000) % 4];
        *l *= level;
        *r *= level;
    }
    signal
}

/// The CLAP build with the same settings, applied through a parameter flush before activation.
fn clap_reference(signal: &[Vec<f32>; 2], block: usize) -> (Vec<u8>, u32, [Vec<f32>; 2]) {
    let mut plug = Plug::new(load_entry());
    let mut events: Vec<ParamValueEvent> = TEXT_SETTINGS
        .iter()
        .map(|(id, text)| param_event(0, id, plug.text_to_value(id, text).unwrap_or_else(|| panic!("CLAP {id} {text:?}"))))
        .collect();
    events.extend(PLAIN_SETTINGS.iter().map(|(id, v)| param_event(0, id, *v)));
    plug.flush_params(&events);
    let state = plug.save_state();
    plug.activate(RATE, MAX_BLOCK as u32);
    let latency = plug.latency();
    let out = plug.process_signal(signal, block, &[]);
    (state, latency, out)
}

fn first_difference(a: &[Vec<f32>; 2], b: &[Vec<f32>; 2]) -> Option<(usize, usize, f32, f32)> {
    (0..2).find_map(|c| (0..a[c].len()).find(|&i| a[c][i].to_bits() != b[c][i].to_bits()).map(|i| (c, i, a[c][i], b[c][i])))
}

#[test]
fn vst3_parameters_are_the_clap_parameters() {
    let plug = Vst3Plug::new();
    let vst3: Vec<(u32, String)> = plug.parameters();
    let mut clap = Plug::new(load_entry());
    let clap_params: Vec<(u32, String)> = clap.param_infos().into_iter().map(|p| (p.0, p.1)).collect();
    assert_eq!(vst3.len(), 79);
    let sorted = |mut v: Vec<(u32, String)>| {
        v.sort();
        v
    };
    assert_eq!(sorted(vst3), sorted(clap_params), "the same ids and names in both formats (host automation maps across)");
}

#[test]
fn vst3_output_is_bit_identical_to_clap_with_parameters_set_through_the_controller() {
    let signal = test_signal();
    let (_, clap_latency, clap_out) = clap_reference(&signal, MAX_BLOCK);
    assert_finite(&clap_out, "CLAP");
    assert!(rms(&clap_out[0]) > 0.05, "the CLAP reference is (nearly) silent");

    let mut plug = Vst3Plug::new();
    for (id, text) in TEXT_SETTINGS {
        plug.set_text(id, text);
    }
    for (id, plain) in PLAIN_SETTINGS {
        plug.set_plain(id, *plain);
    }
    assert!((plug.normalized("lim_on") - 1.0).abs() < 1e-9, "the controller reads back what it was given");
    plug.activate(RATE, MAX_BLOCK);
    assert_eq!(plug.latency(), clap_latency, "both formats report the same latency");
    let out = plug.process_signal(&signal, MAX_BLOCK);
    assert_finite(&out, "VST3");
    if let Some((c, i, v, w)) = first_difference(&out, &clap_out) {
        panic!("VST3 differs from CLAP from channel {c} sample {i}: {v} vs {w}");
    }
    // The settings did something (the output is not the delayed input) and the limiter holds
    // its -0.5 dBTP ceiling.
    let latency = plug.latency() as usize;
    let change = (latency..signal[0].len()).map(|i| (out[0][i] - signal[0][i - latency]).abs()).fold(0.0f32, f32::max);
    assert!(change > 0.1, "the output is (nearly) the dry signal: largest change {change}");
    let peak = out.iter().flatten().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(peak <= 10f32.powf(-0.5 / 20.0), "sample peak {peak}");
}

#[test]
fn vst3_loads_the_clap_state_and_renders_the_same_audio() {
    let signal = test_signal();
    // A different host block size on each side: neither output depends on it.
    let (clap_state, _, clap_out) = clap_reference(&signal, 300);
    // CLAP streams carry an 8-byte length before the JSON; a VST3 stream is the JSON alone.
    let length = u64::from_le_bytes(clap_state[..8].try_into().unwrap()) as usize;
    assert_eq!(length, clap_state.len() - 8, "CLAP state: length prefix");
    let json = &clap_state[8..];

    let mut plug = Vst3Plug::new();
    plug.set_state(json);
    assert_eq!(plug.get_state(), json, "the VST3 build saves back exactly the state it loaded");
    plug.activate(RATE, MAX_BLOCK);
    let out = plug.process_signal(&signal, MAX_BLOCK);
    assert_finite(&out, "VST3");
    if let Some((c, i, v, w)) = first_difference(&out, &clap_out) {
        panic!("VST3 after loading the CLAP state differs from CLAP from channel {c} sample {i}: {v} vs {w}");
    }
}

#[test]
fn vst3_parameter_changes_in_process_match_clap_parameter_events() {
    // Changes arrive while processing: all settings in the first block, then the output gain and
    // the ceiling later on, at sample offsets inside blocks. Both formats apply them at the same
    // points, so the outputs (including the glides from the defaults) are identical.
    let signal = test_signal();
    let block = 480;
    let mut vst3 = Vst3Plug::new();
    let mut changes: Vec<(usize, u32, i32, f64)> = Vec::new();
    for (id, text) in TEXT_SETTINGS {
        changes.push((0, clap_id(id).get(), 0, vst3.normalized_for_text(id, text)));
    }
    for (id, plain) in PLAIN_SETTINGS {
        changes.push((0, clap_id(id).get(), 0, vst3.normalized_for_plain(id, *plain)));
    }
    changes.push((20, clap_id("out_gain").get(), 123, vst3.normalized_for_text("out_gain", "-6 dB")));
    changes.push((45, clap_id("lim_ceiling").get(), 479, vst3.normalized_for_text("lim_ceiling", "-3 dBTP")));
    changes.push((45, clap_id("eq2_on").get(), 7, 0.0));
    vst3.activate(RATE, MAX_BLOCK);
    let out = vst3.process_signal_with_changes(&signal, block, &changes);
    assert_finite(&out, "VST3");

    let mut clap = Plug::new(load_entry());
    clap.activate(RATE, MAX_BLOCK as u32);
    let infos = clap.param_infos();
    let mut clap_out = [Vec::new(), Vec::new()];
    let mut start = 0;
    while start < signal[0].len() {
        let n = block.min(signal[0].len() - start);
        let events: Vec<ParamValueEvent> = changes
            .iter()
            .filter(|c| c.0 == start / block)
            .map(|&(_, id, offset, normalized)| {
                // CLAP values of stepped parameters are step indices, of the others normalised.
                let info = infos.iter().find(|p| p.0 == id).unwrap();
                let value = if info.3.contains(ParamInfoFlags::IS_STEPPED) { normalized * info.5 } else { normalized };
                ParamValueEvent::new(offset as u32, ClapId::new(id), Pckn::match_all(), value)
            })
            .collect();
        clap.process_block(&signal[0][start..start + n], &signal[1][start..start + n], &events, &mut clap_out);
        start += n;
    }
    if let Some((c, i, v, w)) = first_difference(&out, &clap_out) {
        panic!("VST3 with in-process changes differs from CLAP from channel {c} sample {i}: {v} vs {w}");
    }
    // The late changes took effect: the last second is limited to -3 dBTP and 6 dB quieter.
    let tail = &out[0][out[0].len() - 48_000..];
    assert!(tail.iter().all(|v| v.abs() <= 10f32.powf(-9.0 / 20.0)), "the late ceiling and gain changes did not apply");
}
