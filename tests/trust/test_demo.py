"""The demo signs its own messages with SM2 keys registered on its enterprises' filings, so it runs
under the `verify` policy; it ends with a signed checkpoint and an intact log."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silkgate import demo
from silkgate.models.declarations import RawMessage
from silkgate.models.trust import EnterpriseCertificate
from silkgate.trust import ledger


def test_the_demo_runs_under_verify_and_leaves_an_intact_signed_log(
    session: Session, monkeypatch: pytest.MonkeyPatch, verify_policy: None
) -> None:
    monkeypatch.setattr(demo, "STEPS", ("registry", "trust", "credit", "risk"))
    lines = demo.load_demo(session, "140800")
    assert any(line.startswith("[trust]") and "SM2" in line for line in lines), lines
    assert session.scalar(select(func.count()).select_from(EnterpriseCertificate)) >= 20
    raws = list(session.scalars(select(RawMessage)))
    # a verified signature failing would show here; the demo's planted unsigned declaration
    # (signature_required, the format rule) is meant to be refused
    assert raws, "the demo declared messages"
    refused = [
        r
        for r in raws
        if any(
            e.get("code", "").startswith("signature_") and e["code"] != "signature_required"
            for x in r.response
            for e in x.get("errors", [])
        )
    ]
    assert not refused, [e for x in refused[0].response for e in x["errors"]]
    checkpoint = ledger.latest_checkpoint(session)
    assert checkpoint is not None and checkpoint.tree_size == ledger.tree_size(session) > 0
    report = ledger.verify_store(session)
    assert report.intact, [f.describe() for f in report.findings[:3]]
