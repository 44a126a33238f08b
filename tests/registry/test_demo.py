"""The registry demo step: organisations and logins, enterprises of every role, goods; re-readable."""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silkgate.auth import kinds
from silkgate.auth.service import authenticate_password
from silkgate.demo import DemoContext
from silkgate.kit.checkdigits import is_valid_uscc
from silkgate.models.org import User
from silkgate.models.registry import ENTERPRISE_ROLES, Commodity, Enterprise
from silkgate.registry import demo, rules
from silkgate.registry.bootstrap import TARIFF_FILE
from silkgate.registry.files import read_tariff_csv

LOGINS = (
    "zone_admin", "customs", "tax", "forex", "commerce", "market", "bank", "insurer", "park",
    "seller1", "seller2", "seller3", "platform1", "logistics1", "payment1", "broker1", "warehouse1",
    "tradeservice1", "applicant1",
)  # fmt: skip


def test_registry_demo_step_builds_a_realistic_zone(session: Session) -> None:
    ctx = DemoContext(session=session, zone_code="451100", rng=random.Random(5), today=dt.date(2026, 3, 1))
    summary = demo.load(ctx)
    assert "40家企业备案" in summary
    enterprises = session.scalars(select(Enterprise).where(Enterprise.zone_code == "451100")).all()
    assert len(enterprises) == 40
    assert all(is_valid_uscc(e.uscc) for e in enterprises)
    statuses = [e.status for e in enterprises]
    assert statuses.count("rejected") == 1 and statuses.count("pending") >= 3
    assert set(ctx.shared["enterprise_ids_by_role"]) == set(ENTERPRISE_ROLES)
    assert set(ctx.shared["org_ids_by_kind"]) == set(kinds.ORG_KINDS)
    goods = session.scalars(select(Commodity).where(Commodity.zone_code == "451100")).all()
    assert len(goods) >= 150
    assert all(not rules.barcode_problems(g.barcode or "") for g in goods)
    assert sum(len(v) for v in ctx.shared["commodity_ids_by_enterprise"].values()) == len(goods)
    usernames = set(session.scalars(select(User.username)))
    assert {f"{login}_hz" for login in LOGINS} <= usernames  # another zone's logins carry its short code
    assert authenticate_password(session, "applicant1_hz", "silkgate-demo") is not None

    again = DemoContext(session=session, zone_code="451100", rng=random.Random(9), today=dt.date(2026, 3, 1))
    demo.prepare(again)
    assert again.shared == ctx.shared
    assert (
        session.scalar(select(func.count()).select_from(Enterprise).where(Enterprise.zone_code == "451100"))
        == 40
    )


def test_demo_goods_use_real_tariff_lines_and_their_legal_units(reference_dir: Path) -> None:
    """Each catalogue good's 8-digit line is in the 2023 tariff and in the shipped rate table, and
    its units are the line's legal units (法定计量单位)."""
    with (reference_dir / "codes" / "derived" / "hs8_2023.csv").open(encoding="utf-8") as fh:
        lines = {row["hs8"]: row for row in csv.DictReader(fh)}
    raw, _ = read_tariff_csv(TARIFF_FILE.read_bytes())
    shipped = {r["hs_code"] for r in raw}
    for product in demo.CATALOGUE:
        line = lines[product.hs_code[:8]]
        assert product.hs_code[:8] in shipped, product.name
        assert product.unit == line["unit1_jgs20"], product.name
        expected_unit2 = line["unit2_jgs20"] if line["unit2_jgs20"] not in ("", "?") else None
        assert product.unit2 == expected_unit2, product.name
