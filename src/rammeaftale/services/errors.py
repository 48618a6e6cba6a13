"""Typed use-case errors; entrypoints map them to HTTP status codes and CLI exit codes in one place."""

from __future__ import annotations

from rammeaftale.domain.findings import Finding


class UseCaseError(Exception):
    """Base: ``message`` is Danish and safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(UseCaseError):
    pass


class Forbidden(UseCaseError):
    pass


class Conflict(UseCaseError):
    pass


class InvalidSubmission(UseCaseError):
    """The input has errors: nothing was saved; ``findings`` lists every problem."""

    def __init__(self, message: str, findings: list[Finding]) -> None:
        super().__init__(message)
        self.findings = findings
