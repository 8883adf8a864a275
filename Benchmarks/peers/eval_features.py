#!/usr/bin/env python3
"""Scores frozen features: the single judge of the PyTorch peer's (bench_simclr.py) and
ContrastLens's exported features, so that both are measured the same way.

  knn_accuracy           cosine-similarity kNN: features L2-normalised, train features
                         are the memory bank, each test feature a query; its k = 20 most
                         similar train features (ties in similarity: the lower train
                         index first) vote, one vote each; the majority label wins, a tie
                         between labels goes to the smallest label
  linear_probe_accuracy  scikit-learn LogisticRegression(max_iter=1000) (default lbfgs,
                         L2, C = 1) on features standardised by a StandardScaler fitted on
                         the train features; trained on train, scored on test

Both are fractions in [0, 1]. Similarities are computed in float64 from the stored
float32 features. Input: .npy files, features [n, dim] (any float dtype), labels [n]
(integers).

Output: `name: value` lines; `#` lines are comments (n_train, n_test, dim, versions).

Usage:
  python3 eval_features.py --train train.npy --train-labels train.labels.npy \\
      --test test.npy --test-labels test.labels.npy [--k 20] [--threads 2]
"""
import argparse
import os


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", required=True, help="train features .npy [n_train, dim]")
    ap.add_argument("--train-labels", required=True, help="train labels .npy [n_train]")
    ap.add_argument("--test", required=True, help="test features .npy [n_test, dim]")
    ap.add_argument("--test-labels", required=True, help="test labels .npy [n_test]")
    ap.add_argument("--k", type=int, default=20, help="neighbours of the kNN vote (default 20)")
    ap.add_argument("--max-iter", type=int, default=1000, help="LogisticRegression max_iter (default 1000)")
    ap.add_argument("--threads", type=int, default=2, help="BLAS / OpenMP threads (default 2)")
    ap.add_argument("--chunk", type=int, default=500, help="queries per similarity block (memory only)")
    return ap.parse_args()


ARGS = parse_args()
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = str(ARGS.threads)

import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402


def l2_normalise(x):
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def knn_accuracy(train, train_labels, test, test_labels, k, chunk):
    bank = l2_normalise(train.astype(np.float64))
    queries = l2_normalise(test.astype(np.float64))
    n_classes = int(max(train_labels.max(), test_labels.max())) + 1
    correct = 0
    for start in range(0, len(queries), chunk):
        sims = queries[start:start + chunk] @ bank.T
        kth = -np.partition(-sims, k - 1, axis=1)[:, k - 1]  # k-th largest similarity per query
        nearest = np.empty((len(sims), k), dtype=np.int64)
        for row in range(len(sims)):
            # everything above the k-th similarity, then the ties at it by train index
            above = np.flatnonzero(sims[row] > kth[row])
            tied = np.flatnonzero(sims[row] == kth[row])
            nearest[row] = np.concatenate([above, tied[:k - len(above)]])
        votes = train_labels[nearest]
        counts = np.zeros((len(votes), n_classes), dtype=np.int64)
        np.add.at(counts, (np.repeat(np.arange(len(votes)), votes.shape[1]), votes.ravel()), 1)
        predicted = counts.argmax(axis=1)  # the first (smallest) label among the tied maxima
        correct += int((predicted == test_labels[start:start + chunk]).sum())
    return correct / len(queries)


def linear_probe_accuracy(train, train_labels, test, test_labels, max_iter):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    scaler = StandardScaler().fit(train)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        classifier = LogisticRegression(max_iter=max_iter).fit(scaler.transform(train), train_labels)
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        print(f"# linear probe: lbfgs did not converge in {max_iter} iterations", flush=True)
    print(f"# linear probe: {int(np.max(classifier.n_iter_))} lbfgs iterations", flush=True)
    return float(classifier.score(scaler.transform(test), test_labels))


def main():
    import sklearn
    train = np.load(ARGS.train).astype(np.float64)
    test = np.load(ARGS.test).astype(np.float64)
    train_labels = np.load(ARGS.train_labels).astype(np.int64).ravel()
    test_labels = np.load(ARGS.test_labels).astype(np.int64).ravel()
    if train.ndim != 2 or test.ndim != 2 or train.shape[1] != test.shape[1]:
        raise SystemExit(f"features must be [n, dim] with the same dim: {train.shape}, {test.shape}")
    if len(train) != len(train_labels) or len(test) != len(test_labels):
        raise SystemExit("one label per feature row is needed")
    if not (np.isfinite(train).all() and np.isfinite(test).all()):
        raise SystemExit("features contain NaN or infinity")
    print(f"# numpy {np.__version__}, scikit-learn {sklearn.__version__}, threads {ARGS.threads}", flush=True)
    print(f"# n_train: {len(train)}", flush=True)
    print(f"# n_test: {len(test)}", flush=True)
    print(f"# dim: {train.shape[1]}", flush=True)
    start = time.perf_counter()
    knn = knn_accuracy(train, train_labels, test, test_labels, ARGS.k, ARGS.chunk)
    print(f"knn_accuracy: {knn:.4f}", flush=True)
    print(f"# knn (k = {ARGS.k}): {time.perf_counter() - start:.1f} s", flush=True)
    start = time.perf_counter()
    linear = linear_probe_accuracy(train, train_labels, test, test_labels, ARGS.max_iter)
    print(f"linear_probe_accuracy: {linear:.4f}", flush=True)
    print(f"# linear probe: {time.perf_counter() - start:.1f} s", flush=True)


if __name__ == "__main__":
    main()
