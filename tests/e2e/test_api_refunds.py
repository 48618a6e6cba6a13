"""The refunds API over HTTP: health refund claims (R-REF-01), citizen schedules (handbook § 13) and closing
costs of interim offers (R-SET-08); amounts as decimal strings with øre, placements by pseudonymous id.

The demo database (fixed clock 2026-11-22) with its 2025 placements: Thisted's own offer N-787-01 houses a
citizen of Morsø (773), Aarhus's M-751-01 a citizen of Herning, and Viborg's interim offer M-791-01 a
citizen of Skive with a final notice to 29 August 2025.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from rammeaftale.adapters.db import models as m
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.demo import DEMO_PASSWORD
from rammeaftale.demo_placements import demo_placement_id
from tests.e2e.test_policies import Demo, demo, demo_database

__all__ = ["demo", "demo_database"]  # the shared fixtures

THISTED = ("koeb.thisted", DEMO_PASSWORD)
HERNING = ("koeb.herning", DEMO_PASSWORD)
AALBORG_OPERATOR = ("drift.aalborg", DEMO_PASSWORD)
AARHUS_OPERATOR = ("drift.aarhus", DEMO_PASSWORD)
VIBORG_OPERATOR = ("drift.viborg", DEMO_PASSWORD)
IN_THISTED_PAID_BY_THISTED = demo_placement_id(10)  # N-787-01, acting and paying 787
IN_THISTED_PAID_BY_MORSOE = demo_placement_id(11)  # N-787-01, acting and paying 773, from 4 August 2025
AARHUS_FOR_HERNING = demo_placement_id(24)  # M-751-01 (Aarhus, 751), paid by Herning (657)
VIBORG_INTERIM = demo_placement_id(30)  # M-791-01 (Viborg, 791), interim, final date 29 August 2025
VIBORG_STANDARD = demo_placement_id(31)  # M-791-01, standard offer kind, no notice


def rows(demo: Demo, table: type[m.Base]) -> int:
    with UnitOfWork(demo.engine) as uow:
        return uow.session.scalar(select(func.count()).select_from(table)) or 0


def add_viborg_operator(demo: Demo) -> None:
    """The demo has no login for Viborg's operator: one with the demo password (as test_policies.py adds one)."""
    with UnitOfWork(demo.engine) as uow:
        template = uow.users.by_username("drift.aarhus")
        viborg = uow.organisations.by_kommunekode(791)
        assert template is not None and viborg is not None
        uow.users.add("drift.viborg", "Driftsherre Viborg Kommune", template.password_hash, "operator", viborg.id)
        uow.commit()


def health_service(**changes: object) -> dict[str, object]:
    return {"year": 2025, "month": 9, "name": "Tandpleje", "documented_cost": "1234.56", **changes}


# --- health refunds (R-REF-01) -------------------------------------------------------------------------------


def test_r_ref_01_the_offers_municipality_registers_health_services_and_runs_the_months_claim_once(
    demo: Demo,
) -> None:
    client = demo.client()
    url = f"/api/placements/{IN_THISTED_PAID_BY_MORSOE}/health-services"

    first = client.post(url, json=health_service(), auth=THISTED)
    second = client.post(url, json=health_service(name="Fysioterapi", documented_cost="765.44"), auth=THISTED)

    assert first.status_code == 201, first.text
    assert first.json()["placement_id"] == IN_THISTED_PAID_BY_MORSOE
    assert (first.json()["year"], first.json()["month"]) == (2025, 9) and second.status_code == 201
    run = client.post("/api/health-refunds/2025/9/run", json={}, auth=THISTED)
    assert run.status_code == 200, run.text
    data = run.json()
    assert (data["raised"], data["already"], data["below_minimum"]) == (1, 0, 0)
    (claim,) = data["claims"]
    assert (claim["placement"], claim["claimant"], claim["debtor"]) == (IN_THISTED_PAID_BY_MORSOE, 787, 773)
    assert (claim["amount"], claim["rule_id"], data["total"]) == ("2000.00", "R-REF-01", "2000.00")
    assert (claim["period_start"], claim["period_end"]) == ("2025-09-01", "2025-09-30")
    again = client.post("/api/health-refunds/2025/9/run", json={}, auth=THISTED).json()
    assert (again["raised"], again["already"], again["claims"]) == (0, 1, data["claims"])  # immutable, once
    assert rows(demo, m.HealthRefundClaimRow) == 1


def test_r_ref_01_a_claim_is_seen_by_its_claimant_only_other_municipalities_see_nothing(demo: Demo) -> None:
    client = demo.client()
    client.post(f"/api/placements/{IN_THISTED_PAID_BY_MORSOE}/health-services", json=health_service(), auth=THISTED)
    client.post("/api/health-refunds/2025/9/run", json={}, auth=THISTED)

    listed = client.get("/api/health-refunds?year=2025", auth=THISTED)

    assert listed.status_code == 200, listed.text
    assert [(c["placement"], c["amount"]) for c in listed.json()] == [(IN_THISTED_PAID_BY_MORSOE, "1234.56")]
    assert client.get("/api/health-refunds?year=2024", auth=THISTED).json() == []
    assert client.get("/api/health-refunds", auth=HERNING).json() == []  # neither claimant nor debtor
    herning_run = client.post("/api/health-refunds/2025/9/run", json={}, auth=HERNING).json()
    assert (herning_run["raised"], herning_run["claims"], herning_run["total"]) == (0, [], "0.00")
    refused = client.get("/api/health-refunds", auth=AALBORG_OPERATOR)
    assert refused.status_code == 403 and refused.json()["detail"] == "Din rolle giver ikke adgang til dette."
    assert client.post("/api/health-refunds/2025/9/run", json={}, auth=AALBORG_OPERATOR).status_code == 403
    assert client.get("/api/health-refunds").status_code == 401


def test_r_ref_01_the_debtor_cannot_claim_from_itself_and_unknown_placements_answer_404(demo: Demo) -> None:
    client = demo.client()

    own = client.post(
        f"/api/placements/{IN_THISTED_PAID_BY_THISTED}/health-services", json=health_service(), auth=THISTED
    )

    assert own.status_code == 409 and "refusion af sig selv" in own.json()["detail"]
    missing = client.post("/api/placements/P-AAAAAAAAAA/health-services", json=health_service(), auth=THISTED)
    assert missing.status_code == 404 and missing.json()["detail"] == "Indskrivningen findes ikke."
    operator = client.post(
        f"/api/placements/{IN_THISTED_PAID_BY_MORSOE}/health-services", json=health_service(), auth=AALBORG_OPERATOR
    )
    assert operator.status_code == 403
    assert rows(demo, m.HealthServiceRow) == 0


def test_r_ref_01_invalid_health_services_answer_a_danish_422_and_nothing_is_saved(demo: Demo) -> None:
    client = demo.client()
    url = f"/api/placements/{IN_THISTED_PAID_BY_MORSOE}/health-services"
    before = demo.counts()

    both = client.post(url, json=health_service(hours="2"), auth=THISTED)
    neither = client.post(url, json=health_service(documented_cost=None, month=13), auth=THISTED)
    not_a_number = client.post(url, json=health_service(documented_cost="mange penge"), auth=THISTED)
    a_float = client.post(url, json=health_service(documented_cost=12.5), auth=THISTED)
    too_large = client.post(url, json=health_service(documented_cost="1e30"), auth=THISTED)
    owned_by_server = client.post(url, json=health_service(municipality_id=1), auth=THISTED)

    assert both.status_code == 422 and both.json()["detail"] == "Sundhedsydelsen er ikke gemt."
    assert [f["rule_id"] for f in both.json()["findings"]] == ["R-REF-01"]
    messages = {f["message"] for f in neither.json()["findings"]}
    assert neither.status_code == 422 and "Måneden skal være 1–12." in messages
    assert not_a_number.status_code == 422 and not_a_number.json()["detail"] == "Beløbet er ikke et tal."
    assert a_float.status_code == 422 and owned_by_server.status_code == 422  # no floats, no mass assignment
    assert too_large.status_code == 422 and too_large.json()["detail"] == "Beløbet er ikke et tal."  # not a 500
    assert "for stort" in too_large.json()["findings"][0]["message"]
    assert demo.counts() == before and rows(demo, m.HealthServiceRow) == 0


# --- citizen schedules (§ 13) ----------------------------------------------------------------------------------

SCHEDULE = {
    "effective_from": "2025-03-16",
    "basis_daily": "1200.00",
    "hourly_rate": "420.00",
    "services": [
        {"name": "Socialpædagogisk støtte", "hours_per_week": "10"},
        {"name": "Praktisk hjælp", "hours_per_week": "4"},
    ],
    "agreed_with_buyer": True,
}


def test_section_13_the_operator_registers_a_citizen_schedule_and_a_replacement_is_a_new_version(demo: Demo) -> None:
    client = demo.client()
    url = f"/api/placements/{AARHUS_FOR_HERNING}/citizen-schedules"

    first = client.post(url, json=SCHEDULE, auth=AARHUS_OPERATOR)
    second = client.post(url, json={**SCHEDULE, "basis_daily": "1250.00"}, auth=AARHUS_OPERATOR)

    assert first.status_code == 201, first.text
    assert first.json() == {"placement_id": AARHUS_FOR_HERNING, "version": 1, "effective_from": "2025-03-16"}
    assert second.json()["version"] == 2
    with UnitOfWork(demo.engine) as uow:
        stored = uow.session.scalars(select(m.CitizenScheduleRow).order_by(m.CitizenScheduleRow.version)).all()
        assert [(s.version, s.basis_daily) for s in stored] == [(1, Decimal("1200.00")), (2, Decimal("1250.00"))]


def test_section_13_another_operator_gets_404_a_buyer_403_and_only_midtjylland_uses_schedules(demo: Demo) -> None:
    client = demo.client()

    other = client.post(f"/api/placements/{AARHUS_FOR_HERNING}/citizen-schedules", json=SCHEDULE, auth=AALBORG_OPERATOR)
    buyer = client.post(f"/api/placements/{AARHUS_FOR_HERNING}/citizen-schedules", json=SCHEDULE, auth=HERNING)
    north = client.post(
        f"/api/placements/{demo_placement_id(1)}/citizen-schedules", json=SCHEDULE, auth=AALBORG_OPERATOR
    )

    assert other.status_code == 404 and other.json()["detail"] == "Indskrivningen findes ikke."
    assert buyer.status_code == 403
    assert north.status_code == 403 and "Region Midtjylland" in north.json()["detail"]
    assert rows(demo, m.CitizenScheduleRow) == 0


def test_section_13_a_schedule_not_agreed_with_the_buyer_or_with_bad_hours_answers_a_danish_422(demo: Demo) -> None:
    client = demo.client()
    url = f"/api/placements/{AARHUS_FOR_HERNING}/citizen-schedules"
    before = demo.counts()

    unagreed = client.post(url, json={**SCHEDULE, "agreed_with_buyer": False}, auth=AARHUS_OPERATOR)
    bad_hours = client.post(
        url, json={**SCHEDULE, "services": [{"name": "Støtte", "hours_per_week": "ti"}]}, auth=AARHUS_OPERATOR
    )
    too_early = client.post(url, json={**SCHEDULE, "effective_from": "2024-12-01"}, auth=AARHUS_OPERATOR)

    assert unagreed.status_code == 422 and unagreed.json()["detail"] == "Borgerskemaet er ikke gemt."
    assert "aftalt med køberkommunen" in unagreed.json()["findings"][0]["message"]
    assert bad_hours.status_code == 422 and bad_hours.json()["detail"] == "Beløbet er ikke et tal."
    assert too_early.status_code == 422 and "startdato" in too_early.json()["findings"][0]["message"]
    assert demo.counts() == before and rows(demo, m.CitizenScheduleRow) == 0


# --- closing costs (R-SET-08) ------------------------------------------------------------------------------------


def test_r_set_08_the_operator_records_closing_costs_of_an_interim_offer_after_notice(demo: Demo) -> None:
    add_viborg_operator(demo)
    client = demo.client()

    recorded = client.post(
        f"/api/placements/{VIBORG_INTERIM}/closing-costs", json={"until": "2025-09-30"}, auth=VIBORG_OPERATOR
    )

    assert recorded.status_code == 201, recorded.text
    assert recorded.json() == {"placement_id": VIBORG_INTERIM, "closing_costs_until": "2025-09-30"}
    with UnitOfWork(demo.engine) as uow:
        (entry,) = uow.session.scalars(select(m.AuditEntry).where(m.AuditEntry.action == "placement.closing_costs"))
        assert (entry.entity_id, entry.actor_name) == (VIBORG_INTERIM, "drift.viborg")


def test_r_set_08_closing_costs_only_for_the_offers_operator_on_an_interim_offer_not_before_the_end(
    demo: Demo,
) -> None:
    add_viborg_operator(demo)
    client = demo.client()
    url = f"/api/placements/{VIBORG_INTERIM}/closing-costs"
    before = demo.counts()

    other = client.post(url, json={"until": "2025-09-30"}, auth=AARHUS_OPERATOR)
    buyer = client.post(url, json={"until": "2025-09-30"}, auth=HERNING)
    standard = client.post(
        f"/api/placements/{VIBORG_STANDARD}/closing-costs", json={"until": "2025-09-30"}, auth=VIBORG_OPERATOR
    )
    before_end = client.post(url, json={"until": "2025-08-01"}, auth=VIBORG_OPERATOR)
    not_a_date = client.post(url, json={"until": "30-09-2025"}, auth=VIBORG_OPERATOR)

    assert other.status_code == 404 and buyer.status_code == 403
    assert standard.status_code == 409 and "midlertidigt tilbud" in standard.json()["detail"]
    assert before_end.status_code == 422 and before_end.json()["detail"] == "Lukkeomkostningerne er ikke gemt."
    assert before_end.json()["findings"][0]["rule_id"] == "R-SET-08"
    assert not_a_date.status_code == 422
    assert demo.counts() == before and rows(demo, m.ClosingCostsRow) == 0
