#!/usr/bin/env bash
# One table of representation quality for every pre-training method of `clens pretrain`
# under one budget: Fashion-MNIST training set, ResNet-18 width 16 with the CIFAR stem,
# batch 256, EPOCHS epochs, SGD momentum 0.9 weight decay 1e-4, lr 0.0625 with a cosine
# over steps, seed 0, 2 threads; each method with its own defaults otherwise (MoCo v2:
# K 4096, m 0.99, τ 0.2; FT: α_p 2.0, α_n 1.6; SelfCon: fc exit after stage 2, τ 0.1;
# FNC: 2 support views, k 10, θ 0.7, a memory of 8 batches, EMA 0.999, τ 0.1). Each
# encoder's pooled features of the training and test sets are scored by the same judge,
# Benchmarks/peers/eval_features.py (cosine 20-NN with the training set as memory bank;
# logistic regression on standardised features). A method whose run directory already
# holds its last snapshot is not trained again (delete it to retrain).
# Needs: pip install scikit-learn numpy. Takes about 2.5 hours on 2 cores.
# Usage: [CLENS=path/to/clens] Benchmarks/methods-table.sh [EPOCHS] [OUT] [METHOD...]
# (CLENS: a copy of the binary to use, so that rebuilding meanwhile cannot touch it.)
set -euo pipefail
cd "$(dirname "$0")/.."
python3 Benchmarks/peers/check_peers.py sklearn numpy
epochs=${1:-5}
out=${2:-bench-results/methods}
shift $(( $# > 2 ? 2 : $# ))
methods=("$@")
[ ${#methods[@]} -gt 0 ] || methods=(simclr supcon moco moco-ft selfcon fnc)
mkdir -p "$out"
clens=${CLENS:-}
if [ -z "$clens" ]; then swift build -c release --product clens >/dev/null; clens=.build/release/clens; fi
for name in "${methods[@]}"; do
  case $name in
    moco-ft) args=(--method moco --feature-transform) ;;
    fnc) args=(--method fnc --support-views 2 --memory-multiplier 8) ;;
    *) args=(--method "$name") ;;
  esac
  run="$out/$name"
  if [ ! -f "$run/features/epoch-$epochs.npy" ]; then
    rm -rf "$run"
    start=$(date +%s)
    env -u OPENBLAS_CORETYPE $clens pretrain "${args[@]}" --epochs "$epochs" --batch-size 256 --lr 0.0625 \
      --threads 2 --seed 0 --quiet --out "$run" > "$out/$name.log"
    echo $(( $(date +%s) - start )) > "$out/$name.seconds"
  fi
  [ -f "$run/features/train-epoch-$epochs.npy" ] || $clens features --run "$run" --split train --threads 2 --quiet >/dev/null
done
printf '| method | 20-NN | linear probe | training s |\n|---|---|---|---|\n'
for name in "${methods[@]}"; do
  features="$out/$name/features"
  scores=$(python3 Benchmarks/peers/eval_features.py --train "$features/train-epoch-$epochs.npy" \
    --train-labels "$features/train-epoch-$epochs.labels.npy" --test "$features/epoch-$epochs.npy" \
    --test-labels "$features/epoch-$epochs.labels.npy" | grep -v '^#')
  knn=$(echo "$scores" | awk '/knn/ {print $NF}')
  probe=$(echo "$scores" | awk '/linear/ {print $NF}')
  printf '| %s | %s | %s | %s |\n' "$name" "$knn" "$probe" "$(cat "$out/$name.seconds" 2>/dev/null || echo '?')"
done
