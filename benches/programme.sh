# Sourced by the whole-process bench scripts: builds keel in release, makes a scratch folder
# ($dir, removed on exit) and writes the shared 5-minute stereo 48 kHz 32-bit float programme,
# pink noise at -10, -24 and -12 dBFS RMS, to $dir/in.wav. Needs ffmpeg (checked by the caller).
cargo build --release -q -p keel-cli
keel="$PWD/target/release/keel"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
"$keel" gen pink -o "$dir/a.wav" --seconds 120 --level -10 --seed 1 --format f32 -q >/dev/null
"$keel" gen pink -o "$dir/b.wav" --seconds 60 --level -24 --seed 2 --format f32 -q >/dev/null
"$keel" gen pink -o "$dir/c.wav" --seconds 120 --level -12 --seed 3 --format f32 -q >/dev/null
ffmpeg -nostdin -v error -i "$dir/a.wav" -i "$dir/b.wav" -i "$dir/c.wav" \
  -filter_complex "[0:a][1:a][2:a]concat=n=3:v=0:a=1" -c:a pcm_f32le "$dir/in.wav"
