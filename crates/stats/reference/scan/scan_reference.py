#!/usr/bin/env python3
"""An independent, brute-force implementation of Kulldorff's discrete Poisson spatial scan
(circular windows, SaTScan's rules), to check oncodata_stats::scan and to time it against.

Written from the method's definition (Kulldorff 1997; SaTScan User Guide v10: "Discrete Poisson
model", "Spatial window", "Criteria for reporting secondary clusters"), not from oncodata's code:
every window of every centre is evaluated (numpy, no pruning), with the exact distances
(Euclidean, or haversine with SaTScan's Earth radius 6367 km) and ties broken by location order.

  scan_reference.py cases FILE.json      # the reference cases below on the New York data
                                         # -> expected.json for crates/stats/tests/scan.rs
  scan_reference.py bench DATA.csv R     # time the scan and R replicates (numpy's own random
                                         # draws) on a table location,cases,expected,latitude,
                                         # longitude; prints seconds and the most likely cluster

Needs numpy.
"""
import csv
import json
import math
import sys
import time

import numpy as np

EARTH_RADIUS_KM = 6367.0


def distances(x, y, i, great_circle):
    if not great_circle:
        return np.hypot(x - x[i], y - y[i])
    la, lb = math.radians(x[i]), np.radians(x)
    dlat = lb - la
    dlon = np.radians(y - y[i])
    h = np.sin(dlat / 2) ** 2 + math.cos(la) * np.cos(lb) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(np.sqrt(h), 1.0))


def windows(x, y, population, share, max_radius, great_circle):
    """Per centre: (order, distances) of its neighbours up to the limits."""
    n = len(x)
    limit = share * population.sum()
    out = []
    for i in range(n):
        d = distances(x, y, i, great_circle)
        order = np.lexsort((np.arange(n), d))  # by distance, then location
        cum = np.cumsum(population[order])
        keep = np.argmax(cum > limit) if (cum > limit).any() else n
        if max_radius is not None:
            beyond = d[order] > max_radius
            if beyond.any():
                keep = min(keep, int(np.argmax(beyond)))
        out.append((order[:keep], d[order[:keep]]))
    return out


def llr(c, e, total, rates):
    """The Poisson LLR of every window (arrays), for high, low or both rates."""
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = np.where(c > 0, c * np.log(c / e), 0.0)
        outside = np.where(total - c > 0, (total - c) * np.log((total - c) / (total - e)), 0.0)
    value = inside + outside
    high = (c > e) & (c >= 2)
    low = c < e
    keep = {"high": high, "low": low, "both": high | low}[rates]
    return np.where(keep, value, 0.0)


def best_per_centre(wins, cases, population, rates):
    total = cases.sum()
    best = []
    for centre, (order, d) in enumerate(wins):
        c = np.cumsum(cases[order])
        e = total * np.cumsum(population[order]) / population.sum()
        values = llr(c, e, total, rates)
        if len(values) == 0 or values.max() <= 0:
            continue
        k = int(np.argmax(values))  # the first of equal maxima
        best.append({"centre": centre, "members": [int(m) for m in order[: k + 1]], "radius": float(d[k]),
                     "observed": float(c[k]), "expected": float(e[k]), "llr": float(values[k])})
    return best


def secondary(best, rule):
    best = sorted(best, key=lambda w: (-w["llr"], w["centre"]))
    reported = []
    for w in best:
        members = set(w["members"])
        if rule == "no_overlap":
            ok = all(not (members & set(r["members"])) for r in reported)
        elif rule == "no_centres_in_others":
            ok = all(w["centre"] not in r["members"] and r["centre"] not in members for r in reported)
        elif rule == "no_centres_in_more_likely":
            ok = all(w["centre"] not in r["members"] for r in reported)
        elif rule == "no_centres_in_less_likely":
            ok = all(r["centre"] not in members for r in reported)
        elif rule == "no_pairs_of_centres":
            ok = all(not (w["centre"] in r["members"] and r["centre"] in members) for r in reported)
        elif rule == "unrestricted":
            ok = True
        else:
            raise ValueError(rule)
        if ok:
            reported.append(w)
    return reported


def read_ny(path):
    rows = list(csv.DictReader(open(path)))
    f = lambda k: np.array([float(r[k]) for r in rows])
    return f("cases"), f("population"), f("satscan_x"), f("satscan_y")


CASES = [
    # name, rates, share, max_radius, secondary rule, great circle
    ("low_50pct", "low", 0.5, None, "no_overlap", False),
    ("both_50pct", "both", 0.5, None, "no_overlap", False),
    ("low_10pct", "low", 0.1, None, "no_overlap", False),
    ("high_radius_0.1", "high", 0.5, 0.1, "no_overlap", False),
    ("high_no_centres_in_others", "high", 0.5, None, "no_centres_in_others", False),
    ("high_no_centres_in_more_likely", "high", 0.5, None, "no_centres_in_more_likely", False),
    ("high_no_centres_in_less_likely", "high", 0.5, None, "no_centres_in_less_likely", False),
    ("high_no_pairs_of_centres", "high", 0.5, None, "no_pairs_of_centres", False),
    ("high_unrestricted", "high", 0.5, None, "unrestricted", False),
    ("latlong_both_radius_10km", "both", 0.5, 10.0, "no_overlap", True),
]


def reference_cases(out):
    here = __file__.rsplit("/", 3)[0]
    cases, population, x, y = read_ny(f"{here}/tests/data/ny_leukemia.csv")
    result = {"data": "tests/data/ny_leukemia.csv (SaTScan's New York leukaemia input)", "cases": {}}
    for name, rates, share, radius, rule, gc in CASES:
        wins = windows(x, y, population, share, radius, gc)
        found = secondary(best_per_centre(wins, cases, population, rates), rule)
        result["cases"][name] = {
            "settings": {"rates": rates, "max_population": share, "max_radius": radius, "secondary": rule,
                         "coordinates": "latitude/longitude" if gc else "cartesian"},
            "clusters": found,
        }
    json.dump(result, open(out, "w"), separators=(",", ":"))


def bench(path, replicates):
    rows = list(csv.DictReader(open(path)))
    f = lambda k: np.array([float(r[k]) for r in rows])
    cases, expected, lat, lon = f("cases"), f("expected"), f("latitude"), f("longitude")
    start = time.perf_counter()
    wins = windows(lat, lon, expected, 0.5, None, True)
    t_windows = time.perf_counter() - start
    best = secondary(best_per_centre(wins, cases, expected, "high"), "no_overlap")
    total = int(cases.sum())
    rng = np.random.default_rng(1)
    p = expected / expected.sum()
    maxima = []
    for _ in range(replicates):
        sim = rng.multinomial(total, p).astype(float)
        m = 0.0
        for order, _ in wins:
            c = np.cumsum(sim[order])
            e = total * np.cumsum(expected[order]) / expected.sum()
            v = llr(c, e, total, "high")
            if len(v):
                m = max(m, float(v.max()))
        maxima.append(m)
    elapsed = time.perf_counter() - start
    top = best[0]
    rank = (1 + sum(m >= top["llr"] for m in maxima)) / (replicates + 1)
    print(f"windows seconds={t_windows:.3f}")
    print(f"total seconds={elapsed:.3f} replicates={replicates}")
    print(f"most_likely centre={rows[top['centre']]['location']} "
          f"members={';'.join(rows[m]['location'] for m in top['members'])} observed={top['observed']:g} "
          f"expected={top['expected']:.10f} llr={top['llr']:.10f} p={rank}")


if __name__ == "__main__":
    if sys.argv[1] == "cases":
        reference_cases(sys.argv[2])
    elif sys.argv[1] == "bench":
        bench(sys.argv[2], int(sys.argv[3]))
