"""The rollups equal a plain recount of the raw declarations after any sequence of releases,
changes (re-release with new values), withdrawals and returns — on SQLite and PostgreSQL.

Statistical basis: a list counts when released and is counted off when withdrawn or returned
(海关总署公告2018年第194号 on withdrawal 撤单 and return 退货 of retail import lists)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_enterprise
from silkgate.events import TradeEvent, TradeLine
from silkgate.models.declarations import Declaration, DeclarationLine
from silkgate.models.registry import Enterprise
from silkgate.models.trade_stats import StatRollup
from silkgate.trade_stats.queries import Filters, sums_by
from silkgate.trade_stats.rollup import beijing_day
from silkgate.trade_stats.service import StatsScope
from silkgate.trade_stats.subscribers import on_trade_event

ZONE = "140800"
BJ = dt.timezone(dt.timedelta(hours=8))
_guid = itertools.count(1)

line_st = st.tuples(
    st.sampled_from(["3304990099", "3304100091", "6110200090", "8517130000", "1901101000"]),
    st.decimals(min_value=Decimal("1"), max_value=Decimal("5000"), places=2),
)
release_st = st.tuples(
    st.just("release"),
    st.integers(0, 5),  # which list
    st.integers(0, 40),  # day offset
    st.sampled_from([("import", "9610"), ("import", "1210"), ("export", "9610"), ("export", "9710")]),
    st.sampled_from(["116", "502", "304"]),
    st.lists(line_st, min_size=1, max_size=3),
)
op_st = st.one_of(
    release_st,
    st.tuples(st.just("withdraw"), st.integers(0, 5)),
    st.tuples(st.just("return"), st.integers(0, 5), st.integers(1, 3)),
)


class Trade:
    """Plays the declaration pipeline's part: writes the raw documents and hands each TradeEvent to
    the statistics subscriber (other domains' subscribers are not under test here)."""

    def __init__(self, session: Session, sellers: list[Enterprise], platform: Enterprise) -> None:
        self.session = session
        self.sellers = sellers
        self.platform = platform
        self.lists: dict[int, Declaration] = {}

    def _event(self, kind: str, d: Declaration, value: Decimal, lines: list[DeclarationLine]) -> TradeEvent:
        assert d.released_at is not None
        return TradeEvent(
            kind=kind,
            zone_code=ZONE,
            direction=d.direction,
            trade_mode=d.trade_mode or "",
            declaration_id=d.id,
            business_no=d.business_no,
            occurred_at=d.released_at,
            enterprise_ids={"seller": d.ebc_enterprise_id or 0, "platform": d.ebp_enterprise_id or 0},
            customs_code=d.customs_code or "",
            country=d.country or "",
            currency="142",
            total_value=value,
            total_value_cny=value,
            tax_cny=Decimal(0),
            lines=tuple(
                TradeLine(
                    hs_code=ln.hs_code or "",
                    item_no=ln.item_no or "",
                    quantity=Decimal(1),
                    value=ln.total_price or Decimal(0),
                    value_cny=ln.total_price or Decimal(0),
                )
                for ln in lines
            ),
        )

    def release(
        self, n: int, day: int, mode: tuple[str, str], country: str, lines: list[tuple[str, Decimal]]
    ) -> None:
        d = self.lists.get(n)
        released_at = dt.datetime(2026, 3, 1, 23, 30, tzinfo=BJ) + dt.timedelta(days=day)
        if d is None or d.status == "withdrawn":
            d = Declaration(
                zone_code=ZONE,
                direction=mode[0],
                kind="inventory",
                message_type="CEB621",
                guid=f"stats-test-{next(_guid)}",
                business_no=f"INV{n:04d}{next(_guid)}",
                trade_mode=mode[1],
                status="released",
                ebc_enterprise_id=self.sellers[n % len(self.sellers)].id,
                ebp_enterprise_id=self.platform.id,
                country=country,
                customs_code="0501",
                currency="142",
            )
            self.session.add(d)
            self.lists[n] = d
        elif d.status != "released" or self.session.scalar(
            select(Declaration.id).where(
                Declaration.related_declaration_id == d.id, Declaration.kind == "refund"
            )
        ):
            return  # a list with goods returned is not changed and released again
        else:  # a change (appType=2) of a released list: new values, released again
            for ln in self.session.scalars(
                select(DeclarationLine).where(DeclarationLine.declaration_id == d.id)
            ):
                self.session.delete(ln)
            d.direction, d.trade_mode, d.country = mode[0], mode[1], country
        d.released_at = released_at
        self.session.flush()
        rows = [
            DeclarationLine(declaration_id=d.id, g_num=i + 1, hs_code=hs, total_price=v, item_no=f"I{i}")
            for i, (hs, v) in enumerate(lines)
        ]
        self.session.add_all(rows)
        d.value_cny = d.goods_value = sum((v for _, v in lines), Decimal(0))
        self.session.flush()
        on_trade_event(self.session, self._event("released", d, d.value_cny, rows))

    def withdraw(self, n: int) -> None:
        d = self.lists.get(n)
        if d is None or d.status != "released":
            return
        d.status = "withdrawn"
        self.session.flush()
        on_trade_event(self.session, self._event("withdrawn", d, d.value_cny or Decimal(0), []))

    def return_lines(self, n: int, how_many: int) -> None:
        d = self.lists.get(n)
        if d is None or d.status != "released":
            return
        returned_ids = set(
            self.session.scalars(
                select(DeclarationLine.note)
                .join(Declaration, Declaration.id == DeclarationLine.declaration_id)
                .where(Declaration.related_declaration_id == d.id, Declaration.kind == "refund")
            )
        )
        open_lines = [
            ln
            for ln in self.session.scalars(
                select(DeclarationLine)
                .where(DeclarationLine.declaration_id == d.id)
                .order_by(DeclarationLine.g_num)
            )
            if str(ln.id) not in returned_ids
        ][:how_many]
        if not open_lines:
            return
        refund = Declaration(
            zone_code=ZONE,
            direction=d.direction,
            kind="refund",
            message_type="CEB625",
            guid=f"stats-test-{next(_guid)}",
            business_no=f"RET{next(_guid)}",
            trade_mode=d.trade_mode,
            status="released",
            related_declaration_id=d.id,
        )
        self.session.add(refund)
        self.session.flush()
        value = sum((ln.total_price or Decimal(0) for ln in open_lines), Decimal(0))
        self.session.add_all(
            DeclarationLine(
                declaration_id=refund.id,
                g_num=i + 1,
                hs_code=ln.hs_code,
                total_price=ln.total_price,
                note=str(ln.id),
            )
            for i, ln in enumerate(open_lines)
        )
        refund.value_cny = value
        total_returned = value + sum(
            (
                r.value_cny or Decimal(0)
                for r in self.session.scalars(
                    select(Declaration).where(
                        Declaration.related_declaration_id == d.id,
                        Declaration.kind == "refund",
                        Declaration.id != refund.id,
                    )
                )
            ),
            Decimal(0),
        )
        if total_returned >= (d.value_cny or 0):
            d.status = "returned"
        self.session.flush()
        on_trade_event(self.session, self._event("returned", d, value, open_lines))


def recount(session: Session, ids: list[int]) -> dict[str, dict[tuple[str, ...], tuple[int, Decimal]]]:
    """The plain recount: released lists (count), their lines' value less what was returned."""
    lists = list(session.scalars(select(Declaration).where(Declaration.id.in_(ids))))
    out: dict[str, dict[tuple[str, ...], list]] = {
        d: defaultdict(lambda: [0, Decimal(0)]) for d in ("total", "country", "hs2", "seller")
    }
    for d in lists:
        if d.status not in ("released", "returned") or d.released_at is None:
            continue
        day = beijing_day(d.released_at).isoformat()
        counted = 1 if d.status == "released" else 0
        refunds = list(
            session.scalars(
                select(Declaration).where(
                    Declaration.related_declaration_id == d.id, Declaration.kind == "refund"
                )
            )
        )
        returned = sum((r.value_cny or Decimal(0) for r in refunds), Decimal(0))
        value = (d.value_cny or Decimal(0)) - returned
        base = (day, d.direction, d.trade_mode or "")
        for dim, key in (("total", ""), ("country", d.country or ""), ("seller", str(d.ebc_enterprise_id))):
            cell = out[dim][(*base, key)]
            cell[0] += counted
            cell[1] += value
        chapter_values: dict[str, Decimal] = defaultdict(Decimal)
        for ln in session.scalars(select(DeclarationLine).where(DeclarationLine.declaration_id == d.id)):
            chapter_values[(ln.hs_code or "")[:2]] += ln.total_price or Decimal(0)
        for r in refunds:
            for ln in session.scalars(select(DeclarationLine).where(DeclarationLine.declaration_id == r.id)):
                chapter_values[(ln.hs_code or "")[:2]] -= ln.total_price or Decimal(0)
        for chapter, v in chapter_values.items():
            cell = out["hs2"][(*base, chapter)]
            cell[0] += counted
            cell[1] += v
    return {dim: {k: (c, v) for k, (c, v) in cells.items() if c or v} for dim, cells in out.items()}


def rollup_figures(session: Session, dimension: str) -> dict[tuple[str, ...], tuple[int, Decimal]]:
    q = select(
        StatRollup.period,
        StatRollup.direction,
        StatRollup.trade_mode,
        StatRollup.dim_key,
        StatRollup.list_count,
        StatRollup.value_cny,
    ).where(
        StatRollup.zone_code == ZONE,
        StatRollup.owner_enterprise_id == 0,
        StatRollup.dimension == dimension,
        StatRollup.grain == "d",
        StatRollup.source == "lists",
    )
    out = {}
    for period, direction, mode, key, count, value in session.execute(q):
        if count or value:
            out[(period.isoformat(), direction, mode, key)] = (
                count,
                Decimal(value).quantize(Decimal("0.01")),
            )
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op_st, min_size=1, max_size=14))
def test_rollups_equal_recount_after_release_change_withdrawal_and_return(
    session: Session, ops: list[tuple]
) -> None:
    nested = session.begin_nested()
    try:
        sellers = [make_enterprise(session, roles=("seller",)), make_enterprise(session, roles=("seller",))]
        platform = make_enterprise(session, roles=("platform",))
        trade = Trade(session, sellers, platform)
        for op in ops:
            if op[0] == "release":
                trade.release(op[1], op[2], op[3], op[4], op[5])
            elif op[0] == "withdraw":
                trade.withdraw(op[1])
            else:
                trade.return_lines(op[1], op[2])
        expected = recount(session, [d.id for d in trade.lists.values()])
        for dimension in ("total", "country", "hs2", "seller"):
            want = {k: (c, v.quantize(Decimal("0.01"))) for k, (c, v) in expected[dimension].items()}
            assert rollup_figures(session, dimension) == want, dimension
        # The month grain and the range query give the same totals as the day cells.
        month_total = sums_by(
            session, StatsScope(ZONE), "total", dt.date(2026, 3, 1), dt.date(2026, 4, 30), Filters()
        )
        assert sum(m.list_count for m in month_total.values()) == sum(
            c for c, _ in expected["total"].values()
        )
        assert sum((m.value_cny for m in month_total.values()), Decimal(0)) == sum(
            (v for _, v in expected["total"].values()), Decimal(0)
        )
        # A range with partial months at both ends (read as month cells less days, plus days).
        lo, hi = dt.date(2026, 3, 10), dt.date(2026, 4, 5)
        partial = sums_by(session, StatsScope(ZONE), "country", lo, hi, Filters())
        want_partial: dict[str, tuple[int, Decimal]] = defaultdict(lambda: (0, Decimal(0)))
        for (day, _d, _m, key), (c, v) in expected["country"].items():
            if lo.isoformat() <= day <= hi.isoformat():
                pc, pv = want_partial[key]
                want_partial[key] = (pc + c, pv + v)
        got_partial = {
            k[0]: (m.list_count, m.value_cny.quantize(Decimal("0.01"))) for k, m in partial.items()
        }
        assert {k: v for k, v in got_partial.items() if v != (0, Decimal(0))} == {
            k: (c, v.quantize(Decimal("0.01")))
            for k, (c, v) in want_partial.items()
            if (c, v) != (0, Decimal(0))
        }
    finally:
        nested.rollback()


def test_enterprise_view_holds_only_its_own_trade(session: Session) -> None:
    seller_a, seller_b = make_enterprise(session), make_enterprise(session)
    platform = make_enterprise(session, roles=("platform",))
    trade = Trade(session, [seller_a, seller_b], platform)
    trade.release(0, 1, ("import", "9610"), "116", [("3304990099", Decimal("100.00"))])  # seller_a
    trade.release(1, 1, ("import", "9610"), "502", [("6110200090", Decimal("250.00"))])  # seller_b
    day = dt.date(2026, 3, 2)
    own_a = sums_by(session, StatsScope(ZONE, seller_a.id), "country", day, day)
    assert {k[0]: m.value_cny for k, m in own_a.items()} == {"116": Decimal("100.00")}
    own_b = sums_by(session, StatsScope(ZONE, seller_b.id), "total", day, day)
    assert sum((m.value_cny for m in own_b.values()), Decimal(0)) == Decimal("250.00")
    # The platform carried both lists: its own view holds both.
    own_platform = sums_by(session, StatsScope(ZONE, platform.id), "total", day, day)
    assert sum(m.list_count for m in own_platform.values()) == 2


def test_the_subscriber_is_wired_to_trade_events() -> None:
    import silkgate.events as events

    events.load_subscribers()
    for kind in ("released", "withdrawn", "returned"):
        assert on_trade_event in events._subscribers[kind]
