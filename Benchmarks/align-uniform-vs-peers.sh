#!/usr/bin/env bash
# Alignment/uniformity next to the Python peer (torch, the align_uniform reference
# formula) on identical data, back to back.
#
#   Benchmarks/align-uniform-vs-peers.sh [SIZES] [ROUNDS]
#     SIZES   comma list of N (default 10000,50000); dimension 128 (DIM to change)
#     ROUNDS  alternating rounds (default 3); best of N is reported
#   env: THREADS (2), DIM (128), OUT (bench-results/align-uniform-vs-peers), PEERS
#
# The data are the peer's own: x = normalize(randn(N, D)) and x⁺ = normalize(x + 0.1·noise)
# from torch.Generator().manual_seed(0), drawn for the sizes in order exactly as
# bench_align_uniform.py draws them, written to .npy for ContrastLens. The peer times
# align_loss and uniform_loss (torch.pdist) separately; ours is one `clens align-uniform`
# run (alignment + uniformity), timed inside (JSON "seconds") and as a whole process,
# with the process's peak RSS from /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 Benchmarks/peers/check_peers.py torch numpy
SIZES=${1:-10000,50000}
ROUNDS=${2:-3}
THREADS=${THREADS:-2}
DIM=${DIM:-128}
OUT=${OUT:-bench-results/align-uniform-vs-peers}
PEERS=${PEERS:-$(pwd)/Benchmarks/peers}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
swift build -c release --product clens >/dev/null
CLENS=$(swift build -c release --show-bin-path)/clens
LOG="$OUT/log.txt"
: >"$LOG"

python3 - "$OUT" "$SIZES" "$DIM" <<'PY' | tee -a "$LOG"
import sys
import numpy as np
import torch
import torch.nn.functional as F
out, sizes, dim = sys.argv[1], sys.argv[2], int(sys.argv[3])
g = torch.Generator().manual_seed(0)
for n in [int(s) for s in sizes.split(",")]:
    x = F.normalize(torch.randn(n, dim, generator=g), dim=1)
    xp = F.normalize(x + 0.1 * torch.randn(n, dim, generator=g), dim=1)
    np.save(f"{out}/x_{n}.npy", x.numpy())
    np.save(f"{out}/xp_{n}.npy", xp.numpy())
    # The reference formula in float64 (pdist in row blocks so it fits in memory).
    xd = x.double()
    total, count = 0.0, 0
    for i in range(0, n, 2000):
        d2 = torch.cdist(xd[i:i + 2000], xd).pow(2)
        rows = torch.arange(i, min(n, i + 2000)).unsqueeze(1)
        mask = torch.arange(n).unsqueeze(0) > rows
        total += d2.mul(-2).exp()[mask].sum().item()
        count += int(mask.sum())
    print(f"round0 au_n{n}_uniform_float64_reference: {np.log(total / count):.10f}", flush=True)
PY

for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round peer" | tee -a "$LOG"
  (cd "$PEERS" && python3 bench_align_uniform.py --sizes "$SIZES" --dim "$DIM" --threads "$THREADS" \
    --repeats 1 --backward-sizes "" --max-wait-quiet 60) 2>&1 | grep -E "^au_n[0-9]+_(align|uniform)_(value|seconds_min)|peak_rss" \
    | sed "s/^/round$round /" | tee -a "$LOG"
  for n in ${SIZES//,/ }; do
    echo "== round $round clens n=$n" | tee -a "$LOG"
    /usr/bin/time -f "round$round clens_n${n}_peak_rss_kib: %M" "$CLENS" align-uniform --features "$OUT/x_$n.npy" \
      --positives "$OUT/xp_$n.npy" --threads "$THREADS" --json --quiet >"$OUT/clens_$n.json" 2>>"$LOG"
    python3 -c "
import json; r = json.load(open('$OUT/clens_$n.json'))
print(f\"round$round clens_n${n}_seconds: {r['seconds']:.4f} s\")
print(f\"round$round clens_n${n}_uniform_value: {r['uniformity']:.10f}\")
print(f\"round$round clens_n${n}_align_value: {r['alignment']:.10f}\")" | tee -a "$LOG"
  done
done

python3 - "$LOG" "$SIZES" <<'PY'
import re, sys, collections
best = collections.defaultdict(lambda: float("inf"))
val = {}
for line in open(sys.argv[1]):
    m = re.match(r"round\d+ (\S+): ([0-9.eE+-]+)", line)
    if not m:
        continue
    k, v = m.group(1), float(m.group(2))
    if "seconds" in k:
        best[k] = min(best[k], v)
    else:
        val[k] = v
print("\n| N | peer uniform s (min) | peer align s | clens s (align + uniform) | ratio | float64 reference | peer value (4 dp) | clens value | clens − reference | clens peak RSS MiB |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for n in sys.argv[2].split(","):
    pu = best.get(f"au_n{n}_uniform_seconds_min", float("nan"))
    pa = best.get(f"au_n{n}_align_seconds_min", float("nan"))
    ours = best.get(f"clens_n{n}_seconds", float("nan"))
    pv = val.get(f"au_n{n}_uniform_value", float("nan"))
    ref = val.get(f"au_n{n}_uniform_float64_reference", float("nan"))
    ov = val.get(f"clens_n{n}_uniform_value", float("nan"))
    rss = val.get(f"clens_n{n}_peak_rss_kib", float("nan")) / 1024
    print(f"| {n} | {pu:.3f} | {pa:.4f} | {ours:.3f} | {ours / (pu + pa):.4f} | {ref:.8f} | {pv:.4f} | {ov:.8f} | {ov - ref:+.1e} | {rss:.0f} |")
PY
