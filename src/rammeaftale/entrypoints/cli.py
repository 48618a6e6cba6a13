"""Command line: `rammeaftale --help`. Every command that prints results has --json (amounts as strings)."""

from __future__ import annotations

import json
import logging
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from rammeaftale.adapters.db.engine import make_engine, migrate
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.adapters.documents.formatting import format_kr
from rammeaftale.demo import load_demo
from rammeaftale.demo_billing import bill_demo_months
from rammeaftale.domain.money import MoneyError, amount
from rammeaftale.domain.supplements import ata_price
from rammeaftale.entrypoints.cli_accounts import accounts, surplus_command
from rammeaftale.entrypoints.cli_billing import billing
from rammeaftale.entrypoints.cli_financing import financing
from rammeaftale.entrypoints.cli_refunds import refunds
from rammeaftale.entrypoints.cli_settlement import settlement
from rammeaftale.entrypoints.cli_users import user
from rammeaftale.services import appendix as appendix_service
from rammeaftale.services import compute
from rammeaftale.services.context import Actor
from rammeaftale.services.errors import UseCaseError
from rammeaftale.services.security_log import LOGGER_NAME as SECURITY_LOGGER

app = typer.Typer(help="Rammeaftale: takster, takstindberetninger og takstbilag.", no_args_is_help=True)
tariff = typer.Typer(help="Takstindberetninger: skabelon og beregning.", no_args_is_help=True)
app.add_typer(tariff, name="tariff")
app.add_typer(user, name="user")
app.add_typer(accounts, name="accounts")
app.add_typer(settlement)  # `notice` and `distribute` at the top level: entrypoints/cli_settlement.py
app.add_typer(billing)  # `bill` at the top level: entrypoints/cli_billing.py
app.add_typer(financing, name="financing")  # objective financing: entrypoints/cli_financing.py
app.add_typer(refunds, name="refunds")  # `refunds run` and `refunds list`: entrypoints/cli_refunds.py


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"Fejl: {message}", err=True)
    raise typer.Exit(code)


@app.command()
def demo() -> None:
    """Migrate the database and load the fictitious demo data (idempotent)."""
    engine = make_engine()
    migrate(engine)
    loaded = load_demo(engine)
    typer.echo("Demodata indlæst." if loaded else "Demodata findes allerede; intet ændret.")
    issued = bill_demo_months(engine)
    if issued:
        typer.echo(f"Demo-afregning januar–juni 2025 og objektiv finansiering kørt: {issued} bilag udstedt.")


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the web UI and the API (migrates the database first)."""
    import uvicorn

    from rammeaftale.entrypoints.app import create_app

    engine = make_engine()
    migrate(engine)
    log_security_events_to_stderr()
    typer.echo(f"Rammeaftale kører på http://{host}:{port}")
    uvicorn.run(create_app(engine), host=host, port=port, log_level="info")


def log_security_events_to_stderr() -> logging.Handler:
    """Security events (services/security_log.py) to stderr at INFO, one JSON line each, nothing around it.

    Only the ``rammeaftale.security`` logger is configured; uvicorn's own loggers keep their config (its
    ``dictConfig`` leaves other loggers alone). Calling it twice adds no second handler.
    """
    logger = logging.getLogger(SECURITY_LOGGER)
    for handler in logger.handlers:
        if getattr(handler, "security_events_to_stderr", False):
            return handler
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.security_events_to_stderr = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # written once, here, even when the root logger has handlers of its own
    return handler


@tariff.command("template")
def template(
    offer: Annotated[str, typer.Option(help="Tilbuddets id (fx N-851-01) eller nummer")],
    year: Annotated[int, typer.Option(help="Budgetår")],
    out: Annotated[Path, typer.Option(help="XLSX-fil der skrives")],
    service: Annotated[int | None, typer.Option(help="Ydelsens nummer, hvis tilbuddet har flere")] = None,
) -> None:
    """Write the pre-filled XLSX template for an offer and budget year."""
    from rammeaftale.adapters.excel.template import write_template
    from rammeaftale.services.offers import template_prefill

    engine = make_engine()
    migrate(engine)
    with UnitOfWork(engine) as uow:
        found = uow.offers.by_code(offer) or (uow.offers.get(int(offer)) if offer.isdigit() else None)
        if found is None or not found.services:
            _fail(f"Tilbuddet '{offer}' findes ikke.", 2)
        assert found is not None
        service_id = service or found.services[0].id
        operator = Actor(None, "cli", "operator", found.operator.id, found.operator.region_code)
        try:
            _, prefill, last_year = template_prefill(uow, operator, service_id, year)
        except UseCaseError as exc:
            _fail(exc.message, 2)
    out.write_bytes(write_template(prefill, last_year, fictitious=True))
    typer.echo(f"Skabelon skrevet til {out}")


@tariff.command("compute")
def compute_command(
    file: Annotated[Path, typer.Argument(help=".xlsx eller .json")],
    as_json: Annotated[bool, typer.Option("--json", help="Maskinlæsbart output")] = False,
) -> None:
    """Price a submission file on its own (no database). Exit 0: no errors, 1: errors, 2: unreadable."""
    try:
        raw = file.read_bytes()
        with compute.refusal_logged(raw, file.name, channel="cli"):
            computation = compute.compute_file(raw, file.name)
    except (OSError, compute.Unreadable) as exc:
        _fail(str(exc), 2)
        return
    if as_json:
        _print_json(computation.to_data())
    else:
        _print_computation(computation)
    raise typer.Exit(0 if computation.ok else 1)


def _print_computation(computation: compute.Computation) -> None:
    if computation.result:
        typer.echo(f"Takstberegningsgrundlag: {format_kr(Decimal(computation.result['cost_base']))}")
        for s in computation.result["services"]:
            tariff_text = format_kr(Decimal(s["tariff"])) if s["tariff"] else "individuel"
            typer.echo(f"  {s['name']}: {tariff_text} pr. {s['unit']}")
    for f in computation.findings:
        label = "FEJL" if f.is_error else "ADVARSEL"
        typer.echo(f"{label} {f.rule_id} [{f.source}]: {f.message}")


@app.command()
def ata(
    hourly_cost: Annotated[str, typer.Option("--hourly-cost", help="Timeløn inkl. feriepenge og pension")],
    absence: Annotated[str, typer.Option(help="Fraværskorrektion som decimal (0.33)")],
    time_coefficient: Annotated[str, typer.Option("--time-coefficient", help="Tidspunktskoefficient (0.25)")],
    variable_costs: Annotated[str, typer.Option("--variable-costs", help="Variable følgeomkostninger")] = "0.05",
    hours: Annotated[str, typer.Option(help="Antal ATA-timer")] = "1",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """ATA hourly rate for supplementary services (R-SUP-02)."""
    try:
        price = ata_price(
            amount(hourly_cost), amount(absence), amount(time_coefficient), amount(variable_costs), amount(hours)
        )
    except (MoneyError, ValueError) as exc:
        _fail(str(exc), 2)
        return
    if as_json:
        _print_json({"hourly_rate": str(price.hourly_rate), "amount": str(price.amount)})
    else:
        typer.echo(f"ATA-timepris: {format_kr(price.hourly_rate)} ({hours} timer: {format_kr(price.amount)})")


@app.command("appendix")
def appendix_command(
    region: Annotated[int, typer.Option(help="Regionskode, fx 1081")],
    year: Annotated[int, typer.Option(help="Takstår")],
    out: Annotated[Path, typer.Option(help="Fil der skrives")],
    format: Annotated[str, typer.Option("--format", help="xlsx, pdf eller html")] = "xlsx",
    version: Annotated[int | None, typer.Option(help="Version (standard: nyeste)")] = None,
) -> None:
    """Write a published tariff appendix as XLSX, PDF or HTML."""
    from rammeaftale.adapters.documents.appendix_html import render_appendix_html
    from rammeaftale.adapters.documents.appendix_pdf import render_appendix_pdf
    from rammeaftale.adapters.documents.appendix_xlsx import render_appendix_xlsx

    if format not in ("xlsx", "pdf", "html"):
        _fail("--format skal være xlsx, pdf eller html.", 2)
    engine = make_engine()
    migrate(engine)
    with UnitOfWork(engine) as uow:
        try:
            document = appendix_service.load_appendix(uow, region, year, version)
        except UseCaseError as exc:
            _fail(exc.message, 1)
            return
    if format == "xlsx":
        out.write_bytes(render_appendix_xlsx(document))
    elif format == "pdf":
        out.write_bytes(render_appendix_pdf(document))
    else:
        out.write_text(render_appendix_html(document), encoding="utf-8")
    typer.echo(f"Takstbilag {region} {year} version {document.version} skrevet til {out}")


app.command("surplus")(surplus_command)  # entrypoints/cli_accounts.py, with `accounts compute` and `template`
