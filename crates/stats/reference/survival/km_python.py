#!/usr/bin/env python3
"""Reference values for oncodata-stats' Kaplan-Meier from Python's lifelines and
scikit-survival, on R's lung data (lung.csv, written by km_reference.R).

Run from this directory (lifelines 0.30, scikit-survival 0.28 from PyPI):
    python3 km_python.py
Writes km_lung_sex_lifelines.csv and km_lung_sex_sksurv.csv: group, time, surv, lower, upper,
with the log(-log) interval both packages use by default.
"""
import csv

import numpy as np
from lifelines import KaplanMeierFitter
from sksurv.nonparametric import kaplan_meier_estimator

with open("lung.csv", newline="") as f:
    rows = list(csv.DictReader(f))
time = np.array([float(r["time"]) for r in rows])
event = np.array([r["status"] == "2" for r in rows])
sex = np.array([r["sex"] for r in rows])

with open("km_lung_sex_lifelines.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["group", "time", "surv", "lower", "upper"])
    for g in sorted(set(sex)):
        kmf = KaplanMeierFitter().fit(time[sex == g], event[sex == g], alpha=0.05)
        sf = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_
        for t, s, lo, hi in zip(sf.index, sf.values, ci.iloc[:, 0].values, ci.iloc[:, 1].values):
            if t == 0:
                continue
            w.writerow([g, repr(float(t)), repr(float(s)), repr(float(lo)), repr(float(hi))])

with open("km_lung_sex_sksurv.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["group", "time", "surv", "lower", "upper"])
    for g in sorted(set(sex)):
        t, s, (lo, hi) = kaplan_meier_estimator(event[sex == g], time[sex == g], conf_type="log-log")
        for a, b, c, d in zip(t, s, lo, hi):
            w.writerow([g, repr(float(a)), repr(float(b)), repr(float(c)), repr(float(d))])
