"""Use case: an operator's monthly billing run (handbook § 9, issue 5).

``run_month`` bills one operator's month in one transaction with one audit entry. The rules are the domain's
(``domain.settlement``): ``bill_month`` makes each placement's lines (R-SET-03 … R-SET-10, R-OBJ-03, R-SUP-02),
each line naming the rule that produced it; ``invoices_for_month`` makes one invoice per payer (R-SET-01) with
the rule set's payment terms (R-SET-11, ``due_date``); ``recovery_claim`` the acting municipality's refund
claim on the paying one (R-SET-01); ``same_lines`` and ``credit_note`` decide and make corrections (R-SET-02).
This module gathers their input from the database and stores what they decide.

- Idempotent: the month's current invoices are compared with what the rules give now. A payer whose lines
  (and refund claims) are the same gets nothing new, so running a month again creates no invoice.
- After a change (a placement, a tariff, a notice) the payer's current invoice is cancelled by a credit note
  that references it and a new invoice is issued; nothing issued is ever edited (the database refuses it).
  A payer with nothing left to pay gets the credit note only.
- Numbers are sequential and gap-free per operator: the runs of one operator are serialised (an advisory lock
  on PostgreSQL, SQLite's write lock), the numbers are taken in the run's transaction and the unique
  (operator, number) constraint is the last line; ``@write_use_case`` retries serialisation failures.
- Who: the operator (its own organisation only; another organisation's operator answers NotFound), or the
  system (the command line). Other roles: Forbidden.

Decisions (where the handbook is silent): the issue date is today; a month that has not begun is refused;
findings of single placements (a day without a tariff, a provisional notice) do not stop the run: their days
are not billed, and the findings are kept on the run and returned. Disputes: ``services/billing_disputes.py``;
reads: ``services/billing_queries.py``.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from rammeaftale.adapters.db.billing_repositories import NewInvoice, StoredInvoice, StoredLine
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.adapters.rulesets import UnknownRuleSet, get_ruleset, ruleset_for
from rammeaftale.domain.findings import Finding, Severity, has_errors
from rammeaftale.domain.invoices import DocumentKind, Invoice, credit_note, invoices_for_month, same_lines
from rammeaftale.domain.money import ZERO
from rammeaftale.domain.periods import Period, month_period
from rammeaftale.domain.refund_claims import RefundClaim, recovery_claim
from rammeaftale.domain.registry import Organisation
from rammeaftale.domain.rules import RuleSet
from rammeaftale.domain.settlement import MonthBill, Placement, bill_month
from rammeaftale.services.audit import audit
from rammeaftale.services.batch import cyclic_gc_paused
from rammeaftale.services.context import Actor, Clock, today
from rammeaftale.services.errors import Forbidden, InvalidSubmission, NotFound
from rammeaftale.services.refunds import schedule_rates, schedules_of_operator, with_schedules_and_closing_costs
from rammeaftale.services.retry import write_use_case
from rammeaftale.services.serialization import finding_to_data

FIRST_YEAR, LAST_YEAR = 2000, 2100
Progress = Callable[[int, int], None]  # (placements billed, placements in all), for a run's status page


@dataclass(frozen=True)
class RunResult:
    """What a run did: the documents it issued (credit notes and invoices, in number order), the month's
    current invoices after it, how many payers' invoices it found unchanged, and the placements' findings."""

    run_id: int
    operator: Organisation
    year: int
    month: int
    issued: tuple[StoredInvoice, ...]
    invoices: tuple[StoredInvoice, ...]
    unchanged: int
    placements: int
    findings: tuple[Finding, ...]

    @property
    def total(self) -> Decimal:
        """What the month's current invoices add up to (the net of everything issued for the month)."""
        return sum((i.total for i in self.invoices), ZERO)

    @property
    def credit_notes(self) -> tuple[StoredInvoice, ...]:
        return tuple(i for i in self.issued if i.kind is DocumentKind.CREDIT_NOTE)


def operator_code(operator: Organisation) -> int:
    """The operator as invoices and the command line name it: its kommunekode, or a region's region code."""
    return operator.kommunekode if operator.kommunekode is not None else operator.region_code


def invoice_number(operator: Organisation, sequence: int) -> str:
    """'851-000001': the operator's code and its own running number."""
    return f"{operator_code(operator)}-{sequence:06d}"


def billing_month(year: int, month: int) -> Period:
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        raise InvalidSubmission(f"Måneden {year}-{month:02d} findes ikke.", [])
    return month_period(year, month)


def billing_rules(uow: UnitOfWork, region_code: int, year: int) -> RuleSet:
    """The rule set of the operator's region and the month's year; none is a finding (422), never a crash."""
    ruleset_id = uow.organisations.period_ruleset(region_code, year)
    try:
        return get_ruleset(ruleset_id) if ruleset_id else ruleset_for(region_code, year)
    except UnknownRuleSet as exc:
        raise InvalidSubmission(str(exc), [Finding("§ 5", Severity.ERROR, str(exc), "year")]) from exc


def billing_operator(uow: UnitOfWork, actor: Actor, operator_id: int) -> Organisation:
    """The operator when the actor is it (or the system); another organisation answers NotFound."""
    if actor.role != "system" and not actor.is_operator:
        raise Forbidden("Kun driftsherren kan fakturere sine tilbud.")
    operator = uow.organisations.get(operator_id)
    if operator is None or (actor.role != "system" and actor.organisation_id != operator_id):
        raise NotFound("Driftsherren findes ikke.")
    return operator


def domain_invoice(operator: Organisation, invoice: StoredInvoice, lines: Sequence[StoredLine]) -> Invoice:
    """A stored invoice as the domain's value (number and lines as issued)."""
    return Invoice(
        operator=operator_code(operator),
        payer=invoice.payer,
        month=invoice.period,
        issued_on=invoice.issued_on,
        due_on=invoice.due_on,
        lines=tuple(s.line for s in lines),
        total=invoice.total,
        kind=invoice.kind,
        number=invoice.number,
        credits=invoice.credits_number,
    )


# --- the run ---------------------------------------------------------------------------------------------


@write_use_case
def run_month(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    operator_id: int,
    year: int,
    month: int,
    progress: Progress | None = None,
) -> RunResult:
    """Bill the operator's month: new invoices, corrections after a change, nothing when nothing changed.
    ``progress`` is told (placements billed, placements in all) as the run goes (the web page's progress bar)."""
    result = bill_operator_month(uow, actor, clock, operator_id, year, month, progress)
    uow.commit()
    return result


@dataclass(frozen=True)
class _Issue:
    """One document the run issues; a credit note names the stored invoice it cancels."""

    invoice: Invoice
    placement_ids: tuple[int | None, ...]
    claims: tuple[RefundClaim, ...]
    cancels: StoredInvoice | None = None


def bill_operator_month(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    operator_id: int,
    year: int,
    month: int,
    progress: Progress | None = None,
) -> RunResult:
    """The run inside the caller's write transaction (``run_month``, or a dispute's correction run); no commit."""
    with cyclic_gc_paused():  # a month of a large operator is a batch of millions of small values
        return _bill_month(uow, actor, clock, operator_id, year, month, progress)


PROGRESS_EVERY = 100  # placements between two progress reports


def _bill_month(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    operator_id: int,
    year: int,
    month: int,
    progress: Progress | None = None,
) -> RunResult:
    started = clock()
    operator = billing_operator(uow, actor, operator_id)
    period = billing_month(year, month)
    rules = billing_rules(uow, operator.region_code, year)
    issued_on = today(clock)
    if issued_on < period.start:
        raise InvalidSubmission(
            f"Måneden {year}-{month:02d} er ikke begyndt; den kan faktureres fra {period.start.isoformat()}.", []
        )
    uow.billing.lock(operator.id)  # every check and number below sees what the operator's last run committed

    # § 13 citizen schedules' daily rates from their effective dates (a placement whose only tariff is its
    # schedule is billed too); R-SET-08 closing costs on the notice
    schedules = schedules_of_operator(uow, operator.id)
    placements = uow.placements.billable(operator.id, period.start, period.end, schedule_rates(schedules))
    placements = with_schedules_and_closing_costs(uow, placements, schedules)
    placements = with_drawing_rights(uow, operator.id, year, placements)  # R-OBJ-03, objective financing
    ids = {p.placement_id: placement_id for placement_id, p in placements}
    if progress is None:
        bills = [bill_month(p, year, month, rules) for _, p in placements]
    else:
        bills = []
        progress(0, len(placements))
        for done, (_, p) in enumerate(placements, start=1):
            bills.append(bill_month(p, year, month, rules))
            if done % PROGRESS_EVERY == 0 or done == len(placements):
                progress(done, len(placements))
    fresh, terms = invoices_for_month(operator_code(operator), bills, issued_on, rules)
    if has_errors(terms):
        raise InvalidSubmission("Måneden kan ikke faktureres med regelsættets betalingsbetingelser.", list(terms))
    findings = tuple(f.located(b.placement_id) for b in bills for f in b.findings)

    current = [i for i in uow.billing.of_month(operator.id, year, month) if i.current]
    plan, unchanged = _plan(uow, operator, current, fresh, ids, _claims_by_payer(bills), issued_on)

    first = uow.billing.next_number(operator.id) if plan else 0
    finished = clock()  # everything is decided; the writes below commit with the run
    run_id = uow.billing.add_run(
        operator_id=operator.id,
        year=year,
        month=month,
        ruleset_id=rules.id,
        issued_on=issued_on,
        started_at=started,
        finished_at=finished,
        actor_id=actor.user_id,
        actor_name=actor.username[:100],
        placements=len(placements),
        invoices_issued=sum(1 for p in plan if p.cancels is None),
        credit_notes_issued=sum(1 for p in plan if p.cancels is not None),
        unchanged=unchanged,
        lines_written=sum(len(p.invoice.lines) for p in plan),
        findings=[finding_to_data(f) for f in findings],
    )
    new = [
        NewInvoice(
            operator_id=operator.id,
            run_id=run_id,
            payer=p.invoice.payer,
            year=year,
            month=month,
            period=p.invoice.month,
            kind=p.invoice.kind,
            sequence=first + n,
            number=invoice_number(operator, first + n),
            credits_id=p.cancels.id if p.cancels else None,
            credits_number=p.invoice.credits,
            issued_on=p.invoice.issued_on,
            due_on=p.invoice.due_on,
            total=p.invoice.total,
            ruleset_id=rules.id,
            created_at=finished,
            lines=tuple(zip(p.placement_ids, p.invoice.lines, strict=True)),
            claims=p.claims,
        )
        for n, p in enumerate(plan)
    ]
    issued = tuple(uow.billing.add_invoices(new))
    if plan:
        uow.billing.numbers_used(operator.id, first + len(plan))
    cancelled = {p.cancels.id for p in plan if p.cancels is not None}
    kept = [i for i in current if i.id not in cancelled]
    invoices = tuple(sorted((*kept, *(i for i in issued if i.current)), key=lambda i: i.sequence))
    audit(
        uow,
        clock,
        actor,
        "billing.run",
        "billing_run",
        run_id,
        operator_id=operator.id,
        year=year,
        month=month,
        ruleset_id=rules.id,
        placements=len(placements),
        unchanged=unchanged,
        issued=[i.number for i in issued],
        findings=len(findings),
        before={"invoices": {i.number: f"{i.total:.2f}" for i in current}},
        after={"invoices": {i.number: f"{i.total:.2f}" for i in invoices}},
    )
    return RunResult(run_id, operator, year, month, issued, invoices, unchanged, len(placements), findings)


def with_drawing_rights(
    uow: UnitOfWork, operator_id: int, year: int, placements: Sequence[tuple[int, Placement]]
) -> list[tuple[int, Placement]]:
    """R-OBJ-03: a placement whose paying municipality (the acting one while it is in doubt) holds a drawing
    right on the offer that year, by an agreement of objective financing, is billed at 0 kr. a day."""
    holders = uow.financing.drawing_rights(operator_id, year)
    return [
        (pk, dataclasses.replace(p, drawing_right=True)) if _financer(p) in holders.get(pk, frozenset()) else (pk, p)
        for pk, p in placements
    ]


def _financer(placement: Placement) -> int:
    paying = placement.paying_municipality
    return paying if paying is not None else placement.acting_municipality


def _claims_by_payer(bills: Sequence[MonthBill]) -> dict[int, list[RefundClaim]]:
    """R-SET-01: each bill's recovery claim, by the payer whose invoice it belongs to."""
    found: dict[int, list[RefundClaim]] = defaultdict(list)
    for bill in sorted(bills, key=lambda b: b.placement_id):
        claim = recovery_claim(bill)
        if claim is not None:
            found[bill.payer.municipality].append(claim)
    return found


def _same_claims(a: Sequence[RefundClaim], b: Sequence[RefundClaim]) -> bool:
    def key(c: RefundClaim) -> tuple[str, int, int, date, Decimal, str]:
        return (c.placement_id, c.claimant, c.debtor, c.period.start, c.amount, c.rule_id)

    return sorted(map(key, a)) == sorted(map(key, b))


def _plan(
    uow: UnitOfWork,
    operator: Organisation,
    current: Sequence[StoredInvoice],
    fresh: Sequence[Invoice],
    ids: dict[str, int],
    claims: dict[int, list[RefundClaim]],
    issued_on: date,
) -> tuple[list[_Issue], int]:
    """What to issue, payer by payer: nothing (unchanged), a new invoice, or a credit note and a new invoice
    (R-SET-02); and how many payers were unchanged."""
    old_by_payer = {i.payer: i for i in current}
    new_by_payer = {i.payer: i for i in fresh}
    stored_lines = uow.billing.lines([i.id for i in current])
    stored_claims = uow.billing.claims([i.id for i in current])
    plan: list[_Issue] = []
    unchanged = 0
    for payer in sorted(old_by_payer.keys() | new_by_payer.keys()):
        old, new = old_by_payer.get(payer), new_by_payer.get(payer)
        if old is not None:
            lines = stored_lines[old.id]
            if (
                new is not None
                and same_lines([s.line for s in lines], new.lines)
                and _same_claims(stored_claims[old.id], claims.get(payer, []))
            ):
                unchanged += 1
                continue
            cancelling = credit_note(domain_invoice(operator, old, lines), issued_on)
            plan.append(_Issue(cancelling, tuple(s.placement_id for s in lines), (), old))
        if new is not None:
            placement_ids = tuple(ids.get(line.placement_id) for line in new.lines)
            plan.append(_Issue(new, placement_ids, tuple(claims.get(payer, []))))
    return plan, unchanged
