"""/tax/quote: the calculator page gives the API's numbers and names bad input in Chinese."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_calculator_shows_the_taxes_of_an_order(client: TestClient) -> None:
    # cosmetics, 1000 yuan, 13% VAT, 15% consumption tax: 230.59 (tests/tax/test_calc.py)
    r = client.get(
        "/tax/quote",
        params={
            "hs_code": ["3304990099"],
            "unit_price": ["1000"],
            "quantity": ["1"],
            "vat": ["13"],
            "ct": ["15%"],
        },
    )
    assert r.status_code == 200
    assert 'id="total-tax">230.59<' in r.text
    assert "按跨境电商零售进口税率征税" in r.text and "25000.00" in r.text


def test_empty_form_shows_no_result_and_bad_input_is_named(client: TestClient) -> None:
    assert "测算结果" not in client.get("/tax/quote").text
    r = client.get("/tax/quote", params={"hs_code": ["12"], "unit_price": ["abc"], "quantity": ["1"]})
    assert r.status_code == 200
    assert "第1行商品编码：应为8位或10位数字" in r.text and "第1行单价：应为数字" in r.text
    assert "测算结果" not in r.text
