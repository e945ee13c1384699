"""Reading IARC-CSU/CanReg5's lookup tables as CanReg5 reads them, for the scripts that compute
its conversions and checks (icd10_canreg5.py here, crates/ingest/reference/iarc_checks_canreg5.py)
and write oncodata's tables from them (crates/coding/data/icdo3_to_icd10.py,
crates/ingest/data/iarc_site_histology.py). CanReg5's tables are GPL-3 and are not copied into
oncodata: these functions read them from a checkout."""

import re
import subprocess
from pathlib import Path

LOOKUP = "src/canreg/common/resources/lookup"


def lines(text):
    """Java BufferedReader.readLine: \\r\\n, \\r or \\n end a line; a last empty line is not one."""
    parts = re.split(r"\r\n|\r|\n", text)
    if parts and parts[-1] == "":
        parts.pop()
    return parts


def lookup(text, width):
    """LookUpLoader.load: the text before the first '/' of a line; key = first `width` characters."""
    table = {}
    for line in lines(text):
        line = line.split("/", 1)[0]
        table[line[:width]] = line[width:]
    return table


def read_tables(git, commit):
    """A reader of the lookup tables in a CanReg5 git directory at `commit`."""
    def read(name):
        out = subprocess.run(["git", "--git-dir", git, "show", f"{commit}:{LOOKUP}/{name}"],
                             check=True, capture_output=True)
        return out.stdout.decode("latin-1")
    return read


def read_folder(folder):
    """A reader of the lookup tables copied into `folder`."""
    return lambda name: (Path(folder) / name).read_bytes().decode("latin-1")


def ranges(codes):
    """Integer codes as ranges: [8000, 8001, 8002, 8010] -> `8000-8002 8010`."""
    codes = sorted(codes)
    out, start = [], codes[0]
    for a, b in zip(codes, codes[1:] + [None]):
        if b != a + 1:
            out.append(str(start) if start == a else f"{start}-{a}")
            start = b
    return " ".join(out)
