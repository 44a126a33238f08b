"""Risk evaluation on the ingest path: by list id (as clearance and the decided-list subscriber call
it), the subscriber's skip of lists already evaluated, each rule's window, PRICE_OUTLIER's median
worked out by the database (against `rules.outlier_direction` on the same samples, capped at the
latest PRICE_SAMPLES lines), and the SQLite statement that reads a covering index."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import Index, event, func, select, update

from credit.support import agency, declare
from factories import make_commodity, make_enterprise
from risk.support import codes, only, seller_and_platform
from silkgate.kit.cebtime import now_utc
from silkgate.models.declarations import Declaration, DeclarationLine
from silkgate.models.risk import RiskEvaluation, RiskHit
from silkgate.risk import rules as R
from silkgate.risk import service
from silkgate.risk.subscribers import evaluate_decided_list


def _evaluations(session, declaration_id):
    return session.scalar(
        select(func.count())
        .select_from(RiskEvaluation)
        .where(RiskEvaluation.declaration_id == declaration_id)
    )


class _Statements:
    """Counts the statements sent on the session's connection."""

    def __init__(self, session):
        self.conn = session.connection()
        self.count = 0

    def _seen(self, *_args):
        self.count += 1

    def __enter__(self):
        event.listen(self.conn, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc):
        event.remove(self.conn, "before_cursor_execute", self._seen)


def test_evaluation_by_id_records_the_same_hits_and_is_idempotent(session):
    seller, platform = seller_and_platform(session)
    only(session, seller.zone_code, "UNCONNECTED_CHANNEL", "BRUSH_SHARED_PHONE")
    for i in range(4):
        declare(session, seller, ebp=platform, buyer=f"11010119900201{i:04d}", phone="13922220000")
    rogue = declare(session, seller, ebp_code="6666666666", buyer="110101199002019999", phone="13922220000")
    hits = service.evaluate_declaration_id(session, rogue.id)
    assert codes(hits) == {"UNCONNECTED_CHANNEL", "BRUSH_SHARED_PHONE"}
    again = service.evaluate_declaration(session, rogue)
    assert [h.id for h in again] == [h.id for h in hits]
    assert [h.id for h in service.evaluate_declaration_id(session, rogue.id)] == [h.id for h in hits]
    evaluation = session.get(RiskEvaluation, rogue.id)
    assert evaluation is not None and evaluation.hit_count == 2 and len(evaluation.rule_ids) == 2
    assert service.evaluate_declaration_id(session, 10**12) == []


def test_subscriber_skips_without_a_query_a_list_this_transaction_evaluated(session):
    seller, platform = seller_and_platform(session)
    listed = declare(session, seller, ebp=platform)
    service.evaluate_declaration_id(session, listed.id)
    with _Statements(session) as sent:
        service.ensure_evaluated(session, listed.id)
    assert sent.count == 0 and _evaluations(session, listed.id) == 1


def test_subscriber_evaluates_a_list_clearance_did_not(session):
    seller = make_enterprise(session, roles=("seller",))
    only(session, seller.zone_code, "UNCONNECTED_CHANNEL")
    exported = declare(session, seller, direction="export", status="released", ebp_code="5555555555")
    event = SimpleNamespace(declaration_id=exported.id)
    evaluate_decided_list(session, event)
    assert _evaluations(session, exported.id) == 1
    hits = session.scalars(select(RiskHit).where(RiskHit.declaration_id == exported.id)).all()
    assert codes(hits) == {"UNCONNECTED_CHANNEL"}
    evaluate_decided_list(session, event)
    assert _evaluations(session, exported.id) == 1


def test_an_evaluation_rolled_back_with_its_savepoint_is_made_again(session):
    seller, platform = seller_and_platform(session)
    listed = declare(session, seller, ebp=platform)
    savepoint = session.begin_nested()
    service.evaluate_declaration_id(session, listed.id)
    savepoint.rollback()
    assert _evaluations(session, listed.id) == 0
    service.ensure_evaluated(session, listed.id)
    assert _evaluations(session, listed.id) == 1


def test_each_rule_counts_only_its_window(session):
    seller, platform = seller_and_platform(session)
    only(session, seller.zone_code, "BRUSH_SHARED_PHONE", "QUOTA_DRAIN")
    old = now_utc() - dt.timedelta(days=40)
    declare(session, seller, ebp=platform, buyer="110101199002020000", phone="13933330000", created_at=old)
    for i in range(1, 4):
        declare(session, seller, ebp=platform, buyer=f"11010119900202{i:04d}", phone="13933330000")
    buyer = "110101199002029999"
    for _ in range(5):
        declare(session, seller, ebp=platform, buyer=buyer, value_cny=Decimal("4000"), created_at=old)
    last = declare(session, seller, ebp=platform, buyer=buyer, phone="13933330000", value_cny=Decimal("4000"))
    assert codes(service.evaluate_declaration(session, last)) == set()  # 4 buyers, 1 order in 30 days
    office = agency(session, "zone_office")
    for code, t in (
        ("BRUSH_SHARED_PHONE", {"window_days": 60, "max_buyers": 5}),
        ("QUOTA_DRAIN", {"window_days": 60, "min_orders": 6, "quota_share": "0.8"}),
    ):
        service.edit_rule(session, office, code, enabled=True, thresholds=t, note="延长统计期")
    again = declare(
        session, seller, ebp=platform, buyer=buyer, phone="13933330000", value_cny=Decimal("4000")
    )
    hits = service.evaluate_declaration(session, again)
    assert codes(hits) == {"BRUSH_SHARED_PHONE", "QUOTA_DRAIN"}
    quota = next(h for h in hits if h.rule_code == "QUOTA_DRAIN")
    assert quota.evidence == {
        "buyer_index": quota.evidence["buyer_index"],
        "orders": 7,
        "total_cny": "28000.00",
    }


def _line(price, hs="6403990090"):
    return {"hs_code": hs, "price": price}


@pytest.mark.parametrize(
    "prices",
    [
        ("100", "110", "95", "105", "98", "102", "99", "101"),  # even: the mean of the middle two
        ("100", "110", "95", "105", "98", "102", "99", "101", "97"),  # odd
        ("100", "0", "-5", None, "95", "105", "98", "102", "99", "101", "97", "103"),  # not all usable
        ("100", "0", "-5", None, "95", "105", "98"),  # too few usable samples
    ],
)
def test_price_median_is_the_median_of_the_samples(session, prices):
    seller, platform = seller_and_platform(session)
    only(session, seller.zone_code, "PRICE_OUTLIER")
    for p in prices:
        declare(session, seller, ebp=platform, lines=[_line(Decimal(p) if p is not None else None)])
    samples = [Decimal(p) for p in prices if p is not None]
    t = R.CATALOGUE_BY_CODE["PRICE_OUTLIER"].defaults
    for candidate in ("900", "410", "400", "26", "24", "100"):
        price = Decimal(candidate)
        listed = declare(session, seller, ebp=platform, lines=[_line(price)])
        expected = R.outlier_direction(
            price, samples, R.param_decimal(t, "factor"), R.param_int(t, "min_samples")
        )
        hits = service.evaluate_declaration(session, listed)
        if expected is None:
            assert hits == []
        else:
            [line] = hits[0].evidence["lines"]
            assert line["direction"] == expected and line["samples"] == len(samples)
        samples.append(price)  # a sample for the next list


def test_price_median_takes_only_the_latest_samples(session):
    seller, platform = seller_and_platform(session)
    only(session, seller.zone_code, "PRICE_OUTLIER")
    cheap = service.PRICE_SAMPLES + 1  # with these the median would be 1
    declare(session, seller, ebp=platform, lines=[_line(Decimal("1")) for _ in range(cheap)])
    declare(
        session, seller, ebp=platform, lines=[_line(Decimal("100")) for _ in range(service.PRICE_SAMPLES)]
    )
    fair = declare(session, seller, ebp=platform, lines=[_line(Decimal("100"))])
    assert service.evaluate_declaration(session, fair) == []
    dear = declare(session, seller, ebp=platform, lines=[_line(Decimal("400"))])
    [hit] = service.evaluate_declaration(session, dear)
    assert hit.evidence["lines"][0]["samples"] == service.PRICE_SAMPLES


def test_price_outlier_compares_lines_without_currency_among_themselves(session):
    seller, platform = seller_and_platform(session)
    only(session, seller.zone_code, "PRICE_OUTLIER")
    for p in ("100", "110", "95", "105", "98", "102", "99", "101"):
        declare(session, seller, ebp=platform, lines=[_line(Decimal(p), hs="9503008900")])
    outlier = declare(session, seller, ebp=platform, lines=[_line(Decimal("900"), hs="9503008900")])
    assert codes(service.evaluate_declaration(session, outlier)) == {"PRICE_OUTLIER"}
    session.execute(
        update(DeclarationLine).where(DeclarationLine.hs_code == "9503008900").values(currency=None)
    )
    lone = declare(session, seller, ebp=platform, lines=[_line(Decimal("900"), hs="9503008900")])
    session.execute(
        update(DeclarationLine).where(DeclarationLine.declaration_id == lone.id).values(currency=None)
    )
    assert codes(service.evaluate_declaration(session, lone)) == {"PRICE_OUTLIER"}
    mixed = declare(session, seller, ebp=platform, lines=[_line(Decimal("900"), hs="9503008900")])
    assert service.evaluate_declaration(session, mixed) == []  # no samples in its currency


def test_reference_price_by_the_sellers_item_number(session):
    seller, platform = seller_and_platform(session)
    only(session, seller.zone_code, "UNDERVALUED", "OVER_INVOICED")
    goods = make_commodity(session, seller, unit_price=Decimal("200"))
    cheap = declare(session, seller, ebp=platform, lines=[{"item_no": goods.item_no, "price": Decimal("80")}])
    hits = service.evaluate_declaration(session, cheap)
    assert codes(hits) == {"UNDERVALUED"} and hits[0].evidence["lines"][0]["reference"].startswith("200")
    unknown = declare(session, seller, ebp=platform, lines=[{"item_no": "NOT-FILED", "price": Decimal("1")}])
    assert service.evaluate_declaration(session, unknown) == []


def test_sqlite_reads_walked_lists_from_the_covering_index(session, backend):
    if backend != "sqlite":  # INDEXED BY is SQLite's: PostgreSQL always runs the portable statements
        conn = session.connection()
        assert service._price_reference_for(conn, null_currency=False) is service._PRICE_REFERENCE
        assert service._price_reference_for(conn, null_currency=True) is service._PRICE_REFERENCE_NO_CURRENCY
        return
    seller, platform = seller_and_platform(session)
    for p in ("100", "110", "95", "0", None, "98", "102", "99", "101", "97"):
        declare(session, seller, ebp=platform, lines=[_line(Decimal(p) if p is not None else None)])
    listed = declare(session, seller, ebp=platform, lines=[_line(Decimal("900"))])
    conn = session.connection()
    table = Declaration.__table__
    index = next(i for i in table.indexes if i.name == service.SQLITE_PRICE_INDEX)
    assert isinstance(index, Index)
    index.drop(conn)  # migration 0002 creates it: first the portable fallback without it
    conn.info.pop(service._SQLITE_PRICE_INDEX_KEY, None)
    assert service._price_reference_for(conn, null_currency=False) is service._PRICE_REFERENCE
    index.create(conn)
    conn.info.pop(service._SQLITE_PRICE_INDEX_KEY, None)
    try:
        assert service._price_reference_for(conn, null_currency=True) is service._SQLITE_PRICE_REFERENCE
        params = {
            "hs_code": "6403990090",
            "zone_code": seller.zone_code,
            "direction": "import",
            "declaration_id": listed.id,
            "since": now_utc() - dt.timedelta(days=90),
        }
        for currency, portable in (
            ("142", service._PRICE_REFERENCE),
            (None, service._PRICE_REFERENCE_NO_CURRENCY),
        ):
            hinted = conn.execute(service._SQLITE_PRICE_REFERENCE, {**params, "currency": currency}).all()
            assert hinted == conn.execute(portable, {**params, "currency": currency}).all()
        assert [tuple(r) for r in hinted] == [] and conn.execute(
            service._SQLITE_PRICE_REFERENCE, {**params, "currency": "142"}
        ).all() == [(Decimal("99"), 9, 8), (Decimal("100"), 9, 8)]
    finally:
        conn.info.pop(service._SQLITE_PRICE_INDEX_KEY, None)


def _brute_count(session, seller, since):
    return session.scalar(
        select(func.count(Declaration.id)).where(
            Declaration.ebc_enterprise_id == seller.id,
            Declaration.kind == "inventory",
            Declaration.zone_code == seller.zone_code,
            Declaration.created_at >= since,
        )
    )


def test_seller_list_count_is_exact_at_any_window_start_and_within_an_ingest_batch(session):
    """REPEAT_VIOLATIONS' count of a seller's lists: the partial first hour from the index, the whole
    hours from `list_hour_counts`, this batch's deferred counts from memory — always equal to
    counting the lists themselves."""
    from silkgate.declarations import service as declarations

    seller, platform = seller_and_platform(session)
    hour = dt.datetime.fromtimestamp((int(now_utc().timestamp()) // 3600 - 48) * 3600, dt.UTC)
    offsets = (-70, -1, 0, 1, 59, 60, 61, 125, 24 * 60 + 7)  # minutes around hour boundaries
    for minutes in offsets:
        declare(session, seller, ebp=platform, created_at=hour + dt.timedelta(minutes=minutes))
    conn = session.connection()
    for minutes in (-71, -70, -30, 0, 1, 30, 60, 61, 62, 24 * 60, 24 * 60 + 8):
        since = hour + dt.timedelta(minutes=minutes, seconds=0 if minutes % 2 else 17)
        assert service._seller_lists(session, conn, seller.zone_code, seller.id, since) == _brute_count(
            session, seller, since
        ), since
    # inside an ingest batch a stored list's hour is written at the batch's commit: counted meanwhile
    pending = declarations._pending(session)
    pending.batching = True
    try:
        declarations.count_list(session, seller.zone_code, seller.id, now_utc(), 1)
        since = hour + dt.timedelta(minutes=30)
        assert (
            service._seller_lists(session, conn, seller.zone_code, seller.id, since)
            == _brute_count(session, seller, since) + 1
        )  # the Core insert of that list is not part of this test: the count is ahead by it
    finally:
        pending.batching = False
    declarations.flush_pending(session)
    assert declarations.pending_list_hours(session, seller.zone_code, seller.id) == {}
    assert service._seller_lists(session, conn, seller.zone_code, seller.id, since) == (
        _brute_count(session, seller, since) + 1
    )
