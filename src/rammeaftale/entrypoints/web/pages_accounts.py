"""Accounts pages (handbook § 7, issue 4): an offer's accounts with upload, template and web form; one
accounts version with its consequences; the operator's reserve ledger; the secretariat's region overview.

Thin, like the tariff pages: parse the request, call the accounts use cases and queries
(``services/accounts.py``, ``accounts_queries.py``, ``reserves.py``, ``accounts_pages.py``), render. A
refused file or form is shown again with every finding (status 422) and nothing is saved. Who may see
what is the services' business: another organisation's offer, accounts or ledger answers 404.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from rammeaftale.adapters.db.accounts_repositories import REPAYMENT, StoredAccounts
from rammeaftale.adapters.documents.formatting import format_pct
from rammeaftale.adapters.excel.accounts_reader import locate_accounts_xlsx
from rammeaftale.adapters.excel.accounts_template import write_accounts_template
from rammeaftale.adapters.json_submission import locate_json
from rammeaftale.domain.accounts import ACCOUNTS_LEVEL_LABELS, ENTRY_KIND_LABELS, AccountsLevel, EntryKind
from rammeaftale.domain.accounts_submission import INCOME_LABELS, build_accounts_submission
from rammeaftale.domain.findings import Finding
from rammeaftale.domain.submission import CATEGORY_BY_KEY
from rammeaftale.entrypoints.deps import ClockDep, UowDep, UserDep, request_fields
from rammeaftale.entrypoints.policies import Policy, policy
from rammeaftale.entrypoints.web import accounts_form
from rammeaftale.entrypoints.web.accounts_text import consequences
from rammeaftale.entrypoints.web.charts import Bar, ReferenceLine, bar_chart_svg
from rammeaftale.entrypoints.web.pages_offers import XLSX
from rammeaftale.entrypoints.web.pages_submissions import FormFields, user_name
from rammeaftale.entrypoints.web.rendering import Viewer, ViewerDep, render, see_other
from rammeaftale.entrypoints.web.submission_form import Kind
from rammeaftale.services import accounts_compute, accounts_pages, accounts_queries, compute
from rammeaftale.services.access import can_manage_offer_submissions
from rammeaftale.services.accounts import submit_accounts
from rammeaftale.services.accounts_support import purchases_by_kommunekode
from rammeaftale.services.context import today
from rammeaftale.services.errors import InvalidSubmission
from rammeaftale.services.serialization import finding_to_data

router = APIRouter()
OPERATOR = [policy(Policy.OPERATOR)]
READERS = [policy(Policy.OPERATOR | Policy.SECRETARIAT)]
SECRETARIAT = [policy(Policy.SECRETARIAT)]
YEAR = Query(ge=2000, le=2100, description="Regnskabsåret; uden angivelse sidste år")
PATH_YEAR = Path(ge=2000, le=2100, description="Regnskabsåret")
KIND_LABELS = {"surplus": "Overskud", "deficit": "Underskud"}
SOURCE_LABELS = {"xlsx": "Regnskabsskema (Excel)", "json": "JSON-fil", "form": "Webformular", "demo": "Demodata"}
BASIS_LABELS = {"tariff": "årets godkendte takst", "stated": "angivet i regnskabet"}
REGULATION_KIND_LABELS = {"tariff": "Takst", REPAYMENT: "Tilbagebetaling til køber"}
HELPERS = {
    "kind_of": lambda code: KIND_LABELS.get(code, code),
    "accounts_source": lambda code: SOURCE_LABELS.get(code, code),
    "basis_label": lambda code: BASIS_LABELS.get(code, code),
    "level_label": lambda code: (
        ACCOUNTS_LEVEL_LABELS.get(AccountsLevel(code), code)
        if code in {level.value for level in AccountsLevel}
        else code
    ),
    "entry_label": lambda kind: ENTRY_KIND_LABELS.get(EntryKind(kind), str(kind)),
    "regulation_label": lambda code: REGULATION_KIND_LABELS.get(code, code),
    "signed_percent": lambda a: a.percent if a.kind == "surplus" else -a.percent,
    # what still enters the tariff: the excess less an early repayment to the buyers (R-SUR-07)
    "tariff_left": lambda a: a.tariff_effect + a.early_repayment,
}


def last_year(clock: ClockDep) -> int:
    """The accounts year a page works on by default: last year (its accounts are due this spring, R-CYC-01)."""
    return today(clock).year - 1


def page(request: Request, viewer: Viewer, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return render(request, viewer, name, {**HELPERS, **context}, status_code=status_code)


def _tone(a: StoredAccounts) -> str:
    kind = "surplus" if a.kind == "surplus" else "deficit"
    return f"beyond-{kind}" if a.excess > 0 else kind


def percent_bar(label: str, a: StoredAccounts) -> Bar:
    signed = a.percent if a.kind == "surplus" else -a.percent
    return Bar(label, signed, format_pct(signed), _tone(a))


def limit_lines(uow: UowDep, region_code: int, year: int) -> list[ReferenceLine]:
    try:
        limits = accounts_pages.accounts_limits(uow, region_code, year)
    except InvalidSubmission:  # no rule set for the year: the chart goes without its limit lines
        return []
    return [
        ReferenceLine(limits.surplus_pct, f"+{format_pct(limits.surplus_pct)}"),
        ReferenceLine(-limits.deficit_pct, f"−{format_pct(limits.deficit_pct)}"),
    ]


def findings_view(found: Sequence[Finding], *, in_form: bool = False) -> list[dict[str, Any]]:
    return [accounts_form.finding_view(finding_to_data(f), in_form=in_form) for f in found]


# --- one offer's accounts: list, template, upload -------------------------------------------------------


def _offer_page(
    request: Request,
    uow: UowDep,
    viewer: Viewer,
    offer_id: int,
    year: int,
    *,
    message: str = "",
    findings: list[dict[str, Any]] | None = None,
    filename: str = "",
    reason: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    offer, versions = accounts_queries.offer_accounts(uow, viewer.actor, offer_id)
    current = sorted((a for a in versions if a.current), key=lambda a: (a.accounts_year, a.target_group))
    chart = bar_chart_svg(
        [percent_bar(str(a.accounts_year) + (f" {a.target_group}" if a.target_group else ""), a) for a in current],
        f"Resultat i procent af takstberegningsgrundlaget, {offer.current.name}",
        "Resultat i % af takstberegningsgrundlaget (+ overskud, − underskud)",
        limit_lines(uow, offer.operator.region_code, year),
    )
    context = {
        "offer": offer,
        "versions": versions,
        "year": year,
        "chart": chart,
        "has_year": any(a.current and a.accounts_year == year for a in versions),
        "may_submit": can_manage_offer_submissions(viewer.actor, offer),
        "message": message,
        "findings": findings or [],
        "filename": filename,
        "reason": reason,
    }
    return page(request, viewer, "accounts_offer.html", context, status_code)


@router.get("/tilbud/{offer_id}/regnskab", response_class=HTMLResponse, dependencies=READERS)
def offer_accounts_page(
    offer_id: int,
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    actor: UserDep,
    clock: ClockDep,
    aar: Annotated[int | None, YEAR] = None,
) -> HTMLResponse:
    return _offer_page(request, uow, viewer, offer_id, aar if aar is not None else last_year(clock))


@router.get("/tilbud/{offer_id}/regnskab/skabelon", dependencies=READERS)
def accounts_template(
    offer_id: int, uow: UowDep, actor: UserDep, clock: ClockDep, aar: Annotated[int | None, YEAR] = None
) -> Response:
    """The regnskabsskema for a year: the offer, year, rule set and cost base filled in, the approved
    tariff's budget beside it (column D); a correction starts from the current version's figures."""
    year = aar if aar is not None else last_year(clock)
    start = accounts_pages.accounts_start(uow, actor, offer_id, year)
    content = write_accounts_template(start.prefill, start.budget, offer_name=start.offer.current.name, fictitious=True)
    filename = re.sub(r"[^A-Za-z0-9._-]", "-", f"regnskab-{start.offer.code}-{year}.xlsx")
    return Response(content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.post("/tilbud/{offer_id}/regnskab", response_class=HTMLResponse, dependencies=OPERATOR)
def accounts_upload(
    offer_id: int,
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    actor: UserDep,
    clock: ClockDep,
    fil: Annotated[UploadFile | None, File(description="Regnskabsskema (.xlsx) eller JSON-fil")] = None,
    reason: Annotated[str, Form()] = "",
    aar: Annotated[int | None, Form(ge=2000, le=2100)] = None,
) -> Response:
    """Upload accounts (XLSX or JSON); findings point at sheet and cell. A second file for a year is a
    correction and needs ``reason``."""
    year = aar if aar is not None else last_year(clock)
    if fil is None or not fil.filename:
        message = "Vælg en fil at uploade."
        return _offer_page(request, uow, viewer, offer_id, year, message=message, reason=reason, status_code=422)
    filename = compute.display_name(fil.filename)
    raw = fil.file.read(compute.MAX_UPLOAD_BYTES + 1)
    try:
        with compute.refusal_logged(raw, filename, **request_fields(request, actor)):
            if len(raw) > compute.MAX_UPLOAD_BYTES:
                raise compute.Unreadable("Filen er for stor (højst 5 MB).")
            submission, reading, xlsx = accounts_compute.read_accounts_file(raw, filename)

            def locate(found: list[Finding]) -> list[Finding]:
                return locate_accounts_xlsx(found, filename) if xlsx else locate_json(found)

            source = "xlsx" if xlsx else "json"
            submitted = submit_accounts(
                uow, actor, clock, offer_id, submission, source, reason, reading_findings=reading, locate=locate
            )
    except compute.Unreadable as exc:
        return _offer_page(
            request, uow, viewer, offer_id, year, message=str(exc), filename=filename, reason=reason, status_code=422
        )
    except InvalidSubmission as exc:
        return _offer_page(
            request,
            uow,
            viewer,
            offer_id,
            year,
            message=exc.message,
            findings=findings_view(exc.findings),
            filename=filename,
            reason=reason,
            status_code=422,
        )
    return see_other(f"/regnskaber/{submitted.accounts_id}")


# --- the web form ------------------------------------------------------------------------------------------


def _form_page(
    request: Request,
    viewer: Viewer,
    start: accounts_pages.AccountsStart,
    values: dict[str, str],
    *,
    message: str = "",
    findings: Sequence[Finding] = (),
    status_code: int = 200,
) -> HTMLResponse:
    by_field: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        name = accounts_form.field_for(f.field)
        if name is not None:
            by_field.setdefault(name, []).append(finding_to_data(f))
    purchases = [accounts_form.purchase_field(code, name) for code, name in start.buyers]
    context = {
        "start": start,
        "offer": start.offer,
        "year": start.year,
        "sections": accounts_form.SECTIONS,
        "group_help": accounts_form.GROUP_HELP,
        "reason_field": accounts_form.REASON_FIELD,
        "purchase_fields": purchases,
        "purchases_open": any(name.startswith(accounts_form.PURCHASES) for name in by_field)
        or any(values.get(f.name) for f in purchases),
        "kinds": Kind,
        "values": values,
        "message": message,
        "findings": findings_view(findings, in_form=True),
        "by_field": by_field,
    }
    return page(request, viewer, "accounts_form.html", context, status_code)


@router.get("/tilbud/{offer_id}/regnskab/formular", response_class=HTMLResponse, dependencies=OPERATOR)
def accounts_form_page(
    offer_id: int,
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    actor: UserDep,
    clock: ClockDep,
    aar: Annotated[int | None, YEAR] = None,
) -> HTMLResponse:
    start = accounts_pages.accounts_start(uow, actor, offer_id, aar if aar is not None else last_year(clock))
    return _form_page(request, viewer, start, accounts_form.form_values(start.prefill))


@router.post("/tilbud/{offer_id}/regnskab/formular", response_class=HTMLResponse, dependencies=OPERATOR)
def accounts_form_submit(
    offer_id: int,
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    actor: UserDep,
    clock: ClockDep,
    fields: FormFields,
    aar: Annotated[int | None, YEAR] = None,
) -> Response:
    start = accounts_pages.accounts_start(uow, actor, offer_id, aar if aar is not None else last_year(clock))
    data, raw_purchases, form_findings = accounts_form.accounts_data(
        fields, start.ruleset_id, start.year, start.offer.code, start.buyers
    )
    submission, reading = build_accounts_submission(data)
    purchases, more = purchases_by_kommunekode(uow, raw_purchases)
    try:
        submitted = submit_accounts(
            uow,
            actor,
            clock,
            offer_id,
            submission,
            "form",
            fields.get(accounts_form.REASON, ""),
            purchases=purchases,
            reading_findings=[*form_findings, *reading, *more],
        )
    except InvalidSubmission as exc:
        return _form_page(request, viewer, start, fields, message=exc.message, findings=exc.findings, status_code=422)
    return see_other(f"/regnskaber/{submitted.accounts_id}")


# --- one accounts version ----------------------------------------------------------------------------------


def _cost_rows(data: dict[str, Any]) -> list[tuple[str, Decimal, bool]]:
    """The costs as submitted: each category with its total, then its lines (label, amount, is a line)."""
    rows: list[tuple[str, Decimal, bool]] = []
    costs = data.get("costs")
    raw = costs if isinstance(costs, dict) else {}
    known = sorted(((CATEGORY_BY_KEY[k], v) for k, v in raw.items() if k in CATEGORY_BY_KEY), key=lambda c: c[0].number)
    for spec, lines in known:
        if not isinstance(lines, dict):
            continue
        amounts = {line: Decimal(str(value)) for line, value in lines.items()}
        rows.append((f"{spec.number}. {spec.label}", sum(amounts.values(), Decimal(0)), False))
        labels = dict(spec.lines)
        if list(amounts) != ["total"]:
            rows.extend((labels.get(line, line), value, True) for line, value in amounts.items())
    return rows


@router.get("/regnskaber/{accounts_id}", response_class=HTMLResponse, dependencies=READERS)
def accounts_page(accounts_id: int, request: Request, uow: UowDep, viewer: ViewerDep, actor: UserDep) -> HTMLResponse:
    detail = accounts_queries.accounts_detail(uow, actor, accounts_id)
    a = detail.accounts
    entries = accounts_pages.reserve_entries(uow, detail)
    _, versions = accounts_queries.offer_accounts(uow, actor, a.offer_id)
    successor = next((v for v in versions if v.supersedes_id == a.id), None)
    income = a.data.get("income") if isinstance(a.data.get("income"), dict) else {}
    context = {
        "detail": detail,
        "a": a,
        "offer": detail.offer,
        "sentences": consequences(a, detail.regulations, entries, accounts_pages.accounts_ruleset(a)),
        "entries": entries,
        "successor": successor,
        "stored_findings": [accounts_form.finding_view(f, in_form=False) for f in a.findings],
        "cost_rows": _cost_rows(a.data),
        "income_rows": [(INCOME_LABELS.get(k, k), Decimal(str(v))) for k, v in (income or {}).items()],
        "submitted_by": user_name(uow, a.submitted_by),
        "may_correct": can_manage_offer_submissions(actor, detail.offer) and a.current,
    }
    return page(request, viewer, "accounts_detail.html", context)
