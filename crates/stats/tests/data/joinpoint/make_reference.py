#!/usr/bin/env python3
"""Runs the independent reference (crates/stats/reference/joinpoint/joinpoint_reference.py) on
every case below and writes expected.json, which crates/stats/tests/joinpoint.rs compares with.

    python3 make_reference.py     # needs numpy and scipy
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "../../../reference/joinpoint/joinpoint_reference.py")


def series_of(path, x, y, where, count=None):
    rows = [r for r in csv.DictReader(open(os.path.join(HERE, path))) if all(r[k] == v for k, v in where.items())]
    out = "x,y" + (",count" if count else "") + "\n"
    for r in rows:
        out += f"{r[x]},{r[y]}" + (f",{r[count]}" if count else "") + "\n"
    return out


CASES = []
for r in csv.DictReader(open(os.path.join(HERE, "england_joinpoint_results.csv"))):
    CASES.append({
        "name": f"england {r['cancer_site']} {r['sex']}",
        "data": "england_incidence_rolling.csv",
        "where": {"cancer_site": r["cancer_site"], "sex": r["sex"]},
        "x": "year", "y": "asr_rolling", "count": None,
        "options": {"weights": "constant", "selection": "wbic"},
    })
CASES += [
    {"name": "england lung men, permutation tests and resamples",
     "data": "england_incidence_rolling.csv", "where": {"cancer_site": "Lung", "sex": "Men"},
     "x": "year", "y": "asr_rolling", "count": None,
     "options": {"weights": "constant", "selection": "permutation", "permutations": 199, "seed": 3,
                 "resamples": 200, "aapc": ["2009-2018"]}},
    {"name": "synthetic poisson, permutation tests",
     "data": "synthetic_poisson.csv", "where": {}, "x": "year", "y": "rate", "count": "count",
     "options": {"weights": "poisson", "selection": "permutation", "permutations": 299, "seed": 7,
                 "max_joinpoints": 3, "resamples": 300, "aapc": ["2011-2020", "2013-2020"]}},
    {"name": "synthetic poisson, bic3",
     "data": "synthetic_poisson.csv", "where": {}, "x": "year", "y": "rate", "count": "count",
     "options": {"weights": "poisson", "selection": "bic3"}},
    {"name": "synthetic poisson, bic",
     "data": "synthetic_poisson.csv", "where": {}, "x": "year", "y": "rate", "count": "count",
     "options": {"weights": "poisson", "selection": "bic", "aapc": ["2016-2020"]}},
]

out = []
for case in CASES:
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        f.write(series_of(case["data"], case["x"], case["y"], case["where"], case["count"]))
    args = [sys.executable, REFERENCE, f.name]
    o = case["options"]
    args += ["--weights", o["weights"], "--selection", o["selection"]]
    for key in ["permutations", "seed", "resamples", "max_joinpoints"]:
        if key in o:
            args += ["--" + key.replace("_", "-"), str(o[key])]
    for r in o.get("aapc", []):
        args += ["--aapc", r]
    result = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    os.unlink(f.name)
    out.append({**case, "expected": result})
    print(case["name"], result["selected"], result["joinpoints"], file=sys.stderr)
json.dump(out, open(os.path.join(HERE, "expected.json"), "w"), indent=1)
