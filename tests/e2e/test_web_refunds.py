"""Health refund pages (R-REF-01): Thisted Kommune registers a health service for a citizen placed by another
municipality, raises the month's claim once, and the paying municipality reads what it owes; bad input is a
Danish message with the rule id and saves nothing.

The demo database (fixed clock 2026-11-22) with its 2025 placements.
"""

from __future__ import annotations

from sqlalchemy import select

from rammeaftale.adapters.db import models as m
from rammeaftale.adapters.db.uow import UnitOfWork
from tests.e2e.test_policies import Demo, demo, demo_database

__all__ = ["demo", "demo_database"]  # the shared fixtures


def placement_paid_by_another(demo: Demo, own: int) -> tuple[str, int]:
    with UnitOfWork(demo.engine) as uow:
        row = uow.session.scalars(
            select(m.PlacementRow)
            .where(m.PlacementRow.paying_municipality.is_not(None), m.PlacementRow.paying_municipality != own)
            .order_by(m.PlacementRow.id)
        ).first()
        assert row is not None and row.paying_municipality is not None
        return row.placement_id, row.paying_municipality


def test_r_ref_01_the_municipality_registers_a_health_service_and_raises_the_claim_once(demo: Demo) -> None:
    ref, debtor = placement_paid_by_another(demo, 787)
    client = demo.client("koeb.thisted")
    assert "Refusion for sundhedsydelser" in client.get("/refusion?aar=2025").text
    csrf = demo.csrf(client)
    form = {"indskrivning": ref, "aar": "2025", "maaned": "3", "ydelse": "Tandpleje", "udgift": "2.500,00"}
    registered = client.post("/refusion/ydelser", data={**form, "csrf_token": csrf})
    assert f"Tandpleje for {ref} i marts 2025 er registreret." in registered.text
    raised = client.post("/refusion/krav", data={"aar": "2025", "maaned": "3", "csrf_token": csrf})
    assert "1 krav rejst for marts 2025, 0 var rejst før." in raised.text
    assert ref in raised.text and "2.500,00 kr." in raised.text
    again = client.post("/refusion/krav", data={"aar": "2025", "maaned": "3", "csrf_token": csrf})
    assert "0 krav rejst for marts 2025, 1 var rejst før." in again.text
    with UnitOfWork(demo.engine) as uow:
        claims = uow.session.scalars(select(m.HealthRefundClaimRow)).all()
        assert [(c.placement_ref, c.claimant_kommunekode, c.debtor_kommunekode) for c in claims] == [(ref, 787, debtor)]
    assert "Refusion" not in demo.client("drift.aalborg").get("/tilbud").text.split("<main")[0]  # buyers only
    assert demo.client("drift.aalborg").get("/refusion").status_code == 403


def test_r_ref_01_bad_input_is_refused_with_the_rule_and_saves_nothing(demo: Demo) -> None:
    ref, _ = placement_paid_by_another(demo, 787)
    client = demo.client("koeb.thisted")
    form = {"indskrivning": ref, "aar": "2025", "maaned": "3", "ydelse": "Hjemmepleje", "csrf_token": demo.csrf(client)}
    refused = client.post("/refusion/ydelser", data=form)  # neither hours nor a cost
    assert "Sundhedsydelsen er ikke gemt." in refused.text and "(R-REF-01)" in refused.text
    unknown = client.post("/refusion/ydelser", data={**form, "indskrivning": "P-AAAAAAAAAA", "timer": "2"})
    assert "Indskrivningen findes ikke." in unknown.text
    with UnitOfWork(demo.engine) as uow:
        assert uow.session.scalars(select(m.HealthServiceRow)).all() == []
