"""`silkgate logistics ...`: batch files from carriers (tracking events)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from silkgate.clitools import cli_unit_of_work, err_console
from silkgate.exceptions import FieldError, NotFound, ValidationFailed
from silkgate.kit.cebtime import parse_app_time

if TYPE_CHECKING:
    from silkgate.logistics import schemas

logistics_app = typer.Typer(help="智慧物流：承运人批量文件", no_args_is_help=True)
COLUMNS = ("waybill_no", "event_code", "occurred_at", "location", "description")


def read_tracking_csv(path: Path) -> list[schemas.TrackingEventIn]:
    """CSV (UTF-8, header row): waybill_no,event_code,occurred_at(yyyyMMddHHmmss Beijing or ISO 8601),
    location,description. Every bad row is named; nothing is stored when any row is bad."""
    from pydantic import ValidationError

    from silkgate.logistics import schemas

    errors: list[FieldError] = []
    events: list[schemas.TrackingEventIn] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS[:3] if c not in (reader.fieldnames or [])]
        if missing:
            raise ValidationFailed([FieldError("header", "missing_column", f"缺少列：{'、'.join(missing)}")])
        for n, row in enumerate(reader, start=2):
            raw_time = (row.get("occurred_at") or "").strip()
            try:
                at = parse_app_time(raw_time) if raw_time.isdigit() else dt.datetime.fromisoformat(raw_time)
            except ValueError:
                errors.append(
                    FieldError(
                        f"row{n}.occurred_at", "bad_time", "时间应为yyyyMMddHHmmss（北京时间）或ISO 8601"
                    )
                )
                continue
            try:
                events.append(
                    schemas.TrackingEventIn(
                        waybill_no=(row.get("waybill_no") or "").strip(),
                        event_code=(row.get("event_code") or "").strip(),
                        occurred_at=at,
                        location=(row.get("location") or "").strip(),
                        description=(row.get("description") or "").strip(),
                    )
                )
            except ValidationError as exc:
                for e in exc.errors():
                    errors.append(FieldError(f"row{n}.{e['loc'][0]}", str(e["type"]), "取值不正确或为空"))
    if errors:
        raise ValidationFailed(errors, message="批量文件有错误行，未写入任何数据")
    return events


@logistics_app.command("import-tracking")
def import_tracking(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV 文件"),
    carrier: str = typer.Option(..., "--carrier", help="物流企业海关编码（10位）"),
) -> None:
    """导入承运人物流轨迹批量文件（重复事件自动去重）。"""
    from silkgate.auth.service import principal_for_org
    from silkgate.logistics import service
    from silkgate.models.org import Organisation
    from silkgate.registry.service import enterprise_by_customs_code

    events = []
    with cli_unit_of_work() as session:
        events = read_tracking_csv(file)
        ent = enterprise_by_customs_code(session, carrier)
        org = session.get(Organisation, ent.org_id) if ent else None
        if org is None:
            raise NotFound(f"物流企业海关编码{carrier}未备案")
        result = service.post_tracking_events(session, principal_for_org(session, org), events, source="file")
    err_console.print(
        f"导入完成：新增 {result.accepted} 条，重复 {result.duplicates} 条（共 {len(events)} 行）"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(logistics_app, name="logistics")
