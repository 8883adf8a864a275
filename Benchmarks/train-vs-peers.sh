#!/usr/bin/env bash
# Training-step throughput (forward, cross-entropy, backward, SGD momentum) of ResNet-18
# with the CIFAR stem: width 64 on 3x32x32 and width 16 on 1x28x28, batch 128, 2 threads.
# Runs `clens-bench train` and the PyTorch peer (`bench_train.py --one`) alternately
# ROUNDS times (the machine is shared), keeps the best step of each, prints images/s,
# peak RSS and the ratio (ours / PyTorch; > 1 is faster).
# Usage: Benchmarks/train-vs-peers.sh [ROUNDS] [STEPS]
# The peer scripts are found in $PEERS, default Benchmarks/peers.
# OpenBLAS picks its kernels from the CPU unless OPENBLAS_CORETYPE forces them; on an
# AVX-512 machine an inherited OPENBLAS_CORETYPE=Haswell would pit AVX2 SGEMM against
# PyTorch's AVX-512 MKL/oneDNN, so ours runs with OpenBLAS's own choice (printed as
# "kernels"). Set CLENS_KEEP_CORETYPE=1 to keep the inherited value.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 Benchmarks/peers/check_peers.py torch safetensors
rounds=${1:-3}
steps=${2:-6}
peers=${PEERS:-Benchmarks/peers}
swift build -c release --product clens-bench >/dev/null
run_ours() { if [ -n "${CLENS_KEEP_CORETYPE:-}" ]; then "$@"; else env -u OPENBLAS_CORETYPE "$@"; fi; }
value() { awk -v k="$1" '$1==k {print $2}'; }
best() { sort -g | tail -1; }
# The initial weights and batches are written once by the peer and read by both sides.
data=$(mkdir -p "${OUT:-bench-results/train-vs-peers}/data" && cd "${OUT:-bench-results/train-vs-peers}/data" && pwd)
for config in resnet18 fmnist_resnet18w16; do
  (cd "$peers" && python3 bench_train.py --one "$config" --batch 128 --threads 2 --warmup 0 --steps 1 \
    --max-wait-quiet 0 --max-steps 1 --data "$data" >/dev/null)
  key="train_${config}_b128"
  ours=(); peer=(); ours_rss=(); peer_rss=()
  for _ in $(seq "$rounds"); do
    out=$(run_ours .build/release/clens-bench train --config "$config" --batch 128 --threads 2 --warmup 2 --steps "$steps" --data "$data")
    kernels=$(awk '$2=="OpenBLAS" {print $4}' <<<"$out")
    ours+=("$(value "${key}_images_per_s_best:" <<<"$out")"); ours_rss+=("$(value "${key}_peak_rss:" <<<"$out")")
    out=$(cd "$peers" && python3 bench_train.py --one "$config" --batch 128 --threads 2 --warmup 2 --steps "$steps" \
      --max-wait-quiet 10 --max-steps "$steps" --time-cap 120 --data "$data")
    peer+=("$(value "${key}_images_per_s_best:" <<<"$out")"); peer_rss+=("$(value "${key}_peak_rss:" <<<"$out")")
  done
  o=$(printf '%s\n' "${ours[@]}" | best); p=$(printf '%s\n' "${peer[@]}" | best)
  echo "$config b128 (OpenBLAS kernels: $kernels): clens $o img/s (runs: ${ours[*]}; peak RSS ${ours_rss[*]} MiB)," \
    "PyTorch $p img/s (runs: ${peer[*]}; peak RSS ${peer_rss[*]} MiB), ratio $(python3 -c "print(f'{$o/$p:.2f}')")x"
done
