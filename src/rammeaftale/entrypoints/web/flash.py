"""One-time messages across a redirect (post, redirect, get): a page's action leaves a Danish message in the
session and the next page shows it once (the templates' ``flash_message`` macro). Used by the placement,
objective financing and health refund pages."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from rammeaftale.services.errors import InvalidSubmission, UseCaseError

KEY = "flash"


def flash(request: Request, message: str, error: bool = False) -> None:
    request.session[KEY] = {"message": message, "error": error}


def take_flash(request: Request) -> dict[str, Any] | None:
    value = request.session.pop(KEY, None)
    return value if isinstance(value, dict) else None


def refusal(exc: UseCaseError) -> str:
    """The Danish message of a refused action with its findings' messages and rule ids (never a CPR number:
    the services' messages name placements by their pseudonymous ids)."""
    if isinstance(exc, InvalidSubmission):
        details = " ".join(f"{f.message} ({f.rule_id})" for f in exc.findings if f.message not in exc.message)
        return f"{exc.message} {details}".strip()
    return exc.message
