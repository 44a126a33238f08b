"""Bounded types for what clients send: ids, offsets, years, counts, dates and periods.

Every integer a client can send has bounds in the schema itself, so the OpenAPI document states
them and a value the database cannot hold (PostgreSQL `bigint`, SQLite's 64-bit integer) is
answered 422 naming the field instead of reaching the database. Dates are kept to the years the
platform deals in; periods are `YYYY-MM` with a real month.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Final

from annotated_types import Ge, Le
from pydantic import AfterValidator, Field, StringConstraints

MAX_INT64: Final = 2**63 - 1
MAX_OFFSET: Final = 1_000_000_000
FIRST_YEAR: Final = 1990
LAST_YEAR: Final = 2100
# Money and quantities: 18 significant digits with 2 (money) or 5 (quantities) after the point,
# what the NUMERIC(20, 2) / NUMERIC(19, 5) columns hold.
MAX_AMOUNT: Final = Decimal("999999999999999999.99")

DbId = Annotated[int, Ge(1), Le(MAX_INT64)]
"""An id of a stored record (path or query)."""

DbInt = Annotated[int, Ge(-MAX_INT64), Le(MAX_INT64)]
"""Any integer that is stored as is."""

Count = Annotated[int, Ge(0), Le(MAX_INT64)]
"""A count, area, number of people: zero or more."""

Offset = Annotated[int, Ge(0), Le(MAX_OFFSET)]
"""How many rows to skip in a listing."""

Year = Annotated[int, Ge(FIRST_YEAR), Le(LAST_YEAR)]


def _date_in_range(value: dt.date) -> dt.date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"日期应在{FIRST_YEAR}年至{LAST_YEAR}年之间")
    return value


BoundedDate = Annotated[
    dt.date,
    AfterValidator(_date_in_range),
    Field(description=f"YYYY-MM-DD, {FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31"),
]

PERIOD_PATTERN: Final = r"^(19[9]\d|20\d\d|2100)-(0[1-9]|1[0-2])$"
Period = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN)]
"""A month, YYYY-MM, 1990-01 to 2100-12."""
