#!/usr/bin/env bash
# t-SNE next to the Python peers (openTSNE, scikit-learn) on the same data, back to back.
#
#   Benchmarks/tsne-vs-peers.sh [DATASETS] [ROUNDS]
#     DATASETS  comma list of digits, fmnist10k, fmnist70k (default: all three)
#     ROUNDS    alternating rounds of peer and ours (default 2); best of N is reported
#   env: THREADS (2), PEER_METHODS (opentsne_fft,opentsne_bh,sklearn),
#        OUT (bench-results/tsne-vs-peers), PEERS (Benchmarks/peers)
#
# Data come from the peers' own preparation (bench_tsne.py: digits as is; Fashion-MNIST
# from /usr/share/datasets/fashion-mnist, pixels/255, PCA to 50 by scikit-learn; fmnist10k
# is its seeded 10,000 subset), so both sides embed identical arrays. Quality is measured
# for both by the same code (Benchmarks/tsne_quality.py = the peers' metric code): 10-NN
# accuracy (5-fold CV) and trustworthiness(10) on a 5,000-point sample. KL is each
# tool's own estimate for its final embedding. Times are the fit alone (neighbours,
# affinities, optimisation), as the peers time theirs; the peers run without verbose
# progress (their fastest setting; ours evaluates KL every 50 iterations anyway).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 Benchmarks/peers/check_peers.py openTSNE sklearn numpy
DATASETS=${1:-digits,fmnist10k,fmnist70k}
ROUNDS=${2:-2}
THREADS=${THREADS:-2}
PEER_METHODS=${PEER_METHODS:-opentsne_fft,opentsne_bh,sklearn}
OUT=${OUT:-bench-results/tsne-vs-peers}
PEERS=${PEERS:-$(pwd)/Benchmarks/peers}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
swift build -c release --product clens >/dev/null
CLENS=$(swift build -c release --show-bin-path)/clens
LOG="$OUT/log.txt"
: >"$LOG"

# The peers' data preparation, reused verbatim.
python3 - "$PEERS" "$OUT" "$DATASETS" <<'PY'
import sys
sys.argv = [sys.argv[0], "--threads", "2"] + sys.argv[1:]
peers, out, datasets = sys.argv[3:6]
sys.path.insert(0, peers)
from bench_tsne import prep_dataset
for name in datasets.split(","):
    prep_dataset(name, out, 1)
PY

for round in $(seq 1 "$ROUNDS"); do
  for ds in ${DATASETS//,/ }; do
    X="$OUT/${ds}_X.npy"
    Y="$OUT/${ds}_y.npy"
    for method in ${PEER_METHODS//,/ }; do
      if [ "$ds" = fmnist70k ] && [ "$method" = sklearn ]; then continue; fi  # 835 s, see RESULTS.md
      echo "== round $round $ds peer $method" | tee -a "$LOG"
      (cd "$PEERS" && python3 bench_tsne.py --datasets "$ds" --methods "$method" --threads "$THREADS" \
        --cache "$OUT/peer-cache" --max-wait-quiet 60 --no-verbose) 2>&1 | grep -E "^tsne_" | sed "s/^/round$round /" | tee -a "$LOG"
    done
    echo "== round $round $ds clens" | tee -a "$LOG"
    start=$(date +%s.%N)
    "$CLENS" tsne --features "$X" --labels "$Y" --out "$OUT/emb_${ds}_clens.npy" --threads "$THREADS" \
      --seed 0 --json --quiet >"$OUT/clens_${ds}.json" 2>>"$LOG"
    end=$(date +%s.%N)
    python3 - "$OUT/clens_${ds}.json" "$ds" "$round" "$start" "$end" <<'PY' | tee -a "$LOG"
import json, sys
r = json.load(open(sys.argv[1]))
ds, rnd, wall = sys.argv[2], sys.argv[3], float(sys.argv[5]) - float(sys.argv[4])
print(f"round{rnd} tsne_{ds}_clens_seconds: {r['seconds']:.2f} s")
print(f"round{rnd} tsne_{ds}_clens_process_seconds: {wall:.2f} s")
print(f"round{rnd} tsne_{ds}_clens_kl_divergence: {r['kl_divergence']:.4f}")
print(f"round{rnd} tsne_{ds}_clens_method: {r['method']} ({r['neighbor_method']} neighbours)")
PY
    python3 Benchmarks/tsne_quality.py "$X" "$Y" "$OUT/emb_${ds}_clens.npy" "tsne_${ds}_clens" --threads "$THREADS" \
      | sed "s/^/round$round /" | tee -a "$LOG"
  done
done

# Summary: best time over rounds, quality of the last round, ratios to each peer.
python3 - "$LOG" <<'PY'
import re, sys, collections
best = collections.defaultdict(lambda: float("inf"))
last = {}
for line in open(sys.argv[1]):
    m = re.match(r"round\d+ (tsne_(\w+?)_(clens|sklearn|opentsne_fft|opentsne_bh))_(seconds|kl_divergence|knn10_acc_5fold|trustworthiness10_n\d+): ([0-9.eE+-]+)", line)
    if not m:
        continue
    key, ds, tool, what, value = m.group(1), m.group(2), m.group(3), m.group(4), float(m.group(5))
    if what == "seconds":
        best[(ds, tool)] = min(best[(ds, tool)], value)
    else:
        last[(ds, tool, what.split("_n")[0])] = value
print("\n| dataset | tool | best fit s | clens time ratio | KL | KL vs clens | 10-NN acc | trust(10) |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for ds in dict.fromkeys(k[0] for k in best):
    ours = best.get((ds, "clens"))
    for tool in ["clens", "opentsne_fft", "opentsne_bh", "sklearn"]:
        if (ds, tool) not in best:
            continue
        t = best[(ds, tool)]
        ratio = f"{ours / t:.2f}" if ours and tool != "clens" else "–"
        kl = last.get((ds, tool, "kl_divergence"), float("nan"))
        klo = last.get((ds, "clens", "kl_divergence"), float("nan"))
        rel = f"{(klo - kl) / kl * 100:+.1f} %" if tool != "clens" else "–"
        print(f"| {ds} | {tool} | {t:.1f} | {ratio} | {kl:.3f} | {rel} | "
              f"{last.get((ds, tool, 'knn10_acc_5fold'), float('nan')):.4f} | "
              f"{last.get((ds, tool, 'trustworthiness10'), float('nan')):.4f} |")
PY
