"""Reads a tariff submission from the public JSON format (docs/tariff-submission-json.md).

Hostile input is ``UnreadableInput`` with a Danish message, never another exception: invalid UTF-8, text
that is not JSON, nesting deep enough to exhaust the parser's recursion, NaN/Infinity, and numbers that
cannot be reckoned exactly (``domain.money.reckonable``: more than 28 significant digits, or 10^15 and above).
Amounts given as JSON strings meet the same limits in ``domain.money.amount``.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from rammeaftale.domain.findings import Finding, Severity
from rammeaftale.domain.money import MAX_INTEGER_DIGITS, MAX_SIGNIFICANT_DIGITS, MoneyError, reckonable
from rammeaftale.domain.submission import TariffSubmission, build_submission

MAX_JSON_BYTES = 1_000_000


class UnreadableInput(ValueError):
    """Input that is not a submission at all (not JSON, too big, not an object)."""


def json_path(field: str) -> str:
    """``costs.personnel.top_management`` -> ``$.costs.personnel.top_management``."""
    return "$" if not field else f"$.{field}"


def read_json_submission(raw: bytes | str) -> tuple[TariffSubmission | None, list[Finding]]:
    submission, findings = build_submission(load_json_object(raw))
    return submission, [f.located(json_path(f.field)) for f in findings]


def load_json_object(raw: bytes | str, what: str = "en takstindberetning") -> dict[str, object]:
    """The JSON object in ``raw``, numbers exact; ``UnreadableInput`` for anything hostile (module docstring).

    ``what`` names the document in the messages ("en takstindberetning", "et regnskab").
    """
    if len(raw) > MAX_JSON_BYTES:
        raise UnreadableInput("JSON-filen er for stor (højst 1 MB).")
    try:
        data = json.loads(raw, parse_float=_decimal, parse_int=_integer, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise UnreadableInput(f"Filen er ikke gyldig JSON (linje {exc.lineno}, kolonne {exc.colno}).") from exc
    except UnicodeDecodeError as exc:
        raise UnreadableInput("Filen er ikke gyldig JSON: den er ikke kodet som UTF-8.") from exc
    except RecursionError as exc:
        raise UnreadableInput(f"JSON-filen er indlejret for dybt til at være {what}.") from exc
    if not isinstance(data, dict):
        raise UnreadableInput(f"JSON-filen skal indeholde et objekt med {what}.")
    return data


def _decimal(text: str) -> Decimal:
    """A JSON number, exact; refused when it cannot be reckoned exactly (see module docstring)."""
    try:  # InvalidOperation: an exponent beyond what Decimal holds ("1e99999999999999999999")
        return reckonable(Decimal(text))
    except (InvalidOperation, MoneyError) as exc:
        raise UnreadableInput(
            "JSON-filen indeholder et tal, der er for stort eller har for mange cifre til at regne præcist med "
            f"(højst {MAX_SIGNIFICANT_DIGITS} cifre og under 10^{MAX_INTEGER_DIGITS})."
        ) from exc


def _integer(text: str) -> int:
    return int(_decimal(text))


def _constant(name: str) -> object:
    raise UnreadableInput(f"JSON-filen indeholder '{name}', som ikke er et tal. Skriv beløbet som et tal.")


def locate_json(findings: list[Finding]) -> list[Finding]:
    return [f if f.source else f.located(json_path(f.field)) for f in findings]


def finding_to_dict(f: Finding) -> dict[str, str]:
    return {"rule_id": f.rule_id, "severity": Severity(f.severity).value, "message": f.message, "source": f.source}
