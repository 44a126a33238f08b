"""`silkgate finance ...`: payment firms' settlement files (收结汇/跨境人民币 records)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from silkgate.clitools import cli_unit_of_work, err_console
from silkgate.exceptions import FieldError, NotFound, ValidationFailed

if TYPE_CHECKING:
    from silkgate.finance import schemas

finance_app = typer.Typer(help="金融服务：支付企业结算数据", no_args_is_help=True)
COLUMNS = ("reference", "enterprise_customs_code", "kind", "currency", "amount", "amount_cny", "settled_on")


def read_settlements_csv(path: Path) -> list[schemas.SettlementIn]:
    """CSV (UTF-8, header row) with the columns of COLUMNS plus optional counterparty_country and
    declaration_id; settled_on as yyyy-MM-dd or yyyyMMdd. Every bad row is named; none is stored then."""
    from pydantic import ValidationError

    from silkgate.finance import schemas

    errors: list[FieldError] = []
    records: list[schemas.SettlementIn] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValidationFailed([FieldError("header", "missing_column", f"缺少列：{'、'.join(missing)}")])
        for n, row in enumerate(reader, start=2):
            raw = {k: (v or "").strip() for k, v in row.items() if k}
            day = raw["settled_on"]
            try:
                settled = (
                    dt.datetime.strptime(day, "%Y%m%d").date()
                    if day.isdigit()
                    else dt.date.fromisoformat(day)
                )
            except ValueError:
                errors.append(FieldError(f"row{n}.settled_on", "bad_date", "日期应为yyyy-MM-dd或yyyyMMdd"))
                continue
            try:
                records.append(
                    schemas.SettlementIn.model_validate(
                        {
                            **{k: raw[k] for k in COLUMNS if k != "settled_on"},
                            "settled_on": settled,
                            "counterparty_country": raw.get("counterparty_country") or None,
                            "declaration_id": int(raw["declaration_id"])
                            if raw.get("declaration_id", "").isdigit()
                            else None,
                        }
                    )
                )
            except ValidationError as exc:
                for e in exc.errors():
                    errors.append(FieldError(f"row{n}.{e['loc'][0]}", str(e["type"]), "取值不正确或为空"))
    if errors:
        raise ValidationFailed(errors, message="结算文件有错误行，未写入任何数据")
    return records


@finance_app.command("import-settlements")
def import_settlements(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV 文件"),
    payer: str = typer.Option(..., "--payer", help="支付企业海关编码（10位）"),
) -> None:
    """导入支付企业报送的跨境结算记录（按流水号去重）。"""
    from silkgate.auth.service import principal_for_org
    from silkgate.finance import service
    from silkgate.models.org import Organisation
    from silkgate.registry.service import enterprise_by_customs_code

    with cli_unit_of_work() as session:
        records = read_settlements_csv(file)
        ent = enterprise_by_customs_code(session, payer)
        org = session.get(Organisation, ent.org_id) if ent else None
        if org is None:
            raise NotFound(f"支付企业海关编码{payer}未备案")
        result = service.record_settlements(session, principal_for_org(session, org), records)
    err_console.print(
        f"导入完成：新增 {result.accepted} 条，重复 {result.duplicates} 条（共 {len(records)} 行）"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(finance_app, name="finance")
