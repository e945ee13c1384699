#!/usr/bin/env python3
"""The least-cost secondary suppression of small two-way tables with their margins, found by
exhaustive search independently of oncodata: every set of cells that contains the cells the
frequency rule withholds (counts of 1-10) is tried in increasing cost (the persons counted by
the added cells; a cell of 0 costs 1, as in oncodata), and the first set in which scipy's
linprog (HiGHS) narrows no withheld cell below 11 persons is the optimum. `two_way::tests`
reads `optimal_suppression.csv` and compares oncodata's hypercube heuristic with it: protected
as well, at a cost never below the optimum, and how far above it on average.

Usage: python3 optimal_suppression.py > optimal_suppression.csv
"""
import csv
import itertools
import random
import sys

from attack_reference import grid, intervals

PROTECTION = 11.0


def protected(cells, withheld):
    for lo, hi in intervals(cells, withheld).values():
        high = float("inf") if hi == "inf" else float(hi)
        if high - float(lo) < PROTECTION - 1e-9:
            return False
    return True


def optimum(cells):
    flat = [v for row in grid(cells) for v in row]
    primary = [k for k, v in enumerate(flat) if 0 < v < 11]
    if not primary:
        return 0, 0
    others = [k for k in range(len(flat)) if k not in primary]
    options = []
    for n in range(len(others) + 1):
        for extra in itertools.combinations(others, n):
            options.append((sum(max(flat[k], 1) for k in extra), n, extra))
    options.sort()
    for cost, n, extra in options:
        if protected(cells, primary + list(extra)):
            return n, cost
    raise RuntimeError("no protected set")


def main():
    rng = random.Random(7)
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["case", "cells", "secondary_cells", "secondary_cost"])
    case = 0
    while case < 24:
        rows, cols = 2, rng.choice([2, 3])
        cells = [[rng.choice([0, 2, 5, 9, 14, 30, 60]) for _ in range(cols)] for _ in range(rows)]
        flat = [v for row in grid(cells) for v in row]
        if not any(0 < v < 11 for v in flat):
            continue
        n, cost = optimum(cells)
        w.writerow([case, ";".join(" ".join(str(v) for v in r) for r in cells), n, cost])
        case += 1


if __name__ == "__main__":
    main()
