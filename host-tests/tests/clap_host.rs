//! Loads the built `Keel.clap` in a real CLAP host (clack-host) and checks what a DAW relies on:
//! the descriptor, activation at every common rate with any block size, the parameter list and
//! its text conversions, parameter events, state save/load, the reported latency against the
//! measured one, many instances at once, and repeated activation.
//!
//! The bundle comes from `KEEL_CLAP_BUNDLE` (set by `cargo xtask test`, which builds it first),
//! or else `<workspace>/target/bundled/Keel.clap`. A missing bundle is a failure, never a skip.


mod common;

use common::*;

// ---------------------------------------------------------------------------------------------
// The checks

#[test]
fn descriptor() {
    let entry = load_entry();
    let factory = entry.get_plugin_factory().expect("the bundle has a plugin factory");
    assert_eq!(factory.plugin_count(), 1, "one plugin in the bundle");
    let descriptor = factory.plugin_descriptor(0).expect("descriptor 0");
    assert_eq!(descriptor.id().unwrap().to_str().unwrap(), PLUGIN_ID);
    assert_eq!(descriptor.name().unwrap().to_str().unwrap(), "Keel");
    let features: Vec<String> = descriptor.features().map(|f| f.to_string_lossy().into_owned()).collect();
    for wanted in ["audio-effect", "stereo", "mono", "equalizer", "compressor", "limiter", "mastering"] {
        assert!(features.iter().any(|f| f == wanted), "feature {wanted:?} missing from {features:?}");
    }

    // The default audio ports: one stereo main input and one stereo main output.
    let mut plug = Plug::new(entry);
    let ports = plug.instance.plugin_handle().get_extension::<PluginAudioPorts>().expect("audio-ports extension");
    let handle = plug.instance.plugin_handle();
    for is_input in [true, false] {
        assert_eq!(ports.count(&handle, is_input), 1, "one main port (input: {is_input})");
        let mut buffer = AudioPortInfoBuffer::new();
        let info = ports.get(&handle, 0, is_input, &mut buffer).expect("port info");
        assert_eq!(info.channel_count, 2, "stereo port (input: {is_input})");
    }
}

#[test]
fn activates_and_processes_any_block_size_at_every_rate() {
    let entry = load_entry();
    let sizes = [0usize, 1, 0, 2, 3, 5, 8, 13, 64, 127, 128, 255, 256, 257, 480, 512, 1000, 1024, 2048, 4096, 8191, 8192, 0, 1];
    let total: usize = sizes.iter().sum();
    for rate in RATES {
        let mut plug = Plug::new(entry);
        plug.activate(rate, 8192);
        let events = busy_settings(&mut plug);
        let signal = noise(total, 0.5, 7);
        let mut out = [Vec::new(), Vec::new()];
        let mut start = 0;
        let mut sent = false;
        for &n in &sizes {
            let ev: &[ParamValueEvent] = if n > 0 && !sent {
                sent = true;
                &events
            } else {
                &[]
            };
            plug.process_block(&signal[0][start..start + n], &signal[1][start..start + n], ev, &mut out);
            start += n;
        }
        assert_eq!(out[0].len(), total);
        assert_finite(&out, &format!("{rate} Hz"));
        let latency = plug.latency() as usize;
        let level = rms(&out[0][latency..]);
        assert!(level > 0.01, "{rate} Hz: output is (nearly) silent, rms {level}");
        // The driven limiter holds its ceiling (-1 dBTP default) on the sample peaks.
        let peak = out.iter().flatten().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(peak <= 10f32.powf(-1.0 / 20.0) * 1.0001, "{rate} Hz: sample peak {peak} over the ceiling");
    }
}

#[test]
fn parameters_ids_names_and_text() {
    let entry = load_entry();
    let mut plug = Plug::new(entry);
    let infos = plug.param_infos();

    let expected = all_string_ids();
    assert_eq!(infos.len(), 79);
    assert_eq!(infos.len(), expected.len(), "parameter count");

    let ids: HashSet<u32> = infos.iter().map(|p| p.0).collect();
    assert_eq!(ids.len(), infos.len(), "parameter ids are unique");
    let wanted: HashSet<u32> = expected.iter().map(|id| clap_id(id).get()).collect();
    assert_eq!(wanted.len(), expected.len(), "the expected string ids hash to distinct CLAP ids");
    for id in &expected {
        assert!(ids.contains(&clap_id(id).get()), "parameter {id} is missing");
    }

    let by_id = |id: &str| infos.iter().find(|p| p.0 == clap_id(id).get()).unwrap().clone();
    for (id, name, module) in [
        ("eq1_freq", "Band 1 Frequency", "Band 1"),
        ("eq8_place", "Band 8 Placement", "Band 8"),
        ("comp_ratio", "Ratio", "Compressor"),
        ("lim_ceiling", "Ceiling", "Limiter"),
        ("out_gain", "Output Gain", ""),
        ("bypass", "Bypass", ""),
        ("dither_mode", "Dither", ""),
        ("dither_bits", "Dither Bits", ""),
    ] {
        let info = by_id(id);
        assert_eq!(info.1, name, "name of {id}");
        assert_eq!(info.2, module, "module of {id}");
    }
    let bypass = by_id("bypass");
    assert!(bypass.3.contains(ParamInfoFlags::IS_BYPASS | ParamInfoFlags::IS_STEPPED), "bypass flags {:?}", bypass.3);
    assert!(by_id("eq1_type").3.contains(ParamInfoFlags::IS_STEPPED));
    assert_eq!((by_id("eq1_type").4, by_id("eq1_type").5), (0.0, 7.0), "8 filter types");
    assert_eq!((by_id("dither_mode").4, by_id("dither_mode").5), (0.0, 2.0), "dither off, TPDF, shaped");
    assert_eq!(plug.value_to_text("dither_bits", 0.0), "16 bit");
    for info in &infos {
        assert!(info.4 <= info.6 && info.6 <= info.5, "{}: default {} outside [{}, {}]", info.1, info.6, info.4, info.5);
        assert!(info.3.contains(ParamInfoFlags::IS_AUTOMATABLE), "{} is automatable", info.1);
    }

    // Current values are the defaults.
    for info in &infos {
        let value = plug.params().get_value(&plug.instance.plugin_handle(), ClapId::new(info.0)).unwrap();
        assert!((value - info.6).abs() < 1e-6, "{}: value {value} is not the default {}", info.1, info.6);
    }

    // Value to text and back.
    let minus_six = plug.text_to_value("out_gain", "-6 dB").expect("out_gain parses -6 dB");
    assert!((minus_six - 18.0 / 48.0).abs() < 1e-6, "out_gain -6 dB is {minus_six}");
    assert_eq!(plug.value_to_text("out_gain", minus_six), "-6.00 dB");
    assert_eq!(plug.text_to_value("out_gain", "-6"), Some(minus_six), "the unit is optional");
    let ceiling = plug.text_to_value("lim_ceiling", "-1 dBTP").expect("lim_ceiling parses");
    assert!(plug.value_to_text("lim_ceiling", ceiling).starts_with("-1.00"), "{}", plug.value_to_text("lim_ceiling", ceiling));
    let khz = plug.text_to_value("eq1_freq", "1 kHz").expect("eq1_freq parses kHz");
    let hz = plug.text_to_value("eq1_freq", "1000 Hz").expect("eq1_freq parses Hz");
    assert!((khz - hz).abs() < 1e-6, "1 kHz {khz} vs 1000 Hz {hz}");
    let text = plug.value_to_text("eq1_freq", khz);
    assert!(text.starts_with('1') && text.contains("Hz"), "eq1_freq at 1 kHz reads {text:?}");
    let back = plug.text_to_value("eq1_freq", &text).unwrap_or_else(|| panic!("{text:?} does not parse back"));
    assert!((back - khz).abs() < 1e-4, "eq1_freq: {khz} -> {text:?} -> {back}");
    assert_eq!(plug.value_to_text("comp_ratio", 1.0), "Limit");
    assert_eq!(plug.text_to_value("comp_ratio", "Limit"), Some(1.0));
    assert_eq!(plug.value_to_text("comp_sc_hpf", 0.0), "Off");
    assert_eq!(plug.text_to_value("comp_sc_hpf", "off"), Some(0.0));
    assert_eq!(plug.value_to_text("bypass", 1.0), "On");
    assert_eq!(plug.value_to_text("eq1_type", 2.0), "High Shelf");
    let high_shelf = plug.text_to_value("eq1_type", "High Shelf").expect("eq1_type parses its names");
    assert!((high_shelf - 2.0).abs() < 1e-6, "High Shelf is {high_shelf}");
    assert_eq!(plug.value_to_text("eq1_slope", 3.0), "24 dB/oct");

    // Every parameter's default reads as text that parses back to (nearly) the same value.
    for info in &infos {
        let id_name = &info.1;
        let mut buffer = [0u8; 256];
        let params = plug.params();
        let handle = plug.instance.plugin_handle();
        let text = params.value_to_text(&handle, ClapId::new(info.0), info.6, &mut buffer).expect("value_to_text");
        let text = CString::new(text.to_vec()).unwrap();
        let back = params
            .text_to_value(&handle, ClapId::new(info.0), &text)
            .unwrap_or_else(|| panic!("{id_name}: {text:?} does not parse back"));
        let span = info.5 - info.4;
        assert!((back - info.6).abs() <= 0.002 * span, "{id_name}: {} -> {text:?} -> {back}", info.6);
    }
    assert_eq!(plug.text_to_value("out_gain", "loud"), None, "nonsense does not parse");
}

#[test]
fn out_gain_event_changes_the_output() {
    let entry = load_entry();
    let rate = 48_000.0;
    let mut plug = Plug::new(entry);
    plug.activate(rate, 512);
    let block = 480;
    let signal = sine(9600, 1000.0, rate, 0.25);
    let before = plug.process_signal(&signal, block, &[]);
    let minus_six = plug.text_to_value("out_gain", "-6 dB").unwrap();
    let after = plug.process_signal(&signal, block, &[param_event(0, "out_gain", minus_six)]);
    assert_finite(&before, "before");
    assert_finite(&after, "after");
    assert!((plug.value("out_gain") - minus_six).abs() < 1e-9, "the host reads the new value back");

    let level_before = rms(&before[0][4800..]);
    let level_after = rms(&after[0][4800..]); // 100 ms later: the 20 ms ramp is long over.
    let ratio = level_after / level_before;
    let wanted = 10f64.powf(-6.0 / 20.0);
    assert!((ratio - wanted).abs() < 1e-4, "level ratio {ratio}, wanted {wanted}");
    assert!(level_before > 0.17, "unity gain by default: rms {level_before}");

    // The change is a ramp, not a step: the gain moves over about 20 ms.
    // The output gain acts after the lookahead, so the ramp starts with the block that carried
    // the event. The gain over time: RMS over one 48-sample period of the 1 kHz tone against
    // the steady level before the change.
    let window = 48;
    let gain = |at: usize| rms(&after[0][at..at + window]) / level_before;
    let start = gain(0);
    let middle = gain(480 - window / 2);
    let end = gain(960);
    assert!(start > 0.97 && start < 1.0, "the gain starts near unity ({start})");
    assert!((middle - 0.75).abs() < 0.01, "halfway through the 20 ms ramp the gain is halfway ({middle})");
    assert!((end - wanted).abs() < 1e-3, "after 20 ms the gain has arrived ({end})");
}

#[test]
fn state_round_trip_gives_identical_parameters_and_output() {
    let entry = load_entry();
    let rate = 48_000.0;
    let mut a = Plug::new(entry);
    a.activate(rate, 1024);
    let mut events = busy_settings(&mut a);
    let mut text = |id: &str, t: &str| {
        let v = a.text_to_value(id, t).unwrap_or_else(|| panic!("{id} {t}"));
        param_event(0, id, v)
    };
    events.extend([
        text("eq5_q", "2.5"),
        text("comp_attack", "3 ms"),
        text("comp_sc_hpf", "90 Hz"),
        text("lim_ceiling", "-0.3 dBTP"),
        text("out_gain", "-1.5 dB"),
        param_event(0, "comp_detector", 1.0),
        param_event(0, "eq5_on", 1.0),
        param_event(0, "eq5_place", 4.0),
        param_event(0, "lim_auto_release", 1.0),
        param_event(0, "dither_mode", 2.0),
        param_event(0, "dither_bits", 1.0),
    ]);
    let signal = noise(24_000, 0.4, 11);
    a.process_signal(&signal, 1024, &events);
    let values_a = a.all_values();
    let defaults = {
        let mut fresh = Plug::new(entry);
        fresh.all_values()
    };
    let changed = values_a.iter().filter(|(id, v)| defaults[id] != **v).count();
    assert!(changed >= 20, "the events changed {changed} parameters");
    let state = a.save_state();
    assert!(!state.is_empty());
    a.deactivate();

    let mut b = Plug::new(entry);
    b.load_state(&state);
    assert_eq!(b.all_values(), values_a, "parameters after loading the state");
    assert_eq!(b.save_state(), state, "the loaded instance saves the same state");

    a.activate(rate, 1024);
    b.activate(rate, 1024);
    let signal = noise(48_000, 0.5, 12);
    let out_a = a.process_signal(&signal, 512, &[]);
    let out_b = b.process_signal(&signal, 512, &[]);
    assert_finite(&out_a, "original");
    assert!(rms(&out_a[0]) > 0.05);
    assert!(out_a == out_b, "a restored instance renders the same audio bit for bit");
}

#[test]
fn reported_latency_matches_measured_delay() {
    let entry = load_entry();
    for rate in RATES {
        for setup in ["default", "limiter on", "bypass"] {
            let mut plug = Plug::new(entry);
            plug.activate(rate, 4096);
            let latency = plug.latency() as usize;
            assert!(latency > 0 && latency < (rate * 0.05) as usize, "{rate} Hz: latency {latency} samples");
            let events: Vec<ParamValueEvent> = match setup {
                "limiter on" => vec![param_event(0, "lim_on", 1.0)],
                "bypass" => vec![param_event(0, "bypass", 1.0)],
                _ => vec![],
            };
            let len = latency + 2048;
            let amplitude = 0.5f32;
            let mut signal = [vec![0.0f32; len], vec![0.0f32; len]];
            signal[0][0] = amplitude;
            signal[1][0] = amplitude;
            let out = plug.process_signal(&signal, 4096, &events);
            assert_finite(&out, setup);
            assert_eq!(plug.latency() as usize, latency, "{rate} Hz {setup}: latency is fixed");
            for channel in &out {
                let measured = argmax_abs(channel);
                assert_eq!(measured, latency, "{rate} Hz {setup}: impulse came out at {measured}, reported {latency}");
                assert!(
                    (channel[measured] - amplitude).abs() < 0.05,
                    "{rate} Hz {setup}: impulse peak {} instead of {amplitude}",
                    channel[measured]
                );
            }
            if setup == "bypass" {
                let mut expected = vec![0.0f32; len];
                expected[latency] = amplitude;
                assert!(out[0] == expected && out[1] == expected, "{rate} Hz: bypass is the dry signal delayed exactly");
            }
        }
    }
}

#[test]
fn sixteen_instances_process_at_once() {
    const INSTANCES: usize = 16;
    let barrier = Arc::new(Barrier::new(INSTANCES));
    let outputs: Vec<[Vec<f32>; 2]> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..INSTANCES)
            .map(|i| {
                let barrier = barrier.clone();
                std::thread::Builder::new()
                    .name(format!("instance {i}"))
                    .spawn_scoped(scope, move || {
                        let entry = load_entry();
                        let mut plug = Plug::new(entry);
                        plug.activate(48_000.0, 512);
                        let events = busy_settings(&mut plug);
                        let signal = noise(24_000, 0.5, 3);
                        barrier.wait();
                        plug.process_signal(&signal, 512, &events)
                    })
                    .unwrap()
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("an instance thread panicked")).collect()
    });
    for (i, out) in outputs.iter().enumerate() {
        assert_finite(out, &format!("instance {i}"));
        assert!(rms(&out[0]) > 0.05, "instance {i} is silent");
        assert!(*out == outputs[0], "instance {i} differs from instance 0 on the same input and settings");
    }
}

#[test]
fn repeated_activation_and_deactivation() {
    let entry = load_entry();
    let mut plug = Plug::new(entry);
    let signal = noise(3 * 512, 0.5, 5);
    let mut first: BTreeMap<u64, ([Vec<f32>; 2], u32)> = BTreeMap::new();
    for cycle in 0..30 {
        let rate = RATES[cycle % RATES.len()];
        let max = [64u32, 512, 4096][cycle % 3];
        plug.activate(rate, max.max(512));
        let events = if cycle == 0 { busy_settings(&mut plug) } else { Vec::new() };
        let out = plug.process_signal(&signal, 512, &events);
        assert_finite(&out, &format!("cycle {cycle}"));
        let latency = plug.latency();
        if cycle > 0 {
            // From the second cycle on, the settings are the same, so a given rate renders the same.
            match first.get(&(rate as u64)) {
                Some((reference, reference_latency)) => {
                    assert_eq!(latency, *reference_latency, "cycle {cycle}: latency at {rate} Hz changed");
                    assert!(out == *reference, "cycle {cycle}: reactivation at {rate} Hz does not start from a clean state");
                }
                None => {
                    first.insert(rate as u64, (out, latency));
                }
            }
        }
        plug.deactivate();
    }
    assert_eq!(first.len(), RATES.len());
}

#[test]
fn mono_layout_matches_the_stereo_path() {
    let entry = load_entry();
    let rate = 48_000.0;
    let mut mono = Plug::new(entry);
    mono.select_mono();
    let ports = mono.instance.plugin_handle().get_extension::<PluginAudioPorts>().expect("audio-ports extension");
    let handle = mono.instance.plugin_handle();
    for is_input in [true, false] {
        let mut buffer = AudioPortInfoBuffer::new();
        let info = ports.get(&handle, 0, is_input, &mut buffer).expect("port info");
        assert_eq!(info.channel_count, 1, "mono port after selecting the mono layout (input: {is_input})");
    }
    mono.activate(rate, 1024);
    let mut stereo = Plug::new(entry);
    stereo.activate(rate, 1024);
    assert_eq!(mono.latency(), stereo.latency(), "mono reports the stereo latency");

    let left = noise(24_000, 0.5, 21)[0].clone();
    let dual = [left.clone(), left.clone()];
    let events = busy_settings(&mut mono);
    let out_mono = mono.process_signal(&dual, 700, &events);
    let out_stereo = stereo.process_signal(&dual, 700, &events);
    assert_finite(&out_mono, "mono");
    assert!(out_mono[1].is_empty());
    assert!(rms(&out_mono[0]) > 0.05, "mono output is silent");
    assert!(out_mono[0] == out_stereo[0], "mono renders what stereo renders with the same signal on both sides");
}

#[test]
fn output_does_not_depend_on_block_size() {
    let entry = load_entry();
    let signal = noise(20_000, 0.5, 33);
    let mut reference: Option<[Vec<f32>; 2]> = None;
    for block in [4096usize, 512, 37, 1] {
        let mut plug = Plug::new(entry);
        plug.activate(48_000.0, 4096);
        let events = busy_settings(&mut plug);
        let out = plug.process_signal(&signal, block, &events);
        assert_finite(&out, &format!("block {block}"));
        match &reference {
            None => reference = Some(out),
            Some(r) => {
                let first = (0..r[0].len()).find(|&i| r[0][i] != out[0][i] || r[1][i] != out[1][i]);
                assert!(first.is_none(), "blocks of {block} frames differ from blocks of 4096 from sample {first:?}");
            }
        }
    }
}
