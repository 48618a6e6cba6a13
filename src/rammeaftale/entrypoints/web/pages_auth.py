"""Logging in and out of the pages (a session cookie holding the user's id)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rammeaftale.entrypoints.deps import UowDep
from rammeaftale.entrypoints.web.rendering import CSRF, ViewerDep, render, safe_next, see_other
from rammeaftale.services.auth import authenticate

router = APIRouter()


@router.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    return see_other("/tilbud")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, viewer: ViewerDep, next: str = "") -> HTMLResponse:
    return render(request, viewer, "login.html", {"next": safe_next(next, ""), "username": ""})


@router.post("/login", response_class=HTMLResponse, dependencies=CSRF)
def login(
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    actor = authenticate(uow, username, password)
    if actor is None or actor.user_id is None:
        context = {"next": safe_next(next, ""), "username": username, "error": "Forkert brugernavn eller adgangskode."}
        return render(request, viewer, "login.html", context, status_code=401)
    request.session.clear()  # a fresh session at login (no fixation)
    request.session["user_id"] = actor.user_id
    return see_other(safe_next(next))


@router.post("/logout", include_in_schema=False)
def logout(request: Request) -> RedirectResponse:
    request.session.clear()
    return see_other("/tilbud")
