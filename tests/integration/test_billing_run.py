"""Handbook § 9, issue 5: the monthly billing run on SQLite and PostgreSQL, built by the migrations.

One invoice per payer per month with the handbook's amounts (R-SET-01, R-SET-03), due by the rule set
(R-SET-11); a re-run creates nothing; a change is a credit note and a new invoice, never an edit (R-SET-02);
simultaneous runs end with one set of invoices and gap-free numbers; the database refuses to change what is
issued; buyers owe what operators are owed; disputes are resolved by a correction run. A hypothesis state
machine drives placements, tariff changes, notices and corrections and checks that no placement-day is
billed twice or missed in the net of invoices and credit notes.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError

from rammeaftale.adapters.db import models as m
from rammeaftale.adapters.db.billing_repositories import NewInvoice
from rammeaftale.adapters.db.engine import make_engine, migrate
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.adapters.rulesets import get_ruleset
from rammeaftale.domain.invoices import DocumentKind
from rammeaftale.domain.money import ZERO
from rammeaftale.domain.notice import Contract, Notice, OfferKind
from rammeaftale.domain.periods import TariffRate
from rammeaftale.domain.settlement import Placement, bill_month
from rammeaftale.services import billing_queries
from rammeaftale.services.billing import run_month
from rammeaftale.services.billing_disputes import dispute_line, resolve_dispute
from rammeaftale.services.context import SYSTEM
from rammeaftale.services.errors import Conflict, Forbidden, InvalidSubmission, NotFound
from rammeaftale.services.financing import agreement_detail, issue_installments, register_agreement, true_up_agreement
from tests.integration.billing_world import (
    AALBORG,
    AARHUS,
    FJORDGAARDEN_DAILY,
    FREDERIKSHAVN,
    HERNING,
    HJOERRING,
    NOW,
    THISTED,
    World,
    build_world,
)
from tests.integration.test_concurrency import count, simultaneously

NORDJYLLAND = get_ruleset("nordjylland-2025-2026")


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


def run(world: World, month: int = 3, operator: int = AALBORG, year: int = 2025):
    with UnitOfWork(world.engine) as uow:
        return run_month(uow, world.operator(operator), NOW, world.organisations[operator], year, month)


def rows(engine: Engine) -> dict[str, int]:
    """Rows per billing table: what a re-run must leave alone."""
    tables = (m.InvoiceRow, m.InvoiceLineRow, m.RefundClaimRow, m.InvoiceNumberRow)
    with engine.connect() as conn:
        return {t.__tablename__: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}


def lines_of(engine: Engine, invoice_id: int) -> list[tuple[str, date, date, Decimal, Decimal, str]]:
    with UnitOfWork(engine) as uow:
        return [
            (s.line.kind.value, s.line.period.start, s.line.period.end, s.line.quantity, s.line.amount, s.line.rule_id)
            for s in uow.billing.lines([invoice_id])[invoice_id]
        ]


# --- one invoice per payer, the handbook's amounts, payment terms --------------------------------------------


def test_r_set_01_r_set_03_a_run_gives_one_invoice_per_payer_and_a_full_march_at_2070_25_is_64_177_75(world):
    world.place(acting=HJOERRING, paying=HJOERRING)
    world.place(acting=HJOERRING, paying=THISTED)  # standard contract: Hjørring pays and recovers from Thisted
    world.place(acting=HJOERRING, paying=THISTED, contract="older")  # older contract: Thisted is billed

    result = run(world)

    assert [(i.number, i.payer, i.kind, i.total) for i in result.issued] == [
        ("851-000001", THISTED, DocumentKind.INVOICE, Decimal("64177.75")),
        ("851-000002", HJOERRING, DocumentKind.INVOICE, Decimal("128355.50")),
    ]
    assert result.invoices == result.issued and result.total == Decimal("192533.25") and result.findings == ()
    march = (date(2025, 3, 1), date(2025, 3, 31))
    assert lines_of(world.engine, result.issued[0].id) == [
        ("service", *march, Decimal(31), Decimal("64177.75"), "R-SET-03")
    ]
    assert [line[4] for line in lines_of(world.engine, result.issued[1].id)] == [Decimal("64177.75")] * 2
    assert all(i.period.start == date(2025, 3, 1) and i.period.end == date(2025, 3, 31) for i in result.issued)


def test_r_set_11_payment_terms_come_from_the_rule_set_30_days_in_nordjylland_14_in_midtjylland(world):
    world.place(acting=HJOERRING, paying=HJOERRING)
    world.place(AARHUS, acting=HERNING, paying=HERNING)

    north, central = run(world), run(world, operator=AARHUS)

    issued_on = NOW().date()
    assert [(i.issued_on, i.due_on, i.ruleset_id) for i in north.issued] == [
        (issued_on, issued_on + timedelta(days=30), "nordjylland-2025-2026")
    ]
    assert [(i.due_on, i.ruleset_id, i.number) for i in central.issued] == [
        (issued_on + timedelta(days=14), "midtjylland-2025-2026", "751-000001")
    ]


def test_r_set_01_the_acting_municipality_recovers_from_the_paying_one_and_both_statements_show_the_claim(world):
    world.place(acting=HJOERRING, paying=THISTED)

    run(world)

    with UnitOfWork(world.engine) as uow:
        hjoerring = billing_queries.buyer_statement(uow, world.buyer(HJOERRING), world.organisations[HJOERRING])
        thisted = billing_queries.buyer_statement(uow, world.buyer(THISTED), world.organisations[THISTED])
    assert hjoerring.total == Decimal("64177.75") and thisted.total == ZERO
    assert [(c.claim.claimant, c.claim.debtor, c.claim.amount, c.claim.rule_id) for c in hjoerring.recovers] == [
        (HJOERRING, THISTED, Decimal("64177.75"), "R-SET-01")
    ]
    assert [c.claim for c in thisted.owes_refunds] == [c.claim for c in hjoerring.recovers]
    assert hjoerring.owes_refunds == () and thisted.recovers == ()


# --- idempotent; corrections by credit note and new invoice ------------------------------------------------------


def test_r_set_02_running_a_month_again_creates_nothing_new(world):
    world.place(acting=HJOERRING, paying=HJOERRING)
    world.place(acting=THISTED, paying=FREDERIKSHAVN)
    first = run(world)
    before = rows(world.engine)

    again = run(world)

    assert again.issued == () and again.unchanged == 2
    assert [i.id for i in again.invoices] == [i.id for i in first.invoices]
    assert rows(world.engine) == before
    assert count(world.engine, "SELECT count(*) FROM billing_runs") == 2  # both runs are recorded
    assert count(world.engine, "SELECT count(*) FROM audit_log WHERE action = 'billing.run'") == 2


def test_r_set_02_r_set_10_after_a_notice_a_credit_note_references_the_original_and_a_new_invoice_reconciles(world):
    closing = world.place(acting=HJOERRING, paying=HJOERRING)
    world.place(acting=HJOERRING, paying=HJOERRING)
    world.place(acting=THISTED, paying=THISTED)
    first = run(world)
    original = next(i for i in first.invoices if i.payer == HJOERRING)

    world.notice(closing, date(2025, 3, 10), date(2025, 3, 20), kind="acute_closure")  # R-SET-10: enrolled days only
    corrected = run(world)

    credit, new = corrected.issued
    assert (credit.kind, credit.credits_id, credit.credits_number, credit.total) == (
        DocumentKind.CREDIT_NOTE,
        original.id,
        original.number,
        -original.total,
    )
    assert (new.kind, new.payer, new.number, new.total) == (
        DocumentKind.INVOICE,
        HJOERRING,
        "851-000004",
        Decimal("64177.75") + 20 * FJORDGAARDEN_DAILY,
    )
    assert credit.number == "851-000003" and credit.due_on == credit.issued_on
    assert corrected.unchanged == 1  # Thisted's invoice stays as it was
    with UnitOfWork(world.engine) as uow:
        month = uow.billing.of_month(world.organisations[AALBORG], 2025, 3)
        kept = uow.billing.get(original.id)
    assert kept is not None and kept.total == original.total and kept.credited_by == credit.number and not kept.current
    assert sum((i.total for i in month), ZERO) == corrected.total == sum((i.total for i in corrected.invoices), ZERO)
    assert [line[3] for line in lines_of(world.engine, credit.id)] == [Decimal(-31), Decimal(-31)]


def test_r_set_02_a_placement_that_changes_payer_leaves_a_credit_note_only_for_the_old_payer(world):
    moving = world.place(acting=HJOERRING, paying=HJOERRING, contract="older")
    first = run(world)

    world.change(moving, paying_municipality=THISTED)
    corrected = run(world)

    assert [(i.kind, i.payer, i.total) for i in corrected.issued] == [  # payer by payer, in kommunekode order
        (DocumentKind.INVOICE, THISTED, first.total),
        (DocumentKind.CREDIT_NOTE, HJOERRING, -first.total),
    ]
    assert [i.payer for i in corrected.invoices] == [THISTED]


def test_r_set_03_a_tariff_change_is_corrected_and_every_earlier_month_billed_again_only_where_it_changed(world):
    pk = world.place(acting=HJOERRING, paying=HJOERRING, start=date(2025, 2, 10))
    february, march = run(world, 2), run(world, 3)
    assert february.total == 19 * FJORDGAARDEN_DAILY and march.total == 31 * FJORDGAARDEN_DAILY

    world.change(pk, negotiated_tariff=Decimal("2100.00"))
    assert run(world, 2).total == 19 * Decimal("2100.00")
    assert run(world, 3).total == 31 * Decimal("2100.00")
    assert run(world, 2).issued == () and run(world, 3).issued == ()


def test_findings_of_a_placement_do_not_stop_the_run_and_are_kept_on_it_r_set_04(world):
    world.place(acting=HJOERRING, paying=HJOERRING)
    provisional = world.place(acting=THISTED, paying=THISTED)
    world.notice(provisional, date(2025, 3, 1), date(2025, 3, 5), kind="provisional")  # not agreed: ignored

    result = run(world)

    assert [f.rule_id for f in result.findings] == ["R-SET-04"]
    assert result.findings[0].source == world.ref(provisional)
    assert {i.payer: i.total for i in result.invoices}[THISTED] == 31 * FJORDGAARDEN_DAILY  # billed as continuing
    with UnitOfWork(world.engine) as uow:
        (stored,) = uow.billing.runs(world.organisations[AALBORG], 2025, 3)
    assert [f["rule_id"] for f in stored.findings] == ["R-SET-04"] and stored.invoices_issued == 2


def test_a_month_that_has_not_begun_or_has_no_rule_set_is_refused_and_nothing_is_stored(world):
    world.place()
    with pytest.raises(InvalidSubmission, match="ikke begyndt"):
        run(world, 1, year=2027)
    with pytest.raises(InvalidSubmission, match="Måneden 2025-13 findes ikke"):
        run(world, 13)
    with pytest.raises(InvalidSubmission, match="regelsæt"):
        run(world, 1, year=2001)
    assert count(world.engine, "SELECT count(*) FROM billing_runs") == 0


# --- who may run and read ----------------------------------------------------------------------------------------


def test_another_organisations_operator_gets_not_found_and_other_roles_are_forbidden(world):
    world.place()
    aalborg = world.organisations[AALBORG]
    with UnitOfWork(world.engine) as uow:
        with pytest.raises(NotFound):
            run_month(uow, world.operator(1081), NOW, aalborg, 2025, 3)
        with pytest.raises(NotFound):
            run_month(uow, world.operator(AALBORG), NOW, 999_999, 2025, 3)
        with pytest.raises(Forbidden):
            run_month(uow, world.buyer(HJOERRING), NOW, aalborg, 2025, 3)
        with pytest.raises(NotFound):
            billing_queries.operator_invoices(uow, world.operator(AARHUS), aalborg)
    with UnitOfWork(world.engine) as uow:
        issued = run_month(uow, SYSTEM, NOW, aalborg, 2025, 3).issued  # the command line runs as the system
    with UnitOfWork(world.engine) as uow:
        invoice_id = issued[0].id
        for outsider in (world.operator(1081), world.buyer(THISTED), world.operator(AARHUS)):
            with pytest.raises(NotFound):
                billing_queries.invoice_detail(uow, outsider, NOW, invoice_id)
        detail = billing_queries.invoice_detail(uow, world.buyer(HJOERRING), NOW, invoice_id)
        with pytest.raises(NotFound):
            billing_queries.buyer_statement(uow, world.buyer(THISTED), world.organisations[HJOERRING])
    assert [s.line.rule_id for s in detail.lines] == ["R-SET-03"]
    with UnitOfWork(world.engine) as uow:  # the read of the placement's lines is logged
        assert [r.purpose for r in uow.audit.reads_of(detail.lines[0].line.placement_id)] == ["invoice.view"]


def test_what_buyers_owe_equals_what_operators_are_owed_r_set_01(world):
    for acting, paying, contract in (
        (HJOERRING, HJOERRING, "standard"),
        (HJOERRING, THISTED, "standard"),
        (THISTED, FREDERIKSHAVN, "older"),
        (FREDERIKSHAVN, None, "standard"),  # the paying municipality is in doubt: the acting one pays
    ):
        world.place(acting=acting, paying=paying, contract=contract)
        world.place(1081, acting=acting, paying=paying, contract=contract, tariff="1234.56")
    world.place(AARHUS, acting=HERNING, paying=HERNING)
    for month in (1, 2, 3):
        for operator in (AALBORG, 1081, AARHUS):
            run(world, month, operator)
    closing = world.place(acting=THISTED, paying=THISTED, start=date(2025, 2, 1))
    run(world, 3)
    world.notice(closing, date(2025, 3, 3), date(2025, 3, 3), kind="acute_closure")
    run(world, 3)

    with UnitOfWork(world.engine) as uow:
        owed = sum(
            (
                v.invoice.total
                for o in (AALBORG, 1081, AARHUS)
                for v in billing_queries.operator_invoices(uow, SYSTEM, world.organisations[o])
            ),
            ZERO,
        )
        owes = sum(
            (
                billing_queries.buyer_statement(uow, SYSTEM, world.organisations[b]).total
                for b in (HJOERRING, THISTED, FREDERIKSHAVN, HERNING, AARHUS, AALBORG)
            ),
            ZERO,
        )
    assert owed == owes > ZERO


# --- disputes ---------------------------------------------------------------------------------------------------


def test_r_set_02_a_buyer_disputes_a_line_and_the_operator_resolves_it_with_a_correction_run(world):
    wrong = world.place(acting=HJOERRING, paying=HJOERRING)
    (invoice,) = run(world).issued
    buyer, operator = world.buyer(HJOERRING), world.operator(AALBORG)
    with UnitOfWork(world.engine) as uow:
        raised = dispute_line(uow, buyer, NOW, invoice.id, 0, "Borgeren flyttede 20. marts.")
    assert (raised.status, raised.line_index, raised.reason) == ("open", 0, "Borgeren flyttede 20. marts.")
    with UnitOfWork(world.engine) as uow, pytest.raises(Conflict, match="åben indsigelse"):
        dispute_line(uow, buyer, NOW, invoice.id, 0, "Igen")
    with UnitOfWork(world.engine) as uow:
        unchanged = uow.billing.get(invoice.id)
    assert unchanged == invoice  # a dispute changes nothing on the invoice

    world.notice(wrong, date(2025, 3, 20), date(2025, 3, 20), kind="acute_closure")
    with UnitOfWork(world.engine) as uow:
        resolution = resolve_dispute(uow, operator, NOW, raised.id, "Rettet: udskrevet 20. marts.")

    assert resolution.credit_note is not None and resolution.credit_note.credits_id == invoice.id
    assert resolution.new_invoice is not None and resolution.new_invoice.total == 20 * FJORDGAARDEN_DAILY
    assert resolution.dispute.status == "resolved"
    assert (resolution.dispute.credit_note_id, resolution.dispute.new_invoice_id) == (
        resolution.credit_note.id,
        resolution.new_invoice.id,
    )
    assert resolution.dispute.resolution_run_id == resolution.run.run_id
    with UnitOfWork(world.engine) as uow, pytest.raises(Conflict, match="allerede afgjort"):
        resolve_dispute(uow, operator, NOW, raised.id, "Igen")
    with UnitOfWork(world.engine) as uow, pytest.raises(Conflict, match="krediteret"):
        dispute_line(uow, buyer, NOW, invoice.id, 0, "For sent")
    with UnitOfWork(world.engine) as uow, pytest.raises(Conflict, match="kreditnota"):
        dispute_line(uow, buyer, NOW, resolution.credit_note.id, 0, "Kreditnotaen")
    actions = [a for (a,) in _audit_actions(world.engine)]
    assert actions.count("invoice.disputed") == 1 and actions.count("dispute.resolved") == 1


def test_r_set_02_an_operator_that_finds_the_invoice_right_resolves_the_dispute_and_nothing_is_issued(world):
    world.place(acting=HJOERRING, paying=HJOERRING)
    (invoice,) = run(world).issued
    with UnitOfWork(world.engine) as uow:
        raised = dispute_line(uow, world.buyer(HJOERRING), NOW, invoice.id, 0, "Forkert takst?")
    before = rows(world.engine)
    with UnitOfWork(world.engine) as uow:
        resolution = resolve_dispute(uow, world.operator(AALBORG), NOW, raised.id, "Taksten er den aftalte.")
    assert resolution.credit_note is None and resolution.new_invoice is None and resolution.run.issued == ()
    assert rows(world.engine) == before


def test_only_the_payer_disputes_and_only_the_operator_resolves_with_a_reason_r_set_02(world):
    world.place(acting=HJOERRING, paying=HJOERRING)
    (invoice,) = run(world).issued
    with UnitOfWork(world.engine) as uow:
        with pytest.raises(NotFound):
            dispute_line(uow, world.buyer(THISTED), NOW, invoice.id, 0, "Ikke vores")
        with pytest.raises(Forbidden):
            dispute_line(uow, world.operator(AALBORG), NOW, invoice.id, 0, "Driftsherren selv")
        with pytest.raises(InvalidSubmission) as refused:
            dispute_line(uow, world.buyer(HJOERRING), NOW, invoice.id, 5, "  ")
    assert {f.field for f in refused.value.findings} == {"line_index", "reason"}
    with UnitOfWork(world.engine) as uow:
        raised = dispute_line(uow, world.buyer(HJOERRING), NOW, invoice.id, 0, "Forkert")
    with UnitOfWork(world.engine) as uow:
        with pytest.raises(Forbidden):
            resolve_dispute(uow, world.buyer(HJOERRING), NOW, raised.id, "Selv afgjort")
        with pytest.raises(NotFound):
            resolve_dispute(uow, world.operator(1081), NOW, raised.id, "Andens")
        with pytest.raises(InvalidSubmission):
            resolve_dispute(uow, world.operator(AALBORG), NOW, raised.id, " ")


def _audit_actions(engine: Engine) -> list[tuple[str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT action FROM audit_log ORDER BY id"))]


# --- concurrency: one set of invoices, gap-free numbers -----------------------------------------------------------


@pytest.mark.parametrize("n", [2, 5, 10])
def test_simultaneous_runs_of_the_same_month_end_with_one_set_of_invoices_and_gap_free_numbers(world, n):
    for payer in (HJOERRING, THISTED, FREDERIKSHAVN):
        world.place(acting=payer, paying=payer)
    operator, operator_id = world.operator(AALBORG), world.organisations[AALBORG]

    outcomes = simultaneously(world.engine, n, lambda uow, _: run_month(uow, operator, NOW, operator_id, 2025, 3))

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sum(len(o.issued) for o in outcomes) == 3  # one run issued, every other one found them unchanged
    assert all(len(o.invoices) == 3 for o in outcomes)
    numbers = sorted(r for (r,) in _numbers(world.engine))
    assert numbers == [1, 2, 3]
    assert count(world.engine, "SELECT count(*) FROM billing_runs") == n


@pytest.mark.parametrize("n", [4, 9])
def test_simultaneous_runs_of_several_months_and_corrections_number_every_document_once_without_gaps(world, n):
    pks = [world.place(acting=payer, paying=payer) for payer in (HJOERRING, THISTED)]
    operator, operator_id = world.operator(AALBORG), world.organisations[AALBORG]
    run(world, 1)
    world.change(pks[0], negotiated_tariff=Decimal("1999.99"))  # January needs a correction now

    outcomes = simultaneously(
        world.engine, n, lambda uow, i: run_month(uow, operator, NOW, operator_id, 2025, 1 + i % 3)
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    numbers = sorted(r for (r,) in _numbers(world.engine))
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) == 2 + 2 + 2 + 2  # January: 2 + credit note and new invoice; February and March: 2 each
    with UnitOfWork(world.engine) as uow:
        for month in (1, 2, 3):
            current = [i for i in uow.billing.of_month(operator_id, 2025, month) if i.current]
            assert sorted(i.payer for i in current) == [THISTED, HJOERRING]
        (counter,) = uow.session.execute(select(m.InvoiceNumberRow.next_number)).one()
    assert counter == len(numbers) + 1


def _numbers(engine: Engine) -> list[tuple[int]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT sequence FROM invoices"))]


# --- the database refuses to change what is issued --------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE invoices SET total = 0",
        "UPDATE invoices SET payer_kommunekode = 101",
        "DELETE FROM invoices",
        "UPDATE invoice_lines SET amount = 1",
        "DELETE FROM invoice_lines",
        "UPDATE refund_claims SET amount = 1",
        "DELETE FROM refund_claims",
        "UPDATE billing_runs SET invoices_issued = 0",
        "DELETE FROM billing_runs",
        "UPDATE invoice_numbers SET next_number = next_number - 1",
        "UPDATE invoice_numbers SET next_number = next_number + 1",
        "DELETE FROM invoice_numbers",
        "UPDATE disputes SET reason = 'ændret'",
        "DELETE FROM disputes",
    ],
)
def test_r_set_02_the_database_refuses_to_change_or_delete_issued_invoices_their_lines_claims_runs_and_numbers(
    world, statement
):
    world.place(acting=HJOERRING, paying=THISTED)
    (invoice,) = run(world).issued
    with UnitOfWork(world.engine) as uow:
        dispute_line(uow, world.buyer(HJOERRING), NOW, invoice.id, 0, "Indsigelse")
    before = rows(world.engine)
    with pytest.raises(IntegrityError), world.engine.begin() as conn:
        conn.execute(text(statement))
    assert rows(world.engine) == before
    with UnitOfWork(world.engine) as uow:
        assert uow.billing.get(invoice.id) == invoice


def test_a_dispute_is_resolved_once_in_the_database_and_numbers_cannot_skip_r_set_02(world):
    world.place(acting=HJOERRING, paying=HJOERRING)
    (invoice,) = run(world).issued
    with UnitOfWork(world.engine) as uow:
        raised = dispute_line(uow, world.buyer(HJOERRING), NOW, invoice.id, 0, "Indsigelse")
    resolve = "UPDATE disputes SET status = 'resolved', resolution = :r WHERE id = :id"
    with world.engine.begin() as conn:
        conn.execute(text(resolve), {"r": "Afgjort", "id": raised.id})
    with pytest.raises(IntegrityError), world.engine.begin() as conn:
        conn.execute(text(resolve), {"r": "Igen", "id": raised.id})
    with pytest.raises(IntegrityError), world.engine.begin() as conn:  # an invoice number out of sequence
        conn.execute(
            text(
                "INSERT INTO invoices (operator_id, run_id, payer_kommunekode, year, month, period_start, period_end,"
                " kind, sequence, number, credits_number, issued_on, due_on, total, line_count, status, ruleset_id,"
                " created_at) SELECT operator_id, run_id, payer_kommunekode, year, month, period_start, period_end,"
                " kind, 3, '851-000003', '', issued_on, due_on, total, 0, status, ruleset_id, created_at"
                " FROM invoices"
            )
        )
        conn.execute(text("UPDATE invoice_numbers SET next_number = 4"))


def test_a_line_or_claim_without_its_invoice_is_refused_by_the_database(world):
    world.place(acting=HJOERRING, paying=HJOERRING)
    run(world)
    before = rows(world.engine)
    for statement in (
        "INSERT INTO invoice_lines (invoice_id, position, placement_ref, kind, label, period_from, period_to,"
        " quantity, unit, unit_price, amount, rule_id) VALUES (999999, 0, 'P-X', 'service', 'Ydelse',"
        " '2025-03-01', '2025-03-31', 31, 'dag', 1, 31, 'R-SET-03')",
        "INSERT INTO refund_claims (invoice_id, placement_ref, claimant_kommunekode, debtor_kommunekode,"
        " period_from, period_to, amount, rule_id) VALUES (999999, 'P-X', 860, 787, '2025-03-01', '2025-03-31',"
        " 1, 'R-SET-01')",
    ):
        with pytest.raises(IntegrityError), world.engine.begin() as conn:
            conn.execute(text(statement))
    assert rows(world.engine) == before


def test_a_bulk_write_the_database_refuses_raises_its_integrity_error_and_writes_nothing(world):
    world.place(acting=HJOERRING, paying=HJOERRING)
    (invoice,) = run(world).issued
    with UnitOfWork(world.engine) as uow:
        (line,) = uow.billing.lines([invoice.id])[invoice.id]
    before = rows(world.engine)
    orphan = NewInvoice(
        operator_id=invoice.operator_id,
        run_id=invoice.run_id,
        payer=invoice.payer,
        year=2025,
        month=3,
        period=invoice.period,
        kind=DocumentKind.CREDIT_NOTE,
        sequence=2,
        number="851-000002",
        credits_id=999_999,  # no such invoice: the foreign key refuses the header
        credits_number="851-999999",
        issued_on=invoice.issued_on,
        due_on=invoice.issued_on,
        total=-line.line.amount,
        ruleset_id=invoice.ruleset_id,
        created_at=invoice.created_at,
        lines=((line.placement_id, line.line.negated()),),
    )
    with UnitOfWork(world.engine) as uow, pytest.raises(IntegrityError):
        uow.billing.add_invoices([orphan])
    assert rows(world.engine) == before


# --- the state machine (SQLite) ----------------------------------------------------------------------------------

MONTHS = range(1, 7)  # January to June 2025
PAYERS = (HJOERRING, THISTED, FREDERIKSHAVN)
DAYS = st.dates(date(2025, 1, 1), date(2025, 6, 30))


class BillingMachine(RuleBasedStateMachine):
    """Placements, tariff changes, notices, runs and disputes resolved by correction runs, against a model.

    The model keeps each placement as the domain sees it, and for every billed month the bills of its last
    run (``bill_month`` on the placements as they were then). Invariants: the net of every invoice and credit
    note of a month bills each placement-day exactly as that run's bills do (no day twice, none missed), the
    amounts agree, every payer has at most one current invoice a month, what the buyers owe on their statements
    is what the operator is owed, and the numbers are 1 … n. With objective financing of the offer (R-SET-12):
    its shares add up exactly to the amount, what a municipality is invoiced on account never exceeds its share
    and equals it once every installment is issued, and after the true-up it equals its share of the actual
    amount; a drawing right bills its holders' days at 0 kr. (R-OBJ-03) from the next run of a month.
    """

    placements = Bundle("placements")

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="billing-machine-"))
        self.engine = make_engine(f"sqlite:///{self.folder / 'machine.sqlite3'}")
        migrate(self.engine)
        self.world = build_world(self.engine)
        self.model: dict[int, Placement] = {}
        self.expected: dict[int, dict[str, Counter[date]]] = {}  # month -> placement -> billed days
        self.expected_total: dict[int, Decimal] = {}
        self.agreement: int | None = None  # objective financing of Aalborg's offer for 2025
        self.holders: frozenset[int] = frozenset()  # its drawing-right holders (R-OBJ-03)

    def teardown(self) -> None:
        self.engine.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)

    @initialize(target=placements)
    def first_placement(self) -> int:
        return self._add(HJOERRING, HJOERRING, "standard", "standard", date(2025, 1, 1), Decimal("2070.25"))

    @rule(
        target=placements,
        acting=st.sampled_from(PAYERS),
        paying=st.sampled_from((*PAYERS, None)),
        contract=st.sampled_from(("standard", "older")),
        kind=st.sampled_from(("standard", "special", "substitution")),
        start=DAYS,
        tariff=st.sampled_from(("2070.25", "1850.00", "999.99")),
    )
    def add_placement(self, acting, paying, contract, kind, start, tariff) -> int:
        return self._add(acting, paying, contract, kind, start, Decimal(tariff))

    def _add(self, acting, paying, contract, kind, start, tariff) -> int:
        pk = self.world.place(
            acting=acting, paying=paying, contract=contract, offer_kind=kind, start=start, tariff=tariff
        )
        self.model[pk] = Placement(
            self.world.ref(pk),
            OfferKind(kind),
            Contract(contract),
            acting,
            paying,
            start,
            (TariffRate(start, tariff, "Forhandlet takst"),),
        )
        return pk

    @rule(pk=placements, tariff=st.sampled_from(("2070.25", "2100.00", "1500.50")))
    def change_tariff(self, pk, tariff) -> None:
        value = Decimal(tariff)
        self.world.change(pk, negotiated_tariff=value)
        p = self.model[pk]
        self.model[pk] = Placement(
            p.placement_id, p.offer_kind, p.contract, p.acting_municipality, p.paying_municipality, p.start,
            (TariffRate(p.start, value, "Forhandlet takst"),), p.notice,
        )  # fmt: skip

    @rule(pk=placements, after=st.integers(0, 90), given_back=st.integers(0, 40), acute=st.booleans())
    def give_notice(self, pk, after, given_back, acute) -> None:
        p = self.model[pk]
        final = p.start + timedelta(days=after)
        given = max(p.start, final - timedelta(days=given_back))
        self.world.notice(pk, given, final, "acute_closure" if acute else "final")
        notice = Notice(given, final, acute_closure=acute)
        self.model[pk] = Placement(
            p.placement_id, p.offer_kind, p.contract, p.acting_municipality, p.paying_municipality, p.start,
            p.tariffs, notice,
        )  # fmt: skip

    @rule(month=st.sampled_from(MONTHS))
    def bill(self, month) -> None:
        run(self.world, month)
        self._expect(month)
        assert run(self.world, month).issued == ()  # a re-run creates nothing

    @rule(month=st.sampled_from(MONTHS), pick=st.integers(0, 1000))
    def dispute_and_correct(self, month, pick) -> None:
        with UnitOfWork(self.engine) as uow:
            current = [i for i in uow.billing.of_month(self.world.organisations[AALBORG], 2025, month) if i.current]
        if not current:
            return
        invoice = current[pick % len(current)]
        with UnitOfWork(self.engine) as uow:
            raised = dispute_line(uow, self.world.buyer(invoice.payer), NOW, invoice.id, 0, "Indsigelse")
        with UnitOfWork(self.engine) as uow:
            resolve_dispute(uow, self.world.operator(AALBORG), NOW, raised.id, "Rettet ved kørsel")
        self._expect(month)

    @precondition(lambda self: self.agreement is None)
    @rule(
        amount=st.integers(0, 2_000_000),
        weights=st.lists(st.integers(0, 50_000), min_size=3, max_size=3).filter(lambda w: sum(w) > 0),
        drawing_right=st.booleans(),
    )
    def finance(self, amount, weights, drawing_right) -> None:
        key = list(zip(PAYERS, weights, strict=True))
        with UnitOfWork(self.engine) as uow:
            agreement = register_agreement(
                uow, SYSTEM, NOW, "N-851-01", 2025, str(amount), "population", key, drawing_right
            )
        self.agreement = agreement.id
        self.holders = frozenset(code for code, w in key if w > 0) if drawing_right else frozenset()

    @precondition(lambda self: self.agreement is not None)
    @rule(through=st.integers(1, 12), settle=st.booleans(), actual=st.integers(0, 2_000_000))
    def invoice_on_account(self, through, settle, actual) -> None:
        assert self.agreement is not None
        with UnitOfWork(self.engine) as uow:
            if uow.financing.get(self.agreement).trued_up:  # type: ignore[union-attr]
                return
            issue_installments(uow, SYSTEM, NOW, self.agreement, 12 if settle else through)
        if settle:
            with UnitOfWork(self.engine) as uow:
                true_up_agreement(uow, SYSTEM, NOW, self.agreement, str(actual))

    def _expect(self, month: int) -> None:
        days: dict[str, Counter[date]] = {}
        total = ZERO
        for p in self.model.values():
            financer = p.paying_municipality if p.paying_municipality is not None else p.acting_municipality
            if financer in self.holders:
                p = dataclasses.replace(p, drawing_right=True)
            bill = bill_month(p, 2025, month, NORDJYLLAND)
            days[p.placement_id] = Counter(bill.billed_days)
            total += bill.total
        self.expected[month] = {ref: c for ref, c in days.items() if c}
        self.expected_total[month] = total

    @invariant()
    def every_placement_day_is_billed_once_in_the_net_of_invoices_and_credit_notes(self) -> None:
        operator_id = self.world.organisations[AALBORG]
        with UnitOfWork(self.engine) as uow:
            for month, expected in self.expected.items():
                documents = uow.billing.of_month(operator_id, 2025, month)
                net: dict[str, Counter[date]] = {}
                for stored in uow.billing.lines([d.id for d in documents]).values():
                    for s in stored:
                        sign = 1 if s.line.quantity > 0 else -1
                        days = net.setdefault(s.line.placement_id, Counter())
                        for day in s.line.days:
                            days[day] += sign
                net = {ref: +c for ref, c in net.items() if +c}
                assert all(n == 1 for c in net.values() for n in c.values()), "a day billed twice"
                assert net == expected
                assert sum((d.total for d in documents), ZERO) == self.expected_total[month]
                payers = [d.payer for d in documents if d.current]
                assert len(payers) == len(set(payers))

    @invariant()
    def what_buyers_owe_on_their_statements_equals_what_the_operator_is_owed(self) -> None:
        with UnitOfWork(self.engine) as uow:
            owed = sum((i.total for i in uow.billing.of_operator(self.world.organisations[AALBORG])), ZERO)
            owes = sum(
                (
                    billing_queries.buyer_statement(uow, self.world.buyer(k), self.world.organisations[k]).total
                    for k in PAYERS
                ),
                ZERO,
            )
        assert owes == owed

    @invariant()
    def objective_financing_is_invoiced_up_to_each_share_exactly(self) -> None:
        if self.agreement is None:
            return
        with UnitOfWork(self.engine) as uow:
            agreement = uow.financing.get(self.agreement)
            assert agreement is not None
            detail = agreement_detail(uow, SYSTEM, self.agreement)
        shares = {int(a.municipality): a.amount for a in detail.distribution.allocations}
        assert sum(shares.values(), ZERO) == agreement.amount  # R-OBJ-02: the allocations sum exactly
        invoiced: dict[int, Decimal] = {}
        for i in detail.invoices:
            invoiced[i.payer] = invoiced.get(i.payer, ZERO) + i.total
        if detail.true_up is not None:
            finals = {int(line.municipality): line.final_share for line in detail.true_up.lines}
            assert {k: v for k, v in invoiced.items() if v} == {k: v for k, v in finals.items() if v}
            assert sum(finals.values(), ZERO) == agreement.actual_amount
            return
        issued = {i.installment for i in detail.invoices}
        for code, share in shares.items():
            assert invoiced.get(code, ZERO) <= share
            if issued == set(range(1, 13)):
                assert invoiced.get(code, ZERO) == share

    @invariant()
    def invoice_numbers_are_one_to_n(self) -> None:
        numbers = sorted(r for (r,) in _numbers(self.engine))
        assert numbers == list(range(1, len(numbers) + 1))


BillingMachine.TestCase.settings = settings(
    max_examples=15, stateful_step_count=10, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_r_set_02_r_set_03_no_placement_day_is_billed_twice_or_missed_and_a_re_run_creates_nothing = BillingMachine.TestCase
