"""Trust pages: a filing's certificates (register by upload or paste, revoke, other tenants kept
out) and the traceability-log page with a proof looked up by guid."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import make_enterprise, make_org, make_user
from silkgate.declarations.synthetic import ImportTransaction
from silkgate.declarations.trading import TradeSetup
from silkgate.trust import ledger, service

from .conftest import KeyPair


def _login(client: TestClient, session: Session, org_id: int) -> None:
    make_user(session, org_id, f"trust{org_id}")
    r = client.post(
        "/login", data={"username": f"trust{org_id}", "password": "silkgate-demo"}, follow_redirects=False
    )
    assert r.status_code == 303, r.text


def _csrf(html: str) -> dict[str, str]:
    m = re.search(r'<input type="hidden" name="([^"]+)" value="([^"]+)">', html)
    assert m is not None
    return {m.group(1): m.group(2)}


def test_an_enterprise_registers_a_certificate_by_paste_and_revokes_it(
    client: TestClient, session: Session, issue: Callable[..., KeyPair]
) -> None:
    me = make_enterprise(session)
    pem = issue(make_enterprise(session)).certificate.pem
    _login(client, session, me.org_id)
    page = client.get(f"/enterprises/{me.id}/certificates")
    assert page.status_code == 200 and "尚未登记任何签名证书" in page.text
    r = client.post(
        f"/enterprises/{me.id}/certificates", data={"pem": pem, **_csrf(page.text)}, follow_redirects=True
    )
    assert r.status_code == 200 and "证书已登记" in r.text and "有效" in r.text
    (row,) = service.list_certificates(session, me.id)
    r = client.post(
        f"/enterprises/{me.id}/certificates/{row.id}/revoke",
        data={"reason": "密钥更换", **_csrf(r.text)},
        follow_redirects=True,
    )
    assert "已注销" in r.text and "密钥更换" in r.text


def test_a_pasted_non_certificate_is_answered_in_chinese_on_the_page(
    client: TestClient, session: Session
) -> None:
    me = make_enterprise(session)
    _login(client, session, me.org_id)
    page = client.get(f"/enterprises/{me.id}/certificates")
    r = client.post(f"/enterprises/{me.id}/certificates", data={"pem": "不是证书", **_csrf(page.text)})
    assert r.status_code == 422 and "无法解析为X.509证书" in r.text


def test_another_enterprise_does_not_see_the_certificates_page(client: TestClient, session: Session) -> None:
    owner, other = make_enterprise(session), make_enterprise(session)
    _login(client, session, other.org_id)
    assert client.get(f"/enterprises/{owner.id}/certificates").status_code == 404


def test_the_ledger_page_shows_a_proof_to_the_zone_office(
    client: TestClient,
    session: Session,
    trade: TradeSetup,
    tx: ImportTransaction,
    signed_order: bytes,
    send: Callable[..., list],
) -> None:
    send(signed_order)
    ledger.make_checkpoint(session)
    guid = signed_order.split(b'guid="')[1].split(b'"')[0].decode()
    _login(client, session, make_org(session, "zone_office").id)
    page = client.get("/ledger", params={"guid": guid})
    assert page.status_code == 200
    assert "已签名检查点" in page.text and "audit_path" in page.text and "原始报文" in page.text
