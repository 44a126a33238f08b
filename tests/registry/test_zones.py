"""The shipped zones and their plan targets: every target's phrase is in the seed text it cites."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories import auth_headers, make_org
from silkgate.auth import kinds
from silkgate.models.zone import Zone, ZoneTarget
from silkgate.registry.bootstrap import DATA, load_zones

METRICS = {
    "trade_value", "retail_trade_value", "b2b_export_value", "trade_share", "growth_rate", "enterprises",
    "leading_enterprises", "export_enterprises", "parks", "demo_parks", "demo_enterprises",
    "overseas_warehouses", "training_bases", "platforms", "talents", "service_centres", "layout",
    "milestone", "other",
}  # fmt: skip
BOUNDS = {"gt", "ge", "eq", "range", "increment", "none"}


def _zones() -> list[dict]:  # type: ignore[type-arg]
    return json.loads((DATA / "zones.json").read_text(encoding="utf-8"))["zones"]  # type: ignore[no-any-return]


def test_every_target_phrase_is_in_the_seed_text(reference_dir: Path) -> None:
    seeds = "\n".join(
        p.read_text(encoding="utf-8") for p in sorted((reference_dir.parent / "seeds").glob("*.txt"))
    )
    missing = [
        (t["ref"], t["source_phrase"])
        for z in _zones()
        for t in z["targets"]
        if t["source_phrase"] not in seeds
    ]
    assert missing == []


def test_targets_are_well_formed() -> None:
    zones = _zones()
    assert len(zones) == 11
    refs = [t["ref"] for z in zones for t in z["targets"]]
    assert len(refs) == len(set(refs)) >= 90
    for z in zones:
        assert z["targets"], z["short"]
        for t in z["targets"]:
            assert t["metric"] in METRICS and t["bound"] in BOUNDS, t["ref"]
            assert t["source_note"].startswith(
                ("晋政办发", "桂政办函", "同政办发", "吉政发", "山东省人民政府")
            ), t["ref"]
            if t["bound"] == "range":
                assert Decimal(t["value"]) < Decimal(t["value_max"]), t["ref"]
            if t["bound"] in ("gt", "ge", "eq", "increment"):
                assert t["value"] is not None, t["ref"]


def test_zone_targets_are_loaded_idempotently(session: Session) -> None:
    count = session.scalar(select(func.count()).select_from(ZoneTarget))
    load_zones(session)
    assert session.scalar(select(func.count()).select_from(ZoneTarget)) == count
    yc = {t.ref: t for t in session.scalars(select(ZoneTarget).where(ZoneTarget.zone_code == "140800"))}
    assert (yc["YC-T2"].value, yc["YC-T2"].bound, yc["YC-T2"].unit, yc["YC-T2"].year) == (
        Decimal("6"),
        "gt",
        "亿元",
        2024,
    )
    assert (yc["YC-T4"].value, yc["YC-T4"].value_max) == (Decimal("1"), Decimal("2"))
    dz = session.scalars(select(ZoneTarget).where(ZoneTarget.ref == "DZ-T4")).one()
    assert dz.bound == "increment"  # 新增公共海外仓3个: an increment, not a stock
    yanji = session.get(Zone, "222401")
    assert yanji is not None and "敦化市" in yanji.districts


def test_zone_api_lists_zones_and_targets(client: TestClient, session: Session) -> None:
    headers = auth_headers(session, make_org(session, kinds.CUSTOMS).id)
    zones = client.get("/api/v1/zones", headers=headers).json()
    assert {z["code"] for z in zones} >= {"140800", "451100", "140200", "222401", "370400"}
    targets = client.get("/api/v1/zones/370800/targets", headers=headers).json()
    jn1 = next(t for t in targets if t["ref"] == "JN-T1")
    assert jn1["source_phrase"] == "交易规模突破300亿元" and jn1["bound_zh"] == "突破"
    assert client.get("/api/v1/zones/999999/targets", headers=headers).status_code == 404
