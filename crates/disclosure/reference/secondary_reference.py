#!/usr/bin/env python3
"""Secondary suppression of tables with hierarchies and of linked tables, computed independently
of oncodata with another published algorithm: one primary cell at a time, the least-cost
*protection LP* of Kelly, Golden & Assad ("Cell suppression: disclosure protection for sensitive
tabular data", Networks 22, 1992) and Fischetti & Salazar-Gonzalez (Management Science 46,
2000): find deviations y+ and y- of every cell that keep every equation of the table, raise the
cell by the protection level, never take a cell below zero, and cost least (a cell already
withheld or unknown to the reader costs nothing; another costs its count per person of
deviation). Every cell that deviates is withheld. Then scipy's linprog (HiGHS) plays the
attacker on every withheld cell; any narrower than the protection level gets its own LP, until
none is.

Tables are generated here (seeded) and written with the reference's result to
`secondary_reference.csv`; `hypercube::tests` reads them, runs oncodata's hypercube method on the
same tables, proves it with oncodata's attacker, and compares the number of cells each withholds.

Columns: case, kind (hierarchical | linked), dims (dimensions separated by |, each a list of
label:parent, the total with an empty parent), leaves (the leaf cells' counts in the order of
the product of each dimension's leaves), primary, secondary, secondary_cost.

Usage: python3 secondary_reference.py > secondary_reference.csv
       python3 secondary_reference.py --table FILE COUNT_COLUMN BY,COLUMNS   (bench/disclosure.sh)
"""
import csv
import itertools
import random
import sys

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import lil_matrix

MIN_PERSONS = 11
PROTECTION = 11.0


class Table:
    def __init__(self, dims, leaf_counts):
        # dims: list of [(label, parent or None)]
        self.dims = dims
        self.parent = [{l: p for l, p in d} for d in dims]
        self.labels = [[l for l, _ in d] for d in dims]
        self.children = [{l: [c for c, p in d if p == l] for l, _ in d} for d in dims]
        self.cells = list(itertools.product(*self.labels))
        self.index = {c: i for i, c in enumerate(self.cells)}
        leaves = [[l for l in ls if not self.children[k][l]] for k, ls in enumerate(self.labels)]
        self.values = np.zeros(len(self.cells))
        for coords, v in zip(itertools.product(*leaves), leaf_counts):
            chains = []
            for k, c in enumerate(coords):
                chain = [c]
                while self.parent[k][chain[-1]] is not None:
                    chain.append(self.parent[k][chain[-1]])
                chains.append(chain)
            for up in itertools.product(*chains):
                self.values[self.index[up]] += v
        self.equations = []
        for k in range(len(dims)):
            for c in self.cells:
                kids = self.children[k][c[k]]
                if kids:
                    parts = [self.index[c[:k] + (x,) + c[k + 1:]] for x in kids]
                    self.equations.append((self.index[c], parts))

    def matrix(self):
        a = lil_matrix((len(self.equations), len(self.cells)))
        for r, (t, parts) in enumerate(self.equations):
            a[r, t] = -1
            for p in parts:
                a[r, p] += 1
        return a.tocsr()


def attacker(t, unknown):
    """Interval of every unknown cell: min and max subject to the equations, published values and
    non-negativity."""
    idx = [k for k in range(len(t.cells)) if unknown[k]]
    var = {k: n for n, k in enumerate(idx)}
    rows, rhs = [], []
    for total, parts in t.equations:
        if not unknown[total] and not any(unknown[p] for p in parts):
            continue
        row = np.zeros(len(idx))
        b = 0.0
        for p in parts:
            if unknown[p]:
                row[var[p]] += 1
            else:
                b -= t.values[p]
        if unknown[total]:
            row[var[total]] -= 1
        else:
            b += t.values[total]
        rows.append(row)
        rhs.append(b)
    out = {}
    if not idx:
        return out
    a = np.array(rows) if rows else None
    for k in idx:
        c = np.zeros(len(idx))
        c[var[k]] = 1
        lo = linprog(c, A_eq=a, b_eq=rhs if rows else None, bounds=(0, None), method="highs")
        hi = linprog(-c, A_eq=a, b_eq=rhs if rows else None, bounds=(0, None), method="highs")
        high = float("inf") if hi.status == 3 else -hi.fun
        out[k] = (lo.fun, high)
    return out


def protection_lp(t, a, k, withheld, unknown, frozen=None):
    """Cells to withhold so that cell k can rise by the protection level; cells `frozen` (not
    withheld) may not move, unless no solution avoids them."""
    n = len(t.cells)
    cost = np.array([0.0 if (withheld[j] or unknown[j]) else max(t.values[j], 1.0) / PROTECTION for j in range(n)])
    c = np.concatenate([cost, cost])
    from scipy.sparse import hstack, csr_matrix

    a_eq = hstack([a, -a])
    b_eq = np.zeros(a.shape[0])
    for fixed in ([True, False] if frozen else [False]):
        bounds = [(0, None)] * n + [(0, t.values[j]) for j in range(n)]
        if fixed:
            for j in range(n):
                if frozen[j] and not withheld[j]:
                    bounds[j] = (0, 0)
                    bounds[n + j] = (0, 0)
        bounds[k] = (PROTECTION, PROTECTION)
        bounds[n + k] = (0, 0)
        r = linprog(c, A_eq=csr_matrix(a_eq), b_eq=b_eq, bounds=bounds, method="highs")
        if r.status == 0:
            y = r.x[:n] - r.x[n:]
            return [j for j in range(n) if abs(y[j]) > 1e-7]
    raise RuntimeError(f"protection LP: {r.message}")


def suppress(t, published, frozen=None):
    n = len(t.cells)
    unknown = [not p for p in published]
    primary = [published[k] and 0 < t.values[k] < MIN_PERSONS for k in range(n)]
    withheld = list(primary)
    a = t.matrix()
    todo = [k for k in range(n) if primary[k]]
    while todo:
        for k in todo:
            for j in protection_lp(t, a, k, withheld, unknown, frozen):
                if published[j]:
                    withheld[j] = True
        hidden = [withheld[k] or unknown[k] for k in range(n)]
        iv = attacker(t, hidden)
        todo = [k for k in range(n) if withheld[k] and iv[k][1] - iv[k][0] < PROTECTION - 1e-9]
    secondary = [k for k in range(n) if withheld[k] and not primary[k]]
    return sum(primary), len(secondary), int(sum(max(t.values[k], 1) for k in secondary)), withheld, primary


def hierarchical(rng):
    geo = [("FR", None)]
    for r in range(rng.choice([2, 3])):
        geo.append((f"R{r}", "FR"))
        for d in range(rng.choice([1, 2, 3])):
            geo.append((f"D{r}{d}", f"R{r}"))
    sex = [("both", None), ("m", "both"), ("f", "both")]
    age = [("all", None), ("0-49", "all"), ("50-69", "all"), ("70+", "all")]
    return [geo, sex, age]


def linked(rng):
    site = [("all", None)] + [(s, "all") for s in ["lung", "breast", "colon", "skin"][: rng.choice([3, 4])]]
    sex = [("both", None), ("m", "both"), ("f", "both")]
    year = [("all", None), ("2021", "all"), ("2022", "all"), ("2023", "all")]
    return [site, sex, year]


def main():
    rng = random.Random(20)
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["case", "kind", "dims", "leaves", "primary", "secondary", "secondary_cost"])
    for case in range(30):
        kind = "hierarchical" if case < 18 else "linked"
        dims = hierarchical(rng) if kind == "hierarchical" else linked(rng)
        n_leaves = 1
        for d in dims:
            n_leaves *= sum(1 for l, _ in d if not any(p == l for _, p in d))
        choices = [0, 2, 5, 9, 14, 30, 60, 120] if kind == "hierarchical" else [0, 1, 3, 4, 6, 8, 20, 45]
        leaves = [rng.choice(choices) for _ in range(n_leaves)]
        t = Table(dims, leaves)
        if kind == "hierarchical":
            published = [True] * len(t.cells)
        else:
            # Site x sex over all years, and year x sex over all sites.
            published = [c[2] == "all" or c[0] == "all" for c in t.cells]
        p, s, cost, _, _ = suppress(t, published)
        spec = "|".join(",".join(f"{l}:{p or ''}" for l, p in d) for d in dims)
        w.writerow([case, kind, spec, " ".join(map(str, leaves)), p, s, cost])


def from_file(path, count, by):
    """The reference on a table from a CSV file (the benchmark's sub-table): its rows are the leaf
    cells; an `area` of departement codes rolls up to regions and France as in oncodata; the
    margins are published and left alone unless no protection avoids them (oncodata's rule).
    Prints JSON: cells, primary and secondary cells (margins included), primary_rows and
    secondary_rows (the table's own rows), seconds."""
    import json
    import os
    import time

    rows = list(csv.DictReader(open(path)))
    here = os.path.dirname(os.path.abspath(__file__))
    regions = {r["code"]: r["region_code"] for r in csv.DictReader(open(os.path.join(here, "../data/departements.csv")))}
    dims = []
    for col in by:
        values = sorted({r[col] for r in rows})
        if col == "area" and all(v in regions for v in values):
            d = [("France", None)]
            for reg in sorted({regions[v] for v in values}):
                d.append((f"region {reg}", "France"))
            d += [(v, f"region {regions[v]}") for v in values]
        else:
            d = [(f"all {col}", None)] + [(v, f"all {col}") for v in values]
        dims.append(d)
    leaves_per_dim = [[l for l, _ in d if not any(p == l for _, p in d)] for d in dims]
    counts = {tuple(r[c] for c in by): int(float(r[count])) for r in rows}
    leaves = [counts.get(key, 0) for key in itertools.product(*leaves_per_dim)]
    started = time.perf_counter()
    t = Table(dims, leaves)
    published = [True] * len(t.cells)
    frozen = [not all(not t.children[d][c[d]] for d in range(len(by))) for c in t.cells]
    p, s_, cost, withheld, primary = suppress(t, published, frozen)
    rows_secondary = sum(1 for k in range(len(t.cells)) if withheld[k] and not primary[k] and not frozen[k])
    rows_primary = sum(1 for k in range(len(t.cells)) if primary[k] and not frozen[k])
    print(json.dumps({"cells": len(t.cells), "primary": int(p), "secondary": int(s_), "primary_rows": rows_primary,
                      "secondary_rows": rows_secondary, "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--table":
        from_file(sys.argv[2], sys.argv[3], sys.argv[4].split(","))
    else:
        main()
