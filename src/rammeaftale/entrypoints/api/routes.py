"""JSON API (OpenAPI at /api/docs). Thin: parse, call the same services as the pages and the CLI."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict

from rammeaftale.adapters.excel.template import write_template
from rammeaftale.adapters.json_submission import UnreadableInput, locate_json, read_json_submission
from rammeaftale.domain.money import amount
from rammeaftale.domain.supplements import ata_price
from rammeaftale.entrypoints.deps import ActorDep, ClockDep, UowDep, UserDep, integers_in_range, request_fields
from rammeaftale.entrypoints.policies import Policy, policy
from rammeaftale.entrypoints.web.rendering import csrf_token
from rammeaftale.services import appendix, compute, cycle, offers, registry, submissions
from rammeaftale.services.context import today
from rammeaftale.services.errors import InvalidSubmission


class FindingOut(BaseModel):
    rule_id: str
    severity: str
    message: str
    source: str
    field: str | None = None
    needs_remark: bool | None = None


class Problem(BaseModel):
    """Every refusal of the API: a Danish ``detail`` (FastAPI's own validation errors: a list), and findings."""

    detail: str | list[dict[str, Any]]
    findings: list[FindingOut] = []


_PROBLEM = {"model": Problem}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {**_PROBLEM, "description": "Ugyldig forespørgsel"},
    401: {**_PROBLEM, "description": "Ikke logget ind"},
    403: {**_PROBLEM, "description": "Ingen adgang (rolle eller CSRF)"},
    404: {**_PROBLEM, "description": "Findes ikke (eller tilhører en anden organisation)"},
    409: {**_PROBLEM, "description": "Konflikt med den nuværende tilstand"},
    422: {**_PROBLEM, "description": "Ugyldigt input med fund"},
    429: {**_PROBLEM, "description": "For mange mislykkede loginforsøg"},
}
router = APIRouter(tags=["rammeaftale"], responses=ERROR_RESPONSES, dependencies=[Depends(integers_in_range)])
docs_router = APIRouter(include_in_schema=False)  # Swagger UI, only in development (decision 0005)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OPERATOR_OR_SECRETARIAT = Policy.OPERATOR | Policy.SECRETARIAT


class Body(BaseModel):
    """Request bodies name only what the caller decides: an unknown field (``status``, ``operator_id``,
    ``decided_by`` …) is refused with 422 rather than ignored (no mass assignment)."""

    model_config = ConfigDict(extra="forbid")


class Comment(Body):
    comment: str = ""


class Remarks(Body):
    remarks: str | None = None


class Reason(Body):
    reason: str = ""


class OfferChange(Body):
    """A new effective-dated version of an offer; only the fields given change."""

    valid_from: date
    reason: str
    name: str | None = None
    legal_basis: str | None = None
    target_groups: list[str] | None = None
    kind: str | None = None
    category: int | None = None
    agreed_places: Decimal | None = None
    physical_places: Decimal | None = None
    status: str | None = None
    opening_date: date | None = None
    closing_date: date | None = None
    enhanced_collaboration: bool | None = None
    address: str | None = None


@router.get("/csrf", dependencies=[policy(Policy.AUTHENTICATED)])
def get_csrf_token(request: Request) -> dict[str, str]:
    """The session's CSRF token: a state-changing call made with the session cookie sends it as X-CSRF-Token."""
    return {"csrf_token": csrf_token(request), "header": "X-CSRF-Token"}


def _offer_data(o: Any) -> dict[str, Any]:
    v = o.current
    return {
        "id": o.id,
        "code": o.code,
        "name": v.name,
        "operator": {"id": o.operator.id, "name": o.operator.name, "region_code": o.operator.region_code},
        "legal_basis": v.legal_basis,
        "target_groups": list(v.target_groups),
        "kind": v.kind,
        "category": v.category,
        "agreed_places": str(v.agreed_places),
        "physical_places": str(v.physical_places),
        "status": v.status.value,
        "enhanced_collaboration": v.enhanced_collaboration,
        "covered": o.covered,
        "services": [{"id": s.id, "name": s.name, "tariff_type": s.tariff_type} for s in o.services],
    }


@router.get("/offers", dependencies=[policy(Policy.PUBLIC)])
def list_offers(
    uow: UowDep,
    region: int | None = None,
    kind: str | None = None,
    legal_basis: str | None = None,
    status: str | None = None,
    q: str = "",
) -> list[dict[str, Any]]:
    found = offers.list_offers(uow, offers.OfferFilter(region, None, kind, legal_basis, status, q))
    return [_offer_data(o) for o in found]


@router.get("/offers/{offer_id}", dependencies=[policy(Policy.PUBLIC)])
def get_offer(offer_id: int, uow: UowDep, actor: ActorDep) -> dict[str, Any]:
    detail = offers.offer_detail(uow, actor, offer_id)
    data = _offer_data(detail.offer)
    data["tariff_history"] = [
        {"year": p.year, "service": p.service, "tariff": None if p.tariff is None else str(p.tariff), "unit": p.unit}
        for p in detail.history
    ]
    data["trace"] = detail.trace_submission.result["trace"] if detail.trace_submission else []
    data["versions"] = [
        {
            "valid_from": v.valid_from.isoformat(),
            "valid_to": v.valid_to.isoformat() if v.valid_to else None,
            "agreed_places": str(v.agreed_places),
            "status": v.status.value,
            "reason": v.reason,
        }
        for v in detail.versions
    ]
    return data


@router.post("/offers/{offer_id}/versions", status_code=201, dependencies=[policy(OPERATOR_OR_SECRETARIAT)])
def change_offer(offer_id: int, body: OfferChange, uow: UowDep, actor: UserDep, clock: ClockDep) -> dict[str, Any]:
    """Record a change from a date; the version before it is kept (effective-dated history)."""
    changes = body.model_dump(exclude_none=True, exclude={"valid_from", "reason"})
    registry.change_offer(uow, actor, clock, offer_id, body.valid_from, body.reason, **changes)
    return get_offer(offer_id, uow, actor)


@router.get("/services/{service_id}/template", response_class=Response, dependencies=[policy(OPERATOR_OR_SECRETARIAT)])
def template(service_id: int, uow: UowDep, actor: UserDep, year: Annotated[int, Query(ge=2000, le=2100)]) -> Response:
    offer, prefill, last_year = offers.template_prefill(uow, actor, service_id, year)
    content = write_template(prefill, last_year, fictitious=True)
    filename = f"takstberegning-{offer.code}-{year}.xlsx"
    return Response(content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _saved(uow: UowDep, submission_id: int) -> dict[str, Any]:
    row = uow.submissions.get(submission_id)
    assert row is not None
    return {
        "id": row.id,
        "status": row.status,
        "version": row.version,
        "budget_year": row.budget_year,
        "late": row.late,
        "result": row.result,
        "findings": row.findings,
        "remarks": row.remarks,
        "decision_comment": row.decision_comment,
    }


JSON_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}}


@router.post(
    "/services/{service_id}/submissions",
    status_code=201,
    openapi_extra=JSON_BODY,
    dependencies=[policy(Policy.OPERATOR)],
)
async def submit_json(
    service_id: int, request: Request, uow: UowDep, actor: UserDep, clock: ClockDep
) -> dict[str, Any]:
    """Save a draft from the public JSON shape (docs/tariff-submission-json.md); numbers stay exact."""
    raw = await request.body()
    with compute.refusal_logged(raw, None, **request_fields(request, actor)):
        try:
            submission, findings = read_json_submission(raw)
        except UnreadableInput as exc:
            raise InvalidSubmission(str(exc), []) from exc
        submission_id, _ = submissions.save_draft(
            uow, actor, clock, service_id, submission, findings, "json", locate_json
        )
    return _saved(uow, submission_id)


@router.post("/services/{service_id}/submissions/file", status_code=201, dependencies=[policy(Policy.OPERATOR)])
async def submit_file(
    service_id: int,
    request: Request,
    uow: UowDep,
    actor: UserDep,
    clock: ClockDep,
    file: Annotated[UploadFile, File()],
) -> dict[str, Any]:
    raw = await file.read(compute.MAX_UPLOAD_BYTES + 1)
    name = file.filename or "indberetning"
    with compute.refusal_logged(raw, name, **request_fields(request, actor)):
        try:
            submission, findings, xlsx = compute.read_submission_file(raw, name)
        except compute.Unreadable as exc:
            raise InvalidSubmission(str(exc), []) from exc
        source, locate = ("xlsx" if xlsx else "json"), compute.locator(name, xlsx)
        submission_id, _ = submissions.save_draft(uow, actor, clock, service_id, submission, findings, source, locate)
    return _saved(uow, submission_id)


@router.get("/submissions/{submission_id}", dependencies=[policy(OPERATOR_OR_SECRETARIAT)])
def get_submission(submission_id: int, uow: UowDep, actor: UserDep) -> dict[str, Any]:
    row = submissions.get_submission(uow, actor, submission_id)
    return _saved(uow, row.id)


@router.post("/submissions/{submission_id}/submit", dependencies=[policy(Policy.OPERATOR)])
def submit(submission_id: int, body: Remarks, uow: UowDep, actor: UserDep, clock: ClockDep) -> dict[str, Any]:
    submissions.submit(uow, actor, clock, submission_id, body.remarks)
    return _saved(uow, submission_id)


@router.post("/submissions/{submission_id}/approve", dependencies=[policy(Policy.SECRETARIAT)])
def approve(submission_id: int, body: Comment, uow: UowDep, actor: UserDep, clock: ClockDep) -> dict[str, Any]:
    submissions.approve(uow, actor, clock, submission_id, body.comment)
    return _saved(uow, submission_id)


@router.post("/submissions/{submission_id}/return", dependencies=[policy(Policy.SECRETARIAT)])
def return_submission(
    submission_id: int, body: Comment, uow: UowDep, actor: UserDep, clock: ClockDep
) -> dict[str, Any]:
    submissions.return_to_operator(uow, actor, clock, submission_id, body.comment)
    return _saved(uow, submission_id)


@router.post(
    "/submissions/{submission_id}/corrections",
    status_code=201,
    openapi_extra=JSON_BODY,
    dependencies=[policy(Policy.OPERATOR)],
)
async def correct(
    submission_id: int, request: Request, reason: str, uow: UowDep, actor: UserDep, clock: ClockDep
) -> dict[str, Any]:
    """Correct an approved submission: a new version with a reason (the approved one never changes)."""
    raw = await request.body()
    with compute.refusal_logged(raw, None, **request_fields(request, actor)):
        try:
            submission, findings = read_json_submission(raw)
        except UnreadableInput as exc:
            raise InvalidSubmission(str(exc), []) from exc
        if submission is None or findings:
            raise InvalidSubmission("Rettelsen har fejl og er ikke gemt.", findings)
        new_id = submissions.correct(uow, actor, clock, submission_id, submission, reason, "json")
    return _saved(uow, new_id)


@router.post("/tariff/compute", openapi_extra=JSON_BODY, dependencies=[policy(Policy.PUBLIC, csrf=False)])
async def compute_tariff(request: Request) -> dict[str, Any]:
    """Price a submission (JSON body) without saving anything; the same output as `rammeaftale tariff compute`."""
    raw = await request.body()
    with compute.refusal_logged(raw, None, **request_fields(request)):
        try:
            computation = compute.compute_file(raw, "indberetning.json")
        except compute.Unreadable as exc:
            raise InvalidSubmission(str(exc), []) from exc
    return computation.to_data()


@router.get("/cycle/{region_code}/{year}", dependencies=[policy(Policy.SECRETARIAT)])
def cycle_overview(region_code: int, year: int, uow: UowDep, actor: UserDep, clock: ClockDep) -> dict[str, Any]:
    view = cycle.overview(uow, actor, region_code, year, today(clock))
    return {
        "region_code": view.region_code,
        "year": view.year,
        "deadline": view.deadline.isoformat(),
        "days_to_deadline": view.days_to_deadline,
        "missing_operators": view.missing_operators,
        "operators": [
            {
                "operator": o.operator,
                "submitted": o.count("submitted", "approved", "published"),
                "approved": o.count("approved", "published"),
                "missing": o.count("missing", "draft", "returned"),
                "late": o.late,
                "services": [s.__dict__ for s in o.services],
            }
            for o in view.operators
        ],
    }


@router.post("/appendices/{region_code}/{year}/publish", status_code=201, dependencies=[policy(Policy.SECRETARIAT)])
def publish(region_code: int, year: int, body: Reason, uow: UowDep, actor: UserDep, clock: ClockDep) -> dict[str, Any]:
    version = appendix.publish(uow, actor, clock, region_code, year, body.reason)
    return {"region_code": region_code, "year": year, "version": version}


@router.get("/appendices/{region_code}/{year}", dependencies=[policy(Policy.PUBLIC)])
def get_appendix(region_code: int, year: int, uow: UowDep, version: int | None = None) -> dict[str, Any]:
    a = appendix.load_appendix(uow, region_code, year, version)

    def s(v: Decimal | None) -> str | None:
        return None if v is None else str(v)

    return {
        "region_code": a.region_code,
        "region_name": a.region_name,
        "year": a.year,
        "version": a.version,
        "published_on": a.published_on.isoformat() if a.published_on else None,
        "missing_operators": list(a.missing_operators),
        "fictitious": a.fictitious,
        "rows": [
            {
                "operator": r.operator,
                "offer": r.offer,
                "offer_id": r.offer_id,
                "legal_basis": r.legal_basis,
                "target_group": r.target_group,
                "service": r.service,
                "places": s(r.places),
                "occupancy_pct": s(r.occupancy_pct),
                "tariff": s(r.tariff),
                "unit": r.unit,
                "annual_tariff_per_place": s(r.annual_tariff_per_place),
                "direct_support_hours_per_week": s(r.direct_support_hours_per_week),
                "change_pct": s(r.change_pct),
            }
            for r in a.rows
        ],
    }


@router.get("/ata", dependencies=[policy(Policy.PUBLIC)])
def ata(
    hourly_cost: str, absence: str, time_coefficient: str, variable_costs: str = "0.05", hours: str = "1"
) -> dict[str, str]:
    """R-SUP-02: the ATA hourly rate; fractions as decimals (0.30 for 30 %)."""
    try:
        price = ata_price(
            amount(hourly_cost), amount(absence), amount(time_coefficient), amount(variable_costs), amount(hours)
        )
    except ValueError as exc:
        raise InvalidSubmission(f"Ugyldigt input: {exc}", []) from exc
    return {"hourly_rate": str(price.hourly_rate), "amount": str(price.amount)}


SWAGGER_UI = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5"
DOCS_PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Rammeaftale API</title>
<link rel="stylesheet" href="{SWAGGER_UI}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{SWAGGER_UI}/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


@docs_router.get("/docs", response_class=HTMLResponse, dependencies=[policy(Policy.PUBLIC)])
def api_docs() -> HTMLResponse:
    """Swagger UI without an inline script: it starts from /static/api-docs.js (the CSP allows no inline script)."""
    return HTMLResponse(DOCS_PAGE)
