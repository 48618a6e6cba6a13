"""Placement pages (indskrivninger, issue 5 item 7, handbook § 9): the buyer's and the operator's placements
on the web, mirroring ``entrypoints/api/routes_placements.py``.

Thin: parse the form, call the placement use cases and queries (``services/placements.py``,
``placements_queries.py``, ``placements_import.py``, ``placement_supplements.py``), render. Who may see or
change what is the services' business (``services/placements_access.py``): another organisation's placement
answers 404. URLs name a placement only by its pseudonymous id; the CPR number is shown masked, in full only
in the answer to the POST form "Vis fuldt CPR-nummer" (logged as a read by ``placements_queries.reveal_cpr``).
Every action redirects (303) back to the placement with a Danish message kept in the session (no CPR in it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from rammeaftale.adapters.db.placements_repositories import ACUTE_CLOSURE, ATA, DAILY, FINAL, PROVISIONAL, UNIT
from rammeaftale.domain.findings import Finding
from rammeaftale.entrypoints.deps import ClockDep, UowDep, UserDep, request_fields
from rammeaftale.entrypoints.policies import Policy, policy
from rammeaftale.entrypoints.web.flash import flash, refusal, take_flash
from rammeaftale.entrypoints.web.pages_submissions import FormFields
from rammeaftale.entrypoints.web.rendering import Viewer, ViewerDep, render, see_other
from rammeaftale.services import compute, placement_supplements, placements, placements_import, placements_queries
from rammeaftale.services.errors import Conflict, InvalidSubmission
from rammeaftale.services.placements_input import (
    FIELDS,
    LABELS,
    Unreadable,
    read_date,
    read_fields,
    shown,
    unknown_fields,
)
from rammeaftale.services.serialization import finding_to_data

router = APIRouter()
PARTIES = [policy(Policy.BUYER | Policy.OPERATOR)]
BUYER = [policy(Policy.BUYER)]
OPERATOR = [policy(Policy.OPERATOR)]
STATUS_LABELS = {"registered": "Registreret", "confirmed": "Bekræftet", "refused": "Afvist"}
NOTICE_LABELS = {
    FINAL: "Endelig opsigelse (R-SET-04)",
    PROVISIONAL: "Foreløbig opsigelse – gælder først, når driftsherren accepterer (R-SET-04)",
    ACUTE_CLOSURE: "Akut lukning af tilbuddet (R-SET-10)",
}
CONTRACT_LABELS = {"standard": "National standardkontrakt", "older": "Ældre kontrakt"}
SUPPLEMENT_LABELS = {ATA: "ATA-timer (R-SUP-02)", DAILY: "Beløb pr. dag", UNIT: "Enheder leveret"}
SOURCE_LABELS = {"api": "API", "web": "Webformular", "import": "Fil-import", "demo": "Demodata"}
FORM_FIELDS = tuple(f for f in FIELDS if f != "service_id")
MONTH = Query(pattern=r"^\d{4}-\d{2}$", description="Måned som ÅÅÅÅ-MM")
HELPERS = {
    "placement_status": lambda code: STATUS_LABELS.get(code, code),
    "notice_label": lambda code: NOTICE_LABELS.get(code, code),
    "contract_label": lambda code: CONTRACT_LABELS.get(code, code),
    "supplement_label": lambda code: SUPPLEMENT_LABELS.get(code, code),
    "placement_source": lambda code: SOURCE_LABELS.get(code, code),
}


def _page(request: Request, viewer: Viewer, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return render(request, viewer, name, {**HELPERS, **context}, status_code=status_code)


def _findings(found: Sequence[Finding]) -> list[dict[str, Any]]:
    return [finding_to_data(f) for f in found]


def _back(request: Request, placement_id: str, message: str, error: bool = False) -> Response:
    flash(request, message, error)
    return see_other(f"/indskrivninger/{placement_id}")


def _month(text: str | None) -> tuple[date, date] | None:
    if not text:
        return None
    year, month = int(text[:4]), int(text[5:])
    if not 2000 <= year <= 2100 or not 1 <= month <= 12:
        return None
    first = date(year, month, 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


def _in_month(view: placements_queries.PlacementView, window: tuple[date, date]) -> bool:
    p = view.placement
    return p.start <= window[1] and (p.notice_final_date is None or p.notice_final_date >= window[0])


# --- the list ----------------------------------------------------------------------------------------------


@router.get("/indskrivninger", response_class=HTMLResponse, dependencies=PARTIES)
def placements_page(
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    actor: UserDep,
    clock: ClockDep,
    status: Annotated[str | None, Query(max_length=20)] = None,
    tilbud: Annotated[str | None, Query(max_length=40)] = None,
    maaned: Annotated[str | None, MONTH] = None,
) -> HTMLResponse:
    """The caller's placements (a buyer's where its municipality acts or pays, an operator's in its offers),
    CPR masked, filtered by status, offer code and month (the placement runs in some day of the month)."""
    wanted = status if status in STATUS_LABELS else None
    window = _month(maaned)

    def shown(v: placements_queries.PlacementView) -> bool:
        return (not tilbud or v.offer_code == tilbud) and (window is None or _in_month(v, window))

    listed = placements_queries.list_placements(
        uow, actor, clock, status=wanted, limit=placements_queries.MAX_PAGE, keep=shown
    )
    context = {
        "views": listed.views,
        "total": listed.total,
        "offers": listed.offers,
        "statuses": STATUS_LABELS,
        "status": wanted or "",
        "tilbud": tilbud or "",
        "maaned": maaned or "",
        "flash": take_flash(request),
        "is_buyer": actor.role == "buyer",
    }
    return _page(request, viewer, "placements.html", context)


# --- registering: a form, or a file --------------------------------------------------------------------------


def _form_page(
    request: Request,
    viewer: Viewer,
    values: dict[str, str],
    *,
    message: str = "",
    findings: Sequence[Finding] = (),
    import_message: str = "",
    import_findings: Sequence[Finding] = (),
    filename: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    by_field: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        by_field.setdefault(f.field or "", []).append(finding_to_data(f))
    context = {
        "fields": [(name, LABELS[name]) for name in FORM_FIELDS],
        # the CPR number is never sent back (typed again); CPR-shaped text in another field comes back masked
        "values": {k: shown(v) for k, v in values.items() if k != "cpr"},
        "message": message,
        "findings": _findings(findings),
        "by_field": by_field,
        "import_message": import_message,
        "import_findings": _findings(import_findings),
        "filename": filename,
    }
    return _page(request, viewer, "placement_form.html", context, status_code)


@router.get("/indskrivninger/ny", response_class=HTMLResponse, dependencies=BUYER)
def new_placement_page(request: Request, viewer: ViewerDep, actor: UserDep) -> HTMLResponse:
    return _form_page(request, viewer, {})


@router.post("/indskrivninger", response_class=HTMLResponse, dependencies=BUYER)
def register_placement(
    request: Request, uow: UowDep, viewer: ViewerDep, actor: UserDep, clock: ClockDep, fields: FormFields
) -> Response:
    """Register a placement from the form: every finding at once, by field; nothing saved on an error."""
    values = {name: fields.get(name, "") for name in FORM_FIELDS}
    extra = {k: v for k, v in fields.items() if k not in FORM_FIELDS and k != "csrf_token"}
    placement, reading = read_fields({k: v for k, v in values.items() if v.strip()})
    try:
        registered = placements.register_placement(
            uow, actor, clock, placement, [*reading, *unknown_fields(extra)], source="web"
        )
    except InvalidSubmission as exc:
        return _form_page(request, viewer, values, message=exc.message, findings=exc.findings, status_code=422)
    warnings = len(registered.findings)
    message = "Indskrivningen er registreret og venter på driftsherrens bekræftelse."
    if warnings:
        message += f" {warnings} advarsel(er): " + " ".join(f.message for f in registered.findings)
    return _back(request, registered.placement_id, message)


@router.post("/indskrivninger/import", response_class=HTMLResponse, dependencies=BUYER)
def import_placements(
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    actor: UserDep,
    clock: ClockDep,
    fil: Annotated[UploadFile | None, File(description="Indskrivninger (.csv eller .xlsx)")] = None,
) -> Response:
    """Import every placement of a CSV or XLSX file, or none: findings by file, sheet, row and cell."""
    if fil is None or not fil.filename:
        return _form_page(request, viewer, {}, import_message="Vælg en fil at importere.", status_code=422)
    filename = compute.display_name(fil.filename)
    raw = fil.file.read(compute.MAX_UPLOAD_BYTES + 1)
    try:
        with compute.refusal_logged(raw, filename, **request_fields(request, actor)):
            if len(raw) > compute.MAX_UPLOAD_BYTES:
                raise InvalidSubmission("Filen er for stor (højst 5 MB).", [])
            imported = placements_import.import_placements(uow, actor, clock, raw, filename)
    except InvalidSubmission as exc:
        return _form_page(
            request,
            viewer,
            {},
            import_message=exc.message,
            import_findings=exc.findings,
            filename=filename,
            status_code=422,
        )
    message = f"{len(imported.placement_ids)} indskrivning(er) fra {filename} er registreret."
    if imported.findings:
        message += f" {len(imported.findings)} advarsel(er): " + " ".join(
            f"{f.source}: {f.message}" for f in imported.findings
        )
    flash(request, message)
    return see_other("/indskrivninger?status=registered")


# --- one placement -----------------------------------------------------------------------------------------


def _history(view: placements_queries.PlacementView) -> list[tuple[Any, str]]:
    """What happened to the placement, oldest first (the audit log holds the full before/after)."""
    p = view.placement
    events: list[tuple[Any, str]] = [(p.created_at, f"Registreret ({SOURCE_LABELS.get(p.source, p.source)})")]
    if p.confirmed_at is not None:
        events.append((p.confirmed_at, "Bekræftet af driftsherren"))
    if p.refused_at is not None:
        events.append((p.refused_at, f"Afvist af driftsherren: {p.refusal_reason}"))
    events.extend((s.created_at, f"Tillægsydelse tilføjet: {s.name}") for s in p.supplements)
    return events


def _detail(
    request: Request, viewer: Viewer, view: placements_queries.PlacementView, cpr: str | None = None
) -> HTMLResponse:
    p = view.placement
    notice = p.notice
    context = {
        "view": view,
        "p": p,
        "notice": notice,
        "notice_counts": notice is not None and (not notice.provisional or notice.operator_agrees),
        "party": view.party,
        "history": _history(view),
        "flash": take_flash(request),
        "cpr": cpr,
        "notice_kinds": {FINAL: NOTICE_LABELS[FINAL], PROVISIONAL: NOTICE_LABELS[PROVISIONAL]},
        "acute": ACUTE_CLOSURE,
        "supplement_kinds": SUPPLEMENT_LABELS,
        "ending_kinds": (ATA, DAILY),
    }
    return _page(request, viewer, "placement.html", context)


@router.get("/indskrivninger/{placement_id}", response_class=HTMLResponse, dependencies=PARTIES)
def placement_page(
    placement_id: str, request: Request, uow: UowDep, viewer: ViewerDep, actor: UserDep, clock: ClockDep
) -> HTMLResponse:
    return _detail(request, viewer, placements_queries.get_placement(uow, actor, clock, placement_id))


@router.post("/indskrivninger/{placement_id}/cpr", response_class=HTMLResponse, dependencies=PARTIES)
def reveal_cpr(
    placement_id: str, request: Request, uow: UowDep, viewer: ViewerDep, actor: UserDep, clock: ClockDep
) -> HTMLResponse:
    """The full CPR number, for the acting municipality and the operator only; the read is logged. The answer
    to the POST itself shows it (never a redirect, so it never sits in a URL or the history)."""
    number = placements_queries.reveal_cpr(uow, actor, clock, placement_id)
    response = _detail(request, viewer, placements_queries.get_placement(uow, actor, clock, placement_id), number)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/indskrivninger/{placement_id}/bekraeft", dependencies=OPERATOR)
def confirm_placement(placement_id: str, request: Request, uow: UowDep, actor: UserDep, clock: ClockDep) -> Response:
    try:
        placements.confirm_placement(uow, actor, clock, placement_id)
    except (InvalidSubmission, Conflict) as exc:
        return _back(request, placement_id, refusal(exc), error=True)
    return _back(request, placement_id, "Indskrivningen er bekræftet; den faktureres fra startdatoen.")


@router.post("/indskrivninger/{placement_id}/afvis", dependencies=OPERATOR)
def refuse_placement(
    placement_id: str, request: Request, uow: UowDep, actor: UserDep, clock: ClockDep, fields: FormFields
) -> Response:
    try:
        placements.refuse_placement(uow, actor, clock, placement_id, fields.get("reason", ""))
    except (InvalidSubmission, Conflict) as exc:
        return _back(request, placement_id, refusal(exc), error=True)
    return _back(request, placement_id, "Indskrivningen er afvist; den faktureres ikke.")


def _date(value: str, label: str) -> date:
    try:
        return read_date(value)
    except Unreadable as exc:
        raise InvalidSubmission(f"{label} {exc}.", []) from None


@router.post("/indskrivninger/{placement_id}/opsigelse", dependencies=PARTIES)
def give_notice(
    placement_id: str, request: Request, uow: UowDep, actor: UserDep, clock: ClockDep, fields: FormFields
) -> Response:
    """R-SET-04: the acting municipality gives notice with a final date; R-SET-10: the operator closes acutely."""
    kind = fields.get("kind", FINAL)
    try:
        final_date = _date(fields.get("final_date", ""), "Slutdatoen")
        given_on = _date(fields["given_on"], "Opsigelsesdatoen") if fields.get("given_on", "").strip() else None
        placements.give_notice(uow, actor, clock, placement_id, final_date, kind, given_on)
    except (InvalidSubmission, Conflict) as exc:
        return _back(request, placement_id, refusal(exc), error=True)
    done = "Tilbuddet er lukket akut (R-SET-10)." if kind == ACUTE_CLOSURE else "Opsigelsen er registreret (R-SET-04)."
    return _back(request, placement_id, done)


@router.post("/indskrivninger/{placement_id}/opsigelse/accept", dependencies=OPERATOR)
def agree_to_notice(placement_id: str, request: Request, uow: UowDep, actor: UserDep, clock: ClockDep) -> Response:
    try:
        placements.agree_to_notice(uow, actor, clock, placement_id)
    except (InvalidSubmission, Conflict) as exc:
        return _back(request, placement_id, refusal(exc), error=True)
    return _back(request, placement_id, "Den foreløbige opsigelse er accepteret og gælder nu (R-SET-04).")


def _number(fields: dict[str, str], name: str, problems: list[str]) -> Decimal | None:
    text = fields.get(name, "").strip()
    if not text:
        return None
    try:  # Danish "1.234,50" or plain "1234.50"; exact Decimal, never float
        number = Decimal(text.replace(".", "").replace(",", ".") if "," in text else text)
    except ArithmeticError:
        number = None
    if number is None or not number.is_finite():
        problems.append(f"Feltet {name} skal være et tal, fx 1,5.")
        return None
    return number


@router.post("/indskrivninger/{placement_id}/tillaeg", dependencies=OPERATOR)
def add_supplement(
    placement_id: str, request: Request, uow: UowDep, actor: UserDep, clock: ClockDep, fields: FormFields
) -> Response:
    """The operator adds a supplement: ATA hours (rate by R-SUP-02), an amount per day, or units delivered."""
    problems: list[str] = []
    numbers = {
        name: _number(fields, name, problems)
        for name in ("hours_per_day", "hourly_cost", "absence_pct", "time_coefficient_pct", "daily_amount")
    }
    try:
        start = _date(fields["start"], "Startdatoen") if fields.get("start", "").strip() else None
        end = _date(fields["end"], "Slutdatoen") if fields.get("end", "").strip() else None
        if problems:
            raise InvalidSubmission("Tillægsydelsen er ikke gemt. " + " ".join(problems), [])
        supplement = placement_supplements.SupplementInput(
            kind=fields.get("kind", ""),
            name=fields.get("name", ""),
            start=start,
            end=end,
            staff_category=fields.get("staff_category", ""),
            time_of_day=fields.get("time_of_day", ""),
            hours_per_day=numbers["hours_per_day"],
            hourly_cost=numbers["hourly_cost"],
            absence_pct=numbers["absence_pct"],
            time_coefficient_pct=numbers["time_coefficient_pct"],
            daily_amount=numbers["daily_amount"],
        )
        added = placement_supplements.add_supplement(uow, actor, clock, placement_id, supplement)
    except (InvalidSubmission, Conflict) as exc:
        return _back(request, placement_id, refusal(exc), error=True)
    message = "Tillægsydelsen er tilføjet."
    if added.findings:
        message += " " + " ".join(f"{f.rule_id}: {f.message}" for f in added.findings)
    return _back(request, placement_id, message)


@router.post("/indskrivninger/{placement_id}/tillaeg/{supplement_id}/afslut", dependencies=OPERATOR)
def end_supplement(
    placement_id: str,
    supplement_id: int,
    request: Request,
    uow: UowDep,
    actor: UserDep,
    clock: ClockDep,
    fields: FormFields,
) -> Response:
    """The operator ends an ATA or daily supplement; its last day is ``end`` (R-SET-05: paid to the end date)."""
    try:
        end = _date(fields.get("end", ""), "Slutdatoen")
        placement_supplements.end_supplement(uow, actor, clock, placement_id, supplement_id, end)
    except (InvalidSubmission, Conflict) as exc:
        return _back(request, placement_id, refusal(exc), error=True)
    return _back(request, placement_id, "Tillægsydelsen er afsluttet.")
