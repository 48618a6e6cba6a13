"""Issue 3, part 4: the audit trail and published records are guarded by the database itself.

Raw SQL, not the services, attacks the rows here: the triggers of migration 0002 must refuse it on
SQLite and PostgreSQL alike, while the one allowed transition (approved -> published) still works.
"""

from __future__ import annotations

from datetime import UTC

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError

from rammeaftale.adapters.db import models as m
from rammeaftale.adapters.db.engine import alembic_config, migrate
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.domain.submission import build_submission
from rammeaftale.services import appendix, submissions
from rammeaftale.services.audit import record_read
from tests.integration.helpers import NOW, login
from tests.unit.factories import submission_data


def approved_fjordgaarden_2027(engine: Engine) -> int:
    """Fjordgården's 2027 submission, drafted and submitted by drift.aalborg, approved by sekretariat.nord."""
    operator, secretariat = login(engine, "drift.aalborg"), login(engine, "sekretariat.nord")
    submission, reading = build_submission(submission_data(ruleset="nordjylland-2027-2028", budget_year=2027))
    with UnitOfWork(engine) as uow:
        offer = uow.offers.by_code("N-851-01")
        assert offer is not None
        submission_id, _ = submissions.save_draft(uow, operator, NOW, offer.services[0].id, submission, reading, "json")
    with UnitOfWork(engine) as uow:
        submissions.submit(uow, operator, NOW, submission_id)
    with UnitOfWork(engine) as uow:
        submissions.approve(uow, secretariat, NOW, submission_id, "OK")
    return submission_id


def refused(engine: Engine, statement: str, **params: object) -> str:
    """Run one raw statement in its own transaction; it must be refused. Returns the database's message."""
    with pytest.raises(IntegrityError) as exc, engine.begin() as conn:
        conn.execute(text(statement), params)
    return str(exc.value.orig)


def scalar(engine: Engine, statement: str, **params: object) -> object:
    with engine.connect() as conn:
        return conn.execute(text(statement), params).scalar()


def test_the_audit_log_refuses_update_and_delete_of_its_rows(demo):
    count = scalar(demo, "SELECT count(*) FROM audit_log")
    first = scalar(demo, "SELECT min(id) FROM audit_log")
    assert "Revisionssporet kan ikke ændres" in refused(
        demo, "UPDATE audit_log SET action = 'skjult' WHERE id = :id", id=first
    )
    assert "Revisionssporet kan ikke slettes" in refused(demo, "DELETE FROM audit_log WHERE id = :id", id=first)
    refused(demo, "DELETE FROM audit_log")
    if demo.dialect.name == "postgresql":
        refused(demo, "TRUNCATE audit_log")
    assert scalar(demo, "SELECT count(*) FROM audit_log") == count
    assert scalar(demo, "SELECT action FROM audit_log WHERE id = :id", id=first) != "skjult"


def test_a_published_appendix_and_its_lines_refuse_update_and_delete(demo):
    appendix_id = scalar(demo, "SELECT min(id) FROM tariff_appendices")
    line_id = scalar(demo, "SELECT min(id) FROM appendix_lines WHERE appendix_id = :a", a=appendix_id)
    assert "takstbilag kan ikke ændres" in refused(
        demo, "UPDATE tariff_appendices SET reason = 'omskrevet' WHERE id = :id", id=appendix_id
    )
    assert "takstbilag kan ikke slettes" in refused(
        demo, "DELETE FROM tariff_appendices WHERE id = :id", id=appendix_id
    )
    assert "linje i et offentliggjort takstbilag kan ikke ændres" in refused(
        demo, "UPDATE appendix_lines SET tariff = tariff + 1 WHERE id = :id", id=line_id
    )
    refused(demo, "UPDATE appendix_lines SET appendix_id = appendix_id WHERE id = :id", id=line_id)  # even a no-op
    assert "kan ikke slettes" in refused(demo, "DELETE FROM appendix_lines WHERE id = :id", id=line_id)
    if demo.dialect.name == "postgresql":
        refused(demo, "TRUNCATE appendix_lines")


def test_an_approved_submission_refuses_a_changed_cost_another_status_and_deletion(demo):
    submission_id = approved_fjordgaarden_2027(demo)
    cost_base = scalar(demo, "SELECT cost_base FROM tariff_submissions WHERE id = :id", id=submission_id)
    assert "godkendt eller offentliggjort indberetning kan ikke ændres" in refused(
        demo, "UPDATE tariff_submissions SET cost_base = cost_base + 1 WHERE id = :id", id=submission_id
    )
    refused(
        demo, "UPDATE tariff_submissions SET daily_tariff = 1, status = 'published' WHERE id = :id", id=submission_id
    )
    refused(demo, "UPDATE tariff_submissions SET remarks = 'efterrationaliseret' WHERE id = :id", id=submission_id)
    assert "kan kun skifte status til offentliggjort" in refused(
        demo, "UPDATE tariff_submissions SET status = 'draft' WHERE id = :id", id=submission_id
    )
    refused(demo, "UPDATE tariff_submissions SET status = 'superseded' WHERE id = :id", id=submission_id)
    assert "kan ikke slettes" in refused(demo, "DELETE FROM tariff_submissions WHERE id = :id", id=submission_id)
    assert scalar(demo, "SELECT cost_base FROM tariff_submissions WHERE id = :id", id=submission_id) == cost_base
    assert scalar(demo, "SELECT status FROM tariff_submissions WHERE id = :id", id=submission_id) == "approved"


def test_a_published_submission_refuses_any_change_of_status_or_content(demo):
    published = scalar(demo, "SELECT min(id) FROM tariff_submissions WHERE status = 'published'")
    refused(demo, "UPDATE tariff_submissions SET status = 'approved' WHERE id = :id", id=published)
    refused(demo, "UPDATE tariff_submissions SET decision_comment = 'x' WHERE id = :id", id=published)
    refused(demo, "DELETE FROM tariff_submissions WHERE id = :id", id=published)


def test_approved_to_published_through_the_service_still_works(demo):
    submission_id = approved_fjordgaarden_2027(demo)
    with UnitOfWork(demo) as uow:
        version = appendix.publish(uow, login(demo, "sekretariat.nord"), NOW, 1081, 2027)
    assert version == 1
    assert scalar(demo, "SELECT status FROM tariff_submissions WHERE id = :id", id=submission_id) == "published"


def test_the_guard_lets_a_plain_status_change_from_approved_to_published_through(demo):
    submission_id = approved_fjordgaarden_2027(demo)
    with demo.begin() as conn:
        conn.execute(text("UPDATE tariff_submissions SET status = 'published' WHERE id = :id"), {"id": submission_id})
    assert scalar(demo, "SELECT status FROM tariff_submissions WHERE id = :id", id=submission_id) == "published"


def test_drafts_and_submitted_versions_stay_changeable_for_the_operator_workflow(demo):
    operator = login(demo, "drift.aalborg")
    submission, reading = build_submission(submission_data(ruleset="nordjylland-2027-2028", budget_year=2027))
    with UnitOfWork(demo) as uow:
        offer = uow.offers.by_code("N-851-01")
        assert offer is not None
        submission_id, _ = submissions.save_draft(uow, operator, NOW, offer.services[0].id, submission, reading, "json")
    with demo.begin() as conn:
        conn.execute(text("UPDATE tariff_submissions SET remarks = 'ny' WHERE id = :id"), {"id": submission_id})
    assert scalar(demo, "SELECT remarks FROM tariff_submissions WHERE id = :id", id=submission_id) == "ny"


def test_every_audit_row_carries_before_after_and_the_actors_organisation(demo):
    approved_fjordgaarden_2027(demo)
    with UnitOfWork(demo) as uow:
        appendix.publish(uow, login(demo, "sekretariat.nord"), NOW, 1081, 2027)
    with UnitOfWork(demo) as uow:
        rows = list(uow.session.scalars(select(m.AuditEntry)))
    assert rows
    assert [r.id for r in rows if "before" not in r.data or "after" not in r.data] == []
    assert [r.id for r in rows if r.organisation_id is None] == []


def test_a_status_change_records_the_status_before_and_after(demo):
    submission_id = approved_fjordgaarden_2027(demo)
    with UnitOfWork(demo) as uow:
        trail = {e.action: e.data for e in uow.audit.for_entity("tariff_submission", str(submission_id))}
    assert trail["submission.draft_saved"]["before"] is None
    assert trail["submission.draft_saved"]["after"]["status"] == "draft"
    assert trail["submission.draft_saved"]["after"]["cost_base"] == "17410000.00"
    assert trail["submission.submitted"]["before"]["status"] == "draft"
    assert trail["submission.submitted"]["after"]["status"] == "submitted"
    assert trail["submission.approved"]["before"]["status"] == "submitted"
    assert trail["submission.approved"]["after"]["status"] == "approved"
    assert trail["submission.approved"]["after"]["decision_comment"] == "OK"


def test_publishing_records_the_version_before_and_after_and_the_submissions_it_published(demo):
    submission_id = approved_fjordgaarden_2027(demo)
    with UnitOfWork(demo) as uow:
        appendix.publish(uow, login(demo, "sekretariat.nord"), NOW, 1081, 2027)
        appendix.publish(uow, login(demo, "sekretariat.nord"), NOW, 1081, 2027, "Rettet målgruppe")
    with UnitOfWork(demo) as uow:
        trail = [e for e in uow.audit.recent(10) if e.action == "appendix.published"][:2]
    second, first = trail[0].data, trail[1].data
    assert (first["before"]["version"], first["after"]["version"]) == (None, 1)
    assert first["before"]["submissions"][str(submission_id)] == "approved"
    assert first["after"]["submissions"][str(submission_id)] == "published"
    assert (second["before"]["version"], second["after"]["version"]) == (1, 2)
    assert second["after"]["submissions"] == {}  # nothing changed status the second time


def test_a_read_of_citizen_data_is_appended_and_found_by_the_subject_reference(demo):
    buyer = login(demo, "koeb.thisted")
    with UnitOfWork(demo) as uow:
        record_read(uow, NOW, buyer, "anbr-7f3a", "placement.view")
        record_read(uow, NOW, buyer, "anbr-7f3a", "invoice.export")
        record_read(uow, NOW, buyer, "anbr-0001", "placement.view")
    with UnitOfWork(demo) as uow:
        reads = uow.audit.reads_of("anbr-7f3a")
    assert [(r.actor_id, r.organisation_id, r.purpose) for r in reads] == [
        (buyer.user_id, buyer.organisation_id, "placement.view"),
        (buyer.user_id, buyer.organisation_id, "invoice.export"),
    ]
    at = reads[0].at
    assert (at if at.tzinfo else at.replace(tzinfo=UTC)) == NOW()  # SQLite hands back UTC without a zone


def test_the_log_of_reads_of_citizen_data_refuses_update_and_delete(demo):
    with UnitOfWork(demo) as uow:
        record_read(uow, NOW, login(demo, "koeb.thisted"), "anbr-7f3a", "placement.view")
    read_id = scalar(demo, "SELECT min(id) FROM personal_data_reads")
    assert "borgerdata kan ikke ændres" in refused(
        demo, "UPDATE personal_data_reads SET actor_id = NULL WHERE id = :id", id=read_id
    )
    assert "borgerdata kan ikke slettes" in refused(demo, "DELETE FROM personal_data_reads WHERE id = :id", id=read_id)
    assert scalar(demo, "SELECT count(*) FROM personal_data_reads") == 1


@pytest.mark.parametrize("reference", ["010203-1234", "0102031234", "anbr 0102031234", " ", "x" * 65])
def test_a_cpr_shaped_or_empty_subject_reference_is_refused_and_nothing_is_logged(demo, reference):
    with UnitOfWork(demo) as uow, pytest.raises(ValueError) as exc:
        record_read(uow, NOW, login(demo, "koeb.thisted"), reference, "placement.view")
    assert "0102031234" not in str(exc.value) and "1234" not in str(exc.value)
    assert scalar(demo, "SELECT count(*) FROM personal_data_reads") == 0


def test_the_downgrade_removes_the_guards_and_the_upgrade_restores_them(engine):
    insert = (
        "INSERT INTO audit_log (at, actor_name, action, entity, entity_id, data) VALUES (:at, 'x', 'a', 'e', '1', '{}')"
    )
    command.downgrade(alembic_config(engine), "0001")
    with engine.begin() as conn:
        conn.execute(text(insert), {"at": NOW()})
        conn.execute(text("UPDATE audit_log SET action = 'b'"))
    assert "personal_data_reads" not in inspect(engine).get_table_names()
    migrate(engine)
    refused(engine, "UPDATE audit_log SET action = 'c'")
    assert scalar(engine, "SELECT action FROM audit_log") == "b"
