"""`rammeaftale notice` and `rammeaftale distribute`: settlement rules from the command line (handbook §§ 9–10).

`notice` says what is still paid after a notice (R-SET-05, R-SET-06, R-SET-07); `distribute` shares a yearly
amount by a key in a CSV file in whole kroner (R-OBJ-02). Neither needs the database. Exit 0: computed,
2: bad input (a Danish message on stderr naming the option, or the file, line and column).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from rammeaftale.adapters.documents.formatting import format_date, format_kr
from rammeaftale.adapters.rulesets import UnknownRuleSet, ruleset_for
from rammeaftale.domain.financing import FinancingError, distribute
from rammeaftale.domain.money import MoneyError, amount
from rammeaftale.domain.notice import OFFER_KIND_LABELS, Notice, OfferKind, notice_outcome
from rammeaftale.domain.periods import SettlementError

WEIGHT_COLUMNS = ("municipality", "weight")

# Registered without a name in cli.py, so its commands are top-level: `rammeaftale notice`, `rammeaftale distribute`.
settlement = typer.Typer(help="Afregning: opsigelse og fordeling af objektiv finansiering.")


class NoticeKindOption(StrEnum):
    STANDARD = "standard"
    SPECIAL = "special"
    SUBSTITUTION = "substitution"


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False))


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"Fejl: {message}", err=True)
    raise typer.Exit(code)


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        _fail(f"{option} skal være en dato som 2025-05-20, ikke '{text}'.")


@settlement.command("notice")
def notice_command(
    notice_date: Annotated[
        str, typer.Option("--notice-date", help="Dagen køberen gav en endelig slutdato (ÅÅÅÅ-MM-DD)")
    ],
    kind: Annotated[NoticeKindOption, typer.Option(help="Tilbuddets art")] = NoticeKindOption.STANDARD,
    final_date: Annotated[
        str | None,
        typer.Option("--final-date", help="Sidste dag borgeren modtager ydelsen (standard: opsigelsesdagen)"),
    ] = None,
    region: Annotated[int, typer.Option(help="Regionskode: 1081 Nordjylland, 1082 Midtjylland")] = 1081,
    as_json: Annotated[bool, typer.Option("--json", help="Maskinlæsbart output")] = False,
) -> None:
    """What is paid after a notice: the service and the supplements (R-SET-05, R-SET-06, R-SET-07).

    The rule set is the region's for the year of the notice date.
    """
    given = _date(notice_date, "--notice-date")
    final = given if final_date is None else _date(final_date, "--final-date")
    try:
        rules = ruleset_for(region, given.year)
        outcome, findings = notice_outcome(Notice(given, final), OfferKind(kind.value), rules)
    except (UnknownRuleSet, SettlementError) as exc:
        _fail(str(exc))
    if outcome is None:
        _fail("; ".join(f.message for f in findings))
    if as_json:
        _print_json(
            {"paid_until": outcome.paid_until.isoformat(), "supplements_until": outcome.supplements_until.isoformat()}
        )
        return
    typer.echo(f"{OFFER_KIND_LABELS[OfferKind(kind.value)]}, regelsæt {rules.id}")
    typer.echo(f"Opsagt {format_date(given)} med slutdato {format_date(final)}")
    typer.echo(f"Ydelsen betales til og med {format_date(outcome.paid_until)} ({outcome.rule_id})")
    typer.echo(f"Tillægsydelser betales til og med {format_date(outcome.supplements_until)} (R-SET-05)")


def read_weights_file(file: Path) -> list[tuple[str, Decimal]]:
    """The key from a CSV file with the columns municipality,weight (comma or semicolon separated)."""
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except OSError:
        _fail(f"filen '{file}' kan ikke læses.")
    except UnicodeDecodeError:
        _fail(f"{file}: filen skal være tekst i UTF-8.")
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if ";" in first and "," not in first else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    if tuple(header) != WEIGHT_COLUMNS:
        _fail(f"{file}, linje 1: kolonnerne skal være {','.join(WEIGHT_COLUMNS)}.")
    weights: list[tuple[str, Decimal]] = []
    seen: dict[str, int] = {}
    for line_no, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(WEIGHT_COLUMNS):
            _fail(f"{file}, linje {line_no}: forventede 2 kolonner ({','.join(WEIGHT_COLUMNS)}), fandt {len(row)}.")
        name, raw = row[0].strip(), row[1].strip()
        where = f"{file}, linje {line_no}"
        if not name:
            _fail(f"{where}, kolonne 1 (municipality): kommunen mangler.")
        if name in seen:
            _fail(f"{where}, kolonne 1 (municipality): '{name}' står også i linje {seen[name]}.")
        seen[name] = line_no
        try:
            weight = amount(raw)
        except MoneyError:
            _fail(f"{where}, kolonne 2 (weight): '{raw}' er ikke et tal.")
        if weight < 0:
            _fail(f"{where}, kolonne 2 (weight): vægten kan ikke være negativ.")
        weights.append((name, weight))
    if not weights:
        _fail(f"{file}: filen har ingen kommuner.")
    if all(w == 0 for _, w in weights):
        _fail(f"{file}: mindst én vægt skal være over 0.")
    return weights


@settlement.command("distribute")
def distribute_command(
    amount_text: Annotated[str, typer.Option("--amount", help="Årligt beløb i hele kroner")],
    weights: Annotated[Path, typer.Option("--weights", help="CSV-fil med kolonnerne municipality,weight")],
    as_json: Annotated[bool, typer.Option("--json", help="Maskinlæsbart output")] = False,
) -> None:
    """Share an amount by a key in whole kroner by largest remainder (R-OBJ-01, R-OBJ-02)."""
    try:
        total = amount(amount_text)
    except MoneyError as exc:
        _fail(f"--amount skal være et beløb i hele kroner ({exc})")
    key = read_weights_file(weights)
    try:
        result = distribute(total, key)
    except FinancingError as exc:
        _fail(f"--amount: {exc}")
    if as_json:
        _print_json(
            {
                "allocations": [{"municipality": a.municipality, "amount": str(a.amount)} for a in result.allocations],
                "total": str(result.total),
            }
        )
        return
    typer.echo(f"Fordeling af {format_kr(result.amount)} efter største rest (R-OBJ-02)")
    for a in result.allocations:
        typer.echo(f"  {a.municipality}: {format_kr(a.amount)}")
    typer.echo(f"I alt: {format_kr(result.total)}")
