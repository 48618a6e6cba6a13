"""Price a submission file on its own, without a database (CLI `tariff compute`, API /tariff/compute)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rammeaftale.adapters.excel.reader import locate_xlsx, read_template
from rammeaftale.adapters.excel.safety import UnsafeUpload
from rammeaftale.adapters.json_submission import UnreadableInput, locate_json, read_json_submission
from rammeaftale.adapters.rulesets import UnknownRuleSet, get_ruleset
from rammeaftale.domain.findings import Finding, Severity, has_errors
from rammeaftale.domain.submission import TariffSubmission
from rammeaftale.domain.validation import assess
from rammeaftale.services.errors import InvalidSubmission
from rammeaftale.services.security_log import FieldValue, security_event
from rammeaftale.services.serialization import finding_to_data, result_to_data

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_NAME_LENGTH = 120
MAX_REASON_RULES = 10
_CPR_LIKE = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Unreadable(ValueError):
    """The file is not a submission at all (exit code 2)."""


def display_name(filename: str) -> str:
    """The uploaded file's name as messages and stored findings show it: no client path, no control characters,
    no CPR-shaped number (masked), at most 120 characters (the extension kept)."""
    name = _CONTROL.sub("", re.split(r"[\\/]", filename)[-1]).strip()
    name = _CPR_LIKE.sub("xxxxxx-xxxx", name)
    if len(name) > MAX_NAME_LENGTH:
        _stem, dot, extension = name.rpartition(".")
        keep = f"{dot}{extension}" if dot and len(extension) <= 8 else ""
        name = name[: MAX_NAME_LENGTH - len(keep) - 1] + "…" + keep
    return name or "indberetning"


def is_xlsx(filename: str, raw: bytes) -> bool:
    return filename.lower().endswith((".xlsx", ".xlsm", ".xls")) or raw[:2] == b"PK"


def read_submission_file(raw: bytes, filename: str) -> tuple[TariffSubmission | None, list[Finding], bool]:
    """Read an XLSX template or a JSON file; returns the submission, findings and whether it was XLSX."""
    filename = display_name(filename)
    try:
        if is_xlsx(filename, raw):
            submission, findings = read_template(raw, filename)
            return submission, findings, True
        submission, findings = read_json_submission(raw)
        return submission, findings, False
    except (UnsafeUpload, UnreadableInput) as exc:
        raise Unreadable(str(exc)) from exc


@dataclass(frozen=True)
class Computation:
    result: dict[str, Any] | None
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.result or {"services": []})
        data["findings"] = [finding_to_data(f) for f in self.findings]
        return data


def compute_file(raw: bytes, filename: str) -> Computation:
    filename = display_name(filename)
    submission, findings, xlsx = read_submission_file(raw, filename)
    if submission is None:
        return Computation(None, findings)
    try:
        rules = get_ruleset(submission.ruleset_id)
    except UnknownRuleSet as exc:
        findings.append(Finding("R-CYC-02", Severity.ERROR, str(exc), "ruleset"))
        return Computation(None, _locate(findings, filename, xlsx))
    assessment = assess(submission, rules)
    findings = _locate([*findings, *assessment.findings], filename, xlsx)
    result = result_to_data(assessment.result) if assessment.result is not None and not has_errors(findings) else None
    return Computation(result, findings)


def locator(filename: str, xlsx: bool) -> Callable[[list[Finding]], list[Finding]]:
    """How findings of this file are pointed out: sheet and cell for XLSX, a JSON path for JSON."""
    filename = display_name(filename)
    return (lambda findings: locate_xlsx(findings, filename)) if xlsx else locate_json


def _locate(findings: list[Finding], filename: str, xlsx: bool) -> list[Finding]:
    return locator(filename, xlsx)(findings)


# --- refused uploads as security events (ASVS V16.3.3) -------------------------------------------------


@contextmanager
def refusal_logged(raw: bytes, filename: str | None = None, **fields: FieldValue) -> Iterator[None]:
    """Log ``upload.refused`` when the block refuses an uploaded file or JSON submission, then let it go on.

    The event names the file as ``display_name`` shows it, its size and why (``refusal_reason``), plus
    the caller's ``fields`` (who, from where); never the file's content.
    """
    try:
        yield
    except (Unreadable, InvalidSubmission) as exc:
        name = display_name(filename) if filename is not None else None
        security_event("upload.refused", file=name, size=len(raw), reason=refusal_reason(exc), **fields)
        raise


def refusal_reason(exc: BaseException) -> str:
    """A short code: ``unsafe_file`` (refused before parsing), ``unreadable_json``, ``unreadable``, the
    rule ids of the error findings, comma-separated, or ``invalid`` for a refusal without findings."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, UnsafeUpload):
            return "unsafe_file"
        if isinstance(cause, UnreadableInput):
            return "unreadable_json"
        cause = cause.__cause__
    if isinstance(exc, Unreadable) or isinstance(exc.__cause__, Unreadable):
        return "unreadable"
    findings = exc.findings if isinstance(exc, InvalidSubmission) else []
    rules = sorted({f.rule_id for f in findings if f.is_error})
    return ",".join(rules[:MAX_REASON_RULES]) or "invalid"
