//! `keel measure --album`: the tracks as one programme (integrated loudness and loudness range of
//! the tracks played back to back, highest peaks), and per platform the one gain it applies in
//! album mode, by the album rule in its entry of `keel_core::targets`, with each track's
//! resulting level and peak beside what track mode gives.

use super::error::{CliError, CliResult};
use super::measure::{Measurement, finite, level};
use keel_core::dsp::loudness::programme::ProgrammeLoudness;
use keel_core::dsp::loudness::{ChannelLayout, LoudnessMeter};
use keel_core::targets::{AlbumBasis, Confidence, PlatformTarget, album_gain_db, evaluate};
use serde_json::{Value, json};

/// The album as one programme, built while its tracks are measured in order: one meter fed every
/// track back to back (what measuring the concatenation gives), and, for tracks at different
/// sample rates, the tracks' gating blocks pooled instead (block energies are means, so they
/// pool across rates; only the few blocks that would straddle two tracks differ).
pub struct AlbumTape {
    back_to_back: Option<LoudnessMeter>,
    /// Layout and rate of the first track; a track that differs ends the back-to-back meter.
    format: Option<(ChannelLayout, u32)>,
    mixed: bool,
    pooled: ProgrammeLoudness,
}

impl Default for AlbumTape {
    fn default() -> Self {
        Self::new()
    }
}

impl AlbumTape {
    pub fn new() -> Self {
        Self { back_to_back: None, format: None, mixed: false, pooled: ProgrammeLoudness::new() }
    }

    pub fn start_track(&mut self, layout: ChannelLayout, sample_rate: u32) {
        match self.format {
            None => {
                self.format = Some((layout, sample_rate));
                self.back_to_back = Some(LoudnessMeter::with_layout(layout, f64::from(sample_rate), false));
            }
            Some(first) if first != (layout, sample_rate) => {
                self.mixed = true;
                self.back_to_back = None;
            }
            Some(_) => {}
        }
    }

    pub fn feed(&mut self, block: &[&[f32]]) {
        if let Some(meter) = &mut self.back_to_back {
            meter.process(block);
        }
    }

    pub fn end_track(&mut self, track: &LoudnessMeter) {
        self.pooled.add(track);
    }

    /// Integrated loudness and loudness range, and whether they are of the tracks back to back
    /// (else pooled).
    pub fn loudness(&self) -> (f64, f64, bool) {
        match &self.back_to_back {
            Some(meter) if !self.mixed => {
                let r = meter.reading();
                (r.integrated, r.loudness_range, true)
            }
            _ => (self.pooled.integrated(), self.pooled.loudness_range(), false),
        }
    }
}

pub struct Album<'a> {
    tracks: &'a [Measurement],
    integrated: f64,
    loudness_range: f64,
    true_peak_dbtp: f64,
    reconstructed_peak_dbtp: f64,
    sample_peak_dbfs: f64,
    loudest_track_lufs: f64,
    back_to_back: bool,
    /// Each platform with its album gain (`None`: track by track).
    platforms: Vec<(&'static PlatformTarget, Option<f64>)>,
}

/// A track's level and peak after a platform's gain.
struct Played {
    gain_db: f64,
    lufs: f64,
    true_peak_dbtp: f64,
    ceiling_holds: bool,
}

impl<'a> Album<'a> {
    /// `tracks` measured in order onto `tape`.
    pub fn of(tracks: &'a [Measurement], tape: &AlbumTape, targets: &[&'static PlatformTarget]) -> CliResult<Self> {
        let first = tracks.first().ok_or_else(|| CliError::input("album: no tracks"))?;
        if let Some(odd) = tracks.iter().find(|t| t.channels != first.channels) {
            return Err(CliError::input(format!(
                "album: tracks have different channel counts ({}: {}, {}: {}); an album is measured as one programme",
                first.file.display(),
                first.channels,
                odd.file.display(),
                odd.channels
            )));
        }
        let (integrated, loudness_range, back_to_back) = tape.loudness();
        let max = |f: fn(&Measurement) -> f64| tracks.iter().map(f).fold(f64::NEG_INFINITY, f64::max);
        let true_peak_dbtp = max(|t| t.reading.true_peak_dbtp);
        let loudest_track_lufs = max(|t| t.reading.integrated);
        let platforms = targets
            .iter()
            .map(|&t| (t, album_gain_db(t, integrated, loudest_track_lufs, true_peak_dbtp)))
            .collect();
        Ok(Self {
            tracks,
            integrated,
            loudness_range,
            back_to_back,
            true_peak_dbtp,
            reconstructed_peak_dbtp: max(|t| t.reading.reconstructed_peak_dbtp),
            sample_peak_dbfs: max(|t| t.reading.sample_peak_dbfs),
            loudest_track_lufs,
            platforms,
        })
    }

    fn track_mode(target: &PlatformTarget, track: &Measurement) -> Played {
        let o = evaluate(target, track.reading.integrated, track.reading.true_peak_dbtp);
        Played {
            gain_db: o.gain_db,
            lufs: o.resulting_lufs,
            true_peak_dbtp: o.resulting_true_peak_dbtp,
            ceiling_holds: o.ceiling_holds,
        }
    }

    fn album_mode(target: &PlatformTarget, gain: Option<f64>, track: &Measurement) -> Played {
        match gain {
            Some(gain_db) => {
                let true_peak_dbtp = track.reading.true_peak_dbtp + gain_db;
                Played {
                    gain_db,
                    lufs: track.reading.integrated + gain_db,
                    true_peak_dbtp,
                    ceiling_holds: true_peak_dbtp <= target.true_peak_ceiling_dbtp + 1e-9,
                }
            }
            None => Self::track_mode(target, track),
        }
    }

    pub fn json(&self) -> Value {
        let played = |p: &Played| {
            json!({
                "gain_db": finite(p.gain_db),
                "resulting_lufs": finite(p.lufs),
                "resulting_true_peak_dbtp": finite(p.true_peak_dbtp),
                "ceiling_holds": p.ceiling_holds,
            })
        };
        let platforms: Vec<Value> = self
            .platforms
            .iter()
            .map(|&(t, gain)| {
                let tracks: Vec<Value> = self
                    .tracks
                    .iter()
                    .map(|track| {
                        json!({
                            "file": track.file.display().to_string(),
                            "album_mode": played(&Self::album_mode(t, gain, track)),
                            "track_mode": played(&Self::track_mode(t, track)),
                        })
                    })
                    .collect();
                json!({
                    "id": t.id,
                    "name": t.name,
                    "target_lufs": t.target_lufs,
                    "ceiling_dbtp": t.true_peak_ceiling_dbtp,
                    "album_basis": basis_name(t.album.basis),
                    "album_rule_source": t.album.source,
                    "album_rule_confidence": confidence_name(t.album.confidence),
                    "album_gain_db": gain.map(finite),
                    "tracks": tracks,
                })
            })
            .collect();
        json!({
            "tracks": self.tracks.len(),
            "measured_as": if self.back_to_back { "tracks back to back" } else { "tracks pooled (sample rates differ)" },
            "integrated_lufs": finite(self.integrated),
            "loudness_range_lu": finite(self.loudness_range),
            "loudest_track_lufs": finite(self.loudest_track_lufs),
            "true_peak_dbtp": finite(self.true_peak_dbtp),
            "reconstructed_peak_dbtp": finite(self.reconstructed_peak_dbtp),
            "sample_peak_dbfs": finite(self.sample_peak_dbfs),
            "targets": platforms,
        })
    }

    pub fn print(&self) {
        let how = if self.back_to_back { "back to back" } else { "pooled: sample rates differ" };
        println!("album ({} tracks, measured as one programme, {how})", self.tracks.len());
        println!("  integrated      {}", level(self.integrated, "LUFS"));
        println!("  loudness range  {}", level(self.loudness_range, "LU"));
        println!("  loudest track   {}", level(self.loudest_track_lufs, "LUFS"));
        println!("  true peak       {}   (BS.1770, highest track)", level(self.true_peak_dbtp, "dBTP"));
        println!("  reconstructed   {}   (full band, highest track)", level(self.reconstructed_peak_dbtp, "dBTP"));
        for &(t, gain) in &self.platforms {
            let rule = format!("{}, confidence {}", basis_name(t.album.basis), confidence_name(t.album.confidence));
            match gain {
                Some(g) => println!("  {:<15} album gain {g:+.1} dB ({rule}); album mode vs track mode:", t.id),
                None => println!("  {:<15} no album mode ({rule}): every track on its own", t.id),
            }
            if gain.is_none() {
                continue;
            }
            for track in self.tracks {
                let (album, single) = (Self::album_mode(t, gain, track), Self::track_mode(t, track));
                let name = track.file_name();
                println!(
                    "    {name:<28} {:6.1} LUFS, peak {:5.1} dBTP{}   | track mode {:6.1} LUFS ({:+.1} dB)",
                    album.lufs,
                    album.true_peak_dbtp,
                    if album.ceiling_holds { "" } else { " OVER" },
                    single.lufs,
                    single.gain_db
                );
            }
        }
    }
}

fn basis_name(basis: AlbumBasis) -> &'static str {
    match basis {
        AlbumBasis::WholeAlbum => "whole album",
        AlbumBasis::LoudestTrack => "loudest track",
        AlbumBasis::PerTrack => "per track",
    }
}

fn confidence_name(confidence: Confidence) -> &'static str {
    match confidence {
        Confidence::High => "high",
        Confidence::Medium => "medium",
        Confidence::Low => "low",
    }
}
