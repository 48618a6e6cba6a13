"""The yearly tariff cycle through the use cases, on SQLite and PostgreSQL (schema by migrations)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import inspect

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.adapters.json_submission import locate_json
from rammeaftale.demo import load_demo
from rammeaftale.domain.registry import version_at
from rammeaftale.domain.submission import build_submission
from rammeaftale.services import appendix, cycle, submissions
from rammeaftale.services.errors import Conflict, Forbidden, InvalidSubmission, NotFound
from rammeaftale.services.registry import change_offer
from tests.conftest import fixed_clock
from tests.integration.helpers import NOW, login
from tests.unit.factories import submission_data

EARLY = fixed_clock(datetime(2026, 10, 1, 9, 0, tzinfo=UTC))


def fjordgaarden_service(engine) -> int:
    with UnitOfWork(engine) as uow:
        offer = uow.offers.by_code("N-851-01")
        assert offer is not None
        return offer.services[0].id


def draft_2027(engine, actor, clock=NOW, **changes):
    data = submission_data(ruleset="nordjylland-2027-2028", budget_year=2027, **changes)
    submission, reading = build_submission(data)
    with UnitOfWork(engine) as uow:
        return submissions.save_draft(uow, actor, clock, fjordgaarden_service(engine), submission, reading, "json")


def test_the_schema_is_built_by_the_migrations(engine):
    tables = set(inspect(engine).get_table_names())
    assert {
        "organisations",
        "offers",
        "offer_versions",
        "tariff_submissions",
        "tariff_appendices",
        "audit_log",
        "alembic_version",
    } <= tables


def test_demo_loads_once_and_publishes_the_handbook_tariff_for_fjordgaarden(demo):
    assert load_demo(demo) is False
    with UnitOfWork(demo) as uow:
        document = appendix.load_appendix(uow, 1081, 2026)
    row = next(r for r in document.rows if r.offer == "Fjordgården")
    assert row.tariff == Decimal("2070.25")
    assert row.annual_tariff_per_place == Decimal("755641.25")
    assert document.fictitious


def test_an_invalid_submission_saves_nothing_and_reports_every_finding(demo):
    operator = login(demo, "drift.aalborg")
    with pytest.raises(InvalidSubmission) as exc:
        draft_2027(demo, operator, occupancy={"percent": "80", "reason": ""})
    assert {f.rule_id for f in exc.value.findings} >= {"R-OCC-01", "R-OCC-03"}
    with UnitOfWork(demo) as uow:
        assert uow.submissions.latest(fjordgaarden_service(demo), 2027) is None


def test_r_cyc_03_full_cycle_draft_submit_approve_publish_with_audit(demo):
    operator = login(demo, "drift.aalborg")
    secretariat = login(demo, "sekretariat.nord")
    submission_id, assessment = draft_2027(demo, operator)
    assert assessment.result is not None and assessment.result.main.tariff == Decimal("2070.25")
    with UnitOfWork(demo) as uow:
        submissions.submit(uow, operator, NOW, submission_id)
    with UnitOfWork(demo) as uow:
        submissions.approve(uow, secretariat, NOW, submission_id, "OK")
    with UnitOfWork(demo) as uow:
        version = appendix.publish(uow, secretariat, NOW, 1081, 2027)
    assert version == 1
    with UnitOfWork(demo) as uow:
        document = appendix.load_appendix(uow, 1081, 2027)
        actions = [e.action for e in uow.audit.for_entity("tariff_submission", str(submission_id))]
        row = uow.submissions.get(submission_id)
        assert row is not None and row.status == "published"
    assert "Fjordgården" in {r.offer for r in document.rows}
    assert actions == ["submission.draft_saved", "submission.submitted", "submission.approved"]


def test_r_cyc_02_a_submission_after_the_deadline_is_flagged_late(demo):
    operator = login(demo, "drift.aalborg")
    submission_id, _ = draft_2027(demo, operator)
    with UnitOfWork(demo) as uow:
        submissions.submit(uow, operator, NOW, submission_id)  # deadline was 31-10-2026
        row = uow.submissions.get(submission_id)
        assert row is not None and row.late


def test_r_cyc_04_the_cycle_overview_lists_missing_operators(demo):
    secretariat = login(demo, "sekretariat.nord")
    with UnitOfWork(demo) as uow:
        view = cycle.overview(uow, secretariat, 1081, 2027, NOW().date())
    assert "Aalborg Kommune" in view.missing_operators
    assert view.days_to_deadline == -22


def test_r_tar_13_warnings_block_submission_until_answered_with_a_remark(demo):
    operator = login(demo, "drift.aalborg")
    more_staff = {
        "personnel": {
            "top_management": 1100000,
            "citizen_related_staff": 13400000,
            "temporary_staff": 500000,
            "technical_staff": 900000,
        }
    }  # +2 mio. kr.: the tariff rises 11.49 %
    submission_id, assessment = draft_2027(demo, operator, costs=more_staff, remarks="")
    assert any(f.rule_id == "R-TAR-13" for f in assessment.findings)
    with UnitOfWork(demo) as uow, pytest.raises(InvalidSubmission):
        submissions.submit(uow, operator, EARLY, submission_id)
    with UnitOfWork(demo) as uow:
        submissions.submit(uow, operator, EARLY, submission_id, remarks="Ny normering")


def test_the_submitter_cannot_approve_and_the_secretariat_must_return_with_a_comment(demo):
    operator = login(demo, "drift.aalborg")
    secretariat = login(demo, "sekretariat.nord")
    submission_id, _ = draft_2027(demo, operator)
    with UnitOfWork(demo) as uow:
        submissions.submit(uow, operator, NOW, submission_id)
    with UnitOfWork(demo) as uow, pytest.raises(Forbidden):
        submissions.approve(uow, operator, NOW, submission_id)
    with UnitOfWork(demo) as uow, pytest.raises(InvalidSubmission):
        submissions.return_to_operator(uow, secretariat, NOW, submission_id, " ")
    with UnitOfWork(demo) as uow:
        submissions.return_to_operator(uow, secretariat, NOW, submission_id, "Belægningen skal begrundes bedre")
        row = uow.submissions.get(submission_id)
        assert row is not None and row.status == "returned"


def test_another_organisation_cannot_see_or_change_a_draft(demo):
    operator = login(demo, "drift.aalborg")
    other = login(demo, "drift.hjoerring")
    other_region = login(demo, "sekretariat.midt")
    submission_id, _ = draft_2027(demo, operator)
    for intruder in (other, other_region):
        with UnitOfWork(demo) as uow, pytest.raises(NotFound):
            submissions.get_submission(uow, intruder, submission_id)
    with pytest.raises((NotFound, Forbidden)):
        draft_2027(demo, other)


def test_approved_submissions_are_immutable_and_corrected_by_a_new_version(demo):
    operator = login(demo, "drift.aalborg")
    secretariat = login(demo, "sekretariat.nord")
    submission_id, _ = draft_2027(demo, operator)
    with UnitOfWork(demo) as uow:
        submissions.submit(uow, operator, NOW, submission_id)
    with UnitOfWork(demo) as uow:
        submissions.approve(uow, secretariat, NOW, submission_id)
    with pytest.raises(Conflict):
        draft_2027(demo, operator)
    corrected, _ = build_submission(
        submission_data(ruleset="nordjylland-2027-2028", budget_year=2027, costs={"activities": 700000})
    )
    assert corrected is not None
    with UnitOfWork(demo) as uow:
        new_id = submissions.correct(uow, operator, NOW, submission_id, corrected, "Fejl i aktivitetsudgifter", "json")
    with UnitOfWork(demo) as uow:
        original, correction = uow.submissions.get(submission_id), uow.submissions.get(new_id)
        assert original is not None and correction is not None
        assert original.status == "approved" and original.cost_base == Decimal("17410000")
        assert correction.version == 2 and correction.supersedes_id == submission_id


def test_published_appendices_are_versioned_and_a_new_version_needs_a_reason(demo):
    secretariat = login(demo, "sekretariat.nord")
    with UnitOfWork(demo) as uow, pytest.raises(InvalidSubmission):
        appendix.publish(uow, secretariat, NOW, 1081, 2026)
    with UnitOfWork(demo) as uow:
        assert appendix.publish(uow, secretariat, NOW, 1081, 2026, "Rettet målgruppe") == 2
    with UnitOfWork(demo) as uow:
        assert appendix.load_appendix(uow, 1081, 2026, 1).version == 1
        assert appendix.load_appendix(uow, 1081, 2026).reason == "Rettet målgruppe"


def test_only_the_regions_secretariat_publishes(demo):
    with UnitOfWork(demo) as uow, pytest.raises((Forbidden, NotFound)):
        appendix.publish(uow, login(demo, "sekretariat.midt"), NOW, 1081, 2026, "x")
    with UnitOfWork(demo) as uow, pytest.raises(Forbidden):
        appendix.publish(uow, login(demo, "koeb.thisted"), NOW, 1081, 2026, "x")


def test_a_change_of_places_is_a_new_version_and_the_past_is_kept(demo):
    operator = login(demo, "drift.aalborg")
    with UnitOfWork(demo) as uow:
        offer = uow.offers.by_code("N-851-01")
        assert offer is not None
        change_offer(uow, operator, NOW, offer.id, date(2027, 1, 1), "DAS-beslutning 12-12-2026", agreed_places=26)
    with UnitOfWork(demo) as uow:
        versions = uow.offers.versions(offer.id)
        current = uow.offers.get(offer.id)
        changes = uow.audit.for_entity("offer", str(offer.id))
    assert current is not None and current.current.agreed_places == Decimal(26)
    assert version_at(versions, date(2026, 6, 1)).agreed_places == Decimal(24)  # type: ignore[union-attr]
    assert version_at(versions, date(2027, 6, 1)).agreed_places == Decimal(26)  # type: ignore[union-attr]
    assert changes[-1].action == "offer.changed" and changes[-1].data["before"] == {"agreed_places": "24.00"}


def test_r_gov_03_r_gov_04_another_operator_cannot_change_an_offer_and_a_change_needs_the_reason_for_it(demo):
    with UnitOfWork(demo) as uow:
        offer = uow.offers.by_code("N-851-01")
        assert offer is not None
        with pytest.raises(Forbidden):
            change_offer(uow, login(demo, "drift.hjoerring"), NOW, offer.id, date(2027, 1, 1), "x", agreed_places=1)
        with pytest.raises(InvalidSubmission):
            change_offer(uow, login(demo, "sekretariat.nord"), NOW, offer.id, date(2027, 1, 1), " ", agreed_places=1)


def test_findings_keep_their_source_when_the_submission_is_submitted(demo):
    operator = login(demo, "drift.aalborg")
    data = submission_data(ruleset="nordjylland-2027-2028", budget_year=2027)
    submission, reading = build_submission(data)
    with UnitOfWork(demo) as uow:
        submission_id, _ = submissions.save_draft(
            uow, operator, NOW, fjordgaarden_service(demo), submission, reading, "json", locate_json
        )
    with UnitOfWork(demo) as uow:
        submissions.submit(uow, operator, NOW, submission_id)
        row = uow.submissions.get(submission_id)
    assert row is not None
    assert [(f["rule_id"], f["source"]) for f in row.findings] == [("R-CYC-02", "$.budget_year")]


def test_the_cycle_overview_names_the_rule_set_parameters_still_assumed(demo):
    with UnitOfWork(demo) as uow:
        view = cycle.overview(uow, login(demo, "sekretariat.nord"), 1081, 2027, NOW().date())
    assert view.ruleset_id == "nordjylland-2027-2028"
    assert ("Frist for takstindberetning", "R-CYC-02") in view.assumed


def test_r_tar_13_r_gov_03_last_years_figures_come_from_the_approved_submission_not_from_the_file(demo):
    operator = login(demo, "drift.aalborg")
    more_staff = {
        "personnel": {
            "top_management": 1100000,
            "citizen_related_staff": 13400000,
            "temporary_staff": 500000,
            "technical_staff": 900000,
        }
    }
    claimed = {"tariff": "2308.08", "places": 20}  # what a file could claim to hide the change
    _, assessment = draft_2027(demo, operator, costs=more_staff, last_year=claimed, remarks="")
    rule_ids = {f.rule_id for f in assessment.findings}
    assert "R-TAR-13" in rule_ids  # measured against 2026's approved 2.070,25 kr.
    assert "R-GOV-03" not in rule_ids  # 24 places last year and now: no change of places
