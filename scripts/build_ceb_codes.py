"""Build the CEB-specific code tables (src/silkgate/data/codes_*.csv) from the public reference facts.

Run when the reference tables change:
    .venv/bin/python scripts/build_ceb_codes.py ../shared/reference/codes

Companion of scripts/extract_code_tables.py (countries, units, currencies — shared with the
registry); this one writes the tables only the CEB message layer uses, in the same two-column
`code,name` format plus, for trade modes, the CEB direction(s) allowed:
- codes_transport_modes.csv: 运输方式 (JGS-20), for `trafMode`;
- codes_trade_modes.csv: 监管方式 allowed in CEB declarations (9610 海关总署公告2014年第12号,
  1210 公告2014年第57号, 1239 公告2016年第75号, 9710/9810 公告2020年第75号) with `directions`;
- codes_wrap_types.csv: the 1-character 包装种类 that CEB `wrapType` (length 1) expects.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "silkgate" / "data"

# Which CEB directions each trade mode is declared in (facts from the reference notes on
# derived/trade_modes_ceb.csv: 9610/1210/1239 import and export; 9710/9810 export only).
TRADE_MODE_DIRECTIONS = {
    "9610": "import export",
    "1210": "import export",
    "1239": "import export",
    "9710": "export",
    "9810": "export",
}


def _write(target: str, header: list[str], rows: list[list[str]]) -> None:
    with (OUT / target).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    print(f"{target}: {len(rows)} rows")


def _rows(path: Path, code: str, name: str) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [[r[code].strip(), r[name].strip()] for r in csv.DictReader(fh) if r[code].strip()]


def main(reference: Path) -> None:
    _write(
        "codes_transport_modes.csv",
        ["code", "name"],
        _rows(reference / "ryanrong95__HXT" / "transport_modes.csv", "code", "name_zh"),
    )
    trade = _rows(reference / "derived" / "trade_modes_ceb.csv", "code", "full_name")
    _write(
        "codes_trade_modes.csv",
        ["code", "name", "directions"],
        [[c, n, TRADE_MODE_DIRECTIONS[c]] for c, n in trade],
    )
    _write(
        "codes_wrap_types.csv",
        ["code", "name"],
        _rows(
            reference / "_unidentified__code-index" / "wrap_types_legacy_1char__id54168846025.csv",
            "code",
            "name_zh",
        ),
    )


if __name__ == "__main__":
    main(
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).resolve().parents[2] / "shared" / "reference" / "codes"
    )
