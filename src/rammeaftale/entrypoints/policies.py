"""Route policies, CSRF and security headers: who may call a route, checked in one place.

Every route of the API and the pages declares its policy with one dependency::

    @router.post("/submissions/{submission_id}/approve", dependencies=[policy(Policy.SECRETARIAT)])

The guard behind ``policy``

- answers an anonymous caller of a non-public route with ``NotLoggedIn`` (401 from the API, the
  login page for people);
- answers a logged-in caller whose role the policy does not name with 403 (the same for every
  object, so it tells nothing about which objects exist);
- refuses a state-changing request (POST, PUT, PATCH, DELETE) that does not carry the session's CSRF
  token (form field or ``X-CSRF-Token`` header), unless it is authenticated by an ``Authorization``
  header (API scripts; a browser never adds one cross-site) or the route is declared ``csrf=False``
  because it only calculates and saves nothing.

Which objects a caller may touch (their organisation's, their region's) stays in the services
(``services/access.py``): objects of another organisation answer 404. ``create_app`` refuses to start
when a route has no policy (``check_route_policies``), and writes each API route's policy into the
OpenAPI schema as ``x-policy``.

``SecurityHeaders`` adds the security headers to every response (decision 0005).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import Flag, auto
from typing import Annotated, Any

import fastapi.routing
from fastapi import Depends, FastAPI, Request, params
from fastapi.routing import APIRoute
from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rammeaftale.entrypoints.deps import NotLoggedIn, get_actor
from rammeaftale.entrypoints.web.rendering import verify_csrf
from rammeaftale.services.context import Actor
from rammeaftale.services.errors import Forbidden

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRONG_ROLE = "Din rolle giver ikke adgang til dette."


class Policy(Flag):
    """Who may call a route. Roles combine: ``Policy.OPERATOR | Policy.SECRETARIAT``."""

    PUBLIC = auto()  # anyone, also without logging in
    SECRETARIAT = auto()  # the framework agreement's secretariat (per region)
    OPERATOR = auto()  # an operating organisation (driftsherre)
    BUYER = auto()  # a buying municipality
    BOARD = auto()  # a board member (reads board material)
    AUTHENTICATED = SECRETARIAT | OPERATOR | BUYER | BOARD  # any logged-in user


ROLE_POLICIES: dict[str, Policy] = {
    "secretariat": Policy.SECRETARIAT,
    "operator": Policy.OPERATOR,
    "buyer": Policy.BUYER,
    "board": Policy.BOARD,
}


def describe(required: Policy) -> str:
    """'public', 'authenticated' or the roles joined by '|': 'secretariat|operator'."""
    if required is Policy.PUBLIC:
        return "public"
    if required is Policy.AUTHENTICATED:
        return "authenticated"
    return "|".join(str(member.name).lower() for member in Policy if member.value & required.value)


@dataclass(frozen=True)
class Declaration:
    """What a route declared: its policy, and whether a state-changing call needs the CSRF token."""

    policy: Policy
    csrf: bool

    def allows(self, actor: Actor) -> bool:
        if self.policy is Policy.PUBLIC:
            return True
        return actor.user_id is not None and bool(ROLE_POLICIES.get(actor.role, Policy(0)) & self.policy)

    def __str__(self) -> str:
        return describe(self.policy) + ("" if self.csrf else " (no CSRF: saves nothing)")


DECLARATION = "policy_declaration"  # the attribute that marks a guard (and so its route)


async def _check_csrf(declaration: Declaration, request: Request) -> None:
    if declaration.csrf and request.method not in SAFE_METHODS and "authorization" not in request.headers:
        await verify_csrf(request)


def policy(required: Policy, *, csrf: bool = True) -> params.Depends:
    """The route dependency that declares and enforces ``required``; ``csrf=False`` only for calculations."""
    if not required or (Policy.PUBLIC in required and required is not Policy.PUBLIC):
        raise ValueError(f"A policy is PUBLIC alone or a set of roles, not {required!r}.")
    declaration = Declaration(required, csrf)
    guard: Callable[..., Awaitable[None]]
    if required is Policy.PUBLIC:

        async def public_guard(request: Request) -> None:
            await _check_csrf(declaration, request)

        guard = public_guard
    else:

        async def role_guard(request: Request, actor: Annotated[Actor, Depends(get_actor)]) -> None:
            if actor.user_id is None:
                raise NotLoggedIn()
            if not declaration.allows(actor):
                raise Forbidden(WRONG_ROLE)
            await _check_csrf(declaration, request)

        guard = role_guard
    setattr(guard, DECLARATION, declaration)
    dependency: params.Depends = Depends(guard)
    return dependency


# --- every route declares one policy -------------------------------------------------------------


class UndeclaredPolicy(RuntimeError):
    """A route without exactly one policy: the app refuses to start."""


def route_declarations(route: APIRoute) -> list[Declaration]:
    found = [getattr(dep.call, DECLARATION, None) for dep in route.dependant.dependencies]
    return [d for d in found if isinstance(d, Declaration)]


def all_routes(app: FastAPI) -> Iterator[tuple[str, BaseRoute]]:
    """(full path, route) of every route, also inside included routers (newer FastAPI includes them lazily)."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    if iterate is None:
        for route in app.routes:
            yield getattr(route, "path", ""), route
        return
    for context in iterate(app.routes):
        yield context.path or "", context.original_route


def infrastructure_route(app: FastAPI, path: str, route: BaseRoute) -> bool:
    """The routes that are not endpoints of ours: the static files and the OpenAPI schema (public)."""
    if isinstance(route, Mount):
        return path == "/static"
    return isinstance(route, Route) and not isinstance(route, APIRoute) and path == app.openapi_url


def declared_routes(app: FastAPI) -> list[tuple[str, str, Declaration]]:
    """(method, full path, declaration) of every API and page route that declares exactly one policy."""
    return [
        (method, path, declarations[0])
        for path, route in all_routes(app)
        if isinstance(route, APIRoute) and len(declarations := route_declarations(route)) == 1
        for method in sorted(route.methods or ())
    ]


def undeclared_routes(app: FastAPI) -> list[str]:
    problems = []
    for path, route in all_routes(app):
        if isinstance(route, APIRoute):
            count = len(route_declarations(route))
            if count != 1:
                problems.append(f"{','.join(sorted(route.methods or ()))} {path}: {count} policies")
        elif not infrastructure_route(app, path, route):
            problems.append(f"{path or route!r}: not an APIRoute and not allowed")
    return problems


def check_route_policies(app: FastAPI) -> None:
    """Refuse to start with a route that declares no policy; show each API route's policy in OpenAPI."""
    problems = undeclared_routes(app)
    if problems:
        raise UndeclaredPolicy("Routes without exactly one policy: " + "; ".join(problems))
    generate = app.openapi

    def openapi_with_policies() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()  # cached by FastAPI: the policies are written into it once
        paths = schema.get("paths", {})
        for method, path, declaration in declared_routes(app):
            operation = paths.get(path, {}).get(method.lower())
            if operation is not None:
                operation["x-policy"] = describe(declaration.policy)
        return schema

    app.openapi = openapi_with_policies  # type: ignore[method-assign]


# --- security headers on every response --------------------------------------------------------------

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
# Swagger UI (development only, decision 0005): its scripts and stylesheet from the CDN, and the inline
# styles it sets; still no inline script (its start-up script is /static/api-docs.js).
API_DOCS_CSP = (
    "default-src 'self'; script-src 'self' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"
STATIC_PREFIX = "/static/"


class SecurityHeaders:
    """Pure ASGI middleware: the security headers on every response, ``no-store`` on personal ones.

    A response is personal when the request carried a cookie or an Authorization header, or when
    the response sets a cookie; the static files never are.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool = False, csp_by_path: Mapping[str, str] | None = None) -> None:
        self.app = app
        self.hsts = hsts
        self.csp_by_path = dict(csp_by_path or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        sent = Headers(scope=scope)
        credentialed = "cookie" in sent or "authorization" in sent
        csp = self.csp_by_path.get(path, CONTENT_SECURITY_POLICY)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = csp
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if self.hsts:
                    headers["Strict-Transport-Security"] = HSTS
                if not path.startswith(STATIC_PREFIX) and (credentialed or "set-cookie" in headers):
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
