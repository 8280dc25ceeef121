#!/usr/bin/env bash
# Whole-process `keel render` with only the true-peak limiter on, against ffmpeg running the
# x42-dpl true-peak limiter (LV2), on the same 5-minute stereo 48 kHz 32-bit float WAV, ceiling
# -1 dB: as is, and driven +12 dB (so both limiters work hard all the time). Median of 7 runs
# each (hyperfine when installed, else alternating runs). Both write 32-bit float WAV.
#
#     benches/render_vs_x42.sh            # builds keel in release first
#
# Needs ffmpeg with its lv2 filter and x42-dpl (/usr/lib/lv2/dpl.lv2); says so and stops when
# either is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v ffmpeg >/dev/null || { echo "ffmpeg is not installed: nothing to compare against (apt-get install ffmpeg)"; exit 1; }
ffmpeg -hide_banner -filters 2>/dev/null | awk '$2 == "lv2" {found = 1} END {exit !found}' ||
  { echo "this ffmpeg has no lv2 filter: cannot run x42-dpl"; exit 1; }
[ -d /usr/lib/lv2/dpl.lv2 ] || { echo "x42-dpl is not installed (/usr/lib/lv2/dpl.lv2; apt-get install x42-plugins)"; exit 1; }
# Programme-like material (pink noise with level changes, 5 minutes) in $dir/in.wav.
. benches/programme.sh

# The ':' in the plugin URI is escaped once for the filter graph, once for the option parser.
x42='lv2=p=http\\://gareus.org/oss/lv2/dpl#stereo:c=threshold=-1|truepeak=1'
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null 2>&1; end=$(date +%s.%N); echo "$end - $start" | bc -l; }

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "input: 5 min stereo 48 kHz f32 pink noise; limiter ceiling -1 dBTP; output f32 WAV"
# Row: label, keel's extra --set, ffmpeg filters before the limiter.
for row in "as is||" "driven +12 dB|--set lim_drive=12|volume=12dB,"; do
  IFS='|' read -r label keel_extra pre <<<"$row"
  keel_cmd=("$keel" render "$dir/in.wav" -o "$dir/keel.wav" --set lim_on=true --set lim_ceiling=-1 $keel_extra -q)
  x42_cmd=(ffmpeg -nostdin -v error -y -i "$dir/in.wav" -af "$pre$x42" -c:a pcm_f32le "$dir/x42.wav")
  # Each must have produced its file, or the timing means nothing.
  rm -f "$dir/keel.wav" "$dir/x42.wav"
  "${keel_cmd[@]}" >/dev/null && "${x42_cmd[@]}"
  [ -s "$dir/keel.wav" ] && [ -s "$dir/x42.wav" ] || { echo "$label: a render produced no output"; exit 1; }
  if command -v hyperfine >/dev/null; then
    # Quoted for hyperfine's own word splitting (-N): the filter holds '|' and '#'.
    hyperfine -N --warmup 1 --runs 7 --export-json "$dir/h.json" \
      "$(printf '%q ' "${keel_cmd[@]}")" "$(printf '%q ' "${x42_cmd[@]}")" >/dev/null 2>&1
    keel_s=$(python3 -c "import json;r=json.load(open('$dir/h.json'))['results'];print(r[0]['median'])")
    x42_s=$(python3 -c "import json;r=json.load(open('$dir/h.json'))['results'];print(r[1]['median'])")
  else
    k=(); f=()
    for _ in 1 2 3 4 5 6 7; do
      k+=("$(seconds "${keel_cmd[@]}")")
      f+=("$(seconds "${x42_cmd[@]}")")
    done
    keel_s=$(printf '%s\n' "${k[@]}" | median); x42_s=$(printf '%s\n' "${f[@]}" | median)
  fi
  printf '%-15s keel %.3f s   ffmpeg+x42-dpl %.3f s   x42/keel %.2fx\n' "$label" "$keel_s" "$x42_s" "$(echo "$x42_s / $keel_s" | bc -l)"
done
