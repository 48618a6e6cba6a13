"""Health refunds (R-REF-01), citizen schedules (handbook section 13) and closing costs (R-SET-08), stored by
migration 0008 and used by the billing run; on SQLite and PostgreSQL. Everything is fictitious."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from rammeaftale.adapters.db import models as m
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.domain.settlement import InvoiceLine
from rammeaftale.services.billing import run_month
from rammeaftale.services.errors import Conflict, Forbidden, InvalidSubmission
from rammeaftale.services.refunds import (
    health_refund_claims,
    record_closing_costs,
    register_citizen_schedule,
    register_health_service,
    run_health_refunds,
)
from tests.integration.billing_world import AALBORG, AARHUS, HERNING, HJOERRING, NOW, THISTED, World, build_world


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


def _ref(n: int) -> str:
    return "P-AAAAAAAA" + "BC"[n // 26] + chr(65 + n % 26)


def _lines(engine: Engine, operator_pk: int, year: int, month: int) -> list[InvoiceLine]:
    with UnitOfWork(engine) as uow:
        invoices = [i for i in uow.billing.of_month(operator_pk, year, month) if i.current]
        return [s.line for lines in uow.billing.lines([i.id for i in invoices]).values() for s in lines]


def _run(world: World, operator: int, year: int, month: int) -> None:
    with UnitOfWork(world.engine) as uow:
        run_month(uow, world.operator(operator), NOW, world.organisations[operator], year, month)


def test_section_13_citizen_schedule_is_the_billed_tariff_from_its_effective_date(world: World) -> None:
    pk = world.place(AARHUS, acting=HERNING, paying=HERNING, tariff="1000.00", placement_id=_ref(1))
    with UnitOfWork(world.engine) as uow:
        version = register_citizen_schedule(
            uow,
            world.operator(AARHUS),
            NOW,
            _ref(1),
            date(2025, 3, 16),
            "1200.00",
            "420.00",
            [("Socialpædagogisk støtte", "10"), ("Praktisk hjælp", "4")],
            agreed_with_buyer=True,
        )
    assert version == 1
    _run(world, AARHUS, 2025, 3)
    lines = _lines(world.engine, world.organisations[AARHUS], 2025, 3)
    # 14 h/week × 420,00 / 7 = 840,00 per day; 1.200,00 + 840,00 = 2.040,00 from 16 March (section 13)
    amounts = sorted((line.period.start, line.unit_price, line.amount) for line in lines if line.rule_id == "R-SET-03")
    assert amounts == [
        (date(2025, 3, 1), Decimal("1000.00"), Decimal("15000.00")),
        (date(2025, 3, 16), Decimal("2040.00"), Decimal("32640.00")),
    ]
    with UnitOfWork(world.engine) as uow:
        audited = uow.session.scalars(select(m.AuditEntry).where(m.AuditEntry.action == "citizen_schedule.registered"))
        assert [a.entity_id for a in audited] == [_ref(1)]
    assert pk


def test_section_13_a_placement_whose_only_tariff_is_its_citizen_schedule_is_billed_from_the_schedule(
    world: World,
) -> None:
    world.place(AARHUS, acting=HERNING, paying=HERNING, tariff=None, placement_id=_ref(8))
    _run(world, AARHUS, 2025, 3)
    assert _lines(world.engine, world.organisations[AARHUS], 2025, 3) == []  # no tariff: nothing billed
    with UnitOfWork(world.engine) as uow:
        register_citizen_schedule(
            uow, world.operator(AARHUS), NOW, _ref(8), date(2025, 3, 1), "700.00", "350.00", [("Støtte", "7")], True
        )
    _run(world, AARHUS, 2025, 3)
    (line,) = _lines(world.engine, world.organisations[AARHUS], 2025, 3)
    # 7 h/week × 350,00 / 7 = 350,00 a day; 700,00 + 350,00 = 1.050,00 × 31 days (section 13, R-SET-03)
    assert (line.placement_id, line.unit_price, line.amount) == (_ref(8), Decimal("1050.00"), Decimal("32550.00"))


def test_section_13_citizen_schedule_only_in_midtjylland_by_the_operator_and_agreed_with_the_buyer(
    world: World,
) -> None:
    world.place(AALBORG, placement_id=_ref(2))
    world.place(AARHUS, acting=HERNING, paying=HERNING, placement_id=_ref(3))
    args = (date(2025, 3, 1), "1200.00", "420.00", [("Støtte", "7")])
    with UnitOfWork(world.engine) as uow, pytest.raises(Forbidden):
        register_citizen_schedule(uow, world.operator(AALBORG), NOW, _ref(2), *args, agreed_with_buyer=True)
    with UnitOfWork(world.engine) as uow, pytest.raises(Forbidden):
        register_citizen_schedule(uow, world.buyer(HERNING), NOW, _ref(3), *args, agreed_with_buyer=True)
    with UnitOfWork(world.engine) as uow, pytest.raises(InvalidSubmission):
        register_citizen_schedule(uow, world.operator(AARHUS), NOW, _ref(3), *args, agreed_with_buyer=False)
    with UnitOfWork(world.engine) as uow:
        first = register_citizen_schedule(uow, world.operator(AARHUS), NOW, _ref(3), *args, agreed_with_buyer=True)
    with UnitOfWork(world.engine) as uow:
        second = register_citizen_schedule(uow, world.operator(AARHUS), NOW, _ref(3), *args, agreed_with_buyer=True)
    assert (first, second) == (1, 2)  # a replacement is a new version; nothing is overwritten
    with world.engine.connect() as conn, pytest.raises((IntegrityError, DBAPIError)):
        conn.execute(text("UPDATE citizen_schedules SET basis_daily = 1"))


def test_r_ref_01_health_refund_claim_raised_once_seen_by_claimant_and_debtor_only(world: World) -> None:
    # Aalborg's offer lies in Aalborg; Hjørring pays; Aalborg's municipality claims its health services.
    world.place(AALBORG, acting=HJOERRING, paying=HJOERRING, placement_id=_ref(4))
    aalborg = world.buyer(AALBORG)
    with UnitOfWork(world.engine) as uow:
        register_health_service(uow, aalborg, NOW, _ref(4), 2025, 3, "Tandpleje", documented_cost="1234.56")
    with UnitOfWork(world.engine) as uow:
        register_health_service(uow, aalborg, NOW, _ref(4), 2025, 3, "Fysioterapi", documented_cost="765.44")
    with UnitOfWork(world.engine) as uow:
        first = run_health_refunds(uow, aalborg, NOW, 2025, 3)
    with UnitOfWork(world.engine) as uow:
        again = run_health_refunds(uow, aalborg, NOW, 2025, 3)
    assert (first.raised, again.raised, again.already) == (1, 0, 1)
    with UnitOfWork(world.engine) as uow:
        (claim,) = health_refund_claims(uow, aalborg)
        assert (claim.claimant_kommunekode, claim.debtor_kommunekode, claim.amount, claim.rule_id) == (
            AALBORG,
            HJOERRING,
            Decimal("2000.00"),
            "R-REF-01",
        )
        assert [c.id for c in health_refund_claims(uow, world.buyer(HJOERRING))] == [claim.id]
        assert health_refund_claims(uow, world.buyer(THISTED)) == []
        with pytest.raises(Forbidden):
            health_refund_claims(uow, world.operator(AALBORG))
    with world.engine.connect() as conn, pytest.raises((IntegrityError, DBAPIError)):
        conn.execute(text("UPDATE health_refund_claims SET amount = 1"))
    with UnitOfWork(world.engine) as uow, pytest.raises(Conflict):
        register_health_service(uow, world.buyer(HJOERRING), NOW, _ref(4), 2025, 3, "Hjemmepleje", hours="2")


def test_r_set_08_closing_costs_until_recorded_and_billed_at_most_a_month_more(world: World) -> None:
    world.place(AALBORG, offer_kind="interim", placement_id=_ref(5))
    world.place(AALBORG, placement_id=_ref(6))
    pk = world.place(AALBORG, offer_kind="interim", placement_id=_ref(7))
    world.notice(pk, date(2025, 5, 20), date(2025, 5, 20))
    operator = world.operator(AALBORG)
    with UnitOfWork(world.engine) as uow, pytest.raises(Conflict):
        record_closing_costs(uow, operator, NOW, _ref(5), date(2025, 6, 10))  # no notice yet
    with UnitOfWork(world.engine) as uow, pytest.raises(Conflict):
        record_closing_costs(uow, operator, NOW, _ref(6), date(2025, 6, 10))  # not an interim offer
    with UnitOfWork(world.engine) as uow, pytest.raises(Forbidden):
        record_closing_costs(uow, world.buyer(HJOERRING), NOW, _ref(7), date(2025, 6, 10))
    with UnitOfWork(world.engine) as uow:
        record_closing_costs(uow, operator, NOW, _ref(7), date(2025, 8, 31))
    _run(world, AALBORG, 2025, 6)
    closing = [
        line
        for line in _lines(world.engine, world.organisations[AALBORG], 2025, 6)
        if line.placement_id == _ref(7) and line.rule_id == "R-SET-08"
    ]
    # cut at the end of the notice month + 1 month: 30 June 2025 (R-SET-08)
    assert closing and max(line.period.end for line in closing) == date(2025, 6, 30)
