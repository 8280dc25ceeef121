//! A stand-in for the host behind the editor: records every parameter gesture the UI makes and
//! applies the values, so headless UI tests can check what a host would have received.

use egui_kittest::Harness;
use keel::editor::{EditorShared, KeelUi};
use keel::meter_values::MeterValues;
use keel::params::KeelParams;
use keel::spectrum_tap::SpectrumTap;
use nice_plug::context::PluginApi;
use nice_plug::context::gui::{GuiContext, GuiContextInner};
use nice_plug::params::internals::ParamPtr;
use nice_plug::prelude::*;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, PartialEq)]
pub enum Gesture {
    Begin(String),
    Set(String, f32),
    End(String),
}

/// Gestures as "begin id" / "set id" / "end id", for comparing sequences.
pub fn gesture_names(gestures: &[Gesture]) -> Vec<String> {
    gestures
        .iter()
        .map(|g| match g {
            Gesture::Begin(id) => format!("begin {id}"),
            Gesture::Set(id, _) => format!("set {id}"),
            Gesture::End(id) => format!("end {id}"),
        })
        .collect()
}

pub struct RecordingHost {
    params: Arc<KeelParams>,
    pub gestures: Mutex<Vec<Gesture>>,
    /// Set when a value arrives outside a begin/end pair.
    pub set_outside_gesture: AtomicBool,
    open: Mutex<Vec<String>>,
}

impl RecordingHost {
    pub fn new(params: Arc<KeelParams>) -> Arc<Self> {
        Arc::new(Self {
            params,
            gestures: Mutex::new(Vec::new()),
            set_outside_gesture: AtomicBool::new(false),
            open: Mutex::new(Vec::new()),
        })
    }

    fn id_of(&self, param: ParamPtr) -> String {
        self.params
            .param_map()
            .into_iter()
            .find(|(_, ptr, _)| *ptr == param)
            .map(|(id, _, _)| id)
            .expect("the editor touched a parameter that is not in the plugin's list")
    }

    pub fn take(&self) -> Vec<Gesture> {
        std::mem::take(&mut *self.gestures.lock().unwrap())
    }

    /// Gestures still open (begun and not ended).
    pub fn open_gestures(&self) -> Vec<String> {
        self.open.lock().unwrap().clone()
    }
}

impl GuiContextInner for RecordingHost {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }

    unsafe fn raw_begin_set_parameter(&self, param: ParamPtr) {
        let id = self.id_of(param);
        self.open.lock().unwrap().push(id.clone());
        self.gestures.lock().unwrap().push(Gesture::Begin(id));
    }

    unsafe fn raw_set_parameter_normalized(&self, param: ParamPtr, normalized: f32) {
        let id = self.id_of(param);
        if !self.open.lock().unwrap().contains(&id) {
            self.set_outside_gesture.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        // SAFETY: the pointer comes from `self.params`, which this host keeps alive.
        unsafe { param._internal_set_normalized_value(normalized) };
        self.gestures.lock().unwrap().push(Gesture::Set(id, normalized));
    }

    unsafe fn raw_end_set_parameter(&self, param: ParamPtr) {
        let id = self.id_of(param);
        self.open.lock().unwrap().retain(|open| *open != id);
        self.gestures.lock().unwrap().push(Gesture::End(id));
    }

    fn get_state(&self) -> PluginState {
        panic!("the editor is not expected to read the whole plugin state")
    }

    fn set_state(&self, _state: PluginState) {
        panic!("the editor is expected to load presets through parameter gestures")
    }

    fn request_restart(&self) {}
}

/// A recording host over the parameters of an existing editor share (a plugin's, say).
pub fn host_for(shared: &EditorShared) -> (Arc<RecordingHost>, GuiContext) {
    let host = RecordingHost::new(shared.params.clone());
    let context = GuiContext::new(host.clone());
    (host, context)
}

/// Fresh parameters and meters, as the plugin would share them, plus a recording host.
pub fn editor_fixture() -> (EditorShared, Arc<RecordingHost>, GuiContext) {
    let params = Arc::new(KeelParams::default());
    let shared = EditorShared {
        params: params.clone(),
        sample_rate: Arc::new(AtomicF32::new(48_000.0)),
        meters: Arc::new(MeterValues::default()),
        spectrum: Arc::new(SpectrumTap::default()),
        monitor: Arc::new(keel::monitor::MonitorControls::default()),
    };
    let host = RecordingHost::new(params);
    let context = GuiContext::new(host.clone());
    (shared, host, context)
}

/// The whole editor, headless, at its default size, drawing `shared` through `context`. Frames
/// are 1/60 s apart, so two clicks in a row fall within the double-click time.
pub fn editor_harness(shared: &EditorShared, context: GuiContext) -> Harness<'static, KeelUi> {
    let shared = shared.clone();
    let size = egui::vec2(keel::editor::DEFAULT_WIDTH as f32, keel::editor::DEFAULT_HEIGHT as f32);
    Harness::builder().with_size(size).with_step_dt(1.0 / 60.0).build_ui_state(
        move |ui, state: &mut KeelUi| {
            let setter = context.param_setter();
            state.show(ui, &shared, &setter);
        },
        KeelUi::default(),
    )
}
