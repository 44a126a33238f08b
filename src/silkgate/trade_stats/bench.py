"""`silkgate bench stats`: fill N synthetic released lists (bulk path: straight into the declaration
and rollup tables), then time each dashboard question from the rollups and the same answer from a
plain GROUP BY over the raw lists, check the answers agree, and print both times and their ratio."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from silkgate.models.declarations import Declaration
from silkgate.models.zone import Zone
from silkgate.trade_stats import queries
from silkgate.trade_stats.service import StatsScope

BJ = dt.timezone(dt.timedelta(hours=8))
BENCH_ZONES = ("370400", "370800", "370900", "371400", "371500", "371600", "371700")  # Shandong's seven
MODES = (
    ("import", "9610", 30),
    ("import", "1210", 25),
    ("export", "9610", 25),
    ("export", "9710", 12),
    ("export", "9810", 8),
)
COUNTRIES = (
    ("502", 18),
    ("116", 12),
    ("133", 9),
    ("303", 7),
    ("304", 7),
    ("344", 8),
    ("305", 4),
    ("601", 4),
    ("132", 4),
    ("112", 3),
    ("136", 3),
    ("501", 3),
    ("410", 2),
    ("307", 2),
    ("309", 2),
    ("330", 2),
    ("129", 2),
    ("141", 2),
    ("138", 1),
    ("111", 1),
    ("122", 1),
    ("137", 1),
    ("143", 1),
    ("110", 1),
    ("244", 1),
    ("225", 1),
    ("202", 1),
    ("601", 1),
    ("609", 1),
    ("429", 1),
)
HS_CODES = (
    "3304990099",
    "3304100091",
    "3401300000",
    "1901101000",
    "2106909090",
    "6110200090",
    "6204430090",
    "6402999000",
    "8517130000",
    "8471300000",
    "8509400090",
    "9503008900",
    "9506911900",
    "4202210000",
    "7113190000",
    "9403600090",
    "3926909090",
    "8516310000",
    "6302100000",
    "0409000000",
    "2204210000",
    "8418211000",
    "8528721100",
    "9004100000",
    "9102110000",
    "4819100000",
    "6911100000",
    "7323930000",
)
SELLERS = 600
PLATFORMS = 20
LOGISTICS = 12
CUSTOMS = ("4201", "4202", "4208", "4217", "4228")
FIRST_DAY = dt.date(2023, 12, 1)
CHUNK = 50_000


def _weighted(choices: tuple[tuple[Any, ...], ...]) -> list[Any]:
    out = []
    for c in choices:
        out.extend([c[:-1] if len(c) > 2 else c[0]] * int(c[-1]))
    return out


@dataclass
class Timing:
    name: str
    rollup_ms: float
    groupby_ms: float
    equal: bool
    rollup_cpu_ms: float = 0.0
    groupby_cpu_ms: float = 0.0

    @property
    def ratio(self) -> float:
        return self.groupby_ms / self.rollup_ms if self.rollup_ms else 0.0


@dataclass
class BenchResult:
    backend: str
    lists: int
    fill_seconds: float
    rollup_rows: int
    timings: list[Timing] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "lists": self.lists,
            "fill_seconds": round(self.fill_seconds, 1),
            "rollup_rows": self.rollup_rows,
            "queries": [
                {
                    "name": t.name,
                    "rollup_ms": round(t.rollup_ms, 2),
                    "groupby_ms": round(t.groupby_ms, 2),
                    "ratio": round(t.ratio, 1),
                    "rollup_cpu_ms": round(t.rollup_cpu_ms, 2),
                    "groupby_cpu_ms": round(t.groupby_cpu_ms, 2),
                    "equal": t.equal,
                }
                for t in self.timings
            ],
            "max_rollup_ms": round(max((t.rollup_ms for t in self.timings), default=0.0), 2),
        }


# --- fill ------------------------------------------------------------------------------------------


def _enterprises(engine: Engine, zone_codes: tuple[str, ...]) -> dict[str, dict[str, list[int]]]:
    """Bench enterprises per zone (organisations + filings written directly), by role."""
    out: dict[str, dict[str, list[int]]] = {}
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        start = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM organisations")).scalar_one() + 1
        next_ent = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM enterprises")).scalar_one() + 1
        orgs, ents = [], []
        n = 0
        for zi, zone in enumerate(zone_codes):
            out[zone] = {"seller": [], "platform": [], "logistics": []}
            for role, count in (("seller", SELLERS), ("platform", PLATFORMS), ("logistics", LOGISTICS)):
                for _ in range(count):
                    org_id, ent_id = start + n, next_ent + n
                    tag = f"{zi:02d}{n:07d}"
                    orgs.append(
                        {
                            "id": org_id,
                            "kind": "enterprise",
                            "name": f"基准{role}{tag}",
                            "zone": zone,
                            "at": now,
                        }
                    )
                    ents.append(
                        {
                            "id": ent_id,
                            "org": org_id,
                            "zone": zone,
                            # Unique over repeated fills: the bench adds to what is there.
                            "uscc": f"BENCH{ent_id:013d}",
                            "customs": f"B{ent_id:09d}",
                            "name": f"基准{role}企业{tag}",
                            "at": now,
                        }
                    )
                    out[zone][role].append(ent_id)
                    n += 1
        conn.execute(
            text(
                "INSERT INTO organisations (id, kind, name, zone_code, active, created_at) "
                "VALUES (:id, :kind, :name, :zone, true, :at)"
            ),
            orgs,
        )
        conn.execute(
            text(
                "INSERT INTO enterprises (id, org_id, zone_code, uscc, customs_code, name, shops, status, "
                "created_at, updated_at, version) VALUES (:id, :org, :zone, :uscc, :customs, :name, '[]', "
                "'approved', :at, :at, 1)"
            ),
            ents,
        )
    return out


DECL_COLUMNS = (
    "id",
    "zone_code",
    "direction",
    "kind",
    "message_type",
    "guid",
    "business_no",
    "trade_mode",
    "ebc_enterprise_id",
    "ebp_enterprise_id",
    "logistics_enterprise_id",
    "status",
    "app_type",
    "app_status",
    "version",
    "head",
    "clearance",
    "currency",
    "goods_value",
    "value_cny",
    "tax_total",
    "country",
    "customs_code",
    "invt_no",
    "created_at",
    "updated_at",
    "released_at",
)
LINE_COLUMNS = ("id", "declaration_id", "g_num", "hs_code", "total_price", "currency", "qty")


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}" if cents >= 0 else "-" + _money(-cents)


def _generate(
    n: int, zones: dict[str, dict[str, list[int]]], first_id: int, first_line: int, seed: int, *, pg: bool
) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Chunks of (declaration rows, line rows, facts for the rollups); values already in the text form
    both COPY and SQLite take, so that the fill is not spent converting."""
    rng = random.Random(seed)
    modes = _weighted(MODES)
    countries = _weighted(COUNTRIES)
    zone_codes = list(zones)
    zone_weights = [7, 6, 5, 4, 3, 2, 1][: len(zone_codes)]
    today = dt.datetime.now(BJ).date()
    span = (today - FIRST_DAY).days
    stamp = "%Y-%m-%d %H:%M:%S+00:00" if pg else "%Y-%m-%d %H:%M:%S.000000"
    decls: list[tuple[Any, ...]] = []
    lines: list[tuple[Any, ...]] = []
    facts: list[tuple[Any, ...]] = []
    line_id = first_line
    for i in range(n):
        decl_id = first_id + i
        zone = rng.choices(zone_codes, zone_weights)[0]
        ents = zones[zone]
        direction, mode = modes[rng.randrange(len(modes))]
        # Growth over time: later days are more likely (a zone that grows ~40 % a year).
        day = FIRST_DAY + dt.timedelta(days=int(span * (rng.random() ** 0.75)))
        minute = rng.randrange(1440)
        released = (dt.datetime.combine(day, dt.time(minute // 60, minute % 60), BJ)).astimezone(dt.UTC)
        cents = int(rng.lognormvariate(10.2, 1.1)) + 500
        if mode in ("9710", "9810"):
            cents *= 40
        tax = cents * 91 // 1000 if direction == "import" else 0
        seller = ents["seller"][min(int(rng.paretovariate(1.2)) - 1, SELLERS - 1)]
        platform = ents["platform"][rng.randrange(PLATFORMS)]
        logistics = ents["logistics"][rng.randrange(LOGISTICS)]
        country = countries[rng.randrange(len(countries))]
        customs = CUSTOMS[rng.randrange(len(CUSTOMS))]
        hs = HS_CODES[rng.randrange(len(HS_CODES))]
        no = f"B{decl_id:017d}"
        at = released.strftime(stamp)
        value = _money(cents)
        decls.append(
            (
                decl_id,
                zone,
                direction,
                "inventory",
                "CEB621" if direction == "import" else "CEB603",
                f"bench-{decl_id}",
                no,
                mode,
                seller,
                platform,
                logistics,
                "released",
                "1",
                "2",
                1,
                "{}",
                "{}",
                "142",
                value,
                value,
                _money(tax),
                country,
                customs,
                no[:18],
                at,
                at,
                at,
            )
        )
        lines.append((line_id, decl_id, 1, hs, value, "142", "1"))
        facts.append(
            (zone, direction, mode, day, cents, tax, country, customs, seller, platform, logistics, hs)
        )
        line_id += 1
        if len(decls) >= CHUNK:
            yield decls, lines, facts
            decls, lines, facts = [], [], []
    if decls:
        yield decls, lines, facts


class RollupAccumulator:
    """The zone rollups of the generated lists, built as the subscriber would (day and month cells,
    one per dimension key), summed in integer cents."""

    def __init__(self) -> None:
        self.cells: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])

    def add(self, fact: tuple[Any, ...]) -> None:
        zone, direction, mode, day, cents, tax, country, customs, seller, platform, logistics, hs = fact
        keys = (
            ("total", ""),
            ("country", country),
            ("currency", "142"),
            ("customs", customs),
            ("seller", str(seller)),
            ("platform", str(platform)),
            ("logistics", str(logistics)),
            ("hs2", hs[:2]),
            ("hs4", hs[:4]),
        )
        cells = self.cells
        for grain, period in (("d", day), ("m", day.replace(day=1))):
            for dim, key in keys:
                cell = cells[(zone, dim, grain, period, direction, mode, key)]
                cell[0] += 1
                cell[1] += cents
                cell[2] += tax

    def rows(self) -> Iterator[tuple[Any, ...]]:
        for (zone, dim, grain, period, direction, mode, key), (count, cents, tax) in self.cells.items():
            value = _money(cents)
            orig = value if dim == "currency" else "0"
            yield (
                zone,
                0,
                dim,
                grain,
                period.isoformat(),
                direction,
                mode,
                key,
                "lists",
                count,
                orig,
                value,
                "0",
                _money(tax),
                0,
                "0",
            )


ROLLUP_COLUMNS = (
    "zone_code",
    "owner_enterprise_id",
    "dimension",
    "grain",
    "period",
    "direction",
    "trade_mode",
    "dim_key",
    "source",
    "list_count",
    "value_orig",
    "value_cny",
    "value_usd",
    "tax_cny",
    "returned_count",
    "returned_value_cny",
)


def _filler_columns(table: str, given: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """NOT NULL columns of `table` the bench does not set, with the value their model default gives
    (the declaration model grows while the bench stays the same)."""
    from silkgate.models import metadata

    names: list[str] = []
    values: list[Any] = []
    for col in metadata.tables[table].columns:
        if col.name in given or col.nullable or col.primary_key:
            continue
        default = getattr(col.default, "arg", None)
        if callable(default):
            default = default(None)  # SQLAlchemy wraps the model's default to take a context
        if isinstance(default, (list, dict)):
            default = json.dumps(default)
        elif isinstance(default, dt.datetime):
            default = default.strftime("%Y-%m-%d %H:%M:%S+00:00")
        if default is None:
            raise RuntimeError(f"bench: no value for required column {table}.{col.name}")
        names.append(col.name)
        values.append(default)
    return tuple(names), tuple(values)


def _copy_or_insert(
    engine: Engine, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    extra_cols, extra_values = _filler_columns(table, columns)
    columns = columns + extra_cols
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row + extra_values)
        else:
            marks = ", ".join("?" for _ in columns)
            cur.execute("BEGIN")  # the engine's connections run in autocommit mode (see db.py)
            cur.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                [row + extra_values for row in rows],
            )
        raw.commit()
    finally:
        raw.close()


def _merge_rollups(engine: Engine, rows: list[tuple[Any, ...]]) -> None:
    """Add the cells to those already there (a bench run adds to an earlier one), as the
    subscriber's upsert does: COPY into a staging table then INSERT ... ON CONFLICT on PostgreSQL."""
    from silkgate.trade_stats.rollup import KEY_COLUMNS, MEASURES

    cols = ", ".join(ROLLUP_COLUMNS)
    conflict = ", ".join(KEY_COLUMNS)
    update = ", ".join(f"{m} = stat_rollups.{m} + excluded.{m}" for m in MEASURES)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "postgresql":
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS bench_stage (LIKE stat_rollups INCLUDING DEFAULTS)")
            cur.execute("TRUNCATE bench_stage")
            with cur.copy(f"COPY bench_stage ({cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
            cur.execute(
                f"INSERT INTO stat_rollups ({cols}) SELECT {cols} FROM bench_stage "
                f"ON CONFLICT ({conflict}) DO UPDATE SET {update}"
            )
        else:
            marks = ", ".join("?" for _ in ROLLUP_COLUMNS)
            cur.execute("BEGIN")
            cur.executemany(
                f"INSERT INTO stat_rollups ({cols}) VALUES ({marks}) ON CONFLICT ({conflict}) DO UPDATE SET {update}",
                rows,
            )
        raw.commit()
    finally:
        raw.close()


def fill(
    engine: Engine, n: int, *, seed: int = 20260401, progress: Callable[[int], None] | None = None
) -> int:
    """Bulk-write n released lists with their lines and their rollups; return the rollup rows written."""
    with Session(engine) as s:
        present = set(s.scalars(select(Zone.code)))
    zone_codes = tuple(z for z in BENCH_ZONES if z in present) or tuple(sorted(present))[:4]
    zones = _enterprises(engine, zone_codes)
    with engine.connect() as conn:
        first_id = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM declarations")).scalar_one() + 1
        first_line = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM declaration_lines")).scalar_one() + 1
    acc = RollupAccumulator()
    pg = engine.dialect.name == "postgresql"
    for decls, lines, facts in _generate(n, zones, first_id, first_line, seed, pg=pg):
        _copy_or_insert(engine, "declarations", DECL_COLUMNS, decls)
        _copy_or_insert(engine, "declaration_lines", LINE_COLUMNS, lines)
        for fact in facts:
            acc.add(fact)
        if progress:
            progress(len(decls))
    rows = list(acc.rows())
    for i in range(0, len(rows), 200_000):
        _merge_rollups(engine, rows[i : i + 200_000])
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in (
                "declarations",
                "declaration_lines",
                "organisations",
                "enterprises",
                "stat_rollups",
            ):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                    )
                )
            conn.execute(text("ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return len(rows)


# --- timing ----------------------------------------------------------------------------------------


def _time(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median wall time and median CPU time of this process (ms). On a busy machine the CPU time
    is the fairer figure for SQLite, which runs inside the process."""
    result = fn()  # warm (plan cache, pages)
    walls, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        walls.append((time.perf_counter() - t0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
    return statistics.median(walls), statistics.median(cpus), result


def _day_expr(engine: Engine, col: Any) -> Any:
    if engine.dialect.name == "postgresql":
        return func.date(func.timezone("Asia/Shanghai", col))
    return func.date(col, "+8 hours")


def _month_expr(engine: Engine, col: Any) -> Any:
    if engine.dialect.name == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", col), "YYYY-MM")
    return func.strftime("%Y-%m", col, "+8 hours")


def _utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), BJ).astimezone(dt.UTC)


def _close(a: Decimal | float, b: Decimal | float) -> bool:
    a, b = Decimal(str(a)), Decimal(str(b))
    return abs(a - b) <= max(Decimal("0.05"), abs(b) * Decimal("1e-9"))


def _same(rollup: dict[Any, tuple[int, Any]], raw: dict[Any, tuple[int, Any]]) -> bool:
    keys = {k for k, v in rollup.items() if v[0]} | {k for k, v in raw.items() if v[0]}
    return all(
        rollup.get(k, (0, 0))[0] == raw.get(k, (0, 0))[0]
        and _close(rollup.get(k, (0, 0))[1], raw.get(k, (0, 0))[1])
        for k in keys
    )


def run_queries(engine: Engine, zone_code: str, today: dt.date, repeat: int = 5) -> list[Timing]:
    """Each dashboard question: from the rollups (what the dashboard runs) and by GROUP BY."""
    d = Declaration.__table__
    from silkgate.models.declarations import DeclarationLine

    ln = DeclarationLine.__table__
    scope = StatsScope(zone_code)
    year_start = dt.date(today.year, 1, 1)
    month_from = dt.date(today.year - 1, today.month, 1)
    day_from = today - dt.timedelta(days=89)
    base = [d.c.zone_code == zone_code, d.c.kind == "inventory", d.c.status == "released"]

    def in_range(a: dt.date, b: dt.date) -> list[Any]:
        return [d.c.released_at >= _utc(a), d.c.released_at < _utc(b + dt.timedelta(days=1))]

    timings = []
    with Session(engine) as s:

        def rollup_headline() -> dict[Any, tuple[int, Any]]:
            h = queries.headline(s, scope, year_start, today)
            return {
                f["direction"]: (f["list_count"], f["value_cny"])
                for f in h["figures"]
                if f["direction"] != "all"
            }

        def raw_headline() -> dict[Any, tuple[int, Any]]:
            out = {}
            ly = (year_start.replace(year=year_start.year - 1), today.replace(year=today.year - 1))
            span = (today - year_start).days + 1
            prev = (year_start - dt.timedelta(days=span), year_start - dt.timedelta(days=1))
            for a, b in ((year_start, today), ly, prev):
                q = (
                    select(d.c.direction, func.count(), func.sum(d.c.value_cny))
                    .where(*base, *in_range(a, b))
                    .group_by(d.c.direction)
                )
                rows = {r[0]: (r[1], r[2] or 0) for r in s.execute(q)}
                if a == year_start:
                    out = rows
            return out

        def rollup_months() -> dict[Any, tuple[int, Any]]:
            rows = queries.series(s, scope, "month", month_from, today, split_by_mode=True)["periods"]
            return {r["label"]: (r["list_count"], r["value_cny"]) for r in rows}

        def raw_months() -> dict[Any, tuple[int, Any]]:
            m = _month_expr(engine, d.c.released_at)
            # The same months and the year before them (for the year-on-year change).
            q = (
                select(m, d.c.trade_mode, func.count(), func.sum(d.c.value_cny))
                .where(*base, *in_range(month_from.replace(year=month_from.year - 1), today))
                .group_by(m, d.c.trade_mode)
            )
            out: dict[Any, list[Any]] = defaultdict(lambda: [0, Decimal(0)])
            for label, _mode, c, v in s.execute(q):
                out[label][0] += c
                out[label][1] += Decimal(str(v or 0))
            return {
                k: (v[0], v[1]) for k, v in out.items() if k >= f"{month_from.year}-{month_from.month:02d}"
            }

        def rollup_days() -> dict[Any, tuple[int, Any]]:
            rows = queries.series(s, scope, "day", day_from, today)["periods"]
            return {r["label"]: (r["list_count"], r["value_cny"]) for r in rows}

        def raw_days() -> dict[Any, tuple[int, Any]]:
            day = _day_expr(engine, d.c.released_at)
            q = (
                select(day, func.count(), func.sum(d.c.value_cny))
                .where(*base, *in_range(day_from, today))
                .group_by(day)
            )
            return {str(r[0]): (r[1], r[2] or 0) for r in s.execute(q)}

        def rollup_breakdown(dim: str, limit: int = 0) -> Callable[[], dict[Any, tuple[int, Any]]]:
            def run() -> dict[Any, tuple[int, Any]]:
                rows = queries.breakdown(s, scope, dim, year_start, today, limit=limit)["rows"]
                return {r["key"]: (r["list_count"], r["value_cny"]) for r in rows}

            return run

        def raw_breakdown(
            col: Any, key: Callable[[Any], str] = str, join_lines: bool = False
        ) -> Callable[[], dict[Any, tuple[int, Any]]]:
            def run() -> dict[Any, tuple[int, Any]]:
                src = d.join(ln, ln.c.declaration_id == d.c.id) if join_lines else d
                value = ln.c.total_price if join_lines else d.c.value_cny
                q = (
                    select(col, func.count(), func.sum(value))
                    .select_from(src)
                    .where(*base, *in_range(year_start, today))
                    .group_by(col)
                )
                return {key(r[0]): (r[1], r[2] or 0) for r in s.execute(q)}

            return run

        def rollup_mode() -> dict[Any, tuple[int, Any]]:
            rows = queries.breakdown(s, scope, "trade_mode", year_start, today, limit=0)["rows"]
            return {r["key"]: (r["list_count"], r["value_cny"]) for r in rows}

        def raw_mode() -> dict[Any, tuple[int, Any]]:
            q = (
                select(d.c.direction, d.c.trade_mode, func.count(), func.sum(d.c.value_cny))
                .where(*base, *in_range(year_start, today))
                .group_by(d.c.direction, d.c.trade_mode)
            )
            return {f"{r[0]}:{r[1]}": (r[2], r[3] or 0) for r in s.execute(q)}

        province = [z for z in BENCH_ZONES]

        def rollup_province() -> dict[Any, tuple[int, Any]]:
            rows = queries.province_comparison(s, zone_code, year_start, today)["zones"]
            return {r["zone_code"]: (r["list_count"], r["value_cny"]) for r in rows}

        def raw_province() -> dict[Any, tuple[int, Any]]:
            q = (
                select(d.c.zone_code, func.count(), func.sum(d.c.value_cny))
                .where(
                    d.c.zone_code.in_(province),
                    d.c.kind == "inventory",
                    d.c.status == "released",
                    *in_range(year_start, today),
                )
                .group_by(d.c.zone_code)
            )
            return {r[0]: (r[1], r[2] or 0) for r in s.execute(q)}

        chapter = func.substr(ln.c.hs_code, 1, 2)
        cases: list[tuple[str, Callable[[], Any], Callable[[], Any], bool]] = [
            ("headline 本年累计+同比+环比", rollup_headline, raw_headline, True),
            ("month series 13 months (by mode, YoY/MoM)", rollup_months, raw_months, True),
            ("day series 90 days", rollup_days, raw_days, True),
            ("mode mix", rollup_mode, raw_mode, True),
            ("top countries (world map)", rollup_breakdown("country"), raw_breakdown(d.c.country), True),
            ("HS chapters", rollup_breakdown("hs2"), raw_breakdown(chapter, join_lines=True), True),
            ("top sellers", rollup_breakdown("seller"), raw_breakdown(d.c.ebc_enterprise_id), True),
            ("platforms", rollup_breakdown("platform"), raw_breakdown(d.c.ebp_enterprise_id), True),
            ("province comparison", rollup_province, raw_province, True),
        ]
        for name, fast, slow, compare in cases:
            fast_ms, fast_cpu, fast_answer = _time(fast, repeat)
            slow_ms, slow_cpu, slow_answer = _time(slow, max(1, repeat // 2))
            equal = _same(fast_answer, slow_answer) if compare else True
            timings.append(Timing(name, fast_ms, slow_ms, equal, fast_cpu, slow_cpu))
    return timings


def biggest_zone(engine: Engine) -> str:
    with Session(engine) as s:
        row = s.execute(
            select(Declaration.zone_code, func.count())
            .where(Declaration.kind == "inventory")
            .group_by(Declaration.zone_code)
            .order_by(func.count().desc())
            .limit(1)
        ).first()
    return str(row[0]) if row else BENCH_ZONES[0]


def render_text(result: BenchResult) -> str:
    out = io.StringIO()
    out.write(
        f"bench stats: {result.backend}, {result.lists:,} lists in the database "
        f"(filled in {result.fill_seconds:.1f}s), {result.rollup_rows:,} rollup rows\n"
    )
    out.write(
        f"{'query':<44}{'rollup ms':>11}{'(cpu)':>8}{'GROUP BY ms':>13}{'(cpu)':>9}{'ratio':>8}  equal\n"
    )
    for t in result.timings:
        out.write(
            f"{t.name:<44}{t.rollup_ms:>11.2f}{t.rollup_cpu_ms:>8.1f}{t.groupby_ms:>13.1f}{t.groupby_cpu_ms:>9.1f}"
            f"{t.ratio:>7.0f}x  {'yes' if t.equal else 'NO'}\n"
        )
    worst = max((t.rollup_ms for t in result.timings), default=0.0)
    out.write(f"slowest dashboard query: {worst:.2f} ms (aim: < 200 ms)\n")
    return out.getvalue()


def time_subscriber(engine: Engine, n: int, *, seed: int = 7) -> dict[str, float]:
    """The statistics' share of ingest: n release events through the real subscriber (the rollup
    upserts and the ledger row), committed in batches of 500 as a batched ingest would. They go to
    a zone outside the timed ones (Yuncheng when present), after the timings."""
    from silkgate.events import TradeEvent, TradeLine
    from silkgate.trade_stats.service import record_trade_event

    rng = random.Random(seed)
    with Session(engine) as s:
        codes = [c for c in s.scalars(select(Zone.code).order_by(Zone.code)) if c not in BENCH_ZONES]
        zone = "140800" if "140800" in codes else (codes[0] if codes else BENCH_ZONES[-1])
        first = (s.scalar(select(func.max(Declaration.id))) or 0) + 10_000_000
    now = dt.datetime.now(dt.UTC)
    events = []
    for i in range(n):
        value = Decimal(rng.randrange(5_000, 500_000)).scaleb(-2)
        hs = HS_CODES[rng.randrange(len(HS_CODES))]
        events.append(
            TradeEvent(
                kind="released",
                zone_code=zone,
                direction="import",
                trade_mode="9610",
                declaration_id=first + i,
                business_no=f"S{first + i}",
                occurred_at=now - dt.timedelta(minutes=rng.randrange(60 * 24 * 30)),
                enterprise_ids={"seller": 1 + rng.randrange(50), "platform": 1, "logistics": 2, "payment": 3},
                customs_code=CUSTOMS[rng.randrange(len(CUSTOMS))],
                country=COUNTRIES[rng.randrange(len(COUNTRIES))][0],
                currency="142",
                total_value=value,
                total_value_cny=value,
                tax_cny=(value * Decimal("0.091")).quantize(Decimal("0.01")),
                lines=(
                    TradeLine(hs_code=hs, item_no="A", quantity=Decimal(1), value=value, value_cny=value),
                ),
            )
        )
    t0, c0 = time.perf_counter(), time.process_time()
    session = Session(engine)
    try:
        for i, event in enumerate(events, start=1):
            record_trade_event(session, event)
            if i % 500 == 0:
                session.commit()
        session.commit()
    finally:
        session.close()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "events": n,
        "seconds": round(elapsed, 3),
        "ms_per_list": round(elapsed * 1000 / n, 3),
        "cpu_ms_per_list": round(cpu * 1000 / n, 3),
    }
