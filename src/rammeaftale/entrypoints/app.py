"""The web application: JSON API under /api and Danish pages, one FastAPI app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from rammeaftale.adapters.db.engine import make_engine
from rammeaftale.entrypoints.api import routes as api_routes
from rammeaftale.entrypoints.api import routes_accounts as api_accounts_routes
from rammeaftale.entrypoints.api import routes_billing as api_billing_routes
from rammeaftale.entrypoints.api import routes_financing as api_financing_routes
from rammeaftale.entrypoints.api import routes_placements as api_placements_routes
from rammeaftale.entrypoints.api import routes_refunds as api_refunds_routes
from rammeaftale.entrypoints.deps import AccountSetupRequired, NotLoggedIn, request_fields
from rammeaftale.entrypoints.policies import API_DOCS_CSP, SecurityHeaders, check_route_policies
from rammeaftale.entrypoints.session_cookie import RotatingSessionMiddleware
from rammeaftale.entrypoints.settings import DEVELOPMENT_MODES, load_settings
from rammeaftale.entrypoints.web import pages
from rammeaftale.entrypoints.web.rendering import CsrfRefused, csrf_token
from rammeaftale.entrypoints.web.templating import templates
from rammeaftale.services.context import Actor, Clock, system_clock
from rammeaftale.services.errors import Conflict, Forbidden, InvalidSubmission, NotFound, UseCaseError
from rammeaftale.services.security_log import security_event
from rammeaftale.services.serialization import finding_to_data

STATIC = Path(__file__).parent / "web" / "static"
STATUS = {NotLoggedIn: 401, NotFound: 404, Forbidden: 403, Conflict: 409, InvalidSubmission: 422}
API_DOCS = "/api/docs"


def create_app(engine: Engine | None = None, clock: Clock = system_clock) -> FastAPI:
    settings = load_settings()
    development = settings.environment in DEVELOPMENT_MODES
    app = FastAPI(
        title="Rammeaftale API",
        description="Takster, takstindberetninger og takstbilag for rammeaftaler på det specialiserede socialområde.",
        version="0.1.0",
        docs_url=None,  # our own Swagger UI page without inline script, development only (decision 0005)
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.engine = engine or make_engine()
    app.state.clock = clock
    app.state.settings = settings
    app.add_middleware(
        RotatingSessionMiddleware,
        secret_key=settings.secret_key,
        previous_keys=settings.secret_key_previous,  # still accepted, never used to sign (docs/operations.md)
        session_cookie=settings.session_cookie_name,  # __Host-… in production: Secure, Path=/, no Domain
        same_site="lax",
        https_only=settings.production,
        max_age=settings.session_cookie_max_age,  # the absolute session timeout
    )
    app.add_middleware(SecurityHeaders, hsts=not development, csp_by_path={API_DOCS: API_DOCS_CSP})
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api_routes.router, prefix="/api")
    app.include_router(api_accounts_routes.router, prefix="/api")
    app.include_router(api_billing_routes.router, prefix="/api")
    app.include_router(api_financing_routes.router, prefix="/api")
    app.include_router(api_placements_routes.router, prefix="/api")
    app.include_router(api_refunds_routes.router, prefix="/api")
    if development:
        app.include_router(api_routes.docs_router, prefix="/api")
    app.include_router(pages.router)
    app.add_exception_handler(UseCaseError, _use_case_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    check_route_policies(app)  # refuses to start when a route declares no policy
    return app


def _status(exc: UseCaseError) -> int:
    for kind, status in STATUS.items():
        if isinstance(exc, kind):
            return status
    return 400


async def _use_case_error(request: Request, exc: UseCaseError) -> Response:
    """Typed use-case errors to HTTP in one place: JSON for the API, a Danish page for people."""
    status = _status(exc)
    _log_refusal(request, exc, status)
    findings = [finding_to_data(f) for f in exc.findings] if isinstance(exc, InvalidSubmission) else []
    if request.url.path.startswith("/api"):
        return JSONResponse({"detail": exc.message, "findings": findings}, status_code=status)
    if isinstance(exc, NotLoggedIn):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    if isinstance(exc, AccountSetupRequired):
        return RedirectResponse("/konto", status_code=303)
    context = {"message": exc.message, "findings": findings, "status": status, "csrf_token": csrf_token(request)}
    return templates.TemplateResponse(request, "error.html", context, status_code=status)


async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
    """A malformed query or form: FastAPI's JSON 422 for the API (its schema documents it), a Danish page naming
    the fields for people (``?maaned=marts`` on a page is not an English JSON error)."""
    if request.url.path.startswith("/api"):
        return await request_validation_exception_handler(request, exc)
    fields = sorted({str(error["loc"][-1]) for error in exc.errors() if error.get("loc")})
    named = ", ".join(f"«{field}»" for field in fields) or "adressen"
    message = f"Siden kan ikke vises: ugyldig værdi i {named}. Ret adressen eller formularen, og prøv igen."
    context = {"message": message, "findings": [], "status": 422, "csrf_token": csrf_token(request)}
    return templates.TemplateResponse(request, "error.html", context, status_code=422)


def _log_refusal(request: Request, exc: UseCaseError, status: int) -> None:
    """Every refused access as a security event (V16.3.2), logged here because every refusal passes here.

    401 (not logged in), 403 (wrong role, from the route policies; or the object checks) and 404 (objects
    of another organisation answer like missing ones, so every NotFound is logged) are ``access.refused``;
    a wrong or missing CSRF token is ``csrf.refused``.
    """
    if not isinstance(exc, (Forbidden, NotFound)):  # NotLoggedIn and CsrfRefused are Forbidden
        return
    event = "csrf.refused" if isinstance(exc, CsrfRefused) else "access.refused"
    actor = getattr(request.state, "actor", None)
    where = request_fields(request, actor if isinstance(actor, Actor) else None)
    security_event(event, status=status, error=type(exc).__name__, **where)
