"""Cached look-ups of filings for the ingest hot path: enterprises by customs code, broker
authorisations, commodities and tariff lines.

One cache per session (the API: one request; the CLI and benchmark: one run). A filing decided
during a long batch run is seen by the next run; within a request everything is current.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from silkgate.auth.principal import Principal
from silkgate.models.declarations import BrokerAuthorisation
from silkgate.models.registry import Commodity, Enterprise, EnterpriseRole


@dataclass(frozen=True)
class EnterpriseFiling:
    id: int
    org_id: int
    customs_code: str
    uscc: str
    name: str
    zone_code: str
    status: str
    roles: frozenset[str]


@dataclass(frozen=True)
class CommodityFiling:
    id: int
    enterprise_id: int
    item_no: str
    name: str
    hs_code: str
    positive_list: bool
    vat_rate: Decimal
    consumption_tax_rate: Decimal
    tariff_rate: Decimal


@dataclass(frozen=True)
class TariffRates:
    hs_code: str
    vat_rate: Decimal
    consumption_tax_rate: Decimal
    tariff_rate: Decimal
    positive_list: bool


_MISSING: Any = object()


class FilingLookups:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._by_code: dict[str, EnterpriseFiling | None] = {}
        self._by_id: dict[int, EnterpriseFiling | None] = {}
        self._principals: dict[int, Principal] = {}
        self._authorised: dict[tuple[int, int], bool] = {}
        self._commodities: dict[tuple[int, str], CommodityFiling | None] = {}
        self._tariffs: dict[tuple[str | None, str], TariffRates | None] = {}

    def _load(self, condition: Any) -> EnterpriseFiling | None:
        ent = self.session.execute(
            select(
                Enterprise.id,
                Enterprise.org_id,
                Enterprise.customs_code,
                Enterprise.uscc,
                Enterprise.name,
                Enterprise.zone_code,
                Enterprise.status,
            ).where(condition)
        ).first()
        if ent is None:
            return None
        roles = frozenset(
            self.session.scalars(select(EnterpriseRole.role).where(EnterpriseRole.enterprise_id == ent.id))
        )
        filing = EnterpriseFiling(
            ent.id, ent.org_id, ent.customs_code, ent.uscc, ent.name, ent.zone_code, ent.status, roles
        )
        self._by_id[filing.id] = filing
        self._by_code[filing.customs_code] = filing
        self._by_code[filing.uscc] = filing
        return filing

    def enterprise_by_code(self, code: str) -> EnterpriseFiling | None:
        """By customs registration code (10) or, as CEB allows, the USCC (18)."""
        if not code:
            return None
        found = self._by_code.get(code, _MISSING)
        if found is _MISSING:
            column = Enterprise.uscc if len(code) == 18 else Enterprise.customs_code
            found = self._load(column == code)
            self._by_code[code] = found
        return found  # type: ignore[no-any-return]

    def enterprise_by_id(self, enterprise_id: int) -> EnterpriseFiling | None:
        found = self._by_id.get(enterprise_id, _MISSING)
        if found is _MISSING:
            found = self._load(Enterprise.id == enterprise_id)
            self._by_id[enterprise_id] = found
        return found  # type: ignore[no-any-return]

    def enterprise_id_for(self, code: str | None) -> int | None:
        filing = self.enterprise_by_code(code or "")
        return filing.id if filing else None

    def principal_named_in(self, cop_code: str) -> Principal | None:
        """The sender a message names (BaseTransfer/copCode), for trusted local callers."""
        filing = self.enterprise_by_code(cop_code)
        if filing is None:
            return None
        if filing.org_id not in self._principals:
            from silkgate.auth.service import principal_for_org
            from silkgate.models.org import Organisation

            org = self.session.get(Organisation, filing.org_id)
            if org is None:
                return None
            self._principals[filing.org_id] = principal_for_org(self.session, org)
        return self._principals[filing.org_id]

    def broker_authorised(self, principal_code: str, broker_enterprise_id: int | None) -> bool:
        """Has the enterprise with `principal_code` authorised `broker_enterprise_id` (valid today)?"""
        principal = self.enterprise_by_code(principal_code)
        if principal is None or broker_enterprise_id is None:
            return False
        key = (principal.id, broker_enterprise_id)
        if key not in self._authorised:
            today = dt.date.today()
            row = self.session.execute(
                select(BrokerAuthorisation.id).where(
                    BrokerAuthorisation.principal_enterprise_id == principal.id,
                    BrokerAuthorisation.broker_enterprise_id == broker_enterprise_id,
                    BrokerAuthorisation.revoked_at.is_(None),
                    or_(BrokerAuthorisation.valid_from.is_(None), BrokerAuthorisation.valid_from <= today),
                    or_(BrokerAuthorisation.valid_until.is_(None), BrokerAuthorisation.valid_until >= today),
                )
            ).first()
            self._authorised[key] = row is not None
        return self._authorised[key]

    def commodity(self, enterprise_id: int, item_no: str) -> CommodityFiling | None:
        key = (enterprise_id, item_no)
        found = self._commodities.get(key, _MISSING)
        if found is _MISSING:
            row = self.session.execute(
                select(
                    Commodity.id,
                    Commodity.enterprise_id,
                    Commodity.item_no,
                    Commodity.name,
                    Commodity.hs_code,
                    Commodity.positive_list,
                    Commodity.vat_rate,
                    Commodity.consumption_tax_rate,
                    Commodity.tariff_rate,
                ).where(Commodity.enterprise_id == enterprise_id, Commodity.item_no == item_no)
            ).first()
            found = CommodityFiling(*row) if row is not None else None
            self._commodities[key] = found
        return found  # type: ignore[no-any-return]

    def tariff(self, zone_code: str | None, hs_code: str) -> TariffRates | None:
        key = (zone_code, hs_code)
        found = self._tariffs.get(key, _MISSING)
        if found is _MISSING:
            from silkgate.registry.service import tariff_for

            line = tariff_for(self.session, zone_code, hs_code)
            found = (
                TariffRates(
                    line.hs_code,
                    Decimal(line.vat_rate),
                    Decimal(line.consumption_tax_rate),
                    Decimal(line.tariff_rate),
                    bool(line.positive_list),
                )
                if line is not None
                else None
            )
            self._tariffs[key] = found
        return found  # type: ignore[no-any-return]

    def forget(self) -> None:
        """Drop everything cached (after filings change within the same session, e.g. in tests)."""
        self.__init__(self.session)  # type: ignore[misc]


_KEY = "silkgate.declarations.lookups"


def lookups(session: Session) -> FilingLookups:
    found = session.info.get(_KEY)
    if found is None:
        found = session.info[_KEY] = FilingLookups(session)
    return found  # type: ignore[no-any-return]


def forget_lookups(session: Session) -> None:
    session.info.pop(_KEY, None)
