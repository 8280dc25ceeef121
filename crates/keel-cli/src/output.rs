//! Where rendered audio goes: a WAV or FLAC file, chosen by the output's extension or by
//! `--format`, with the sample format resolved against the input's.

use super::error::{CliError, CliResult};
use super::flac::FlacWriter;
use super::wav::{Encoding, WavFormat, WavWriter};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Wav,
    Flac,
}

/// What `--format` asked for: a container, a sample format, or both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FormatChoice {
    pub container: Option<Container>,
    pub encoding: Option<Encoding>,
}

pub const FORMAT_NAMES: &str = "s16, s24, s32, f32, f64, flac, flac16 or flac24";

impl FormatChoice {
    pub fn parse(name: Option<&str>) -> CliResult<Self> {
        let Some(name) = name else { return Ok(Self::default()) };
        let flac = |encoding| Ok(Self { container: Some(Container::Flac), encoding });
        match name {
            "flac" => flac(None),
            "flac16" => flac(Some(Encoding::Int16)),
            "flac24" => flac(Some(Encoding::Int24)),
            other => match Encoding::from_name(other) {
                Some(encoding) => Ok(Self { container: None, encoding: Some(encoding) }),
                None => Err(CliError::input(format!("unknown --format '{other}': expected {FORMAT_NAMES}"))),
            },
        }
    }

    /// The container and sample format for writing `path` from a source in `source`'s format.
    /// The extension names the container (`.flac`, anything else WAV); FLAC holds 16 or 24 bits,
    /// 16 when the source is 16-bit and 24 otherwise unless chosen.
    pub fn resolve(self, path: &Path, source: WavFormat) -> CliResult<(Container, WavFormat)> {
        let by_name = if is_flac_name(path) { Container::Flac } else { Container::Wav };
        if let Some(asked) = self.container
            && asked != by_name
        {
            return Err(CliError::input(format!(
                "{}: --format asks for FLAC; name the output file .flac",
                path.display()
            )));
        }
        let encoding = match (by_name, self.encoding) {
            (Container::Wav, chosen) => chosen.unwrap_or(source.encoding),
            (Container::Flac, Some(e @ (Encoding::Int16 | Encoding::Int24))) => e,
            (Container::Flac, Some(other)) => {
                return Err(CliError::input(format!(
                    "{}: FLAC holds 16- or 24-bit samples, not {}; use --format flac16 or flac24",
                    path.display(),
                    other.name()
                )));
            }
            (Container::Flac, None) if source.encoding == Encoding::Int16 => Encoding::Int16,
            (Container::Flac, None) => Encoding::Int24,
        };
        Ok((by_name, WavFormat { encoding, ..source }))
    }
}

pub fn is_flac_name(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("flac"))
}

/// A file being written: complete only after `finish`; dropped before, it leaves nothing.
pub enum AudioWriter {
    Wav(WavWriter),
    Flac(FlacWriter),
}

impl AudioWriter {
    pub fn create(path: &Path, container: Container, format: WavFormat) -> CliResult<Self> {
        Ok(match container {
            Container::Wav => AudioWriter::Wav(WavWriter::create(path, format)?),
            Container::Flac => AudioWriter::Flac(FlacWriter::create(path, format)?),
        })
    }

    pub fn write(&mut self, channels: &[&[f32]]) -> CliResult<()> {
        match self {
            AudioWriter::Wav(w) => w.write(channels),
            AudioWriter::Flac(w) => w.write(channels),
        }
    }

    pub fn finish(self) -> CliResult<()> {
        match self {
            AudioWriter::Wav(w) => w.finish(),
            AudioWriter::Flac(w) => w.finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_names_the_container_and_flac_takes_16_or_24_bits() {
        let source = WavFormat { channels: 2, sample_rate: 48_000, encoding: Encoding::Float32 };
        let s16 = WavFormat { encoding: Encoding::Int16, ..source };
        let choice = |name: &str| FormatChoice::parse(Some(name)).unwrap();
        let none = FormatChoice::default();
        assert_eq!(none.resolve(Path::new("a.flac"), source).unwrap(), (Container::Flac, WavFormat { encoding: Encoding::Int24, ..source }));
        assert_eq!(none.resolve(Path::new("a.FLAC"), s16).unwrap().1.encoding, Encoding::Int16);
        assert_eq!(none.resolve(Path::new("a.wav"), source).unwrap(), (Container::Wav, source));
        assert_eq!(choice("s16").resolve(Path::new("a.flac"), source).unwrap().1.encoding, Encoding::Int16);
        assert_eq!(choice("flac16").resolve(Path::new("a.flac"), source).unwrap().1.encoding, Encoding::Int16);
        assert!(choice("flac").resolve(Path::new("a.wav"), source).is_err());
        assert!(choice("f32").resolve(Path::new("a.flac"), source).is_err());
        assert!(FormatChoice::parse(Some("mp3")).is_err());
    }
}
