"""Test helpers: release lists through the TradeEvent the declaring code publishes."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from sqlalchemy.orm import Session

from silkgate.events import TradeEvent, TradeLine
from silkgate.trade_stats.subscribers import on_trade_event

BJ = dt.timezone(dt.timedelta(hours=8))
_ids = itertools.count(9_000_000)


def release(
    session: Session,
    *,
    day: dt.date,
    value: str,
    seller_id: int,
    zone: str = "140800",
    direction: str = "import",
    mode: str = "9610",
    country: str = "116",
    hs_code: str = "3304990099",
    platform_id: int | None = None,
    declaration_id: int | None = None,
    kind: str = "released",
) -> int:
    decl_id = declaration_id or next(_ids)
    v = Decimal(value)
    ids = {"seller": seller_id}
    if platform_id:
        ids["platform"] = platform_id
    on_trade_event(  # the statistics' subscriber only: other domains' subscribers are not under test
        session,
        TradeEvent(
            kind=kind,
            zone_code=zone,
            direction=direction,
            trade_mode=mode,
            declaration_id=decl_id,
            business_no=f"T{decl_id}",
            occurred_at=dt.datetime.combine(day, dt.time(10), BJ),
            enterprise_ids=ids,
            customs_code="0501",
            country=country,
            currency="142",
            total_value=v,
            total_value_cny=v,
            tax_cny=(v * Decimal("0.091")).quantize(Decimal("0.01")),
            lines=(TradeLine(hs_code=hs_code, item_no="A1", quantity=Decimal(1), value=v, value_cny=v),),
        ),
    )
    session.flush()
    return decl_id
