#!/usr/bin/env bash
# Whole-process `keel measure` against ffmpeg's EBU R128 filter with true peak, on the same
# 5-minute stereo 48 kHz material as 32-bit float WAV, FLAC and MP3 320k: median of 7
# alternating runs each (hyperfine when installed).
#
#     benches/measure_vs_ffmpeg.sh            # builds keel in release first
#
# Needs ffmpeg (with libmp3lame); says so and stops when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v ffmpeg >/dev/null || { echo "ffmpeg is not installed: nothing to compare against (apt-get install ffmpeg)"; exit 1; }
# Programme-like material (pink noise with level changes, 5 minutes) in $dir/in.wav.
. benches/programme.sh
ffmpeg -nostdin -v error -i "$dir/in.wav" -c:a flac -sample_fmt s32 "$dir/in.flac"
ffmpeg -nostdin -v error -i "$dir/in.wav" -c:a libmp3lame -b:a 320k "$dir/in.mp3"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null 2>&1; end=$(date +%s.%N); echo "$end - $start" | bc -l; }

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
for file in in.wav in.flac in.mp3; do
  input="$dir/$file"
  if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 1 --runs 7 --export-json "$dir/h.json" \
      "$keel measure --json -q $input" "ffmpeg -nostdin -v error -i $input -af ebur128=peak=true -f null -" >/dev/null 2>&1
    keel_s=$(python3 -c "import json;r=json.load(open('$dir/h.json'))['results'];print(r[0]['median'])")
    ffmpeg_s=$(python3 -c "import json;r=json.load(open('$dir/h.json'))['results'];print(r[1]['median'])")
  else
    k=(); f=()
    for _ in 1 2 3 4 5 6 7; do
      k+=("$(seconds "$keel" measure --json -q "$input")")
      f+=("$(seconds ffmpeg -nostdin -v error -i "$input" -af ebur128=peak=true -f null -)")
    done
    keel_s=$(printf '%s\n' "${k[@]}" | median); ffmpeg_s=$(printf '%s\n' "${f[@]}" | median)
  fi
  printf '%-8s keel %.3f s   ffmpeg %.3f s   %.1fx\n' "$file" "$keel_s" "$ffmpeg_s" "$(echo "$ffmpeg_s / $keel_s" | bc -l)"
done
