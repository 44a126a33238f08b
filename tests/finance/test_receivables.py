"""Receivables financing (应收账款融资, FIN-02) stands on released export lists whose proceeds are
not yet collected, as the export issue tracks them; a collected list is refused, and a list backs one
open financing only (no double financing of the same receivable)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from export.export_world import make_world, seller_settings
from factories import make_org
from silkgate.auth.service import principal_for_org
from silkgate.exceptions import ValidationFailed
from silkgate.finance import schemas, service
from silkgate.models.org import Organisation


def _apply(session: Session, seller_org_id: int, bank_id: int, ids: list[int], amount: str) -> object:
    org = session.get(Organisation, seller_org_id)
    assert org is not None
    return service.apply_for_financing(
        session,
        principal_for_org(session, org),
        schemas.ApplicationCreate(
            bank_org_id=bank_id,
            product="receivables",
            amount_requested=Decimal(amount),
            term_days=90,
            purpose="出口回款前资金周转",
            declaration_ids=ids,
        ),
    )


def test_receivables_only_on_uncollected_released_export_lists(session: Session) -> None:
    world = make_world(session)
    seller_settings(session, world.seller, declaration_path="summary_statistics")
    uncollected = world.ship(world.tx(statistics_flag="A"), collect=Decimal("0"))
    collected = world.ship(world.tx(statistics_flag="A"))
    assert uncollected.status == collected.status == "departed"
    bank = make_org(session, "bank")
    # the uncollected list's value in CNY (USD 7.1) is the collateral; 80 % may be advanced
    receivable = (uncollected.goods_value * Decimal("7.1")).quantize(Decimal("0.01"))
    ceiling = (receivable * Decimal("0.80")).quantize(Decimal("0.01"))
    with pytest.raises(ValidationFailed) as exc:
        _apply(session, world.seller.org_id, bank.id, [collected.declaration_id], "10")
    assert exc.value.errors[0].code == "already_collected"
    with pytest.raises(ValidationFailed) as exc:
        _apply(
            session,
            world.seller.org_id,
            bank.id,
            [uncollected.declaration_id],
            str(ceiling + Decimal("0.01")),
        )
    assert exc.value.errors[0].code == "exceeds_collateral"
    app = _apply(session, world.seller.org_id, bank.id, [uncollected.declaration_id], str(ceiling))
    assert app.collateral_value == receivable  # type: ignore[attr-defined]
    with pytest.raises(ValidationFailed) as exc:
        _apply(session, world.seller.org_id, bank.id, [uncollected.declaration_id], "10")
    assert exc.value.errors[0].code == "already_financed"
