"""Domain events published inside the declaring transaction, so that statistics, credit and risk
stay current with every release, withdrawal or return (no nightly batch).

This is a synchronous observer list, not a queue: subscribers run in the same unit of work and
their writes commit or roll back with the declaration. A domain subscribes by shipping
`silkgate.<domain>.subscribers` that calls `subscribe(...)` at import; `load_subscribers()`
imports them all once.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

# Kinds of trade event. "released": a list was released (清单放行/核放); "withdrawn": a released or
# pending list was withdrawn (撤销); "returned": goods returned against a released list (退货);
# "rejected" / "held": the decision on a list; "departed": export goods left (离境);
# "payment_collected": export proceeds collected (收款).
TRADE_EVENT_KINDS = ("released", "withdrawn", "returned", "rejected", "held", "departed", "payment_collected")


@dataclass(frozen=True)
class TradeLine:
    hs_code: str  # 10 digits
    item_no: str
    quantity: Decimal
    value: Decimal  # in the list's currency
    value_cny: Decimal
    origin_country: str = ""  # 原产国（地区） of the line (CEB621 list line `country`)
    # For a partial return only the returned quantity/value.


@dataclass(frozen=True)
class TradeEvent:
    kind: str
    zone_code: str
    direction: str  # "import" | "export"
    trade_mode: str  # "9610" | "1210" | "1239" | "9710" | "9810"
    declaration_id: int  # the inventory list's id
    business_no: str  # the list number (invtNo) or copNo
    occurred_at: dt.datetime
    # Enterprise ids by role in the document: "seller" (ebc), "platform" (ebp), "logistics",
    # "payment", "agent" (broker declaring), "warehouse".
    enterprise_ids: dict[str, int]
    customs_code: str  # 申报海关 / 口岸海关, 4 digits
    # The list head's country (customs numeric code): import — the shipping country (起运国; 142 for
    # bonded 1210 lists), export — the destination (运抵国). The statistics' trading partner is
    # derived from it and the lines' origin (trade_stats.rollup.partner_country).
    country: str
    currency: str  # numeric customs currency code
    total_value: Decimal  # goods value in `currency` (sign: always positive; `kind` says what)
    total_value_cny: Decimal
    tax_cny: Decimal = Decimal("0")
    freight_cny: Decimal = Decimal("0")
    lines: tuple[TradeLine, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


Subscriber = Callable[[Session, TradeEvent], None]
_subscribers: dict[str, list[Subscriber]] = defaultdict(list)
_loaded = False


def subscribe(kind: str | None, fn: Subscriber) -> None:
    """Call `fn(session, event)` for each event of `kind` (None: every kind)."""
    _subscribers[kind or "*"].append(fn)


def load_subscribers() -> None:
    global _loaded
    if _loaded:
        return
    from silkgate.app import DOMAINS

    for domain in DOMAINS:
        name = f"silkgate.{domain}.subscribers"
        if importlib.util.find_spec(f"silkgate.{domain}") and importlib.util.find_spec(name):
            importlib.import_module(name)
    _loaded = True


def publish(session: Session, event: TradeEvent) -> None:
    load_subscribers()
    session.info[_PUBLISHED] = True
    for fn in (*_subscribers.get(event.kind, ()), *_subscribers.get("*", ())):
        fn(session, event)


# How many commits carrying trade events this process has seen: a cache of figures computed from
# the rollups is fresh while this number has not moved (other processes' commits: by its TTL).
_PUBLISHED = "silkgate_trade_events"
_trade_generation = 0


def trade_generation() -> int:
    return _trade_generation


@event.listens_for(Session, "after_commit")
def _count_trade_commit(session: Session) -> None:
    global _trade_generation
    if session.info.pop(_PUBLISHED, False):
        _trade_generation += 1


@event.listens_for(Session, "after_rollback")
def _forget_trade_events(session: Session) -> None:
    session.info.pop(_PUBLISHED, None)
