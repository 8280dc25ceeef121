//! Platform targets: the data, and the gain, resulting peak and ceiling check for each rule.

use keel_core::targets::{Normalization, PLATFORM_TARGETS, evaluate, evaluate_all, find_target};

fn target(id: &str) -> &'static keel_core::targets::PlatformTarget {
    find_target(id).unwrap_or_else(|| panic!("no target {id}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn table_holds_the_required_platforms_with_sources_and_dates() {
    let expected = [
        ("spotify-normal", Some(-14.0)),
        ("spotify-loud", Some(-11.0)),
        ("spotify-quiet", Some(-19.0)),
        ("apple-music", Some(-16.0)),
        ("youtube", Some(-14.0)),
        ("amazon-music", Some(-14.0)),
        ("tidal", Some(-14.0)),
        ("deezer", Some(-15.0)),
        ("soundcloud", None),
        ("ebu-r128", Some(-23.0)),
        ("atsc-a85", Some(-24.0)),
        ("aes-td1004", None),
        ("podcast", Some(-18.0)),
    ];
    for (id, lufs) in expected {
        let t = target(id);
        assert_eq!(t.target_lufs, lufs, "{id}");
        assert!(
            !t.source.is_empty() && !t.as_of.is_empty() && !t.name.is_empty(),
            "{id}"
        );
        assert!(t.true_peak_ceiling_dbtp <= -1.0, "{id}");
    }
    assert_eq!(target("ebu-r128").accepted_lufs, Some((-24.0, -22.0)));
    assert_eq!(target("aes-td1004").accepted_lufs, Some((-20.0, -16.0)));
    let mut ids: Vec<_> = PLATFORM_TARGETS.iter().map(|t| t.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), PLATFORM_TARGETS.len(), "ids are unique");
}

#[test]
fn spotify_normal_turns_a_loud_master_down_by_the_difference() {
    let outcome = evaluate(target("spotify-normal"), -9.0, -0.5);
    assert!(close(outcome.gain_db, -5.0));
    assert!(close(outcome.resulting_lufs, -14.0));
    assert!(close(outcome.resulting_true_peak_dbtp, -5.5));
    assert!(outcome.ceiling_holds);
    assert_eq!(outcome.distance_to_target_lu, Some(-5.0));
}

#[test]
fn spotify_normal_raises_a_quiet_master_only_until_its_peak_reaches_minus_1_dbtp() {
    let outcome = evaluate(target("spotify-normal"), -20.0, -5.0);
    assert!(close(outcome.gain_db, 4.0), "gain {}", outcome.gain_db);
    assert!(close(outcome.resulting_lufs, -16.0));
    assert!(close(outcome.resulting_true_peak_dbtp, -1.0));
    assert!(outcome.ceiling_holds);
    // With enough headroom it gets the full difference.
    let roomy = evaluate(target("spotify-normal"), -20.0, -12.0);
    assert!(close(roomy.gain_db, 6.0));
    // Peaks already above the limit: no gain at all, never a cut.
    let hot = evaluate(target("spotify-normal"), -20.0, -0.2);
    assert!(close(hot.gain_db, 0.0));
    assert!(!hot.ceiling_holds);
}

#[test]
fn up_and_down_platforms_apply_the_full_difference_even_past_the_ceiling() {
    // Spotify Loud raises regardless of peaks; its own limiter then has to act.
    let outcome = evaluate(target("spotify-loud"), -20.0, -5.0);
    assert!(close(outcome.gain_db, 9.0));
    assert!(close(outcome.resulting_true_peak_dbtp, 4.0));
    assert!(!outcome.ceiling_holds);
    assert_eq!(
        target("spotify-loud").normalization,
        Normalization::UpAndDown
    );
    let apple = evaluate(target("apple-music"), -12.0, -1.0);
    assert!(close(apple.gain_db, -4.0));
}

#[test]
fn down_only_platforms_leave_quiet_masters_alone() {
    for id in ["youtube", "tidal"] {
        let quiet = evaluate(target(id), -20.0, -3.0);
        assert!(close(quiet.gain_db, 0.0), "{id}");
        assert!(close(quiet.resulting_lufs, -20.0));
        assert_eq!(quiet.distance_to_target_lu, Some(6.0));
        let loud = evaluate(target(id), -8.0, 0.5);
        assert!(close(loud.gain_db, -6.0), "{id}");
        assert!(loud.ceiling_holds, "{id}: +0.5 dBTP turned down 6 dB");
    }
    // Amazon's stricter -2 dBTP ceiling.
    let amazon = evaluate(target("amazon-music"), -14.0, -1.5);
    assert!(close(amazon.gain_db, 0.0));
    assert!(!amazon.ceiling_holds);
}

#[test]
fn delivery_specs_apply_no_gain_and_check_the_accepted_range() {
    let ebu = target("ebu-r128");
    let inside = evaluate(ebu, -23.4, -1.5);
    assert!(close(inside.gain_db, 0.0));
    assert_eq!(inside.within_accepted, Some(true));
    assert!(inside.ceiling_holds);
    let outside = evaluate(ebu, -21.5, -0.5);
    assert_eq!(outside.within_accepted, Some(false));
    assert!(!outside.ceiling_holds);
    assert!(close(outside.distance_to_target_lu.unwrap(), -1.5));

    let atsc = evaluate(target("atsc-a85"), -25.5, -2.5);
    assert_eq!(atsc.within_accepted, Some(true));
    assert!(atsc.ceiling_holds);

    // A range without a single target: distance to the nearest edge, zero inside.
    let td1004 = target("aes-td1004");
    assert_eq!(
        evaluate(td1004, -18.0, -3.0).distance_to_target_lu,
        Some(0.0)
    );
    assert!(close(
        evaluate(td1004, -12.0, -3.0).distance_to_target_lu.unwrap(),
        -4.0
    ));
    assert!(close(
        evaluate(td1004, -23.0, -3.0).distance_to_target_lu.unwrap(),
        3.0
    ));

    let soundcloud = evaluate(target("soundcloud"), -8.0, -0.3);
    assert!(close(soundcloud.gain_db, 0.0));
    assert_eq!(soundcloud.distance_to_target_lu, None);
    assert!(!soundcloud.ceiling_holds);
}

#[test]
fn silence_gets_no_gain_and_every_platform_is_evaluated() {
    for (t, outcome) in evaluate_all(f64::NEG_INFINITY, f64::NEG_INFINITY) {
        assert_eq!(outcome.gain_db, 0.0, "{}", t.id);
        assert!(outcome.ceiling_holds);
        assert_eq!(outcome.distance_to_target_lu, None);
        if t.accepted_lufs.is_some() {
            assert_eq!(outcome.within_accepted, Some(false));
        }
    }
    assert_eq!(evaluate_all(-14.0, -1.0).count(), PLATFORM_TARGETS.len());
}
