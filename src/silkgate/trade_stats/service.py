"""Statistics operations: recording trade events into the rollups, who sees which figures,
historical figures a zone imports, manual indicator values and the assessment weights."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from silkgate.auth import kinds
from silkgate.auth.audit import record_read
from silkgate.auth.principal import Principal
from silkgate.events import TradeEvent
from silkgate.exceptions import FieldError, Forbidden, NotFound, ValidationFailed
from silkgate.kit.cebtime import now_utc
from silkgate.models.trade_stats import AssessmentWeights, StatIndicatorValue, StatListLedger
from silkgate.models.zone import Zone
from silkgate.trade_stats import calc
from silkgate.trade_stats.fx import usd_rate
from silkgate.trade_stats.rollup import (
    ZONE_OWNER,
    Base,
    Cell,
    apply_cells,
    beijing_day,
    cells_for_release,
    cells_for_return,
    combine,
    contribution_of,
    ledger_contribution,
    negate,
    rollup_rows,
    to_usd,
    upsert_rows,
)

TRADE_MODES = ("9610", "1210", "1239", "9710", "9810")
DIRECTIONS = ("import", "export")


# --- recording ----------------------------------------------------------------------------------


LEDGER = cast(Table, StatListLedger.__table__)
_LEDGER_ROW = select(LEDGER.c.counted, LEDGER.c.contribution).where(
    LEDGER.c.declaration_id == bindparam("declaration_id")
)
_LEDGER_INSERT = insert(LEDGER)
_LEDGER_UPDATE = (
    update(LEDGER)
    .where(LEDGER.c.declaration_id == bindparam("b_declaration_id"))
    .values(
        counted=bindparam("b_counted"),
        contribution=bindparam("b_contribution", type_=LEDGER.c.contribution.type),
        updated_at=bindparam("b_now"),
    )
)


def record_trade_event(session: Session, event: TradeEvent) -> None:
    """Apply one released / withdrawn / returned list to the rollups (inside the caller's
    transaction; Core statements, this runs for every released list)."""
    connection = session.connection()
    ledger = connection.execute(_LEDGER_ROW, {"declaration_id": event.declaration_id}).first()
    previous = contribution_of(ledger.contribution) if ledger is not None and ledger.counted else None
    exists = ledger is not None
    if event.kind == "released":
        if previous is not None:  # released again after a change: replace what it contributed
            apply_cells(session, previous[0], negate(previous[1]))
        day = beijing_day(event.occurred_at)
        base = Base(
            event.zone_code, day, event.direction, event.trade_mode, usd_rate(session, day, event.zone_code)
        )
        cells = cells_for_release(event, base.usd_rate)
        apply_cells(session, base, cells)
        _save_ledger(session, exists, event, base, cells, counted=True)
    elif event.kind == "withdrawn":
        if previous is not None:
            apply_cells(session, previous[0], negate(previous[1]))
            _save_ledger(session, exists, event, previous[0], [], counted=False)
    elif event.kind == "returned" and previous is not None:
        base, remaining = previous
        delta = cells_for_return(remaining, event, base)
        if delta:
            apply_cells(session, base, delta)
            # A fully returned list keeps its (zero-count) contribution so that a later withdrawal
            # still takes off the returned figures it carries.
            _save_ledger(session, exists, event, base, combine(remaining, delta), counted=True)


def _save_ledger(
    session: Session,
    exists: bool,
    event: TradeEvent,
    base: Base,
    cells: list[Cell],
    *,
    counted: bool,
) -> None:
    contribution = ledger_contribution(base, cells) if cells else {}
    connection = session.connection()
    if not exists:
        connection.execute(
            _LEDGER_INSERT,
            {
                "declaration_id": event.declaration_id,
                "zone_code": event.zone_code,
                "counted": counted,
                "contribution": contribution,
                "updated_at": now_utc(),
            },
        )
    else:
        connection.execute(
            _LEDGER_UPDATE,
            {
                "b_declaration_id": event.declaration_id,
                "b_counted": counted,
                "b_contribution": contribution,
                "b_now": now_utc(),
            },
        )


# --- who sees what ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatsScope:
    """The figures a reader may see: a zone's, or one enterprise's own trade within its zone."""

    zone_code: str
    owner_enterprise_id: int = ZONE_OWNER
    label: str = ""

    @property
    def is_enterprise(self) -> bool:
        return self.owner_enterprise_id != ZONE_OWNER


def scope_for(session: Session, principal: Principal, *, resource: str = "trade_stats") -> StatsScope:
    """Zone office: its zone. Agencies: their zone (audited). Enterprise: its own trade only.
    Banks, insurers and park operators read trade only through an enterprise's consent (finance)."""
    if principal.zone_code is None:
        raise Forbidden("当前机构未归属任何综试区，无法查看统计")
    zone = session.get(Zone, principal.zone_code)
    zone_name = zone.name if zone else principal.zone_code
    if principal.is_enterprise:
        if principal.enterprise_id is None:
            raise Forbidden("企业尚未完成备案，暂无统计")
        return StatsScope(principal.zone_code, principal.enterprise_id, f"{principal.org_name}（本企业）")
    if principal.is_zone_office:
        return StatsScope(principal.zone_code, ZONE_OWNER, zone_name)
    if principal.is_agency:
        record_read(session, principal, resource=resource, zone_code=principal.zone_code)
        return StatsScope(principal.zone_code, ZONE_OWNER, zone_name)
    raise Forbidden("本机构类型无权查看综试区统计")


# --- historical figures -------------------------------------------------------------------------

HISTORICAL_COLUMNS = ("month", "direction", "trade_mode", "list_count", "value_cny")


@dataclass(frozen=True)
class HistoricalMonth:
    month: dt.date
    direction: str
    trade_mode: str
    list_count: int
    value_cny: Decimal
    value_usd: Decimal = Decimal(0)


def parse_historical_csv(text: str) -> list[HistoricalMonth]:
    """Parse a zone's prior monthly statistics (month,direction,trade_mode,list_count,value_cny[,value_usd]).
    Every bad cell is named; nothing is imported when one is wrong."""
    # a file saved on an old Mac ends lines with a bare CR: read it as the lines it means
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    try:
        table = list(csv.reader(io.StringIO(lines)))
    except csv.Error as exc:
        raise ValidationFailed([FieldError("body", "csv_invalid", f"CSV 格式错误：{exc}")]) from exc
    reader = csv.DictReader(io.StringIO(lines))
    missing = [c for c in HISTORICAL_COLUMNS if c not in (table[0] if table else [])]
    if missing:
        raise ValidationFailed(
            [FieldError(c, "missing_column", f"缺少列“{c}”") for c in missing], "历史统计文件缺少必需的列"
        )
    rows: list[HistoricalMonth] = []
    errors: list[FieldError] = []
    for n, raw in enumerate(reader, start=2):
        where = f"第{n}行"
        try:
            month = dt.date.fromisoformat((raw["month"] or "").strip() + "-01")
        except ValueError:
            errors.append(FieldError(f"row[{n}].month", "bad_month", f"{where}月份应为 YYYY-MM"))
            continue
        direction = (raw["direction"] or "").strip()
        mode = (raw["trade_mode"] or "").strip()
        if direction not in DIRECTIONS:
            errors.append(
                FieldError(f"row[{n}].direction", "bad_direction", f"{where}进出口方向应为 import 或 export")
            )
        if mode not in TRADE_MODES:
            errors.append(
                FieldError(
                    f"row[{n}].trade_mode", "bad_trade_mode", f"{where}贸易方式应为 {'/'.join(TRADE_MODES)}"
                )
            )
        try:
            count = int((raw["list_count"] or "0").strip())
            value = Decimal((raw["value_cny"] or "").strip())
            value_usd = Decimal((raw.get("value_usd") or "0").strip() or "0")
        except (ValueError, InvalidOperation):
            errors.append(FieldError(f"row[{n}].value_cny", "bad_number", f"{where}票数或金额不是数字"))
            continue
        if count < 0 or value < 0:
            errors.append(FieldError(f"row[{n}].value_cny", "negative", f"{where}票数和金额不能为负数"))
            continue
        rows.append(HistoricalMonth(month, direction, mode, count, value, value_usd))
    if errors:
        raise ValidationFailed(errors, "历史统计文件有错误，未导入任何数据")
    return rows


def import_historical(session: Session, zone_code: str, rows: list[HistoricalMonth]) -> int:
    """Store a zone's prior statistics as `historical` month cells (replacing the same months).

    A row without a US-dollar figure is converted at the zone's rate table on the month's first day,
    as a released list is on its release day."""
    from silkgate.models.trade_stats import StatRollup

    months = sorted({r.month for r in rows})
    if months:
        session.execute(
            delete(StatRollup).where(
                StatRollup.zone_code == zone_code,
                StatRollup.source == "historical",
                StatRollup.period.in_(months),
            )
        )
    out: list[dict[str, Any]] = []
    for r in rows:
        base = Base(zone_code, r.month, r.direction, r.trade_mode, None)
        value_usd = r.value_usd or to_usd(r.value_cny, usd_rate(session, r.month, zone_code))
        cell = Cell(ZONE_OWNER, "total", "", r.list_count, Decimal(0), r.value_cny, value_usd)
        out.extend(row for row in rollup_rows(base, [cell], source="historical") if row["grain"] == "m")
    upsert_rows(session, out)
    return len(rows)


# --- manual indicators and weights ----------------------------------------------------------------


def set_indicator_value(
    session: Session,
    zone_code: str,
    *,
    year: int,
    indicator: str,
    value: Decimal,
    source: str,
    note: str | None = None,
    user_id: int | None = None,
) -> StatIndicatorValue:
    errors = []
    if indicator not in calc.MANUAL_INDICATORS:
        errors.append(FieldError("indicator", "unknown_indicator", f"未知指标“{indicator}”"))
    if value < 0:
        errors.append(FieldError("value", "negative", "指标值不能为负数"))
    if not source.strip():
        errors.append(FieldError("source", "required", "请注明数据来源"))
    if not 2000 <= year <= 2100:
        errors.append(FieldError("year", "bad_year", "年份不正确"))
    if errors:
        raise ValidationFailed(errors)
    row = session.scalar(
        select(StatIndicatorValue).where(
            StatIndicatorValue.zone_code == zone_code,
            StatIndicatorValue.year == year,
            StatIndicatorValue.indicator == indicator,
        )
    )
    if row is None:
        row = StatIndicatorValue(
            zone_code=zone_code, year=year, indicator=indicator, value=value, source=source
        )
        session.add(row)
    row.value = value
    row.source = source.strip()
    row.note = note
    row.entered_by_user_id = user_id
    row.updated_at = now_utc()
    session.flush()
    return row


def indicator_values(session: Session, zone_code: str) -> dict[tuple[int, str], Decimal]:
    rows = session.scalars(select(StatIndicatorValue).where(StatIndicatorValue.zone_code == zone_code))
    return {(r.year, r.indicator): r.value for r in rows}


def weights_for(session: Session, zone_code: str) -> dict[str, Decimal]:
    """The zone's assessment weights: its own when stored, else the deployment default, else the
    documented default (docs/statistics.md)."""
    rows = {
        r.zone_code: r
        for r in session.scalars(
            select(AssessmentWeights).where(
                (AssessmentWeights.zone_code == zone_code) | (AssessmentWeights.zone_code.is_(None))
            )
        )
    }
    row = rows.get(zone_code) or rows.get(None)
    if row is None:
        return dict(calc.DEFAULT_WEIGHTS)
    return {k: Decimal(str(v)) for k, v in row.weights.items()}


def set_weights(
    session: Session, zone_code: str, weights: dict[str, Decimal], *, note: str | None, user_id: int | None
) -> dict[str, Decimal]:
    errors = calc.validate_weights(weights)
    if errors:
        raise ValidationFailed(errors, "权重设置不正确")
    row = session.scalar(select(AssessmentWeights).where(AssessmentWeights.zone_code == zone_code))
    if row is None:
        row = AssessmentWeights(zone_code=zone_code)
        session.add(row)
    row.weights = {k: str(v) for k, v in weights.items()}
    row.note = note
    row.updated_by_user_id = user_id
    row.updated_at = now_utc()
    session.flush()
    return weights


def zone_or_404(session: Session, zone_code: str) -> Zone:
    zone = session.get(Zone, zone_code)
    if zone is None:
        raise NotFound("综试区不存在")
    return zone


def require_zone_office(principal: Principal) -> None:
    principal.require(kinds.ZONE_OFFICE)
