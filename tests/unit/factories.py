"""Factory functions with keyword defaults: the handbook's Fjordgården example unless told otherwise."""

from __future__ import annotations

import copy
from typing import Any

from rammeaftale.adapters.rulesets import get_ruleset
from rammeaftale.demo import FJORDGAARDEN_2026
from rammeaftale.domain.rules import RuleSet
from rammeaftale.domain.submission import TariffSubmission, build_submission

# The handbook's § 6.5 example: the same figures the demo publishes for Fjordgården 2026.
FJORDGAARDEN: dict[str, Any] = {
    "ruleset": "nordjylland-2025-2026",
    "budget_year": 2026,
    "offer": {"name": "Fjordgården", "kind": "24h", "new": False, "places": 24},
    "occupancy": {"percent": "96", "method": "expected", "reason": "Venteliste"},
    "costs": FJORDGAARDEN_2026,
    "direct_support_hours_per_year": 43000,
}


def submission_data(**changes: Any) -> dict[str, Any]:
    """The Fjordgården data with top-level keys replaced; nested dicts are merged one level deep."""
    data = copy.deepcopy(FJORDGAARDEN)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


def make_submission(**changes: Any) -> TariffSubmission:
    submission, findings = build_submission(submission_data(**changes))
    assert submission is not None and not findings, findings
    return submission


def nordjylland() -> RuleSet:
    return get_ruleset("nordjylland-2025-2026")


def midtjylland() -> RuleSet:
    return get_ruleset("midtjylland-2023-2024")
