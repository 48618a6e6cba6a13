"""The demo's citizen schedules (handbook § 13): Region Midtjylland's basis + service offers Kildebakken
(M-1082-01) and Søhusene (M-1082-02) have a schedule per confirmed placement from 1 January 2025 (or its
start date), agreed with
the buyer, so the billing bills their daily prices and the operator's changeover planner
(``/borgerskemaer/omlaegning``) opens with rows. The figures are fictitious.

Registered by `rammeaftale demo` before the demo months are billed (``demo_billing.py``); kept out of
``load_demo``, so the test suite's demo has no schedule.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, select

from rammeaftale.adapters.db import models as m
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.services.context import Actor
from rammeaftale.services.refunds import register_citizen_schedule

OFFERS = {"M-1082-01": "1450.00", "M-1082-02": "1380.00"}  # offer -> basis tariff per day
HOURLY_RATE = "395.00"
HOURS_BY_LEVEL = {"A": "10", "B": "17.5", "C": "28"}  # service hours per week
EFFECTIVE = date(2025, 1, 1)
AGREED_AT = datetime(2024, 12, 15, 10, 0, tzinfo=UTC)  # agreed with the buyers before the year


def _agreed() -> datetime:
    return AGREED_AT


def register_demo_schedules(engine: Engine, operator: Actor) -> int:
    """A schedule for every confirmed placement of the two offers that has none; returns how many."""
    with UnitOfWork(engine) as uow:
        rows = uow.session.execute(
            select(m.PlacementRow.placement_id, m.PlacementRow.level, m.PlacementRow.start_date, m.Offer.code)
            .join(m.Offer, m.Offer.id == m.PlacementRow.offer_id)
            .where(
                m.Offer.code.in_(list(OFFERS)),
                m.PlacementRow.status == "confirmed",
                m.PlacementRow.id.not_in(select(m.CitizenScheduleRow.placement_id)),
            )
            .order_by(m.PlacementRow.placement_id)
        ).all()
    for placement_id, level, start, code in rows:
        services = [("Socialpædagogisk støtte", HOURS_BY_LEVEL.get(level, "10")), ("Praktisk hjælp", "3")]
        with UnitOfWork(engine) as uow:
            register_citizen_schedule(
                uow, operator, _agreed, placement_id, max(start, EFFECTIVE), OFFERS[code], HOURLY_RATE, services, True
            )
    return len(rows)
