"""Check-digit and code-list tables: GB 32100-2015 (USCC), GB 11643-1999 (resident ID), customs
registration code, HS code, GS1 barcode, and the filing rules built on them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from silkgate.kit.checkdigits import (
    customs_code_problems,
    resident_id_problems,
    uscc_check_char,
    uscc_problems,
)
from silkgate.registry import rules

# Published codes of well-known organisations (companies 91…, a public institution 12…).
VALID_USCC = [
    "914403001922038216",
    "91330100716105852F",
    "9144030071526726XG",
    "91110000802100433B",
    "91440300708461136T",
    "12100000400000624D",
]


@pytest.mark.parametrize("code", VALID_USCC)
def test_published_uscc_pass_gb32100(code: str) -> None:
    assert uscc_problems(code) == []
    assert uscc_check_char(code[:17]) == code[17]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("91440300192203821", "uscc_length"),  # 17 characters
        ("9144030019220382166", "uscc_length"),  # 19 characters
        ("91440300192203821I", "uscc_charset"),  # I is not in the GB 32100 alphabet
        ("91440300192203821o", "uscc_charset"),  # lower case
        ("B14403001922038216", "uscc_authority"),  # no registration authority B
        ("98440300192203821" + uscc_check_char("98440300192203821"), "uscc_type"),  # 工商 issues 1,2,3 only
        ("9144A300192203821" + uscc_check_char("9144A300192203821"), "uscc_division"),
        ("914403001922038217", "uscc_check_digit"),
        ("914403001922038261", "uscc_check_digit"),  # two digits swapped
    ],
)
def test_each_kind_of_uscc_error_is_named(code: str, expected: str) -> None:
    codes = [c for c, _ in uscc_problems(code)]
    assert expected in codes
    assert all(message for _, message in uscc_problems(code))


def test_uscc_check_digit_message_states_the_expected_character() -> None:
    [(code, message)] = uscc_problems("914403001922038217")
    assert code == "uscc_check_digit"
    assert "应为“6”" in message


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("11010519491231002X", []),  # the example of GB 11643-1999
        ("110101199003074258", []),
        ("110101199003074257", ["id_check_digit"]),
        ("11010519491231002x", ["id_charset"]),
        ("1101051949123100", ["id_length"]),
        ("110105194902301234", ["id_birth_date"]),  # 30 February
        ("110105209901011234", ["id_birth_date"]),  # born in the future
    ],
)
def test_resident_id_table(number: str, expected: list[str]) -> None:
    got = [c for c, _ in resident_id_problems(number, today=dt.date(2026, 1, 1))]
    if expected:
        assert got[0] == expected[0]  # a bad date usually also breaks the check digit
    else:
        assert got == []


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("1408960001", []),
        ("14089B1234", []),
        ("140896000", ["customs_code_format"]),
        ("14a8960001", ["customs_code_format"]),
        ("AB08960001", ["customs_code_division"]),
    ],
)
def test_customs_code_table(code: str, expected: list[str]) -> None:
    assert [c for c, _ in customs_code_problems(code)] == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("3304990099", []),
        ("1901101000", []),
        ("330499009", ["hs_code_format"]),
        ("33049900", ["hs_code_format"]),  # filings need all 10 digits
        ("33.0499009", ["hs_code_format"]),
        ("7700000000", ["hs_code_chapter"]),  # chapter 77 is reserved
        ("9800000000", ["hs_code_chapter"]),
        ("0000000000", ["hs_code_chapter"]),
    ],
)
def test_hs_code_table(code: str, expected: list[str]) -> None:
    assert [c for c, _ in rules.hs_code_problems(code)] == expected


def test_tariff_lines_accept_eight_digit_codes() -> None:
    assert rules.hs_code_problems("33049900", allow_eight=True) == []
    assert [c for c, _ in rules.hs_code_problems("330499", allow_eight=True)] == ["hs_code_format"]


@pytest.mark.parametrize(
    ("barcode", "expected"),
    [
        ("6901234567892", []),  # EAN-13
        ("4006381333931", []),
        ("5901234123457", []),
        ("96385074", []),  # EAN-8
        ("036000291452", []),  # UPC-A
        ("6901234567893", ["barcode_check_digit"]),
        ("69012345678", ["barcode_format"]),
        ("ABC1234567890", ["barcode_format"]),
    ],
)
def test_gs1_barcode_table(barcode: str, expected: list[str]) -> None:
    assert [c for c, _ in rules.barcode_problems(barcode)] == expected


def test_enterprise_rules_name_every_offending_field() -> None:
    errors = rules.enterprise_problems(
        {
            "uscc": "914403001922038217",
            "customs_code": "12345",
            "name": " ",
            "roles": ["seller", "wholesaler", "seller"],
            "contact_phone": "12345",
            "contact_email": "not-an-email",
            "settlement_account": "62-17",
            "shops": [
                {"platform": "亚马逊", "shop": ""},
                {"platform": "独立站", "shop": "官网", "url": "www.x.cn"},
            ],
        }
    )
    got = {(e.field, e.code) for e in errors}
    assert got == {
        ("uscc", "uscc_check_digit"),
        ("customs_code", "customs_code_format"),
        ("name", "required"),
        ("roles", "unknown_role"),
        ("roles", "duplicate_role"),
        ("contact_phone", "phone_format"),
        ("contact_email", "email_format"),
        ("settlement_account", "account_format"),
        ("settlement_bank", "required"),
        ("shops[0].shop", "required"),
        ("shops[1].url", "url_format"),
    }
    assert all(e.message for e in errors)


def test_missing_required_enterprise_fields_are_each_named() -> None:
    errors = rules.enterprise_problems({})
    assert {e.field for e in errors} == {"uscc", "customs_code", "name", "roles"}


def test_commodity_rules_check_code_lists_and_amounts() -> None:
    errors = rules.commodity_problems(
        {
            "item_no": "A1",
            "name": "面霜",
            "hs_code": "3304990099",
            "origin_country": "CHN",  # ISO alpha-3 where CEB wants the numeric code
            "unit": "999",
            "unit2": "KGM",
            "unit_price": Decimal("0"),
            "currency": "CNY",
            "vat_rate": Decimal("13"),
        }
    )
    assert {(e.field, e.code) for e in errors} == {
        ("origin_country", "unknown_country"),
        ("unit", "unknown_unit"),
        ("unit2", "unknown_unit"),
        ("unit_price", "not_positive"),
        ("currency", "unknown_currency"),
        ("vat_rate", "rate_range"),
    }


def test_valid_commodity_passes() -> None:
    assert (
        rules.commodity_problems(
            {
                "item_no": "A1",
                "name": "面霜",
                "hs_code": "3304990099",
                "origin_country": "601",
                "unit": "035",
                "unit2": "011",
                "unit_price": Decimal("258.00"),
                "currency": "142",
                "barcode": "9300000000001"[:12] + rules.gs1_check_digit("930000000000"),
            }
        )
        == []
    )
