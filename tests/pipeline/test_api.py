"""The ways in and out over HTTP: POST /messages (one, JSON batch, multipart), the receipts cursor,
declaration search and detail with tenant isolation, tax bills and the monthly summary."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import auth_headers, make_org
from silkgate.declarations.jsonform import to_json
from silkgate.declarations.messages import parse_message
from silkgate.declarations.synthetic import ImportTransaction, transaction_messages
from silkgate.declarations.trading import TradeSetup
from silkgate.kit import safexml


def _headers(session: Session, trade: TradeSetup, code: str) -> dict[str, str]:
    return auth_headers(session, trade.enterprises[code].org_id)


def _declare_all(
    client: TestClient, session: Session, trade: TradeSetup, tx: ImportTransaction
) -> dict[str, list]:
    out = {}
    senders = {"order": tx.platform, "payment": tx.payment, "waybill": tx.logistics, "inventory": tx.agent}
    for kind, data in transaction_messages(tx).items():
        r = client.post(
            "/api/v1/messages",
            content=data,
            headers={**_headers(session, trade, senders[kind].code), "Content-Type": "application/xml"},
        )
        assert r.status_code == 200, r.text
        out[kind] = r.json()["receipts"]
    return out


def test_one_message_over_http_gets_its_receipts(
    client: TestClient, session: Session, trade: TradeSetup, make_tx: Callable[..., ImportTransaction]
) -> None:
    tx = make_tx()
    answers = _declare_all(client, session, trade, tx)
    assert answers["order"][0]["message_type"] == "CEB311"
    assert answers["order"][0]["receipt_type"] == "CEB312"
    assert answers["order"][0]["business_no"] == tx.order_no
    assert [r["return_status"] for r in answers["inventory"]] == ["120", "800"]


def test_batches_as_json_array_and_multipart(
    client: TestClient, session: Session, trade: TradeSetup, make_tx: Callable[..., ImportTransaction]
) -> None:
    tx = make_tx()
    messages = transaction_messages(tx)
    order_json = to_json(parse_message(messages["order"], max_bytes=10**6))
    r = client.post(
        "/api/v1/messages",
        content=json.dumps([order_json], ensure_ascii=False).encode(),
        headers={**_headers(session, trade, tx.platform.code), "Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["messages"] == 1
    assert r.json()["receipts"][0]["return_status"] == "120"
    other = make_tx()
    other.agent = tx.agent
    other.seller = tx.seller
    files = [
        ("files", ("a.xml", transaction_messages(other)["inventory"], "application/xml")),
        ("files", ("bad.xml", b"<not-closed", "application/xml")),
    ]
    r = client.post("/api/v1/messages", files=files, headers=_headers(session, trade, tx.agent.code))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["messages"] == 2
    assert body["receipts"][0]["return_status"] == "120"
    assert body["receipts"][-1]["receipt_type"] == "CEB900"


def test_receipts_cursor_is_ordered_resumable_and_private(
    client: TestClient, session: Session, trade: TradeSetup, make_tx: Callable[..., ImportTransaction]
) -> None:
    txs = [make_tx() for _ in range(3)]
    for tx in txs:
        tx.agent = txs[0].agent
        tx.seller = txs[0].seller
        _declare_all(client, session, trade, tx)
    headers = _headers(session, trade, txs[0].agent.code)
    seen: list[int] = []
    cursor = 0
    while True:
        page = client.get(f"/api/v1/receipts?since={cursor}&limit=2", headers=headers).json()
        seen += [r["id"] for r in page["receipts"]]
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    everything = client.get("/api/v1/receipts?since=0&limit=1000", headers=headers).json()["receipts"]
    assert [r["id"] for r in everything] == seen
    assert {r["message_type"] for r in everything} == {"CEB621"}  # only the list sender's receipts
    assert len(everything) == 6  # 120 + 800 per list
    last = seen[-1]
    again = client.get(f"/api/v1/receipts?since={last}", headers=headers).json()
    assert again["receipts"] == [] and again["next_cursor"] == last
    logistics = client.get("/api/v1/receipts", headers=_headers(session, trade, txs[0].logistics.code)).json()
    assert {r["message_type"] for r in logistics["receipts"]} == {"CEB511"}
    one = everything[-1]
    xml = client.get(f"/api/v1/receipts/{one['id']}?format=xml", headers=headers)
    assert xml.status_code == 200
    root = safexml.parse_bytes(xml.content, 10**6)
    assert safexml.local_name(root) == "CEB622Message"
    foreign = client.get(
        f"/api/v1/receipts/{one['id']}", headers=_headers(session, trade, txs[0].logistics.code)
    )
    assert foreign.status_code == 404


def test_declaration_detail_and_isolation(
    client: TestClient, session: Session, trade: TradeSetup, make_tx: Callable[..., ImportTransaction]
) -> None:
    tx = make_tx()
    _declare_all(client, session, trade, tx)
    headers = _headers(session, trade, tx.agent.code)
    found = client.get(f"/api/v1/declarations?number={tx.order_no}&kind=inventory", headers=headers).json()
    assert found["total"] == 1
    decl_id = found["items"][0]["id"]
    detail = client.get(f"/api/v1/declarations/{decl_id}", headers=headers).json()
    assert detail["status"] == "released"
    assert detail["timeline"][0]["step"] == "received"
    assert detail["timeline"][-1]["status"] == "released"
    assert detail["tax_bill"]["TaxHeadRd"]["invtNo"] == detail["invt_no"]
    assert {r["kind"] for r in detail["related"]} == {"order", "payment", "waybill"}
    assert tx.buyer_id not in json.dumps(detail, ensure_ascii=False)
    stranger = make_org(session, "enterprise")
    assert (
        client.get(f"/api/v1/declarations/{decl_id}", headers=auth_headers(session, stranger.id)).status_code
        == 404
    )
    office = make_org(session, "zone_office")
    assert (
        client.get(f"/api/v1/declarations/{decl_id}", headers=auth_headers(session, office.id)).status_code
        == 200
    )
    elsewhere = make_org(session, "zone_office", zone_code="451100")
    assert (
        client.get(f"/api/v1/declarations/{decl_id}", headers=auth_headers(session, elsewhere.id)).status_code
        == 404
    )
    bill_xml = client.get(f"/api/v1/declarations/{decl_id}/tax-bill?format=xml", headers=headers)
    assert bill_xml.status_code == 200 and b"CEB816Message" in bill_xml.content


def test_tax_bills_and_monthly_summary_of_the_withholding_party(
    client: TestClient, session: Session, trade: TradeSetup, make_tx: Callable[..., ImportTransaction]
) -> None:
    txs = [make_tx() for _ in range(2)]
    for tx in txs:
        tx.agent, tx.seller = txs[0].agent, txs[0].seller
        _declare_all(client, session, trade, tx)
    headers = _headers(session, trade, txs[0].agent.code)
    bills = client.get("/api/v1/tax/bills", headers=headers).json()
    assert bills["total"] == 2
    summary = client.get("/api/v1/tax/monthly-summary", headers=headers).json()["items"]
    assert len(summary) == 1 and summary[0]["bills"] == 2
    total = sum(
        float(b["TaxHeadRd"]["customsTax"])
        + float(b["TaxHeadRd"]["valueAddedTax"])
        + float(b["TaxHeadRd"]["consumptionTax"])
        for b in bills["items"]
    )
    assert abs(float(summary[0]["total_tax"]) - total) < 0.001
    other = make_org(session, "enterprise")
    assert client.get("/api/v1/tax/bills", headers=auth_headers(session, other.id)).json()["total"] == 0
