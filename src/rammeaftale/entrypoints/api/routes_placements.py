"""JSON API of placements (issue 5, handbook §§ 8–9). Thin: parse, call the services, build the response field
by field. Amounts are decimal strings with øre.

Who: buyers register (also by file), give notice and read their placements (acting or paying municipality);
operators confirm, refuse, add and end supplements, close acutely and read the placements of their offers;
the secretariat and board members are refused (403), anonymous callers 401, and a placement of another
organisation answers 404 like one that does not exist (``services/placements_access.py``, decision 0007).

The CPR number is never in a URL, a log line or an error body: it travels only in request bodies (register,
search), responses carry it masked, and the full number comes only from POST .../cpr for the two parties
(a POST, so it never sits in a URL or a cache; every personal response is ``no-store`` anyway).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, Request, UploadFile

from rammeaftale.adapters.json_submission import UnreadableInput, load_json_object
from rammeaftale.domain.findings import Finding
from rammeaftale.domain.money import MoneyError, amount
from rammeaftale.domain.settlement import Delivery
from rammeaftale.entrypoints.api.placements_schema import (
    PLACEMENT_BODY,
    SEARCH_BODY,
    CprOut,
    DeliveryOut,
    Empty,
    ImportedOut,
    MunicipalityOut,
    NoticeIn,
    NoticeOut,
    PartyOut,
    PlacementListOut,
    PlacementOut,
    Refusal,
    RegisteredOut,
    SupplementAddedOut,
    SupplementEnd,
    SupplementIn,
    SupplementOut,
    TariffOut,
)
from rammeaftale.entrypoints.api.routes import ERROR_RESPONSES, FindingOut
from rammeaftale.entrypoints.deps import ClockDep, UowDep, UserDep, integers_in_range, request_fields
from rammeaftale.entrypoints.policies import Policy, policy
from rammeaftale.services import compute, placement_supplements, placements, placements_import, placements_queries
from rammeaftale.services.errors import InvalidSubmission
from rammeaftale.services.placements_input import GENERAL, error
from rammeaftale.services.serialization import finding_to_data

router = APIRouter(tags=["indskrivninger"], responses=ERROR_RESPONSES, dependencies=[Depends(integers_in_range)])
PARTIES = Policy.BUYER | Policy.OPERATOR
PlacementId = Annotated[str, Path(description="Indskrivningens pseudonyme id, fx P-ABCDEFGH23")]


# --- building the responses ------------------------------------------------------------------------------


def _kr(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _number(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _placement(view: placements_queries.PlacementView) -> dict[str, Any]:
    p = view.placement
    notice = p.notice
    return {
        "placement_id": p.placement_id,
        "cpr_masked": p.masked_cpr,
        "status": p.status,
        "offer_id": p.offer_id,
        "offer_code": view.offer_code,
        "offer_name": view.offer_name,
        "service_id": p.service_id,
        "service_name": view.service_name,
        "level": p.level,
        "operator_id": p.operator_id,
        "operator_name": view.operator_name,
        "acting_municipality": MunicipalityOut(kommunekode=p.acting_municipality, name=view.acting_name),
        "paying_municipality": None
        if p.paying_municipality is None
        else MunicipalityOut(kommunekode=p.paying_municipality, name=view.paying_name or ""),
        "contract": p.contract,
        "offer_kind": p.offer_kind,
        "start_date": p.start,
        "respite_granted_days": None if p.respite_granted_days is None else list(p.respite_granted_days),
        "negotiated_tariff": _kr(p.negotiated_tariff),
        "agreed_notice_months": p.agreed_notice_months,
        "notice": None
        if notice is None
        else NoticeOut(
            given_on=notice.given_on,
            final_date=notice.final_date,
            kind=p.notice_kind,
            operator_agrees=p.notice_operator_agrees,
            counts=not notice.provisional or notice.operator_agrees,
        ),
        "tariffs": [
            TariffOut(effective_from=t.effective_from, daily=f"{t.daily:.2f}", label=t.label) for t in view.tariffs
        ],
        "supplements": [
            SupplementOut(
                id=s.id,
                kind=s.kind,
                name=s.name,
                start=s.start,
                end=s.end,
                hours_per_day=_number(s.hours_per_day),
                staff_category=s.staff_category,
                hourly_cost=_kr(s.hourly_cost),
                absence_pct=_number(s.absence_pct),
                time_of_day=s.time_of_day,
                time_coefficient_pct=_number(s.time_coefficient_pct),
                variable_costs_pct=_number(s.variable_costs_pct),
                hourly_rate=_kr(s.hourly_rate),
                daily_amount=_kr(s.daily_amount),
                unit_price=_kr(s.unit_price),
                deliveries=[DeliveryOut(day=d.day, quantity=str(d.quantity)) for d in s.deliveries],
                created_at=s.created_at,
            )
            for s in p.supplements
        ],
        "source": p.source,
        "created_at": p.created_at,
        "confirmed_at": p.confirmed_at,
        "refused_at": p.refused_at,
        "refusal_reason": p.refusal_reason,
        "you": PartyOut(
            operator=view.party.operator,
            acting_municipality=view.party.acting,
            paying_municipality=view.party.paying,
            may_reveal_cpr=view.party.may_reveal_cpr,
        ),
    }


def _findings(found: tuple[Finding, ...] | list[Finding]) -> list[FindingOut]:
    return [FindingOut(**finding_to_data(f)) for f in found]


def _read(uow: UowDep, actor: UserDep, clock: ClockDep, placement_id: str) -> PlacementOut:
    return PlacementOut(**_placement(placements_queries.get_placement(uow, actor, clock, placement_id)))


def _decimal(value: str | None, field: str, problems: list[Finding]) -> Decimal | None:
    if value is None or not value.strip():
        return None
    try:
        return amount(value)
    except (MoneyError, ValueError):
        problems.append(
            error("R-SUP-02", field, "Tallet kan ikke læses; skriv det som decimaltal, fx 1.5 eller 220.00.")
        )
        return None


def _supplement(body: SupplementIn) -> placement_supplements.SupplementInput:
    problems: list[Finding] = []
    numbers = {
        name: _decimal(getattr(body, name), name, problems)
        for name in (
            "hours_per_day",
            "hourly_cost",
            "absence_pct",
            "time_coefficient_pct",
            "daily_amount",
            "unit_price",
        )
    }
    deliveries = []
    for n, d in enumerate(body.deliveries):
        quantity = _decimal(d.quantity, f"deliveries[{n}].quantity", problems)
        if quantity is not None:
            deliveries.append(Delivery(d.day, quantity))
    if problems:
        raise InvalidSubmission("Tillægsydelsen er ikke gemt.", [f.located(f"$.{f.field}") for f in problems])
    return placement_supplements.SupplementInput(
        kind=body.kind,
        name=body.name,
        start=body.start,
        end=body.end,
        staff_category=body.staff_category,
        time_of_day=body.time_of_day,
        deliveries=tuple(deliveries),
        **numbers,
    )


# --- routes ------------------------------------------------------------------------------------------------


@router.get("/placements", dependencies=[policy(PARTIES)])
def list_placements(
    uow: UowDep,
    actor: UserDep,
    clock: ClockDep,
    status: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=placements_queries.MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> PlacementListOut:
    """The caller's placements, newest start first: a buyer's where its municipality acts or pays, an
    operator's in its offers. CPR numbers masked; every placement on the page is logged as read."""
    page = placements_queries.list_placements(uow, actor, clock, status=status, limit=limit, offset=offset)
    return PlacementListOut(
        total=page.total,
        limit=page.limit,
        offset=page.offset,
        placements=[PlacementOut(**_placement(v)) for v in page.views],
    )


@router.post("/placements", status_code=201, openapi_extra=PLACEMENT_BODY, dependencies=[policy(Policy.BUYER)])
async def register_placement(request: Request, uow: UowDep, actor: UserDep, clock: ClockDep) -> RegisteredOut:
    """Register a placement of one of the buyer's citizens (the acting municipality is the buyer's own). The
    body is read exactly and refused with findings (JSON paths) that never repeat the CPR number."""
    raw = await request.body()
    with compute.refusal_logged(raw, None, **request_fields(request, actor)):
        try:
            placement, findings = placements.read_placement_json(raw)
        except UnreadableInput as exc:
            raise InvalidSubmission(str(exc), []) from exc
        registered = placements.register_placement(uow, actor, clock, placement, findings)
    view = placements_queries.get_placement(uow, actor, clock, registered.placement_id)
    return RegisteredOut(**_placement(view), findings=_findings(registered.findings))


@router.post("/placements/import", status_code=201, dependencies=[policy(Policy.BUYER)])
async def import_placements(
    request: Request, uow: UowDep, actor: UserDep, clock: ClockDep, file: Annotated[UploadFile, File()]
) -> ImportedOut:
    """Register every placement of a CSV or XLSX file (one header row), or none: findings by row and column
    or sheet and cell, never with a CPR number."""
    raw = await file.read(compute.MAX_UPLOAD_BYTES + 1)
    name = compute.display_name(file.filename or "indskrivninger")
    with compute.refusal_logged(raw, name, **request_fields(request, actor)):
        if len(raw) > compute.MAX_UPLOAD_BYTES:
            raise InvalidSubmission("Filen er for stor (højst 5 MB).", [])
        imported = placements_import.import_placements(uow, actor, clock, raw, name)
    return ImportedOut(
        count=len(imported.placement_ids),
        placement_ids=list(imported.placement_ids),
        findings=_findings(imported.findings),
    )


@router.post("/placements/search", openapi_extra=SEARCH_BODY, dependencies=[policy(PARTIES)])
async def search_placements(request: Request, uow: UowDep, actor: UserDep, clock: ClockDep) -> PlacementListOut:
    """A citizen's placements that the caller is a party to, by CPR number in the body (never in the URL);
    found by the number's keyed hash, nothing decrypted. Each hit is logged as read."""
    try:
        data = load_json_object(await request.body(), "en søgning")
    except UnreadableInput as exc:
        raise InvalidSubmission(str(exc), []) from exc
    unknown = [k for k in data if k != "cpr"]
    if unknown:
        raise InvalidSubmission("Søgningen har kun feltet cpr.", [error(GENERAL, "", "Søgningen har kun feltet cpr.")])
    views = placements_queries.find_placements(uow, actor, clock, data.get("cpr"))
    return PlacementListOut(
        total=len(views), limit=len(views), offset=0, placements=[PlacementOut(**_placement(v)) for v in views]
    )


@router.get("/placements/{placement_id}", dependencies=[policy(PARTIES)])
def get_placement(placement_id: PlacementId, uow: UowDep, actor: UserDep, clock: ClockDep) -> PlacementOut:
    """One placement of the caller's (404 for anybody else's), with its tariffs and supplements."""
    return _read(uow, actor, clock, placement_id)


@router.post("/placements/{placement_id}/cpr", dependencies=[policy(PARTIES)])
def reveal_cpr(placement_id: PlacementId, body: Empty, uow: UowDep, actor: UserDep, clock: ClockDep) -> CprOut:
    """The full CPR number, for the acting municipality and the operator only (the read is logged)."""
    return CprOut(placement_id=placement_id, cpr=placements_queries.reveal_cpr(uow, actor, clock, placement_id))


@router.post("/placements/{placement_id}/confirm", dependencies=[policy(Policy.OPERATOR)])
def confirm_placement(
    placement_id: PlacementId, body: Empty, uow: UowDep, actor: UserDep, clock: ClockDep
) -> PlacementOut:
    """The operator of the offer confirms a registered placement; from then on it is billed."""
    placements.confirm_placement(uow, actor, clock, placement_id)
    return _read(uow, actor, clock, placement_id)


@router.post("/placements/{placement_id}/refuse", dependencies=[policy(Policy.OPERATOR)])
def refuse_placement(
    placement_id: PlacementId, body: Refusal, uow: UowDep, actor: UserDep, clock: ClockDep
) -> PlacementOut:
    """The operator of the offer refuses a registered placement, with a reason."""
    placements.refuse_placement(uow, actor, clock, placement_id, body.reason)
    return _read(uow, actor, clock, placement_id)


@router.post("/placements/{placement_id}/notice", dependencies=[policy(PARTIES)])
def give_notice(
    placement_id: PlacementId, body: NoticeIn, uow: UowDep, actor: UserDep, clock: ClockDep
) -> PlacementOut:
    """End a confirmed placement: the acting municipality gives a final (or provisional) notice with the
    final date (R-SET-04); the operator closes acutely (``acute_closure``, R-SET-10)."""
    placements.give_notice(uow, actor, clock, placement_id, body.final_date, body.kind, body.given_on)
    return _read(uow, actor, clock, placement_id)


@router.post("/placements/{placement_id}/notice/agreement", dependencies=[policy(Policy.OPERATOR)])
def agree_to_notice(
    placement_id: PlacementId, body: Empty, uow: UowDep, actor: UserDep, clock: ClockDep
) -> PlacementOut:
    """The operator agrees to a provisional notice, which then counts (R-SET-04)."""
    placements.agree_to_notice(uow, actor, clock, placement_id)
    return _read(uow, actor, clock, placement_id)


@router.post("/placements/{placement_id}/supplements", status_code=201, dependencies=[policy(Policy.OPERATOR)])
def add_supplement(
    placement_id: PlacementId, body: SupplementIn, uow: UowDep, actor: UserDep, clock: ClockDep
) -> SupplementAddedOut:
    """The operator adds a supplement: ATA hours (rate by R-SUP-02), an amount per day, or units delivered."""
    added = placement_supplements.add_supplement(uow, actor, clock, placement_id, _supplement(body))
    return SupplementAddedOut(
        supplement_id=added.supplement_id,
        findings=_findings(added.findings),
        placement=_read(uow, actor, clock, placement_id),
    )


@router.post("/placements/{placement_id}/supplements/{supplement_id}/end", dependencies=[policy(Policy.OPERATOR)])
def end_supplement(
    placement_id: PlacementId,
    supplement_id: int,
    body: SupplementEnd,
    uow: UowDep,
    actor: UserDep,
    clock: ClockDep,
) -> PlacementOut:
    """The operator ends an ATA or daily supplement; its last day is ``end``."""
    placement_supplements.end_supplement(uow, actor, clock, placement_id, supplement_id, body.end)
    return _read(uow, actor, clock, placement_id)
