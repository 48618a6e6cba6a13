"""The loop from the accounts to the tariff cycle (issue 4, item 4), on SQLite and PostgreSQL.

Fjordgården's 2025 accounts (the demo has no 2027 submission for it yet) leave a regulation due in
2027; the 2027 template is pre-filled with it, the trace shows it, and a 2027 submission without it is
blocked with R-SUR-03 (surplus) or R-SUR-05 (deficit).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.domain.submission import build_submission
from rammeaftale.services import submissions
from rammeaftale.services.accounts_queries import regulation_due
from rammeaftale.services.errors import InvalidSubmission
from rammeaftale.services.offers import template_prefill
from tests.conftest import fixed_clock
from tests.integration.helpers import NOW, login
from tests.integration.test_accounts_cycle import accounts, submit
from tests.integration.test_tariff_cycle import fjordgaarden_service
from tests.unit.factories import submission_data

SPRING_2026 = fixed_clock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


def draft_2027(engine, actor, regulation: str | None):
    costs = {"regulation": {"total": regulation}} if regulation is not None else {}
    data = submission_data(ruleset="nordjylland-2027-2028", budget_year=2027)
    if costs:
        data["costs"] = {**data["costs"], **costs}
    submission, reading = build_submission(data)
    with UnitOfWork(engine) as uow:
        return submissions.save_draft(uow, actor, NOW, fjordgaarden_service(engine), submission, reading, "json")


def due_2027(engine) -> Decimal | None:
    with UnitOfWork(engine) as uow:
        offer = uow.offers.by_code("N-851-01")
        assert offer is not None
        return regulation_due(uow, offer.id, 2027)


@pytest.mark.parametrize(("income", "rule_id"), [("12000000", "R-SUR-03"), ("9000000", "R-SUR-05")])
def test_r_sur_03_and_r_sur_05_a_2027_submission_without_the_regulation_due_from_the_2025_accounts_is_blocked(
    demo, income, rule_id
):
    operator = login(demo, "drift.aalborg")
    submit(demo, operator, accounts(year=2025, income=income), clock=SPRING_2026)
    due = due_2027(demo)
    assert due is not None and (due < 0 if rule_id == "R-SUR-03" else due > 0)
    with pytest.raises(InvalidSubmission) as blocked:
        draft_2027(demo, operator, regulation="0")
    assert [(f.rule_id, f.field) for f in blocked.value.findings if f.rule_id.startswith("R-SUR")] == [
        (rule_id, "costs.regulation")
    ]
    _submission_id, assessment = draft_2027(demo, operator, regulation=str(due))
    assert not assessment.has_errors
    steps = [step for step in assessment.result.trace if step.rule_id == rule_id]
    assert [(s.label, s.value) for s in steps] == [("Heraf regulering fra regnskabet, der skal med i år", due)]


def test_the_2027_template_is_prefilled_with_the_regulation_due_and_never_with_last_years(demo):
    operator = login(demo, "drift.aalborg")
    submit(demo, operator, accounts(year=2025), clock=SPRING_2026)
    with UnitOfWork(demo) as uow:
        _offer, prefill, _last = template_prefill(uow, operator, fjordgaarden_service(demo), 2027)
    due = due_2027(demo)
    assert due is not None and due < 0
    assert prefill["regulation_due"] == str(due)
    assert prefill["costs"]["regulation"] == {"total": str(due)}  # not last year's -250,000


def test_a_file_cannot_state_its_own_regulation_due(demo):
    operator = login(demo, "drift.aalborg")
    submit(demo, operator, accounts(year=2025), clock=SPRING_2026)
    data = submission_data(ruleset="nordjylland-2027-2028", budget_year=2027, regulation_due="0")
    data["costs"] = {**data["costs"], "regulation": {"total": "0"}}  # and no regulation: the file says none is due
    submission, reading = build_submission(data)
    with UnitOfWork(demo) as uow, pytest.raises(InvalidSubmission) as blocked:
        submissions.save_draft(uow, operator, NOW, fjordgaarden_service(demo), submission, reading, "json")
    assert "R-SUR-03" in {f.rule_id for f in blocked.value.findings}
