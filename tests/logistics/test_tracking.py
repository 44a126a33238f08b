"""Tracking (LOG-01, LOG-04): carriers post events by API or batch file; the buyer's page merges the
customs statuses (DeclarationEvent) and the carrier events in time order, drops exact repeats
(waybill, code, time, place) and shows nothing personal (个人信息保护法 第六条 最小必要)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from silkgate.declarations.trading import TradeSetup
from silkgate.exceptions import Forbidden, ValidationFailed
from silkgate.logistics import cli, rules, schemas, service
from silkgate.models.declarations import Declaration

from .conftest import keyed, released_imports

T0 = dt.datetime(2026, 10, 2, 1, 0, tzinfo=dt.UTC)


def _ev(waybill: str, code: str, minutes: int, place: str, text: str = "") -> dict[str, str]:
    return {
        "waybill_no": waybill,
        "event_code": code,
        "occurred_at": (T0 + dt.timedelta(minutes=minutes)).isoformat(),
        "location": place,
        "description": text,
    }


def test_timeline_merges_customs_and_carrier_with_late_and_duplicate_events(
    session: Session, client: TestClient, trade: TradeSetup
) -> None:
    (tx,) = released_imports(session, trade)
    carrier = trade.enterprises[tx.logistics.code]
    _, headers = keyed(session, carrier)
    wb = tx.logistics_no
    first = client.post(
        "/api/v1/logistics/tracking-events",
        headers=headers,
        json={"events": [_ev(wb, "PICKED_UP", 0, "首尔"), _ev(wb, "DEPARTED_HUB", 120, "仁川机场")]},
    )
    assert first.json() == {"accepted": 2, "duplicates": 0}
    # a late event (happened between the two) and a re-sent one (same waybill, code, time, place)
    late = client.post(
        "/api/v1/logistics/tracking-events",
        headers=headers,
        json={
            "events": [
                _ev(wb, "ARRIVED_HUB", 60, "仁川"),
                _ev(wb, "PICKED_UP", 0, "首尔"),
                _ev(wb, "DELIVERED", 3000, "运城", "签收人：张三 电话13912345678"),
            ]
        },
    )
    assert late.json() == {"accepted": 2, "duplicates": 1}
    entries = service.public_timeline(session, wb)
    assert entries is not None
    times = [e.at for e in entries]
    assert times == sorted(times)
    carrier_codes = [e.code for e in entries if e.source == "carrier"]
    assert carrier_codes == ["PICKED_UP", "ARRIVED_HUB", "DEPARTED_HUB", "DELIVERED"]
    customs = [e.code for e in entries if e.source == "customs"]
    assert "released" in customs
    page = client.get(f"/track?waybill={wb}")
    assert page.status_code == 200
    assert "海关放行" in page.text and "到达转运中心" in page.text
    for personal in (tx.buyer_name, tx.buyer_id, tx.buyer_phone, "张三", "13912345678", tx.address):
        assert personal not in page.text
    api = client.get(f"/api/v1/logistics/tracking/{wb}").json()
    assert [e["code"] for e in api["entries"] if e["source"] == "carrier"] == carrier_codes


def test_unknown_waybill_is_not_found(client: TestClient, session: Session) -> None:
    assert client.get("/track?waybill=NOPE0000001").status_code == 404
    assert client.get("/api/v1/logistics/tracking/NOPE0000001").status_code == 404


def test_only_logistics_firms_post_events(session: Session, trade: TradeSetup) -> None:
    seller = trade.enterprises[trade.parties.sellers[0].code]
    p, _ = keyed(session, seller)
    with pytest.raises(Forbidden):
        service.post_tracking_events(
            session, p, [schemas.TrackingEventIn(waybill_no="X1", event_code="PICKED_UP", occurred_at=T0)]
        )


def test_unknown_event_code_names_the_row(session: Session, trade: TradeSetup) -> None:
    carrier = trade.enterprises[trade.parties.logistics[0].code]
    p, _ = keyed(session, carrier)
    with pytest.raises(ValidationFailed) as exc:
        service.post_tracking_events(
            session,
            p,
            [
                schemas.TrackingEventIn(waybill_no="X1", event_code="PICKED_UP", occurred_at=T0),
                schemas.TrackingEventIn(waybill_no="X1", event_code="TELEPORTED", occurred_at=T0),
            ],
        )
    assert [(e.field, e.code) for e in exc.value.errors] == [("events[1].event_code", "unknown_event_code")]


def test_batch_file_is_read_with_beijing_times_and_deduplicated(
    session: Session, trade: TradeSetup, tmp_path: Path
) -> None:
    carrier = trade.enterprises[trade.parties.logistics[0].code]
    p, _ = keyed(session, carrier)
    f = tmp_path / "events.csv"
    f.write_text(
        "waybill_no,event_code,occurred_at,location,description\n"
        "YT1,PICKED_UP,20261002090000,首尔,\n"
        "YT1,PICKED_UP,20261002090000,首尔,\n"
        "YT1,DELIVERED,20261004153000,运城,已签收\n",
        encoding="utf-8",
    )
    events = cli.read_tracking_csv(f)
    assert events[0].occurred_at == dt.datetime(2026, 10, 2, 1, 0, tzinfo=dt.UTC)
    result = service.post_tracking_events(session, p, events, source="file")
    assert (result.accepted, result.duplicates) == (2, 1)
    bad = tmp_path / "bad.csv"
    bad.write_text("waybill_no,event_code,occurred_at\nYT2,PICKED_UP,2026-13-99\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as exc:
        cli.read_tracking_csv(bad)
    assert exc.value.errors[0].field == "row2.occurred_at"


def test_redaction_and_merge_rules() -> None:
    assert rules.redact_personal("签收人：李四 13800001111 身份证110101199001011234") == (
        "签收人：*** *********** 身份证******************"
    )
    a = rules.TimelineEntry(T0, "carrier", "PICKED_UP", "已揽收", "首尔", "")
    b = rules.TimelineEntry(T0, "customs", "released", "海关放行", "", "")
    c = rules.TimelineEntry(T0 - dt.timedelta(hours=1), "carrier", "ARRIVED_HUB", "到达", "仁川", "")
    assert rules.merge_timeline([a, b, a, c]) == [c, b, a]


def test_percentile_matches_linear_interpolation() -> None:
    assert rules.percentile([], 50) is None
    assert rules.percentile([5.0], 90) == 5.0
    assert rules.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert rules.percentile([float(x) for x in range(1, 11)], 90) == pytest.approx(9.1)


def test_clearance_and_delivery_times_come_from_real_timestamps(session: Session, trade: TradeSetup) -> None:
    txs = released_imports(session, trade, 3)
    carrier = trade.enterprises[txs[0].logistics.code]
    p, _ = keyed(session, carrier)
    lists = {
        d.logistics_no: d
        for d in session.scalars(
            select(Declaration).where(
                Declaration.kind == "inventory", Declaration.logistics_no.in_([t.logistics_no for t in txs])
            )
        )
    }
    assert all(d.released_at is not None for d in lists.values())
    delays = {txs[0].logistics_no: 10, txs[1].logistics_no: 30, txs[2].logistics_no: 50}
    service.post_tracking_events(
        session,
        p,
        [
            schemas.TrackingEventIn(
                waybill_no=wb,
                event_code="DELIVERED",
                occurred_at=lists[wb].released_at + dt.timedelta(hours=h),  # type: ignore[operator]
            )
            for wb, h in delays.items()
        ],
    )
    fig = service.figures(
        session, "140800", since=min(d.released_at for d in lists.values() if d.released_at)
    )
    assert fig.delivery.count == 3
    assert fig.delivery.median_hours == pytest.approx(30, abs=0.01)
    assert fig.delivery.p90_hours == pytest.approx(46, abs=0.01)
    expected = sorted(
        rules.duration_hours(d.created_at, d.released_at) for d in lists.values() if d.released_at
    )
    assert fig.clearance.count >= 3
    assert fig.clearance.median_hours is not None and fig.clearance.median_hours >= 0
    assert expected == sorted(expected)
