"""Writes the audit entry of a change, inside the same transaction as the change."""

from __future__ import annotations

from typing import Any

from rammeaftale.adapters.db.models import AuditEntry
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.services.context import Actor, Clock


def audit(
    uow: UnitOfWork, clock: Clock, actor: Actor, action: str, entity: str, entity_id: object, **data: Any
) -> None:
    uow.audit.add(
        AuditEntry(
            at=clock(),
            actor_id=actor.user_id,
            actor_name=actor.username,
            organisation_id=actor.organisation_id,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            data={k: _plain(v) for k, v in data.items()},
        )
    )


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)
