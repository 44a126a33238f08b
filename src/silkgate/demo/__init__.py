"""The realistic synthetic demo zone: every domain contributes a step, loaded in order, once per zone.

A domain ships `silkgate.<domain>.demo` with `load(ctx: DemoContext) -> str` (a one-line summary).
Steps go through the same services users call, so the demo exercises the real code paths.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from silkgate.models.demo import DemoLoad

DEFAULT_ZONE = "140800"  # Yuncheng, Shanxi: the seed plan with the most complete online-platform text
# The order matters: filings first, then trade through the pipeline, then what reads the trade.
STEPS = (
    "registry",
    "trust",
    "clearance",
    "export",
    "trade_stats",
    "credit",
    "risk",
    "finance",
    "logistics",
    "parks",
    "traceability",
)
DEMO_PASSWORD = "silkgate-demo"
# Months of live trade before the current one: imports (clearance) and exports trade over the same
# window, so every live month has both; the imported history (trade_stats) ends the month before.
TRADING_MONTHS = 4


def trading_start(today: dt.date) -> dt.date:
    """The first day of the demo's live trade."""
    return (today.replace(day=1) - dt.timedelta(days=31 * TRADING_MONTHS)).replace(day=1)


@dataclass
class DemoContext:
    session: Session
    zone_code: str
    rng: random.Random
    today: dt.date
    # What earlier steps made, for later steps: e.g. "enterprises_by_role", "zone_office_org_id".
    shared: dict[str, Any] = field(default_factory=dict)
    # Run after the last step, newest first (e.g. the trust step stops signing the demo's messages).
    cleanups: list[Callable[[], None]] = field(default_factory=list)


def load_demo(session: Session, zone_code: str, today: dt.date | None = None) -> list[str]:
    """Load every domain's demo step not yet loaded into the zone; return one line per step."""
    ctx = DemoContext(
        session=session,
        zone_code=zone_code,
        rng=random.Random(f"silkgate-{zone_code}"),
        today=today or dt.date.today(),
    )
    done = set(session.scalars(select(DemoLoad.step).where(DemoLoad.zone_code == zone_code)))
    lines: list[str] = []
    try:
        _load_steps(ctx, done, lines)
    finally:
        while ctx.cleanups:
            ctx.cleanups.pop()()
    return lines


def _load_steps(ctx: DemoContext, done: set[str], lines: list[str]) -> None:
    session, zone_code = ctx.session, ctx.zone_code
    loaded: list[tuple[int, str, Any]] = []
    for step in STEPS:
        name = f"silkgate.{step}.demo"
        if not (importlib.util.find_spec(f"silkgate.{step}") and importlib.util.find_spec(name)):
            continue
        module = importlib.import_module(name)
        if hasattr(module, "prepare"):
            module.prepare(ctx)  # re-reads what the step made before, for later steps
        if step in done:
            lines.append(f"[{step}] 已加载（跳过）")
            continue
        summary = module.load(ctx)
        session.add(DemoLoad(zone_code=zone_code, step=step))
        session.flush()
        loaded.append((len(lines), step, module))
        lines.append(f"[{step}] {summary}")
    # A step whose figures later steps change (credit: trade and risk findings re-rate enterprises)
    # says what its pages show once everything is loaded.
    for index, step, module in loaded:
        if callable(getattr(module, "final_summary", None)):
            lines[index] = f"[{step}] {module.final_summary(ctx)}"
