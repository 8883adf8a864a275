"""Rounding error of Winograd F(4x4, 3x3) for several sets of interpolation points.

Derives A^T and G from the points (Toom-Cook, with the point at infinity) and solves for
B^T, then runs float32 Winograd on 64-channel 16x16 layers against float64 direct sums
and prints the largest and RMS error relative to the largest output. DESIGN.md quotes its
output for the standard points (0, 1, -1, 2, -2) and the engine's (0, 1, -1, 2, -1/2).
Usage: python3 scripts/winograd_points.py   (needs numpy)
"""
import numpy as np


def matrices(points):
    p = np.array(points, dtype=np.float64)
    at = np.zeros((4, 6))
    g = np.zeros((6, 3))
    for j, pj in enumerate(p):
        at[:, j] = [pj**i for i in range(4)]
        norm = np.prod([pj - pl for l, pl in enumerate(p) if l != j])
        g[j] = [pj**k / norm for k in range(3)]
    at[:, 5] = [0, 0, 0, 1]
    g[5] = [0, 0, 1]
    # B^T solves sum_j AT[i, j] G[j, k] BT[j, l] = [l == i + k] (a 1-D correlation).
    rows, rhs = [], []
    for i in range(4):
        for k in range(3):
            for l in range(6):
                r = np.zeros((6, 6))
                for j in range(6):
                    r[j, l] = at[i, j] * g[j, k]
                rows.append(r.ravel())
                rhs.append(1.0 if l == i + k else 0.0)
    bt = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)[0].reshape(6, 6)
    return at, g, bt


def errors(at, g, bt, channels=64, size=16, seed=0):
    rng = np.random.default_rng(seed)
    f = np.float32
    x = rng.standard_normal((channels, size, size)).astype(f)
    w = (rng.standard_normal((channels, channels, 3, 3)) * 0.05).astype(f)
    padded = np.pad(x.astype(np.float64), ((0, 0), (1, 1), (1, 1)))
    exact = np.zeros((channels, size, size))
    for ky in range(3):
        for kx in range(3):
            exact += np.einsum("oc,chw->ohw", w[:, :, ky, kx].astype(np.float64), padded[:, ky:ky + size, kx:kx + size])
    u = np.einsum("ai,ocij,bj->ocab", g.astype(f), w, g.astype(f)).astype(f)
    padded32 = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    out = np.zeros((channels, size, size), dtype=f)
    for ty in range(size // 4):
        for tx in range(size // 4):
            d = padded32[:, 4 * ty:4 * ty + 6, 4 * tx:4 * tx + 6]
            v = np.einsum("ai,cij,bj->cab", bt.astype(f), d, bt.astype(f)).astype(f)
            m = np.einsum("ocab,cab->oab", u, v).astype(f)
            out[:, 4 * ty:4 * ty + 4, 4 * tx:4 * tx + 4] = np.einsum("ai,oij,bj->oab", at.astype(f), m, at.astype(f))
    scale = np.abs(exact).max()
    return np.abs(out - exact).max() / scale, np.sqrt(((out - exact) ** 2).mean()) / np.sqrt((exact**2).mean())


if __name__ == "__main__":
    for points in [(0, 1, -1, 2, -2), (0, 1, -1, 2, -0.5), (0, -1, 1, 0.5, -2), (0, 1, -1, 0.5, -0.5)]:
        results = [errors(*matrices(points), seed=s) for s in range(3)]
        print(f"points {points}: largest {max(r[0] for r in results):.2e}, RMS {np.mean([r[1] for r in results]):.2e}")
