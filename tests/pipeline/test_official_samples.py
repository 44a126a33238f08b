"""Every official import sample that is valid against its edition's XSD (and that the message layer
accepts: its code-list rules are tested in tests/declarations) goes through `ingest` as it is, sent by
the enterprise it names with every enterprise code filed, and is accepted format-wise: a business
refusal (unknown goods, repeated guid) is fine, a CEB900 rejection is not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from silkgate.auth.service import principal_for_org
from silkgate.declarations.documents import SENDER_CODE_FIELDS
from silkgate.declarations.messages import MessageRejected, parse_message
from silkgate.declarations.service import authorise_broker, ingest
from silkgate.models.org import Organisation
from silkgate.registry import service as registry

IMPORT_TYPES = ("CEB311", "CEB411", "CEB511", "CEB513", "CEB621", "CEB623", "CEB625", "CEB711")
ROLE_FOR_FIELD = {
    "ebpCode": "platform",
    "ebcCode": "seller",
    "payCode": "payment",
    "logisticsCode": "logistics",
    "agentCode": "broker",
    "operatorCode": "warehouse",
}


def _valid_import_samples(reference_dir: Path) -> list[Path]:
    samples = reference_dir / "ceb" / "samples"
    out = []
    for line in (samples / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"\| `([^`]+)` \|[^|]*\| (CEB\d{3})\w* \| VALID \|", line)
        if m and m.group(2) in IMPORT_TYPES and "webapp" not in m.group(1):
            out.append(samples / "Weasley-J__chinaport-data-signature" / m.group(1))
    return out


def _file(session: Session, code: str, roles: set[str], n: int) -> int:
    import random

    from silkgate.demo import synth

    existing = registry.enterprise_by_customs_code(session, code)
    if existing is not None:
        return existing.id
    rng = random.Random(code)
    enterprise = registry.file_enterprise(
        session,
        {
            "uscc": synth.uscc(rng, "140800"),
            "customs_code": code,
            "name": f"样例报文企业{n}有限公司",
            "roles": sorted(roles),
            "contact_name": "张伟",
            "contact_phone": "13912345678",
        },
        zone_code="140800",
        approved=True,
    )
    return enterprise.id


def test_official_valid_import_samples_are_accepted_as_they_are(
    session: Session, reference_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under the `presence` signature policy: the samples' signatures are illustrative and do not
    verify (tests/trust/test_official_samples.py pins what `verify` answers)."""
    from silkgate.config import get_settings

    monkeypatch.setattr(get_settings(), "signature_policy", "presence")
    paths = _valid_import_samples(reference_dir)
    assert len(paths) >= 14
    parsed = []
    skipped: list[str] = []
    for path in paths:
        data = path.read_bytes()
        try:
            parsed.append((path, data, parse_message(data, max_bytes=10**7)))
        except MessageRejected:
            skipped.append(path.name)
    assert len(skipped) <= len(paths) // 2, skipped
    # file every enterprise the samples name, in every role they name it in
    codes: dict[str, set[str]] = {}
    for _path, _data, msg in parsed:
        for d in msg.documents:
            for field, role in ROLE_FOR_FIELD.items():
                value = d.head.get(field)
                if value and re.fullmatch(r"[0-9A-Z]{10}", value):
                    codes.setdefault(value, set()).add(role)
    ids = {code: _file(session, code, roles, n) for n, (code, roles) in enumerate(sorted(codes.items()))}
    for _path, _data, msg in parsed:
        for d in msg.documents:
            agent, ebc = d.head.get("agentCode"), d.head.get("ebcCode")
            if agent and ebc and agent != ebc and agent in ids and ebc in ids:
                authorise_broker(session, ids[ebc], ids[agent])
    for path, data, msg in parsed:
        doc = msg.documents[0]
        sender_code = next(doc.head[f] for f in SENDER_CODE_FIELDS[doc.kind] if doc.head.get(f) in ids)
        enterprise = registry.enterprise_by_customs_code(session, sender_code)
        assert enterprise is not None
        org = session.get(Organisation, enterprise.org_id)
        assert org is not None
        receipts = ingest(session, data, sender=principal_for_org(session, org))
        assert receipts, path
        formats = [r for r in receipts if r.receipt_type == "CEB900"]
        assert not formats, (path.name, formats[0].as_dict() if formats else None)


@pytest.mark.parametrize("name", ["webapp/CEB621Message.xml"])
def test_the_sample_marked_invalid_is_refused_naming_what_is_wrong(
    session: Session, reference_dir: Path, name: str
) -> None:
    path = reference_dir / "ceb" / "samples" / "Weasley-J__chinaport-data-signature" / name
    if not path.exists():
        pytest.skip(f"{name} not in the reference")
    from factories import make_org

    sender = principal_for_org(session, make_org(session, "enterprise"))
    (receipt,) = ingest(session, path.read_bytes(), sender=sender)
    assert receipt.receipt_type == "CEB900"
    assert any("Signature" in e["field"] for e in receipt.errors), receipt.errors
