#!/usr/bin/env python3
"""The attacker's intervals of withheld cells of two-way tables with their margins, computed
independently of oncodata with scipy's linprog (HiGHS): for each withheld cell, the least and
greatest value it can take given every published cell, the row and column equations and
non-negativity. Tables and withheld cells are drawn here (seeded); `two_way::tests` reads
`attack_reference.csv` and compares oncodata's `attack` with it.

Usage: python3 attack_reference.py > attack_reference.csv
"""
import csv
import random
import sys

import numpy as np
from scipy.optimize import linprog


def grid(cells):
    rows, cols = len(cells), len(cells[0])
    g = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(rows):
        for j in range(cols):
            g[i][j] = cells[i][j]
            g[i][cols] += cells[i][j]
            g[rows][j] += cells[i][j]
            g[rows][cols] += cells[i][j]
    return g


def intervals(cells, withheld):
    g = grid(cells)
    r1, c1 = len(g), len(g[0])
    flat = [v for row in g for v in row]
    var = {k: n for n, k in enumerate(sorted(withheld))}
    eqs = []
    for i in range(r1):
        eqs.append(((i * c1 + c1 - 1), [i * c1 + j for j in range(c1 - 1)]))
    for j in range(c1):
        eqs.append((((r1 - 1) * c1 + j), [i * c1 + j for i in range(r1 - 1)]))
    a, b = [], []
    for total, parts in eqs:
        row = np.zeros(len(var))
        rhs = 0.0
        for k in parts:
            if k in var:
                row[var[k]] += 1
            else:
                rhs -= flat[k]
        if total in var:
            row[var[total]] -= 1
        else:
            rhs += flat[total]
        a.append(row)
        b.append(rhs)
    out = {}
    for k in sorted(withheld):
        c = np.zeros(len(var))
        c[var[k]] = 1
        lo = linprog(c, A_eq=a, b_eq=b, bounds=[(0, None)] * len(var), method="highs")
        hi = linprog(-c, A_eq=a, b_eq=b, bounds=[(0, None)] * len(var), method="highs")
        high = "inf" if hi.status == 3 else repr(round(-hi.fun, 9))
        out[k] = (repr(round(lo.fun, 9)), high)
    return out


def main():
    rng = random.Random(20261207)
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["case", "cells", "withheld", "cell", "lo", "hi"])
    for case in range(30):
        rows, cols = rng.randint(2, 5), rng.randint(2, 5)
        cells = [[rng.choice([0, 2, 5, 9, 14, 30, 60]) for _ in range(cols)] for _ in range(rows)]
        n = (rows + 1) * (cols + 1)
        withheld = sorted(rng.sample(range(n), rng.randint(1, min(8, n))))
        text = ";".join(" ".join(str(v) for v in row) for row in cells)
        for k, (lo, hi) in intervals(cells, withheld).items():
            w.writerow([case, text, " ".join(map(str, withheld)), k, lo, hi])


if __name__ == "__main__":
    main()
