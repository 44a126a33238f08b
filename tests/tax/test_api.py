"""POST /api/v1/tax/import-quote and `silkgate tax quote FILE.json`: the same numbers, as decimal strings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal as D
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from factories import auth_headers, make_enterprise
from silkgate.config import get_settings
from silkgate.registry.service import TariffRow, load_tariff

COSMETIC_1000 = {
    "items": [
        {
            "hs_code": "3304990099",
            "unit_price": "1000",
            "quantity": "1",
            "vat_rate": "0.13",
            "consumption_tax_rate": "0.15",
        }
    ],
    "freight": "0",
    "insurance": "0",
    "discount": "0",
    "year_to_date": "0",
}


def test_quote_with_given_rates_as_decimal_strings(client: TestClient) -> None:
    # 财关税〔2016〕18号: cosmetics at 13% VAT / 15% consumption tax, 1000 yuan: 123.53 + 107.06 (see test_calc)
    r = client.post("/api/v1/tax/import-quote", json=COSMETIC_1000)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["tariff"], body["consumption_tax"], body["vat"], body["total_tax"]) == (
        "0.00",
        "123.53",
        "107.06",
        "230.59",
    )
    assert (
        body["decision"] == "accept"
        and body["quota_used"] == "1000.00"
        and body["quota_remaining"] == "25000.00"
    )
    (item,) = body["items"]
    assert (
        item["total_tax"] == "230.59" and item["dutiable_value"] == "1000.00" and item["vat_rate"] == "0.13"
    )


def test_numbers_are_accepted_as_well_as_strings(client: TestClient) -> None:
    body = {
        "items": [
            {
                "hs_code": "19011010",
                "unit_price": 150,
                "quantity": 2,
                "vat_rate": 0.13,
                "consumption_tax_rate": 0,
                "tariff_rate": 0.15,
            }
        ],
        "freight": 20,
        "insurance": 0,
        "discount": 0,
        "year_to_date": 25700.5,
    }
    r = client.post("/api/v1/tax/import-quote", json=body)
    assert r.status_code == 200, r.text
    # 320 would take the year to 26,020.50 > 26,000: general trade, shown at full rates
    # tariff 320 x 15% = 48; VAT (320 + 48) x 13% = 47.84
    got = r.json()
    assert got["decision"] == "general_trade" and got["reason_code"] == "annual_limit_exceeded"
    assert (got["tariff"], got["vat"], got["quota_used"]) == ("48.00", "47.84", "0.00")


@pytest.fixture
def zone_tariff(session: Session) -> None:
    load_tariff(
        session,
        "140800",
        [
            TariffRow("3304990099", "面霜（测试）", D("0.13"), D("0.15"), D("0.05"), True),
            TariffRow("9503008900", "玩具（测试，不在清单）", D("0.13"), D("0"), D("0"), False),
        ],
        source="test",
    )


def test_omitted_rates_come_from_the_callers_zone_table(
    client: TestClient, session: Session, zone_tariff: None
) -> None:
    seller = make_enterprise(session)
    body = {"items": [{"hs_code": "3304990099", "unit_price": "6000", "quantity": "1"}]}
    r = client.post("/api/v1/tax/import-quote", json=body, headers=auth_headers(session, seller.org_id))
    assert r.status_code == 200, r.text
    got = r.json()
    # 财关税〔2018〕49号第二条: one item of 6000, full tax with the zone's 5% tariff (see test_calc)
    assert got["decision"] == "accept_full_tax"
    assert (got["tariff"], got["consumption_tax"], got["vat"]) == ("300.00", "1111.76", "963.53")
    assert got["items"][0]["tariff_rate"] == "0.05"


def test_goods_off_the_positive_list_are_general_trade(
    client: TestClient, session: Session, zone_tariff: None
) -> None:
    seller = make_enterprise(session)
    body = {"items": [{"hs_code": "9503008900", "unit_price": "10", "quantity": "1"}]}
    got = client.post(
        "/api/v1/tax/import-quote", json=body, headers=auth_headers(session, seller.org_id)
    ).json()
    assert got["decision"] == "general_trade" and got["reason_code"] == "not_on_positive_list"


def test_bad_input_names_each_field(client: TestClient) -> None:
    r = client.post(
        "/api/v1/tax/import-quote",
        json={
            "items": [{"hs_code": "33", "unit_price": "-1", "quantity": "0", "vat_rate": "1.5"}],
            "freight": "x",
        },
    )
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {
        "items[0].hs_code",
        "items[0].unit_price",
        "items[0].quantity",
        "items[0].vat_rate",
        "freight",
    }
    r = client.post("/api/v1/tax/import-quote", json={"items": []})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "items"


def test_unknown_hs_code_without_rates_is_named(client: TestClient) -> None:
    r = client.post(
        "/api/v1/tax/import-quote",
        json={"items": [{"hs_code": "9999999999", "unit_price": "1", "quantity": "1"}]},
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "field": "items[0].hs_code",
            "code": "tariff_line_unknown",
            "message": r.json()["errors"][0]["message"],
        }
    ]


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from silkgate.db import engine_for, make_engine
    from silkgate.models import metadata
    from silkgate.registry.bootstrap import ensure_reference_data

    url = f"sqlite:///{tmp_path}/cli.db"
    eng = make_engine(url)
    metadata.create_all(eng)
    with Session(eng) as s:
        ensure_reference_data(s)  # as `silkgate db upgrade` + first start: zones and the national tariff
        s.commit()
    eng.dispose()
    monkeypatch.setenv("SILKGATE_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    engine_for(url).dispose()
    get_settings.cache_clear()


def test_cli_prints_the_same_json_as_the_api(client: TestClient, tmp_path: Path, cli_database: str) -> None:
    from silkgate.tax.cli import register

    app = typer.Typer()
    register(app)  # as silkgate.cli does for every domain's cli.py
    order = dict(COSMETIC_1000, freight="12.5", discount="20")
    file = tmp_path / "order.json"
    file.write_text(json.dumps(order), encoding="utf-8")
    result = CliRunner().invoke(app, ["tax", "quote", str(file)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == client.post("/api/v1/tax/import-quote", json=order).json()

    file.write_text(
        json.dumps({"items": [{"hs_code": "1", "unit_price": "1", "quantity": "1"}]}), encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["tax", "quote", str(file)])
    assert result.exit_code == 2 and "items.0.hs_code" in result.output
