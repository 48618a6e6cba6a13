"""Findings: validation results as data with a source (architecture example 7)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem found in an input.

    ``field`` is the logical field path (``costs.personnel.top_management``); adapters translate it
    into a source their users understand (a JSON path, a sheet and cell) and set ``source``.
    """

    rule_id: str
    severity: Severity
    message: str
    field: str = ""
    source: str = ""
    needs_remark: bool = False

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def located(self, source: str) -> Finding:
        return Finding(self.rule_id, self.severity, self.message, self.field, source, self.needs_remark)


def has_errors(findings: tuple[Finding, ...] | list[Finding]) -> bool:
    return any(f.is_error for f in findings)
