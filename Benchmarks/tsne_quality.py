#!/usr/bin/env python3
"""Quality of a t-SNE embedding, computed exactly as Benchmarks/peers/bench_tsne.py does
for the peers, so ContrastLens and the peers are judged by the same code:

  10-NN label accuracy, 5-fold stratified CV (KNeighborsClassifier(10)), and
  sklearn.manifold.trustworthiness(n_neighbors=10) on a 5,000-point random subsample
  (numpy default_rng(0)), input space = the t-SNE input.

Usage: python3 tsne_quality.py X.npy y.npy embedding.npy NAME [--trust-n 5000] [--threads 2]
Prints `NAME_knn10_acc_5fold: v` and `NAME_trustworthiness10_nK: v` lines.
"""
import argparse
import os
import sys

ap = argparse.ArgumentParser()
ap.add_argument("x")
ap.add_argument("y")
ap.add_argument("embedding")
ap.add_argument("name")
ap.add_argument("--trust-n", type=int, default=5000)
ap.add_argument("--threads", type=int, default=2)
args = ap.parse_args()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import numpy as np
from sklearn.manifold import trustworthiness
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier

X = np.load(args.x)
y = np.load(args.y)
emb = np.load(args.embedding).astype(np.float32)
if emb.shape != (len(X), 2) or not np.isfinite(emb).all():
    sys.exit(f"{args.embedding}: expected a finite [{len(X)}, 2] embedding, got {emb.shape}")
acc = cross_val_score(KNeighborsClassifier(n_neighbors=10, n_jobs=args.threads), emb, y,
                      cv=StratifiedKFold(5, shuffle=True, random_state=0))
print(f"{args.name}_knn10_acc_5fold: {acc.mean():.4f}")
sub = np.random.default_rng(0).choice(len(X), min(args.trust_n, len(X)), replace=False)
tw = trustworthiness(X[sub], emb[sub], n_neighbors=10)
print(f"{args.name}_trustworthiness10_n{len(sub)}: {tw:.4f}")
