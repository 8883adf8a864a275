#!/usr/bin/env python3
"""PyTorch peer of ContrastLens's checkpoint reader.

  write --out DIR   a ResNet-50 state dict (torchvision's names and shapes, random values,
                    about 100 MB) saved as DIR/resnet50.pth (torch.save, zip format) and
                    DIR/resnet50.safetensors (the same tensors)
  load --pth FILE   torch.load(FILE, weights_only=True), the best of --rounds; prints
                    torch_load_best: <seconds> s

Needs: pip install torch safetensors (a CPU torch wheel is enough).
"""
import argparse
import collections
import os
import time

import torch
from safetensors.torch import save_file


def resnet50_state_dict():
    g = torch.Generator().manual_seed(0)
    sd = collections.OrderedDict()

    def conv(name, out, inp, k):
        sd[name + ".weight"] = torch.randn(out, inp, k, k, generator=g) * 0.05

    def bn(name, n):
        sd[name + ".weight"] = torch.ones(n)
        sd[name + ".bias"] = torch.zeros(n)
        sd[name + ".running_mean"] = torch.zeros(n)
        sd[name + ".running_var"] = torch.ones(n)
        sd[name + ".num_batches_tracked"] = torch.tensor(0)

    conv("conv1", 64, 3, 7)
    bn("bn1", 64)
    inplanes = 64
    for layer, (blocks, planes) in enumerate([(3, 64), (4, 128), (6, 256), (3, 512)], start=1):
        for b in range(blocks):
            p = f"layer{layer}.{b}"
            conv(p + ".conv1", planes, inplanes, 1)
            bn(p + ".bn1", planes)
            conv(p + ".conv2", planes, planes, 3)
            bn(p + ".bn2", planes)
            conv(p + ".conv3", planes * 4, planes, 1)
            bn(p + ".bn3", planes * 4)
            if b == 0:
                conv(p + ".downsample.0", planes * 4, inplanes, 1)
                bn(p + ".downsample.1", planes * 4)
            inplanes = planes * 4
    sd["fc.weight"] = torch.randn(1000, 2048, generator=g) * 0.01
    sd["fc.bias"] = torch.zeros(1000)
    return sd


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["write", "load"])
    ap.add_argument("--out", help="write mode: folder for the two files")
    ap.add_argument("--pth", help="load mode: the checkpoint")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(2)
    if args.mode == "write":
        os.makedirs(args.out, exist_ok=True)
        sd = resnet50_state_dict()
        torch.save(sd, os.path.join(args.out, "resnet50.pth"))
        save_file(dict(sd), os.path.join(args.out, "resnet50.safetensors"))
        print(f"# {sum(t.numel() for t in sd.values())} values in {len(sd)} tensors", flush=True)
        return
    times = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        torch.load(args.pth, weights_only=True)
        times.append(time.perf_counter() - start)
    print(f"torch_load_best: {min(times):.4f} s")


if __name__ == "__main__":
    main()
