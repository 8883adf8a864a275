#!/usr/bin/env bash
# AutoAttack's standard evaluation next to PGD-20, and next to torchattacks 3.5.1.
# Trains a Fashion-MNIST ResNet-18 (CIFAR stem, width 16) once with PyTorch
# (Benchmarks/peers/bench_autoattack.py train: 2 epochs, about 92 % test accuracy), then on
# the first N test images at the paper's eps grid (l-inf 2, 4, 8 /255; l2 0.5, 1.5, 2.5):
#   clens robustness --attack pgd (PGD-20) and --attack autoattack (standard: APGD-CE,
#   APGD-T, FAB-T, Square; 100 iterations, 9 targets, 5000 queries), and
#   bench_autoattack.py attack: the same four attacks from torchattacks' parts, same images
#   and weights (the .safetensors file both sides load).
# Prints per eps: robust accuracy under PGD-20 and AutoAttack (clens), AutoAttack
# (torchattacks), the PGD - AutoAttack gap, and the seconds each AutoAttack took (clens:
# the stages' own times, without its sanity checks) with the speed ratio.
# Usage: Benchmarks/autoattack-vs-peers.sh [N] [NORMS]   (defaults: 100 linf,l2; OUT=folder)
set -euo pipefail
cd "$(dirname "$0")/.."
python3 Benchmarks/peers/check_peers.py torch torchattacks safetensors
n=${1:-100}
norms=${2:-linf,l2}
out=${OUT:-.build/autoattack-bench}
peer=Benchmarks/peers/bench_autoattack.py
swift build -c release --product clens >/dev/null
clens=.build/release/clens
mkdir -p "$out"
if [ ! -f "$out/model.safetensors" ]; then
  python3 "$peer" train --out "$out" --n "$n" | tee "$out/train.txt"
elif [ "$(python3 -c "import numpy; print(len(numpy.load('$out/y.npy')))")" != "$n" ]; then
  python3 "$peer" images --out "$out" --n "$n" >/dev/null
fi
model=(--weights "$out/model.safetensors" --arch resnet18 --width 16 --stem cifar --in-channels 1
  --num-classes 10 --normalize-mean 0.2860 --normalize-std 0.3530 --images "$out/x.npy" --labels "$out/y.npy"
  --threads 2 --check-examples 10 --square-queries 100 --out-dir "$out" --quiet)
for norm in ${norms//,/ }; do
  if [ "$norm" = linf ]; then eps=2/255,4/255,8/255; else eps=0.5,1.5,2.5; fi
  "$clens" robustness "${model[@]}" --norm "$norm" --eps "$eps" --json > "$out/pgd-$norm.json" || true
  "$clens" robustness "${model[@]}" --norm "$norm" --eps "$eps" --attack autoattack --json > "$out/aa-$norm.json" || true
  python3 "$peer" attack --out "$out" --norm "$norm" --eps "$eps" > "$out/peer-$norm.txt"
  python3 - "$out" "$norm" "$eps" <<'PY'
import json, sys
out, norm, eps = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
pgd = json.load(open(f"{out}/robustness-{norm}.json"))
aa = json.load(open(f"{out}/robustness-{norm}-autoattack.json"))
peer = dict(line.split(": ", 1) for line in open(f"{out}/peer-{norm}.txt") if not line.startswith("#"))
value = lambda key: float(peer[key].split()[0])
print(f"{norm}: n = {aa['n']}, clean accuracy {100 * aa['clean_accuracy']:.1f} % "
      f"(torchattacks {100 * value('aa_clean_accuracy'):.1f} %)")
print("  eps        PGD-20   AA clens   AA torchattacks   gap PGD-AA   AA seconds clens / torchattacks   ratio")
for e, text in enumerate(eps):
    stages = aa["stages"][e]
    ours = sum(s["seconds"] for s in stages)
    theirs = value(f"aa_{norm}_eps{text}_seconds")
    after = " → ".join(f"{s['name']} {100 * s['robust_accuracy']:.1f}" for s in stages)
    theirs_after = " → ".join(
        f"{name} {100 * value(f'aa_{norm}_eps{text}_{name}_robust_accuracy'):.1f}"
        for name in ("apgd-ce", "apgd-t", "fab-t", "square"))
    print(f"  {text:9s} {100 * pgd['robust_accuracy'][e]:6.1f} %  {100 * aa['robust_accuracy'][e]:6.1f} %  "
          f"{100 * value(f'aa_{norm}_eps{text}_square_robust_accuracy'):12.1f} %  "
          f"{100 * (pgd['robust_accuracy'][e] - aa['robust_accuracy'][e]):8.1f} pp  {ours:12.1f} / {theirs:.1f}"
          f"{theirs / ours:20.2f}x")
    print(f"    clens stages:        {after}")
    print(f"    torchattacks stages: {theirs_after}")
failed = [c["name"] for c in aa["sanity_checks"] if not c["passed"]]
print(f"  AutoAttack sanity checks failed: {', '.join(failed) if failed else 'none'}")
PY
done
