//! Parameter ids are a contract with hosts, sessions and the CLI: every documented id exists,
//! nothing else appears, and the plain settings follow the parameter values.

use keel::params::KeelParams;
use nice_plug::prelude::Params;
use std::collections::BTreeSet;

fn expected_ids() -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for n in 1..=8 {
        for field in ["on", "type", "freq", "gain", "q", "slope", "place"] {
            ids.insert(format!("eq{n}_{field}"));
        }
    }
    for field in [
        "on", "threshold", "ratio", "knee", "attack", "release", "auto_release", "detector", "makeup", "auto_makeup",
        "sc_hpf", "link", "mix",
    ] {
        ids.insert(format!("comp_{field}"));
    }
    for field in ["on", "ceiling", "drive", "release", "auto_release", "link"] {
        ids.insert(format!("lim_{field}"));
    }
    ids.insert("out_gain".into());
    ids.insert("bypass".into());
    ids
}

#[test]
fn every_permanent_id_is_exposed_and_nothing_else() {
    let params = KeelParams::default();
    let ids: BTreeSet<String> = params.param_map().into_iter().map(|(id, _, _)| id).collect();
    assert_eq!(ids, expected_ids());
}

#[test]
fn defaults_are_transparent_apart_from_latency() {
    let settings = KeelParams::default().chain_settings();
    assert!(settings.eq.iter().all(|b| !b.enabled));
    assert!(!settings.compressor.enabled && !settings.limiter.enabled);
    assert_eq!(settings.out_gain_db, 0.0);
    assert!(!settings.bypass);
}
