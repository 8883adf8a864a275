#!/usr/bin/env bash
# Augmented two-view SimCLR batches per second: clens-bench augment (BatchLoader, 2
# threads) next to torchvision transforms with a DataLoader of 2 workers, on
# Fashion-MNIST (28x28 grey) and 32x32 RGB. Runs ours and the peer alternately ROUNDS
# times (the machine is shared), keeps the best of each, prints the ratio.
# Usage: Benchmarks/augment-vs-peers.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 Benchmarks/peers/check_peers.py torch torchvision
rounds=${1:-3}
swift build -c release --product clens-bench >/dev/null
best() { sort -g | tail -1; }
for data in fashion-mnist rgb32; do
  ours=(); peer=()
  for _ in $(seq "$rounds"); do
    ours+=("$(.build/release/clens-bench augment --data "$data" --threads 2 --batches 40 --repeats 2 | awk -v k="augment_$data:" '$1==k {print $2}')")
    peer+=("$(python3 Benchmarks/peers/augment_torchvision.py --data "$data" --workers 2 --batches 40 --repeats 2 | awk -v k="augment_$data:" '$1==k {print $2}')")
  done
  o=$(printf '%s\n' "${ours[@]}" | best); p=$(printf '%s\n' "${peer[@]}" | best)
  echo "$data: clens $o batches/s (runs: ${ours[*]}), torchvision $p batches/s (runs: ${peer[*]}), ratio $(python3 -c "print(f'{$o/$p:.2f}')")x  (batch 256 x 2 views)"
done
