#!/usr/bin/env python3
"""Independent computation of `oncodata demo`'s incidence table.

Reads what the demo generated and quarantined (DIR/sources/registry/encr_50_*.csv, DIR/sources/population.csv,
DIR/reports/quarantine.csv), groups the accepted invasive tumours into the site groups of the
French national estimates with its own rules (written here from the published definitions,
not taken from oncodata), and computes with scipy:

- crude rate per 100,000 and its exact Poisson interval (chi-square quantiles, Garwood);
- the world (Segi 1960) age-standardised rate and its Tiwari et al. (2006) gamma interval.

Usage (after `oncodata demo --warehouse DIR --seed 20241`):
    python3 demo_incidence.py DIR > demo_incidence_seed20241.csv
Run once with scipy 1.17; the output is the fixture `demo_incidence_seed20241.csv` that the
end-to-end test compares the demo's report with. Re-run it when the generator changes.
"""
import csv
import glob
import sys
from collections import defaultdict

from scipy.stats import chi2, gamma

WORLD = [12000, 10000, 9000, 9000, 8000, 8000, 6000, 6000, 6000, 6000, 5000, 4000, 4000, 3000, 2000, 1000, 500, 500]
AGE_GROUPS = [f"{5 * i}-{5 * i + 4}" for i in range(17)] + ["85+"]


def in_ranges(code, ranges):
    return any(lo <= code <= hi for lo, hi in ranges)


def topo_number(topo):  # "C509" -> 509
    return int(topo[1:].replace(".", ""))


# (group, morphology ranges or None, topography ranges or None), tried in order.
HAEM = [
    ("hodgkin", [(9650, 9667)]),
    ("myeloma", [(9731, 9734)]),
    ("acute_leukaemia", [(9801, 9809), (9811, 9819), (9835, 9837), (9840, 9840), (9861, 9861), (9865, 9874), (9891, 9931)]),
    ("nhl", [(9590, 9597), (9670, 9729), (9735, 9738), (9760, 9769), (9820, 9834), (9940, 9940), (9948, 9948)]),
    ("other_haematological", [(9740, 9759), (9800, 9800), (9860, 9860), (9863, 9863), (9875, 9879), (9945, 9993)]),
]
SOLID = [
    ("lip_oral_pharynx", (0, 148)), ("oesophagus", (150, 159)), ("stomach", (160, 169)),
    ("colorectum", (180, 209)), ("anus", (210, 218)), ("liver", (220, 221)), ("pancreas", (250, 259)),
    ("larynx", (320, 329)), ("lung", (339, 349)), ("breast", (500, 509)), ("cervix", (530, 539)),
    ("corpus_uteri", (540, 559)), ("ovary", (569, 569)), ("prostate", (619, 619)), ("testis", (620, 629)),
    ("kidney", (649, 669)), ("kidney", (680, 689)), ("bladder", (670, 679)), ("cns", (700, 729)),
    ("thyroid", (739, 739)),
]


def site_group(topo, morph):
    t, m = topo_number(topo), int(morph)
    for group, ranges in HAEM:
        if in_ranges(m, ranges):
            return group
    if 9050 <= m <= 9055 and t == 384:
        return "mesothelioma"
    if m == 9140:
        return "kaposi"
    if 8720 <= m <= 8790 and 440 <= t <= 449:
        return "melanoma"
    for group, (lo, hi) in SOLID:
        if lo <= t <= hi:
            return group
    return "other"


def main(directory):
    quarantined = set()
    with open(f"{directory}/reports/quarantine.csv", newline="") as f:
        for row in csv.DictReader(f):
            quarantined.add(int(row["line"]))
    (encr,) = glob.glob(f"{directory}/sources/registry/encr_50_*.csv")
    cases = defaultdict(lambda: [0] * 18)
    with open(encr, newline="") as f:
        reader = csv.DictReader(f)
        for line, row in enumerate(reader, start=2):
            if line in quarantined or row["Beh"] != "3":
                continue
            sex = {"1": "male", "2": "female"}[row["Sex"]]
            g = min(int(row["Age"]) // 5, 17)
            for site in (site_group(row["Topo"], row["Morpho"]), "all"):
                cases[(site, sex)][g] += 1
    py = defaultdict(lambda: [0.0] * 18)
    with open(f"{directory}/sources/population.csv", newline="") as f:
        for row in csv.DictReader(f):
            sex = {"1": "male", "2": "female"}[row["sex"]]
            py[sex][AGE_GROUPS.index(row["age_group"])] += float(row["persons"])

    order = [s for s, _ in SOLID[:9]] + ["melanoma", "mesothelioma", "kaposi"] + [s for s, _ in SOLID[9:]]
    order = list(dict.fromkeys(order)) + ["hodgkin", "nhl", "myeloma", "acute_leukaemia", "other_haematological", "other", "all"]
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["site_group", "sex", "cases", "person_years", "crude_rate", "crude_lower", "crude_upper",
                  "asr", "asr_lower", "asr_upper"])
    total_w = sum(WORLD)
    for site in order:
        for sex in ("male", "female"):
            if (site, sex) not in cases:
                continue
            c, p = cases[(site, sex)], py[sex]
            n, pyr = sum(c), sum(p)
            lo = chi2.ppf(0.025, 2 * n) / 2 if n > 0 else 0.0
            hi = chi2.ppf(0.975, 2 * n + 2) / 2
            w = [WORLD[i] / (p[i] * total_w) for i in range(18)]
            y = sum(w[i] * c[i] for i in range(18))
            v = sum(w[i] ** 2 * c[i] for i in range(18))
            ys, vs = y + sum(w) / 18, v + sum(x * x for x in w) / 18
            a_lo = gamma.ppf(0.025, y * y / v, scale=v / y) if y > 0 else 0.0
            a_hi = gamma.ppf(0.975, ys * ys / vs, scale=vs / ys)
            k = 1e5
            out.writerow([site, sex, n, pyr] + [repr(float(x)) for x in
                          (n / pyr * k, lo / pyr * k, hi / pyr * k, y * k, a_lo * k, a_hi * k)])


if __name__ == "__main__":
    main(sys.argv[1])
