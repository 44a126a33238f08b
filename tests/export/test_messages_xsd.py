"""The export messages the demo and the tests send are valid against the official 202205 export XSD."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from export.export_world import MUG, SHIRT
from silkgate.declarations.synthetic import Party
from silkgate.export import messages as M
from silkgate.kit import safexml

SELLER = Party("1408960001", "运城某跨境电商有限公司")
OTHER = Party("1408960002", "运城某物流有限公司")


@pytest.fixture(scope="module")
def schema(reference_dir: Path) -> object:
    return safexml.load_schema(
        str(reference_dir / "ceb" / "xsd" / "202205" / "海关跨境出口业务节点报文定义202205.xsd")
    )


def test_every_export_message_validates(schema: object) -> None:
    at = dt.datetime(2026, 3, 5, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    tx = M.ExportTransaction(
        seller=SELLER,
        platform=OTHER,
        logistics=OTHER,
        agent=SELLER,
        payment=OTHER,
        order_no="EO1",
        logistics_no="LP1",
        cop_no="C1",
        lines=[(SHIRT, Decimal("2")), (MUG, Decimal("1"))],
        declared_at=at,
    )
    produced = [
        *M.transaction_messages(tx),
        M.cancel_xml(tx, "05092026E000000001", "买家取消", at),
        M.refund_xml(tx, "05092026E000000001", [(1, Decimal("1"))], "退货", at),
        M.summary_apply_xml(
            {
                "guid": "8E5D7A2C-4B1F-4C3A-9D2E-1F0A3B4C5D6E",
                "appType": "1",
                "appTime": "20260410100000",
                "appStatus": "2",
                "customsCode": "0509",
                "copNo": "S1",
                "agentCode": SELLER.code,
                "agentName": SELLER.name,
                "ebcCode": SELLER.code,
                "ebcName": SELLER.name,
                "declAgentCode": SELLER.code,
                "declAgentName": SELLER.name,
                "summaryFlag": "2",
                "itemNameFlag": "1",
                "msgCount": "1",
                "msgSeqNo": "1",
            },
            ["05092026E000000001"],
            SELLER,
        ),
    ]
    for data in produced:
        root = safexml.bare_parse(data)
        assert safexml.validate_against(schema, root) == [], data[:200]
