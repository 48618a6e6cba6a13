"""Use cases of placements (issue 5, handbook §§ 8–9): registered by the buyer, confirmed by the operator.

Each is one write transaction (``@write_use_case``) with one audit entry per placement it changes, before and
after, naming the placement by its pseudonymous id: no CPR number (not even masked) in any audit row.
Nothing of a placement is ever deleted (the database refuses it, migration 0006).

Who (``services/placements_access.py``, decision 0007): the buyer whose municipality is the acting
municipality registers, gives notice and sees the CPR number; the operator of the offer confirms or refuses, adds supplements and
closes acutely; the paying municipality (when it is another) sees the placement masked. Another organisation
gets NotFound, as for a placement that does not exist. The secretariat sees no citizen data at all.

Also: the import of a file, ``services/placements_import.py``; supplements, ``services/placement_supplements.py``;
reads, ``services/placements_queries.py``; reading a placement from JSON or a file row,
``services/placements_input.py``.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from rammeaftale.adapters.db.models import PlacementRow
from rammeaftale.adapters.db.placements_repositories import (
    ACUTE_CLOSURE,
    CONFIRMED,
    FINAL,
    PROVISIONAL,
    REFUSED,
    REGISTERED,
    StoredPlacement,
)
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.adapters.json_submission import json_path, load_json_object
from rammeaftale.domain.findings import Finding, has_errors
from rammeaftale.services.audit import audit
from rammeaftale.services.context import Actor, Clock, today
from rammeaftale.services.errors import Conflict, Forbidden, InvalidSubmission
from rammeaftale.services.placements_access import PLACEMENT_ID, placement_for_update, require_buyer
from rammeaftale.services.placements_input import (
    GENERAL,
    Checked,
    PlacementInput,
    check_placement,
    error,
    free_text,
    read_fields,
    unknown_fields,
)
from rammeaftale.services.retry import write_use_case

PLACEMENT_ID_PREFIX = "P-"
PLACEMENT_ID_CHARACTERS = 10  # base32: 50 random bits
NOT_SAVED = "Indskrivningen har fejl og er ikke gemt."
NOTICE_KINDS = (FINAL, PROVISIONAL, ACUTE_CLOSURE)


def new_placement_id() -> str:
    """``P-`` and 10 random base32 characters (A–Z, 2–7): pseudonymous, and never ten digits."""
    return PLACEMENT_ID_PREFIX + base64.b32encode(secrets.token_bytes(10)).decode("ascii")[:PLACEMENT_ID_CHARACTERS]


def placement_state(p: StoredPlacement | PlacementRow) -> dict[str, Any]:
    """What the audit trail records of a placement: everything but the citizen (no CPR, not even masked)."""
    if isinstance(p, StoredPlacement):
        days = p.respite_granted_days
        start, given, final = p.start, p.notice_given_on, p.notice_final_date
    else:
        days = None if p.respite_granted_days is None else tuple(p.respite_granted_days)
        start, given, final = p.start_date, p.notice_given_on, p.notice_final_date
    return {
        "status": p.status,
        "offer_id": p.offer_id,
        "service_id": p.service_id,
        "level": p.level,
        "acting_municipality": p.acting_municipality,
        "paying_municipality": p.paying_municipality,
        "contract": p.contract,
        "offer_kind": p.offer_kind,
        "start_date": str(start),
        "respite_granted_days": None if days is None else len(days),
        "negotiated_tariff": None if p.negotiated_tariff is None else f"{p.negotiated_tariff:.2f}",
        "agreed_notice_months": p.agreed_notice_months,
        "notice": None if given is None else {"given_on": str(given), "final_date": str(final), "kind": p.notice_kind},
        "notice_operator_agrees": p.notice_operator_agrees,
    }


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


# --- registering ----------------------------------------------------------------------------------------


def store_placement(
    uow: UnitOfWork, actor: Actor, clock: Clock, checked: Checked, source: str, placement_id: str | None = None
) -> str:
    p = checked.placement
    if placement_id is None:
        placement_id = new_placement_id()
        while uow.placements.id_taken(placement_id):
            placement_id = new_placement_id()
    elif not PLACEMENT_ID.fullmatch(placement_id) or uow.placements.id_taken(placement_id):
        raise Conflict("Indskrivningens id er ugyldigt eller allerede brugt.")
    sealed = uow.placements.seal(p.cpr, placement_id)
    row = PlacementRow(
        placement_id=placement_id,
        cpr_key_id=sealed.key_id,
        cpr_ciphertext=sealed.ciphertext,
        cpr_lookup=sealed.lookup,
        offer_id=checked.offer.id,
        service_id=checked.service.id,
        operator_id=checked.offer.operator.id,
        level=p.level,
        acting_municipality=p.acting_municipality,
        paying_municipality=p.paying_municipality,
        contract=p.contract.value,
        offer_kind=checked.offer_kind.value,
        start_date=p.start,
        respite_granted_days=None
        if checked.respite_granted_days is None
        else [d.isoformat() for d in checked.respite_granted_days],
        negotiated_tariff=p.negotiated_tariff,
        agreed_notice_months=p.agreed_notice_months,
        notice_kind="",
        notice_operator_agrees=False,
        status=REGISTERED,
        source=source,
        created_at=clock(),
        created_by=actor.user_id,
        refusal_reason="",
    )
    uow.placements.add(row)
    audit(
        uow,
        clock,
        actor,
        "placement.registered",
        "placement",
        placement_id,
        offer_code=checked.offer.code,
        source=source,
        before=None,
        after=placement_state(row),
    )
    return placement_id


def read_placement_json(raw: bytes | str) -> tuple[PlacementInput | None, list[Finding]]:
    """The API's JSON body; unknown fields are findings. Raises ``UnreadableInput`` for what is no JSON object."""
    data = load_json_object(raw, "en indskrivning")
    placement, findings = read_fields(data)
    return placement, [*findings, *unknown_fields(data)]


@dataclass(frozen=True)
class Registered:
    placement_id: str
    findings: tuple[Finding, ...]  # warnings only (an error saves nothing)


@write_use_case
def register_placement(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    placement: PlacementInput | None,
    reading_findings: Sequence[Finding] = (),
    source: str = "api",
    *,
    placement_id: str | None = None,
) -> Registered:
    """The buyer registers a placement of one of its citizens; returns the new placement id and warnings.

    The acting municipality must be the buyer's own (R-SET-01); the service must have a published daily
    tariff by the start year or the placement a negotiated one (R-SET-03); respite days only in a respite
    offer (R-SET-09). Any error: InvalidSubmission with every finding (JSON paths), nothing saved. The
    placement is ``registered`` until the operator confirms or refuses it. ``placement_id``: only for the
    deterministic demo (never from a client); by default a new random one.
    """
    require_buyer(actor)
    findings = list(reading_findings)
    checked: Checked | None = None
    if placement is not None and not has_errors(findings):
        checked, more = check_placement(uow, actor, placement, today(clock))
        findings += more
    located = [f if f.source else f.located(json_path(f.field)) for f in findings]
    if checked is None or has_errors(located):
        raise InvalidSubmission(NOT_SAVED, located)
    stored = store_placement(uow, actor, clock, checked, source, placement_id)
    uow.commit()
    return Registered(stored, tuple(located))


# --- the operator's answer --------------------------------------------------------------------------------


def _save_change(
    uow: UnitOfWork, actor: Actor, clock: Clock, row: PlacementRow, action: str, before: dict[str, Any], **data: Any
) -> None:
    uow.flush()
    was, now = changed_fields(before, placement_state(row))
    audit(uow, clock, actor, action, "placement", row.placement_id, before=was, after=now, **data)
    uow.commit()


@write_use_case
def confirm_placement(uow: UnitOfWork, actor: Actor, clock: Clock, placement_id: str) -> None:
    """The operator of the offer confirms a registered placement; from then on it is billed."""
    row, party = placement_for_update(uow, actor, placement_id)
    if not party.operator:
        raise Forbidden("Kun tilbuddets driftsherre kan bekræfte en indskrivning.")
    if row.status != REGISTERED:
        raise Conflict(f"Indskrivningen er allerede {_status_word(row.status)}.")
    before = placement_state(row)
    row.status, row.confirmed_at, row.confirmed_by = CONFIRMED, clock(), actor.user_id
    _save_change(uow, actor, clock, row, "placement.confirmed", before)


@write_use_case
def refuse_placement(uow: UnitOfWork, actor: Actor, clock: Clock, placement_id: str, reason: str) -> None:
    """The operator of the offer refuses a registered placement, with a reason; it is never billed."""
    row, party = placement_for_update(uow, actor, placement_id)
    if not party.operator:
        raise Forbidden("Kun tilbuddets driftsherre kan afvise en indskrivning.")
    reason = free_text(reason, 2000)
    if not reason:
        raise InvalidSubmission(
            "En afvisning kræver en begrundelse.", [error(GENERAL, "reason", "Skriv en begrundelse.")]
        )
    if row.status != REGISTERED:
        raise Conflict(f"Indskrivningen er allerede {_status_word(row.status)}.")
    before = placement_state(row)
    row.status, row.refused_at, row.refused_by, row.refusal_reason = REFUSED, clock(), actor.user_id, reason
    _save_change(uow, actor, clock, row, "placement.refused", before, reason=reason)


def _status_word(status: str) -> str:
    return {REGISTERED: "registreret", CONFIRMED: "bekræftet", REFUSED: "afvist"}.get(status, status)


# --- notice (R-SET-04 … R-SET-10) ---------------------------------------------------------------------------


@write_use_case
def give_notice(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    placement_id: str,
    final_date: date,
    kind: str = FINAL,
    given_on: date | None = None,
) -> None:
    """End a confirmed placement: the buyer gives a final date (R-SET-04), the operator closes acutely (R-SET-10).

    ``kind``: ``final`` (the buyer's notice with a final date; it counts from ``given_on``, default today),
    ``provisional`` (the buyer's; counts only once the operator agrees, ``agree_to_notice``), or
    ``acute_closure`` (the operator closed the offer acutely: only enrolled days are paid). A final notice
    replaces a provisional one; an acute closure replaces any. What is paid follows from the offer kind
    (R-SET-05 … R-SET-08) when the month is billed.
    """
    if kind not in NOTICE_KINDS:
        raise InvalidSubmission(
            "Ukendt opsigelsestype.",
            [error("R-SET-04", "kind", "Opsigelsen skal være final, provisional eller acute_closure.")],
        )
    row, party = placement_for_update(uow, actor, placement_id)
    if kind == ACUTE_CLOSURE and not party.operator:
        raise Forbidden("Kun tilbuddets driftsherre kan lukke akut (R-SET-10).")
    if kind != ACUTE_CLOSURE and not party.acting:
        raise Forbidden("Kun handlekommunen kan opsige indskrivningen (R-SET-04).")
    if row.status != CONFIRMED:
        raise Conflict("Kun en bekræftet indskrivning kan opsiges.")
    if (row.notice_kind == FINAL and kind != ACUTE_CLOSURE) or row.notice_kind == ACUTE_CLOSURE:
        raise Conflict("Indskrivningen er allerede opsagt med en endelig slutdato.")
    on = given_on or today(clock)
    problems = []
    if on > today(clock):
        problems.append(error("R-SET-04", "given_on", "Opsigelsen kan ikke gives en dag, der ikke er kommet endnu."))
    if final_date < row.start_date:
        problems.append(error("R-SET-04", "final_date", "Slutdatoen ligger før startdatoen (R-SET-04)."))
    if problems:
        raise InvalidSubmission("Opsigelsen er ikke gemt.", problems)
    before = placement_state(row)
    row.notice_given_on, row.notice_final_date, row.notice_kind = on, final_date, kind
    row.notice_operator_agrees = kind == ACUTE_CLOSURE
    action = "placement.closed_acutely" if kind == ACUTE_CLOSURE else "placement.notice_given"
    _save_change(uow, actor, clock, row, action, before)


@write_use_case
def agree_to_notice(uow: UnitOfWork, actor: Actor, clock: Clock, placement_id: str) -> None:
    """R-SET-04: the operator agrees to a provisional notice, which then counts from the day it was given."""
    row, party = placement_for_update(uow, actor, placement_id)
    if not party.operator:
        raise Forbidden("Kun tilbuddets driftsherre kan acceptere en foreløbig opsigelse.")
    if row.notice_kind != PROVISIONAL or row.notice_operator_agrees:
        raise Conflict("Der er ingen foreløbig opsigelse at acceptere.")
    before = placement_state(row)
    row.notice_operator_agrees = True
    _save_change(uow, actor, clock, row, "placement.notice_agreed", before)


# --- key rotation -----------------------------------------------------------------------------------------


@write_use_case
def reseal_cpr(uow: UnitOfWork, actor: Actor, clock: Clock, limit: int = 1000) -> int:
    """Re-encrypt up to ``limit`` CPR numbers sealed with an older key under the current key (a key rotation,
    ``adapters/cpr_vault.py``); returns how many. Only the system (the command line) runs it."""
    if actor.role != "system":
        raise Forbidden("Kun systemet kan omkryptere CPR-numre.")
    count = uow.placements.reseal(limit)
    if count:
        audit(uow, clock, actor, "placements.cpr_resealed", "placement", "*", count=count, before=None, after=None)
    uow.commit()
    return count
