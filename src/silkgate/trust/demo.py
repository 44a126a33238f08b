"""Demo step `trust`: every approved enterprise of the zone gets a software SM2 key and a
certificate by the platform CA on its filing (one enterprise also shows an older, revoked one), the
rest of the demo signs its messages with those keys — so the demo runs under the `verify`
signature policy — and a signed ledger checkpoint closes the load.

Demo keys are derived from the deployment's data key and the enterprise's customs code, so a later
`silkgate demo` signs with the same keys; real enterprises get theirs from `silkgate keys issue`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from silkgate.config import get_settings
from silkgate.declarations import synthetic
from silkgate.demo import DemoContext
from silkgate.kit import crypto
from silkgate.models.registry import Enterprise
from silkgate.models.trust import EnterpriseCertificate
from silkgate.registry import service as registry
from silkgate.trust import ledger, service
from silkgate.trust.certificates import Certificate, read_certificate
from silkgate.trust.signatures import sign_message


class SyntheticSigner:
    """Signs a synthetic message as its sender (by customs code) with that enterprise's demo key,
    registering the key's certificate on its filing on first use (valid from `valid_from`)."""

    def __init__(self, session: Session, *, valid_from: dt.datetime) -> None:
        self.session = session
        self.valid_from = valid_from
        self._pairs: dict[str, tuple[Any, Certificate]] = {}

    def key_of(self, code: str) -> Any:
        return crypto.sm2_derive_private_key(f"{get_settings().data_key}:demo-signing:{code}".encode())

    def certificate_of(self, enterprise: Enterprise, key: Any) -> Certificate:
        spki = crypto.sm2_public_key_der(key)
        row = self.session.scalar(
            select(EnterpriseCertificate).where(
                EnterpriseCertificate.enterprise_id == enterprise.id,
                EnterpriseCertificate.public_key == spki,
                EnterpriseCertificate.revoked_at.is_(None),
            )
        )
        if row is None:
            _, row = service.issue_enterprise_key(
                self.session, enterprise, key=key, at=self.valid_from, days=3 * 365
            )
        return read_certificate(row.certificate_pem.encode())

    def __call__(self, data: bytes, code: str) -> bytes:
        pair = self._pairs.get(code)
        if pair is None:
            key = self.key_of(code)
            enterprise = registry.enterprise_by_customs_code(self.session, code)
            if enterprise is None:  # a sender the platform does not know: signed, and refused as such
                return data
            pair = self._pairs[code] = (key, self.certificate_of(enterprise, key))
        return sign_message(data, *pair)


def _valid_from(ctx: DemoContext) -> dt.datetime:
    return dt.datetime.combine(ctx.today - dt.timedelta(days=400), dt.time(), tzinfo=dt.UTC)


def prepare(ctx: DemoContext) -> None:
    """Sign the messages of the steps that follow; close the load with a signed checkpoint."""
    signer = SyntheticSigner(ctx.session, valid_from=_valid_from(ctx))
    token = synthetic._SIGNER.set(signer)
    ctx.cleanups.append(lambda: synthetic._SIGNER.reset(token))
    ctx.cleanups.append(lambda: _checkpoint(ctx.session))


def _checkpoint(session: Session) -> None:
    ledger.make_checkpoint(session)


def load(ctx: DemoContext) -> str:
    session = ctx.session
    signer = SyntheticSigner(session, valid_from=_valid_from(ctx))
    enterprises = list(
        session.scalars(
            select(Enterprise)
            .where(Enterprise.zone_code == ctx.zone_code, Enterprise.status == "approved")
            .order_by(Enterprise.id)
        )
    )
    for enterprise in enterprises:
        signer.certificate_of(enterprise, signer.key_of(enterprise.customs_code))
    revoked = 0
    if enterprises:  # an enterprise that changed keys: its first certificate is on record, revoked
        first = enterprises[0]
        old_key = crypto.sm2_derive_private_key(
            f"{get_settings().data_key}:demo-old:{first.customs_code}".encode()
        )
        _, row = service.issue_enterprise_key(
            session, first, key=old_key, at=_valid_from(ctx) - dt.timedelta(days=200)
        )
        service.revoke_certificate(session, first.id, row.id, "密钥更换（旧UKey遗失）", at=_valid_from(ctx))
        revoked = 1
    return f"为{len(enterprises)}家企业签发SM2签名证书（平台CA签发，登记在企业备案），另有{revoked}张已注销的旧证书"
