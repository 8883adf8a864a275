#!/usr/bin/env bash
# SimCLR training-step throughput against PyTorch (Benchmarks/peers/bench_simclr.py step):
# ResNet-18 + 2-layer MLP head, both views in one forward pass, NT-Xent (SupConLoss,
# tau 0.5), backward, SGD momentum 0.9; w16 = width 16, 1x28x28, 2 views x 256 images,
# w64 = width 64, 3x32x32, 2 views x 64; random inputs, 2 threads. Runs `clens-bench
# simclr` and the peer alternately ROUNDS times (the machine is shared), keeps the best
# step of each and prints views/s, peak RSS and the ratio (ours / PyTorch; > 1 is faster).
# Needs: pip install torch (a CPU wheel is enough).
# Usage: Benchmarks/simclr-vs-peers.sh [ROUNDS] [STEPS] [METHOD]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 Benchmarks/peers/check_peers.py torch
rounds=${1:-3}
steps=${2:-6}
method=${3:-simclr}
swift build -c release --product clens-bench >/dev/null
value() { awk -v k="$1" '$1==k {print $2}'; }
best() { sort -g | tail -1; }
for config in w16 w64; do
  batch=$([ "$config" = w16 ] && echo 256 || echo 64)
  key="${method}_${config}_b${batch}"
  ours=(); peer=(); ours_rss=(); peer_rss=()
  for _ in $(seq "$rounds"); do
    out=$(env -u OPENBLAS_CORETYPE .build/release/clens-bench simclr --configs "$config" --method "$method" \
      --threads 2 --warmup 2 --steps "$steps")
    ours+=("$(value "${key}_images_per_s_best:" <<<"$out")"); ours_rss+=("$(value "${key}_peak_rss:" <<<"$out")")
    out=$(python3 Benchmarks/peers/bench_simclr.py step --configs "$config" --method "$method" --threads 2 \
      --warmup 2 --steps "$steps")
    peer+=("$(value "${key}_images_per_s_best:" <<<"$out")"); peer_rss+=("$(value "${key}_peak_rss:" <<<"$out")")
  done
  o=$(printf '%s\n' "${ours[@]}" | best); p=$(printf '%s\n' "${peer[@]}" | best)
  echo "$key: clens $o views/s (runs: ${ours[*]}; peak RSS ${ours_rss[*]} MiB)," \
    "PyTorch $p views/s (runs: ${peer[*]}; peak RSS ${peer_rss[*]} MiB), ratio $(python3 -c "print(f'{$o/$p:.2f}')")x"
done
