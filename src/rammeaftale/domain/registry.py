"""Organisations, offers and services as plain values (the registry the tariff cycle runs on)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class OfferStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    CLOSING = "closing"
    CLOSED = "closed"


OFFER_STATUS_LABELS = {
    OfferStatus.PLANNED: "Planlagt",
    OfferStatus.ACTIVE: "Aktivt",
    OfferStatus.CLOSING: "Under lukning",
    OfferStatus.CLOSED: "Lukket",
}

CATEGORY_LABELS = {
    1: "Kategori 1: kun driftsherrens egne borgere (ikke omfattet)",
    2: "Kategori 2: én eller få andre kommuner (omfattet)",
    3: "Kategori 3: andre kommuner (omfattet)",
}


@dataclass(frozen=True)
class Organisation:
    id: int
    kind: str  # municipality | region
    name: str
    kommunekode: int | None
    ean: str | None
    region_code: int
    cvr: str | None = None  # 8 digits; None where the registry does not know it
    street: str = ""
    postal_code: str = ""
    city: str = ""


@dataclass(frozen=True)
class OfferVersion:
    """One effective-dated state of an offer; ``valid_to`` None means current."""

    valid_from: date
    valid_to: date | None
    name: str
    legal_basis: str
    target_groups: tuple[str, ...]
    kind: str
    category: int
    agreed_places: Decimal
    physical_places: Decimal
    status: OfferStatus
    opening_date: date | None
    closing_date: date | None
    enhanced_collaboration: bool
    address: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Service:
    id: int
    offer_id: int
    name: str
    tariff_type: str
    description: str = ""


@dataclass(frozen=True)
class Offer:
    id: int
    code: str
    operator: Organisation
    current: OfferVersion
    services: tuple[Service, ...] = ()

    @property
    def covered(self) -> bool:
        """R-COV: category 2 and 3 offers, and every regional offer, are covered."""
        return self.operator.kind == "region" or self.current.category in (2, 3)


def version_at(versions: tuple[OfferVersion, ...], day: date) -> OfferVersion | None:
    """The version in force on ``day`` (valid_from <= day < valid_to)."""
    for v in versions:
        if v.valid_from <= day and (v.valid_to is None or day < v.valid_to):
            return v
    return None
