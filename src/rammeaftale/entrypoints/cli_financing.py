"""`rammeaftale financing`: objective financing from the command line (handbook § 10, R-SET-12).

- ``register``: an offer's agreement for a year: the amount in whole kroner and the key from a CSV file with
  the columns municipality,weight (kommunekoder), shared by largest remainder (R-OBJ-02).
- ``invoice``: the operator's on-account invoices of every installment whose months have begun (or up to
  ``--through``); running it again issues nothing new.
- ``true-up``: the year-end true-up against the actual amount (and an actual key, or the agreement's).
- ``show``: the agreement, its shares and installments, and its invoices.

Agreements are named by the offer's code and the year. The commands act as the system (the audit trail names
it "cli"). Exit 0: done, 1: refused (a Danish message and the findings), 2: bad input. ``--json`` prints one
object: ``{"offer", "year", "amount", "shares": [{"municipality", "amount"}], "issued": […], "invoices": […],
"total_invoiced"}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from rammeaftale.adapters.db.engine import make_engine, migrate
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.adapters.documents.formatting import format_kr
from rammeaftale.domain.financing import KEY_KIND_LABELS, KeyKind
from rammeaftale.entrypoints.cli_billing import CLI
from rammeaftale.entrypoints.cli_settlement import read_weights_file
from rammeaftale.services.context import system_clock
from rammeaftale.services.errors import InvalidSubmission, UseCaseError
from rammeaftale.services.financing import (
    AgreementDetail,
    agreement_detail,
    find_agreement,
    issue_installments,
    register_agreement,
    true_up_agreement,
)

financing = typer.Typer(help="Objektiv finansiering: aftaler, a conto-fakturaer og årsafregning (R-SET-12).")

Offer = Annotated[str, typer.Option("--offer", help="Tilbuddets kode, fx N-851-01")]
Year = Annotated[int, typer.Option("--year", help="Året, fx 2025")]
AsJson = Annotated[bool, typer.Option("--json", help="Maskinlæsbart output")]


def _fail(exc: UseCaseError) -> NoReturn:
    typer.echo(f"Fejl: {exc.message}", err=True)
    if isinstance(exc, InvalidSubmission):
        for f in exc.findings:
            typer.echo(f"  {f.rule_id} [{f.field}]: {f.message}", err=True)
    raise typer.Exit(1)


def _data(detail: AgreementDetail, issued: list[str]) -> dict[str, Any]:
    a = detail.agreement
    return {
        "offer": a.offer_code,
        "year": a.year,
        "amount": f"{a.amount:.0f}",
        "key_kind": a.key_kind.value,
        "drawing_right": a.drawing_right,
        "installments_per_year": detail.installments_per_year,
        "shares": [
            {"municipality": x.municipality, "amount": f"{x.amount:.0f}"} for x in detail.distribution.allocations
        ],
        "actual_amount": None if a.actual_amount is None else f"{a.actual_amount:.0f}",
        "issued": issued,
        "invoices": [
            {
                "number": i.number,
                "kind": i.kind.value,
                "purpose": i.purpose,
                "installment": i.installment,
                "payer": str(i.payer),
                "total": f"{i.total:.2f}",
                "due_on": i.due_on.isoformat(),
            }
            for i in detail.invoices
        ],
        "total_invoiced": f"{detail.invoiced:.2f}",
    }


def _print(detail: AgreementDetail, issued: list[str], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(_data(detail, issued), ensure_ascii=False))
        return
    a = detail.agreement
    typer.echo(
        f"{a.offer_code} {a.year}: {format_kr(a.amount)} efter {KEY_KIND_LABELS[a.key_kind].lower()}"
        + (", med trækningsret (R-OBJ-03)" if a.drawing_right else "")
    )
    for share in detail.distribution.allocations:
        typer.echo(f"  {share.municipality}: {format_kr(share.amount)}")
    if a.actual_amount is not None:
        typer.echo(f"Afregnet efter faktisk beløb {format_kr(a.actual_amount)} (R-SET-12)")
    typer.echo(f"Udstedt nu: {', '.join(issued) if issued else 'intet nyt'}")
    typer.echo(f"Faktureret i alt: {format_kr(detail.invoiced)} på {len(detail.invoices)} bilag")


def _engine() -> Any:
    engine = make_engine()
    migrate(engine)
    return engine


@financing.command("register")
def register_command(
    offer: Offer,
    year: Year,
    amount: Annotated[str, typer.Option(help="Årets beløb i hele kroner")],
    weights: Annotated[Path, typer.Option(help="CSV-fil med kolonnerne municipality,weight (kommunekoder)")],
    key: Annotated[KeyKind, typer.Option(help="Nøglen (R-OBJ-01)")] = KeyKind.POPULATION,
    drawing_right: Annotated[bool, typer.Option(help="Kommunerne i nøglen har trækningsret (R-OBJ-03)")] = True,
    as_json: AsJson = False,
) -> None:
    """Register an offer's objective financing for a year (R-OBJ-01 … R-OBJ-03)."""
    key_weights = read_weights_file(weights)
    with UnitOfWork(_engine()) as uow:
        try:
            agreement = register_agreement(
                uow, CLI, system_clock, offer, year, amount, key.value, key_weights, drawing_right
            )
            detail = agreement_detail(uow, CLI, agreement.id)
        except UseCaseError as exc:
            _fail(exc)
    _print(detail, [], as_json)


@financing.command("invoice")
def invoice_command(
    offer: Offer,
    year: Year,
    through: Annotated[int | None, typer.Option(help="Til og med rate nr. (standard: alle begyndte)")] = None,
    as_json: AsJson = False,
) -> None:
    """Issue the on-account invoices of the installments that have begun (R-SET-12); idempotent."""
    with UnitOfWork(_engine()) as uow:
        try:
            agreement = find_agreement(uow, CLI, offer, year)
            result = issue_installments(uow, CLI, system_clock, agreement.id, through)
            detail = agreement_detail(uow, CLI, agreement.id)
        except UseCaseError as exc:
            _fail(exc)
    _print(detail, [i.number for i in result.issued], as_json)


@financing.command("true-up")
def true_up_command(
    offer: Offer,
    year: Year,
    actual: Annotated[str, typer.Option(help="Årets faktiske beløb i hele kroner")],
    weights: Annotated[Path | None, typer.Option(help="Faktisk nøgle (CSV municipality,weight)")] = None,
    as_json: AsJson = False,
) -> None:
    """True the year up: invoices and credit notes for the differences to the actual amount (R-SET-12)."""
    key = read_weights_file(weights) if weights is not None else None
    with UnitOfWork(_engine()) as uow:
        try:
            agreement = find_agreement(uow, CLI, offer, year)
            result = true_up_agreement(uow, CLI, system_clock, agreement.id, actual, key)
            detail = agreement_detail(uow, CLI, agreement.id)
        except UseCaseError as exc:
            _fail(exc)
    _print(detail, [i.number for i in result.issued], as_json)


@financing.command("show")
def show_command(offer: Offer, year: Year, as_json: AsJson = False) -> None:
    """Show an agreement, its shares and its invoices."""
    with UnitOfWork(_engine()) as uow:
        try:
            detail = agreement_detail(uow, CLI, find_agreement(uow, CLI, offer, year).id)
        except UseCaseError as exc:
            _fail(exc)
    _print(detail, [], as_json)
