"""`silkgate load FILE`: every row validated as the API does, each rejected row reported with its
reasons, all or nothing unless --partial, and loading twice changes nothing."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from silkgate.config import get_settings
from silkgate.db import engine_for, make_engine, unit_of_work
from silkgate.demo import synth
from silkgate.models import metadata
from silkgate.models.registry import Commodity, Enterprise, EnterpriseChange
from silkgate.registry.bootstrap import ensure_reference_data
from silkgate.registry.bulk import load_registry
from silkgate.registry.cli import register
from silkgate.registry.files import read_load_file


def registry_file(seed: int, *, bad_rows: bool = False) -> dict[str, Any]:
    rng = random.Random(seed)
    sellers = [
        {
            "uscc": synth.uscc(rng, "140802"),
            "customs_code": synth.customs_code(rng, "140802"),
            "name": f"旧平台迁移测试{seed}-{n}有限公司",
            "roles": ["seller"],
            "approved": True,
            "legacy_id": f"OLD-{n}",  # more keys are allowed
        }
        for n in range(3)
    ]
    sellers.append(
        {
            "uscc": synth.uscc(rng, "140802"),
            "customs_code": synth.customs_code(rng, "140802"),
            "name": f"旧平台迁移测试{seed}-待审有限公司",
            "roles": ["logistics", "warehouse"],
            "approved": False,
        }
    )
    goods = [
        {
            "owner_customs_code": sellers[n % 3]["customs_code"],
            "item_no": f"MIG-{n:03d}",
            "name": "迁移测试面霜",
            "hs_code": "3304990099",
            "unit": "035",
            "origin_country": "601",
            "unit_price": "128.5",
        }
        for n in range(6)
    ]
    doc: dict[str, Any] = {"zone": "140800", "enterprises": sellers, "commodities": goods}
    if bad_rows:
        doc["enterprises"].append(
            {
                "uscc": sellers[0]["uscc"][:17] + "0",
                "customs_code": "1408",
                "name": "坏数据有限公司",
                "roles": ["shop"],
            }
        )
        doc["commodities"].append(
            {
                "owner_customs_code": "9999999999",
                "item_no": "BAD-1",
                "name": "坏商品",
                "hs_code": "123",
                "unit": "035",
                "origin_country": "601",
                "unit_price": "1",
            }
        )
    return doc


def _counts(session: Session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(Enterprise)) or 0,
        session.scalar(select(func.count()).select_from(Commodity)) or 0,
        session.scalar(select(func.count()).select_from(EnterpriseChange)) or 0,
    )


def test_every_rejected_row_is_reported_with_its_reasons(session: Session) -> None:
    report = load_registry(session, registry_file(11, bad_rows=True))
    rejected = {(o.kind, o.row): {(e.field, e.code) for e in o.errors} for o in report.rejected}
    uscc_codes = rejected[("enterprises", 5)]
    assert ("customs_code", "customs_code_format") in uscc_codes
    assert ("roles", "unknown_role") in uscc_codes
    assert any(field == "uscc" for field, _ in uscc_codes)
    assert rejected[("commodities", 7)] == {
        ("owner_customs_code", "unknown_owner"),
        ("hs_code", "hs_code_format"),
    }
    assert report.count("enterprises", "added") == 4 and report.count("commodities", "added") == 6


def test_loading_the_same_file_twice_changes_nothing(session: Session) -> None:
    doc = registry_file(12)
    first = load_registry(session, doc)
    assert not first.rejected and first.count("enterprises", "added") == 4
    pending = session.scalar(select(Enterprise).where(Enterprise.name.like("%12-待审%")))
    assert pending is not None and pending.status == "pending"
    counts = _counts(session)
    second = load_registry(session, doc)
    assert {o.outcome for o in second.outcomes} == {"unchanged"}
    assert _counts(session) == counts


def test_a_changed_row_updates_the_filing_with_history(session: Session) -> None:
    doc = registry_file(13)
    load_registry(session, doc)
    doc["enterprises"][0]["name"] = "旧平台迁移测试13-0更名有限公司"
    doc["commodities"][0]["unit_price"] = "150"
    report = load_registry(session, doc)
    assert report.count("enterprises", "updated") == 1 and report.count("commodities", "updated") == 1
    renamed = session.scalar(select(Enterprise).where(Enterprise.name == "旧平台迁移测试13-0更名有限公司"))
    assert renamed is not None and renamed.version == 2


def test_zone_must_be_known_and_consistent(session: Session) -> None:
    from silkgate.exceptions import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        load_registry(session, {"zone": "999999", "enterprises": []})
    assert caught.value.errors[0].code == "unknown_zone"
    with pytest.raises(ValidationFailed):
        load_registry(session, {"zone": "140800"}, zone_code="451100")


def test_identities_go_to_the_clearance_identity_registry(session: Session) -> None:
    rng = random.Random(14)
    good = synth.resident_id(rng)
    report = load_registry(
        session,
        {
            "zone": "140800",
            "identities": [
                {"name": "王伟", "id_number": good},
                {"name": "李娜", "id_number": good[:17] + ("0" if good[17] != "0" else "1")},
            ],
        },
    )
    assert [o.outcome for o in report.outcomes] == ["added", "rejected"]
    assert report.outcomes[1].errors[0].code == "id_check_digit"
    assert "*" in report.outcomes[0].key  # ID numbers are masked in the report


def test_csv_and_excel_files_are_read_one_kind_per_file_or_sheet(tmp_path: Path) -> None:
    doc = registry_file(15)
    csv_path = tmp_path / "enterprises.csv"
    lines = ["uscc,customs_code,name,roles,approved"]
    for e in doc["enterprises"]:
        lines.append(
            f"{e['uscc']},{e['customs_code']},{e['name']},{'、'.join(e['roles'])},{'是' if e['approved'] else '否'}"
        )
    csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    from_csv = read_load_file(csv_path)
    assert from_csv["enterprises"][3]["roles"] == ["logistics", "warehouse"]
    assert from_csv["enterprises"][0]["approved"] is True and from_csv["enterprises"][3]["approved"] is False

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "企业"
    sheet.append(["uscc", "customs_code", "name", "roles", "approved"])
    for e in doc["enterprises"]:
        sheet.append(
            [e["uscc"], e["customs_code"], e["name"], ";".join(e["roles"]), 1 if e["approved"] else 0]
        )
    goods = workbook.create_sheet("commodities")
    goods.append(["owner_customs_code", "item_no", "name", "hs_code", "unit", "origin_country", "unit_price"])
    for g in doc["commodities"]:
        goods.append(
            [
                g["owner_customs_code"],
                g["item_no"],
                g["name"],
                int(g["hs_code"]),
                g["unit"],
                g["origin_country"],
                float(g["unit_price"]),
            ]
        )
    xlsx = tmp_path / "registry.xlsx"
    workbook.save(xlsx)
    from_xlsx = read_load_file(xlsx)
    assert [e["uscc"] for e in from_xlsx["enterprises"]] == [e["uscc"] for e in doc["enterprises"]]
    assert from_xlsx["commodities"][0]["hs_code"] == "3304990099"
    assert from_xlsx["enterprises"][0]["approved"] is True


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path}/cli.db"
    engine = make_engine(url)
    metadata.create_all(engine)
    with unit_of_work(engine) as s:
        ensure_reference_data(s)
    engine.dispose()
    monkeypatch.setenv("SILKGATE_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
    engine_for.cache_clear()


def _cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def test_cli_imports_nothing_when_a_row_is_bad_unless_partial(cli_database: str, tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(registry_file(16, bad_rows=True), ensure_ascii=False), encoding="utf-8")
    runner = CliRunner()
    refused = runner.invoke(_cli(), ["load", str(path)])
    assert refused.exit_code == 1
    assert "企业第5行" in refused.output and "customs_code_format" in refused.output
    assert "未导入任何数据" in refused.output
    with unit_of_work(make_engine(cli_database)) as s:
        assert _counts(s)[:2] == (0, 0)

    partial = runner.invoke(_cli(), ["load", str(path), "--partial"])
    assert partial.exit_code == 0, partial.output
    assert "企业：新增4" in partial.output
    with unit_of_work(make_engine(cli_database)) as s:
        loaded = _counts(s)
        assert loaded[:2] == (4, 6)
    again = runner.invoke(_cli(), ["load", str(path), "--partial"])
    assert "企业：新增0、更新0、未变4" in again.output
    with unit_of_work(make_engine(cli_database)) as s:
        assert _counts(s) == loaded


def test_cli_tariff_load_validates_and_loads_into_the_zone(cli_database: str, tmp_path: Path) -> None:
    good = tmp_path / "tariff.csv"
    good.write_text(
        "hs_code,name,vat_rate,consumption_tax_rate,tariff_rate,positive_list\n"
        "3304990099,高档护肤品（本区）,0.13,0.15,0.01,1\n85163100,电吹风,0.13,0,0.07,1\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "hs_code,name,vat_rate,consumption_tax_rate,tariff_rate,positive_list\n3304990099,x,0.13,0.15,0.01,1\n123,y,13%,0,0,2\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    refused = runner.invoke(_cli(), ["tariff", "load", str(bad), "--zone", "140800"])
    assert refused.exit_code == 2
    assert "rows[3].hs_code" in refused.output and "rows[3].vat_rate" in refused.output
    loaded = runner.invoke(_cli(), ["tariff", "load", str(good), "--zone", "140800"])
    assert loaded.exit_code == 0, loaded.output
    assert "新增2行" in loaded.output
    from silkgate.registry.service import tariff_for

    with unit_of_work(make_engine(cli_database)) as s:
        line = tariff_for(s, "140800", "3304990099")
        assert line is not None and line.zone_code == "140800" and line.name == "高档护肤品（本区）"
        assert tariff_for(s, "451100", "3304990099").zone_code is None  # type: ignore[union-attr]
    neither = runner.invoke(_cli(), ["tariff", "load", str(good)])
    assert neither.exit_code == 2


def _broker_and_b2b_file(seed: int) -> dict[str, Any]:
    doc = registry_file(seed)
    rng = random.Random(seed + 100)
    broker = {
        "uscc": synth.uscc(rng, "140802"),
        "customs_code": synth.customs_code(rng, "140802"),
        "name": f"旧平台迁移报关{seed}有限公司",
        "roles": ["broker"],
        "approved": True,
    }
    doc["enterprises"].append(broker)
    seller = doc["enterprises"][0]["customs_code"]
    doc["broker_authorisations"] = [
        {
            "enterprise_customs_code": seller,
            "broker_customs_code": broker["customs_code"],
            "valid_from": "2025-01-01",
            "valid_until": "2027-12-31",
        }
    ]
    doc["b2b_export_filings"] = [
        {
            "enterprise_customs_code": seller,
            "trade_mode": "9710",
            "customs_code": "0501",
            "business_scope": "B2B直接出口",
        }
    ]
    doc["overseas_warehouses"] = [
        {
            "enterprise_customs_code": seller,
            "name": "洛杉矶海外仓",
            "country": "502",
            "address": "1200 E Carson St, Carson, CA",
            "area_m2": "3200",
            "operator": "运城海外仓运营有限公司",
            "ownership": "own",
        }
    ]
    return doc


def test_a_migrating_zone_loads_its_broker_authorisations_and_export_filings(session: Session) -> None:
    from silkgate.models.declarations import BrokerAuthorisation
    from silkgate.models.export import B2BExportFiling, OverseasWarehouse

    doc = _broker_and_b2b_file(31)
    report = load_registry(session, doc)
    assert not report.rejected, [(o.kind, o.errors) for o in report.rejected]
    for kind in ("broker_authorisations", "b2b_export_filings", "overseas_warehouses"):
        assert report.count(kind, "added") == 1, kind
    seller = session.scalar(
        select(Enterprise).where(Enterprise.customs_code == doc["enterprises"][0]["customs_code"])
    )
    assert seller is not None
    grant = session.scalar(
        select(BrokerAuthorisation).where(BrokerAuthorisation.principal_enterprise_id == seller.id)
    )
    assert grant is not None and str(grant.valid_until) == "2027-12-31"
    assert (
        session.scalar(select(B2BExportFiling.trade_mode).where(B2BExportFiling.enterprise_id == seller.id))
        == "9710"
    )
    assert session.scalar(select(OverseasWarehouse.name).where(OverseasWarehouse.enterprise_id == seller.id))
    assert "报关企业授权：新增1" in report.summary()
    again = load_registry(session, doc)
    for kind in ("broker_authorisations", "b2b_export_filings", "overseas_warehouses"):
        assert again.count(kind, "unchanged") == 1, kind


def test_a_broker_authorisation_naming_unfiled_enterprises_is_rejected_naming_both(session: Session) -> None:
    doc = {
        "zone": "140800",
        "broker_authorisations": [
            {"enterprise_customs_code": "1408999999", "broker_customs_code": "", "valid_from": "2025-13-01"}
        ],
    }
    report = load_registry(session, doc)
    [outcome] = report.rejected
    assert {(e.field, e.code) for e in outcome.errors} == {
        ("enterprise_customs_code", "unknown_enterprise"),
        ("broker_customs_code", "required"),
        ("valid_from", "invalid_date"),
    }


def test_a_bulk_row_with_a_wrong_type_still_names_its_bad_uscc(session: Session) -> None:
    doc = registry_file(32)
    doc["enterprises"] = [{**doc["enterprises"][0], "uscc": "914403001922038217", "contact_email": ["x"]}]
    report = load_registry(session, doc)
    codes = {(e.field, e.code) for o in report.rejected for e in o.errors}
    assert {("uscc", "uscc_check_digit"), ("contact_email", "string_type")} <= codes


@pytest.mark.parametrize(
    "spelling", ["140800", " 140800 ", "YC", "yc", "运城", "运城市", "中国（运城）跨境电子商务综合试验区"]
)
def test_a_zone_may_be_named_by_code_short_code_city_or_name(session: Session, spelling: str) -> None:
    report = load_registry(session, {"zone": spelling, "enterprises": []})
    assert report.zone_code == "140800"
    assert load_registry(session, {"enterprises": []}, zone_code=spelling).zone_code == "140800"
    assert load_registry(session, {"zone": "140800"}, zone_code=spelling).zone_code == "140800"


def test_every_cli_zone_option_takes_the_spellings_load_takes(cli_database: str, tmp_path: Path) -> None:
    """Every command with a --zone option says so in its help (clitools.ZONE_HELP) and resolves it
    through registry.service.resolve_zone; a few are run with the city's name."""
    from silkgate.cli import app
    from silkgate.clitools import ZONE_HELP

    def commands(group: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
        if hasattr(group, "commands"):
            return [c for name, sub in group.commands.items() for c in commands(sub, (*path, name))]
        return [(path, group)]

    root = typer.main.get_command(app)
    with_zone = [(p, c) for p, c in commands(root) if any("--zone" in o.opts for o in c.params)]
    assert len(with_zone) >= 8
    for path, command in with_zone:
        option = next(o for o in command.params if "--zone" in o.opts)
        assert ZONE_HELP in (option.help or ""), " ".join(path)
    runner = CliRunner()
    shown = runner.invoke(app, ["tariff", "show", "3304990099", "--zone", "运城"])
    assert shown.exit_code == 0, shown.output
    rerated = runner.invoke(app, ["credit", "rerate", "--zone", "YC"])
    assert rerated.exit_code == 0, rerated.output
    assert "140800" in rerated.output
    unknown = runner.invoke(app, ["risk", "scan", "--zone", "不存在的城市"])
    assert unknown.exit_code == 2 and "unknown_zone" in unknown.output
