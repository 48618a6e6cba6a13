"""The tariff appendix (takstbilag): the approved tariffs of a region and year, one row per service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from rammeaftale.domain.money import percent_change, round_percent


@dataclass(frozen=True)
class AppendixRow:
    operator: str
    offer: str
    offer_id: str
    legal_basis: str
    target_group: str
    service: str
    places: Decimal
    occupancy_pct: Decimal
    tariff: Decimal | None
    unit: str  # "dag", "time", "enhed", "år", "individuel"
    annual_tariff_per_place: Decimal | None
    direct_support_hours_per_week: Decimal | None
    change_pct: Decimal | None  # against last year's published tariff, 2 decimals (handbook § 15)


@dataclass(frozen=True)
class TariffAppendix:
    region_code: int
    region_name: str
    agreement_name: str
    year: int
    version: int
    published_on: date | None
    rows: tuple[AppendixRow, ...]
    missing_operators: tuple[str, ...] = ()  # R-CYC-04: operators whose submissions are not included
    reason: str = ""  # why this version replaces the previous one
    fictitious: bool = False  # demo data must say so


def tariff_change_pct(current: Decimal | None, last_year: Decimal | None) -> Decimal | None:
    """Change against last year in percent with 2 decimals; None without a comparable tariff."""
    if current is None or last_year is None:
        return None
    change = percent_change(current, last_year)
    return None if change is None else round_percent(change)
