#!/usr/bin/env bash
# Reading a ResNet-50 checkpoint (about 100 MB, torch.save zip format) with ContrastLens's
# restricted unpickler, next to the same weights from safetensors and to
# torch.load(weights_only=True); alternating rounds on the same files, best of each.
# With FUZZ=N, also N mutated copies of the checkpoint decoded (none may crash).
# Needs: pip install torch safetensors (a CPU torch wheel is enough).
# Usage: Benchmarks/pth-load-vs-peers.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 Benchmarks/peers/check_peers.py torch safetensors
rounds=${1:-3}
swift build -c release --product clens-bench >/dev/null
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 Benchmarks/peers/bench_load.py write --out "$dir"
value() { awk -v k="$1" '$1==k {print $2}'; }
best() { sort -g | head -1; }
ours=(); safetensors=(); torch=()
for _ in $(seq "$rounds"); do
  out=$(.build/release/clens-bench weights-load --pth "$dir/resnet50.pth" --safetensors "$dir/resnet50.safetensors" \
    --rounds 3 --fuzz "${FUZZ:-0}")
  ours+=("$(value pth_load_best: <<<"$out")"); safetensors+=("$(value safetensors_load_best: <<<"$out")")
  grep fuzz_cases <<<"$out" || true
  torch+=("$(python3 Benchmarks/peers/bench_load.py load --pth "$dir/resnet50.pth" --rounds 3 | value torch_load_best:)")
done
o=$(printf '%s\n' "${ours[@]}" | best); s=$(printf '%s\n' "${safetensors[@]}" | best); t=$(printf '%s\n' "${torch[@]}" | best)
echo "resnet50.pth ($(du -h "$dir/resnet50.pth" | cut -f1)): clens $o s (runs ${ours[*]}), same weights from safetensors $s s" \
  "(runs ${safetensors[*]}), torch.load(weights_only=True) $t s (runs ${torch[*]});" \
  "pth/safetensors $(python3 -c "print(f'{$o/$s:.2f}')")x, torch.load/clens $(python3 -c "print(f'{$t/$o:.2f}')")x"
