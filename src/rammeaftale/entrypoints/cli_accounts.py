"""`rammeaftale surplus` and `rammeaftale accounts …`: accounts, surplus and deficit (handbook § 7).

`surplus` assesses one result from the command line; `accounts compute FILE` reads a whole accounts file
(XLSX regnskabsskema or JSON) like `tariff compute`; `accounts template` writes an empty regnskabsskema.
None of them needs the database.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from rammeaftale.adapters.documents.formatting import format_kr, format_pct
from rammeaftale.adapters.excel.accounts_template import write_accounts_template
from rammeaftale.adapters.rulesets import UnknownRuleSet, ruleset_for
from rammeaftale.domain.accounts import AccountsError, Consequence, ResultKind, assess_result
from rammeaftale.domain.money import MoneyError, amount
from rammeaftale.services import compute
from rammeaftale.services.accounts_compute import AccountsComputation, compute_accounts_file

accounts = typer.Typer(help="Regnskaber: skabelon og beregning af over- og underskud.", no_args_is_help=True)


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"Fejl: {message}", err=True)
    raise typer.Exit(code)


def surplus_command(
    cost_base: Annotated[str, typer.Option("--cost-base", help="Regnskabsårets takstberegningsgrundlag i kr.")],
    result: Annotated[str, typer.Option(help="Regnskabsresultat i kr.: + overskud, − underskud")],
    year: Annotated[str, typer.Option(help="Regnskabsår")],
    new_offer: Annotated[
        bool, typer.Option("--new-offer", help="Regnskabsåret er tilbuddets første (R-NEW-02)")
    ] = False,
    region: Annotated[int, typer.Option(help="Regionskode: 1081 Nordjylland, 1082 Midtjylland")] = 1081,
    as_json: Annotated[bool, typer.Option("--json", help="Maskinlæsbart output")] = False,
) -> None:
    """Surplus or deficit under the 5 % rule (handbook § 7: R-SUR-01, R-SUR-03 … R-SUR-05, R-NEW-02).

    The rule set is the region's for the accounts year. Exit 0: computed, 2: bad input or no rule set.
    """
    try:
        base = amount(cost_base)
        outcome = amount(result)
    except MoneyError as exc:
        _fail(f"--cost-base og --result skal være beløb i kr. ({exc})", 2)
    if not year.strip().isdigit():
        _fail(f"--year skal være et årstal, ikke '{year}'.", 2)
    if base <= 0:
        _fail("--cost-base (takstberegningsgrundlaget) skal være over 0 kr.", 2)
    try:
        rules = ruleset_for(region, int(year))
        consequence = assess_result(outcome, base, int(year), rules, new_offer=new_offer)
    except (UnknownRuleSet, AccountsError) as exc:
        _fail(str(exc), 2)
    if as_json:
        _print_json(
            {
                "kind": consequence.kind.value,
                "percent": str(consequence.percent),
                "within_limit": f"{consequence.within_limit:.2f}",
                "excess": f"{consequence.excess:.2f}",
                "tariff_effect": f"{consequence.tariff_effect:.2f}",
                "due_year": consequence.due_year,
            }
        )
        return
    typer.echo(f"Regnskabsår {year}, regelsæt {rules.id}")
    _print_consequence(consequence)
    surplus = consequence.kind is ResultKind.SURPLUS
    used: tuple[str, ...] = (
        ("reserve_max_pct", "excess_due_years") if surplus else ("deficit_own_pct", "deficit_excess_due_years")
    )
    if consequence.spread:
        used = (*used, "new_offer_loss_spread_years")
    for name in used:
        parameter = rules.parameters[name]
        if parameter.assumed:
            typer.echo(
                f"Bemærk: antaget værdi, som sekretariatet skal bekræfte: {parameter.spec.label} ({parameter.spec.rule_id})"
            )


def _print_consequence(consequence: Consequence) -> None:
    surplus = consequence.kind is ResultKind.SURPLUS
    typer.echo(
        f"{'Overskud' if surplus else 'Underskud'}: {format_kr(abs(consequence.result))} = "
        f"{format_pct(consequence.percent)} af takstberegningsgrundlaget {format_kr(consequence.cost_base)}"
    )
    if surplus:
        typer.echo(f"Må hensættes (R-SUR-01): {format_kr(consequence.within_limit)}")
    else:
        typer.echo(f"Dækkes af driftsherren (R-SUR-04): {format_kr(consequence.within_limit)}")
    if consequence.excess == 0:
        typer.echo("Ud over grænsen: intet; taksten skal ikke reguleres.")
        return
    verb, rule = ("nedsætte", "R-SUR-03") if surplus else ("forhøje", "R-SUR-05")
    when = f"senest i {consequence.due_year}"
    if consequence.spread:
        when = f"fordelt over {consequence.installments[0].budget_year}–{consequence.due_year} (nyt tilbud)"
        rule = f"{rule}, R-NEW-02"
    typer.echo(f"Ud over grænsen: {format_kr(consequence.excess)} skal {verb} taksten {when} ({rule})")
    for part in consequence.installments:
        typer.echo(f"  Takstvirkning {part.budget_year}: {format_kr(part.amount)}")


@accounts.command("compute")
def compute_command(
    file: Annotated[Path, typer.Argument(help=".xlsx eller .json")],
    as_json: Annotated[bool, typer.Option("--json", help="Maskinlæsbart output")] = False,
) -> None:
    """Assess an accounts file on its own (no database). Exit 0: no errors, 1: errors, 2: unreadable."""
    try:
        raw = file.read_bytes()
        with compute.refusal_logged(raw, file.name, channel="cli"):
            computation = compute_accounts_file(raw, file.name)
    except (OSError, compute.Unreadable) as exc:
        _fail(str(exc), 2)
    if as_json:
        _print_json(computation.to_data())
    else:
        _print_computation(computation)
    raise typer.Exit(0 if computation.ok else 1)


def _print_computation(computation: AccountsComputation) -> None:
    s = computation.submission
    if s is not None:
        level = f", målgruppe {s.target_group}" if s.target_group else ""
        typer.echo(f"Regnskab {s.accounts_year} for {s.offer_code}{level} (regelsæt {s.ruleset_id})")
        typer.echo(f"Indtægter: {format_kr(s.income_total)}; omkostninger: {format_kr(s.costs_total)}")
    if computation.consequence is not None:
        _print_consequence(computation.consequence)
    if s is not None and s.reserve_requested is not None:
        typer.echo(f"Ønsket hensættelse: {format_kr(s.reserve_requested)}")
    if s is not None and s.early_repayment:
        typer.echo(f"Tilbagebetales til køberne nu (R-SUR-07): {format_kr(s.early_repayment)}")
    for f in computation.findings:
        label = "FEJL" if f.is_error else "ADVARSEL"
        typer.echo(f"{label} {f.rule_id} [{f.source}]: {f.message}")


@accounts.command("template")
def template_command(
    offer: Annotated[str, typer.Option(help="Tilbudskode, fx N-851-01")],
    year: Annotated[int, typer.Option(help="Regnskabsår")],
    out: Annotated[Path, typer.Option(help="XLSX-fil der skrives")],
    region: Annotated[int, typer.Option(help="Regionskode for regelsættet: 1081 Nordjylland, 1082 Midtjylland")] = 1081,
    cost_base: Annotated[
        str | None, typer.Option("--cost-base", help="Årets takstberegningsgrundlag i kr., hvis det kendes")
    ] = None,
) -> None:
    """Write an empty regnskabsskema with the offer code, year and rule set filled in (no database)."""
    prefill: dict[str, object] = {"offer_code": offer.strip(), "accounts_year": year}
    try:
        prefill["ruleset"] = ruleset_for(region, year).id
    except UnknownRuleSet as exc:
        _fail(str(exc), 2)
    if cost_base is not None:
        try:
            base: Decimal = amount(cost_base)
        except MoneyError as exc:
            _fail(f"--cost-base skal være et beløb i kr. ({exc})", 2)
        if base <= 0:
            _fail("--cost-base (takstberegningsgrundlaget) skal være over 0 kr.", 2)
        prefill["cost_base"] = base
    try:
        out.write_bytes(write_accounts_template(prefill))
    except OSError as exc:
        _fail(f"Skabelonen kunne ikke skrives til {out}: {exc.strerror}", 2)
    typer.echo(f"Regnskabsskema skrevet til {out}")
