"""Pledges on the 1210 bonded account book (clearance's book, valued at the filed unit price), the
payment firms' settlement records (ONL-13, FIN-09: cross-border RMB marked) and export credit
insurance claims (FIN-03)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from factories import make_commodity, make_enterprise, make_org
from silkgate.auth.service import principal_for_org
from silkgate.clearance.bonded import StockInLine, stock_in
from silkgate.exceptions import Forbidden, ValidationFailed
from silkgate.finance import pledges, schemas, service
from silkgate.finance.cli import read_settlements_csv
from silkgate.models.org import Organisation
from silkgate.models.registry import Enterprise

from .conftest import World, grant


def _p(session: Session, ent: Enterprise):  # type: ignore[no-untyped-def]
    org = session.get(Organisation, ent.org_id)
    assert org is not None
    return principal_for_org(session, org)


def test_bonded_stock_pledge_is_valued_and_never_exceeds_the_book(session: Session) -> None:
    seller = make_enterprise(session, roles=("seller",))
    warehouse = make_enterprise(session, roles=("warehouse",))
    make_commodity(session, seller, item_no="BW-CREAM", unit_price=Decimal("150"))
    (row,) = stock_in(
        session,
        warehouse_enterprise_id=warehouse.id,
        zone_code="140800",
        owner_code=seller.customs_code,
        lines=[StockInLine(item_no="BW-CREAM", quantity=Decimal("100"))],
        reference="RQ-0001",
    )
    bank = make_org(session, "bank")

    def apply(qty: str, amount: str):  # type: ignore[no-untyped-def]
        return service.apply_for_financing(
            session,
            _p(session, seller),
            schemas.ApplicationCreate(
                bank_org_id=bank.id,
                product="warehouse_pledge",
                amount_requested=Decimal(amount),
                term_days=90,
                purpose="保税备货",
                pledge_lines=[schemas.PledgeLineIn(source="bonded", stock_id=row.id, quantity=Decimal(qty))],
            ),
        )

    app = apply("60", "5400")  # 60 x 150 = 9,000 CNY; 60 % = 5,400
    assert app.collateral_value == Decimal("9000")
    assert pledges.pledged_quantity(session, "bonded", pledges.bonded_position_key(row.id)) == Decimal("60")
    with pytest.raises(ValidationFailed) as exc:
        apply("41", "100")
    assert exc.value.errors[0].code == "pledge_exceeds_free_stock"
    other = make_enterprise(session, roles=("seller",))
    with pytest.raises(ValidationFailed) as exc:
        service.apply_for_financing(
            session,
            _p(session, other),
            schemas.ApplicationCreate(
                bank_org_id=bank.id,
                product="warehouse_pledge",
                amount_requested=Decimal("10"),
                term_days=90,
                purpose="x",
                pledge_lines=[schemas.PledgeLineIn(source="bonded", stock_id=row.id, quantity=Decimal("1"))],
            ),
        )
    assert exc.value.errors[0].code == "not_own_stock"

    # The 60 pledged units are locked against release: a 1210 list may take only the other 40.
    from silkgate.clearance.bonded import deduct_for_list

    line = {"gnum": "1", "itemNo": "BW-CREAM", "qty": "41"}
    short = deduct_for_list(session, warehouse.id, [line], owner_code=seller.customs_code, reference="L1")
    assert [(s.item_no, s.available) for s in short] == [("BW-CREAM", Decimal("40"))]
    assert (
        deduct_for_list(session, warehouse.id, [{**line, "qty": "40"}], owner_code=seller.customs_code) == []
    )


def _settlement(
    seller: Enterprise, ref: str, kind: str, currency: str, amount: str, cny: str
) -> schemas.SettlementIn:
    return schemas.SettlementIn(
        reference=ref,
        enterprise_customs_code=seller.customs_code,
        kind=kind,  # type: ignore[arg-type]
        currency=currency,
        amount=Decimal(amount),
        amount_cny=Decimal(cny),
        settled_on=dt.date(2026, 9, 1),
    )


def test_settlements_from_payment_firms_with_rmb_share(session: Session) -> None:
    payer = make_enterprise(session, roles=("payment",))
    seller = make_enterprise(session, roles=("seller",))
    records = [
        _settlement(seller, "S1", "fx_receipt", "USD", "1000", "7100"),
        _settlement(seller, "S2", "rmb_receipt", "CNY", "2900", "2900"),
    ]
    result = service.record_settlements(session, _p(session, payer), records)
    assert (result.accepted, result.duplicates) == (2, 0)
    assert service.record_settlements(session, _p(session, payer), records).duplicates == 2
    with pytest.raises(ValidationFailed) as exc:
        service.record_settlements(
            session, _p(session, payer), [_settlement(seller, "S3", "rmb_payment", "USD", "1", "7")]
        )
    assert exc.value.errors[0].code == "rmb_not_cny"
    with pytest.raises(Forbidden):
        service.record_settlements(session, _p(session, seller), records)
    fig = service.figures(session, "140800")
    assert fig.rmb_total_cny >= Decimal("2900")
    assert fig.rmb_share == (fig.rmb_total_cny / fig.settlement_total_cny).quantize(Decimal("0.0001"))


def test_claims_stay_within_the_insured_value(session: Session, world: World) -> None:
    w = world
    g = grant(session, w, w.insurer_org_id, ["filings", "declarations"])
    access = service.GrantAccess(enterprise=w.seller, grant=g, slices=("filings", "declarations"))
    policy = service.issue_policy(
        session,
        w.insurer_p,
        access,
        schemas.PolicyCreate(
            policy_no=f"EC-T-{w.seller.id}",
            buyer_name="Acme",
            buyer_country="502",
            insured_value=Decimal("10000"),
            premium=Decimal("60"),
            starts_on=dt.date(2026, 1, 1),
            ends_on=dt.date(2026, 12, 31),
        ),
    )
    claim = service.file_claim(
        session,
        w.seller_p,
        policy.id,
        schemas.ClaimCreate(loss_cause="insolvency", amount_claimed=Decimal("8000")),
    )
    with pytest.raises(ValidationFailed) as exc:
        service.file_claim(
            session,
            w.seller_p,
            policy.id,
            schemas.ClaimCreate(loss_cause="refusal", amount_claimed=Decimal("2000.01")),
        )
    assert exc.value.errors[0].code == "above_insured_value"
    service.decide_claim(
        session, w.insurer_p, policy, claim.id, schemas.ClaimDecision(pay=False, note="买方已付款")
    )
    # a rejected claim frees the insured value again
    service.file_claim(
        session,
        w.seller_p,
        policy.id,
        schemas.ClaimCreate(loss_cause="refusal", amount_claimed=Decimal("9000")),
    )


def test_settlement_file_rows_are_named_when_bad(tmp_path: Path, session: Session) -> None:
    payer = make_enterprise(session, roles=("payment",))
    seller = make_enterprise(session, roles=("seller",))
    f = tmp_path / "s.csv"
    f.write_text(
        "reference,enterprise_customs_code,kind,currency,amount,amount_cny,settled_on,counterparty_country\n"
        f"R1,{seller.customs_code},fx_receipt,USD,100,710,20260901,502\n"
        f"R2,{seller.customs_code},rmb_receipt,CNY,50,50,2026-09-02,\n",
        encoding="utf-8",
    )
    records = read_settlements_csv(f)
    assert [r.settled_on for r in records] == [dt.date(2026, 9, 1), dt.date(2026, 9, 2)]
    assert service.record_settlements(session, _p(session, payer), records).accepted == 2
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "reference,enterprise_customs_code,kind,currency,amount,amount_cny,settled_on\n"
        f"R3,{seller.customs_code},gift,USD,-1,7,2026-09-31\n"
        f"R4,{seller.customs_code},gift,USD,-1,7,2026-09-30\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationFailed) as exc:
        read_settlements_csv(bad)
    fields = {e.field for e in exc.value.errors}
    assert {"row2.settled_on", "row3.kind", "row3.amount"} <= fields
