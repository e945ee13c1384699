#!/usr/bin/env python3
"""Writes naaccr_items.csv: every data item of the NAACCR base dictionaries 18 to 26, with the
dictionary versions that define it, its parent element, its length, and its column in the
version 18 fixed-width layout (the last version with a flat-file layout).

Source: the NAACCR XML base dictionaries as distributed with the imsweb naaccr-xml library
(https://github.com/imsweb/naaccr-xml, src/main/resources/naaccr-dictionary-VVV.xml; the
dictionaries are maintained and provided by NAACCR, https://www.naaccr.org/; the library is
BSD-licensed, copyright Information Management Services, Inc.). Only these facts about each item
are kept, not the dictionaries.

Usage: python3 naaccr_items.py DIR_WITH_DICTIONARIES > naaccr_items.csv
"""
import csv
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

NS = "{http://naaccr.org/naaccrxml}"
VERSIONS = ["180", "210", "220", "230", "240", "250", "260"]


def main(folder):
    items = {}
    for version in VERSIONS:
        root = ET.parse(Path(folder) / f"naaccr-dictionary-{version}.xml").getroot()
        for d in root.iter(NS + "ItemDef"):
            item = items.setdefault(
                d.get("naaccrId"),
                {"num": d.get("naaccrNum"), "parent": d.get("parentXmlElement"), "versions": [], "start180": "", "length180": ""},
            )
            item["versions"].append(version)
            item["length"] = d.get("length")
            if version == "180" and d.get("startColumn"):
                item["start180"] = d.get("startColumn")
                item["length180"] = d.get("length")
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["naaccr_id", "naaccr_num", "parent", "length", "versions", "start_column_180", "length_180"])
    for name in sorted(items, key=lambda n: (int(items[n]["num"]), n)):
        i = items[name]
        out.writerow([name, i["num"], i["parent"], i["length"], " ".join(i["versions"]), i["start180"], i["length180"]])


if __name__ == "__main__":
    main(sys.argv[1])
