#!/usr/bin/env bash
# Whole-process `keel measure` against ffmpeg's EBU R128 filter with true peak, on the same
# 5-minute stereo 48 kHz material as 32-bit float WAV, FLAC and MP3 320k: medians of 11
# alternating pairs, after one pair that warms the page cache.
#
#     benches/measure_vs_ffmpeg.sh            # builds keel in release first
#
# Needs ffmpeg (with libmp3lame) and python3 (for the timing); says so and stops when one is
# missing.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v ffmpeg >/dev/null || { echo "ffmpeg is not installed: nothing to compare against (apt-get install ffmpeg)"; exit 1; }
command -v python3 >/dev/null || { echo "python3 is not installed: it times the runs (apt-get install python3)"; exit 1; }
# Programme-like material (pink noise with level changes, 5 minutes) in $dir/in.wav.
. benches/programme.sh
ffmpeg -nostdin -v error -i "$dir/in.wav" -c:a flac -sample_fmt s32 "$dir/in.flac"
ffmpeg -nostdin -v error -i "$dir/in.wav" -c:a libmp3lame -b:a 320k "$dir/in.mp3"

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
for file in in.wav in.flac in.mp3; do
  # Alternating pairs, so a slow spell of the machine falls on both sides alike.
  python3 - "$keel" "$dir/$file" <<'PY'
import os, statistics, subprocess, sys, time
keel, path = sys.argv[1], sys.argv[2]
sides = {
    "keel": [keel, "measure", "--json", "-q", path],
    "ffmpeg": ["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-af", "ebur128=peak=true", "-f", "null", "-"],
}
times = {name: [] for name in sides}
for run in range(12):
    for name, command in sides.items():
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        if run > 0:  # the first pair only warms the page cache
            times[name].append(time.perf_counter() - start)
keel_s, ffmpeg_s = (statistics.median(times[name]) for name in sides)
print(f"{os.path.basename(path):8s} keel {keel_s:.3f} s   ffmpeg {ffmpeg_s:.3f} s   {ffmpeg_s / keel_s:.1f}x")
PY
done
