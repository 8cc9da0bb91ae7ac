#!/usr/bin/env bash
# Quality per step (docs/sampling.md): EmojiBench on the shipped mini model for DDIM, DPM-Solver++ 2M Karras, Euler
# ancestral and UniPC at 10, 15, 20, 30 and 50 steps; one JSON report per run in OUT (default artifacts/sampler-sweep).
# Then: ./unimog eval samplers OUT --out docs/images/sampling-quality.png  (the table and the plot).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-artifacts/sampler-sweep}"
limit="${LIMIT:-50}"; images="${IMAGES:-2}"
# UNIMOG="dotnet /path/unimog.dll" runs a frozen build (so editing the sources meanwhile does not rebuild under the sweep)
unimog="${UNIMOG:-./unimog}"
mkdir -p "$out"
for sampler in ddim dpmpp_2m_karras euler_a unipc; do
  for steps in 50 30 20 15 10; do
    report="$out/$sampler-$steps.json"
    [[ -f "$report" ]] && { echo "have $report"; continue; }
    $unimog eval emojibench --model models/unimog-mini --subset seen,held-out --limit "$limit" \
      --images-per-prompt "$images" --steps "$steps" --sampler "$sampler" --no-calibration \
      --label "$sampler-$steps" --json "$report.tmp" > "$out/$sampler-$steps.log" 2>&1
    mv "$report.tmp" "$report"
    echo "$(date +%T) $sampler $steps: $(grep -E '^\| .* \| seen' "$out/$sampler-$steps.log" | head -1)"
  done
done
