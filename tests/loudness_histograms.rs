//! The constant-memory integrated and loudness-range histograms against exact computations on
//! the same values, including the stated error bound of the gating histogram.

use keel_core::dsp::loudness::gating::{GatingHistogram, energy_to_lufs, lufs_to_energy};
use keel_core::dsp::loudness::range::RangeHistogram;
use keel_core::dsp::rng::Rng;

/// BS.1770 gating on a list of block energies, exactly.
fn exact_integrated(blocks: &[f64]) -> (f64, f64, Vec<f64>) {
    let gated: Vec<f64> = blocks
        .iter()
        .copied()
        .filter(|&e| energy_to_lufs(e) >= -70.0)
        .collect();
    let gate = energy_to_lufs(gated.iter().sum::<f64>() / gated.len() as f64) - 10.0;
    let kept: Vec<f64> = gated
        .iter()
        .copied()
        .filter(|&e| energy_to_lufs(e) >= gate)
        .collect();
    (
        energy_to_lufs(kept.iter().sum::<f64>() / kept.len() as f64),
        gate,
        kept,
    )
}

/// Block loudness drawn from a mixture: a main body, a quiet tail, digital near-silence.
fn random_blocks(rng: &mut Rng, n: usize) -> Vec<f64> {
    let centre = -40.0 + 35.0 * rng.uniform();
    let spread = 0.5 + 8.0 * rng.uniform();
    (0..n)
        .map(|_| {
            let lufs = match rng.uniform() {
                u if u < 0.75 => centre + spread * rng.gaussian(),
                u if u < 0.95 => centre - 12.0 + 3.0 * rng.gaussian(),
                _ => -90.0 + 10.0 * rng.uniform(),
            };
            lufs_to_energy(lufs)
        })
        .collect()
}

#[test]
fn integrated_is_exact_up_to_the_gate_bin_and_within_the_stated_bound() {
    let mut rng = Rng::new(0x6a7e);
    let mut worst_ratio = 0.0f64;
    let mut exact_cases = 0;
    for trial in 0..2_000 {
        let n = 10 + (rng.uniform() * 3_000.0) as usize;
        let blocks = random_blocks(&mut rng, n);
        let mut histogram = GatingHistogram::new();
        for &e in &blocks {
            histogram.add(e);
        }
        let (exact, gate, kept) = exact_integrated(&blocks);
        assert!(
            (histogram.relative_gate() - gate).abs() < 1e-9,
            "trial {trial}: relative gate"
        );
        let error = (histogram.integrated() - exact).abs();
        // Blocks sharing the gate's 0.01 LU bin (bins start at -70 LUFS).
        let gate_bin = ((gate + 70.0) * 100.0).floor();
        let in_gate_bin = blocks
            .iter()
            .filter(|&&e| {
                energy_to_lufs(e) >= -70.0
                    && ((energy_to_lufs(e) + 70.0) * 100.0).floor() == gate_bin
            })
            .count();
        if in_gate_bin <= 1 {
            assert!(
                error < 1e-9,
                "trial {trial}: {in_gate_bin} block(s) in the gate bin, error {error}"
            );
            exact_cases += 1;
        } else {
            let bound = -10.0 * (1.0 - in_gate_bin as f64 / kept.len() as f64).log10();
            assert!(
                error <= bound + 1e-12,
                "trial {trial}: error {error} over bound {bound}"
            );
            worst_ratio = worst_ratio.max(error / bound);
        }
    }
    eprintln!("{exact_cases} of 2000 exact; worst error / bound {worst_ratio:.3}");
    assert!(exact_cases > 1_000);
}

#[test]
fn gating_edges_absolute_gate_and_clamped_top_bin() {
    let mut histogram = GatingHistogram::new();
    assert_eq!(histogram.integrated(), f64::NEG_INFINITY);
    histogram.add(lufs_to_energy(-70.5));
    histogram.add(0.0);
    assert_eq!(
        histogram.block_count(),
        0,
        "blocks under -70 LUFS are gated out"
    );
    assert_eq!(histogram.integrated(), f64::NEG_INFINITY);
    // Louder than the +30 LUFS top of the bins: the exact energy is kept.
    for lufs in [35.0, 36.0] {
        histogram.add(lufs_to_energy(lufs));
    }
    let expected = energy_to_lufs((lufs_to_energy(35.0) + lufs_to_energy(36.0)) / 2.0);
    assert!((histogram.integrated() - expected).abs() < 1e-9);
    histogram.reset();
    assert_eq!(histogram.block_count(), 0);
}

/// Tech 3342 on a list of short-term energies, exactly (percentile index rounded half up).
fn exact_range(values: &[f64]) -> f64 {
    let mut gated: Vec<f64> = values
        .iter()
        .copied()
        .filter(|&e| energy_to_lufs(e) >= -70.0)
        .collect();
    let gate = energy_to_lufs(gated.iter().sum::<f64>() / gated.len() as f64) - 20.0;
    gated.retain(|&e| energy_to_lufs(e) >= gate);
    gated.sort_by(f64::total_cmp);
    let last = (gated.len() - 1) as f64;
    let at = |p: f64| energy_to_lufs(gated[(last * p + 0.5) as usize]);
    at(0.95) - at(0.10)
}

#[test]
fn loudness_range_is_within_0_01_lu_of_the_exact_percentiles() {
    let mut rng = Rng::new(0x3342);
    let mut worst = 0.0f64;
    for trial in 0..2_000 {
        let n = 5 + (rng.uniform() * 5_000.0) as usize;
        let values = random_blocks(&mut rng, n);
        let mut histogram = RangeHistogram::new();
        for &e in &values {
            histogram.add(e);
        }
        let exact = exact_range(&values);
        let error = (histogram.loudness_range() - exact).abs();
        // Values within 0.01 LU of the relative gate may be counted on the other side of it,
        // which shifts the ranks; skip those rare draws for the tight bound.
        let gated: Vec<f64> = values
            .iter()
            .map(|&e| energy_to_lufs(e))
            .filter(|&l| l >= -70.0)
            .collect();
        let gate = energy_to_lufs(
            values
                .iter()
                .copied()
                .filter(|&e| energy_to_lufs(e) >= -70.0)
                .sum::<f64>()
                / gated.len() as f64,
        ) - 20.0;
        if gated.iter().any(|&l| (l - gate).abs() < 0.01) {
            continue;
        }
        assert!(error <= 0.0100001, "trial {trial}: error {error}");
        worst = worst.max(error);
    }
    eprintln!("worst LRA error {worst:.5} LU");
}

#[test]
fn loudness_range_edges() {
    let mut histogram = RangeHistogram::new();
    assert_eq!(histogram.loudness_range(), f64::NEG_INFINITY);
    histogram.add(lufs_to_energy(-80.0));
    assert_eq!(
        histogram.loudness_range(),
        f64::NEG_INFINITY,
        "under the absolute gate"
    );
    histogram.add(lufs_to_energy(-23.0));
    assert_eq!(
        histogram.loudness_range(),
        0.0,
        "a single value has no range"
    );
    histogram.reset();
    // Two clusters far louder than the +30 LUFS top clamp into one bin: no range left.
    histogram.add(lufs_to_energy(40.0));
    histogram.add(lufs_to_energy(50.0));
    assert_eq!(histogram.loudness_range(), 0.0);
}
