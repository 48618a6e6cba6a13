"""`rammeaftale bill`: an operator's monthly billing from the command line (handbook § 9).

Runs the month when it has not been run (``--rerun``: run it again, which issues credit notes and new invoices
where something changed, R-SET-02) and prints the month's current invoices, one per payer (R-SET-01), with
their due dates (R-SET-11). The operator is named by its kommunekode, or a region by its region code. The run
is the system's (the audit trail names it "cli"). Exit 0: done, 1: the month cannot be billed (a Danish
message), 2: bad input.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, NoReturn

import typer

from rammeaftale.adapters.db.engine import make_engine, migrate
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.adapters.documents.formatting import format_date, format_kr
from rammeaftale.domain.money import ZERO
from rammeaftale.services import billing_queries
from rammeaftale.services.billing import run_month
from rammeaftale.services.billing_queries import InvoiceView
from rammeaftale.services.context import Actor, system_clock
from rammeaftale.services.errors import UseCaseError

CLI = Actor(None, "cli", "system", None, None)
MONTH = re.compile(r"(\d{4})-(\d{2})")

# Registered without a name in cli.py, so its command is top-level: `rammeaftale bill`.
billing = typer.Typer(help="Afregning: månedlig fakturering.")


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"Fejl: {message}", err=True)
    raise typer.Exit(code)


def _invoice(v: InvoiceView) -> dict[str, Any]:
    i = v.invoice
    return {
        "number": i.number,
        "kind": i.kind.value,
        "payer": str(i.payer),
        "payer_name": v.payer_name,
        "total": f"{i.total:.2f}",
        "issued_on": i.issued_on.isoformat(),
        "due_on": i.due_on.isoformat(),
        "lines": i.line_count,
    }


@billing.command("bill")
def bill_command(
    operator: Annotated[int, typer.Option(help="Driftsherrens kommunekode, eller regionskoden for en region")],
    month: Annotated[str, typer.Option(help="Måneden som ÅÅÅÅ-MM, fx 2025-03")],
    rerun: Annotated[bool, typer.Option("--rerun", help="Kør måneden igen, også hvis den er kørt")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Maskinlæsbart output")] = False,
) -> None:
    """Bill an operator's month (if not run yet) and print its invoices (R-SET-01, R-SET-02, R-SET-11)."""
    found = MONTH.fullmatch(month.strip())
    if found is None or not 1 <= int(found.group(2)) <= 12:
        _fail(f"--month skal være en måned som 2025-03, ikke '{month}'.", 2)
    year, number = int(found.group(1)), int(found.group(2))
    engine = make_engine()
    migrate(engine)
    with UnitOfWork(engine) as uow:
        org = uow.organisations.by_kommunekode(operator) or uow.organisations.region(operator)
        if org is None:
            _fail(f"Der er ingen driftsherre med kommunekode eller regionskode {operator}.", 2)
        try:
            ran = rerun or not billing_queries.month_runs(uow, CLI, org.id, year, number)
            result = run_month(uow, CLI, system_clock, org.id, year, number) if ran else None
            month_invoices = billing_queries.operator_invoices(uow, CLI, org.id, year, number)
        except UseCaseError as exc:
            _fail(exc.message, 1)
        current = [v for v in month_invoices if v.invoice.current]
    total = sum((v.invoice.total for v in current), ZERO)
    issued = [i.number for i in result.issued] if result else []
    findings = [f"{f.rule_id} [{f.source}]: {f.message}" for f in result.findings] if result else []
    if as_json:
        data = {
            "operator": str(operator),
            "operator_name": org.name,
            "month": f"{year}-{number:02d}",
            "ran": ran,
            "issued": issued,
            "invoices": [_invoice(v) for v in current],
            "total": f"{total:.2f}",
            "findings": findings,
        }
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    typer.echo(f"{org.name}, {year}-{number:02d}: " + ("kørt nu" if ran else "allerede kørt; intet ændret"))
    if ran:
        typer.echo(f"Udstedt i denne kørsel: {', '.join(issued) if issued else 'intet nyt'}")
    for v in current:
        i = v.invoice
        typer.echo(
            f"  {i.number}  {v.payer_name} ({i.payer}): {format_kr(i.total)}, "
            f"forfalder {format_date(i.due_on)}, {i.line_count} {'linje' if i.line_count == 1 else 'linjer'}"
        )
    typer.echo(f"I alt: {format_kr(total)}")
    for line in findings:
        typer.echo(f"ADVARSEL {line}")
