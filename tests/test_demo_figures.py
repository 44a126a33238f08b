"""The demo zone's figures look like a real zone's (issue 13): one full `silkgate demo` load into a
temporary SQLite database, then what an official would check.

- Imports and exports alike are counted in US dollars, at the rate table of the release day.
- China is never a trading partner; a bonded (1210) list counts for its goods' origin.
- The live months follow the imported history without a jump (both directions trade in every live
  month, similar lists per month), and 同比/环比 are there wherever a prior period is.
- Filings, approvals and planted lists carry the days they happened on, not the load's minute.
- The credit line `silkgate demo` prints is what the credit page's tiles show.
- `silkgate demo` prints its summaries broken at clauses and ends with the login URL and accounts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from conftest import build_schema, seed_reference_data
from silkgate.db import make_engine, unit_of_work
from silkgate.demo import load_demo, trading_start
from silkgate.models.declarations import Declaration
from silkgate.models.registry import Enterprise
from silkgate.models.trade_stats import StatRollup
from silkgate.trade_stats import calc

ZONE = "140800"
TODAY = dt.date.today()  # the demo's own default (finance and logistics steps count back from now)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, list[str]]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    build_schema(url)
    engine = make_engine(url)
    seed_reference_data(engine)
    with unit_of_work(engine) as session:
        lines = load_demo(session, ZONE, today=TODAY)
    yield engine, lines
    engine.dispose()


def _monthly(session: Session, source: str, **where: str) -> dict[dt.date, tuple[int, Decimal, Decimal]]:
    q = (
        select(
            StatRollup.period,
            func.sum(StatRollup.list_count),
            func.sum(StatRollup.value_cny),
            func.sum(StatRollup.value_usd),
        )
        .where(
            StatRollup.zone_code == ZONE,
            StatRollup.owner_enterprise_id == 0,
            StatRollup.dimension == "total",
            StatRollup.grain == "m",
            StatRollup.source == source,
        )
        .group_by(StatRollup.period)
    )
    for column, value in where.items():
        q = q.where(getattr(StatRollup, column) == value)
    return {p: (int(n or 0), Decimal(v or 0), Decimal(u or 0)) for p, n, v, u in Session.execute(session, q)}


def test_imports_are_counted_in_us_dollars_like_exports(demo_db: tuple[Engine, list[str]]) -> None:
    engine, _ = demo_db
    with Session(engine) as s:
        for direction in ("import", "export"):
            months = _monthly(s, "lists", direction=direction)
            assert months, direction
            for month, (_n, cny, usd) in months.items():
                assert usd > 0, (direction, month)
                assert abs(cny / usd - Decimal("7.1")) < Decimal("0.01"), (direction, month, cny, usd)
        for month, (_n, cny, usd) in _monthly(s, "historical").items():
            assert abs(cny / usd - Decimal("7.1")) < Decimal("0.01"), month


def test_china_is_never_a_trading_partner_and_bonded_lists_count_for_their_origin(
    demo_db: tuple[Engine, list[str]],
) -> None:
    from silkgate.trade_stats import queries
    from silkgate.trade_stats.service import StatsScope

    engine, _ = demo_db
    with Session(engine) as s:
        keys = set(
            s.scalars(
                select(StatRollup.dim_key).where(
                    StatRollup.zone_code == ZONE, StatRollup.dimension == "country", StatRollup.list_count > 0
                )
            )
        )
        assert "142" not in keys
        bonded = s.scalar(
            select(func.count())
            .select_from(Declaration)
            .where(
                Declaration.kind == "inventory",
                Declaration.trade_mode == "1210",
                Declaration.status == "released",
            )
        )
        assert bonded, "the demo releases bonded lists"
        top = queries.breakdown(s, StatsScope(ZONE), "country", trading_start(TODAY), TODAY, limit=0)
        codes = {row["key"] for row in top["rows"]}
        assert codes and "142" not in codes and "" not in codes
        assert "601" in codes  # 澳大利亚: the origin of the bonded milk powder


def test_live_months_follow_the_history_without_a_jump(demo_db: tuple[Engine, list[str]]) -> None:
    engine, _ = demo_db
    start = trading_start(TODAY)
    with Session(engine) as s:
        history = _monthly(s, "historical")
        live = _monthly(s, "lists")
        imports, exports = _monthly(s, "lists", direction="import"), _monthly(s, "lists", direction="export")
    assert max(history) == calc.add_months(start, -1), "the history ends the month before the live trade"
    complete = [m for m in sorted(live) if m < TODAY.replace(day=1)]
    assert complete[0] == start and len(complete) >= 3
    for month in complete:
        assert imports.get(month, (0,))[0] > 0 and exports.get(month, (0,))[0] > 0, month
    counts = [live[m][0] for m in complete]
    assert max(counts) <= 2 * min(counts), counts
    last_year = [history[m][0] for m in sorted(history)[-6:]]
    mean_live, mean_history = sum(counts) / len(counts), sum(last_year) / len(last_year)
    assert 0.5 <= mean_live / mean_history <= 2, (counts, last_year)


def test_year_on_year_and_month_on_month_are_filled_where_a_prior_period_exists(
    demo_db: tuple[Engine, list[str]],
) -> None:
    from silkgate.trade_stats import queries
    from silkgate.trade_stats.service import StatsScope

    engine, _ = demo_db
    with Session(engine) as s:
        trend = queries.series(s, StatsScope(ZONE), "month", dt.date(TODAY.year - 2, 1, 1), TODAY)
    points = trend["periods"]
    assert len(points) > 12
    for point in points:  # the history starts three years back: every month shown has both
        assert point["yoy"] is not None and point["mom"] is not None, point
        assert point["count_yoy"] is not None, point


def test_filings_and_lists_carry_their_own_days_not_the_load_minute(
    demo_db: tuple[Engine, list[str]],
) -> None:
    engine, _ = demo_db
    with Session(engine) as s:
        filed = list(s.scalars(select(Enterprise.created_at).where(Enterprise.zone_code == ZONE)))
        days = {t.date() for t in filed}
        assert len(days) >= 30, "40 filings on at least 30 different days"
        assert all(t.astimezone(dt.timezone(dt.timedelta(hours=8))).weekday() < 5 for t in filed)
        approved_before_trade = s.scalar(
            select(func.count())
            .select_from(Enterprise)
            .where(
                Enterprise.zone_code == ZONE,
                Enterprise.status == "approved",
                Enterprise.decided_at >= dt.datetime.combine(trading_start(TODAY), dt.time(), dt.UTC),
            )
        )
        assert approved_before_trade == 0, "every trading enterprise was approved before it traded"
        per_minute = s.execute(
            select(func.count())
            .select_from(Declaration)
            .where(Declaration.zone_code == ZONE, Declaration.kind == "inventory")
            .group_by(func.strftime("%Y-%m-%d %H:%M", Declaration.created_at))
            .order_by(func.count().desc())
            .limit(1)
        ).scalar()
        assert per_minute is not None and per_minute <= 3, "no minute holds a batch of lists"


def test_the_printed_credit_line_is_what_the_credit_tiles_show(demo_db: tuple[Engine, list[str]]) -> None:
    from silkgate.credit.service import tier_distribution

    engine, lines = demo_db
    [credit] = [line for line in lines if line.startswith("[credit]")]
    with Session(engine) as s:
        tiers = tier_distribution(s, ZONE)
    assert f"{sum(tiers.values())}家企业信用档案" in credit
    for tier, n in tiers.items():
        assert (f"{tier}级{n}家" in credit) is (n > 0), (tier, n, credit)


def test_demo_output_breaks_at_clauses_and_ends_with_the_login_url_and_accounts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import silkgate.demo as demo_package
    from silkgate.cli import app
    from silkgate.config import get_settings
    from silkgate.db import engine_for

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SILKGATE_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(demo_package, "STEPS", ("registry",))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["demo", "--load-only", "--port", "8123"])
    finally:
        get_settings.cache_clear()
        engine_for.cache_clear()
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[0].startswith("[registry] ")
    summary = [line for line in lines if not line.startswith(("登录地址", "演示账号", "  "))]
    for line in summary[:-1]:
        assert line[-1] in "，；。、：）)", f"broken mid-clause: {line!r}"
    login_at = next(i for i, line in enumerate(lines) if line.startswith("登录地址"))
    assert "http://127.0.0.1:8123/login" in lines[login_at]
    accounts = " ".join(lines[login_at + 1 :])
    assert "silkgate-demo" in accounts
    for name in ("zone_admin", "customs", "bank", "seller1", "broker1", "tradeservice1", "applicant1"):
        assert name in accounts


def test_wrap_at_clauses_keeps_each_line_within_the_width() -> None:
    from rich.cells import cell_len

    from silkgate.clitools import wrap_at_clauses

    text = "进口交易240笔（960个CEB报文，2026-01-01起，9610与1210）经申报管道处理：放行213，退单13，退货8，撤销6；撤销申请6份，退货申请9份"
    lines = wrap_at_clauses(text, 40)
    assert "".join(line.strip() for line in lines) == text
    assert all(cell_len(line) <= 40 for line in lines)
    assert all(line[-1] in "，；。、：）)" for line in lines[:-1])
