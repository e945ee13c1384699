#!/usr/bin/env python3
"""The IARC/IACR consistency checks as IARC-CSU/CanReg5 runs them, on every combination, from
CanReg5's own program (src/canreg/common/qualitycontrol/Check*.java) and tables
(src/canreg/common/resources/lookup: MorphFam, Must, MustNot): which combinations of
topography, morphology, behaviour, sex and age each check calls unlikely ("Rare").

Independent of oncodata: this script reads CanReg5's tables and applies the steps of
CheckTopographyMorphology, CheckSexMorphology, CheckAgeTopography, CheckAgeMorphology,
CheckAgeTopographyMorphology and CheckTopographyBehaviour as they run, including what the code
does rather than what its comments say: in CheckTopographyMorphology a site found in a "must"
family's list by its full code (not by its two-digit wildcard) goes on to the "must not" test of
the same family number (a Java switch without `break`); CheckSexMorphology never reads the
behaviour, so its rule for 9084/3 in a man never applies.

The CanReg5 tables are GPL-3 and are not copied into oncodata: run this script on a checkout:

    python3 iarc_checks_canreg5.py --git /path/to/CanReg5/.git --commit 8d320cd4 > iarc_checks_canreg5.csv

Output rows (the first, `domain`, lists the morphologies MorphFam knows): check, sex (1, 2 or *), ages (first-last, or *), behaviour (or *), topographies
(ICD-O-3 codes and ranges, C00.0-C00.9 C44), morphologies (codes and ranges): every combination
of a row's sets is flagged, and no other combination of CanReg5's 330 topographies, its MorphFam
morphologies, behaviours 0-3, sexes 1-2 and ages 0-120 is.
"""

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "coding" / "reference"))
from canreg5 import lookup, read_tables  # noqa: E402

AGES = range(0, 121)


class Checks:
    def __init__(self, read):
        self.families = lookup(read("MorphFam.txt"), 4)
        self.must = lookup(read("Must.txt"), 6)
        self.must_not = lookup(read("MustNot.txt"), 6)
        self.topographies = sorted(k for k in lookup(read("O3_10T.txt"), 3) if k.isdigit())
        self.morphologies = sorted(int(k) for k in self.families if k.isdigit())

    def topography_morphology(self, t, m):
        """CheckTopographyMorphology: True when Rare."""
        fam = self.families.get(f"{m:04d}")
        if fam is None or len(fam) < 3:
            return False  # Invalid, not Rare
        look = fam[1:3] + "C" + t
        kind = fam[0]
        if kind == "*":
            return False
        if kind == "+":
            if look[:5] + "*" in self.must:
                return False
            if look[:6] not in self.must:
                return True
            # found by its full code: no break, on to the "must not" case
        if look[:5] + "*" in self.must_not:
            return True
        if look[:6] in self.must_not:
            return True
        return False

    def sex_morphology(self, sex, m):
        """CheckSexMorphology (the behaviour is never read: behaviourNumber stays 0)."""
        fam = self.families.get(f"{m:04d}")
        if fam is None:
            return False
        try:
            family = int(fam[1:3])
        except ValueError:
            family = 0
        if sex == 1 and family in (22, 23, 24, 25, 26):
            return True
        if sex == 2 and family in (27, 28):
            return True
        return False

    @staticmethod
    def age_topography(age, t):
        group = int(t) // 10
        if age < 5 and group in (53, 61):
            return True
        return age < 20 and (group in (15, 19, 20, 21, 23, 24, 50, 53, 54, 55) or int(t) == 384)

    @staticmethod
    def age_morphology(age, m):
        if age <= 25 and m in (9730, 9823, 9890):
            return True
        if age >= 15 and m in (8910, 8960, 8961, 8962, 8970, 8981, 8991, 9072, 9470, 9490, 9500, 9687):
            return True
        return age < 15 and m in (9724, 9732, 9823)

    @staticmethod
    def age_topography_morphology(age, t, m):
        group = int(t) // 10
        if age < 40 and group == 61 and m // 10 == 814:
            return True
        if age < 20 and group == 17 and m < 9590:
            return True
        if age < 20 and group in (33, 34, 18) and m // 10 != 824:
            return True
        if age > 5 and m in (9510, 9512) and group == 69:
            return True
        return (age < 15 or age > 45) and group == 58 and m == 9100

    @staticmethod
    def topography_behaviour(t, b):
        group = int(t) // 10
        return group in (40, 41, 42, 47, 49, 70, 71, 72) and b == 2


def ranges(items, fmt=str):
    """Consecutive runs of `items` (in the order of `universe`) as 'a-b' ranges."""
    out, run = [], []
    for i, x in items:
        if run and i != run[-1][0] + 1:
            out.append(run)
            run = []
        run.append((i, x))
    if run:
        out.append(run)
    return " ".join(fmt(r[0][1]) if len(r) == 1 else f"{fmt(r[0][1])}-{fmt(r[-1][1])}" for r in out)


def age_span(flags):
    """The flagged ages as one first-last range (every check's ages are one interval or two)."""
    ages = [a for a, f in zip(AGES, flags) if f]
    if not ages:
        return []
    spans, start = [], ages[0]
    for a, b in zip(ages, ages[1:] + [None]):
        if b != a + 1:
            spans.append(f"{start}-{a}")
            start = b
    return spans


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--git", required=True)
    p.add_argument("--commit", required=True)
    a = p.parse_args()

    c = Checks(read_tables(a.git, a.commit))
    tops = c.topographies
    top_index = {t: i for i, t in enumerate(tops)}
    code = lambda t: f"C{t[:2]}.{t[2]}"  # noqa: E731

    rows = defaultdict(list)  # (check, sex, ages, behaviour, topographies) -> morphologies

    def add(check, sex, ages, behaviour, topo_list, m):
        key = (check, sex, ages, behaviour, ranges([(top_index[t], t) for t in topo_list], code))
        rows[key].append(m)

    for m in c.morphologies:
        flagged = [t for t in tops if c.topography_morphology(t, m)]
        if flagged:
            add("topography-morphology", "*", "*", "*", flagged, m)
        for sex in (1, 2):
            if c.sex_morphology(sex, m):
                rows[("sex-morphology", str(sex), "*", "*", "*")].append(m)
        spans = age_span([c.age_morphology(age, m) for age in AGES])
        for span in spans:
            rows[("age-morphology", "*", span, "*", "*")].append(m)
        by_span = defaultdict(list)
        for t in tops:
            for span in age_span([c.age_topography_morphology(age, t, m) for age in AGES]):
                by_span[span].append(t)
        for span, ts in by_span.items():
            add("age-topography-morphology", "*", span, "*", ts, m)
    by_span = defaultdict(list)
    for t in tops:
        for span in age_span([c.age_topography(age, t) for age in AGES]):
            by_span[span].append(t)
    for span, ts in by_span.items():
        rows[("age-topography", "*", span, "*", ranges([(top_index[t], t) for t in ts], code))].append(None)
    flagged = [t for t in tops if c.topography_behaviour(t, 2)]
    rows[("topography-behaviour", "*", "*", "2", ranges([(top_index[t], t) for t in flagged], code))].append(None)

    w = sys.stdout
    w.write("check,sex,ages,behaviour,topography,morphology\n")
    # The morphologies the checks know (MorphFam): the domain of the comparison.
    w.write("domain,*,*,*,*," + ranges([(m, m) for m in c.morphologies]) + "\n")
    for key in sorted(rows, key=lambda k: (k[0], k[1], k[2], k[4])):
        ms = rows[key]
        morph = "*" if ms == [None] else ranges([(m, m) for m in sorted(ms)])
        w.write(",".join([*key, morph]) + "\n")


if __name__ == "__main__":
    main()
