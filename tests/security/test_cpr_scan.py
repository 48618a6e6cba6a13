"""No CPR-shaped string in anything the test run logged or in any response the security tests saw.

Runs last (tests/security/conftest.py moves this file to the end of the run). CPR numbers never appear in
the app today, so every hit is a failure. The pattern is ``\\b[0-3]\\d[01]\\d\\d{2}-?\\d{4}\\b`` (DDMMYY-SSSS
or ten digits). What it does not count, by design:

* a CPR-shaped string the fuzzer itself put into its request (FastAPI's validation errors echo the
  caller's own input back to the caller; that is no leak);
* nothing else: EAN and GLN numbers (13 digits), dates (2026-11-22), amounts and timestamps do not
  match the pattern because of the word boundaries, and no other exclusion is needed.
"""

from __future__ import annotations

import pytest

from rammeaftale.services.security_log import security_event
from tests.security.conftest import CPR_PATTERN, EVIDENCE, write_figures

pytestmark = pytest.mark.security


def cpr_hits(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(where, hit) for every CPR-shaped string that the client did not send itself."""
    return [(where, hit) for where, text in items for hit in CPR_PATTERN.findall(text) if hit not in EVIDENCE.sent]


def test_the_cpr_pattern_finds_both_cpr_shapes_and_no_ean_date_or_amount() -> None:
    found = CPR_PATTERN.findall("borger 010190-1234, 3112451234; EAN 5790001234567; 2026-11-22; 2070.25; 17410000")
    assert found == ["010190-1234", "3112451234"]


def test_the_security_events_are_among_the_log_records_the_scan_reads() -> None:
    before = len(EVIDENCE.logs)
    security_event("scan.probe", username="cpr-scan")
    assert any("rammeaftale.security" in line and '"scan.probe"' in line for line in EVIDENCE.logs[before:])


def test_no_cpr_number_appears_in_any_log_line_or_response_of_the_test_run() -> None:
    logs = [("log", line) for line in EVIDENCE.logs]
    responses = list(EVIDENCE.responses)
    hits = cpr_hits(logs + responses)
    write_figures(
        "cpr",
        {
            "cpr_hits": len(hits),
            "log_records_scanned": len(logs),
            "responses_scanned": len(responses),
            "client_sent_excluded": len(EVIDENCE.sent),
        },
    )
    assert logs, "the log capture saw nothing: is tests/security/conftest.py loaded?"
    assert hits == [], hits[:10]


def test_the_scan_saw_the_responses_of_the_security_tests_when_they_ran(request: pytest.FixtureRequest) -> None:
    ran = [item for item in request.session.items if "tests/security/test_" in str(item.path)]
    others = [item for item in ran if item.path.name != "test_cpr_scan.py"]
    if not others:
        pytest.skip("only the CPR scan was selected")
    assert EVIDENCE.responses, "the security tests ran, but no response was handed to the scan"
