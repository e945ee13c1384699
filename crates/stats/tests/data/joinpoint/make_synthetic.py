#!/usr/bin/env python3
"""Writes synthetic_poisson.csv: yearly cases of a cancer with known joinpoints.

Truth: ln(rate per 100,000) = ln 40 + 0.03 (year - 1995) - 0.05 (year - 2005)+ + 0.03 (year - 2012)+,
i.e. APC +3.05 % until 2005, -1.98 % until 2012, +1.01 % after; population 20,000,000 growing
0.5 % a year; counts Poisson with that mean (numpy's PCG64, seed 20261207).
"""
import numpy as np

rng = np.random.default_rng(20261207)
with open("synthetic_poisson.csv", "w") as f:
    f.write("year,count,population,rate\n")
    for year in range(1995, 2021):
        t = year - 1995
        log_rate = np.log(40) + 0.03 * t - 0.05 * max(year - 2005, 0) + 0.03 * max(year - 2012, 0)
        pop = round(20_000_000 * 1.005 ** t)
        count = int(rng.poisson(np.exp(log_rate) * pop / 1e5))
        f.write(f"{year},{count},{pop},{count / pop * 1e5!r}\n")
