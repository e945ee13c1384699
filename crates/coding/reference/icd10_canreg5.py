#!/usr/bin/env python3
"""The ICD-O-3 -> ICD-10 conversion of IARC-CSU/CanReg5, computed from CanReg5's own lookup tables
for every topography and every morphology/behaviour (0-3) they list, for each sex.

Independent of oncodata: this script reads CanReg5's tables (O3_10T, O3_10M, O3_10r8, O3_10r9 in
src/canreg/common/resources/lookup) and applies the steps of CanReg5's
src/canreg/common/conversions/ConversionICDO3toICD10.java (`performConversion`) as that program
runs them, including what its code does rather than what its comments say:

* `behaviourNumber` is never parsed (it stays 0) and `topographyNumber` is parsed from the
  morphology code, so the special cases for 8930/3, 8161-8162/3 at C24.0 and MALT lymphoma 9699
  at C42.0/C42.1/C42.4/C77 never apply;
* rule 9's two-digit site lines (`50-`) compare a three-character code with two characters and
  never match, so the "all other sites" line applies;
* a female histology (flag `+`) gives no code for a male and a male histology (`@`) none for a
  female; rule 9 codes depend on sex unless both sexes get the same three-character code (and never
  for a C50 code).

The CanReg5 tables are GPL-3 and are not copied into oncodata: run this script on a checkout
(`git clone https://github.com/IARC-CSU/CanReg5`, or the git directory that the search tool's
fetch gives) to regenerate the reference file:

    python3 icd10_canreg5.py --git /path/to/CanReg5/.git --commit 8d320cd4

It writes two files, the whole table (330 topographies x 2,768 morphology/behaviour pairs x 2
sexes) in a form that stays small:

* `icd10_canreg5_patterns.csv.gz`: the distinct columns of codes, one row each: `pattern`, then the
  ICD-10 code (`C43.5`, `D45`) for each of CanReg5's 330 topographies, empty where CanReg5 gives
  none (no code at that site, a rule that ends without one, a histology of the other sex);
* `icd10_canreg5.csv`: morphology, behaviour, sex (1 male, 2 female, `*` the same for both) and
  the pattern that gives its codes.
"""

import argparse
import gzip
import io
import re
import sys
from pathlib import Path

from canreg5 import lookup, lines, read_folder, read_tables  # noqa: F401 (read_* used by main)

class CanReg5:
    def __init__(self, read):
        self.topography = lookup(read("O3_10T.txt"), 3)
        self.morphology = lookup(read("O3_10M.txt"), 5)
        self.rule8 = lines(read("O3_10r8.txt"))
        self.rule9 = lines(read("O3_10r9.txt"))

    def site(self, rule, topography, current):
        """TopogConv: column `rule` (1-5) of the topography's line, else the code unchanged."""
        line = self.topography.get(topography)
        if rule == 0 or rule > 5 or line is None or len(line) < 20:
            return current
        pos = 4 * rule - 4
        return line[pos:pos + 4]

    def convert(self, topography, morphology, behaviour, sex):
        """(code, None) or (None, reason): performConversion for one sex (1 male, 2 female)."""
        line = self.morphology.get(f"{morphology}{behaviour}")
        if line is None:
            return None, "morphology/behaviour not in O3_10M"
        male, female, flag, sex_dependent = "?????", "?????", " ", False
        first = line[0]
        rule = ord(first) - 68 if ord(first) > 58 else ord(first) - 48
        if rule <= 5:
            male = self.site(rule, topography, male)
        elif rule == 7:
            male = line[1:]
            if len(male) > 3 and male[3] == "*":
                male = male[:3] + topography[2]
            if len(line) > 5:
                flag = line[5]
            # The 8930, 8161/8162 and 9699 overrides test behaviourNumber (always 0) or
            # topographyNumber (the morphology): they never apply.
        elif rule == 8:
            try:
                i = int(line[2:].strip()) - 1
            except ValueError:
                return None, "rule 8 line number"
            while True:
                if i >= len(self.rule8):
                    return None, "rule 8 end of table"
                r = self.rule8[i]
                if r.startswith("aos."):
                    if r[4] == ":":
                        male = self.site(ord(r[5]) - 48, topography, male)
                        break
                    male, flag = r[4:8], r[8]
                    break
                if topography == r[1:4]:
                    male, flag = r[4:8], r[8]
                    break
                if len(topography) == 3 and topography[:2] == r[1:3] and r[3] == "-":
                    male = r[4:8]
                    if male[3] == "-":
                        male = male[:3] + topography[2]
                    flag = r[8]
                    break
                i += 1
        elif rule == 9:
            sex_dependent = True
            try:
                i = int(line.strip()[2:]) - 1
            except ValueError:
                return None, "rule 9 line number"
            while True:
                if i >= len(self.rule9):
                    return None, "rule 9 end of table"
                r = self.rule9[i]
                if r.startswith("aos."):
                    if r[8] == ":":
                        male = self.site(ord(r[9]) - 48, topography, male)
                        female = male
                    else:
                        female = r[8:12]
                    if r[4] == ":":
                        male = self.site(ord(r[5]) - 48, topography, male)
                    else:
                        male = r[4:8]
                    break
                if topography == r[1:4]:
                    male, female = r[4:8], r[8:12]
                    break
                # CanReg5 compares the three-character topography with two characters here.
                if topography == r[1:3] and r[3] == "-":
                    raise AssertionError("unreachable")
                i += 1
        else:
            return None, "wrong conversion rule"

        if topography.startswith("22") and behaviour == 3:
            m = morphology
            if 9120 <= m <= 9133 or m == 9161:
                male = "C223"
            elif m == 8970:
                male = "C222"
            elif m in (8160, 8161, 8162, 8140, 8141, 8260, 8440, 8480, 8481, 8490, 8500, 8550, 8560):
                male = "C221"
            elif m in (8170, 8171):
                male = "C220"
            elif m == 8000:
                male = "C229"
            elif m < 8800:
                male = "C227"
            elif m < 9590:
                male = "C224"
        if male == "D218":
            male = "D219"
        if male.startswith("C50") and rule == 9:
            sex_dependent = False
        code = male.strip()
        if flag == "+" and sex != 2:
            return None, "female histology"
        if flag == "@" and sex != 1:
            return None, "male histology"
        if sex_dependent and female[:3] != male[:3]:
            code = male.strip() if sex == 1 else female.strip()
        return code[:4], None


def tidy(code):
    """C435 -> C43.5; C61 stays C61 (CanReg5 keeps `C61 `); a code with '?' or '#' is none."""
    code = code.strip()
    if not re.fullmatch(r"[A-Z]\d\d\d?", code):
        return None
    return code if len(code) == 3 else f"{code[:3]}.{code[3]}"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--git", help="CanReg5 git directory")
    p.add_argument("--commit", default="HEAD")
    p.add_argument("--dir", help="or a folder holding the four lookup files")
    p.add_argument("--out", default=".", help="where to write the two reference files")
    a = p.parse_args()
    if not (a.git or a.dir):
        p.error("give --git or --dir")
    c = CanReg5(read_tables(a.git, a.commit) if a.git else read_folder(a.dir))
    topographies = [t for t in sorted(c.topography) if re.fullmatch(r"\d{3}", t)]
    keys = sorted((int(k[:4]), int(k[4])) for k in c.morphology if re.fullmatch(r"\d{4}[0-3]", k))
    patterns = {}  # the codes of the topographies, in order -> pattern number
    rows = []
    for m, b in keys:
        by_sex = {}
        for sex in (1, 2):
            codes = []
            for t in topographies:
                code, _ = c.convert(t, m, b, sex)
                codes.append(tidy(code) or "" if code is not None else "")
            by_sex[sex] = tuple(codes)
        for sex, codes in ([("*", by_sex[1])] if by_sex[1] == by_sex[2] else by_sex.items()):
            rows.append((m, b, sex, patterns.setdefault(codes, len(patterns))))
    out = Path(a.out)
    with open(out / "icd10_canreg5_patterns.csv.gz", "wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as z, \
            io.TextIOWrapper(z, newline="") as w:
        w.write(",".join(["pattern"] + [f"C{t[:2]}.{t[2]}" for t in topographies]) + "\n")
        for codes, n in patterns.items():
            w.write(",".join([str(n), *codes]) + "\n")
    with open(out / "icd10_canreg5.csv", "w", newline="") as w:
        w.write("morphology,behaviour,sex,pattern\n")
        for m, b, sex, n in rows:
            w.write(f"{m},{b},{sex},{n}\n")

if __name__ == "__main__":
    main()
