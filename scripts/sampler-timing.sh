#!/usr/bin/env bash
# Time per image of two sampler settings side by side (docs/sampling.md): alternates one-process generations of the
# README's prompt, RUNS times each, and prints the median of each setting's denoise and total milliseconds (the CLI's
# own timing line, so process start and model loading are left out) and the load average before and after.
# Usage: scripts/sampler-timing.sh [RUNS] [SAMPLER:STEPS ...]   (default: 5 ddim:50 dpmpp_2m_karras:20)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"; shift || true
settings=("$@"); ((${#settings[@]})) || settings=(ddim:50 dpmpp_2m_karras:20)
unimog="${UNIMOG:-./unimog}"
out=$(mktemp -d)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 0; r < runs; r++)); do
  for s in "${settings[@]}"; do
    $unimog generate "<img1> wearing <img2> is eating pizza" --image models/examples/woman.png --image models/examples/top-hat.png \
      --sampler "${s%%:*}" --steps "${s##*:}" --seed $((42 + r)) --out "$out/x.png" 2>&1 \
      | grep -oE 'denoise [0-9]+ ms|total [0-9]+ ms' | tr '\n' ' ' | sed "s/^/$s /; s/$/\n/" >> "$out/times"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for s in "${settings[@]}"; do
  n=$(grep -c "^$s " "$out/times")
  d=$(grep "^$s " "$out/times" | awk '{ print $3 }' | median)
  t=$(grep "^$s " "$out/times" | awk '{ print $6 }' | median)
  echo "$s: median of $n runs: denoise $d ms, total $t ms per image"
done
rm -rf "$out"
