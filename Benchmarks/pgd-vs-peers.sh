#!/usr/bin/env bash
# Seconds per PGD attack call (10 steps, random start, 100 CIFAR-shaped images, 2 threads):
# clens-bench pgd (ContrastLens PGD on the engine's models) next to
# Benchmarks/peers/bench_pgd.py (torchattacks 3.5.1 PGD / PGDL2 on PyTorch), on ResNet-20
# and ResNet-18 (CIFAR stem, width 64), random init, eval mode. Runs ours and the peer
# alternately ROUNDS times (the machine is shared), keeps the best of each and prints the
# speed ratio torchattacks-seconds / ContrastLens-seconds (above 1: ContrastLens is faster).
# Usage: Benchmarks/pgd-vs-peers.sh [ROUNDS] [MODELS]   (MODELS: resnet20,resnet18)
set -euo pipefail
cd "$(dirname "$0")/.."
python3 Benchmarks/peers/check_peers.py torch torchattacks safetensors
rounds=${1:-3}
models=${2:-resnet20,resnet18}
peer=${PEERS:-Benchmarks/peers}/bench_pgd.py
# One batch of images and one set of weights per model, written by the peer and read by
# both sides: the same arrays, not only the same shapes.
data=${OUT:-bench-results/pgd-vs-peers}/data
mkdir -p "$data"
swift build -c release --product clens-bench >/dev/null
best() { sort -g | head -1; }
for model in ${models//,/ }; do
  for attack in pgd pgdl2; do
    key="pgd_${model}_${attack}_n100_s10_seconds_min:"
    ours=(); theirs=()
    for _ in $(seq "$rounds"); do
      theirs+=("$(python3 "$peer" --models "$model" --attacks "$attack" --repeats 1 --threads 2 --max-wait-quiet 10 --data "$data" | awk -v k="$key" '$1==k {print $2}')")
      ours+=("$(.build/release/clens-bench pgd --models "$model" --attacks "$attack" --repeats 1 --threads 2 --data "$data" | awk -v k="$key" '$1==k {print $2}')")
    done
    o=$(printf '%s\n' "${ours[@]}" | best); p=$(printf '%s\n' "${theirs[@]}" | best)
    echo "$model $attack: clens $o s (runs: ${ours[*]}), torchattacks $p s (runs: ${theirs[*]}), speed ratio $(python3 -c "print(f'{$p/$o:.2f}')")x"
  done
done
