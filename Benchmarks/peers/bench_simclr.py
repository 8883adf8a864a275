#!/usr/bin/env python3
"""PyTorch peer of ContrastLens's training (CPU): SimCLR / SupCon pre-training and
CE / Core-tuning fine-tuning steps.

Model (defined here, no torchvision model import): torchvision-style ResNet-18 with
torchvision's parameter names, CIFAR stem (3x3 stride-1 conv1, no max-pool), base width
16 or 64, 1 or 3 input channels, fc removed -> pooled features of 8*width dims;
initialisation as torchvision (convs kaiming_normal fan_out/relu, BN weight 1 bias 0,
Linear PyTorch's default). SupContrast's SupConResNet layout: `encoder` (the ResNet) and
`head` = Sequential(Linear(D, D), ReLU, Linear(D, 128)); outputs L2-normalised. Both
views are concatenated into ONE forward pass of 2B images (BN statistics shared across
views), split and stacked to [B, 2, 128]. Loss: SupConLoss as in HobbitLong/SupContrast
(Dec-2023, with the no-positive guard; re-implemented here): SimCLR = no labels, SupCon =
labels. Optimiser: SGD momentum 0.9, weight decay 1e-4.

Modes
  step   training-step throughput (forward of 2B images, loss, backward, SGD step with
         lr 0.1) on pre-built random N(0, 1) inputs (no data loading, no augmentation,
         no input normalisation), per config in its own subprocess (peak RSS per config):
           w16: width 16, 1x28x28, 2 views x 256 images
           w64: width 64, 3x32x32, 2 views x 64 images
         `--warmup` untimed steps, then `--steps` timed ones; images = 2*B per step.
         Prints <method>_<config>_b<B>_images_per_s_best / _median (img/s),
         _step_best / _step_median (s), _params, _peak_rss (MiB).
  finetune-step
         fine-tuning step throughput on pre-built random inputs: CE-tuning or Core-tuning
         (--finetune-method; the released code's hard pairs, soft-label CE over 3B rows and
         focal SupCon, eta 0.1) of a ResNet-18 with a bias-free classifier and the
         Contrastor head, SGD Nesterov lr 0.01; w16 = width 16, 1x28x28, batch 64;
         w64 = width 64, 3x32x32, batch 64. Prints <method>_<config>_b64_images_per_s_best.
  moco-step
         MoCo v2 step throughput (queries of view 1 with grad, keys of view 2 by the momentum
         encoder under no_grad with shuffle-BN emulated in 2 groups, InfoNCE against a
         --moco-k queue, tau 0.2, SGD, the moving-average update and the enqueue), with
         --feature-transform the FT transform first; configs as step mode (w16: 2 x 256).
         Prints moco[-ft]_<config>_b<B>_images_per_s_best (images = 2B per step).
  ddp-step
         step mode's SimCLR/SupCon step data-parallel under `torchrun --nproc_per_node P`
         (DistributedDataParallel, gloo backend): each rank forwards its B/P images of each
         view, the embeddings are all-gathered (the local rows stay on the graph, the others
         are constants, as SimCLR's multi-device code), every rank computes the loss of the
         global batch, and DDP all-reduces the gradients (the loss is scaled by P, since DDP
         averages). Rank 0 prints the step mode's lines for the global batch (views = 2B).
  train  real pre-training on Fashion-MNIST (IDX .gz files read from
         /usr/share/datasets/fashion-mnist with gzip + numpy), ResNet-18 width 16, 1 input
         channel, inputs normalised inside the model (mean 0.2860, std 0.3530; images stay
         in [0, 1] through augmentation). Each of the 2 views: torchvision
         RandomResizedCrop(28, scale=(0.2, 1.0)), RandomHorizontalFlip(),
         RandomApply([ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8), RandomGrayscale(p=0.2), on
         1x28x28 float tensors. DataLoader with --workers processes, shuffle, drop_last.
         Learning rate (default 0.25 * batch / 1024): --schedule cosine-step (default, as
         clens pretrain) sets lr_t = eta_min + (lr - eta_min) * (1 + cos(pi * t / T)) / 2 at
         step t of T; cosine-epoch sets SupContrast's lr_e at the start of epoch e (1-based)
         with e / E in place of t / T; eta_min = lr * 0.1**3, no warm-up. Prints per epoch loss (mean over its batches), lr, seconds and the
         seconds spent waiting for the loader; total seconds. Then writes the backbone's
         pooled features (eval mode, no augmentation) of the train split and the test split
         to --out: train.npy, train.labels.npy, test.npy, test.labels.npy (float32 / int64),
         to be scored by eval_features.py.
         --limit N trains on (and exports) a seeded class-stratified sample of N training
         images instead of all 60000; --limit-test N does the same for the test split.

Output: `name: value unit` lines; lines starting with `#` are provenance/comments.

Usage:
  python3 bench_simclr.py step --configs w16,w64 --warmup 2 --steps 10
  python3 bench_simclr.py train --method simclr --epochs 5 --out peer-features/simclr
  python3 bench_simclr.py train --method supcon --epochs 5 --out peer-features/supcon
  python3 eval_features.py --train peer-features/simclr/train.npy \\
      --train-labels peer-features/simclr/train.labels.npy \\
      --test peer-features/simclr/test.npy --test-labels peer-features/simclr/test.labels.npy
"""
import argparse
import os
import sys

CONFIGS = {
    # name: (width, in_channels, size, batch per view)
    "w16": (16, 1, 28, 256),
    "w64": (64, 3, 32, 64),
}
FMNIST = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["step", "train", "finetune-step", "moco-step", "ddp-step"],
                    help="what to run (see above)")
    ap.add_argument("--threads", type=int, default=2,
                    help="compute threads: OMP/MKL/OpenBLAS pools and torch.set_num_threads (default 2)")
    ap.add_argument("--method", choices=["simclr", "supcon"], default="simclr",
                    help="simclr: no labels; supcon: labels (step mode: random labels of 10 classes)")
    ap.add_argument("--temperature", type=float, default=None,
                    help="loss temperature (default 0.5 for simclr, 0.1 for supcon)")
    ap.add_argument("--base-temperature", type=float, default=0.07,
                    help="SupConLoss base temperature; the loss is scaled by temperature / base "
                         "(SupContrast's default 0.07, also used by its SimCLR runs)")
    ap.add_argument("--seed", type=int, default=0, help="torch / numpy / sampling seed")
    step = ap.add_argument_group("step mode")
    step.add_argument("--configs", default="w16,w64", help="comma list of " + ", ".join(CONFIGS))
    step.add_argument("--warmup", type=int, default=2, help="untimed steps")
    step.add_argument("--steps", type=int, default=10, help="timed steps")
    step.add_argument("--step-lr", type=float, default=0.1, help="SGD learning rate of the timed steps")
    step.add_argument("--one", default=None, help=argparse.SUPPRESS)  # internal: a config in-process
    step.add_argument("--finetune-method", choices=["ce", "core"], default="core",
                      help="finetune-step mode: CE-tuning or Core-tuning (eta 0.1, alpha 1)")
    step.add_argument("--feature-transform", action="store_true",
                      help="moco-step mode: Feature Transformation (alpha_p 2.0, alpha_n 1.6, scalar draws)")
    step.add_argument("--moco-k", type=int, default=4096, help="moco-step mode: queue size")
    train = ap.add_argument_group("train mode")
    train.add_argument("--epochs", type=int, default=5)
    train.add_argument("--batch-size", type=int, default=256, help="images per view per step")
    train.add_argument("--lr", type=float, default=None,
                       help="peak learning rate (default: 0.25 * batch / 1024, as clens pretrain)")
    train.add_argument("--schedule", choices=["cosine-step", "cosine-epoch"], default="cosine-step",
                       help="cosine over steps (clens pretrain's default) or SupContrast's per-epoch cosine")
    train.add_argument("--workers", type=int, default=2, help="DataLoader worker processes")
    train.add_argument("--limit", type=int, default=0,
                       help="seeded class-stratified sample of N training images (0: all 60000)")
    train.add_argument("--limit-test", type=int, default=0,
                       help="seeded class-stratified sample of N test images for the export (0: all 10000)")
    train.add_argument("--out", default=None, help="folder for the exported features (train mode)")
    train.add_argument("--feature-batch", type=int, default=500, help="batch of the feature export")
    args = ap.parse_args()
    if args.temperature is None:
        args.temperature = 0.5 if args.method == "simclr" else 0.1
    if args.mode == "train" and not args.out:
        ap.error("train mode needs --out DIR")
    if args.mode == "train" and args.lr is None:
        args.lr = 0.25 * args.batch_size / 1024
    return args


ARGS = parse_args()
from common import emit, peak_rss_mib  # noqa: E402  (no numeric library: safe before the thread setup)
# Thread pools are sized before torch / numpy load.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = str(ARGS.threads)

import gzip  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(ARGS.threads)


# ---------------------------------------------------------------- output

def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def header():
    print(f"# bench_simclr.py {' '.join(sys.argv[1:])}", flush=True)
    print(f"# torch {torch.__version__}, numpy {np.__version__}, python {platform.python_version()}", flush=True)
    print(f"# threads {torch.get_num_threads()} (OMP/MKL/OPENBLAS_NUM_THREADS={ARGS.threads}), "
          f"cpu: {cpu_model()} x{os.cpu_count()}", flush=True)


def cpu_snapshot(pids=()):
    """(wall s, CPU s used by the whole machine, CPU s used by this process and `pids`),
    from /proc: the difference of two snapshots tells how busy other processes kept the
    machine (the machine may be shared)."""
    ticks = os.sysconf("SC_CLK_TCK")
    try:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        machine = (sum(values[:8]) - values[3] - values[4]) / ticks  # all but idle and iowait
    except OSError:
        machine = float("nan")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    own = usage.ru_utime + usage.ru_stime
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            own += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return time.perf_counter(), machine, own


def foreign_cores(before, after):
    """CPU cores kept busy by other processes between two cpu_snapshot()s."""
    wall = after[0] - before[0]
    return max(0.0, ((after[1] - before[1]) - (after[2] - before[2])) / wall) if wall > 0 else float("nan")


# ---------------------------------------------------------------- model

class BasicBlock(nn.Module):
    """torchvision's BasicBlock (same attribute names)."""

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet18(nn.Module):
    """ResNet-18 with torchvision's parameter names, CIFAR stem (3x3 stride-1 conv1, no
    max-pool) and no fc: forward returns the 8*width pooled features. With mean/std the
    input is normalised inside (non-persistent buffers: not in the state dict)."""

    def __init__(self, width=16, in_channels=1, mean=None, std=None):
        super().__init__()
        self.normalise = mean is not None
        if self.normalise:
            self.register_buffer("input_mean", torch.tensor(mean).view(1, -1, 1, 1), persistent=False)
            self.register_buffer("input_std", torch.tensor(std).view(1, -1, 1, 1), persistent=False)
        self.conv1 = nn.Conv2d(in_channels, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        planes, layers = width, []
        for i in range(4):
            out = width * 2 ** i
            stride = 1 if i == 0 else 2
            layers.append(nn.Sequential(BasicBlock(planes, out, stride), BasicBlock(out, out)))
            planes = out
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.feature_dim = 8 * width
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        if self.normalise:
            x = (x - self.input_mean) / self.input_std
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(self.avgpool(x), 1)


class ContrastiveModel(nn.Module):
    """SupContrast's SupConResNet: encoder + MLP head, L2-normalised output."""

    def __init__(self, width, in_channels, mean=None, std=None, feat_dim=128):
        super().__init__()
        self.encoder = ResNet18(width, in_channels, mean, std)
        dim = self.encoder.feature_dim
        self.head = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(inplace=True), nn.Linear(dim, feat_dim))

    def forward(self, x):
        return F.normalize(self.head(self.encoder(x)), dim=1)


def supcon_loss(features, labels=None, mask=None, temperature=0.07, base_temperature=0.07,
                contrast_mode="all"):
    """SupConLoss (HobbitLong/SupContrast, Dec-2023 with the no-positive guard), our own
    code; the same function as scripts/fixtures/training.py. features [B, V, d], already
    L2-normalised; labels [B] or mask [B, B] or neither (SimCLR)."""
    if labels is not None and mask is not None:
        raise ValueError("give labels or mask, not both")
    batch, views, _ = features.shape
    if labels is not None:
        labels = labels.reshape(-1, 1)
        base = (labels == labels.T).to(features.dtype)
    elif mask is not None:
        base = mask.to(features.dtype)
    else:
        base = torch.eye(batch, dtype=features.dtype, device=features.device)
    contrast = torch.cat(torch.unbind(features, dim=1), dim=0)  # view-major [B*V, d]
    if contrast_mode == "one":
        anchors, anchor_views = features[:, 0], 1
    else:
        anchors, anchor_views = contrast, views
    logits = anchors @ contrast.T / temperature
    logits = logits - logits.max(dim=1, keepdim=True).values.detach()
    rows = batch * anchor_views
    not_self = torch.ones_like(logits)
    not_self[torch.arange(rows), torch.arange(rows)] = 0
    positives = base.repeat(anchor_views, views) * not_self
    log_prob = logits - torch.log((torch.exp(logits) * not_self).sum(dim=1, keepdim=True))
    mean_log_prob_pos = (positives * log_prob).sum(dim=1) / positives.sum(dim=1).clamp(min=1.0)
    return (-(temperature / base_temperature) * mean_log_prob_pos).mean()


def contrastive_step(model, optimizer, view1, view2, labels, args):
    """One training step as SupContrast's train(): one forward of both views (2B images),
    split, stack to [B, 2, d], SupConLoss, backward, SGD step."""
    batch = view1.shape[0]
    images = torch.cat([view1, view2], dim=0)
    z = model(images)
    z1, z2 = torch.split(z, [batch, batch], dim=0)
    features = torch.stack([z1, z2], dim=1)
    loss = supcon_loss(features, labels=labels if args.method == "supcon" else None,
                       temperature=args.temperature, base_temperature=args.base_temperature)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss


def sgd(model, lr):
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)


# ---------------------------------------------------------------- step mode

def run_step_config(args, name):
    width, channels, size, batch = CONFIGS[name]
    torch.manual_seed(args.seed)
    model = ContrastiveModel(width, channels)
    model.train()
    optimizer = sgd(model, args.step_lr)
    pool = [(torch.randn(batch, channels, size, size), torch.randn(batch, channels, size, size),
             torch.randint(0, 10, (batch,))) for _ in range(2)]

    def step(i):
        view1, view2, labels = pool[i % len(pool)]
        return contrastive_step(model, optimizer, view1, view2, labels, args).item()

    for i in range(args.warmup):
        step(i)
    times, foreign = [], []
    for i in range(args.steps):
        before = cpu_snapshot()
        start = time.perf_counter()
        step(args.warmup + i)
        times.append(time.perf_counter() - start)
        foreign.append(foreign_cores(before, cpu_snapshot()))
    images = 2 * batch
    key = f"{args.method}_{name}_b{batch}"
    print(f"# {key}: ResNet-18 width {width}, {channels}x{size}x{size}, 2 views x {batch}, "
          f"tau {args.temperature}, base tau {args.base_temperature}, "
          f"{args.warmup} warm-up + {args.steps} timed steps", flush=True)
    print(f"# {key}: step seconds {' '.join(f'{t:.3f}' for t in times)}; CPU cores used by other "
          f"processes during each step {' '.join(f'{f:.2f}' for f in foreign)}", flush=True)
    emit(f"{key}_params", sum(p.numel() for p in model.parameters()), "params")
    emit(f"{key}_step_best", min(times), "s")
    emit(f"{key}_step_median", statistics.median(times), "s")
    emit(f"{key}_images_per_s_best", images / min(times), "img/s")
    emit(f"{key}_images_per_s_median", images / statistics.median(times), "img/s")
    emit(f"{key}_peak_rss", peak_rss_mib(), "MiB")


def step_mode(args):
    if args.one:
        {"finetune-step": run_finetune_config, "moco-step": run_moco_config}.get(args.mode, run_step_config)(
            args, args.one)
        return
    header()
    names = [c.strip() for c in args.configs.split(",") if c.strip()]
    for name in names:
        if name not in CONFIGS:
            sys.exit(f"unknown config {name!r} (known: {', '.join(CONFIGS)})")
    for name in names:
        # each config in its own process, so that peak RSS is per config
        result = subprocess.run([sys.executable, os.path.abspath(__file__)] + sys.argv[1:] + ["--one", name])
        if result.returncode != 0:
            print(f"# FAILED {name}: exit status {result.returncode}", flush=True)


# ---------------------------------------------------------------- finetune-step mode
# Core-tuning (Vanint/Core-tuning, Core-tuning.py), our own code as the fixture script
# scripts/fixtures/core_tuning.py has it: the released code's hard-pair generation (its
# hard-positive argmin, detached originals), soft-label CE over the 3B rows, focal SupCon
# (1/N normaliser, groups of equal soft labels), total = CE + 0.1 * focal.

FINETUNE_CONFIGS = {"w16": (16, 1, 28, 64), "w64": (64, 3, 32, 64)}


class FineTuneModel(nn.Module):
    """Encoder + bias-free classifier + Contrastor (D -> D -> ReLU -> 256, normalised)."""

    def __init__(self, width, in_channels, classes=10, contrast_dim=256):
        super().__init__()
        self.encoder = ResNet18(width, in_channels)
        dim = self.encoder.feature_dim
        self.classifier = nn.Linear(dim, classes, bias=False)
        self.head = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(inplace=True), nn.Linear(dim, contrast_dim))


def hard_pairs(features, labels, classes, alpha=1.0, floor=0.8):
    b = features.shape[0]
    onehot = F.one_hot(labels, classes).float()
    unit = F.normalize(features.detach(), dim=1)
    sim = unit @ unit.T
    same = labels.view(-1, 1) == labels.view(1, -1)
    eye = torch.eye(b, dtype=torch.bool)
    perm = torch.from_numpy(np.random.permutation(b))
    lam = torch.from_numpy(np.maximum(np.random.beta(alpha, alpha, b), floor)).float().view(-1, 1)
    f1 = (1 - lam) * features + lam * features[perm]
    y1 = (1 - lam) * onehot + lam * onehot[perm]
    negative = (sim * (~same).float()).argmax(dim=1)
    positive = (sim * (same & ~eye).float()).argmin(dim=1)
    positive = torch.where(positive == 0, torch.arange(b), positive)
    mu = torch.from_numpy(np.random.beta(alpha, alpha, b)).float().view(-1, 1)
    f2 = mu * features[positive] + (1 - mu) * features[negative]
    y2 = mu * onehot[positive] + (1 - mu) * onehot[negative]
    return torch.cat([features.detach(), f1, f2]), torch.cat([onehot, y1, y2])


def focal_supcon(z, targets, tau=0.07):
    groups = torch.from_numpy(np.unique(targets.detach().numpy(), axis=0, return_inverse=True)[1].reshape(-1))
    n = z.shape[0]
    not_self = 1 - torch.eye(n)
    positive = (groups.view(-1, 1) == groups.view(1, -1)).float() * not_self
    logits = z @ z.T / tau
    logits = logits - logits.max(dim=1, keepdim=True).values.detach()
    log_prob = logits - torch.log((torch.exp(logits) * not_self).sum(1, keepdim=True))
    r = ((1 - torch.exp(log_prob)) * positive * log_prob).mean(1)
    anchors = int((positive.sum(1) > 0).sum())
    return -r.sum() / anchors if anchors else z.sum() * 0


def run_finetune_config(args, name):
    width, channels, size, batch = FINETUNE_CONFIGS[name]
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    model = FineTuneModel(width, channels)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4)
    pool = [(torch.randn(batch, channels, size, size), torch.randint(0, 10, (batch,))) for _ in range(2)]

    def step(i):
        images, labels = pool[i % len(pool)]
        features = model.encoder(images)
        if args.finetune_method == "ce":
            loss = F.cross_entropy(model.classifier(features), labels)
        else:
            rows, targets = hard_pairs(features, labels, 10)
            ce = -(F.log_softmax(model.classifier(rows), dim=1) * targets).sum(1).mean()
            loss = ce + 0.1 * focal_supcon(F.normalize(model.head(rows), dim=1), targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.item()

    for i in range(args.warmup):
        step(i)
    times = []
    for i in range(args.steps):
        start = time.perf_counter()
        step(args.warmup + i)
        times.append(time.perf_counter() - start)
    key = f"{args.finetune_method}_{name}_b{batch}"
    print(f"# {key}: ResNet-18 width {width}, {channels}x{size}x{size}, batch {batch}, SGD Nesterov, "
          f"{args.warmup} warm-up + {args.steps} timed steps", flush=True)
    emit(f"{key}_step_best", min(times), "s")
    emit(f"{key}_step_median", statistics.median(times), "s")
    emit(f"{key}_images_per_s_best", batch / min(times), "img/s")
    emit(f"{key}_images_per_s_median", batch / statistics.median(times), "img/s")
    emit(f"{key}_peak_rss", peak_rss_mib(), "MiB")


# ---------------------------------------------------------------- moco-step mode

def run_moco_config(args, name):
    import copy
    width, channels, size, batch = CONFIGS[name]
    torch.manual_seed(args.seed)
    model = ContrastiveModel(width, channels)
    key_model = copy.deepcopy(model)
    for p in key_model.parameters():
        p.requires_grad = False
    model.train()
    key_model.train()
    optimizer = sgd(model, args.step_lr)
    queue = F.normalize(torch.randn(args.moco_k, 128), dim=1)
    state = {"ptr": 0}
    pool = [(torch.randn(batch, channels, size, size), torch.randn(batch, channels, size, size)) for _ in range(2)]

    def step(i):
        x1, x2 = pool[i % len(pool)]
        q = model(x1)
        with torch.no_grad():
            order = torch.randperm(batch)
            k = torch.cat([key_model(part) for part in x2[order].chunk(2)])[torch.argsort(order)]
        negatives = queue.clone()
        if args.feature_transform:
            lam = float(np.random.beta(2.0, 2.0)) + 1
            mu = float(np.random.beta(1.6, 1.6))
            perm = torch.randperm(args.moco_k)
            q, k2 = lam * q + (1 - lam) * k, lam * k + (1 - lam) * q
            negatives = mu * negatives + (1 - mu) * negatives[perm]
        else:
            k2 = k
        logits = torch.cat([(q * k2).sum(1, keepdim=True), q @ negatives.T], dim=1) / 0.2
        loss = F.cross_entropy(logits, torch.zeros(batch, dtype=torch.long))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            for pk, pq in zip(key_model.parameters(), model.parameters()):
                pk.mul_(0.99).add_(pq.detach(), alpha=0.01)
            idx = (state["ptr"] + torch.arange(batch)) % args.moco_k
            queue[idx] = k
            state["ptr"] = (state["ptr"] + batch) % args.moco_k
        return loss.item()

    for i in range(args.warmup):
        step(i)
    times = []
    for i in range(args.steps):
        start = time.perf_counter()
        step(args.warmup + i)
        times.append(time.perf_counter() - start)
    key = f"moco{'-ft' if args.feature_transform else ''}_{name}_b{batch}"
    emit(f"{key}_step_best", min(times), "s")
    emit(f"{key}_images_per_s_best", 2 * batch / min(times), "img/s")
    emit(f"{key}_images_per_s_median", 2 * batch / statistics.median(times), "img/s")
    emit(f"{key}_peak_rss", peak_rss_mib(), "MiB")


# ---------------------------------------------------------------- train mode

def read_idx(name):
    with gzip.open(os.path.join(FMNIST, name)) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape).copy()


def stratified_sample(labels, n, seed):
    """Indices (sorted) of a seeded class-stratified sample of n items: n // C per class,
    one more for the first n % C classes."""
    classes = np.unique(labels)
    rng = np.random.default_rng(seed)
    chosen = []
    for i, c in enumerate(classes):
        count = n // len(classes) + (1 if i < n % len(classes) else 0)
        members = np.flatnonzero(labels == c)
        chosen.append(rng.choice(members, size=min(count, len(members)), replace=False))
    return np.sort(np.concatenate(chosen))


_TORCHVISION_OPS = None


def torchvision_transforms():
    """torchvision.transforms. PyPI's torchvision wheel is a CUDA build; installed next to
    a CPU-only torch its C++ ops library does not load, and `import torchvision` then
    fails while registering fake kernels for torchvision::nms / qnms. Only the
    pure-PyTorch tensor transforms are used here, so in that case the two op schemas
    are declared (no kernels) and the import is retried."""
    global _TORCHVISION_OPS
    try:
        import torchvision
    except RuntimeError as error:
        if "torchvision::" not in str(error):
            raise
        for module in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[module]
        _TORCHVISION_OPS = torch.library.Library("torchvision", "DEF")
        _TORCHVISION_OPS.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        _TORCHVISION_OPS.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        import torchvision
        print(f"# torchvision {torchvision.__version__}: its C++ ops did not load ({error}); "
              "declared nms/qnms so that the pure-PyTorch transforms import", flush=True)
    else:
        print(f"# torchvision {torchvision.__version__}", flush=True)
    from torchvision import transforms
    return transforms


class TwoViews(torch.utils.data.Dataset):
    """Fashion-MNIST images as 1x28x28 float tensors in [0, 1], two augmented views each
    (SupContrast's TwoCropTransform)."""

    def __init__(self, images, labels, transform):
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        x = torch.from_numpy(self.images[index]).float().div_(255).unsqueeze(0)
        return self.transform(x), self.transform(x), int(self.labels[index])


def cosine_lr(base_lr, fraction):
    """The cosine from base_lr to base_lr / 1000 at `fraction` of the schedule: SupContrast's
    adjust_learning_rate with --cosine when fraction = epoch / epochs (epoch 1-based),
    clens pretrain's cosine-step when fraction = step / total_steps."""
    eta_min = base_lr * 0.1 ** 3
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * fraction)) / 2


@torch.no_grad()
def export_features(encoder, images, batch):
    encoder.eval()
    out = []
    for start in range(0, len(images), batch):
        x = torch.from_numpy(images[start:start + batch]).float().div_(255).unsqueeze(1)
        out.append(encoder(x))
    return torch.cat(out).numpy().astype(np.float32)


def train_mode(args):
    header()
    transforms = torchvision_transforms()
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    train_images = read_idx("train-images-idx3-ubyte.gz")
    train_labels = read_idx("train-labels-idx1-ubyte.gz").astype(np.int64)
    test_images = read_idx("t10k-images-idx3-ubyte.gz")
    test_labels = read_idx("t10k-labels-idx1-ubyte.gz").astype(np.int64)
    if args.limit:
        keep = stratified_sample(train_labels, args.limit, args.seed)
        train_images, train_labels = train_images[keep], train_labels[keep]
    if args.limit_test:
        keep = stratified_sample(test_labels, args.limit_test, args.seed)
        test_images, test_labels = test_images[keep], test_labels[keep]

    transform = transforms.Compose([
        transforms.RandomResizedCrop(28, scale=(0.2, 1.0)),
        transforms.RandomHorizontalFlip(),
        transforms.RandomApply([transforms.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        transforms.RandomGrayscale(p=0.2),
    ])
    # Worker processes for the augmentation, as a PyTorch user would write it (SupContrast
    # uses num_workers=16 on its GPU machines). On a 2-core machine the 2 workers compete
    # with the 2 compute threads: that is the realistic setup being measured.
    loader = torch.utils.data.DataLoader(
        TwoViews(train_images, train_labels, transform), batch_size=args.batch_size, shuffle=True,
        num_workers=args.workers, drop_last=True, persistent_workers=args.workers > 0,
        generator=torch.Generator().manual_seed(args.seed))
    if len(loader) == 0:
        sys.exit(f"--batch-size {args.batch_size} is larger than the {len(train_images)} training images")

    model = ContrastiveModel(16, 1, mean=[MEAN], std=[STD])
    optimizer = sgd(model, args.lr)
    print(f"# train: {args.method}, ResNet-18 width 16, {len(train_images)} images, {len(loader)} steps/epoch "
          f"of 2 x {args.batch_size}, {args.epochs} epochs, lr {args.lr} {args.schedule}, tau {args.temperature}, "
          f"base tau {args.base_temperature}, {args.workers} workers, seed {args.seed}", flush=True)
    emit("params", sum(p.numel() for p in model.parameters()), "params")

    total_start = time.perf_counter()
    total_steps = args.epochs * len(loader)
    step = 0
    for epoch in range(1, args.epochs + 1):
        lr = cosine_lr(args.lr, epoch / args.epochs)
        model.train()
        start = time.perf_counter()
        waiting, losses = 0.0, []
        iterator = iter(loader)
        workers = [w.pid for w in getattr(iterator, "_workers", [])]
        before = cpu_snapshot(workers)
        while True:
            wait_start = time.perf_counter()
            try:
                view1, view2, labels = next(iterator)
            except StopIteration:
                break
            waiting += time.perf_counter() - wait_start
            if args.schedule == "cosine-step":
                lr = cosine_lr(args.lr, step / total_steps)
            for group in optimizer.param_groups:
                group["lr"] = lr
            losses.append(contrastive_step(model, optimizer, view1, view2, labels, args).item())
            step += 1
        seconds = time.perf_counter() - start
        print(f"# epoch {epoch}: CPU cores used by other processes (not this one or its loader workers) "
              f"{foreign_cores(before, cpu_snapshot(workers)):.2f}", flush=True)
        emit(f"epoch_{epoch}_lr", lr)
        emit(f"epoch_{epoch}_loss", statistics.fmean(losses))
        emit(f"epoch_{epoch}_seconds", seconds, "s")
        emit(f"epoch_{epoch}_loader_wait_seconds", waiting, "s")
        emit(f"epoch_{epoch}_images_per_s", 2 * args.batch_size * len(losses) / seconds, "img/s")
    emit("train_seconds", time.perf_counter() - total_start, "s")

    start = time.perf_counter()
    os.makedirs(args.out, exist_ok=True)
    for split, images, labels in [("train", train_images, train_labels), ("test", test_images, test_labels)]:
        features = export_features(model.encoder, images, args.feature_batch)
        np.save(os.path.join(args.out, f"{split}.npy"), features)
        np.save(os.path.join(args.out, f"{split}.labels.npy"), labels.astype(np.int64))
        print(f"# wrote {os.path.join(args.out, split + '.npy')} {features.shape}", flush=True)
    emit("export_seconds", time.perf_counter() - start, "s")
    emit("peak_rss", peak_rss_mib(), "MiB")


def ddp_step_mode(args):
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    name = args.configs.split(",")[0]
    width, channels, size, batch = CONFIGS[name]
    local = batch // world
    torch.manual_seed(args.seed)
    model = DistributedDataParallel(ContrastiveModel(width, channels))
    model.train()
    optimizer = sgd(model, args.step_lr)
    generator = torch.Generator().manual_seed(args.seed + rank)
    pool = [(torch.randn(local, channels, size, size, generator=generator),
             torch.randn(local, channels, size, size, generator=generator),
             torch.randint(0, 10, (local,), generator=generator)) for _ in range(2)]

    def gather(tensor):
        parts = [torch.empty_like(tensor) for _ in range(world)]
        dist.all_gather(parts, tensor.detach().contiguous())
        parts[rank] = tensor
        return torch.cat(parts, dim=0)

    def step(i):
        view1, view2, labels = pool[i % len(pool)]
        z = model(torch.cat([view1, view2], dim=0))
        z1, z2 = torch.split(z, [local, local], dim=0)
        features = torch.stack([gather(z1), gather(z2)], dim=1)
        loss = supcon_loss(features, labels=gather(labels) if args.method == "supcon" else None,
                           temperature=args.temperature, base_temperature=args.base_temperature)
        optimizer.zero_grad(set_to_none=True)
        (loss * world).backward()
        optimizer.step()

    for i in range(args.warmup):
        step(i)
    times = []
    for i in range(args.steps):
        dist.barrier()
        start = time.perf_counter()
        step(args.warmup + i)
        times.append(time.perf_counter() - start)
    if rank == 0:
        key = f"{args.method}_{name}_b{batch}"
        print(f"# {key}: DistributedDataParallel (gloo), {world} ranks x {args.threads} thread(s), "
              f"{local} images per view per rank", flush=True)
        emit(f"{key}_step_best", min(times), "s")
        emit(f"{key}_step_median", statistics.median(times), "s")
        emit(f"{key}_images_per_s_best", 2 * batch / min(times), "img/s")
        emit(f"{key}_images_per_s_median", 2 * batch / statistics.median(times), "img/s")
        emit(f"{key}_peak_rss", peak_rss_mib(), "MiB")
    dist.destroy_process_group()


if __name__ == "__main__":
    if ARGS.mode == "ddp-step":
        ddp_step_mode(ARGS)
    elif ARGS.mode in ("step", "finetune-step", "moco-step"):
        step_mode(ARGS)
    else:
        train_mode(ARGS)
