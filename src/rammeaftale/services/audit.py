"""The audit trail: one append-only row per change, and one per read of citizen data (issue 3, part 4).

Both tables refuse UPDATE and DELETE at database level (migration 0002).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rammeaftale.adapters.db.models import AuditEntry, PersonalDataRead
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.services.context import Actor, Clock

# Ten digits, optionally as DDMMYY-SSSS: what a CPR number looks like. Never a subject reference.
CPR_SHAPED = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")


def audit(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object,
    *,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    **data: Any,
) -> None:
    """Write the audit row of a change, inside the same transaction as the change.

    Who (user and organisation), what (action, entity), when (the clock, UTC) and the change itself:
    ``before`` and ``after`` hold the fields that changed, as they were and as they became (None
    when the entity did not exist before, or no longer exists after). Every row carries both keys.
    """
    uow.audit.add(
        AuditEntry(
            at=clock(),
            actor_id=actor.user_id,
            actor_name=actor.username,
            organisation_id=actor.organisation_id,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            data={**{k: _plain(v) for k, v in data.items()}, "before": _plain(before), "after": _plain(after)},
        )
    )


def record_read(
    uow: UnitOfWork, clock: Clock, actor: Actor, subject_ref: str, purpose: str, *, commit: bool = True
) -> None:
    """Log one read of citizen data: who, for which organisation, when (UTC), whose data and why.

    The placements issue MUST call this for every read of citizen data (a page, an API response, an
    export, a search hit that shows more than a count), before the data leaves the use case, so that
    every use of personal data is traceable and a citizen can be told who looked them up
    (``uow.audit.reads_of(subject_ref)``).

    ``subject_ref`` is the pseudonymous placement or citizen reference, never a CPR number: a
    CPR-shaped value is refused (ValueError, without echoing it). ``purpose`` says why, e.g.
    "placement.view" or "invoice.export". A read use case commits the log row at once
    (``commit=True``); inside a write use case pass ``commit=False`` and it commits with the change.
    The table refuses UPDATE and DELETE at database level.
    """
    reference = subject_ref.strip()
    if not reference or len(reference) > 64 or CPR_SHAPED.search(reference):
        raise ValueError("subject_ref must be a pseudonymous reference of at most 64 characters, never a CPR number")
    if not purpose.strip():
        raise ValueError("purpose is required")
    uow.audit.add_read(
        PersonalDataRead(
            at=clock(),
            actor_id=actor.user_id,
            organisation_id=actor.organisation_id,
            subject_ref=reference,
            purpose=purpose.strip()[:200],
        )
    )
    if commit:
        uow.commit()


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)
