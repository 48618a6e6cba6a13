"""Security events: one single-line JSON object per event on the logger ``rammeaftale.security``.

ASVS 5.0 V16.2.4 (structured), V16.3.1–16.3.3 (which events), V16.4.1 (encoding). Each record's
message is ``{"time": "<UTC ISO-8601>", "event": "login.failed", ...fields}``. JSON encoding with
``ensure_ascii`` turns CR, LF, quotes and any other character a caller typed (usernames, paths, file
names) into escapes, so one event is always one line and no input can forge another.

Events: ``login.succeeded`` / ``login.failed`` / ``login.throttled`` (channel ``form`` or ``basic``),
``logout``, ``session.ended`` (idle, absolute, disabled, replaced), ``access.refused`` (401/403/404
from the route policies and the object checks), ``csrf.refused`` and ``upload.refused``.

Field values are strings and integers only (``None`` leaves the field out). Never passed: passwords,
session ids, tokens, request bodies or file contents; field names that suggest one are refused, and a
CPR-shaped number in any value is masked. Usernames are cut to 100 characters, other texts to 300.

``rammeaftale serve`` writes this logger to stderr (``entrypoints/cli.py``); under tests it reaches
the root logger, where pytest's ``caplog`` and the CPR scan see it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from rammeaftale.services.audit import CPR_SHAPED
from rammeaftale.services.context import Actor, system_clock

LOGGER_NAME = "rammeaftale.security"
logger = logging.getLogger(LOGGER_NAME)

MAX_USERNAME_LENGTH = 100
MAX_TEXT_LENGTH = 300
CPR_MASK = "xxxxxx-xxxx"
RESERVED_FIELDS = frozenset({"time", "event"})
SECRET_FIELDS = frozenset(
    {"password", "passwd", "secret", "token", "csrf_token", "session", "session_id", "sid", "cpr", "body", "content"}
)

FieldValue = str | int | None


def security_event(event: str, **fields: FieldValue) -> None:
    """Log one security event as a single line of JSON (see the module docstring for the rules)."""
    refused = sorted((SECRET_FIELDS | RESERVED_FIELDS) & fields.keys())
    if refused:
        raise ValueError(f"A security event never carries {', '.join(refused)}.")
    record: dict[str, Any] = {"time": system_clock().isoformat(timespec="milliseconds"), "event": event}
    for name, value in fields.items():
        if value is None:
            continue
        if isinstance(value, str):
            limit = MAX_USERNAME_LENGTH if name == "username" else MAX_TEXT_LENGTH
            record[name] = CPR_SHAPED.sub(CPR_MASK, value[:limit])
        elif isinstance(value, int):
            record[name] = int(value)  # a bool becomes 0/1
        else:
            raise TypeError(
                f"Security event field {name!r} must be a string or an integer, not {type(value).__name__}."
            )
    logger.info("%s", json.dumps(record, ensure_ascii=True, separators=(",", ":")))


def actor_fields(actor: Actor | None) -> dict[str, FieldValue]:
    """Who acted, for an event's fields: nothing for an anonymous caller."""
    if actor is None or actor.user_id is None:
        return {}
    return {
        "user_id": actor.user_id,
        "username": actor.username,
        "role": actor.role,
        "organisation_id": actor.organisation_id,
    }
