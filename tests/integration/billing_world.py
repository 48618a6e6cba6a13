"""A small billing world for the tests: organisations, an offer per operator, placements as rows.

Placements are written straight into the placements table (the billing run reads them through
``uow.placements.billable``); their CPR columns hold fixed placeholders, never a CPR number, since billing
never reads them. Everything is fictitious.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert, select, update

from rammeaftale.adapters.db import models as m
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.domain.registry import OfferStatus, OfferVersion
from rammeaftale.services.context import Actor, Clock
from tests.conftest import fixed_clock

NOW: Clock = fixed_clock(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
CREATED = datetime(2025, 1, 2, 9, 0, tzinfo=UTC)
FJORDGAARDEN_DAILY = Decimal("2070.25")  # handbook § 6.5
AALBORG, HJOERRING, THISTED, FREDERIKSHAVN, AARHUS, HERNING = 851, 860, 787, 813, 751, 657
MUNICIPALITIES = {
    1081: ((AALBORG, "Aalborg"), (HJOERRING, "Hjørring"), (THISTED, "Thisted"), (FREDERIKSHAVN, "Frederikshavn")),
    1082: ((AARHUS, "Aarhus"), (HERNING, "Herning")),
}
PERIODS = {1081: "nordjylland-2025-2026", 1082: "midtjylland-2025-2026"}


@dataclass
class World:
    engine: Engine
    organisations: dict[int, int] = field(default_factory=dict)  # kommunekode or region code -> id
    offers: dict[int, tuple[int, int]] = field(default_factory=dict)  # operator code -> (offer id, service id)
    placements: int = 0

    def operator(self, code: int) -> Actor:
        region = 1082 if code in (AARHUS, HERNING, 1082) else 1081
        return Actor(None, f"drift.{code}", "operator", self.organisations[code], region)

    def buyer(self, code: int) -> Actor:
        region = 1082 if code in (AARHUS, HERNING) else 1081
        return Actor(None, f"koeb.{code}", "buyer", self.organisations[code], region)

    def place(
        self,
        operator: int = AALBORG,
        *,
        acting: int = HJOERRING,
        paying: int | None = HJOERRING,
        contract: str = "standard",
        offer_kind: str = "standard",
        start: date = date(2025, 1, 1),
        tariff: Decimal | str | None = FJORDGAARDEN_DAILY,
        status: str = "confirmed",
        **values: Any,
    ) -> int:
        """A confirmed placement in the operator's offer (negotiated tariff from the start date); returns its pk."""
        self.placements += 1
        offer_id, service_id = self.offers[operator]
        row = {
            "placement_id": f"P-T{self.placements:09d}",
            "cpr_key_id": "test",
            "cpr_ciphertext": "not-a-cpr-number",
            "cpr_lookup": f"lookup-{self.placements}",
            "offer_id": offer_id,
            "service_id": service_id,
            "operator_id": self.organisations[operator],
            "level": "",
            "acting_municipality": acting,
            "paying_municipality": paying,
            "contract": contract,
            "offer_kind": offer_kind,
            "start_date": start,
            "respite_granted_days": None,
            "negotiated_tariff": None if tariff is None else Decimal(tariff),
            "agreed_notice_months": None,
            "notice_given_on": None,
            "notice_final_date": None,
            "notice_kind": "",
            "notice_operator_agrees": False,
            "status": status,
            "source": "api",
            "created_at": CREATED,
            "created_by": None,
            "refusal_reason": "",
            **values,
        }
        with self.engine.begin() as conn:
            return int(conn.execute(insert(m.PlacementRow).values(**row).returning(m.PlacementRow.id)).scalar_one())

    def change(self, pk: int, **values: Any) -> None:
        """A change of a placement as the placements use cases make it (notice, tariff, payer …)."""
        with self.engine.begin() as conn:
            conn.execute(update(m.PlacementRow).where(m.PlacementRow.id == pk).values(**values))

    def notice(self, pk: int, given_on: date, final: date, kind: str = "final") -> None:
        self.change(pk, notice_given_on=given_on, notice_final_date=final, notice_kind=kind)

    def ref(self, pk: int) -> str:
        with self.engine.connect() as conn:
            return str(conn.execute(select(m.PlacementRow.placement_id).where(m.PlacementRow.id == pk)).scalar_one())


def build_world(engine: Engine) -> World:
    """Two regions with their 2025–26 rule sets; Aalborg, Region Nordjylland and Aarhus operate an offer each."""
    world = World(engine)
    with UnitOfWork(engine) as uow:
        for region, name in ((1081, "Region Nordjylland"), (1082, "Region Midtjylland")):
            world.organisations[region] = uow.organisations.add("region", name, region, None, f"5798000{region:04d}00")
            uow.organisations.add_period(region, f"Rammeaftale {name} (fiktiv)", 2025, 2026, PERIODS[region])
            for code, town in MUNICIPALITIES[region]:
                world.organisations[code] = uow.organisations.add(
                    "municipality", f"{town} Kommune", region, code, f"579800000{code:03d}0"
                )
        for code, offer_code in ((AALBORG, "N-851-01"), (1081, "N-1081-01"), (AARHUS, "M-751-01")):
            offer_id = uow.offers.add(offer_code, world.organisations[code], _version(f"Tilbud {offer_code}"), CREATED)
            service_id = uow.offers.add_service(offer_id, "Døgnophold", "average", "Fiktiv", date(2023, 1, 1), CREATED)
            world.offers[code] = (offer_id, service_id)
        uow.commit()
    return world


def _version(name: str) -> OfferVersion:
    return OfferVersion(
        valid_from=date(2023, 1, 1),
        valid_to=None,
        name=f"{name} (fiktivt)",
        legal_basis="SEL § 108",
        target_groups=("Voksne med udviklingshandicap",),
        kind="24h",
        category=3,
        agreed_places=Decimal(20),
        physical_places=Decimal(20),
        status=OfferStatus.ACTIVE,
        opening_date=date(2015, 8, 1),
        closing_date=None,
        enhanced_collaboration=False,
        address="Fiktiv adresse",
        reason="Testdata",
    )
