#!/usr/bin/env python3
"""Independent computation of the registry quality indicators of quality_registry.csv
(oncodata quality's definitions: Bray & Parkin 2009), with Python's csv module only.

Writes quality_expected.csv beside this script. Run: python3 quality_reference.py
- the record with topography C507 is invalid (ICD-O-3 has no C50.7) and is excluded;
- site groups by topography: C50 breast, C61 prostate, C34 lung, C80 other (the national estimates put unknown primary sites with the other cancers);
- MV: basis of diagnosis 5-8; DCO: basis 0; PSU: C80.9; stage unknown: empty stage;
- only invasive tumours (behaviour 3): the in situ breast tumour is not in the indicators;
- M:I is not computable without a mortality source (the population's cancer deaths): empty,
  never the registry's own all-cause deaths.
"""
import csv
import os
from collections import defaultdict

here = os.path.dirname(os.path.abspath(__file__))
groups = {"C50": "breast", "C61": "prostate", "C34": "lung", "C80": "other"}
cells = defaultdict(lambda: {"cases": 0, "mv": 0, "dco": 0, "psu": 0, "stage": 0})
with open(os.path.join(here, "quality_registry.csv")) as f:
    for r in csv.DictReader(f):
        if r["Topo"] == "C507" or r["Beh"] != "3":
            continue
        g = groups[r["Topo"][:3]]
        year = int(r["YoI"])
        c = cells[(g, year)]
        c["cases"] += 1
        basis = int(r["BoD"]) if r["BoD"] else None
        c["mv"] += basis is not None and 5 <= basis <= 8
        c["dco"] += basis == 0
        c["psu"] += r["Topo"] == "C809"
        c["stage"] += r["Stage"] == ""

with open(os.path.join(here, "quality_expected.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["dataset", "site_group", "year", "cases", "pct_mv", "pct_dco", "pct_psu", "pct_stage_unknown", "mi_ratio"])
    for (g, year) in sorted(cells):
        c = cells[(g, year)]
        n = c["cases"]
        pct = lambda k: round(100.0 * c[k] / n, 2)
        w.writerow(["reg", g, year, n, pct("mv"), pct("dco"), pct("psu"), pct("stage"), ""])
