#!/usr/bin/env bash
# Fine-tuning step throughput against PyTorch (Benchmarks/peers/bench_simclr.py
# finetune-step): Core-tuning (or CE-tuning) of a ResNet-18 with a bias-free classifier
# and the Contrastor head, batch 64, SGD Nesterov; w16 = width 16, 1x28x28; w64 = width 64,
# 3x32x32; random inputs, 2 threads. Runs `clens-bench finetune` and the peer alternately
# ROUNDS times (the machine is shared), keeps the best step of each and prints images/s,
# peak RSS and the ratio (ours / PyTorch; > 1 is faster).
# Needs: pip install torch (a CPU wheel is enough).
# Usage: Benchmarks/finetune-vs-peers.sh [ROUNDS] [STEPS] [METHOD]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 Benchmarks/peers/check_peers.py torch
rounds=${1:-3}
steps=${2:-6}
method=${3:-core}
swift build -c release --product clens-bench >/dev/null
value() { awk -v k="$1" '$1==k {print $2}'; }
best() { sort -g | tail -1; }
for config in w16 w64; do
  key="${method}_${config}_b64"
  ours=(); peer=(); ours_rss=(); peer_rss=()
  for _ in $(seq "$rounds"); do
    out=$(env -u OPENBLAS_CORETYPE .build/release/clens-bench finetune --configs "$config" --method "$method" \
      --threads 2 --warmup 2 --steps "$steps")
    ours+=("$(value "${key}_images_per_s_best:" <<<"$out")"); ours_rss+=("$(value "${key}_peak_rss:" <<<"$out")")
    out=$(python3 Benchmarks/peers/bench_simclr.py finetune-step --configs "$config" --finetune-method "$method" \
      --threads 2 --warmup 2 --steps "$steps")
    peer+=("$(value "${key}_images_per_s_best:" <<<"$out")"); peer_rss+=("$(value "${key}_peak_rss:" <<<"$out")")
  done
  o=$(printf '%s\n' "${ours[@]}" | best); p=$(printf '%s\n' "${peer[@]}" | best)
  echo "$key: clens $o img/s (runs: ${ours[*]}; peak RSS ${ours_rss[*]} MiB)," \
    "PyTorch $p img/s (runs: ${peer[*]}; peak RSS ${peer_rss[*]} MiB), ratio $(python3 -c "print(f'{$o/$p:.2f}')")x"
done
