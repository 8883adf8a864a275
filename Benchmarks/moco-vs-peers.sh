#!/usr/bin/env bash
# MoCo v2 step throughput against PyTorch (Benchmarks/peers/bench_simclr.py moco-step):
# query encoder with the tape, momentum key encoder with shuffle-BN in 2 groups, a
# 4096-key queue, tau 0.2, SGD, the moving average and the enqueue; w16 = ResNet-18 width
# 16, 1x28x28, 2 views x 256; w64 = width 64, 3x32x32, 2 views x 64; random inputs, 2
# threads; FT=1 adds Feature Transformation. Runs `clens-bench moco` and the peer
# alternately ROUNDS times, keeps the best step of each and prints views/s and the ratio
# (ours / PyTorch; > 1 is faster).
# Usage: [FT=1] Benchmarks/moco-vs-peers.sh [ROUNDS] [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 Benchmarks/peers/check_peers.py torch
rounds=${1:-3}
steps=${2:-6}
ours_flag=(); peer_flag=(); suffix=""
if [ -n "${FT:-}" ]; then ours_flag=(--feature-transform 1); peer_flag=(--feature-transform); suffix="-ft"; fi
swift build -c release --product clens-bench >/dev/null
value() { awk -v k="$1" '$1==k {print $2}'; }
best() { sort -g | tail -1; }
for config in w16 w64; do
  batch=$([ "$config" = w16 ] && echo 256 || echo 64)
  key="moco${suffix}_${config}_b${batch}"
  ours=(); peer=()
  for _ in $(seq "$rounds"); do
    out=$(env -u OPENBLAS_CORETYPE .build/release/clens-bench moco --configs "$config" "${ours_flag[@]}" --threads 2 \
      --warmup 2 --steps "$steps")
    ours+=("$(value "${key}_images_per_s_best:" <<<"$out")")
    out=$(python3 Benchmarks/peers/bench_simclr.py moco-step --configs "$config" "${peer_flag[@]}" --threads 2 \
      --warmup 2 --steps "$steps")
    peer+=("$(value "${key}_images_per_s_best:" <<<"$out")")
  done
  o=$(printf '%s\n' "${ours[@]}" | best); p=$(printf '%s\n' "${peer[@]}" | best)
  echo "$key: clens $o views/s (runs: ${ours[*]}), PyTorch $p views/s (runs: ${peer[*]}), ratio $(python3 -c "print(f'{$o/$p:.2f}')")x"
done
