"""The USD rate for reporting trade value in US dollars, read from the zone's exchange-rate table
(helper E's `silkgate.export.fx.rate_to_cny`), cached per transaction and day."""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from silkgate.exceptions import SilkgateError

USD = "502"  # customs numeric currency code of the US dollar
_CACHE_KEY = "silkgate.trade_stats.usd_rate"


def _rate_function() -> Callable[..., Any] | None:
    if (
        importlib.util.find_spec("silkgate.export") is None
        or importlib.util.find_spec("silkgate.export.fx") is None
    ):
        return None
    module = importlib.import_module("silkgate.export.fx")
    fn = getattr(module, "rate_to_cny", None)
    return fn if callable(fn) else None


def usd_rate(session: Session, day: dt.date, zone_code: str | None = None) -> Decimal | None:
    """CNY per 1 USD on `day` (None when the zone has loaded no USD rate for it)."""
    cache: dict[tuple[str | None, dt.date], Decimal | None] = session.info.setdefault(_CACHE_KEY, {})
    if (zone_code, day) in cache:
        return cache[(zone_code, day)]
    fn = _rate_function()
    rate: Decimal | None = None
    if fn is not None:
        try:
            value = fn(session, USD, day, zone_code)
        except (LookupError, SilkgateError):
            value = None
        rate = None if value is None else Decimal(str(value))
    cache[(zone_code, day)] = rate
    return rate
