"""Shared plumbing of the Danish pages: who is looking, CSRF tokens, safe redirects and rendering.

Nothing here decides what a user may do; the services do. This only says who is logged in (for the
navigation) and renders a template with the context every page needs.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from rammeaftale.adapters.documents.formatting import MISSING, format_amount, format_number
from rammeaftale.domain.registry import OFFER_STATUS_LABELS, OfferStatus
from rammeaftale.domain.submission import OFFER_KIND_LABELS, TARIFF_TYPE_LABELS, OfferKind, TariffType
from rammeaftale.entrypoints.deps import ActorDep, UowDep
from rammeaftale.entrypoints.web.templating import templates
from rammeaftale.services.context import ROLE_LABELS, Actor
from rammeaftale.services.errors import Forbidden

CSRF_FIELD = "csrf_token"
CSRF_SESSION_KEY = "csrf"
CSRF_HEADER = "x-csrf-token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
CSRF_FORM_MESSAGE = "Formularen er udløbet eller kom ikke fra denne side. Genindlæs siden, og prøv igen."
CSRF_API_MESSAGE = (
    "CSRF-token mangler eller er forkert: send sessionens token i headeren X-CSRF-Token (hent det med GET /api/csrf)."
)

SUBMISSION_STATUS_LABELS = {
    "missing": "Mangler",
    "draft": "Kladde",
    "submitted": "Indsendt",
    "returned": "Sendt retur",
    "approved": "Godkendt",
    "published": "Offentliggjort",
    "superseded": "Erstattet",
}
SEVERITY_LABELS = {"error": "Fejl", "warning": "Advarsel"}
SOURCE_LABELS = {"xlsx": "Excel-skabelon", "json": "JSON-fil", "form": "Webformular", "demo": "Demodata"}


@dataclass(frozen=True)
class Viewer:
    """The person looking at a page, as the navigation shows them."""

    actor: Actor
    display_name: str

    @property
    def logged_in(self) -> bool:
        return self.actor.user_id is not None

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.actor.role, "Gæst")

    @property
    def is_secretariat(self) -> bool:
        return self.actor.is_secretariat


def get_viewer(uow: UowDep, actor: ActorDep) -> Viewer:
    if actor.user_id is None:
        return Viewer(actor, "")
    user = uow.users.get(actor.user_id)
    return Viewer(actor, user.display_name if user is not None else actor.username)


ViewerDep = Annotated[Viewer, Depends(get_viewer)]


# --- CSRF: a per-session token in every form and request that changes something --------------------
#
# The token lives in the signed session cookie. Pages send it as the form field ``csrf_token``; API
# calls made with the session cookie send it in the ``X-CSRF-Token`` header (GET /api/csrf hands it
# out). The route policies (entrypoints/policies.py) check it on every state-changing request.


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_SESSION_KEY] = token
    return token


async def sent_csrf_token(request: Request) -> str | None:
    """The token a request carries: the ``X-CSRF-Token`` header, else the form field (forms only)."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "").lower()
    if not content_type.startswith(FORM_TYPES):
        return None
    sent = (await request.form()).get(CSRF_FIELD)
    return sent if isinstance(sent, str) else None


def csrf_matches(request: Request, sent: str | None) -> bool:
    expected = request.session.get(CSRF_SESSION_KEY)
    if not sent or not isinstance(expected, str) or not expected:
        return False
    return secrets.compare_digest(sent.encode(), expected.encode())  # bytes: any text compares safely


class CsrfRefused(Forbidden):
    """A 403 for a missing or wrong CSRF token; the error handler logs it as ``csrf.refused``."""


async def verify_csrf(request: Request) -> None:
    """Refuse a request whose token does not match the session's (cross-site request forgery)."""
    if not csrf_matches(request, await sent_csrf_token(request)):
        api = request.url.path.startswith("/api/")
        raise CsrfRefused(CSRF_API_MESSAGE if api else CSRF_FORM_MESSAGE)


CSRF = [Depends(verify_csrf)]


def safe_next(target: str | None, default: str = "/tilbud") -> str:
    """Only a local path ("/…") may be a redirect target after login; anything else goes to ``default``."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ch.isspace() or ord(ch) < 32 for ch in target):
        return default
    return target


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- small presentation helpers, available in every template -----------------------------------


def label_for(labels: dict[Any, str], code: object) -> str:
    return labels.get(code, str(code)) if code is not None else MISSING


def kind_label(kind: str) -> str:
    try:
        return OFFER_KIND_LABELS[OfferKind(kind)]
    except ValueError:
        return kind


def tariff_type_label(code: str) -> str:
    try:
        return TARIFF_TYPE_LABELS[TariffType(code)]
    except ValueError:
        return code


def offer_status_label(status: str) -> str:
    try:
        return OFFER_STATUS_LABELS[OfferStatus(status)]
    except ValueError:
        return status


def to_decimal(value: object) -> Decimal | None:
    """A stored decimal string (results are kept as text) back to a Decimal; None when absent."""
    if value is None or value == "" or isinstance(value, (bool, float)):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def quantity(value: object, unit: str = "") -> str:
    """A value with a unit as the trace and the results show it: '2.070,25 kr./dag', '8.409,6 dage'."""
    number = to_decimal(value)
    if number is None:
        return MISSING
    if unit == "kr" or unit.startswith("kr/"):
        shown = "kr." if unit == "kr" else f"kr./{unit[3:]}"
        return f"{format_amount(number, 2)} {shown}"
    text = format_number(number)
    return f"{text} {unit}" if unit else text


HELPERS: dict[str, Any] = {
    "status_label": lambda code: label_for(SUBMISSION_STATUS_LABELS, code),
    "severity_label": lambda code: label_for(SEVERITY_LABELS, code),
    "source_label": lambda code: label_for(SOURCE_LABELS, code),
    "kind_label": kind_label,
    "tariff_type_label": tariff_type_label,
    "offer_status_label": offer_status_label,
    "quantity": quantity,
    "to_decimal": to_decimal,
}


def render(
    request: Request, viewer: Viewer, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """Render a page with what every page needs: the viewer, a CSRF token and the helpers."""
    full = {**HELPERS, "viewer": viewer, "csrf_token": csrf_token(request), **(context or {})}
    return templates.TemplateResponse(request, name, full, status_code=status_code)
