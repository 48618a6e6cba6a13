"""Tariff submission pages: upload a file, fill in the web form, read a submission, submit, approve, return.

Handlers parse the request, call the submission use cases and render; a rejected input is shown again
with every finding (status 422) and nothing is saved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rammeaftale.adapters.db.models import TariffSubmissionRow
from rammeaftale.domain.findings import Finding
from rammeaftale.domain.registry import Offer, Service
from rammeaftale.domain.submission import build_submission
from rammeaftale.entrypoints.deps import ClockDep, UowDep, UserDep, request_fields
from rammeaftale.entrypoints.policies import Policy, policy
from rammeaftale.entrypoints.web import submission_form
from rammeaftale.entrypoints.web.rendering import Viewer, ViewerDep, render, see_other
from rammeaftale.services import compute, offers, submissions
from rammeaftale.services.access import can_manage_offer_submissions, can_read_submissions, require_operator_of
from rammeaftale.services.context import Actor, today
from rammeaftale.services.errors import InvalidSubmission, NotFound
from rammeaftale.services.serialization import finding_to_data

router = APIRouter()
OPERATOR = [policy(Policy.OPERATOR)]
SECRETARIAT = [policy(Policy.SECRETARIAT)]
YEAR = Query(ge=2000, le=2100, description="Budgetåret; uden angivelse næste år")


def cycle_year(clock: ClockDep, aar: Annotated[int | None, YEAR] = None) -> int:
    """The budget year a page works on: ``?aar=`` or, by default, next year (the open cycle)."""
    return aar if aar is not None else today(clock).year + 1


CycleYear = Annotated[int, Depends(cycle_year)]


# --- read helpers (through the unit of work; the access rules are the services') -----------------


def operator_service(uow: UowDep, actor: Actor, service_id: int) -> tuple[Offer, Service]:
    """The offer and service an operator works on; NotFound/Forbidden for anyone else."""
    service = uow.offers.service(service_id)
    offer = uow.offers.get(service.offer_id) if service is not None else None
    if service is None or offer is None:
        raise NotFound("Ydelsen findes ikke.")
    require_operator_of(actor, offer)
    return offer, service


def editable_draft(uow: UowDep, service_id: int, year: int) -> TariffSubmissionRow | None:
    latest = uow.submissions.latest(service_id, year)
    return latest if latest is not None and latest.status in submissions.EDITABLE else None


def user_name(uow: UowDep, user_id: int | None) -> str:
    user = uow.users.get(user_id) if user_id is not None else None
    return user.display_name if user is not None else "–"


async def posted_fields(request: Request) -> dict[str, str]:
    """The posted form's text fields (parsed once; read by a sync handler)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


FormFields = Annotated[dict[str, str], Depends(posted_fields)]


def findings_data(findings: list[Finding] | tuple[Finding, ...]) -> list[dict[str, Any]]:
    return [submission_form.finding_view(finding_to_data(f)) for f in findings]


# --- upload ----------------------------------------------------------------------------------------


def _upload_page(
    request: Request,
    viewer: Viewer,
    offer: Offer,
    service: Service,
    year: int,
    *,
    message: str = "",
    findings: list[dict[str, Any]] | None = None,
    filename: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "offer": offer,
        "service": service,
        "year": year,
        "message": message,
        "findings": findings or [],
        "filename": filename,
    }
    return render(request, viewer, "upload.html", context, status_code=status_code)


@router.get("/ydelser/{service_id}/indberetning", response_class=HTMLResponse, dependencies=OPERATOR)
def upload_page(
    service_id: int, request: Request, uow: UowDep, viewer: ViewerDep, actor: UserDep, year: CycleYear
) -> HTMLResponse:
    offer, service = operator_service(uow, actor, service_id)
    return _upload_page(request, viewer, offer, service, year)


@router.post("/ydelser/{service_id}/indberetning", response_class=HTMLResponse, dependencies=OPERATOR)
def upload(
    service_id: int,
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    actor: UserDep,
    clock: ClockDep,
    fil: Annotated[UploadFile | None, File(description="Takstberegningsskema (.xlsx) eller JSON-fil")] = None,
    aar: Annotated[int | None, Form(ge=2000, le=2100)] = None,
) -> Response:
    offer, service = operator_service(uow, actor, service_id)
    year = aar if aar is not None else today(clock).year + 1
    if fil is None or not fil.filename:
        return _upload_page(request, viewer, offer, service, year, message="Vælg en fil at uploade.", status_code=422)
    filename = re.split(r"[\\/]", fil.filename)[-1][:120]  # the name only, never a client path
    raw = fil.file.read(compute.MAX_UPLOAD_BYTES + 1)
    xlsx = compute.is_xlsx(filename, raw)
    try:
        with compute.refusal_logged(raw, filename, **request_fields(request, actor)):
            submission, reading, _ = compute.read_submission_file(raw, filename)
            submission_id, _ = submissions.save_draft(
                uow,
                actor,
                clock,
                service_id,
                submission,
                reading,
                "xlsx" if xlsx else "json",
                compute.locator(filename, xlsx),
            )
    except compute.Unreadable as exc:
        return _upload_page(request, viewer, offer, service, year, message=str(exc), filename=filename, status_code=422)
    except InvalidSubmission as exc:
        return _upload_page(
            request,
            viewer,
            offer,
            service,
            year,
            message=exc.message,
            findings=findings_data(exc.findings),
            filename=filename,
            status_code=422,
        )
    return see_other(f"/indberetninger/{submission_id}")


# --- web form --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormContext:
    offer: Offer
    service: Service
    year: int
    ruleset_id: str
    prefill: dict[str, Any]


def form_context(uow: UowDep, actor: Actor, service_id: int, year: int) -> FormContext:
    offer, prefill, _ = offers.template_prefill(uow, actor, service_id, year)
    _, service = operator_service(uow, actor, service_id)
    return FormContext(offer, service, year, str(prefill["ruleset"]), prefill)


def _form_page(
    request: Request,
    viewer: Viewer,
    ctx: FormContext,
    values: dict[str, str],
    *,
    message: str = "",
    findings: list[Finding] | tuple[Finding, ...] = (),
    draft: TariffSubmissionRow | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    by_field: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        name = submission_form.field_for(f.field)
        if name is not None:
            by_field.setdefault(name, []).append(finding_to_data(f))
    context = {
        "offer": ctx.offer,
        "service": ctx.service,
        "year": ctx.year,
        "ruleset_id": ctx.ruleset_id,
        "sections": submission_form.SECTIONS,
        "group_help": submission_form.GROUP_HELP,
        "kinds": submission_form.Kind,
        "values": values,
        "message": message,
        "findings": findings_data(findings),
        "by_field": by_field,
        "draft": draft,
    }
    return render(request, viewer, "submission_form.html", context, status_code=status_code)


@router.get("/ydelser/{service_id}/formular", response_class=HTMLResponse, dependencies=OPERATOR)
def form_page(
    service_id: int, request: Request, uow: UowDep, viewer: ViewerDep, actor: UserDep, year: CycleYear
) -> HTMLResponse:
    ctx = form_context(uow, actor, service_id, year)
    draft = editable_draft(uow, service_id, year)
    values = submission_form.form_values(draft.payload if draft is not None else ctx.prefill)
    return _form_page(request, viewer, ctx, values, draft=draft)


@router.post("/ydelser/{service_id}/formular", response_class=HTMLResponse, dependencies=OPERATOR)
def form_submit(
    service_id: int,
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    actor: UserDep,
    clock: ClockDep,
    fields: FormFields,
    year: CycleYear,
) -> Response:
    ctx = form_context(uow, actor, service_id, year)
    data, form_findings = submission_form.submission_data(fields, ctx.ruleset_id, year)
    submission, reading = build_submission(data)
    try:
        submission_id, _ = submissions.save_draft(
            uow, actor, clock, service_id, submission, [*form_findings, *reading], "form"
        )
    except InvalidSubmission as exc:
        return _form_page(request, viewer, ctx, fields, message=exc.message, findings=exc.findings, status_code=422)
    return see_other(f"/indberetninger/{submission_id}")


# --- one submission and its transitions --------------------------------------------------------------


def _submission_page(
    request: Request,
    uow: UowDep,
    viewer: Viewer,
    submission_id: int,
    *,
    message: str = "",
    findings: list[Finding] | None = None,
    remarks: str | None = None,
    comment: str = "",
    reason: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    actor = viewer.actor
    row = submissions.get_submission(uow, actor, submission_id)
    offer = uow.offers.get(row.offer_id)
    if offer is None:
        raise NotFound("Indberetningen findes ikke.")
    service = next((s for s in offer.services if s.id == row.service_id), None)
    is_region_secretariat = actor.is_secretariat and can_read_submissions(actor, offer)
    context = {
        "row": row,
        "offer": offer,
        "service": service,
        "result": row.result,
        "stored_findings": [submission_form.finding_view(f) for f in row.findings],
        "message": message,
        "findings": findings_data(findings) if findings is not None else None,
        "remarks": row.remarks if remarks is None else remarks,
        "comment": comment,
        "reason": reason,
        "may_correct": can_manage_offer_submissions(actor, offer) and row.status in submissions.FINAL,
        "may_submit": can_manage_offer_submissions(actor, offer) and row.status in submissions.EDITABLE,
        "may_decide": is_region_secretariat and row.status in submissions.PENDING and row.submitted_by != actor.user_id,
        "people": {
            "created": user_name(uow, row.created_by),
            "submitted": user_name(uow, row.submitted_by),
            "decided": user_name(uow, row.decided_by),
        },
    }
    return render(request, viewer, "submission.html", context, status_code=status_code)


@router.get(
    "/indberetninger/{submission_id}",
    response_class=HTMLResponse,
    dependencies=[policy(Policy.OPERATOR | Policy.SECRETARIAT)],
)
def submission_page(
    submission_id: int, request: Request, uow: UowDep, viewer: ViewerDep, actor: UserDep
) -> HTMLResponse:
    return _submission_page(request, uow, viewer, submission_id)


@router.post("/indberetninger/{submission_id}/indsend", response_class=HTMLResponse, dependencies=OPERATOR)
def submit(
    submission_id: int,
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    actor: UserDep,
    clock: ClockDep,
    remarks: Annotated[str, Form()] = "",
) -> Response:
    try:
        submissions.submit(uow, actor, clock, submission_id, remarks)
    except InvalidSubmission as exc:
        return _submission_page(
            request,
            uow,
            viewer,
            submission_id,
            message=exc.message,
            findings=exc.findings,
            remarks=remarks,
            status_code=422,
        )
    return see_other(f"/indberetninger/{submission_id}")


@router.post("/indberetninger/{submission_id}/godkend", response_class=HTMLResponse, dependencies=SECRETARIAT)
def approve(
    submission_id: int,
    uow: UowDep,
    actor: UserDep,
    clock: ClockDep,
    comment: Annotated[str, Form()] = "",
) -> RedirectResponse:
    submissions.approve(uow, actor, clock, submission_id, comment.strip())
    return see_other(f"/indberetninger/{submission_id}")


@router.post("/indberetninger/{submission_id}/retur", response_class=HTMLResponse, dependencies=SECRETARIAT)
def return_to_operator(
    submission_id: int,
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    actor: UserDep,
    clock: ClockDep,
    comment: Annotated[str, Form()] = "",
) -> Response:
    try:
        submissions.return_to_operator(uow, actor, clock, submission_id, comment)
    except InvalidSubmission as exc:
        return _submission_page(
            request, uow, viewer, submission_id, message=exc.message, comment=comment, status_code=422
        )
    return see_other(f"/indberetninger/{submission_id}")


@router.post("/indberetninger/{submission_id}/ret", response_class=HTMLResponse, dependencies=OPERATOR)
def correct(
    submission_id: int,
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    actor: UserDep,
    clock: ClockDep,
    fil: Annotated[UploadFile, File(description="Rettet takstberegningsskema (.xlsx eller JSON)")],
    reason: Annotated[str, Form()] = "",
) -> Response:
    """An approved submission is corrected by a new version with a reason; the approved one stays."""
    filename = re.split(r"[\\/]", fil.filename or "rettelse")[-1][:120]
    raw = fil.file.read(compute.MAX_UPLOAD_BYTES + 1)
    try:
        with compute.refusal_logged(raw, filename, **request_fields(request, actor)):
            submission, reading, xlsx = compute.read_submission_file(raw, filename)
            if submission is None or reading:
                locate_reading = compute.locator(filename, xlsx)
                raise InvalidSubmission("Rettelsen har fejl og er ikke gemt.", locate_reading(reading))
            source, locate = ("xlsx" if xlsx else "json"), compute.locator(filename, xlsx)
            new_id = submissions.correct(uow, actor, clock, submission_id, submission, reason, source, locate)
    except compute.Unreadable as exc:
        return _submission_page(request, uow, viewer, submission_id, message=str(exc), reason=reason, status_code=422)
    except InvalidSubmission as exc:
        return _submission_page(
            request,
            uow,
            viewer,
            submission_id,
            message=exc.message,
            findings=exc.findings,
            reason=reason,
            status_code=422,
        )
    return see_other(f"/indberetninger/{new_id}")
