"""The signed session cookie with key rotation: Starlette's SessionMiddleware with a list of keys.

Starlette signs with one key only. itsdangerous (>= 2) takes a list: it signs with the last key and
accepts a signature made with any of them, so a cookie from before a rotation still works until the
previous key is removed, and one signed with an unknown key is ignored (the visitor is anonymous).
Starlette re-signs the cookie, with the current key, only when the session is written (login, a new
CSRF token, logout); a cookie that is only read keeps its old signature. The signature carries its own
time and expires with the absolute session timeout (`max_age`), so once that has passed after a
deployment no cookie signed with a previous key is valid any more (docs/operations.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import itsdangerous
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp


class RotatingSessionMiddleware(SessionMiddleware):
    def __init__(  # the options the app uses, spelled out: mypy cannot match **kwargs to add_middleware
        self,
        app: ASGIApp,
        secret_key: str,
        previous_keys: Sequence[str] = (),
        session_cookie: str = "session",
        max_age: int | None = None,
        same_site: Literal["lax", "strict", "none"] = "lax",
        https_only: bool = False,
    ) -> None:
        super().__init__(
            app, secret_key, session_cookie=session_cookie, max_age=max_age, same_site=same_site, https_only=https_only
        )
        self.signer = itsdangerous.TimestampSigner([*previous_keys, secret_key])  # the last one signs
