"""Use cases of a tariff submission: save draft, submit, approve, return, correct (handbook § 6, R-CYC)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from rammeaftale.adapters.db.models import TariffSubmissionRow
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.adapters.rulesets import UnknownRuleSet, get_ruleset, ruleset_for
from rammeaftale.domain.findings import Finding, Severity, has_errors
from rammeaftale.domain.money import ZERO
from rammeaftale.domain.registry import Offer, Service
from rammeaftale.domain.rules import RuleSet
from rammeaftale.domain.submission import LastYear, TariffSubmission, build_submission, submission_to_data
from rammeaftale.domain.validation import Assessment, assess, unanswered_warnings
from rammeaftale.services.access import can_read_submissions, require_operator_of, require_secretariat_of
from rammeaftale.services.accounts_queries import regulation_due
from rammeaftale.services.audit import audit
from rammeaftale.services.context import Actor, Clock, today
from rammeaftale.services.errors import Conflict, Forbidden, InvalidSubmission, NotFound
from rammeaftale.services.retry import write_use_case
from rammeaftale.services.serialization import finding_to_data, result_to_data

EDITABLE = ("draft", "returned")
Locate = Callable[[list[Finding]], list[Finding]]
PENDING = ("submitted",)
FINAL = ("approved", "published")


def ruleset_for_offer(uow: UnitOfWork, offer: Offer, year: int) -> RuleSet:
    """The rule set of the offer's region and year; a year without one is a finding (422), never a crash."""
    ruleset_id = uow.organisations.period_ruleset(offer.operator.region_code, year)
    try:
        return get_ruleset(ruleset_id) if ruleset_id else ruleset_for(offer.operator.region_code, year)
    except UnknownRuleSet as exc:
        finding = Finding("R-CYC-02", Severity.ERROR, str(exc), "budget_year")
        raise InvalidSubmission(str(exc), [finding]) from exc


def _offer_and_service(uow: UnitOfWork, actor: Actor, service_id: int) -> tuple[Offer, Service]:
    service = uow.offers.service(service_id)
    offer = uow.offers.get(service.offer_id) if service else None
    if service is None or offer is None:
        raise NotFound("Ydelsen findes ikke.")
    require_operator_of(actor, offer)
    return offer, service


def with_registry_facts(
    uow: UnitOfWork, submission: TariffSubmission, offer: Offer, service_id: int
) -> TariffSubmission:
    """The server, not the file, decides which offer this is and what last year's approved figures were.

    Last year's tariff and places come from the previous year's approved submission, so a file cannot
    escape the R-TAR-13 and R-GOV-03 checks by stating its own comparison figures.
    """
    facts = replace(
        submission.offer,
        offer_id=offer.code,
        legal_basis=submission.offer.legal_basis or offer.current.legal_basis,
        target_group=submission.offer.target_group or "; ".join(offer.current.target_groups),
    )
    previous = uow.submissions.latest(service_id, submission.budget_year - 1, FINAL)
    last_year = None
    if previous is not None and previous.daily_tariff is not None:
        last_year = LastYear(previous.daily_tariff, Decimal(str(previous.payload["offer"]["places"])))
    due = regulation_due_for_service(uow, offer, service_id, submission.budget_year)
    return replace(submission, offer=facts, last_year=last_year, regulation_due=due)


def regulation_due_for_service(uow: UnitOfWork, offer: Offer, service_id: int, budget_year: int) -> Decimal | None:
    """R-SUR-03 / R-SUR-05: the regulation this service's submission must carry, from the offer's accounts.

    The server decides it (a file cannot state its own). Accounts are per offer (R-ACC-01), tariffs per
    service (decision 0001): the offer's submissions of the year carry the due regulation together, so a
    service's submission must carry what the offer's other services' current submissions do not.
    """
    due = regulation_due(uow, offer.id, budget_year)
    if due is None:
        return None
    carried = ZERO
    for other in offer.services:
        if other.id == service_id:
            continue
        row = uow.submissions.latest(other.id, budget_year)
        if row is not None and row.status != "superseded":
            carried += _regulation_of(row.payload)
    return due - carried


def _regulation_of(payload: Mapping[str, Any]) -> Decimal:
    lines = payload.get("costs", {}).get("regulation", {})
    return sum((Decimal(str(value)) for value in lines.values()), ZERO)


def assess_for_offer(
    uow: UnitOfWork, offer: Offer, submission: TariffSubmission, received_on: date | None
) -> tuple[RuleSet, Assessment]:
    rules = ruleset_for_offer(uow, offer, submission.budget_year)
    return rules, assess(submission, rules, received_on)


@write_use_case
def save_draft(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    service_id: int,
    submission: TariffSubmission | None,
    reading_findings: list[Finding],
    source: str,
    locate: Locate = list,
) -> tuple[int, Assessment]:
    """Check an uploaded or typed submission; save it as the draft only if it has no errors.

    An input with errors changes nothing (InvalidSubmission carries every finding). ``locate`` gives
    each finding the source its user knows (sheet and cell, JSON path), also in what is stored.
    """
    offer, _service = _offer_and_service(uow, actor, service_id)
    if submission is None or has_errors(reading_findings):
        raise InvalidSubmission("Indberetningen har fejl og er ikke gemt.", locate(reading_findings))
    submission = with_registry_facts(uow, submission, offer, service_id)
    rules, assessment = assess_for_offer(uow, offer, submission, today(clock))
    findings = locate([*reading_findings, *assessment.findings])
    if assessment.has_errors or assessment.result is None:
        raise InvalidSubmission("Indberetningen har fejl og er ikke gemt.", findings)
    latest = uow.submissions.latest(service_id, submission.budget_year)
    if latest is not None:
        latest = _locked(uow, latest.id)  # the status checked below cannot change before we commit
    if latest is not None and latest.status in PENDING:
        raise Conflict("Der er allerede en indsendt indberetning, som venter på sekretariatet.")
    if latest is not None and latest.status in FINAL:
        raise Conflict("Indberetningen er godkendt og kan ikke ændres; lav en rettelse med en begrundelse.")
    before = _state(latest) if latest is not None and latest.status in EDITABLE else None  # else: a new row
    row = _store(uow, actor, clock, offer, service_id, submission, assessment, rules, findings, source, latest)
    audit(
        uow,
        clock,
        actor,
        "submission.draft_saved",
        "tariff_submission",
        row.id,
        source=source,
        version=row.version,
        before=before,
        after=_state(row),
    )
    uow.commit()
    return row.id, assessment


def _store(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    offer: Offer,
    service_id: int,
    submission: TariffSubmission,
    assessment: Assessment,
    rules: RuleSet,
    findings: list[Finding],
    source: str,
    latest: TariffSubmissionRow | None,
    supersedes: TariffSubmissionRow | None = None,
    reason: str = "",
) -> TariffSubmissionRow:
    assert assessment.result is not None
    fields: dict[str, Any] = {
        "payload": submission_to_data(submission),
        "result": result_to_data(assessment.result),
        "findings": [finding_to_data(f) for f in findings],
        "daily_tariff": assessment.result.main.tariff,
        "cost_base": assessment.result.cost_base,
        "ruleset_id": rules.id,
        "source": source,
        "remarks": submission.remarks,
    }
    if latest is not None and latest.status in EDITABLE and supersedes is None:
        for key, value in fields.items():  # a draft is the operator's own working copy
            setattr(latest, key, value)
        latest.status = "draft"
        uow.flush()
        return latest
    row = TariffSubmissionRow(
        offer_id=offer.id,
        service_id=service_id,
        operator_id=offer.operator.id,
        budget_year=submission.budget_year,
        version=uow.submissions.next_version(service_id, submission.budget_year),
        status="draft",
        created_at=clock(),
        created_by=actor.user_id,
        supersedes_id=supersedes.id if supersedes else None,
        correction_reason=reason,
        **fields,
    )
    return uow.submissions.add(row)


@write_use_case
def submit(uow: UnitOfWork, actor: Actor, clock: Clock, submission_id: int, remarks: str | None = None) -> None:
    """draft/returned -> submitted. Errors block; warnings need a remark; late is flagged (R-CYC-02)."""
    row = _locked(uow, _row_for_operator(uow, actor, submission_id).id)
    if row.status not in EDITABLE:
        raise Conflict(f"Indberetningen har status '{row.status}' og kan ikke indsendes.")
    data = dict(row.payload)
    if remarks is not None:
        data["remarks"] = remarks
    submission, reading = build_submission(data)
    offer = uow.offers.get(row.offer_id)
    assert submission is not None and offer is not None
    rules, assessment = assess_for_offer(uow, offer, submission, today(clock))
    findings = [*reading, *assessment.findings]
    if has_errors(findings):
        raise InvalidSubmission("Indberetningen har fejl og kan ikke indsendes.", findings)
    open_warnings = unanswered_warnings(assessment, submission.remarks)
    if open_warnings:
        raise InvalidSubmission(
            "Advarslerne skal besvares med en bemærkning, før indberetningen indsendes.", list(open_warnings)
        )
    deadline = rules.tariff_submission_deadline(submission.budget_year)
    before = {"status": row.status, "remarks": row.remarks}
    row.payload = submission_to_data(submission)
    row.remarks = submission.remarks
    row.findings = [finding_to_data(f) for f in _with_stored_sources(findings, row.findings)]
    row.status = "submitted"
    row.submitted_at = clock()
    row.submitted_by = actor.user_id
    row.late = today(clock) > deadline
    audit(
        uow,
        clock,
        actor,
        "submission.submitted",
        "tariff_submission",
        row.id,
        late=row.late,
        deadline=deadline.isoformat(),
        before=before,
        after={"status": row.status, "remarks": row.remarks, "late": row.late, "submitted_at": row.submitted_at},
    )
    uow.commit()


@write_use_case
def approve(uow: UnitOfWork, actor: Actor, clock: Clock, submission_id: int, comment: str = "") -> None:
    """submitted -> approved by the region's secretariat; the submitter cannot approve (four eyes)."""
    row = _row_for_secretariat(uow, actor, submission_id, lock=True)
    if row.status != "submitted":
        raise Conflict(f"Kun indsendte indberetninger kan godkendes (status er '{row.status}').")
    if row.submitted_by is not None and row.submitted_by == actor.user_id:
        raise Forbidden("Den, der har indsendt en indberetning, kan ikke selv godkende den.")
    before = _decision(row)
    row.status = "approved"
    row.decided_at = clock()
    row.decided_by = actor.user_id
    row.decision_comment = comment
    audit(
        uow,
        clock,
        actor,
        "submission.approved",
        "tariff_submission",
        row.id,
        comment=comment,
        before=before,
        after=_decision(row),
    )
    uow.commit()


@write_use_case
def return_to_operator(uow: UnitOfWork, actor: Actor, clock: Clock, submission_id: int, comment: str) -> None:
    """submitted -> returned with a comment the operator sees."""
    if not comment.strip():
        raise InvalidSubmission("Skriv en kommentar til driftsherren, når indberetningen sendes retur.", [])
    row = _row_for_secretariat(uow, actor, submission_id, lock=True)
    if row.status != "submitted":
        raise Conflict(f"Kun indsendte indberetninger kan sendes retur (status er '{row.status}').")
    before = _decision(row)
    row.status = "returned"
    row.decided_at = clock()
    row.decided_by = actor.user_id
    row.decision_comment = comment.strip()
    audit(
        uow,
        clock,
        actor,
        "submission.returned",
        "tariff_submission",
        row.id,
        comment=comment.strip(),
        before=before,
        after=_decision(row),
    )
    uow.commit()


@write_use_case
def correct(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    submission_id: int,
    submission: TariffSubmission,
    reason: str,
    source: str,
    locate: Locate = list,
) -> int:
    """An approved or published submission never changes: a correction is a new draft version with a reason."""
    if not reason.strip():
        raise InvalidSubmission("En rettelse kræver en begrundelse.", [])
    original = _row_for_operator(uow, actor, submission_id)
    if original.status not in FINAL:
        raise Conflict("Kun godkendte indberetninger rettes med en ny version; en kladde kan ændres direkte.")
    offer = uow.offers.get(original.offer_id)
    assert offer is not None
    submission = with_registry_facts(uow, submission, offer, original.service_id)
    rules, assessment = assess_for_offer(uow, offer, submission, today(clock))
    if assessment.has_errors or assessment.result is None:
        raise InvalidSubmission("Rettelsen har fejl og er ikke gemt.", locate(list(assessment.findings)))
    row = _store(
        uow,
        actor,
        clock,
        offer,
        original.service_id,
        submission,
        assessment,
        rules,
        list(assessment.findings),
        source,
        None,
        supersedes=original,
        reason=reason.strip(),
    )
    audit(
        uow,
        clock,
        actor,
        "submission.correction_created",
        "tariff_submission",
        row.id,
        supersedes=original.id,
        reason=reason.strip(),
        before=None,  # a new version; the approved one it corrects stays as it was
        after={**_state(row), "supersedes_id": original.id, "correction_reason": row.correction_reason},
    )
    uow.commit()
    return row.id


def _state(row: TariffSubmissionRow) -> dict[str, Any]:
    """What the audit trail records of a submission's content (the full payload stays in the row)."""
    return {
        "status": row.status,
        "version": row.version,
        "daily_tariff": _amount(row.daily_tariff),
        "cost_base": _amount(row.cost_base),
    }


def _amount(value: Decimal | None) -> str | None:
    """An amount as the audit trail shows it, to the øre, whether just computed or read back."""
    return None if value is None else f"{value:.2f}"


def _decision(row: TariffSubmissionRow) -> dict[str, Any]:
    return {
        "status": row.status,
        "decided_at": row.decided_at,
        "decided_by": row.decided_by,
        "decision_comment": row.decision_comment,
    }


def _locked(uow: UnitOfWork, submission_id: int) -> TariffSubmissionRow:
    """The row, locked until commit (PostgreSQL: SELECT … FOR UPDATE; SQLite: the write transaction
    holds the database lock already) and re-read after the lock, so status checks see the newest state."""
    locked = uow.submissions.get_for_update(submission_id)
    assert locked is not None
    uow.session.refresh(locked)
    return locked


def _with_stored_sources(findings: list[Finding], stored: list[dict[str, Any]]) -> list[Finding]:
    """Findings found again on submit point where they pointed when the file was saved (sheet, cell)."""
    sources = {d.get("field", ""): d.get("source", "") for d in stored}
    return [f if f.source or not sources.get(f.field) else f.located(sources[f.field]) for f in findings]


def get_submission(uow: UnitOfWork, actor: Actor, submission_id: int) -> TariffSubmissionRow:
    row = uow.submissions.get(submission_id)
    offer = uow.offers.get(row.offer_id) if row else None
    if row is None or offer is None:
        raise NotFound("Indberetningen findes ikke.")
    if not can_read_submissions(actor, offer):
        raise NotFound("Indberetningen findes ikke.")
    return row


def _row_for_operator(uow: UnitOfWork, actor: Actor, submission_id: int) -> TariffSubmissionRow:
    row = get_submission(uow, actor, submission_id)
    offer = uow.offers.get(row.offer_id)
    assert offer is not None
    require_operator_of(actor, offer)
    return row


def _row_for_secretariat(uow: UnitOfWork, actor: Actor, submission_id: int, lock: bool = False) -> TariffSubmissionRow:
    row = get_submission(uow, actor, submission_id)
    offer = uow.offers.get(row.offer_id)
    assert offer is not None
    require_secretariat_of(actor, offer.operator.region_code)
    return _locked(uow, submission_id) if lock else row
