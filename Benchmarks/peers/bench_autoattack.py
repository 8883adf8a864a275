#!/usr/bin/env python3
"""AutoAttack (standard) with torchattacks 3.5.1 on a Fashion-MNIST ResNet-18, and the
model and images ContrastLens attacks in Benchmarks/autoattack-vs-peers.sh.

  train   trains torchvision's ResNet-18 (CIFAR stem, width 16, 1 channel, (x - 0.2860)/0.3530
          inside) on the Fashion-MNIST training split (--epochs, SGD, seed 0) and writes
          OUT/model.safetensors (torchvision's names, normalisation outside), OUT/x.npy
          (uint8 [N, 28, 28], the first --n test images) and OUT/y.npy (int64 [N]).
  images  writes OUT/x.npy and OUT/y.npy only (another --n for the same model).
  attack  runs fra31/auto-attack's standard version from torchattacks' parts (APGD-CE,
          APGD-T with 9 targets, FAB-T with 9 targets, 100 iterations each, Square with 5000
          queries; each on the points still robust, as torchattacks' MultiAttack does) on
          those images at each --eps, and prints per eps the robust accuracy after each
          attack and its seconds, as `key: value` lines.

torchattacks' own AutoAttack class builds these attacks with its defaults (10 iterations),
weaker than fra31's standard; the parts are used here so both sides run the same attack.

Usage: python3 bench_autoattack.py train --out DIR [--epochs 2] [--n 200]
       python3 bench_autoattack.py images --out DIR --n 100
       python3 bench_autoattack.py attack --out DIR --norm linf --eps 2/255,4/255,8/255
"""
from common import setup_threads, torch_threads, emit, header, load_fashion_mnist
N_THREADS = setup_threads()

import argparse
import os
import time
from fractions import Fraction

import torch.nn as nn

MEAN, STD = 0.2860, 0.3530


class Normalized(nn.Module):
    """(x - mean)/std in front of the network, so attacks work on pixels in [0, 1]."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net((x - MEAN) / STD)


def train(args, torch):
    import numpy as np
    import torch.nn.functional as F
    from safetensors.torch import save_file
    import models

    os.makedirs(args.out, exist_ok=True)
    x, y = load_fashion_mnist("train")
    xt, yt = load_fashion_mnist("test")
    x = torch.tensor(x, dtype=torch.float32).unsqueeze(1) / 255
    y = torch.tensor(y, dtype=torch.int64)
    torch.manual_seed(0)
    net = models.resnet18_width(16, 10, 1)
    model = Normalized(net)
    steps_per_epoch = (len(x) + 127) // 128
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=args.epochs * steps_per_epoch)
    start = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 128):
            idx = perm[i:i + 128]
            batch = x[idx]
            flip = torch.rand(len(idx)) < 0.5
            batch[flip] = batch[flip].flip(3)
            loss = F.cross_entropy(model(batch), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        print(f"epoch {epoch + 1}: loss {loss.item():.3f} ({time.time() - start:.0f} s)", flush=True)
    model.eval()
    with torch.no_grad():
        test = torch.tensor(xt, dtype=torch.float32).unsqueeze(1) / 255
        accuracy = sum((model(test[i:i + 500]).argmax(1) == torch.tensor(yt[i:i + 500], dtype=torch.int64)).sum().item()
                       for i in range(0, len(test), 500)) / len(test)
    emit("aa_model_test_accuracy", accuracy)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, f"{args.out}/model.safetensors")
    images(args, torch)


def images(args, torch):
    import numpy as np
    xt, yt = load_fashion_mnist("test")
    np.save(f"{args.out}/x.npy", xt[:args.n])
    np.save(f"{args.out}/y.npy", yt[:args.n].astype(np.int64))


def attack(args, torch):
    import numpy as np
    import torchattacks
    from safetensors.torch import load_file
    import models

    net = models.resnet18_width(16, 10, 1)
    net.load_state_dict(load_file(f"{args.out}/model.safetensors"))
    model = Normalized(net).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    x = torch.tensor(np.load(f"{args.out}/x.npy"), dtype=torch.float32).unsqueeze(1) / 255
    y = torch.tensor(np.load(f"{args.out}/y.npy"))
    norm = {"linf": "Linf", "l2": "L2"}[args.norm]
    with torch.no_grad():
        clean = model(x).argmax(1) == y
    emit("aa_clean_accuracy", clean.float().mean().item())
    for text in args.eps.split(","):
        eps = float(Fraction(text))
        attacks = [
            ("apgd-ce", torchattacks.APGD(model, norm=norm, eps=eps, steps=100, n_restarts=1, loss="ce", seed=0)),
            ("apgd-t", torchattacks.APGDT(model, norm=norm, eps=eps, steps=100, n_restarts=1, n_classes=10, seed=0)),
            ("fab-t", torchattacks.FAB(model, norm=norm, eps=eps, steps=100, n_restarts=1, multi_targeted=True,
                                        n_classes=10, seed=0)),
            ("square", torchattacks.Square(model, norm=norm, eps=eps, n_queries=5000, n_restarts=1, seed=0)),
        ]
        robust = clean.clone()
        total = 0.0
        for name, atk in attacks:
            idx = robust.nonzero().squeeze(1)
            start = time.time()
            if len(idx) > 0:
                adv = atk(x[idx], y[idx])
                with torch.no_grad():
                    fooled = model(adv).argmax(1) != y[idx]
                robust[idx[fooled]] = False
            seconds = time.time() - start
            total += seconds
            emit(f"aa_{args.norm}_eps{text}_{name}_robust_accuracy", robust.float().mean().item())
            emit(f"aa_{args.norm}_eps{text}_{name}_seconds", seconds, "s")
        emit(f"aa_{args.norm}_eps{text}_seconds", total, "s")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["train", "images", "attack"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--norm", default="linf", choices=["linf", "l2"])
    ap.add_argument("--eps", default="2/255,4/255,8/255")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    header("bench_autoattack.py")
    torch = torch_threads(args.threads)
    {"train": train, "images": images, "attack": attack}[args.command](args, torch)


if __name__ == "__main__":
    main()
