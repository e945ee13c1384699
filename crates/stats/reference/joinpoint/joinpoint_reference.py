#!/usr/bin/env python3
"""Independent joinpoint regression (Kim et al. 2000) for checking `oncodata trend`.

Written apart from the Rust code, with numpy's least squares (SVD) and scipy's t
distribution; it fits every admissible set of joinpoints by brute force. The random
draws (permutations, bootstrap resamples) use SplitMix64 (Steele, Lea & Flood 2014),
re-implemented here from its published definition, so that Monte Carlo p-values and
empirical-quantile intervals can be compared exactly.

    python3 joinpoint_reference.py DATA.csv [options] > expected.json

DATA.csv has columns x, y and, for --weights poisson, count; for --weights se, se.
"""
import argparse
import csv
import itertools
import json
import math
import sys

import numpy as np
from scipy import stats

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next_u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self):
        return (self.next_u64() >> 11) * (1.0 / (1 << 53))

    def below(self, n):
        return min(int(self.uniform() * n), n - 1)


def default_max_joinpoints(n):
    # Joinpoint's "determined by number of points": 0..6 -> 0, 7..11 -> 1, ... 27+ -> 5
    if n < 7:
        return 0
    return min(5, (n - 7) // 5 + 1)


def admissible(n, k, min_end, min_between):
    lo, hi = min_end, n - 1 - min_end
    for c in itertools.combinations(range(lo, hi + 1), k):
        if all(c[i + 1] - c[i] - 1 >= min_between for i in range(k - 1)):
            yield c


def design(x, taus):
    cols = [np.ones_like(x), x - x[0]] + [np.maximum(x - t, 0.0) for t in taus]
    return np.column_stack(cols)


def wls(x, y, w, taus):
    X = design(x, taus)
    sw = np.sqrt(w)
    beta, *_ = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)
    r = (y - X @ beta) * sw
    return beta, float(r @ r), X


def best(x, y, w, k, min_end, min_between):
    top = None
    for c in admissible(len(x), k, min_end, min_between):
        taus = [x[i] for i in c]
        beta, sse, X = wls(x, y, w, taus)
        if top is None or sse < top[1]:
            top = (c, sse, beta, X)
    return top


def slopes(beta, k):
    return [float(sum(beta[1:2 + j])) for j in range(k + 1)]


def partial_r2(x, y, w, idx, i):
    n = len(x)
    bounds = [-1] + list(idx) + [n - 1]
    lo, hi = bounds[i - 1] + 1, bounds[i + 1]
    sl = slice(lo, hi + 1)
    sw = np.sqrt(w[sl])
    xs, ys = x[sl], y[sl]
    z = np.maximum(xs - x[idx[i - 1]], 0.0) * sw
    H0 = np.column_stack([np.ones_like(xs), xs - xs[0]]) * sw[:, None]
    P = H0 @ np.linalg.pinv(H0)
    M = np.eye(len(xs)) - P
    yy = ys * sw
    return float((yy @ M @ z) ** 2 / ((yy @ M @ yy) * (z @ M @ z)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--weights", default="constant", choices=["constant", "poisson", "se"])
    ap.add_argument("--selection", default="permutation", choices=["permutation", "bic", "bic3", "wbic"])
    ap.add_argument("--permutations", type=int, default=4499)
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--min-end", type=int, default=2)
    ap.add_argument("--min-between", type=int, default=2)
    ap.add_argument("--min-joinpoints", type=int, default=0)
    ap.add_argument("--max-joinpoints", type=int)
    ap.add_argument("--aapc", action="append", default=[])
    ap.add_argument("--resamples", type=int, default=0)
    a = ap.parse_args()

    rows = list(csv.DictReader(open(a.data, newline="")))
    x = np.array([float(r["x"]) for r in rows])
    rate = np.array([float(r["y"]) for r in rows])
    y = np.log(rate)
    if a.weights == "constant":
        w = np.ones_like(y)
    elif a.weights == "poisson":
        w = np.array([float(r["count"]) for r in rows])
    else:
        se = np.array([float(r["se"]) for r in rows])
        w = rate ** 2 / se ** 2
    n = len(x)
    kmax = a.max_joinpoints if a.max_joinpoints is not None else default_max_joinpoints(n)
    kmin = a.min_joinpoints
    ks = [k for k in range(kmin, kmax + 1) if next(admissible(n, k, a.min_end, a.min_between), None) is not None]
    kmax = ks[-1]
    fits = {k: best(x, y, w, k, a.min_end, a.min_between) for k in ks}

    models = []
    for k in ks:
        idx, sse, beta, X = fits[k]
        bic = math.log(sse / n) + (2 * k + 2) * math.log(n) / n
        bic3 = math.log(sse / n) + (3 * k + 2) * math.log(n) / n
        r2 = max([partial_r2(x, y, w, idx, i) for i in range(1, k + 1)], default=0.0)
        wbic = math.log(sse / n) + ((2 + r2) * k + 2) * math.log(n) / n
        models.append({"joinpoints": k, "at": [float(x[i]) for i in idx], "sse": sse,
                       "bic": bic, "bic3": bic3, "wbic": wbic, "r2_max": r2})

    tests = []
    rng = SplitMix64(a.seed)
    if a.selection == "permutation":
        lo, hi = kmin, kmax
        level = a.alpha / (kmax - kmin) if kmax > kmin else a.alpha
        while lo < hi:
            sse0, sse1 = fits[lo][1], fits[hi][1]
            t_obs = (sse0 - sse1) / sse1
            mu0 = fits[lo][3] @ fits[lo][2]
            e = (y - mu0) * np.sqrt(w)
            exceed = 0
            for _ in range(a.permutations):
                p = e.copy()
                for i in range(n - 1, 0, -1):
                    j = rng.below(i + 1)
                    p[i], p[j] = p[j], p[i]
                ys = mu0 + p / np.sqrt(w)
                s0 = best(x, ys, w, lo, a.min_end, a.min_between)[1]
                s1 = best(x, ys, w, hi, a.min_end, a.min_between)[1]
                if (s0 - s1) / s1 >= t_obs:
                    exceed += 1
            pval = (exceed + 1) / (a.permutations + 1)
            rejected = pval < level
            tests.append({"null": lo, "alternative": hi, "statistic": t_obs, "p_value": pval,
                          "level": level, "rejected": rejected})
            if rejected:
                lo += 1
            else:
                hi -= 1
        k = lo
    else:
        key = {"bic": "bic", "bic3": "bic3", "wbic": "wbic"}[a.selection]
        k = min(models, key=lambda m: (m[key], m["joinpoints"]))["joinpoints"]

    idx, sse, beta, X = fits[k]
    p = 2 * k + 2
    df = n - p
    sigma2 = sse / df
    sw = np.sqrt(w)
    Xw = X * sw[:, None]
    cov = sigma2 * np.linalg.inv(Xw.T @ Xw)
    tq = stats.t.ppf(1 - a.alpha / 2, df)
    ends = [float(x[0])] + [float(x[i]) for i in idx] + [float(x[-1])]
    segs = []
    for j in range(k + 1):
        c = np.zeros(len(beta))
        c[1:2 + j] = 1
        b = float(c @ beta)
        se = math.sqrt(float(c @ cov @ c))
        segs.append({"from": ends[j], "to": ends[j + 1], "apc": 100 * math.expm1(b),
                     "lower": 100 * math.expm1(b - tq * se), "upper": 100 * math.expm1(b + tq * se),
                     "t": b / se, "p_value": float(2 * stats.t.sf(abs(b / se), df))})

    def aapc_of(beta_, ends_, lo_, hi_):
        wsum, acc, cvec = 0.0, 0.0, np.zeros(len(beta_))
        inside = []
        for j in range(len(ends_) - 1):
            a0, a1 = max(ends_[j], lo_), min(ends_[j + 1], hi_)
            if a1 > a0:
                c = np.zeros(len(beta_))
                c[1:2 + j] = 1
                cvec += (a1 - a0) * c
                wsum += a1 - a0
                inside.append(j)
        return cvec / wsum, inside

    ranges = [(float(x[0]), float(x[-1]))] + [tuple(float(v) for v in r.split("-")) for r in a.aapc]
    aapcs = []
    for lo_, hi_ in ranges:
        cvec, inside = aapc_of(beta, ends, lo_, hi_)
        b = float(cvec @ beta)
        se = math.sqrt(float(cvec @ cov @ cvec))
        q = tq if len(inside) == 1 else stats.norm.ppf(1 - a.alpha / 2)
        aapcs.append({"from": lo_, "to": hi_, "aapc": 100 * math.expm1(b),
                      "lower": 100 * math.expm1(b - q * se), "upper": 100 * math.expm1(b + q * se)})

    out = {"n": n, "weights": a.weights, "selection": a.selection, "selected": k,
           "joinpoints": [float(x[i]) for i in idx], "models": models, "tests": tests,
           "segments": segs, "aapc": aapcs, "fitted": [float(v) for v in np.exp(X @ beta)]}

    if a.resamples > 0:
        mu = X @ beta
        e = (y - mu) * sw
        apc_draws = [[] for _ in range(k + 1)]
        aapc_draws = [[] for _ in ranges]
        for _ in range(a.resamples):
            ys = np.array([mu[i] + e[rng.below(n)] / sw[i] for i in range(n)])
            bidx, _, bb, _ = best(x, ys, w, k, a.min_end, a.min_between)
            bends = [float(x[0])] + [float(x[i]) for i in bidx] + [float(x[-1])]
            for j, s in enumerate(slopes(bb, k)):
                apc_draws[j].append(100 * math.expm1(s))
            for r, (lo_, hi_) in enumerate(ranges):
                cvec, _ = aapc_of(bb, bends, lo_, hi_)
                aapc_draws[r].append(100 * math.expm1(float(cvec @ bb)))
        q = [a.alpha / 2, 1 - a.alpha / 2]
        for j, s in enumerate(segs):
            s["eq_lower"], s["eq_upper"] = (float(v) for v in np.quantile(apc_draws[j], q))
        for r, s in enumerate(aapcs):
            s["eq_lower"], s["eq_upper"] = (float(v) for v in np.quantile(aapc_draws[r], q))
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
