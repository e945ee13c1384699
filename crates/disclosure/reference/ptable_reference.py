#!/usr/bin/env python3
"""The maximum-entropy perturbation tables of the cell-key method, computed independently of
oncodata with scipy's constrained optimiser (SLSQP): for each count n, the distribution of the
noise d over -min(n, D)..D with mean 0 and variance V (capped just below -low*high when the
support cannot reach V) that has the greatest entropy. `cell_key::tests` compares oncodata's
p-table (Newton's method on the dual) with it.

Usage: python3 ptable_reference.py > ptable_reference.csv
"""
import csv
import sys

import numpy as np
from scipy.optimize import minimize


def row(n, d_max, variance):
    low = -min(n, d_max)
    support = np.arange(low, d_max + 1, dtype=float)
    target = min(variance, -low * d_max * 0.999)
    k = len(support)

    def negentropy(p):
        p = np.clip(p, 1e-300, 1)
        return float(np.sum(p * np.log(p)))

    cons = [
        {"type": "eq", "fun": lambda p: np.sum(p) - 1},
        {"type": "eq", "fun": lambda p: np.dot(p, support)},
        {"type": "eq", "fun": lambda p: np.dot(p, support**2) - target},
    ]
    r = minimize(negentropy, np.full(k, 1.0 / k), constraints=cons, bounds=[(1e-12, 1)] * k,
                 method="SLSQP", options={"ftol": 1e-15, "maxiter": 1000})
    assert r.success, r.message
    return list(zip(support.astype(int), r.x))


def main():
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["max_noise", "variance", "count", "noise", "probability"])
    for d_max, variance in [(2, "1.0"), (2, "0.5"), (3, "2.0"), (4, "3.0")]:
        for n in range(1, d_max + 2):
            for d, p in row(n, d_max, float(variance)):
                w.writerow([d_max, variance, n, d, f"{p:.10f}"])


if __name__ == "__main__":
    main()
