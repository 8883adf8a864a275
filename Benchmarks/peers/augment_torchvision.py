#!/usr/bin/env python3
"""Peer of `clens-bench augment`: augmented two-view SimCLR batches per second with
torchvision transforms on PIL images and a DataLoader with worker processes -- the
SupContrast recipe: RandomResizedCrop(size, scale=(0.2, 1)), RandomHorizontalFlip,
RandomApply([ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8), RandomGrayscale(0.2), ToTensor,
Normalize, two views per image (TwoCropTransform).

Prints `augment_<data>: <best> batches/s` like the Swift benchmark.
"""
import argparse
import gzip
import os
import time

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--data", default="fashion-mnist", choices=["fashion-mnist", "rgb32"])
parser.add_argument("--workers", type=int, default=2, help="DataLoader worker processes")
parser.add_argument("--batch-size", type=int, default=256)
parser.add_argument("--batches", type=int, default=40)
parser.add_argument("--repeats", type=int, default=3)
args = parser.parse_args()
for variable in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"]:
    os.environ[variable] = "1"

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402
from PIL import Image  # noqa: E402
from torchvision import transforms  # noqa: E402

torch.set_num_threads(1)

if args.data == "fashion-mnist":
    with gzip.open("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read()[16:], dtype=np.uint8).reshape(-1, 28, 28)
    mean, std, size = (0.2860,), (0.3530,), 28
else:
    images = np.random.default_rng(0).integers(0, 256, (50_000, 32, 32, 3), dtype=np.uint8)
    mean, std, size = (0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010), 32
labels = np.arange(len(images)) % 10

transform = transforms.Compose([
    transforms.RandomResizedCrop(size=size, scale=(0.2, 1.0)),
    transforms.RandomHorizontalFlip(),
    transforms.RandomApply([transforms.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
    transforms.RandomGrayscale(p=0.2),
    transforms.ToTensor(),
    transforms.Normalize(mean, std),
])


class TwoViews(torch.utils.data.Dataset):
    """What torchvision's CIFAR10/FashionMNIST datasets do (PIL image from the array),
    with SupContrast's TwoCropTransform."""

    def __len__(self):
        return len(images)

    def __getitem__(self, index):
        image = Image.fromarray(images[index])
        return [transform(image), transform(image)], int(labels[index])


print(f"# torch {torch.__version__}, torchvision {torchvision.__version__}, {args.data}, batch {args.batch_size} x 2 views, "
      f"{args.workers} workers")
best = 0.0
for repeat in range(args.repeats):
    loader = torch.utils.data.DataLoader(TwoViews(), batch_size=args.batch_size, shuffle=True,
                                         num_workers=args.workers, drop_last=True)
    iterator = iter(loader)
    next(iterator)
    next(iterator)  # warm-up: worker start and the first prefetch
    start = time.perf_counter()
    for _ in range(args.batches):
        (view1, view2), target = next(iterator)
        torch.cat([view1, view2], dim=0)  # SupContrast's training step does this first
    seconds = time.perf_counter() - start
    rate = args.batches / seconds
    best = max(best, rate)
    print(f"# repeat {repeat}: {rate:.2f} batches/s")
    del iterator, loader
print(f"augment_{args.data}: {best:.2f} batches/s")
print(f"augment_{args.data}_images: {best * args.batch_size:.0f} images/s")
