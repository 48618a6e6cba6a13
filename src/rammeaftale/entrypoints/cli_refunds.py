"""`rammeaftale refunds`: health refund claims (R-REF-01) from the command line.

``refunds run --year 2025 --month 3`` raises the month's claims of every municipality that registered health
services for it (``--municipality``: of one municipality, by kommunekode), and prints the month's claims;
running a month again raises nothing new (claims are immutable, one per placement and month).
``refunds list --year 2025`` prints the year's claims (``--municipality``: those it raised or owes).

A claim is a municipality's (``services/refunds.py`` refuses every other role), so the command acts for each
municipality in turn; the audit trail names the actor "cli", as for `rammeaftale bill`. Exit 0: done, 1: the
month cannot be run (a Danish message), 2: bad input.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Annotated, Any, NoReturn

import typer

from rammeaftale.adapters.db.engine import make_engine, migrate
from rammeaftale.adapters.db.models import HealthRefundClaimRow
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.adapters.documents.formatting import format_kr
from rammeaftale.domain.money import ZERO
from rammeaftale.domain.registry import Organisation
from rammeaftale.services.context import Actor, system_clock
from rammeaftale.services.errors import UseCaseError
from rammeaftale.services.refunds import health_refund_claims, run_health_refunds

refunds = typer.Typer(help="Refusion af kommunale sundhedsydelser (R-REF-01).", no_args_is_help=True)

Year = Annotated[int, typer.Option(help="Året, fx 2025", min=2000, max=2100)]
Municipality = Annotated[int | None, typer.Option(help="Kun denne kommune (kommunekode); standard: alle kommuner")]
AsJson = Annotated[bool, typer.Option("--json", help="Maskinlæsbart output")]


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"Fejl: {message}", err=True)
    raise typer.Exit(code)


def _as_municipality(organisation: Organisation) -> Actor:
    """The command acting for one municipality (the audit trail names it "cli")."""
    return Actor(None, "cli", "buyer", organisation.id, organisation.region_code)


def _municipalities(uow: UnitOfWork, kommunekode: int | None) -> list[Organisation]:
    if kommunekode is not None:
        found = uow.organisations.by_kommunekode(kommunekode)
        if found is None or found.kind != "municipality":
            _fail(f"Der er ingen kommune med kommunekode {kommunekode}.", 2)
        return [found]
    return [
        o
        for region in uow.organisations.regions()
        for o in uow.organisations.in_region(region.region_code)
        if o.kind == "municipality" and o.kommunekode is not None
    ]


def _claim(c: HealthRefundClaimRow) -> dict[str, Any]:
    return {
        "placement": c.placement_ref,
        "claimant": c.claimant_kommunekode,
        "debtor": c.debtor_kommunekode,
        "year": c.year,
        "month": c.month,
        "period_start": c.period_from.isoformat(),
        "period_end": c.period_to.isoformat(),
        "amount": f"{c.amount:.2f}",
        "rule_id": c.rule_id,
    }


def _ordered(claims: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One of each claim (a claim between two listed municipalities is seen by both), by month and claimant."""
    unique = {(c["placement"], c["year"], c["month"]): c for c in claims}  # one claim per placement and month
    return sorted(unique.values(), key=lambda c: (c["year"], c["month"], c["claimant"], c["placement"]))


def _print(data: dict[str, Any], claims: list[dict[str, Any]], as_json: bool) -> None:
    total = sum((Decimal(c["amount"]) for c in claims), ZERO)
    if as_json:
        typer.echo(json.dumps({**data, "claims": claims, "total": f"{total:.2f}"}, ensure_ascii=False))
        return
    for c in claims:
        typer.echo(
            f"  {c['year']}-{c['month']:02d}  {c['placement']}: {c['claimant']} kræver "
            f"{format_kr(Decimal(c['amount']))} af {c['debtor']} ({c['rule_id']})"
        )
    typer.echo(f"I alt: {format_kr(total)} ({len(claims)} krav)")


@refunds.command("run")
def run_command(
    year: Year,
    month: Annotated[int, typer.Option(help="Måneden, 1–12", min=1, max=12)],
    municipality: Municipality = None,
    as_json: AsJson = False,
) -> None:
    """Raise the month's health refund claims (R-REF-01) and print them; a second run raises nothing new."""
    engine = make_engine()
    migrate(engine)
    raised = already = below = 0
    claims: list[dict[str, Any]] = []
    findings: list[str] = []
    with UnitOfWork(engine) as uow:
        for organisation in _municipalities(uow, municipality):
            actor = _as_municipality(organisation)
            try:
                run = run_health_refunds(uow, actor, system_clock, year, month)
                own = [c for c in health_refund_claims(uow, actor, year) if c.month == month]
            except UseCaseError as exc:
                _fail(f"{organisation.name}: {exc.message}", 1)
            raised, already, below = raised + run.raised, already + run.already, below + run.below_minimum
            claims.extend(_claim(c) for c in own if c.claimant_kommunekode == organisation.kommunekode)
            findings.extend(f"{f.rule_id} [{f.source}]: {f.message}" for f in run.findings)
    data = {
        "month": f"{year}-{month:02d}",
        "raised": raised,
        "already": already,
        "below_minimum": below,
        "findings": findings,
    }
    ordered = _ordered(claims)
    if not as_json:
        typer.echo(f"Refusionskrav {year}-{month:02d}: {raised} rejst nu, {already} allerede rejst")
    _print(data, ordered, as_json)
    if not as_json:
        for line in findings:
            typer.echo(f"ADVARSEL {line}")


@refunds.command("list")
def list_command(year: Year, municipality: Municipality = None, as_json: AsJson = False) -> None:
    """Print the year's health refund claims (R-REF-01): of every municipality, or those one raised or owes."""
    engine = make_engine()
    migrate(engine)
    claims: list[dict[str, Any]] = []
    with UnitOfWork(engine) as uow:
        for organisation in _municipalities(uow, municipality):
            try:
                claims.extend(_claim(c) for c in health_refund_claims(uow, _as_municipality(organisation), year))
            except UseCaseError as exc:
                _fail(exc.message, 1)
    _print({"year": year}, _ordered(claims), as_json)
