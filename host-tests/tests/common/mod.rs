//! The CLAP host the host tests share: locating and loading the bundle, a minimal host, one
//! plugin instance with its buffers, and signals and measurements.
#![allow(dead_code, unused_imports)]
pub use clack_extensions::audio_ports::{AudioPortInfoBuffer, PluginAudioPorts};
pub use clack_extensions::audio_ports_config::{AudioPortsConfigBuffer, PluginAudioPortsConfig};
pub use clack_extensions::latency::{HostLatency, HostLatencyImpl, PluginLatency};
pub use clack_extensions::params::{
    HostParams, HostParamsImplMainThread, HostParamsImplShared, ParamClearFlags, ParamInfoBuffer, ParamInfoFlags,
    ParamRescanFlags, PluginParams,
};
pub use clack_extensions::state::{HostState, HostStateImpl, PluginState};
pub use clack_host::events::event_types::ParamValueEvent;
pub use clack_host::prelude::*;
pub use std::collections::{BTreeMap, HashSet};
pub use std::ffi::CString;
pub use std::path::PathBuf;
pub use std::sync::atomic::{AtomicBool, Ordering};
pub use std::sync::{Arc, Barrier, OnceLock};

pub const PLUGIN_ID: &str = "audio.keel.keel";
pub const RATES: [f64; 5] = [44_100.0, 48_000.0, 88_200.0, 96_000.0, 192_000.0];

// ---------------------------------------------------------------------------------------------
// Locating and loading the bundle

pub fn bundle_path() -> PathBuf {
    built_bundle("KEEL_CLAP_BUNDLE", "Keel.clap")
}

/// A built bundle: `env_var` if set, else `target/bundled/<name>` of the workspace. A missing
/// bundle is a failure with the command that builds it, never a skip.
pub fn built_bundle(env_var: &str, name: &str) -> PathBuf {
    let (path, origin) = match std::env::var_os(env_var) {
        Some(path) => (PathBuf::from(path), env_var.to_owned()),
        None => (
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bundled").join(name),
            "the default location".to_owned(),
        ),
    };
    assert!(
        path.exists(),
        "the Keel bundle is missing at {} ({origin}): run `cargo xtask bundle keel --release` first \
         (`cargo xtask test` does this for you)",
        path.display()
    );
    path
}

/// The loaded bundle, shared by all tests and kept loaded until the process ends.
///
/// Kept loaded on purpose, as most hosts do: unloading Keel.clap (last `clap_entry.deinit` and
/// `dlclose`) while a thread that called into it is still alive makes that thread crash when it
/// exits, because the library's own copy of std registered a pthread thread-exit destructor that
/// then points into unmapped code. With one entry per test, the harness's test threads hit it.
pub fn load_entry() -> &'static PluginEntry {
    static ENTRY: OnceLock<PluginEntry> = OnceLock::new();
    ENTRY.get_or_init(|| {
        let path = bundle_path();
        // SAFETY: loading a shared library runs its initialisers; this is the plugin under test.
        unsafe { PluginEntry::load(&path) }.unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display()))
    })
}

// ---------------------------------------------------------------------------------------------
// A minimal host: it records callback requests and otherwise accepts what the plugin says.

pub struct TestHost;

pub struct TestShared {
    pub callback_requested: AtomicBool,
    pub restart_requested: AtomicBool,
}

impl SharedHandler<'_> for TestShared {
    fn request_restart(&self) {
        self.restart_requested.store(true, Ordering::SeqCst);
    }
    fn request_process(&self) {}
    fn request_callback(&self) {
        self.callback_requested.store(true, Ordering::SeqCst);
    }
}

impl HostParamsImplShared for TestShared {
    fn request_flush(&self) {}
}

pub struct TestMainThread;

impl MainThreadHandler<'_> for TestMainThread {}

impl HostLatencyImpl for TestMainThread {
    fn changed(&self) {}
}

impl HostParamsImplMainThread for TestMainThread {
    fn rescan(&self, _flags: ParamRescanFlags) {}
    fn clear(&self, _param_id: ClapId, _flags: ParamClearFlags) {}
}

impl HostStateImpl for TestMainThread {
    fn mark_dirty(&self) {}
}

impl HostHandlers for TestHost {
    type Shared<'a> = TestShared;
    type MainThread<'a> = TestMainThread;
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder.register::<HostLatency>().register::<HostParams>().register::<HostState>();
    }
}

/// Keel's CLAP parameter id for a string id: the wrapper's documented 31-multiplier string hash,
/// top bit cleared.
pub fn clap_id(id: &str) -> ClapId {
    let hash = id.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b))) & !(1 << 31);
    ClapId::new(hash)
}

pub fn param_event(time: u32, id: &str, value: f64) -> ParamValueEvent {
    ParamValueEvent::new(time, clap_id(id), Pckn::match_all(), value)
}

/// One plugin instance with its buffers (stereo unless `select_mono` was called).
pub struct Plug {
    pub instance: PluginInstance<TestHost>,
    pub channels: usize,
    pub processor: Option<StartedPluginAudioProcessor<TestHost>>,
    pub input: [Vec<f32>; 2],
    pub output: [Vec<f32>; 2],
    pub in_ports: AudioPorts,
    pub out_ports: AudioPorts,
    pub steady_time: u64,
}

impl Plug {
    pub fn new(entry: &PluginEntry) -> Self {
        let host_info = HostInfo::new("keel host-tests", "Keel", "https://keel.invalid", "0.0.0").unwrap();
        let id = CString::new(PLUGIN_ID).unwrap();
        let instance = PluginInstance::<TestHost>::new(
            |_| TestShared { callback_requested: AtomicBool::new(false), restart_requested: AtomicBool::new(false) },
            |_| TestMainThread,
            entry,
            &id,
            &host_info,
        )
        .expect("the plugin instantiates");
        Self {
            instance,
            channels: 2,
            processor: None,
            input: [Vec::new(), Vec::new()],
            output: [Vec::new(), Vec::new()],
            in_ports: AudioPorts::with_capacity(2, 1),
            out_ports: AudioPorts::with_capacity(2, 1),
            steady_time: 0,
        }
    }

    /// Switches the inactive plugin to its mono layout through the audio-ports-config extension.
    pub fn select_mono(&mut self) {
        let configs =
            self.instance.plugin_handle().get_extension::<PluginAudioPortsConfig>().expect("audio-ports-config extension");
        let handle = self.instance.plugin_handle();
        let count = configs.count(&handle);
        let mono = (0..count)
            .find_map(|i| {
                let mut buffer = AudioPortsConfigBuffer::new();
                let config = configs.get(&handle, i, &mut buffer)?;
                let channels = |p: &Option<_>| p.as_ref().map(|p: &clack_extensions::audio_ports_config::MainPortInfo| p.channel_count);
                (channels(&config.main_input) == Some(1) && channels(&config.main_output) == Some(1)).then_some(config.id)
            })
            .unwrap_or_else(|| panic!("no mono layout among {count} audio port configurations"));
        configs.select(&handle, mono).expect("the mono layout can be selected");
        self.channels = 1;
        self.in_ports = AudioPorts::with_capacity(1, 1);
        self.out_ports = AudioPorts::with_capacity(1, 1);
    }

    pub fn activate(&mut self, sample_rate: f64, max_frames: u32) {
        assert!(self.processor.is_none(), "already active");
        let config = PluginAudioConfiguration { sample_rate, min_frames_count: 1, max_frames_count: max_frames };
        let stopped = self
            .instance
            .activate(|_, _| (), config)
            .unwrap_or_else(|e| panic!("activation at {sample_rate} Hz, max {max_frames} frames failed: {e}"));
        let started = stopped.start_processing().unwrap_or_else(|e| panic!("start_processing failed: {e}"));
        self.processor = Some(started);
        self.input = [vec![0.0; max_frames as usize], vec![0.0; max_frames as usize]];
        self.output = [vec![0.0; max_frames as usize], vec![0.0; max_frames as usize]];
        self.steady_time = 0;
        self.run_main_thread_callbacks();
    }

    pub fn deactivate(&mut self) {
        let started = self.processor.take().expect("active");
        self.instance.deactivate(started.stop_processing());
        self.run_main_thread_callbacks();
    }

    pub fn run_main_thread_callbacks(&mut self) {
        if self.instance.access_shared_handler(|s| s.callback_requested.swap(false, Ordering::SeqCst)) {
            self.instance.call_on_main_thread_callback();
        }
    }

    /// Processes one block (any length up to the activated maximum, 0 included) and appends the
    /// output to `out`.
    pub fn process_block(&mut self, left: &[f32], right: &[f32], events: &[ParamValueEvent], out: &mut [Vec<f32>; 2]) {
        let n = left.len();
        assert_eq!(n, right.len());
        let Self { processor, input, output, in_ports, out_ports, steady_time, channels, .. } = self;
        let channels = *channels;
        assert!(n <= input[0].len(), "block of {n} frames is over the activated maximum");
        input[0][..n].copy_from_slice(left);
        input[1][..n].copy_from_slice(right);
        // Poison the outputs so a plugin that does not write them is caught.
        output[0][..n].fill(f32::NAN);
        output[1][..n].fill(f32::NAN);
        let [in_l, in_r] = input;
        let [out_l, out_r] = output;
        let inputs = in_ports.with_input_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_input_only(
                [InputChannel::variable(&mut in_l[..n]), InputChannel::variable(&mut in_r[..n])].into_iter().take(channels),
            ),
        }]);
        let mut outputs = out_ports.with_output_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_output_only([&mut out_l[..n], &mut out_r[..n]].into_iter().take(channels)),
        }]);
        let mut event_buffer = EventBuffer::with_capacity(events.len());
        for event in events {
            event_buffer.push(event);
        }
        let processor = processor.as_mut().expect("active");
        processor
            .process(
                &inputs,
                &mut outputs,
                &event_buffer.as_input(),
                &mut OutputEvents::void(),
                Some(*steady_time),
                None,
            )
            .unwrap_or_else(|e| panic!("process of {n} frames failed: {e}"));
        *steady_time += n as u64;
        out[0].extend_from_slice(&out_l[..n]);
        if channels == 2 {
            out[1].extend_from_slice(&out_r[..n]);
        }
        self.run_main_thread_callbacks();
    }

    /// Processes a whole signal in blocks of `block` frames; `events` go with the first block.
    pub fn process_signal(&mut self, signal: &[Vec<f32>; 2], block: usize, events: &[ParamValueEvent]) -> [Vec<f32>; 2] {
        let mut out = [Vec::with_capacity(signal[0].len()), Vec::with_capacity(signal[0].len())];
        let mut start = 0;
        while start < signal[0].len() {
            let end = (start + block).min(signal[0].len());
            let ev = if start == 0 { events } else { &[] };
            self.process_block(&signal[0][start..end], &signal[1][start..end], ev, &mut out);
            start = end;
        }
        out
    }

    /// Applies parameter events on the main thread while inactive, as hosts do when restoring
    /// automation before playback.
    pub fn flush_params(&mut self, events: &[ParamValueEvent]) {
        assert!(self.processor.is_none(), "flush_params is for an inactive plugin");
        let params = self.params();
        let mut buffer = EventBuffer::with_capacity(events.len());
        for event in events {
            buffer.push(event);
        }
        let mut handle = self.instance.inactive_plugin_handle().expect("inactive");
        params.flush(&mut handle, &buffer.as_input(), &mut OutputEvents::void());
        self.run_main_thread_callbacks();
    }

    pub fn params(&mut self) -> PluginParams {
        self.instance.plugin_handle().get_extension::<PluginParams>().expect("the plugin has the params extension")
    }

    pub fn latency(&mut self) -> u32 {
        let ext = self.instance.plugin_handle().get_extension::<PluginLatency>().expect("the plugin has the latency extension");
        ext.get(&self.instance.plugin_handle())
    }

    pub fn value(&mut self, id: &str) -> f64 {
        let params = self.params();
        params.get_value(&self.instance.plugin_handle(), clap_id(id)).unwrap_or_else(|| panic!("no value for {id}"))
    }

    pub fn value_to_text(&mut self, id: &str, value: f64) -> String {
        let params = self.params();
        let mut buffer = [0u8; 256];
        let text = params
            .value_to_text(&self.instance.plugin_handle(), clap_id(id), value, &mut buffer)
            .unwrap_or_else(|_| panic!("value_to_text({id}, {value}) failed"));
        String::from_utf8(text.to_vec()).expect("UTF-8 parameter text")
    }

    pub fn text_to_value(&mut self, id: &str, text: &str) -> Option<f64> {
        let params = self.params();
        let text = CString::new(text).unwrap();
        params.text_to_value(&self.instance.plugin_handle(), clap_id(id), &text)
    }

    /// All parameters as (clap id, name, module, flags, min, max, default).
    pub fn param_infos(&mut self) -> Vec<(u32, String, String, ParamInfoFlags, f64, f64, f64)> {
        let params = self.params();
        let handle = self.instance.plugin_handle();
        let count = params.count(&handle);
        (0..count)
            .map(|i| {
                let mut buffer = ParamInfoBuffer::new();
                let info = params.get_info(&handle, i, &mut buffer).unwrap_or_else(|| panic!("no info for index {i}"));
                (
                    info.id.get(),
                    String::from_utf8_lossy(info.name).into_owned(),
                    String::from_utf8_lossy(info.module).into_owned(),
                    info.flags,
                    info.min_value,
                    info.max_value,
                    info.default_value,
                )
            })
            .collect()
    }

    pub fn all_values(&mut self) -> BTreeMap<u32, f64> {
        let params = self.params();
        let ids: Vec<u32> = self.param_infos().iter().map(|p| p.0).collect();
        let handle = self.instance.plugin_handle();
        ids.into_iter().map(|id| (id, params.get_value(&handle, ClapId::new(id)).expect("value"))).collect()
    }

    pub fn save_state(&mut self) -> Vec<u8> {
        let state = self.instance.plugin_handle().get_extension::<PluginState>().expect("the plugin has the state extension");
        let mut bytes = Vec::new();
        state.save(&self.instance.plugin_handle(), &mut bytes).expect("state saves");
        bytes
    }

    pub fn load_state(&mut self, bytes: &[u8]) {
        self.try_load_state(bytes).unwrap_or_else(|e| panic!("state does not load: {e}"));
    }

    /// Loads a state that may be refused; the refusal is the plugin's answer, not a test failure.
    pub fn try_load_state(&mut self, bytes: &[u8]) -> Result<(), String> {
        let state = self.instance.plugin_handle().get_extension::<PluginState>().expect("the plugin has the state extension");
        let result = state.load(&self.instance.plugin_handle(), &mut &bytes[..]).map_err(|e| e.to_string());
        self.run_main_thread_callbacks();
        result
    }
}

impl Drop for Plug {
    fn drop(&mut self) {
        if let Some(started) = self.processor.take() {
            self.instance.deactivate(started.stop_processing());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Signals and measurements

/// Deterministic stereo noise, uniform in ±amplitude.
pub fn noise(len: usize, amplitude: f32, seed: u64) -> [Vec<f32>; 2] {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        ((state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * amplitude
    };
    let left: Vec<f32> = (0..len).map(|_| next()).collect();
    let right: Vec<f32> = (0..len).map(|_| next()).collect();
    [left, right]
}

pub fn sine(len: usize, freq: f64, sample_rate: f64, amplitude: f32) -> [Vec<f32>; 2] {
    let s: Vec<f32> =
        (0..len).map(|i| (amplitude as f64 * (std::f64::consts::TAU * freq * i as f64 / sample_rate).sin()) as f32).collect();
    [s.clone(), s]
}

pub fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64).sqrt()
}

pub fn assert_finite(out: &[Vec<f32>; 2], what: &str) {
    for (c, channel) in out.iter().enumerate() {
        if let Some(i) = channel.iter().position(|v| !v.is_finite()) {
            panic!("{what}: channel {c} sample {i} is {}", channel[i]);
        }
    }
}

pub fn argmax_abs(x: &[f32]) -> usize {
    x.iter().enumerate().fold((0, -1.0f32), |(bi, bv), (i, &v)| if v.abs() > bv { (i, v.abs()) } else { (bi, bv) }).0
}

/// Settings that run every stage: two EQ bands, the compressor working, the limiter driven.
pub fn busy_settings(plug: &mut Plug) -> Vec<ParamValueEvent> {
    let mut text = |id: &str, t: &str| {
        let v = plug.text_to_value(id, t).unwrap_or_else(|| panic!("text_to_value({id}, {t:?}) failed"));
        param_event(0, id, v)
    };
    vec![
        param_event(0, "eq1_on", 1.0),
        text("eq1_freq", "120 Hz"),
        text("eq1_gain", "3 dB"),
        param_event(0, "eq2_on", 1.0),
        param_event(0, "eq2_type", 2.0), // High Shelf
        text("eq2_freq", "8 kHz"),
        text("eq2_gain", "-2 dB"),
        param_event(0, "comp_on", 1.0),
        text("comp_threshold", "-18 dB"),
        text("comp_ratio", "4"),
        param_event(0, "lim_on", 1.0),
        text("lim_drive", "6 dB"),
    ]
}

/// Every parameter's string id, in the plugin's order.
pub fn all_string_ids() -> Vec<String> {
    let mut ids = Vec::new();
    for band in 1..=8 {
        for p in ["on", "type", "freq", "gain", "q", "slope", "place"] {
            ids.push(format!("eq{band}_{p}"));
        }
    }
    for p in ["on", "threshold", "ratio", "knee", "attack", "release", "auto_release", "detector", "makeup", "auto_makeup", "sc_hpf", "link", "mix"] {
        ids.push(format!("comp_{p}"));
    }
    for p in ["on", "ceiling", "drive", "release", "auto_release", "link"] {
        ids.push(format!("lim_{p}"));
    }
    ids.push("out_gain".into());
    ids.push("bypass".into());
    ids.push("dither_mode".into());
    ids.push("dither_bits".into());
    ids
}
