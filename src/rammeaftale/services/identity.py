"""Who a person is, as an identity provider says it: local passwords now, a municipality's OIDC later.

Signing in has two steps that this module keeps apart:

1. An ``IdentityProvider`` authenticates the person and answers with an ``ExternalIdentity``: the
   provider's issuer, a stable subject (never an e-mail or a name, which change) and the claims it
   vouches for. ``LocalPasswordProvider`` does this with the usernames and argon2id hashes in the
   ``users`` table; its issuer is ``local`` and its subject the user's id.
2. ``user_for_identity`` maps that identity to one of our users. Everything after that - the server-
   side session, timeouts, logout, disabling - is the same whoever authenticated the person
   (``services/sessions.py``).

How an OIDC provider fits (designed for, not shipped; no network code here)
--------------------------------------------------------------------------
A municipality or region connects its own IdP (Entra ID, KOMBIT Context Handler/MitID Erhverv via an
OIDC bridge, Keycloak …) with the authorization-code flow and PKCE:

* ``OidcProvider(issuer, client_id, client_secret, redirect_uri, organisation_id)`` would live in an
  adapter (``adapters/identity/oidc.py``) and implement ``authenticate({"code": …, "state": …,
  "code_verifier": …, "nonce": …})``: exchange the code at the token endpoint, validate the ID token
  (signature against the issuer's JWKS, ``iss``, ``aud`` = client id, ``exp``/``iat``, ``nonce``) and
  return ``ExternalIdentity(issuer=iss, subject=sub, claims=…)``. The login page would redirect to the
  provider instead of showing the password form for users of that organisation.
* Mapping: a table ``user_identities(issuer, subject, user_id)`` with ``(issuer, subject)`` unique
  links a provider's ``sub`` to one user. ``sub`` is the key, because it is stable and unique per
  issuer; ``email``/``preferred_username`` are only shown.
* Organisation: each configured provider belongs to one organisation (a municipality or region) and
  is trusted only for it. If the IdP sends an organisation claim (a CVR number, a kommunekode, or an
  ``organisation``/``tenant`` claim), it must equal that organisation's, or sign-in is refused: one
  municipality's IdP can never sign someone into another municipality.
* Role: comes from our own user row (assigned by the secretariat), not from the IdP. A group claim
  may later be mapped per provider (e.g. ``groups`` contains ``rammeaftale-driftsherre`` ->
  operator), but only to roles allowed for that organisation.
* First sign-in: no automatic account creation by default; the secretariat links the subject to an
  invited user (or a provider may be configured for just-in-time creation with the lowest role).
* Disabling the user row or unlinking the identity ends access at the next request, exactly as for
  local accounts; a provider's back-channel logout would call ``end_sessions_of_user``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.services.auth import check_password, normalise_username

LOCAL_ISSUER = "local"


@dataclass(frozen=True)
class ExternalIdentity:
    """A person as an identity provider vouches for them."""

    issuer: str  # "local", or the OIDC provider's ``iss``
    subject: str  # the provider's stable id of the person (OIDC ``sub``)
    claims: Mapping[str, str] = field(default_factory=dict)


class IdentityProvider(Protocol):
    """Authenticates a person from the credentials or callback parameters of one sign-in."""

    issuer: str

    def authenticate(self, credentials: Mapping[str, str]) -> ExternalIdentity | None:
        """The identity, or None when the credentials are not accepted."""
        ...


class LocalPasswordProvider:
    """Username and password against the ``users`` table (argon2id; legacy hashes re-hashed)."""

    issuer = LOCAL_ISSUER

    def __init__(self, uow: UnitOfWork, now: datetime | None = None) -> None:
        self.uow = uow
        self.now = now  # initial passwords expire (services/users.py)

    def authenticate(self, credentials: Mapping[str, str]) -> ExternalIdentity | None:
        username = credentials.get("username", "")
        user_id = check_password(self.uow, username, credentials.get("password", ""), self.now)
        if user_id is None:
            return None
        return ExternalIdentity(LOCAL_ISSUER, str(user_id), {"preferred_username": normalise_username(username)})


def user_for_identity(uow: UnitOfWork, identity: ExternalIdentity) -> int | None:
    """Our user for an identity; only the local issuer is linked so far (see the module docstring)."""
    if identity.issuer != LOCAL_ISSUER or not (identity.subject.isascii() and identity.subject.isdigit()):
        return None
    user = uow.users.get(int(identity.subject))
    return user.id if user is not None and user.active else None
