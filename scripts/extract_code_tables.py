"""Build silkgate's own code tables (src/silkgate/data/codes_*.csv) from the public reference facts.

Run once when the reference tables change:
    .venv/bin/python scripts/extract_code_tables.py ../shared/reference/codes

Only the facts are kept (code and Chinese name) in silkgate's own two-column format:
- codes_countries.csv: customs numeric country/region codes (国别(地区)代码, JGS-20), used by CEB
  `country` and commodity filing `origin_country`;
- codes_units.csv: JGS-20 units of measure (计量单位代码), for `unit`, `unit1`, `unit2`;
- codes_currencies.csv: customs numeric currency codes (币制代码), for `currency`.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "silkgate" / "data"


def _extract(source: Path, code_col: str, name_col: str, target: str, width: int) -> int:
    with source.open(encoding="utf-8", newline="") as fh:
        rows = sorted(
            {
                (r[code_col].strip().zfill(width), r[name_col].strip())
                for r in csv.DictReader(fh)
                if r[code_col].strip()
            }
        )
    with (OUT / target).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["code", "name"])
        writer.writerows(rows)
    return len(rows)


def main(reference: Path) -> None:
    counts = {
        "codes_countries.csv": _extract(
            reference / "derived" / "country_numeric_iso3_crosswalk.csv",
            "code_num",
            "name_zh",
            "codes_countries.csv",
            3,
        ),
        "codes_units.csv": _extract(
            reference / "ryanrong95__HXT" / "units.csv", "code", "name_zh", "codes_units.csv", 3
        ),
        "codes_currencies.csv": _extract(
            reference / "derived" / "currency_numeric_iso.csv",
            "code_num",
            "name_zh",
            "codes_currencies.csv",
            3,
        ),
    }
    for name, n in counts.items():
        print(f"{name}: {n} rows")


if __name__ == "__main__":
    main(
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).resolve().parents[2] / "shared" / "reference" / "codes"
    )
