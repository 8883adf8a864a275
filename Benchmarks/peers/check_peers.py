#!/usr/bin/env python3
"""Exits with one clear line when a Python peer a benchmark needs is missing.

    python3 Benchmarks/peers/check_peers.py torch torchattacks ...
"""
import importlib
import sys

missing = []
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception as error:  # a broken install (e.g. mismatched torchvision) counts too
        missing.append(f"{name} ({type(error).__name__}: {error})".splitlines()[0])
if missing:
    sys.exit("missing Python peers: " + "; ".join(missing)
             + " -- install them with: pip install -r Benchmarks/peers/requirements.txt")
