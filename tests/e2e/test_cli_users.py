"""`rammeaftale user …` as the people operating the service run it (ASVS V6.4.1, V6.4.3, V6.4.4, V7.4.2)."""

from __future__ import annotations

import re

import pyotp
import pytest
from typer.testing import CliRunner

from rammeaftale.adapters.db.engine import make_engine
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.entrypoints.cli import app
from rammeaftale.services.context import system_clock
from rammeaftale.services.second_factor import begin_setup, confirm_setup
from rammeaftale.services.sessions import sign_in

runner = CliRunner()
INITIAL = re.compile(r"Startadgangskode til [a-z.]+: (\S+)")


@pytest.fixture
def database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("RAMMEAFTALE_DATABASE_URL", url)
    assert runner.invoke(app, ["demo"]).exit_code == 0
    return make_engine(url)


def initial_password(output: str) -> str:
    match = INITIAL.search(output)
    assert match, output
    return match.group(1)


def signs_in(engine, username: str, password: str) -> bool:
    with UnitOfWork(engine) as uow:
        return sign_in(uow, system_clock, username, password, "127.0.0.1") is not None


def test_user_invite_prints_a_random_initial_password_once_that_must_be_changed(database) -> None:
    args = [
        "user",
        "invite",
        "--username",
        "koeb.aalborg",
        "--name",
        "Visitator",
        "--role",
        "buyer",
        "--organisation",
        "851",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    password = initial_password(result.output)
    assert len(password) == 20 and "72 timer" in result.output
    with UnitOfWork(database) as uow:
        actor = sign_in(uow, system_clock, "koeb.aalborg", password, "127.0.0.1")
    assert actor is not None and actor.must_change_password and actor.role == "buyer"
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "allerede i brug" in again.output


def test_user_invite_refuses_an_unknown_role_or_organisation_in_danish(database) -> None:
    base = ["user", "invite", "--username", "x.y", "--name", "X"]
    unknown_role = runner.invoke(app, [*base, "--role", "admin", "--organisation", "851"])
    assert unknown_role.exit_code == 2 and "Rollen 'admin' findes ikke" in unknown_role.output
    unknown_org = runner.invoke(app, [*base, "--role", "buyer", "--organisation", "9999"])
    assert unknown_org.exit_code == 2 and "Ingen organisation har koden 9999" in unknown_org.output


def test_user_reset_password_replaces_the_password_and_disable_ends_access(database) -> None:
    result = runner.invoke(app, ["user", "reset-password", "drift.aalborg"])
    assert result.exit_code == 0, result.output
    assert not signs_in(database, "drift.aalborg", "demo1234")
    assert signs_in(database, "drift.aalborg", initial_password(result.output))
    disabled = runner.invoke(app, ["user", "disable", "drift.aalborg"])
    assert disabled.exit_code == 0 and "deaktiveret" in disabled.output
    assert not signs_in(database, "drift.aalborg", initial_password(result.output))
    assert runner.invoke(app, ["user", "disable", "findes.ikke"]).exit_code == 2


def test_user_reset_second_factor_removes_it_so_the_password_alone_signs_in_again(database) -> None:
    with UnitOfWork(database) as uow:
        operator = sign_in(uow, system_clock, "drift.aalborg", "demo1234", "127.0.0.1")
        assert operator is not None
        setup = begin_setup(uow, operator)
    with UnitOfWork(database) as uow:
        confirm_setup(uow, system_clock, operator, pyotp.TOTP(setup.secret).now())
    assert not signs_in(database, "drift.aalborg", "demo1234")
    result = runner.invoke(app, ["user", "reset-second-factor", "drift.aalborg"])
    assert result.exit_code == 0 and "nulstillet" in result.output
    assert signs_in(database, "drift.aalborg", "demo1234")
