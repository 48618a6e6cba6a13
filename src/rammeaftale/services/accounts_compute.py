"""Assess an accounts file on its own, without a database (CLI `accounts compute`), like ``compute.compute_file``.

The file is the XLSX regnskabsskema or the public JSON (docs/accounts-submission-json.md), told apart by
content; the consequence is measured against the cost base the file states (a service with the database
uses the approved tariff's instead). Files that are not accounts at all raise ``compute.Unreadable``;
callers log them with ``compute.refusal_logged`` as for tariff files.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rammeaftale.adapters.excel.accounts_reader import locate_accounts_xlsx, read_accounts_template
from rammeaftale.adapters.excel.safety import UnsafeUpload
from rammeaftale.adapters.json_accounts import read_json_accounts
from rammeaftale.adapters.json_submission import UnreadableInput, locate_json
from rammeaftale.adapters.rulesets import UnknownRuleSet, get_ruleset
from rammeaftale.domain.accounts import Consequence
from rammeaftale.domain.accounts_submission import AccountsSubmission, accounts_consequence
from rammeaftale.domain.findings import Finding, Severity, has_errors
from rammeaftale.services.compute import Unreadable, display_name, is_xlsx
from rammeaftale.services.serialization import finding_to_data

CONSEQUENCE_KEYS = (
    "result",
    "kind",
    "percent",
    "within_limit",
    "excess",
    "tariff_effect",
    "due_year",
    "installments",
)


@dataclass(frozen=True)
class AccountsComputation:
    submission: AccountsSubmission | None
    consequence: Consequence | None
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)

    def to_data(self) -> dict[str, Any]:
        """The consequence with amounts as decimal strings (null without one) and the findings."""
        data: dict[str, Any] = dict.fromkeys(CONSEQUENCE_KEYS)
        data["installments"] = []
        c = self.consequence
        if c is not None:
            data.update(
                result=_kr(c.result),
                kind=c.kind.value,
                percent=str(c.percent),
                within_limit=_kr(c.within_limit),
                excess=_kr(c.excess),
                tariff_effect=_kr(c.tariff_effect),
                due_year=c.due_year,
                installments=[
                    {"budget_year": i.budget_year, "amount": _kr(i.amount), "interest": _kr(i.interest)}
                    for i in c.installments
                ],
            )
        data["findings"] = [finding_to_data(f) for f in self.findings]
        return data


def _kr(value: Decimal) -> str:
    """An amount as a decimal string with øre; never "-0.00"."""
    return f"{abs(value) if value.is_zero() else value:.2f}"


def read_accounts_file(raw: bytes, filename: str) -> tuple[AccountsSubmission | None, list[Finding], bool]:
    """Read a regnskabsskema or a JSON file; returns the accounts, findings and whether it was XLSX."""
    filename = display_name(filename)
    try:
        if is_xlsx(filename, raw):
            submission, findings = read_accounts_template(raw, filename)
            return submission, findings, True
        submission, findings = read_json_accounts(raw)
        return submission, findings, False
    except (UnsafeUpload, UnreadableInput) as exc:
        raise Unreadable(str(exc)) from exc


def compute_accounts_file(raw: bytes, filename: str) -> AccountsComputation:
    """The accounts in the file and their § 7 consequence against the file's cost base, with all findings."""
    filename = display_name(filename)
    submission, findings, xlsx = read_accounts_file(raw, filename)
    if submission is None:
        return AccountsComputation(None, None, findings)
    new: list[Finding] = []
    consequence = None
    try:
        rules = get_ruleset(submission.ruleset_id)
    except UnknownRuleSet as exc:
        new.append(Finding("R-CYC-01", Severity.ERROR, str(exc), "ruleset"))
    else:
        if not rules.covers(submission.accounts_year):
            new.append(
                Finding(
                    "R-CYC-01",
                    Severity.ERROR,
                    f"Regelsættet {rules.id} gælder ikke for regnskabsåret {submission.accounts_year}.",
                    "ruleset",
                )
            )
        else:
            consequence, consequence_findings = accounts_consequence(submission, rules, submission.cost_base)
            new.extend(consequence_findings)
    located = locate_accounts_xlsx(new, filename) if xlsx else locate_json(new)
    return AccountsComputation(submission, consequence, [*findings, *located])
