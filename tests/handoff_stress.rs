//! The handoff from the audio thread to the editor under contention: a writer publishing as fast
//! as it can and a slow reader (it sleeps between reads and checks each copy at length). Every
//! meter snapshot must hold the values of one block, and every spectrum copy the analyzer
//! accepts must be samples the writer wrote in order, with no sample from a later lap.

use keel::meter_values::{MeterSnapshot, MeterValues};
use keel::spectrum_tap::{SpectrumTap, TapPoint};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const RUN: Duration = Duration::from_millis(1500);

/// A snapshot whose every field follows from its block number.
fn snapshot_of(block: u64) -> MeterSnapshot {
    let k = block as f64;
    let mut s = MeterSnapshot::default();
    let r = &mut s.loudness;
    r.momentary = k;
    r.short_term = k + 0.5;
    r.integrated = -k;
    r.loudness_range = k * 2.0;
    r.lra_stable = block % 2 == 1;
    r.max_momentary = k + 1.0;
    r.max_short_term = k + 2.0;
    r.true_peak_dbtp = k - 1.0;
    r.sample_peak_dbfs = k - 2.0;
    s.compressor_gr_db = k + 3.0;
    s.limiter_gr_db = k + 4.0;
    s.compressor_detector_db = k + 5.0;
    s.block = block;
    s
}

#[test]
fn every_meter_snapshot_holds_one_blocks_values() {
    let meters = Arc::new(MeterValues::default());
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (meters, stop) = (meters.clone(), stop.clone());
        thread::spawn(move || {
            let mut block = 1u64;
            while !stop.load(Ordering::Relaxed) {
                meters.publish(&snapshot_of(block));
                block += 1;
            }
            block
        })
    };
    let (mut reads, mut distinct, mut last) = (0u64, 0u64, 0u64);
    let started = Instant::now();
    while started.elapsed() < RUN {
        let snapshot = meters.snapshot();
        if snapshot.block != 0 {
            assert_eq!(snapshot, snapshot_of(snapshot.block), "a snapshot mixes blocks");
            assert!(snapshot.block >= last, "snapshots go back in time");
            distinct += u64::from(snapshot.block != last);
            last = snapshot.block;
        }
        reads += 1;
        // The slow reader: the editor paints at 30 to 60 Hz, the audio thread runs far faster.
        if reads % 64 == 0 {
            thread::sleep(Duration::from_micros(200));
        }
    }
    stop.store(true, Ordering::Relaxed);
    let published = writer.join().unwrap();
    assert!(distinct > 100, "the reader saw only {distinct} distinct blocks of {published}");
    println!("{reads} reads, {distinct} distinct blocks of {published} published");
}

#[test]
fn every_accepted_spectrum_copy_is_unbroken() {
    // A short ring, so the writer laps the reader's copy often.
    const RING: usize = 256;
    const WINDOW: usize = RING / 2;
    let tap = Arc::new(SpectrumTap::with_len(RING));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (tap, stop) = (tap.clone(), stop.clone());
        thread::spawn(move || {
            // Sample n of the stream is n (mod 2^20: exact in f32); blocks of varying size.
            let mut next = 0u32;
            let mut block = [0.0f32; 200];
            // Blocks longer than the ring's free half reach into a reader's copy before they are
            // published: the case a check of published samples alone would miss.
            let mut sizes = [7usize, 200, 1, 150, 33, 16].iter().cycle();
            while !stop.load(Ordering::Relaxed) {
                let size = *sizes.next().unwrap();
                for sample in &mut block[..size] {
                    *sample = (next % (1 << 20)) as f32;
                    next = next.wrapping_add(1);
                }
                tap.write(TapPoint::Input, &block[..size], &block[..size]);
                tap.write(TapPoint::Output, &block[..size], &block[..size]);
                tap.commit(size);
            }
        })
    };
    let mut out = [0.0f32; WINDOW];
    let (mut accepted, mut refused) = (0u64, 0u64);
    let started = Instant::now();
    while started.elapsed() < RUN {
        if tap.read_latest(TapPoint::Output, &mut out) {
            accepted += 1;
            for pair in out.windows(2) {
                let step = (pair[1] - pair[0]).rem_euclid((1 << 20) as f32);
                assert_eq!(step, 1.0, "a torn copy was accepted: {:?}", &out[..]);
            }
        } else {
            refused += 1;
        }
        if (accepted + refused) % 16 == 0 {
            thread::sleep(Duration::from_micros(50));
        }
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    assert!(accepted > 100, "only {accepted} copies accepted ({refused} refused)");
    println!("{accepted} copies accepted, {refused} refused");
}
