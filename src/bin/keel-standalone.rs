//! Keel as a standalone application (JACK, ALSA or a dummy backend) with its editor.

fn main() {
    nice_plug::prelude::nice_export_standalone::<keel::Keel>();
}
