"""Reference data every deployment starts with: the zones of the seed plans (with their targets)
and the national retail-import tariff table. Idempotent: run on every start, changes nothing twice."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from silkgate.models.zone import Zone, ZoneTarget
from silkgate.registry.files import read_tariff_csv
from silkgate.registry.service import load_tariff, parse_tariff_rows
from silkgate.trust.service import ensure_platform_keys

DATA = Path(__file__).resolve().parents[1] / "data"


def _dec(v: Any) -> Decimal | None:
    return None if v is None else Decimal(str(v))


def load_zones(session: Session) -> int:
    """Insert or refresh the shipped zones and their plan targets; return how many zones."""
    doc = json.loads((DATA / "zones.json").read_text(encoding="utf-8"))
    existing = {z.code: z for z in session.scalars(select(Zone))}
    for z in doc["zones"]:
        zone = existing.get(z["code"])
        fields = {
            k: z[k]
            for k in (
                "short",
                "name",
                "city",
                "province",
                "province_code",
                "approval_doc",
                "batch",
                "plan_doc",
                "portal_name",
                "districts",
            )
        }
        fields["plan_date"] = dt.date.fromisoformat(z["plan_date"])
        if zone is None:
            session.add(Zone(code=z["code"], **fields))
        else:
            for k, v in fields.items():
                setattr(zone, k, v)
        session.flush()
        targets = {
            t.ref: t for t in session.scalars(select(ZoneTarget).where(ZoneTarget.zone_code == z["code"]))
        }
        for t in z.get("targets", []):
            values = dict(
                metric=t["metric"],
                label=t["label"],
                horizon=t["horizon"],
                year=t.get("year"),
                value=_dec(t.get("value")),
                value_max=_dec(t.get("value_max")),
                unit=t["unit"],
                bound=t["bound"],
                bound_zh=t["bound_zh"],
                source_phrase=t["source_phrase"],
                source_note=t["source_note"],
            )
            row = targets.get(t["ref"])
            if row is None:
                session.add(ZoneTarget(zone_code=z["code"], ref=t["ref"], **values))
            else:
                for k, v in values.items():
                    setattr(row, k, v)
    session.flush()
    return len(doc["zones"])


TARIFF_FILE = DATA / "tariff_retail_import.csv"


def load_national_tariff(session: Session) -> tuple[int, int]:
    """The shipped retail-import tariff table (see data/TARIFF.md); returns (added, updated)."""
    raw, first_line = read_tariff_csv(TARIFF_FILE.read_bytes())
    rows = parse_tariff_rows(raw, first_row_number=first_line)
    return load_tariff(session, None, rows, source="silkgate 随附税率表")


def ensure_reference_data(session: Session) -> None:
    load_zones(session)
    load_national_tariff(session)
    ensure_platform_keys(session)  # the deployment's CA and signing key, made once
