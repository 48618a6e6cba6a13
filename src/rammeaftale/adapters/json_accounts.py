"""Reads an accounts submission from the public JSON format (docs/accounts-submission-json.md).

The same safe loader as tariff submissions (``json_submission.load_json_object``): size limit, exact
``Decimal`` numbers, no NaN/Infinity, bounded nesting, hostile input as ``UnreadableInput`` with a Danish
message. Findings point back into the document with a JSON path (``$.costs.personnel.top_management``).
"""

from __future__ import annotations

from rammeaftale.adapters.json_submission import json_path, load_json_object
from rammeaftale.domain.accounts_submission import AccountsSubmission, build_accounts_submission
from rammeaftale.domain.findings import Finding

WHAT = "et regnskab"


def read_json_accounts(raw: bytes | str) -> tuple[AccountsSubmission | None, list[Finding]]:
    """Read accounts from JSON; raises ``UnreadableInput`` when the file is not a JSON object at all."""
    submission, findings = build_accounts_submission(load_json_object(raw, WHAT))
    return submission, [f.located(json_path(f.field)) for f in findings]
