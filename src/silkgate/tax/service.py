"""Retail import tax quotes against the tariff table (the rates an order omits come from it)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from silkgate.registry.service import tariff_for
from silkgate.tax.calc import TariffRates, TaxQuote, quote_import_tax
from silkgate.tax.schemas import TaxQuoteRequest


def tariff_rates(session: Session, zone_code: str | None, hs_code: str) -> TariffRates | None:
    """The rates of an HS code from the tariff table (a zone's own lines override the national ones)."""
    line = tariff_for(session, zone_code, hs_code)
    if line is None:
        return None
    return TariffRates(
        vat_rate=line.vat_rate,
        consumption_tax_rate=line.consumption_tax_rate,
        tariff_rate=line.tariff_rate,
        positive_list=line.positive_list,
    )


def quote(session: Session, request: TaxQuoteRequest, *, zone_code: str | None) -> TaxQuote:
    """The tax of a proposed order, without declaring it."""
    cache: dict[str, TariffRates | None] = {}

    def lookup(hs_code: str) -> TariffRates | None:
        if hs_code not in cache:
            cache[hs_code] = tariff_rates(session, zone_code, hs_code)
        return cache[hs_code]

    return quote_import_tax(
        [i.to_calc() for i in request.items],
        freight=request.freight,
        insurance=request.insurance,
        discount=request.discount,
        year_to_date=request.year_to_date,
        rates_lookup=lookup,
    )
