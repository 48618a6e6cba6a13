"""Objective financing (handbook section 10) stored by migration 0009: agreements registered by the secretariat,
on-account invoices in the operator's gap-free numbering, the year-end true-up (R-SET-12) and drawing rights in
the monthly run (R-OBJ-03); on SQLite and PostgreSQL. Everything is fictitious."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from rammeaftale.adapters.db import models as m
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.domain.invoices import DocumentKind
from rammeaftale.domain.settlement import LineKind
from rammeaftale.services.billing import run_month
from rammeaftale.services.billing_disputes import dispute_line
from rammeaftale.services.billing_queries import buyer_statement
from rammeaftale.services.context import Actor
from rammeaftale.services.errors import Conflict, Forbidden, InvalidSubmission, NotFound
from rammeaftale.services.financing import (
    agreement_detail,
    agreements,
    issue_installments,
    register_agreement,
    true_up_agreement,
)
from tests.conftest import fixed_clock
from tests.integration.billing_world import (
    AALBORG,
    AARHUS,
    FREDERIKSHAVN,
    HJOERRING,
    NOW,
    THISTED,
    World,
    build_world,
)

# handbook section 10: 1,000,000 kr over 12,345 / 23,456 / 34,567 gives 175,435 / 333,333 / 491,232 kr.
KEY = [(AALBORG, "12345"), (HJOERRING, "23456"), (THISTED, "34567")]
SHARES = {AALBORG: Decimal(175435), HJOERRING: Decimal(333333), THISTED: Decimal(491232)}


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


def _secretariat(world: World, region: int = 1081) -> Actor:
    return Actor(None, f"sekretariat.{region}", "secretariat", world.organisations[region], region)


def _register(world: World, **overrides: object) -> int:
    args: dict[str, object] = {
        "offer_code": "N-851-01",
        "year": 2025,
        "amount": "1000000",
        "key_kind": "population",
        "weights": KEY,
        "drawing_right": True,
    }
    args.update(overrides)
    with UnitOfWork(world.engine) as uow:
        return register_agreement(uow, _secretariat(world), NOW, **args).id  # type: ignore[arg-type]


@contextmanager
def refused(expected: str) -> Iterator[None]:
    """The block is refused with ``expected`` in the message or in one of its findings (every finding at once)."""
    with pytest.raises(InvalidSubmission) as caught:
        yield
    texts = [str(caught.value), *(f.message for f in caught.value.findings)]
    assert any(expected in t for t in texts), texts


def _invoices_of(world: World, agreement_id: int) -> list[tuple[str, int, Decimal, str, int | None]]:
    with UnitOfWork(world.engine) as uow:
        return [(i.number, i.payer, i.total, i.purpose, i.installment) for i in uow.billing.of_financing(agreement_id)]


def test_r_obj_02_agreement_shares_the_handbook_example_and_is_audited(world: World) -> None:
    agreement_id = _register(world)
    with UnitOfWork(world.engine) as uow:
        detail = agreement_detail(uow, _secretariat(world), agreement_id)
        assert {int(a.municipality): a.amount for a in detail.distribution.allocations} == SHARES
        assert detail.installments_per_year == 12
        assert sum((i.amount for i in detail.installments), Decimal(0)) == Decimal(1000000)
        entry = uow.session.scalars(select(m.AuditEntry).where(m.AuditEntry.action == "financing.register")).one()
        assert entry.entity_id == str(agreement_id)
        # the municipalities in the key see it; a municipality outside it and another region do not
        assert [a.id for a in agreements(uow, world.buyer(THISTED))] == [agreement_id]
        assert agreements(uow, world.buyer(FREDERIKSHAVN)) == ()
        assert agreements(uow, _secretariat(world, 1082)) == ()
        with pytest.raises(NotFound):
            agreement_detail(uow, world.operator(AARHUS), agreement_id)
    with world.engine.connect() as conn, pytest.raises((IntegrityError, DBAPIError)):
        conn.execute(text("UPDATE financing_agreements SET amount = 1"))
    with world.engine.connect() as conn, pytest.raises((IntegrityError, DBAPIError)):
        conn.execute(text("DELETE FROM financing_weights"))


def test_r_obj_01_bad_agreements_are_refused_with_every_finding_and_nothing_saved(world: World) -> None:
    with UnitOfWork(world.engine) as uow, pytest.raises(InvalidSubmission) as bad:
        register_agreement(
            uow,
            _secretariat(world),
            NOW,
            "N-851-01",
            2025,
            "1000000,50",
            "guesswork",
            [(AALBORG, "1"), (AALBORG, "2"), (AARHUS, "3"), (HJOERRING, "-1")],
        )
    fields = sorted(f.field for f in bad.value.findings)
    assert fields == ["amount", "key_kind", "weights[1]", "weights[2]", "weights[3]"]
    assert all(f.rule_id in ("R-OBJ-01", "R-OBJ-02") for f in bad.value.findings)
    with UnitOfWork(world.engine) as uow:
        assert uow.session.scalars(select(m.FinancingAgreementRow)).all() == []
        with pytest.raises(Forbidden):
            register_agreement(uow, world.operator(AALBORG), NOW, "N-851-01", 2025, "1", "population", KEY)
        with pytest.raises(NotFound):  # another region's offer
            register_agreement(uow, _secretariat(world, 1082), NOW, "N-851-01", 2025, "1", "population", KEY)
    _register(world)
    with UnitOfWork(world.engine) as uow, refused("allerede en aftale"):
        register_agreement(uow, _secretariat(world), NOW, "N-851-01", 2025, "5", "population", KEY)


def test_r_set_12_installments_take_the_operators_gap_free_numbers_and_are_issued_once(world: World) -> None:
    world.place(AALBORG)
    with UnitOfWork(world.engine) as uow:
        first_run = run_month(uow, world.operator(AALBORG), NOW, world.organisations[AALBORG], 2025, 3)
    agreement_id = _register(world, drawing_right=False)
    with UnitOfWork(world.engine) as uow:
        issued = issue_installments(uow, world.operator(AALBORG), NOW, agreement_id, through=2)
    assert len(issued.issued) == 6  # two installments to three municipalities
    with UnitOfWork(world.engine) as uow:
        rest = issue_installments(uow, world.operator(AALBORG), NOW, agreement_id)
    with UnitOfWork(world.engine) as uow:
        again = issue_installments(uow, world.operator(AALBORG), NOW, agreement_id)
    assert again.issued == () and again.run_id is None
    invoices = _invoices_of(world, agreement_id)
    assert len(invoices) == 36 and {p for _, _, _, p, _ in invoices} == {"on_account"}
    per_payer: dict[int, Decimal] = {}
    for _, payer, total, _, _ in invoices:
        per_payer[payer] = per_payer.get(payer, Decimal(0)) + total
    assert per_payer == SHARES  # the installments add up to each share exactly
    with UnitOfWork(world.engine) as uow:
        numbers = sorted(i.sequence for i in uow.billing.of_operator(world.organisations[AALBORG]))
        assert numbers == list(range(1, len(first_run.issued) + 36 + 1))
        # the monthly run never corrects on-account invoices and lists only its own runs
        rerun = run_month(uow, world.operator(AALBORG), NOW, world.organisations[AALBORG], 2025, 3)
        assert rerun.issued == ()
        assert len(uow.billing.runs(world.organisations[AALBORG], 2025, 3)) == 2
        with pytest.raises(NotFound):
            issue_installments(uow, world.operator(AARHUS), NOW, agreement_id)
        with pytest.raises(Forbidden):
            issue_installments(uow, world.buyer(HJOERRING), NOW, agreement_id)
        entries = uow.session.scalars(select(m.AuditEntry).where(m.AuditEntry.action == "financing.on_account")).all()
        assert len(entries) == 2
    assert rest.issued[0].installment == 3


def test_r_set_12_installment_of_a_month_not_begun_is_refused(world: World) -> None:
    agreement_id = _register(world, year=2026)
    with UnitOfWork(world.engine) as uow, refused("Rate 12 kan faktureres fra"):
        issue_installments(uow, world.operator(AALBORG), NOW, agreement_id, through=12)
    with UnitOfWork(world.engine) as uow:
        issued = issue_installments(uow, world.operator(AALBORG), NOW, agreement_id)
    assert {i.installment for i in issued.issued} == set(range(1, 12))  # 22-11-2026: December has not begun
    with UnitOfWork(world.engine) as uow, refused("kan afregnes fra 01-01-2027"):
        true_up_agreement(uow, world.operator(AALBORG), NOW, agreement_id, "1000000")


def test_r_set_12_true_up_invoices_and_credits_the_differences_to_the_actual_amount(world: World) -> None:
    agreement_id = _register(world)
    with UnitOfWork(world.engine) as uow, refused("Fakturér først alle"):
        true_up_agreement(uow, world.operator(AALBORG), NOW, agreement_id, "900000")
    with UnitOfWork(world.engine) as uow:
        issue_installments(uow, world.operator(AALBORG), NOW, agreement_id)
    # the actual year: 900,000 kr, and Thisted used the offer less than its population suggested
    actual_key = [(AALBORG, "12345"), (HJOERRING, "23456"), (THISTED, "10000"), (FREDERIKSHAVN, "5000")]
    with UnitOfWork(world.engine) as uow:
        result = true_up_agreement(uow, world.operator(AALBORG), NOW, agreement_id, "900000", actual_key)
    by_payer = {i.payer: i for i in result.issued}
    assert set(by_payer) == {AALBORG, HJOERRING, THISTED, FREDERIKSHAVN}
    assert by_payer[THISTED].kind is DocumentKind.CREDIT_NOTE and by_payer[THISTED].total < 0
    thisted_on_account = [
        n
        for n, payer, _, purpose, _ in _invoices_of(world, agreement_id)
        if purpose == "on_account" and payer == THISTED
    ]
    assert by_payer[THISTED].credits_number == thisted_on_account[-1]  # it credits its last installment
    assert by_payer[FREDERIKSHAVN].kind is DocumentKind.INVOICE  # paid nothing on account, now in the key
    assert sum((i.total for i in result.issued), Decimal(0)) == Decimal(900000) - Decimal(1000000)
    # what each municipality was invoiced in all is its final share of the actual amount (R-OBJ-02)
    with UnitOfWork(world.engine) as uow:
        detail = agreement_detail(uow, world.operator(AALBORG), agreement_id)
        assert detail.true_up is not None
        finals = {int(a.municipality): a.amount for a in detail.true_up.final.allocations}
        assert sum(finals.values()) == Decimal(900000)
        totals: dict[int, Decimal] = {}
        for i in detail.invoices:
            totals[i.payer] = totals.get(i.payer, Decimal(0)) + i.total
        assert totals == finals
        statement = buyer_statement(uow, world.buyer(THISTED), world.organisations[THISTED], 2025)
        assert statement.total == finals[THISTED]
        # a buyer sees its own documents of the agreement only
        own = agreement_detail(uow, world.buyer(THISTED), agreement_id)
        assert {i.payer for i in own.invoices} == {THISTED}
        with refused("allerede afregnet"):
            true_up_agreement(uow, world.operator(AALBORG), NOW, agreement_id, "900000")
        with refused("allerede afregnet"):
            issue_installments(uow, world.operator(AALBORG), NOW, agreement_id)
    with world.engine.connect() as conn, pytest.raises((IntegrityError, DBAPIError)):
        conn.execute(text("UPDATE financing_true_ups SET actual_amount = 1"))


def test_r_set_02_r_set_12_an_on_account_invoice_cannot_be_disputed_its_correction_is_the_true_up(
    world: World,
) -> None:
    agreement_id = _register(world)
    with UnitOfWork(world.engine) as uow:
        first = issue_installments(uow, world.operator(AALBORG), NOW, agreement_id, through=1).issued[0]
    buyer = world.buyer(first.payer)
    with UnitOfWork(world.engine) as uow, pytest.raises(Conflict, match="objektiv finansiering"):
        dispute_line(uow, buyer, NOW, first.id, 0, "Forkert andel")
    with UnitOfWork(world.engine) as uow:
        assert uow.billing.disputes([first.id]) == []


def test_r_set_12_true_up_with_no_difference_issues_nothing_but_is_recorded(world: World) -> None:
    agreement_id = _register(world)
    with UnitOfWork(world.engine) as uow:
        issue_installments(uow, world.operator(AALBORG), NOW, agreement_id)
    with UnitOfWork(world.engine) as uow:
        result = true_up_agreement(uow, world.operator(AALBORG), NOW, agreement_id, "1.000.000")
    assert result.issued == () and result.agreement.actual_amount == Decimal(1000000)


def test_r_obj_03_drawing_right_holders_are_billed_nothing_per_use(world: World) -> None:
    holder = world.place(AALBORG, acting=HJOERRING, paying=HJOERRING)
    outsider = world.place(AALBORG, acting=FREDERIKSHAVN, paying=FREDERIKSHAVN)
    _register(world)
    later = fixed_clock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    with UnitOfWork(world.engine) as uow:
        run = run_month(uow, world.operator(AALBORG), later, world.organisations[AALBORG], 2025, 3)
        lines = {
            s.placement_id: s.line for lines in uow.billing.lines([i.id for i in run.invoices]).values() for s in lines
        }
    assert lines[holder].kind is LineKind.DRAWING_RIGHT and lines[holder].amount == 0
    assert lines[holder].rule_id == "R-OBJ-03"
    assert lines[outsider].kind is LineKind.SERVICE and lines[outsider].amount > 0
    with UnitOfWork(world.engine) as uow:  # 2026 has no agreement: the holder is billed per day again
        run_2026 = run_month(uow, world.operator(AALBORG), later, world.organisations[AALBORG], 2026, 1)
        kinds = {s.line.kind for lines in uow.billing.lines([i.id for i in run_2026.invoices]).values() for s in lines}
    assert kinds == {LineKind.SERVICE}
