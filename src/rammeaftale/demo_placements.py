"""Demo placements for 2025 in both regions, one or more in every demo offer (issue 5): deterministic and
fictitious, registered by the buying municipalities and confirmed by the operators through the real use
cases with fixed clocks, so the audit trail and the reads log look as in use.

The CPR numbers are invented and shaped so they cannot be anybody's by accident in a way that matters: days
01–28, months 01–12, serials from 0001 (they are CPR-shaped, so they never appear anywhere but encrypted in
the database; the CPR scan of the test run proves no response or log line shows one). Some placements have
notice (final, provisional and agreed, in a shelter, in substitution treatment, an interim offer), supplements
(ATA hours in the evening, riding lessons per unit, a negative amount per day for a hospital stay), respite
days, a negotiated tariff, an acting municipality that is not the paying one, a paying municipality in
doubt, and one placement waits for the operator and one was refused.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.domain.cpr import parse_cpr
from rammeaftale.domain.notice import Contract, OfferKind
from rammeaftale.domain.settlement import Delivery
from rammeaftale.services import placement_supplements, placements
from rammeaftale.services.context import Actor, Clock
from rammeaftale.services.placement_supplements import SupplementInput
from rammeaftale.services.placements_input import PlacementInput

SAME = 0  # paying municipality: the acting one


@dataclass(frozen=True)
class DemoPlacement:
    offer: str
    cpr: str
    acting: int
    start: date
    paying: int | None = SAME  # None: in doubt (R-SET-01)
    contract: Contract = Contract.STANDARD
    kind: OfferKind | None = None
    level: str = ""
    negotiated: str | None = None
    respite: tuple[date, ...] | None = None
    notice: tuple[date, date, str] | None = None  # given on, final date, kind
    operator_agrees: bool = False
    supplements: tuple[SupplementInput, ...] = ()
    status: str = "confirmed"  # confirmed | registered | refused


def _weekends(first: date, count: int) -> tuple[date, ...]:
    """``count`` Friday-to-Sunday respite stays, every second week from ``first`` (a Friday)."""
    return tuple(first + timedelta(days=14 * n + d) for n in range(count) for d in range(3))


EVENING_ATA = SupplementInput(
    kind="ata",
    name="Ekstra støtte, socialpædagog",
    start=date(2025, 4, 1),
    end=date(2025, 9, 30),
    hours_per_day=Decimal("1.5"),
    staff_category="Socialpædagoger",
    hourly_cost=Decimal("220.00"),
    absence_pct=Decimal("30"),
    time_of_day="aften",
    time_coefficient_pct=Decimal("40"),
)
RIDING = SupplementInput(
    kind="unit",
    name="Rideterapi",
    unit_price=Decimal("450.00"),
    deliveries=tuple(Delivery(date(2025, 3, 4) + timedelta(days=7 * n), Decimal(1)) for n in range(10)),
)
HOSPITAL = SupplementInput(
    kind="daily",
    name="Indlæggelse (nedsat takst)",
    start=date(2025, 8, 11),
    end=date(2025, 9, 7),
    daily_amount=Decimal("-450.00"),
)
NIGHT_WATCH = SupplementInput(
    kind="ata",
    name="Fast vågen nattevagt",
    start=date(2025, 6, 1),
    end=None,
    hours_per_day=Decimal("8"),
    staff_category="Pædagogmedhjælpere",
    hourly_cost=Decimal("195.00"),
    absence_pct=Decimal("28"),
    time_of_day="nat",
    time_coefficient_pct=Decimal("60"),
)

PLACEMENTS = (
    # Region Nordjylland
    DemoPlacement("N-851-01", "150372-0101", 787, date(2025, 2, 1), supplements=(EVENING_ATA,)),
    DemoPlacement("N-851-01", "020468-0102", 787, date(2025, 1, 1), paying=773, contract=Contract.OLDER),
    DemoPlacement(
        "N-851-01", "210859-0103", 849, date(2025, 3, 10), notice=(date(2025, 5, 20), date(2025, 5, 31), "final")
    ),
    DemoPlacement("N-851-01", "080881-0104", 851, date(2025, 6, 1)),
    DemoPlacement("N-1081-01", "111190-0105", 787, date(2025, 1, 15), negotiated="3150.00"),
    DemoPlacement("N-1081-01", "270795-0106", 860, date(2025, 4, 1), paying=None),
    DemoPlacement(
        "N-1081-02",
        "050377-0107",
        813,
        date(2025, 2, 3),
        kind=OfferKind.SUBSTITUTION,
        negotiated="310.00",
        notice=(date(2025, 10, 6), date(2025, 10, 10), "final"),
    ),
    DemoPlacement("N-860-01", "120314-4108", 787, date(2025, 1, 3), respite=_weekends(date(2025, 1, 3), 12)),
    DemoPlacement("N-860-01", "030912-4109", 840, date(2025, 3, 7), respite=_weekends(date(2025, 3, 7), 8)),
    DemoPlacement("N-787-01", "190383-0110", 787, date(2025, 1, 6)),
    DemoPlacement("N-787-01", "240186-0111", 773, date(2025, 8, 4)),
    DemoPlacement(
        "N-813-01", "060297-0112", 787, date(2025, 5, 12), notice=(date(2025, 6, 2), date(2025, 6, 6), "final")
    ),
    DemoPlacement("N-813-01", "140699-0113", 820, date(2025, 9, 1)),
    DemoPlacement("N-810-01", "170911-4114", 810, date(2025, 1, 20), supplements=(RIDING,)),
    DemoPlacement("N-810-01", "280710-4115", 787, date(2025, 6, 16), paying=846),
    DemoPlacement("N-846-01", "091068-0116", 846, date(2025, 3, 1), negotiated="1890.00"),
    DemoPlacement("N-851-01", "220561-0117", 787, date(2025, 11, 3), status="registered"),
    DemoPlacement("N-1081-01", "010193-0118", 849, date(2025, 10, 1), status="refused"),
    # Region Midtjylland
    DemoPlacement("M-1082-01", "130375-0119", 657, date(2025, 1, 1), level="B", supplements=(NIGHT_WATCH,)),
    DemoPlacement("M-1082-01", "040479-0120", 730, date(2025, 3, 17), level="C", paying=740),
    DemoPlacement("M-1082-01", "251288-0121", 657, date(2025, 7, 1), level="A", contract=Contract.OLDER),
    DemoPlacement(
        "M-1082-02",
        "160791-0122",
        657,
        date(2025, 2, 10),
        level="A",
        notice=(date(2025, 11, 14), date(2025, 12, 31), "provisional"),
        operator_agrees=True,
    ),
    DemoPlacement("M-1082-02", "070694-0123", 751, date(2025, 5, 5), level="B"),
    DemoPlacement("M-751-01", "200280-0124", 657, date(2025, 1, 1), supplements=(HOSPITAL,)),
    DemoPlacement("M-751-01", "180584-0125", 746, date(2025, 4, 14), paying=751),
    DemoPlacement("M-657-01", "101070-0126", 657, date(2025, 1, 6)),
    DemoPlacement("M-657-01", "120573-0127", 661, date(2025, 9, 1)),
    DemoPlacement(
        "M-730-01", "230298-0128", 657, date(2025, 3, 3), notice=(date(2025, 3, 24), date(2025, 3, 28), "final")
    ),
    DemoPlacement("M-661-01", "260466-0129", 665, date(2025, 1, 13), kind=OfferKind.SUBSTITUTION, negotiated="295.00"),
    DemoPlacement(
        "M-791-01",
        "150813-4130",
        779,
        date(2025, 2, 17),
        kind=OfferKind.INTERIM,
        notice=(date(2025, 8, 15), date(2025, 8, 29), "final"),
    ),
    DemoPlacement("M-791-01", "080215-4131", 657, date(2025, 10, 6)),
)


def demo_placement_id(number: int) -> str:
    """Deterministic pseudonymous ids (``P-`` + 10 base32 characters), unrelated to the CPR numbers."""
    digest = hashlib.sha256(f"rammeaftale demo placement {number}".encode()).digest()
    return "P-" + base64.b32encode(digest).decode("ascii")[:10]


def _clock(day: date) -> Clock:
    moment = datetime(day.year, day.month, day.day, 11, 0, tzinfo=UTC)
    return lambda: moment


def _actor(uow: UnitOfWork, actors: dict[str, Actor], role: str, organisation_id: int) -> Actor:
    """The demo login of that role and organisation, else a demo actor of the organisation."""
    for actor in actors.values():
        if actor.role == role and actor.organisation_id == organisation_id and actor.user_id is not None:
            return actor
    organisation = uow.organisations.get(organisation_id)
    assert organisation is not None
    return Actor(None, f"demo-{organisation.name}", role, organisation.id, organisation.region_code)


def load_demo_placements(engine: Engine, actors: dict[str, Actor]) -> None:
    """Register, answer, end and supplement the demo placements (the demo registry must be loaded)."""
    for number, demo in enumerate(PLACEMENTS, start=1):
        with UnitOfWork(engine) as uow:
            offer = uow.offers.by_code(demo.offer)
            municipality = uow.organisations.by_kommunekode(demo.acting)
            assert offer is not None and municipality is not None
            buyer = _actor(uow, actors, "buyer", municipality.id)
            operator = _actor(uow, actors, "operator", offer.operator.id)
            placement = PlacementInput(
                cpr=parse_cpr(demo.cpr),
                acting_municipality=demo.acting,
                paying_municipality=demo.acting if demo.paying == SAME else demo.paying,
                contract=demo.contract,
                start=demo.start,
                offer_code=demo.offer,
                level=demo.level,
                offer_kind=demo.kind,
                respite_granted_days=demo.respite,
                negotiated_tariff=None if demo.negotiated is None else Decimal(demo.negotiated),
            )
            registered_on = _clock(demo.start - timedelta(days=10))
            placement_id = placements.register_placement(
                uow, buyer, registered_on, placement, source="demo", placement_id=demo_placement_id(number)
            ).placement_id
            answered = _clock(demo.start - timedelta(days=7))
            if demo.status == "refused":
                placements.refuse_placement(uow, operator, answered, placement_id, "Ingen ledig plads (fiktivt).")
                continue
            if demo.status == "registered":
                continue
            placements.confirm_placement(uow, operator, answered, placement_id)
            for supplement in demo.supplements:
                added_on = supplement.start or supplement.deliveries[0].day
                placement_supplements.add_supplement(uow, operator, _clock(added_on), placement_id, supplement)
            if demo.notice is not None:
                given, final, kind = demo.notice
                placements.give_notice(uow, buyer, _clock(given), placement_id, final, kind, given)
                if demo.operator_agrees:
                    placements.agree_to_notice(uow, operator, _clock(given + timedelta(days=2)), placement_id)
