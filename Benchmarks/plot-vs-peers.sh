#!/usr/bin/env bash
# Plotting vs matplotlib: the figures of Benchmarks/peers/bench_plot.py (a 70,000-point
# 10-class scatter with legend at 1600x1200 to PNG and PDF, and a 2x2 panel line figure
# with ±std bands), drawn from the same saved points by both tools, back to back.
#
# Render alone: each tool's best time for building + drawing + writing one figure, in
#   one process after a warm-up (matplotlib's own timing; clens-bench's the same way).
# Whole process: what a user waits for to get one figure from a fresh process.
#   Ours is measured (wall time of `clens-bench plot --once <figure>`); matplotlib's is
#   Python start-up + `import matplotlib.pyplot` + its render time, each as measured
#   by bench_plot.py in fresh interpreters (its first render in a process is slower
#   still, so this favours matplotlib).
# Ratios are matplotlib / ours (> 1: ours is faster). Best of ROUNDS rounds, alternating
# the two tools, since the machine is shared.
#
# Usage: Benchmarks/plot-vs-peers.sh   (ROUNDS=3 REPEATS=5 PEERS=Benchmarks/peers by default)
set -euo pipefail
cd "$(dirname "$0")/.."
python3 Benchmarks/peers/check_peers.py matplotlib numpy
ROUNDS=${ROUNDS:-3}
REPEATS=${REPEATS:-5}
PEERS=${PEERS:-$(pwd)/Benchmarks/peers}
OUT=bench-results/plot-vs-peers
mkdir -p "$OUT"

swift build -c release --product clens-bench >/dev/null
BENCH=.build/release/clens-bench

# The peer's blobs (numpy, seed 0), saved once so both tools draw identical points.
python3 - "$OUT" <<'PY'
import sys, numpy as np
out = sys.argv[1]
rng = np.random.default_rng(0)
centers = rng.normal(0, 10, size=(10, 2))
labels = rng.integers(0, 10, size=70000)
points = centers[labels] + rng.normal(0, 1.5, size=(70000, 2))
np.save(f"{out}/points.npy", points.astype(np.float32))
np.save(f"{out}/labels.npy", labels.astype(np.int64))
PY
DATA=(--embedding "$OUT/points.npy" --labels "$OUT/labels.npy")

for round in $(seq 1 "$ROUNDS"); do
  echo "round $round/$ROUNDS: matplotlib" >&2
  python3 "$PEERS/bench_plot.py" "${DATA[@]}" --repeats "$REPEATS" --import-repeats 3 \
    --outdir "$OUT/matplotlib" > "$OUT/matplotlib-$round.txt"
  echo "round $round/$ROUNDS: clens-bench" >&2
  "$BENCH" plot "${DATA[@]}" --repeats "$REPEATS" --outdir "$OUT/ours" > "$OUT/ours-$round.txt"
  for figure in scatter-png scatter-pdf lines4-png lines4-pdf; do
    start=$(date +%s.%N)
    "$BENCH" plot "${DATA[@]}" --once "$figure" --outdir "$OUT/once"
    end=$(date +%s.%N)
    echo "whole_${figure}_seconds: $(echo "$end - $start" | bc -l) s" >> "$OUT/ours-$round.txt"
  done
done

python3 - "$OUT" "$ROUNDS" <<'PY'
import sys, re, glob
out, rounds = sys.argv[1], int(sys.argv[2])
def load(tool):
    values = {}
    for path in glob.glob(f"{out}/{tool}-*.txt"):
        for line in open(path):
            m = re.match(r"^([\w-]+): ([0-9.eE+-]+)", line)
            if m:
                values.setdefault(m.group(1), []).append(float(m.group(2)))
    return values
peer, ours = load("matplotlib"), load("ours")
best = lambda d, k: min(d[k])
startup = best(peer, "plot_python_startup_seconds") + best(peer, "plot_import_matplotlib_pyplot_seconds_min")
print(f"# best of {rounds} rounds; matplotlib start-up + import = {startup:.3f} s")
print(f"{'figure':<22}{'matplotlib s':>13}{'ours s':>9}{'ratio':>8}   {'whole: mpl s':>13}{'ours s':>9}{'ratio':>8}   {'bytes mpl':>10}{'ours':>10}")
for figure, tag in [("scatter 70k PNG", "plot_scatter_70000pts_png"), ("scatter 70k PDF", "plot_scatter_70000pts_pdf"),
                    ("lines 2x2 PNG", "plot_lines_4panel_4x200_png"), ("lines 2x2 PDF", "plot_lines_4panel_4x200_pdf")]:
    once = "whole_" + ("scatter" if "scatter" in tag else "lines4") + "-" + tag[-3:] + "_seconds"
    p, o = best(peer, tag + "_seconds_min"), best(ours, tag + "_seconds_min")
    pw, ow = startup + p, best(ours, once)
    pb, ob = int(best(peer, tag + "_bytes")), int(best(ours, tag + "_bytes"))
    print(f"{figure:<22}{p:>13.3f}{o:>9.3f}{p / o:>7.1f}x   {pw:>13.3f}{ow:>9.3f}{pw / ow:>7.1f}x   {pb:>10}{ob:>10}")
PY
