#!/usr/bin/env bash
# Data-parallel figures of docs/training.md ("Distributed training"), on this machine:
#   1. throughput of the README's tiny stage 1 (docs/examples/train-tiny-stage1.json, global batch 16) as
#      1 process x 2 threads against mpirun -np 2 x 1 thread (8 rows per rank), ROUNDS rounds, each STEPS steps
#      from scratch; the median samples/s of steps 6..STEPS of each run, and the ranks' all-reduce time per step;
#   2. `unimog bench allreduce` under mpirun -np 2, ROUNDS times.
# The 1-minute load average is printed beside every figure (the machine is shared). Needs the README's data and
# caches (scripts/fetch-emoji-art.sh, emojiworld compose, encode-dataset of train-tiny-stage1.json) and Open MPI.
#   scripts/bench-distributed.sh [ROUNDS=3] [STEPS=30]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rounds=${1:-3}
steps=${2:-30}
work=runs/bench-distributed
mkdir -p "$work"
./unimog --help >/dev/null   # build first, outside the timings
dll=tools/UnimoG.Cli/bin/Release/net10.0/linux-x64/unimog.dll
mpi=(mpirun --oversubscribe --allow-run-as-root --bind-to none)
load() { cut -d' ' -f1 /proc/loadavg; }

config() {   # $1 threads, $2 output folder: the tiny stage-1 config with a log line per step
  python3 - "$1" "$2" <<'PY'
import json, os, re, sys
text = open("docs/examples/train-tiny-stage1.json").read()
text = re.sub(r"^\s*//.*$", "", text, flags=re.M)
c = json.loads(text)
base = os.path.abspath("docs/examples") + "/"
for k in ("unet_config", "vae", "scheduler"):
    c["model"][k] = base + c["model"][k]
c["conditions"]["cache"] = base + c["conditions"]["cache"]
c["conditions"]["encoder"] = base + c["conditions"]["encoder"]
c["latent_cache"] = base + c["latent_cache"]
c["phases"][0]["data"]["path"] = base + c["phases"][0]["data"]["path"]
c.update(threads=int(sys.argv[1]), output_dir=sys.argv[2], log_every=1)
c["checkpoints"]["every"] = 0
print(json.dumps(c))
PY
}

median_rate() {   # samples/s of steps 6.. in a log
  grep -o 'step [0-9]*/600 .* \([0-9.]*\) samples/s' "$1" | awk '{split($2,a,"/"); if (a[1] > 5) print $(NF-1)}' | sort -g \
    | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'
}

median_comm() {   # all-reduce ms of steps 6.. (rank 0's log)
  grep -o 'step [0-9]*: gradient all-reduce and shard all-gather [0-9.]* ms of [0-9.]* ms' "$1" \
    | awk '{sub(":","",$2); if ($2 > 5) print $8, $11}' | sort -g \
    | awk '{c[NR]=$1; t[NR]=$2} END {m=int((NR+1)/2); print c[m] " ms of " t[m] " ms"}'
}

echo "tiny stage 1, global batch 16, $steps steps from scratch per run, median samples/s of steps 6-$steps"
for r in $(seq 1 "$rounds"); do
  config 2 "$root/$work/one" >"$work/one.json"
  l=$(load); dotnet "$dll" train --config "$work/one.json" --no-resume --max-steps "$steps" >"$work/one.log" 2>&1
  echo "round $r: 1 process x 2 threads: $(median_rate "$work/one.log") samples/s (load $l)"
  config 1 "$root/$work/two" >"$work/two.json"
  l=$(load); "${mpi[@]}" -np 2 dotnet "$dll" train --config "$work/two.json" --no-resume --max-steps "$steps" >"$work/two.log" 2>&1
  echo "round $r: 2 processes x 1 thread: $(median_rate "$work/two.log") samples/s, all-reduce $(median_comm "$work/two.log") (load $l)"
done
for r in $(seq 1 "$rounds"); do
  echo "round $r (load $(load)):"
  "${mpi[@]}" -np 2 dotnet "$dll" bench allreduce --sizes-mb 1,4,16,64 --repeats 10 | grep -v 'all-reduce over'
done
