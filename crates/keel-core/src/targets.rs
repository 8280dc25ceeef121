//! Streaming-platform and broadcast loudness targets as data, and what each does to a master.
//!
//! Figures, rules and confidence are summarised in docs/loudness-notes.md §3; each entry below
//! names its source; "as of" is the source's own date where it has one, otherwise the
//! month the figure was checked. Platforms change these without notice: treat the streaming
//! figures as the published or widely reported behaviour, not a guarantee.

/// How sure the figure is: high = the platform's or standard's own document; medium = a
/// secondary source quoting it; low = third-party reports only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confidence {
    High,
    Medium,
    Low,
}

/// What the player does to a track's level.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Normalization {
    /// Turns loud tracks down and quiet tracks up, by the full difference to the target.
    UpAndDown,
    /// Turns loud tracks down, leaves quiet ones as they are.
    DownOnly,
    /// Turns loud tracks down; raises quiet ones only until their true peak reaches the limit.
    UpToPeakLimit { peak_limit_dbtp: f64 },
    /// No normalization: a delivery specification the master itself has to meet.
    None,
}

/// What an album's level is set from when a platform plays it as an album.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AlbumBasis {
    /// One gain for every track, from the integrated loudness of the whole album measured as one
    /// programme (ReplayGain 2.0 / EBU R128 album gain).
    WholeAlbum,
    /// One gain for every track, chosen so the loudest track meets the target.
    LoudestTrack,
    /// No album mode: every track is normalized on its own.
    PerTrack,
}

/// A platform's album rule, with where it comes from (docs/loudness-notes.md §3.1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AlbumRule {
    pub basis: AlbumBasis,
    pub source: &'static str,
    pub confidence: Confidence,
}

/// A player's own limiter, as the platform documents it: a ceiling on sample values and the
/// attack and release of its gain.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlaybackLimiterSpec {
    pub ceiling_dbfs: f64,
    pub attack_ms: f64,
    pub release_ms: f64,
}

/// Spotify's limiter in Loud mode: "-1 dB (sample values), 5 ms attack time, 100 ms decay time"
/// (Spotify for Artists, "Loudness normalization").
const SPOTIFY_LOUD_LIMITER: PlaybackLimiterSpec = PlaybackLimiterSpec { ceiling_dbfs: -1.0, attack_ms: 5.0, release_ms: 100.0 };

/// The target the editor shows until the user picks another.
pub const DEFAULT_TARGET_ID: &str = "spotify-normal";

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlatformTarget {
    pub id: &'static str,
    pub name: &'static str,
    /// Integrated loudness the platform normalizes to, or the delivery target.
    pub target_lufs: Option<f64>,
    /// Accepted integrated range `(min, max)` for delivery specifications (target +- tolerance,
    /// or a recommended range).
    pub accepted_lufs: Option<(f64, f64)>,
    /// Highest true peak the platform asks for (or where its own limiter starts).
    pub true_peak_ceiling_dbtp: f64,
    pub normalization: Normalization,
    /// The limiter the player runs after its gain, where the platform documents one.
    pub playback_limiter: Option<PlaybackLimiterSpec>,
    pub album: AlbumRule,
    pub source: &'static str,
    pub as_of: &'static str,
    pub confidence: Confidence,
}

const CHECKED: &str = "2026-11 (checked)";

/// Spotify plays an album with one gain ("gain compensation doesn't change between tracks");
/// how it picks that gain is not published: third parties report the loudest track set to the
/// target, hence the low confidence.
const SPOTIFY_ALBUM: AlbumRule = AlbumRule {
    basis: AlbumBasis::LoudestTrack,
    source: "Spotify for Artists (one gain per album, high); the loudest track on target: third-party reports (audioaccountability.com, low)",
    confidence: Confidence::Low,
};
/// No album behaviour documented: treated as per track.
const UNDOCUMENTED_ALBUM: AlbumRule = AlbumRule {
    basis: AlbumBasis::PerTrack,
    source: "no album normalization documented",
    confidence: Confidence::Low,
};
/// Delivery specifications measure a programme as a whole; for an album that is the ReplayGain
/// 2.0 / EBU R128 album convention.
const PROGRAMME_ALBUM: AlbumRule = AlbumRule {
    basis: AlbumBasis::WholeAlbum,
    source: "ReplayGain 2.0 specification; EBU R128 (the album measured as one programme)",
    confidence: Confidence::High,
};

pub const PLATFORM_TARGETS: &[PlatformTarget] = &[
    PlatformTarget {
        id: "spotify-normal",
        name: "Spotify (Normal, default)",
        target_lufs: Some(-14.0),
        accepted_lufs: None,
        true_peak_ceiling_dbtp: -1.0,
        normalization: Normalization::UpToPeakLimit {
            peak_limit_dbtp: -1.0,
        },
        playback_limiter: None,
        album: SPOTIFY_ALBUM,
        source: "Spotify for Artists: \"Loudness normalization\" and \"Track not as loud as others?\"",
        as_of: CHECKED,
        confidence: Confidence::High,
    },
    PlatformTarget {
        id: "spotify-loud",
        name: "Spotify (Loud, Premium)",
        target_lufs: Some(-11.0),
        accepted_lufs: None,
        // Spotify's own limiter engages at -1 dB (5 ms attack, 100 ms decay) and gain is applied
        // regardless of peaks: a peak above this after gain will be limited by the player.
        true_peak_ceiling_dbtp: -1.0,
        normalization: Normalization::UpAndDown,
        playback_limiter: Some(SPOTIFY_LOUD_LIMITER),
        album: SPOTIFY_ALBUM,
        source: "Spotify for Artists: \"Loudness normalization\"",
        as_of: CHECKED,
        confidence: Confidence::High,
    },
    PlatformTarget {
        id: "spotify-quiet",
        name: "Spotify (Quiet)",
        target_lufs: Some(-19.0),
        accepted_lufs: None,
        true_peak_ceiling_dbtp: -1.0,
        normalization: Normalization::UpAndDown,
        playback_limiter: None,
        album: SPOTIFY_ALBUM,
        source: "Spotify for Artists: \"Loudness normalization\"",
        as_of: CHECKED,
        confidence: Confidence::High,
    },
    PlatformTarget {
        id: "apple-music",
        name: "Apple Music (Sound Check)",
        target_lufs: Some(-16.0),
        accepted_lufs: None,
        true_peak_ceiling_dbtp: -1.0,
        normalization: Normalization::UpAndDown,
        playback_limiter: None,
        album: AlbumRule {
            basis: AlbumBasis::WholeAlbum,
            source: "album playback keeps relative levels; iTunes' album mode described as average album loudness (productionadvice.co.uk; E. Grimm in complexlogic/rsgain#132)",
            confidence: Confidence::Medium,
        },
        source: "third-party reports; Apple publishes no LUFS figure",
        as_of: CHECKED,
        confidence: Confidence::Medium,
    },
    PlatformTarget {
        id: "youtube",
        name: "YouTube",
        target_lufs: Some(-14.0),
        accepted_lufs: None,
        true_peak_ceiling_dbtp: -1.0,
        normalization: Normalization::DownOnly,
        playback_limiter: None,
        album: AlbumRule {
            basis: AlbumBasis::PerTrack,
            source: "per video only (productionadvice.co.uk)",
            confidence: Confidence::Medium,
        },
        source: "third-party reports (no official document; older reports say -13)",
        as_of: CHECKED,
        confidence: Confidence::Medium,
    },
    PlatformTarget {
        id: "amazon-music",
        name: "Amazon Music",
        target_lufs: Some(-14.0),
        accepted_lufs: None,
        true_peak_ceiling_dbtp: -2.0,
        // Whether quiet tracks are raised is unclear; assume not, the cautious reading for a master.
        normalization: Normalization::DownOnly,
        playback_limiter: None,
        album: UNDOCUMENTED_ALBUM,
        source: "third-party reports",
        as_of: CHECKED,
        confidence: Confidence::Low,
    },
    PlatformTarget {
        id: "tidal",
        name: "Tidal",
        target_lufs: Some(-14.0),
        accepted_lufs: None,
        true_peak_ceiling_dbtp: -1.0,
        normalization: Normalization::DownOnly,
        playback_limiter: None,
        album: AlbumRule {
            basis: AlbumBasis::LoudestTrack,
            source: "album normalization, loudest tracks matched, others keep their relative level (E. Grimm, vdt-magazin)",
            confidence: Confidence::Low,
        },
        source: "Tidal statement quoted by MeterPlugs (2016)",
        as_of: "2016",
        confidence: Confidence::Medium,
    },
    PlatformTarget {
        id: "deezer",
        name: "Deezer",
        target_lufs: Some(-15.0),
        accepted_lufs: None,
        true_peak_ceiling_dbtp: -1.0,
        // Direction unknown; assume loud tracks are turned down only.
        normalization: Normalization::DownOnly,
        playback_limiter: None,
        album: UNDOCUMENTED_ALBUM,
        source: "third-party reports",
        as_of: CHECKED,
        confidence: Confidence::Low,
    },
    PlatformTarget {
        id: "soundcloud",
        name: "SoundCloud",
        target_lufs: None,
        accepted_lufs: None,
        true_peak_ceiling_dbtp: -1.0,
        normalization: Normalization::None,
        playback_limiter: None,
        album: UNDOCUMENTED_ALBUM,
        source: "third-party reports (no normalization)",
        as_of: CHECKED,
        confidence: Confidence::Low,
    },
    PlatformTarget {
        id: "ebu-r128",
        name: "EBU R128 broadcast",
        target_lufs: Some(-23.0),
        // +-1 LU in production (R128 v4; QC is +-0.2 LU).
        accepted_lufs: Some((-24.0, -22.0)),
        true_peak_ceiling_dbtp: -1.0,
        normalization: Normalization::None,
        playback_limiter: None,
        album: PROGRAMME_ALBUM,
        source: "EBU R128 v4 and EBU Tech 3341",
        as_of: "2020",
        confidence: Confidence::High,
    },
    PlatformTarget {
        id: "atsc-a85",
        name: "ATSC A/85 (US television)",
        target_lufs: Some(-24.0),
        accepted_lufs: Some((-26.0, -22.0)),
        true_peak_ceiling_dbtp: -2.0,
        normalization: Normalization::None,
        playback_limiter: None,
        album: PROGRAMME_ALBUM,
        source: "ATSC A/85:2013 as summarized by TV Technology and third parties",
        as_of: "2013",
        confidence: Confidence::Medium,
    },
    PlatformTarget {
        id: "aes-td1004",
        name: "AES TD1004 streaming recommendation",
        target_lufs: None,
        accepted_lufs: Some((-20.0, -16.0)),
        true_peak_ceiling_dbtp: -1.0,
        normalization: Normalization::None,
        playback_limiter: None,
        album: PROGRAMME_ALBUM,
        source: "AES TD1004.1.15-10, as summarized by Radio World",
        as_of: "2015-10",
        confidence: Confidence::Medium,
    },
    PlatformTarget {
        id: "podcast",
        name: "Podcast / speech (AES TD1008)",
        target_lufs: Some(-18.0),
        accepted_lufs: Some((-20.0, -16.0)),
        true_peak_ceiling_dbtp: -1.0,
        normalization: Normalization::None,
        playback_limiter: None,
        album: PROGRAMME_ALBUM,
        source: "AES TD1008, as summarized by Radio World and versed.com.au",
        as_of: CHECKED,
        confidence: Confidence::Medium,
    },
];

pub fn find_target(id: &str) -> Option<&'static PlatformTarget> {
    PLATFORM_TARGETS.iter().find(|t| t.id == id)
}

/// What a platform does to one measured master.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlatformOutcome {
    /// Gain the player applies (0 for delivery specifications and for silence).
    pub gain_db: f64,
    pub resulting_lufs: f64,
    pub resulting_true_peak_dbtp: f64,
    /// The true peak after the gain is at or under the platform's ceiling.
    pub ceiling_holds: bool,
    /// For specifications with an accepted range: whether the master's loudness is inside it.
    pub within_accepted: Option<bool>,
    /// Target minus measured loudness in LU (positive: the master is quieter than the target);
    /// for a range, the distance to its nearest edge (0 inside).
    pub distance_to_target_lu: Option<f64>,
}

/// The one gain `target` applies to every track of an album in album mode, from the album's
/// integrated loudness (measured as one programme), its loudest track's and its highest true
/// peak; `None` where the platform normalizes track by track.
pub fn album_gain_db(target: &PlatformTarget, album_lufs: f64, loudest_track_lufs: f64, album_true_peak_dbtp: f64) -> Option<f64> {
    let basis = match target.album.basis {
        AlbumBasis::WholeAlbum => album_lufs,
        AlbumBasis::LoudestTrack => loudest_track_lufs,
        AlbumBasis::PerTrack => return None,
    };
    Some(evaluate(target, basis, album_true_peak_dbtp).gain_db)
}

/// Applies a platform's rules to a master measured at `integrated_lufs` and `true_peak_dbtp`.
pub fn evaluate(
    target: &PlatformTarget,
    integrated_lufs: f64,
    true_peak_dbtp: f64,
) -> PlatformOutcome {
    let measured = integrated_lufs.is_finite();
    let difference = target
        .target_lufs
        .filter(|_| measured)
        .map(|t| t - integrated_lufs);
    let gain_db = match (target.normalization, difference) {
        (_, None) | (Normalization::None, _) => 0.0,
        (Normalization::UpAndDown, Some(d)) => d,
        (Normalization::DownOnly, Some(d)) => d.min(0.0),
        (Normalization::UpToPeakLimit { peak_limit_dbtp }, Some(d)) => {
            if d <= 0.0 {
                d
            } else {
                d.min((peak_limit_dbtp - true_peak_dbtp).max(0.0))
            }
        }
    };
    let resulting_true_peak_dbtp = true_peak_dbtp + gain_db;
    let distance_to_target_lu = match (difference, target.accepted_lufs) {
        (Some(d), _) => Some(d),
        (None, Some((low, high))) if measured => Some(if integrated_lufs < low {
            low - integrated_lufs
        } else {
            (high - integrated_lufs).min(0.0)
        }),
        _ => None,
    };
    PlatformOutcome {
        gain_db,
        resulting_lufs: integrated_lufs + gain_db,
        resulting_true_peak_dbtp,
        ceiling_holds: resulting_true_peak_dbtp <= target.true_peak_ceiling_dbtp + 1e-9,
        within_accepted: target
            .accepted_lufs
            .map(|(low, high)| measured && (low..=high).contains(&integrated_lufs)),
        distance_to_target_lu,
    }
}

/// [`evaluate`] for every platform, in table order. Allocation-free.
pub fn evaluate_all(
    integrated_lufs: f64,
    true_peak_dbtp: f64,
) -> impl Iterator<Item = (&'static PlatformTarget, PlatformOutcome)> {
    PLATFORM_TARGETS
        .iter()
        .map(move |t| (t, evaluate(t, integrated_lufs, true_peak_dbtp)))
}
