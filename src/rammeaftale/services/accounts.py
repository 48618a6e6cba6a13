"""Use case: an operator submits (or corrects) an offer's accounts for a year (handbook § 7).

One transaction with one audit entry: the accounts version, the regulations it puts into later tariffs
(R-SUR-03, R-SUR-05, R-NEW-02, R-SUR-06), the reserve it creates in the operator's ledger (R-SUR-01,
R-SUR-02) and an early repayment to the buyers (R-SUR-07). The rules are the domain's
(``domain.accounts``, ``domain.accounts_submission``); this module only gathers their input from the
database and stores what they decide. Reads and overviews: ``services/accounts_queries.py``; the ledger's
own use cases: ``services/reserves.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from rammeaftale.adapters.db.accounts_repositories import REPAYMENT, TARIFF, StoredAccounts, created_in
from rammeaftale.adapters.db.models import AccountsRegulationRow, AccountsSubmissionRow
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.domain.accounts import (
    AccountsLevel,
    Consequence,
    Installment,
    LedgerOffer,
    Repayment,
    ReserveEntry,
    ReserveLedger,
    ResultKind,
    carry_forward_interest,
    check_accounts_deadline,
    check_accounts_level,
    early_repayment,
)
from rammeaftale.domain.accounts_submission import (
    AccountsSubmission,
    accounts_consequence,
    accounts_submission_to_data,
)
from rammeaftale.domain.findings import Finding, Severity, has_errors
from rammeaftale.domain.money import ZERO, round_ore_half_up
from rammeaftale.domain.registry import Offer
from rammeaftale.domain.rules import RuleSet
from rammeaftale.services.accounts_support import (
    accounts_rules,
    accounts_state,
    error,
    kr,
    offer_for_operator,
    purchases_from_billing,
)
from rammeaftale.services.audit import audit
from rammeaftale.services.context import Actor, Clock, today
from rammeaftale.services.errors import InvalidSubmission
from rammeaftale.services.retry import write_use_case
from rammeaftale.services.serialization import finding_to_data

FINAL_TARIFF = ("approved", "published")  # tariff submissions whose cost base the accounts are measured on
NOT_SAVED = "Regnskabet har fejl og er ikke gemt."
STORABLE = Decimal("1e14")  # amounts are stored as NUMERIC(16, 2): below 10^14 kr.
Locate = Callable[[list[Finding]], list[Finding]]


@dataclass(frozen=True)
class Submitted:
    """What ``submit_accounts`` stored: the new version and the findings kept with it (warnings only)."""

    accounts_id: int
    version: int
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class _Regulation:
    kind: str
    budget_year: int
    amount: Decimal
    interest: Decimal
    rule_ids: tuple[str, ...]
    note: str
    buyer_id: int | None = None
    purchases: Decimal | None = None


@dataclass
class _Plan:
    """What the rules decided for one accounts version, before anything is stored."""

    reserved: Decimal = ZERO
    entries: tuple[ReserveEntry, ...] = ()
    repayment: Repayment | None = None
    regulations: list[_Regulation] = field(default_factory=list)


def tariff_cost_base(uow: UnitOfWork, offer: Offer, year: int, target_group: str) -> tuple[Decimal, list[int]] | None:
    """The year's tariff cost base from the approved or published tariff submissions (their ``cost_base``).

    Per offer: every service of the offer must have one; their cost bases add up. Per target group: the
    final submissions whose target group is exactly that group. None: measure against the stated figure.
    """
    rows = [uow.submissions.latest(s.id, year, FINAL_TARIFF) for s in offer.services]
    final = [r for r in rows if r is not None]
    if target_group:
        final = [r for r in final if str(r.payload.get("offer", {}).get("target_group", "")).strip() == target_group]
    elif len(final) != len(rows):
        final = []
    if not final:
        return None
    return sum((r.cost_base for r in final), ZERO), [r.id for r in final]


def _registry_findings(uow: UnitOfWork, offer: Offer, s: AccountsSubmission, rules: RuleSet) -> list[Finding]:
    """The server, not the file, decides which offer and rule set the accounts belong to."""
    found = []
    if s.offer_code != offer.code:
        found.append(
            error("R-ACC-01", "offer_code", f"Regnskabet angiver tilbuddet '{s.offer_code}', men er for {offer.code}.")
        )
    if s.ruleset_id != rules.id:
        message = f"Regnskabet angiver regelsættet '{s.ruleset_id}', men {s.accounts_year} hører under '{rules.id}'."
        found.append(error("R-CYC-01", "ruleset", message))
    groups = {g for v in uow.offers.versions(offer.id) for g in v.target_groups}
    if s.level is AccountsLevel.TARGET_GROUP and s.target_group not in groups:
        found.append(error("R-ACC-01", "target_group", f"Tilbuddet har ikke målgruppen '{s.target_group[:80]}'."))
    return found


# --- the use case --------------------------------------------------------------------------------------


@write_use_case
def submit_accounts(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    offer_id: int,
    submission: AccountsSubmission | None,
    source: str,
    reason: str = "",
    *,
    purchases: Mapping[int, Decimal] | None = None,
    reading_findings: Sequence[Finding] = (),
    locate: Locate = list,
) -> Submitted:
    """Store an offer's accounts for a year with their consequences, or refuse them with every finding.

    - Only the offer's operator (another organisation's offer: NotFound). A second submission for the same
      offer, year and target group is a correction: a new version with ``reason`` that supersedes the
      current one, whose regulations then no longer count (nothing is changed or deleted).
    - R-ACC-01: the same level (offer or target group) as the offer's accounts of the other years.
    - The cost base is the year's approved or published tariff's (``tariff_cost_base``), else the one the
      accounts state (a different stated figure is a warning), else a finding (``accounts_consequence``).
    - R-CYC-01: accounts after the rule set's deadline are stored and flagged late.
    - R-SUR-01/02: the reserve requested (default: all allowed) is created in the ledger, with its year of
      origin and expiry year; what is not reserved lowers the tariff like the excess. A correction books
      only the difference; it cannot take back a reserve already booked (the ledger has no reversal).
    - R-SUR-07: an early repayment of (part of) the excess is shared by ``purchases`` (buyer organisation
      id -> purchases in the accounts year): the ones entered, else what billing invoiced the payers for the
      offer's placements that year (net of credit notes); the shares are stored as repayment regulations
      and the excess left lowers the tariff.
    - Errors (reading, registry, rules, ledger) raise InvalidSubmission with all findings; nothing is saved.
    """
    uow.offers.lock(offer_id)
    offer = offer_for_operator(uow, actor, offer_id)
    reading = list(reading_findings)
    if submission is None or has_errors(reading):
        raise InvalidSubmission(NOT_SAVED, locate(reading))
    submission = replace(submission, remarks=submission.remarks.replace("\x00", ""))  # text columns hold no NUL
    reason = reason.replace("\x00", "")
    year, group = submission.accounts_year, submission.target_group
    rules = accounts_rules(uow, offer.operator.region_code, year)
    findings = [*reading, *_registry_findings(uow, offer, submission, rules)]
    previous = uow.accounts.current(offer.id, year, group)
    if previous is not None and not reason.strip():
        findings.append(
            error("R-ACC-01", "reason", f"Der er allerede et regnskab for {year}; en rettelse kræver en begrundelse.")
        )
    others = [
        a for a in uow.accounts.current_for_offers([offer.id]) if (a.accounts_year, a.target_group) != (year, group)
    ]
    findings += check_accounts_level(submission.level, [AccountsLevel(a.level) for a in others])
    tariff = tariff_cost_base(uow, offer, year, group)
    cost_base, base_source, base_ids = (
        (tariff[0], "tariff", tariff[1]) if tariff else (submission.cost_base, "stated", [])
    )
    if tariff and submission.cost_base is not None and submission.cost_base != tariff[0]:
        findings.append(
            Finding(
                "R-SUR-01",
                Severity.WARNING,
                f"Regnskabet angiver takstberegningsgrundlaget {kr(submission.cost_base)}, men den godkendte takst "
                f"for {year} bygger på {kr(tariff[0])}; resultatet måles mod den godkendte takst.",
                "cost_base",
            )
        )
    if purchases is None:  # R-SUR-07: the purchases billed in the accounts year, where billing data exists
        purchases = purchases_from_billing(uow, offer.id, year)
    findings += _storable(submission, cost_base, purchases or {})
    consequence, more = accounts_consequence(submission, rules, cost_base)
    findings += more
    received = today(clock)
    late = check_accounts_deadline(year, received, rules)
    findings += late
    plan = _Plan()
    if consequence is not None:
        uow.reserves.lock(offer.operator.id)
        plan, more = _plan(uow, offer, submission, consequence, rules, previous, purchases or {}, received.year)
        findings += more
    if consequence is None or cost_base is None or has_errors(findings):
        raise InvalidSubmission(NOT_SAVED, locate(findings))
    kept = locate(findings)
    row = AccountsSubmissionRow(
        offer_id=offer.id,
        operator_id=offer.operator.id,
        accounts_year=year,
        target_group=group,
        version=uow.accounts.next_version(offer.id, year, group),
        level=submission.level.value,
        ruleset_id=rules.id,
        source=source,
        data=accounts_submission_to_data(submission),
        findings=[finding_to_data(f) for f in kept],
        new_offer=submission.new_offer,
        costs_total=submission.costs_total,
        income_total=submission.income_total,
        cost_base=cost_base,
        cost_base_source=base_source,
        cost_base_submissions=base_ids,
        result=consequence.result,
        percent=consequence.percent,
        kind=consequence.kind.value,
        limit_amount=consequence.limit,
        within_limit=consequence.within_limit,
        excess=consequence.excess,
        tariff_effect=consequence.tariff_effect,
        due_year=consequence.due_year,
        spread=consequence.spread,
        reserved=plan.reserved,
        early_repayment=plan.repayment.amount if plan.repayment else ZERO,
        rule_ids=[*consequence.rule_ids, *(["R-SUR-07"] if plan.repayment else [])],
        remarks=submission.remarks,
        received_at=clock(),
        late=bool(late),
        submitted_by=actor.user_id,
        supersedes_id=previous.id if previous else None,
        correction_reason=reason.strip() if previous else "",
    )
    accounts_id = uow.accounts.add(row)
    uow.reserves.add(offer.operator.id, plan.entries, clock(), actor.user_id, accounts_id)
    uow.regulations.add_all(_regulation_rows(plan, offer, year, accounts_id, actor, clock))
    stored = uow.accounts.get(accounts_id)
    assert stored is not None
    audit(
        uow,
        clock,
        actor,
        "accounts.corrected" if previous else "accounts.submitted",
        "accounts_submission",
        accounts_id,
        offer_id=offer.id,
        accounts_year=year,
        target_group=group,
        source=source,
        supersedes=previous.id if previous else None,
        reason=reason.strip() if previous else "",
        before=accounts_state(previous, uow.regulations.for_accounts(previous.id)) if previous else None,
        after={**accounts_state(stored, uow.regulations.for_accounts(accounts_id)), "ledger": _entries_data(plan)},
    )
    uow.commit()
    return Submitted(accounts_id, row.version, tuple(kept))


def _plan(
    uow: UnitOfWork,
    offer: Offer,
    s: AccountsSubmission,
    c: Consequence,
    rules: RuleSet,
    previous: StoredAccounts | None,
    purchases: Mapping[int, Decimal],
    year_now: int,
) -> tuple[_Plan, list[Finding]]:
    """The reserve, the repayment and the regulations of one consequence; findings when refused."""
    plan, findings = _Plan(), []
    surplus = c.kind is ResultKind.SURPLUS
    requested = (c.reserve_allowed if s.reserve_requested is None else s.reserve_requested) if surplus else ZERO
    plan.reserved = min(requested, c.reserve_allowed)  # above it: accounts_consequence's finding (R-SUR-01)
    booked = previous.reserved if previous else ZERO
    if plan.reserved < booked:
        findings.append(
            error(
                "R-SUR-01",
                "reserve_requested",
                f"Regnskabet for {c.accounts_year} har allerede hensat {kr(booked)}; en rettelse kan ikke tage en "
                f"bogført hensættelse tilbage (ønsket nu: {kr(plan.reserved)}). Brug hensættelsen i stedet.",
            )
        )
    elif plan.reserved > booked:
        plan.entries, more = _reserve(uow, offer, c, rules, plan.reserved - booked, previous)
        findings += more
    installments = c.installments
    rule_ids = c.rule_ids
    repaid = s.early_repayment or ZERO
    if surplus and ZERO < repaid <= c.excess:  # otherwise accounts_consequence found it (R-SUR-07)
        known, more = _known_buyers(uow, purchases)
        findings += more
        plan.repayment, refused = early_repayment(c, repaid, year_now, known)
        findings += refused
    if plan.repayment is not None:
        first, left = installments[0], plan.repayment.remaining_tariff_effect
        interest = carry_forward_interest(left, c.accounts_year, first.budget_year, rules)
        installments, rule_ids = (Installment(first.budget_year, left, interest),), (*rule_ids, "R-SUR-07")
        for share in plan.repayment.shares:
            if share.share != ZERO:
                note = "Tidlig tilbagebetaling til køberen efter køb i regnskabsåret"
                plan.regulations.append(
                    _Regulation(
                        REPAYMENT,
                        plan.repayment.year,
                        -share.share,
                        ZERO,
                        ("R-SUR-07",),
                        note,
                        share.buyer_id,
                        share.purchases,
                    )
                )
    for part in installments:
        if part.amount != ZERO:
            plan.regulations.append(
                _Regulation(TARIFF, part.budget_year, part.amount, part.interest, rule_ids, _note(c, part.budget_year))
            )
    unreserved = c.reserve_allowed - plan.reserved
    if surplus and unreserved > ZERO:
        due = installments[0].budget_year
        interest = carry_forward_interest(-unreserved, c.accounts_year, due, rules)
        note = "Den del af overskuddet inden for grænsen, der ikke hensættes, nedsætter taksten"
        plan.regulations.append(_Regulation(TARIFF, due, -unreserved, interest, ("R-SUR-01", "R-SUR-03"), note))
    return plan, findings


def _reserve(
    uow: UnitOfWork, offer: Offer, c: Consequence, rules: RuleSet, amount_: Decimal, previous: StoredAccounts | None
) -> tuple[tuple[ReserveEntry, ...], list[Finding]]:
    """R-SUR-01 through the domain ledger: the limit counts what this chain's earlier versions reserved
    (a target group's accounts do not use up another group's limit on the same offer and year)."""
    stored = uow.reserves.entries(offer.operator.id)
    chain = uow.accounts.chain_ids(offer.id, c.accounts_year, previous.target_group) if previous else set()
    scoped = ReserveLedger(offer.operator.id, tuple(e.entry for e in created_in(stored, chain)))
    changed, refused = scoped.reserve(c, LedgerOffer.of(offer), rules, amount_)
    if changed is None:
        return (), list(refused)
    new = changed.entries[len(scoped.entries) :]
    ReserveLedger(offer.operator.id, (*(e.entry for e in stored), *new))  # the whole ledger stays valid
    return new, []


def _storable(s: AccountsSubmission, cost_base: Decimal | None, purchases: Mapping[int, Decimal]) -> list[Finding]:
    """Every total the accounts store must fit the database's amount columns (below 10^14 kr.)."""
    totals = [
        ("costs", s.costs_total),
        ("income", s.income_total),
        ("income", s.result),
        ("cost_base", cost_base or ZERO),
        ("reserve_requested", s.reserve_requested or ZERO),
        ("early_repayment", s.early_repayment or ZERO),
        *((f"purchases.{k}", v) for k, v in purchases.items()),
    ]
    too_large = dict.fromkeys(path for path, value in totals if abs(value) >= STORABLE)
    return [error("R-ACC-01", path, "Beløbet er for stort: højst 14 cifre før kommaet.") for path in too_large]


def _known_buyers(uow: UnitOfWork, purchases: Mapping[int, Decimal]) -> tuple[dict[int, Decimal], list[Finding]]:
    known: dict[int, Decimal] = {}
    findings = []
    for buyer_id, value in purchases.items():
        if uow.organisations.get(buyer_id) is None:
            findings.append(error("R-SUR-07", f"purchases.{buyer_id}", "Køberen findes ikke."))
        elif not value.is_finite() or value != round_ore_half_up(value):
            findings.append(error("R-SUR-07", f"purchases.{buyer_id}", "Købet skal angives i hele øre."))
        else:
            known[buyer_id] = value
    return known, findings


def _note(c: Consequence, budget_year: int) -> str:
    label = "overskud" if c.kind is ResultKind.SURPLUS else "underskud"
    spread = " (fordelt over flere år, nyt tilbud)" if c.spread else ""
    return (
        f"Regulering af {label} ud over grænsen fra regnskabsår {c.accounts_year} i taksten for {budget_year}{spread}"
    )


def _regulation_rows(
    plan: _Plan, offer: Offer, year: int, accounts_id: int, actor: Actor, clock: Clock
) -> list[AccountsRegulationRow]:
    return [
        AccountsRegulationRow(
            offer_id=offer.id,
            operator_id=offer.operator.id,
            budget_year=r.budget_year,
            kind=r.kind,
            amount=r.amount,
            interest=r.interest,
            origin_year=year,
            accounts_submission_id=accounts_id,
            ledger_entry_id=None,
            buyer_id=r.buyer_id,
            purchases=r.purchases,
            rule_ids=list(r.rule_ids),
            note=r.note,
            created_at=clock(),
            created_by=actor.user_id,
        )
        for r in plan.regulations
    ]


def _entries_data(plan: _Plan) -> list[dict[str, Any]]:
    return [{"kind": e.kind.value, "amount": f"{e.amount:.2f}", "origin_year": e.origin_year} for e in plan.entries]
