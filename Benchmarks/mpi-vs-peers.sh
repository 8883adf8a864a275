#!/usr/bin/env bash
# Data-parallel SimCLR training steps: `mpirun -n 2` ranks of one thread each against one
# process of two threads, for clens (`clens-bench simclr`, built with the MPI trait) and
# for PyTorch (Benchmarks/peers/bench_simclr.py: `step` in one process, `ddp-step` under
# `torchrun --nproc_per_node 2`, DistributedDataParallel with gloo). The step is the same
# on both sides: ResNet-18 + MLP head, both views of the rank's B/P images in one
# forward pass, embeddings all-gathered, NT-Xent over the global batch, gradients
# all-reduced, SGD momentum 0.9; random inputs; w16 = width 16, 1x28x28, 2 views x 256
# images, w64 = width 64, 3x32x32, 2 views x 64. Each variant runs ROUNDS times,
# alternating; the best step of each is kept; views/s and ratios are printed.
# Needs: libopenmpi-dev openmpi-bin (scripts/install-deps), pip install torch (CPU wheel).
# Usage: Benchmarks/mpi-vs-peers.sh [ROUNDS] [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 Benchmarks/peers/check_peers.py torch
rounds=${1:-3}
steps=${2:-6}
swift build -c release --traits MPI --scratch-path .build-mpi --product clens-bench >/dev/null
bench=.build-mpi/release/clens-bench
peer=Benchmarks/peers/bench_simclr.py
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
value() { awk -v k="$1" '$1==k {print $2}'; }
best() { sort -g | tail -1; }
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
for config in w16 w64; do
  batch=$([ "$config" = w16 ] && echo 256 || echo 64)
  key="simclr_${config}_b${batch}_images_per_s_best:"
  one=(); two=(); torch_one=(); torch_two=()
  for _ in $(seq "$rounds"); do
    one+=("$(env -u OPENBLAS_CORETYPE $bench simclr --configs "$config" --threads 2 --steps "$steps" | value "$key")")
    two+=("$(env -u OPENBLAS_CORETYPE mpirun -n 2 --bind-to core $bench simclr --configs "$config" --threads 1 \
      --steps "$steps" | value "$key")")
    torch_one+=("$(python3 $peer step --configs "$config" --threads 2 --steps "$steps" | value "$key")")
    torch_two+=("$(torchrun --nproc_per_node 2 $peer ddp-step --configs "$config" --threads 1 --steps "$steps" \
      2>/dev/null | value "$key")")
  done
  o1=$(printf '%s\n' "${one[@]}" | best); o2=$(printf '%s\n' "${two[@]}" | best)
  t1=$(printf '%s\n' "${torch_one[@]}" | best); t2=$(printf '%s\n' "${torch_two[@]}" | best)
  echo "$config: clens 1x2 threads $o1 views/s (runs ${one[*]}), mpirun -n 2 $o2 (runs ${two[*]});" \
    "PyTorch 1x2 threads $t1 (runs ${torch_one[*]}), torchrun DDP 2 ranks $t2 (runs ${torch_two[*]});" \
    "2 ranks vs 1 process: clens $(ratio "$o2" "$o1")x, PyTorch $(ratio "$t2" "$t1")x;" \
    "clens vs PyTorch: 2 ranks $(ratio "$o2" "$t2")x, 1 process $(ratio "$o1" "$t1")x"
done
