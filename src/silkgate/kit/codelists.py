"""Customs code lists shipped with silkgate (src/silkgate/data/codes_*.csv, built by
scripts/extract_code_tables.py from the public reference tables): country/region (JGS-20 numeric,
as CEB `country` uses), units of measure (JGS-20) and currencies (customs numeric)."""

from __future__ import annotations

import csv
import functools
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"


@functools.cache
def _table(name: str) -> dict[str, str]:
    with (DATA / f"codes_{name}.csv").open(encoding="utf-8", newline="") as fh:
        return {row["code"]: row["name"] for row in csv.DictReader(fh)}


def countries() -> dict[str, str]:
    """3-digit customs country/region code -> Chinese name (142 中国, 502 美国, 116 日本 ...)."""
    return _table("countries")


def units() -> dict[str, str]:
    """3-digit JGS-20 unit code -> Chinese name (007 个, 035 千克, 142 瓶 ...)."""
    return _table("units")


def currencies() -> dict[str, str]:
    """3-digit customs currency code -> Chinese name (142 人民币, 502 美元 ...)."""
    return _table("currencies")


def country_name(code: str) -> str:
    return countries().get(code, code)


def unit_name(code: str) -> str:
    return units().get(code, code)
