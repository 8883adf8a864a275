#!/usr/bin/env python3
"""A small PyTorch run whose outputs ContrastLens reads: the walkthroughs' stand-in for
a user's own training script.

  python3 notebooks-md/scripts/pytorch_run.py --out pytorch-run

trains a torchvision-style ResNet-18 (width 16, CIFAR stem, 1 input channel) on
Fashion-MNIST (Debian's dataset-fashion-mnist) for --steps SimCLR steps, then a linear
classifier on top with cross-entropy for --ce-steps steps, and writes into --out:

  model.safetensors           the classifier, as safetensors.torch.save_file writes it
  features.npy, labels.npy    penultimate features of --eval test images, and labels
  positives.npy               features of a second augmented view of the same images
  scores.jsonl                positive/negative cosine scores of every logged SimCLR
                              step, in ContrastLens's scores.jsonl format

Needs: pip install torch safetensors numpy
"""
import argparse
import gzip
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

DATA = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530


def read_idx(name):
    with gzip.open(os.path.join(DATA, name)) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class BasicBlock(nn.Module):
    """torchvision's BasicBlock, with its parameter names."""

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class NarrowResNet18(nn.Module):
    """torchvision's ResNet-18 (same parameter names, so the state dict is what
    torchvision.models.resnet18 would save) at base width 16 with the CIFAR stem: a 3x3
    stride-1 convolution and no max-pool."""

    def __init__(self, width=16, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        widths = [width, 2 * width, 4 * width, 8 * width]
        inplanes = width
        for index, planes in enumerate(widths):
            stride = 1 if index == 0 else 2
            setattr(self, f"layer{index + 1}", nn.Sequential(BasicBlock(inplanes, planes, stride), BasicBlock(planes, planes)))
            inplanes = planes
        self.fc = nn.Linear(8 * width, num_classes)

    def features(self, x):
        x = F.relu(self.bn1(self.conv1((x - MEAN) / STD)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return x.mean(dim=(2, 3))

    def forward(self, x):
        return self.fc(self.features(x))


def augment(x, g):
    """A random crop (pad 3, shift) and horizontal flip per image, as a SimCLR view."""
    n = x.shape[0]
    padded = F.pad(x, (3, 3, 3, 3))
    dx, dy = torch.randint(0, 7, (n,), generator=g), torch.randint(0, 7, (n,), generator=g)
    out = torch.stack([padded[i, :, dy[i]:dy[i] + 28, dx[i]:dx[i] + 28] for i in range(n)])
    flip = torch.rand(n, generator=g) < 0.5
    out[flip] = out[flip].flip(-1)
    return out


def score_stats(scores, bins=40):
    counts, edges = np.histogram(scores, bins=bins, range=(-1, 1))
    return {"mean": float(scores.mean()), "variance": float(scores.var(ddof=1)), "count": int(scores.size),
            "histogram": {"edges": edges.tolist(), "counts": counts.tolist()}}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--ce-steps", type=int, default=150)
    ap.add_argument("--eval", type=int, default=2000)
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    g = torch.Generator().manual_seed(0)
    os.makedirs(args.out, exist_ok=True)
    images = torch.from_numpy(read_idx("train-images-idx3-ubyte.gz").astype(np.float32) / 255).unsqueeze(1)
    labels = torch.from_numpy(read_idx("train-labels-idx1-ubyte.gz").astype(np.int64))
    model = NarrowResNet18()
    head = nn.Sequential(nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 128))
    opt = torch.optim.SGD(list(model.parameters()) + list(head.parameters()), lr=0.06, momentum=0.9, weight_decay=1e-4)
    tau = 0.5
    with open(os.path.join(args.out, "scores.jsonl"), "w") as log:
        for step in range(1, args.steps + 1):
            x = images[torch.randint(0, len(images), (128,), generator=g)]
            z = F.normalize(head(model.features(torch.cat([augment(x, g), augment(x, g)]))), dim=1)
            sim = z @ z.t()
            n = x.shape[0]
            positive = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
            logits = (sim / tau).masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
            loss = F.cross_entropy(logits, positive)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 5 == 0:
                s = sim.detach().numpy()
                is_positive = np.zeros_like(s, dtype=bool)
                is_positive[np.arange(2 * n), positive.numpy()] = True
                off_diagonal = ~np.eye(2 * n, dtype=bool)
                record = {"step": step, "positive": score_stats(s[is_positive]),
                          "negative": score_stats(s[off_diagonal & ~is_positive])}
                log.write(json.dumps(record) + "\n")
                print(f"simclr step {step}: loss {loss.item():.4f}")
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    for step in range(1, args.ce_steps + 1):
        index = torch.randint(0, len(images), (128,), generator=g)
        loss = F.cross_entropy(model(augment(images[index], g)), labels[index])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"cross-entropy step {args.ce_steps}: loss {loss.item():.4f}")
    model.eval()
    save_file(model.state_dict(), os.path.join(args.out, "model.safetensors"))
    test = torch.from_numpy(read_idx("t10k-images-idx3-ubyte.gz")[:args.eval].astype(np.float32) / 255).unsqueeze(1)
    test_labels = read_idx("t10k-labels-idx1-ubyte.gz")[:args.eval].astype(np.int64)
    with torch.no_grad():
        np.save(os.path.join(args.out, "features.npy"), model.features(test).numpy())
        np.save(os.path.join(args.out, "positives.npy"), model.features(augment(test, g)).numpy())
        accuracy = (model(test).argmax(1).numpy() == test_labels).mean()
    np.save(os.path.join(args.out, "labels.npy"), test_labels)
    print(f"test accuracy on {args.eval} images: {accuracy:.4f}; wrote {args.out}/")


if __name__ == "__main__":
    main()
