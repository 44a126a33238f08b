"""Turning a TradeEvent into additive rollup cells and writing them with one batched upsert.

A list's contribution is a set of cells (owner, dimension, key) -> measures, written at day and
month grain. The ledger keeps each list's remaining contribution so that a repeated release (a
change), a withdrawal or a return subtracts exactly what is there. Statistics follow the
statistical principle of the customs 跨境电商 statistics (海关总署公告2014年第12号, 2016年第75号,
2018年第194号): a list counts on the day it is released (Beijing time) and is counted off when it
is withdrawn or returned.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from silkgate.declarations.service import defer_write
from silkgate.events import TradeEvent, TradeLine
from silkgate.kit.cebtime import to_beijing
from silkgate.models.trade_stats import StatRollup

ZONE_OWNER = 0
# Enterprise roles in a TradeEvent, each a dimension of the zone's figures.
ROLE_DIMENSIONS = ("seller", "platform", "logistics", "payment", "agent", "warehouse")
ZONE_DIMENSIONS = ("total", "country", "hs2", "hs4", "currency", "customs", *ROLE_DIMENSIONS)
# The views an enterprise has of its own trade (kept small: it is written for each enterprise of a list).
OWNER_DIMENSIONS = ("total", "country", "hs2")
MEASURES = (
    "list_count",
    "value_orig",
    "value_cny",
    "value_usd",
    "tax_cny",
    "returned_count",
    "returned_value_cny",
)
KEY_COLUMNS = (
    "zone_code",
    "owner_enterprise_id",
    "dimension",
    "grain",
    "period",
    "direction",
    "trade_mode",
    "dim_key",
    "source",
)
Q5 = Decimal("0.00001")
ZERO = Decimal(0)


@dataclass
class Cell:
    owner: int
    dimension: str
    key: str
    list_count: int = 0
    value_orig: Decimal = ZERO
    value_cny: Decimal = ZERO
    value_usd: Decimal = ZERO
    tax_cny: Decimal = ZERO
    returned_count: int = 0
    returned_value_cny: Decimal = ZERO

    @property
    def ident(self) -> tuple[int, str, str]:
        return (self.owner, self.dimension, self.key)

    def to_json(self) -> list[Any]:
        return [
            self.owner,
            self.dimension,
            self.key,
            self.list_count,
            str(self.value_orig),
            str(self.value_cny),
            str(self.value_usd),
            str(self.tax_cny),
            self.returned_count,
            str(self.returned_value_cny),
        ]

    @classmethod
    def from_json(cls, raw: list[Any]) -> Cell:
        return cls(
            int(raw[0]),
            str(raw[1]),
            str(raw[2]),
            int(raw[3]),
            Decimal(raw[4]),
            Decimal(raw[5]),
            Decimal(raw[6]),
            Decimal(raw[7]),
            int(raw[8]),
            Decimal(raw[9]),
        )


@dataclass(frozen=True)
class Base:
    zone_code: str
    day: dt.date
    direction: str
    trade_mode: str
    usd_rate: Decimal | None  # CNY per USD on the release day; None when no rate is loaded

    def to_json(self) -> dict[str, Any]:
        return {
            "zone_code": self.zone_code,
            "day": self.day.isoformat(),
            "direction": self.direction,
            "trade_mode": self.trade_mode,
            "usd_rate": None if self.usd_rate is None else str(self.usd_rate),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Base:
        return cls(
            raw["zone_code"],
            dt.date.fromisoformat(raw["day"]),
            raw["direction"],
            raw["trade_mode"],
            None if raw.get("usd_rate") is None else Decimal(raw["usd_rate"]),
        )


def beijing_day(moment: dt.datetime) -> dt.date:
    return to_beijing(moment).date()


def to_usd(value_cny: Decimal, usd_rate: Decimal | None) -> Decimal:
    if usd_rate is None or usd_rate == 0:
        return ZERO
    return (value_cny / usd_rate).quantize(Q5)


def _hs_values(lines: Iterable[TradeLine], digits: int) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for line in lines:
        code = (line.hs_code or "")[:digits]
        if len(code) == digits:
            out[code] = out.get(code, ZERO) + line.value_cny
    return out


CHINA = "142"  # the zone's own country: never a trading partner


def partner_country(event: TradeEvent) -> str:
    """The trading partner of a list, as the statistics count it: for an export the destination
    country; for an import the shipping country (起运国), and where that is China — a bonded (1210)
    list ships from the bonded area, CEB621 `country` = 142 — the origin country of its goods (the
    line of the largest value). China itself is never a partner: "" (not attributed) then."""
    head = (event.country or "").strip()
    if head and head != CHINA:
        return head
    if event.direction != "import":
        return ""
    origins: dict[str, Decimal] = {}
    for line in event.lines:
        code = (line.origin_country or "").strip()
        if code and code != CHINA:
            origins[code] = origins.get(code, ZERO) + line.value_cny
    if not origins:
        return ""
    return max(sorted(origins), key=lambda code: origins[code])


def cells_for_release(event: TradeEvent, usd_rate: Decimal | None) -> list[Cell]:
    """Every cell a released list adds: one per zone dimension, and the owners' own views."""
    value_cny = event.total_value_cny
    usd = to_usd(value_cny, usd_rate)
    partner = partner_country(event)
    tax = event.tax_cny

    def whole(owner: int, dimension: str, key: str, orig: Decimal = ZERO) -> Cell:
        return Cell(owner, dimension, key, 1, orig, value_cny, usd, tax)

    hs2 = _hs_values(event.lines, 2)
    hs4 = _hs_values(event.lines, 4)
    cells = [
        whole(ZONE_OWNER, "total", ""),
        whole(ZONE_OWNER, "country", partner),
        whole(ZONE_OWNER, "currency", event.currency or "", event.total_value),
        whole(ZONE_OWNER, "customs", event.customs_code or ""),
    ]
    for role in ROLE_DIMENSIONS:
        enterprise_id = event.enterprise_ids.get(role)
        if enterprise_id:
            cells.append(whole(ZONE_OWNER, role, str(enterprise_id)))

    def hs_cells(owner: int) -> list[Cell]:
        out = []
        for dimension, values in (("hs2", hs2), ("hs4", hs4)):
            if owner != ZONE_OWNER and dimension not in OWNER_DIMENSIONS:
                continue
            for code, v in sorted(values.items()):
                share_tax = (tax * v / value_cny).quantize(Q5) if value_cny else ZERO
                out.append(Cell(owner, dimension, code, 1, ZERO, v, to_usd(v, usd_rate), share_tax))
        return out

    cells.extend(hs_cells(ZONE_OWNER))
    for owner in sorted({i for i in event.enterprise_ids.values() if i}):
        cells.append(whole(owner, "total", ""))
        cells.append(whole(owner, "country", partner))
        cells.extend(hs_cells(owner))
    return cells


def cells_for_return(remaining: list[Cell], event: TradeEvent, base: Base) -> list[Cell]:
    """The negative part of a return: its value off every cell (per HS line where the lines say),
    and the whole list off the count when nothing is left."""
    total_left = next(
        (c.value_cny for c in remaining if c.dimension == "total" and c.owner == ZONE_OWNER), ZERO
    )
    if total_left <= 0:
        return []  # already fully returned: a repeated return changes nothing
    returned = min(event.total_value_cny, total_left)
    fully = returned >= total_left
    hs2 = _hs_values(event.lines, 2)
    hs4 = _hs_values(event.lines, 4)
    out = []
    for cell in remaining:
        if cell.dimension in ("hs2", "hs4"):
            per_line = hs2 if cell.dimension == "hs2" else hs4
            part = cell.value_cny if fully else min(per_line.get(cell.key, ZERO), cell.value_cny)
        else:
            part = returned
        ratio = part / cell.value_cny if cell.value_cny else Decimal(1 if fully else 0)
        out.append(
            Cell(
                cell.owner,
                cell.dimension,
                cell.key,
                list_count=-cell.list_count if fully else 0,
                value_orig=-(cell.value_orig * ratio).quantize(Q5),
                value_cny=-part,
                value_usd=-(to_usd(part, base.usd_rate) if not fully else cell.value_usd),
                tax_cny=-(cell.tax_cny * ratio).quantize(Q5),
                returned_count=1 if (fully or part > 0) else 0,
                returned_value_cny=part,
            )
        )
    return out


def negate(cells: Iterable[Cell]) -> list[Cell]:
    return [
        Cell(
            c.owner,
            c.dimension,
            c.key,
            -c.list_count,
            -c.value_orig,
            -c.value_cny,
            -c.value_usd,
            -c.tax_cny,
            -c.returned_count,
            -c.returned_value_cny,
        )
        for c in cells
    ]


def combine(left: list[Cell], right: list[Cell]) -> list[Cell]:
    """Cellwise sum (the ledger's remaining contribution after a delta)."""
    merged: dict[tuple[int, str, str], Cell] = {}
    for c in [*left, *right]:
        m = merged.get(c.ident)
        if m is None:
            merged[c.ident] = Cell(*c.ident)
            m = merged[c.ident]
        m.list_count += c.list_count
        m.value_orig += c.value_orig
        m.value_cny += c.value_cny
        m.value_usd += c.value_usd
        m.tax_cny += c.tax_cny
        m.returned_count += c.returned_count
        m.returned_value_cny += c.returned_value_cny
    return list(merged.values())


def rollup_rows(base: Base, cells: Iterable[Cell], source: str = "lists") -> list[dict[str, Any]]:
    """The rows to upsert: every cell at day and month grain, sorted (a stable lock order)."""
    rows = []
    month = base.day.replace(day=1)
    for grain, period in (("d", base.day), ("m", month)):
        for c in cells:
            rows.append(
                {
                    "zone_code": base.zone_code,
                    "owner_enterprise_id": c.owner,
                    "dimension": c.dimension,
                    "grain": grain,
                    "period": period,
                    "direction": base.direction,
                    "trade_mode": base.trade_mode,
                    "dim_key": c.key,
                    "source": source,
                    "list_count": c.list_count,
                    "value_orig": c.value_orig,
                    "value_cny": c.value_cny,
                    "value_usd": c.value_usd,
                    "tax_cny": c.tax_cny,
                    "returned_count": c.returned_count,
                    "returned_value_cny": c.returned_value_cny,
                }
            )
    # A stable lock order for concurrent releases (zone, direction, mode and source are the same
    # for every row of one list).
    rows.sort(key=lambda r: (r["owner_enterprise_id"], r["dimension"], r["grain"], r["period"], r["dim_key"]))
    return rows


def _merged(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per cell key, measures added: a multi-row upsert may touch each row only once."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[k] for k in KEY_COLUMNS)
        seen = merged.get(key)
        if seen is None:
            merged[key] = dict(row)
        else:
            for m in MEASURES:
                seen[m] = seen[m] + row[m]
    return list(merged.values())


_UPSERTS: dict[str, Any] = {}
_COLUMNS = (*KEY_COLUMNS, *MEASURES)


def _upsert_statement(dialect: str) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE adding the measures, built once per dialect (hot path).

    PostgreSQL: the rows arrive as one array per column and are zipped by `unnest` — one round trip
    and one cached statement for any number of rows (an executemany costs a round trip a row).
    SQLite: an executemany of one cached statement (in-process, no round trips)."""
    statement = _UPSERTS.get(dialect)
    if statement is None:
        table: Table = StatRollup.__table__  # type: ignore[assignment]
        base: Any
        if dialect == "postgresql":
            base = postgresql.insert(table).from_select(
                list(_COLUMNS),
                select(
                    *(
                        func.unnest(bindparam(c, type_=postgresql.ARRAY(table.c[c].type))).label(c)
                        for c in _COLUMNS
                    )
                ),
            )
        else:
            base = sqlite.insert(table)
        statement = _UPSERTS[dialect] = base.on_conflict_do_update(
            index_elements=list(KEY_COLUMNS),
            set_={m: table.c[m] + base.excluded[m] for m in MEASURES},
        )
    return statement


def upsert_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add the rows' measures to the existing cells (one statement; rows merged by cell key and in
    the stable lock order)."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect.name
    merged = _merged(rows)
    if dialect == "postgresql":
        connection.execute(_upsert_statement(dialect), {c: [row[c] for row in merged] for c in _COLUMNS})
    else:
        connection.execute(_upsert_statement(dialect), merged)


def _write_deferred(session: Session, batches: list[list[dict[str, Any]]]) -> None:
    upsert_rows(session, [row for rows in batches for row in rows])


def apply_cells(session: Session, base: Base, cells: list[Cell]) -> None:
    """Add a list's cells to the rollups at the end of the transaction, merged with every other
    list's of the transaction (`declarations.service.defer_write`; readers flush first)."""
    rows = rollup_rows(base, cells)
    if rows:
        defer_write(session, _write_deferred, rows)


def ledger_contribution(base: Base, cells: list[Cell]) -> dict[str, Any]:
    return {"base": base.to_json(), "cells": [c.to_json() for c in cells]}


def contribution_of(raw: dict[str, Any] | None) -> tuple[Base, list[Cell]] | None:
    raw = raw or {}
    if not raw.get("base"):
        return None
    return Base.from_json(raw["base"]), [Cell.from_json(c) for c in raw.get("cells", [])]
