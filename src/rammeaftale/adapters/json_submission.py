"""Reads a tariff submission from the public JSON format (docs/tariff-submission-json.md)."""

from __future__ import annotations

import json
from decimal import Decimal

from rammeaftale.domain.findings import Finding, Severity
from rammeaftale.domain.submission import TariffSubmission, build_submission

MAX_JSON_BYTES = 1_000_000


class UnreadableInput(ValueError):
    """Input that is not a submission at all (not JSON, too big, not an object)."""


def json_path(field: str) -> str:
    """``costs.personnel.top_management`` -> ``$.costs.personnel.top_management``."""
    return "$" if not field else f"$.{field}"


def read_json_submission(raw: bytes | str) -> tuple[TariffSubmission | None, list[Finding]]:
    if len(raw) > MAX_JSON_BYTES:
        raise UnreadableInput("JSON-filen er for stor (højst 1 MB).")
    try:
        data = json.loads(raw, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UnreadableInput(f"Filen er ikke gyldig JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise UnreadableInput("JSON-filen skal indeholde et objekt med en takstindberetning.")
    submission, findings = build_submission(data)
    return submission, [f.located(json_path(f.field)) for f in findings]


def locate_json(findings: list[Finding]) -> list[Finding]:
    return [f if f.source else f.located(json_path(f.field)) for f in findings]


def finding_to_dict(f: Finding) -> dict[str, str]:
    return {"rule_id": f.rule_id, "severity": Severity(f.severity).value, "message": f.message, "source": f.source}
