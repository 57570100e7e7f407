#!/usr/bin/env python3
"""Writes crates/beian-core/data/mobile_regions.tsv: the province where each mainland mobile
number block (the first seven digits, 号段) was allocated, as ranges.

Source: the geocoding data of Google's libphonenumber (Apache License 2.0), as shipped in the
PyPI package `phonenumbers`. Run it when that data moves on, and commit the result:

    python3 -m pip install 'phonenumbers==9.0.43'
    python3 tools/mobile-regions/generate.py > crates/beian-core/data/mobile_regions.tsv

A block's region is where the number was issued; a number keeps it when its owner moves or
changes carrier (携号转网), which is what a bureau asking for a "local" mobile looks at. Blocks
the data does not place are left out (the rule then says nothing).
"""

import datetime
import re
import sys

import phonenumbers
from phonenumbers.geodata import GEOCODE_DATA

# The data names a province ("浙江省…", "上海市"), or for the autonomous regions only its short
# name before the city ("广西南宁市", "新疆喀什地区"); GB/T 2260 codes as in provinces.tsv.
PROVINCES = {
    "北京": "11", "天津": "12", "河北": "13", "山西": "14", "内蒙古": "15", "辽宁": "21",
    "吉林": "22", "黑龙江": "23", "上海": "31", "江苏": "32", "浙江": "33", "安徽": "34",
    "福建": "35", "江西": "36", "山东": "37", "河南": "41", "湖北": "42", "湖南": "43",
    "广东": "44", "广西": "45", "海南": "46", "重庆": "50", "四川": "51", "贵州": "52",
    "云南": "53", "西藏": "54", "陕西": "61", "甘肃": "62", "青海": "63", "宁夏": "64",
    "新疆": "65",
}


def province_of(place):
    for name, code in PROVINCES.items():
        if place.startswith(name):
            return code
    raise SystemExit(f"no province for {place!r}")


def main():
    blocks = {}
    # Shorter prefixes first, so that a longer (more precise) one overrides them.
    keys = sorted((k for k in GEOCODE_DATA if re.fullmatch(r"861[3-9]\d{2,}", k)), key=len)
    for key in keys:
        digits = key[2:]
        code = province_of(GEOCODE_DATA[key]["zh"])
        if len(digits) >= 7:
            blocks[int(digits[:7])] = code
        else:
            width = 7 - len(digits)
            for i in range(10**width):
                blocks[int(digits + str(i).zfill(width))] = code
    ranges = []
    for block in sorted(blocks):
        code = blocks[block]
        if ranges and ranges[-1][1] == block - 1 and ranges[-1][2] == code:
            ranges[-1][1] = block
        else:
            ranges.append([block, block, code])
    out = sys.stdout
    out.write("# Where each mainland mobile number block (its first seven digits, 号段) was allocated, by province\n")
    out.write("# (GB/T 2260 code as in provinces.tsv), for the provinces that want a local mobile (rules.md §3.4).\n")
    out.write(f"# Source: libphonenumber's geocoding data (Apache License 2.0), PyPI phonenumbers "
              f"{phonenumbers.__version__}, generated {datetime.date.today().isoformat()} by tools/mobile-regions/generate.py.\n")
    out.write(f"# {len(blocks)} blocks in {len(ranges)} ranges; a block not listed is not placed.\n")
    out.write("# first\tlast\tprovince\n")
    for first, last, code in ranges:
        out.write(f"{first}\t{last}\t{code}\n")


if __name__ == "__main__":
    main()
