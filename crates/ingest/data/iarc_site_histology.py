#!/usr/bin/env python3
"""Writes iarc_site_histology.csv, the IARC/IACR topography/morphology check (#18) complete, from
the check's tables as IARC-CSU/CanReg5 ships them (src/canreg/common/resources/lookup: MorphFam,
Must, MustNot, MorphFamDict), and prints the morphologies of the sex-specific families that
iarc_combinations.csv's iarc.sex-morphology rows list.

    python3 iarc_site_histology.py --git /path/to/CanReg5/.git --commit 8d320cd4

MorphFam gives each morphology a family: `+NN`, a histology that arises only in the sites Must
lists for NN (its "must" families, named by line NN of MorphFamDict); `-NN`, a histology that
never arises in the sites MustNot lists for NN (named by line 63 + NN); `***`, any site. A site is
`C07*` (every subsite) or `C762` (one subsite). Each family becomes one row.
"""

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "coding" / "reference"))
from canreg5 import lines, ranges, read_tables  # noqa: E402
HEADER = """\
# Topography/morphology consistency (IARC check #18), complete: histologies that arise only in
# some sites ("must") or never in some sites ("must_not"). A tumour breaking a row raises the
# warning iarc.site-histology. One row per morphological family of the IARC/IACR Check program
# (Ferlay et al., IARC Technical Report No. 42, 2005), with the family's name, morphologies and
# sites as its tables MorphFam, Must, MustNot and MorphFamDict give them (IARC-CSU/CanReg5
# {commit}); written by iarc_site_histology.py. A three-character site stands for its subsites.
# Columns: ICD-O-3 morphology set; must or must_not; topography set; the family.
morphology,kind,topography,label
"""


def site(code):
    """`C07*` -> `C07`, `C762` -> `C76.2`."""
    return code[:3] if code[3] == "*" else f"{code[:3]}.{code[3]}"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--git", required=True)
    p.add_argument("--commit", required=True)
    a = p.parse_args()

    tables = read_tables(a.git, a.commit)

    def read(name):
        return lines(tables(name))

    names = read("MorphFamDict.txt")
    families = defaultdict(list)  # ('+', 18) -> morphologies
    for line in read("MorphFam.txt"):
        code, fam = line[:4], line[4:7]
        if code.isdigit() and fam[0] in "+-":
            families[(fam[0], int(fam[1:3]))].append(int(code))
    sites = defaultdict(list)
    for kind, table in (("+", "Must.txt"), ("-", "MustNot.txt")):
        for line in read(table):
            line = line.split("/", 1)[0].strip()
            if line:
                sites[(kind, int(line[:2]))].append(site(line[2:6]))
    here = Path(__file__).resolve().parent
    with open(here / "iarc_site_histology.csv", "w", newline="") as w:
        w.write(HEADER.format(commit=a.commit))
        for (kind, number), ms in sorted(families.items(), key=lambda f: (f[0][0] == "-", f[0][1])):
            label = names[number - 1 if kind == "+" else number + 63 - 1].strip().replace(", ", " / ")
            topographies = " ".join(sites[(kind, number)])
            assert topographies, (kind, number)
            w.write(f"{ranges(ms)},{'must' if kind == '+' else 'must_not'},{topographies},{label}\n")
    sex = {1: [22, 23, 24, 25, 26], 2: [27, 28]}
    for s, numbers in sex.items():
        ms = [m for n in numbers for m in families[("+", n)]]
        print(f"sex {s}: families {numbers}: {ranges(ms)}", file=sys.stderr)


if __name__ == "__main__":
    main()
