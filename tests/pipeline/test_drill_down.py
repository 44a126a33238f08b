"""The declarations list accepts the statistics pages' drill-down filters (country, HS chapter and
heading, enterprise in any role, customs office, currency) and dates released lists by release."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from silkgate.auth.service import principal_for_org
from silkgate.declarations.queries import DeclarationFilter, search_declarations
from silkgate.models.declarations import Declaration, DeclarationLine
from silkgate.models.org import Organisation


def _zone_office(session: Session) -> object:
    org = session.scalar(
        select(Organisation).where(Organisation.kind == "zone_office", Organisation.zone_code == "140800")
    )
    if org is None:
        from factories import make_org

        org = make_org(session, "zone_office")
    return principal_for_org(session, org)


def _list(session: Session, n: int, *, country: str, hs: str, released: dt.datetime) -> Declaration:
    d = Declaration(
        zone_code="140800",
        direction="import",
        kind="inventory",
        message_type="CEB621",
        guid=f"G-{n:032d}",
        business_no=f"INV{n}",
        status="released",
        app_type="1",
        head={},
        country=country,
        currency="142",
        customs_code="0509",
        released_at=released,
    )
    session.add(d)
    session.flush()
    session.add(DeclarationLine(declaration_id=d.id, g_num=1, item_no=f"I{n}", hs_code=hs))
    session.flush()
    return d


def test_drill_down_filters_select_exactly_the_matching_lists(session: Session) -> None:
    principal = _zone_office(session)
    may = dt.datetime(2026, 5, 10, 4, tzinfo=dt.UTC)
    a = _list(session, 1, country="502", hs="3304990099", released=may)
    b = _list(session, 2, country="116", hs="3304100000", released=may)
    c = _list(session, 3, country="502", hs="1901101000", released=dt.datetime(2026, 6, 2, 4, tzinfo=dt.UTC))

    def ids(**kw: object) -> set[int]:
        flt = DeclarationFilter(kind="inventory", status="released", **kw)  # type: ignore[arg-type]
        rows, _ = search_declarations(session, principal, flt, limit=100)  # type: ignore[arg-type]
        return {r.id for r in rows} & {a.id, b.id, c.id}

    assert ids(country="502") == {a.id, c.id}
    assert ids(hs_chapter="33") == {a.id, b.id}
    assert ids(hs_heading="1901") == {c.id}
    assert ids(country="502", hs_chapter="33") == {a.id}
    assert ids(date_from=dt.date(2026, 6, 1), date_to=dt.date(2026, 6, 30)) == {c.id}
    assert ids(customs_code="0509", currency="142") == {a.id, b.id, c.id}
