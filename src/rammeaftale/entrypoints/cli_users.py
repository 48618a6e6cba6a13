"""`rammeaftale user …`: accounts for the people operating the service (the system acts; every change audited).

An initial password is printed once, to stdout only, for handing over by a separate channel; it is
never logged. The person must replace it at the first login (services/users.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import typer

from rammeaftale.adapters.db.engine import make_engine, migrate
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.services import second_factor, sessions, users
from rammeaftale.services.context import ROLES, SYSTEM, system_clock
from rammeaftale.services.errors import NotFound, UseCaseError

user = typer.Typer(
    help="Brugere: opret, nulstil adgangskode eller totrinsbekræftelse, deaktivér.", no_args_is_help=True
)
T = TypeVar("T")


def _run(action: Callable[[UnitOfWork], T]) -> T:
    engine = make_engine()
    migrate(engine)
    try:
        with UnitOfWork(engine) as uow:
            return action(uow)
    except UseCaseError as exc:
        typer.echo(f"Fejl: {exc.message}", err=True)
        raise typer.Exit(2) from None


def _initial_password_notice(username: str, password: str) -> None:
    hours = int(users.INITIAL_PASSWORD_LIFETIME.total_seconds() // 3600)
    typer.echo(f"Startadgangskode til {username}: {password}")
    typer.echo(f"Den virker i {hours} timer og skal skiftes ved første login. Giv den videre ad en anden kanal.")


@user.command("invite")
def invite(
    username: Annotated[str, typer.Option(help="Brugernavn (fx drift.aalborg)")],
    name: Annotated[str, typer.Option(help="Navn, som siderne viser")],
    role: Annotated[str, typer.Option(help=f"Rolle: {', '.join(ROLES)}")],
    organisation: Annotated[int, typer.Option(help="Organisationens kommunekode, eller regionskoden (1081, 1082)")],
) -> None:
    """Create an account with an initial password (printed once)."""

    def action(uow: UnitOfWork) -> str:
        found = uow.organisations.by_kommunekode(organisation) or uow.organisations.region(organisation)
        if found is None:
            raise NotFound(f"Ingen organisation har koden {organisation}.")
        return users.invite_user(uow, SYSTEM, system_clock, username, name, role, found.id)

    _initial_password_notice(username, _run(action))


@user.command("reset-password")
def reset_password(username: Annotated[str, typer.Argument(help="Brugernavn")]) -> None:
    """A new initial password (printed once); the person's sessions end; the second factor stays."""
    password = _run(lambda uow: users.reset_password(uow, SYSTEM, system_clock, users.user_id_of(uow, username)))
    _initial_password_notice(username, password)


@user.command("reset-second-factor")
def reset_second_factor(username: Annotated[str, typer.Argument(help="Brugernavn")]) -> None:
    """Remove a lost second factor after checking who asks; the person sets up a new one at the next login."""
    _run(lambda uow: second_factor.reset(uow, SYSTEM, system_clock, users.user_id_of(uow, username)))
    typer.echo(f"Totrinsbekræftelsen for {username} er nulstillet, og brugerens sessioner er afsluttet.")


@user.command("disable")
def disable(username: Annotated[str, typer.Argument(help="Brugernavn")]) -> None:
    """Disable an account; every session of it ends at once."""
    ended = _run(lambda uow: sessions.disable_user(uow, SYSTEM, system_clock, users.user_id_of(uow, username)))
    typer.echo(f"{username} er deaktiveret; {ended} session(er) afsluttet.")
