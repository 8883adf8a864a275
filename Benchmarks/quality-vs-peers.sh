#!/usr/bin/env bash
# Representation quality and training time of `clens pretrain` against the same recipe
# in PyTorch (Benchmarks/peers/bench_simclr.py train): METHOD (simclr or supcon) on the
# Fashion-MNIST training set, ResNet-18 width 16 with the CIFAR stem, 2 views x 256,
# EPOCHS epochs, SGD momentum 0.9 weight decay 1e-4, lr 0.0625 with a cosine over steps,
# temperature 0.5 (simclr) or 0.1 (supcon), base temperature 0.07, 2 threads. Both
# models' pooled features of the training and test sets are scored by the same judge,
# Benchmarks/peers/eval_features.py (cosine 20-NN with the training set as memory bank;
# logistic regression on standardised features), and the training times compared.
# Needs: pip install torch torchvision scikit-learn. Takes about 40 minutes per method on 2 cores.
# Usage: Benchmarks/quality-vs-peers.sh [METHOD] [EPOCHS] [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 Benchmarks/peers/check_peers.py torch torchvision sklearn
method=${1:-simclr}
epochs=${2:-5}
out=${3:-bench-results/quality-$method}
rm -rf "$out"
mkdir -p "$out"
swift build -c release --product clens >/dev/null
start=$(date +%s.%N)
env -u OPENBLAS_CORETYPE .build/release/clens pretrain --method "$method" --epochs "$epochs" --batch-size 256 \
  --lr 0.0625 --threads 2 --seed 0 --quiet --out "$out/clens"
ours=$(python3 -c "print(f'{$(date +%s.%N) - $start:.0f}')")
.build/release/clens features --run "$out/clens" --split train --threads 2 --quiet >/dev/null
python3 Benchmarks/peers/bench_simclr.py train --method "$method" --epochs "$epochs" --batch-size 256 --lr 0.0625 \
  --threads 2 --seed 0 --out "$out/pytorch" > "$out/pytorch.log"
peer=$(awk '$1=="train_seconds:" {printf "%.0f", $2}' "$out/pytorch.log")
features="$out/clens/features"
echo "clens ($method, $epochs epochs, ${ours} s including held-out snapshots every epoch):"
python3 Benchmarks/peers/eval_features.py --train "$features/train-epoch-$epochs.npy" \
  --train-labels "$features/train-epoch-$epochs.labels.npy" --test "$features/epoch-$epochs.npy" \
  --test-labels "$features/epoch-$epochs.labels.npy" | grep -v '^#'
echo "PyTorch ($method, $epochs epochs, ${peer} s of training):"
python3 Benchmarks/peers/eval_features.py --train "$out/pytorch/train.npy" --train-labels "$out/pytorch/train.labels.npy" \
  --test "$out/pytorch/test.npy" --test-labels "$out/pytorch/test.labels.npy" | grep -v '^#'
