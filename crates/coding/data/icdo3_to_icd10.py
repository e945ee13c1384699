#!/usr/bin/env python3
"""Writes icdo3_to_icd10_topography.csv and icdo3_to_icd10_morphology.csv, oncodata's tables of the
IARC/IACR ICD-O-3 -> ICD-10 conversion, from the conversion's lookup tables as CanReg5 ships them
(IARC-CSU/CanReg5, src/canreg/common/resources/lookup: O3_10T, O3_10M, O3_10r8, O3_10r9).

    python3 icdo3_to_icd10.py --git /path/to/CanReg5/.git --commit 8d320cd4

IARC's tables give, for each morphology/behaviour, a rule: the site's code for the behaviour
(rules 1-4), one code whatever the site (rule 7; `*` keeps the topography's fourth character), a
list of sites with their codes ending with "all other sites" (rule 8), or the same by sex (rule 9);
a code can be marked as a female (`+`) or male (`@`) histology. oncodata writes them as rows tried
in order (see icdo3_to_icd10_morphology.csv's header), grouping the morphologies that share a rule.

Where CanReg5's program does not do what IARC's rules say, the rows follow the rules, and
crates/coding/reference/icd10_canreg5_differences.csv lists each difference with its source:
the liver, C54.0 endometrial stromal sarcoma, C24.0 cholangiocarcinoma and nodal MALT lymphoma
rules of the conversion program (J. Ferlay 2006 and 2014, B. Rous/GEKID 2015), the breast subsites
of rule 9, and 9395/3, whose rule points past the end of O3_10r8.
"""

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "reference"))
from canreg5 import ranges, read_tables  # noqa: E402
from icd10_canreg5 import CanReg5  # noqa: E402

COLUMNS = {1: "malignant", 2: "benign", 3: "in_situ", 4: "uncertain"}
NATURAL = {3: 1, 0: 2, 2: 3, 1: 4}  # behaviour -> the rule that takes the site's code for it
SEX = {"+": "M", "@": "F"}  # a female histology has no code for a male, and the reverse


def icd(code, topography_digit=None):
    """`C435` -> `C43.5`, `C61 ` -> `C61`, `C43*`/`C43-` -> `C43.*`; `####`, `?` -> '' (no code)."""
    code = code.strip()
    if not code or "#" in code or "?" in code:
        return ""
    if code == "D218":  # CanReg5 turns every D21.8 into D21.9
        code = "D219"
    if len(code) == 3:
        return code
    last = "*" if code[3] in "*-" else code[3]
    return f"{code[:3]}.{last}"


def site(t):
    """`509` -> `C50.9`, `50-` -> `C50`."""
    return f"C{t[:2]}" if t[2] == "-" else f"C{t[:2]}.{t[2]}"


def complement(listed, topographies):
    """The sites of `topographies` not in `listed` (codes like `C50.9` or `C50`), as ranges."""
    def hit(t):
        return any(t == x or (len(x) == 3 and t.startswith(x + ".")) for x in listed)
    keep = [t for t in topographies if not hit(t)]
    out, run = [], []
    for t in topographies:
        if t in keep:
            run.append(t)
        elif run:
            out.append(run)
            run = []
    if run:
        out.append(run)
    return " ".join(r[0] if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in out)


def topography_rows(c):
    """One row per topography with its four codes; a three-character site's subsites that all
    follow one pattern (`C18.*`, or one code) are written as one row for the site."""
    by_site = defaultdict(list)
    for t, line in sorted(c.topography.items()):
        if len(t) == 3 and t.isdigit():
            by_site[t[:2]].append((t[2], [icd(line[4 * r - 4:4 * r]) for r in (1, 3, 2, 4)]))
    rows = []
    for s, subsites in by_site.items():
        def pattern(i):
            same = {codes[i] for _, codes in subsites}
            if len(same) == 1:
                return same.pop()
            kept = {codes[i][:-1] + "*" if codes[i].endswith("." + d) else codes[i] for d, codes in subsites}
            return kept.pop() if len(kept) == 1 else None
        whole = [pattern(i) for i in range(4)]
        if len(subsites) > 1 and all(p is not None for p in whole):
            rows.append([f"C{s}"] + whole)
        else:
            rows.extend([f"C{s}.{d}"] + codes for d, codes in subsites)
    return rows


def rule_rows(c, topographies):
    """The morphology rows: (morphology set, behaviour, topographies, sex, icd10, note), with the
    morphologies that share a rule grouped. Returns (restrictions, rules): the sex restrictions
    come first in the table, as CanReg5 checks them after every rule."""
    groups = defaultdict(list)  # (behaviour, rule key) -> morphologies
    for key, line in c.morphology.items():
        if not (key.isdigit() and key[4] in "0123"):
            continue
        m, b = int(key[:4]), int(key[4])
        rule = ord(line[0]) - 68 if ord(line[0]) > 58 else ord(line[0]) - 48
        if rule <= 5:
            assert rule == NATURAL[b], key
            continue
        if rule == 7:
            code = line[1:5]
            flag = line[5] if len(line) > 5 else " "
            groups[(b, 7, code, flag)].append(m)
        elif rule in (8, 9):
            groups[(b, rule, int(line.strip()[2:]), "")].append(m)
    restrictions, rules = [], []
    for (b, rule, what, flag), ms in sorted(groups.items(), key=lambda g: (g[0][0], min(g[1]))):
        ms = ranges(ms)
        if rule == 7:
            if flag in SEX:
                restrictions.append([ms, b, "*", SEX[flag], "", "rule 7: histology of the other sex"])
            rules.append([ms, b, "*", "*", icd(what), "rule 7: by morphology"])
            continue
        table = c.rule8 if rule == 8 else c.rule9
        i, listed = what - 1, []
        if i >= len(table):
            continue  # 9395/3: the rule points past the end of O3_10r8 (see the differences)
        while True:
            line = table[i]
            aos = line.startswith("aos.")
            where = complement(listed, topographies) if aos else site(line[1:4])
            if rule == 8:
                flag = line[8] if len(line) > 8 else " "
                if flag in SEX:
                    restrictions.append([ms, b, where, SEX[flag], "", "rule 8: histology of the other sex"])
                if aos and line[4] == ":":
                    column = int(line[5])
                    if column != NATURAL[b]:
                        rules.append([ms, b, "*", "*", f"site:{COLUMNS[column]}", "rule 8: all other sites"])
                else:
                    code = icd(line[4:8])
                    if code == "D21.*":  # no D21.8: the program makes it D21.9
                        eights = [t for t in topographies if t.endswith(".8") and (aos or t.startswith(where))]
                        rules.append([ms, b, " ".join(eights), "*", "D21.9", "program: D21.8 is D21.9"])
                    rules.append([ms, b, "*" if aos else where, "*", code,
                                  "rule 8: all other sites" if aos else "rule 8: by site"])
            else:
                male = f"site:{COLUMNS[int(line[5])]}" if aos and line[4] == ":" else icd(line[4:8])
                female = f"site:{COLUMNS[int(line[9])]}" if aos and line[8] == ":" else icd(line[8:12])
                note = "rule 9: all other sites" if aos else "rule 9: by site and sex"
                # CanReg5 gives the male code to both sexes when the two share their first three
                # characters, or when it is a breast code.
                if male[:3] == female[:3] or male.startswith("C50"):
                    if male != f"site:{COLUMNS[NATURAL[b]]}":
                        rules.append([ms, b, "*" if aos else where, "*", male, note])
                else:
                    rules.append([ms, b, "*" if aos else where, "M", male, note])
                    rules.append([ms, b, "*" if aos else where, "F", female, note])
            if aos:
                break
            listed.append(where)
            i += 1
    return restrictions, rules


TOPOGRAPHY_HEADER = """\
# ICD-O-3 topography -> ICD-10 by behaviour: the code of a tumour whose morphology takes its code
# from the site (IARC's rules 1-4: malignant /3, in situ /2, benign /0, uncertain /1). A row for a
# three-character site applies to each of its subsites; "C18.*" keeps the subsite's fourth
# character; an empty cell means the conversion has no code for that behaviour at that site.
# Morphology-specific codes are in icdo3_to_icd10_morphology.csv and are tried first.
# source: IARC/IACR ICD-O-3 -> ICD-10 conversion (IARCcrgTools, Ferlay et al., IARC Technical
#         Report No. 42, 2005), table O3_10T as shipped in IARC-CSU/CanReg5 {commit};
#         written by icdo3_to_icd10.py. D21.8 is D21.9, as the conversion program makes it.
topography,malignant,in_situ,benign,uncertain
"""

MORPHOLOGY_HEADER = """\
# ICD-O-3 -> ICD-10 for the morphologies whose code does not follow the site alone. Rows are tried
# in order; the first whose morphology set, behaviour, topography set and sex all match gives the
# code. Sets: "*" any; codes and ranges separated by spaces ("8000-8005 8010", "C00-C21 C22.1").
# Sex: M or F for one sex, * for both. The code: an ICD-10 code ("*" stands for the topography's
# fourth character: C44.5 -> C43.5 for a melanoma); site:<column> for that column of
# icdo3_to_icd10_topography.csv; empty for no code (a histology of the other sex). A morphology
# with no matching row takes its site's code for its behaviour from icdo3_to_icd10_topography.csv.
# For a person of unknown sex the code is the one both sexes would get, or that of the one sex the
# histology belongs to; a code that depends on sex is not given.
# source: IARC/IACR ICD-O-3 -> ICD-10 conversion (IARCcrgTools, Ferlay et al., IARC Technical
#         Report No. 42, 2005), tables O3_10M, O3_10r8 and O3_10r9 (rules 7, 8 and 9) and the
#         conversion program's liver, C54.0, C24.0 and MALT lymphoma rules, as shipped in
#         IARC-CSU/CanReg5 {commit}; written by icdo3_to_icd10.py.
morphology,behaviour,topography,sex,icd10,note
"""

# The conversion program's own rules, applied after the tables (ConversionICDO3toICD10.java):
# the site rules for 8930/3, 8161-8162/3 and 9699/3, then the liver by morphology.
PROGRAM_RULES = [
    ["8930", 3, "C54.0", "*", "C54.0", "program: endometrial stromal sarcoma of the isthmus (2006)"],
    ["8161-8162", 3, "C24.0", "*", "C24.0", "program: extrahepatic bile duct (J. Ferlay 2014)"],
    ["9699", 3, "C42.0 C42.1 C42.4 C77", "*", "C83.0", "program: nodal MALT lymphoma (B. Rous/GEKID 2015)"],
    ["9120-9133 9161", 3, "C22", "*", "C22.3", "program: angiosarcoma of liver"],
    ["8970", 3, "C22", "*", "C22.2", "program: hepatoblastoma"],
    ["8140-8141 8160-8162 8260 8440 8480-8481 8490 8500 8550 8560", 3, "C22", "*", "C22.1",
     "program: intrahepatic bile duct carcinoma"],
    ["8170-8171", 3, "C22", "*", "C22.0", "program: hepatocellular carcinoma"],
    ["8000", 3, "C22", "*", "C22.9", "program: liver unspecified"],
    ["8001-8799", 3, "C22", "*", "C22.7", "program: other specified carcinomas of liver"],
    ["8800-9589", 3, "C22", "*", "C22.4", "program: other sarcomas of liver"],
]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--git", required=True, help="CanReg5 git directory")
    p.add_argument("--commit", required=True)
    a = p.parse_args()
    c = CanReg5(read_tables(a.git, a.commit))
    here = Path(__file__).resolve().parent
    topographies = [site(t) for t in sorted(c.topography) if t.isdigit()]
    with open(here / "icdo3_to_icd10_topography.csv", "w", newline="") as w:
        w.write(TOPOGRAPHY_HEADER.format(commit=a.commit))
        for row in topography_rows(c):
            w.write(",".join(row) + "\n")
    restrictions, rules = rule_rows(c, topographies)
    with open(here / "icdo3_to_icd10_morphology.csv", "w", newline="") as w:
        w.write(MORPHOLOGY_HEADER.format(commit=a.commit))
        for row in restrictions + PROGRAM_RULES + rules:
            w.write(",".join(str(x) for x in row) + "\n")


if __name__ == "__main__":
    main()
