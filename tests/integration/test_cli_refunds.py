"""`rammeaftale refunds` as a user runs it: the month's health refund claims (R-REF-01) raised once for every
municipality that registered health services, and printed as JSON with amounts as strings. Fictitious."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from rammeaftale.adapters.db import models as m
from rammeaftale.adapters.db.engine import make_engine, migrate
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.entrypoints.cli import app
from rammeaftale.services.refunds import register_health_service
from tests.integration.billing_world import AALBORG, AARHUS, HERNING, HJOERRING, NOW, THISTED, World, build_world

runner = CliRunner()
IN_AALBORG, IN_AARHUS = "P-AAAAAAAABA", "P-AAAAAAAABB"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("RAMMEAFTALE_DATABASE_URL", url)
    engine = make_engine(url)
    migrate(engine)
    world = build_world(engine)
    # Aalborg's offer houses a citizen Hjørring pays for, Aarhus's one Herning pays for; each offer's
    # municipality registers the health services it gave in March 2025 (R-REF-01).
    world.place(AALBORG, acting=HJOERRING, paying=HJOERRING, placement_id=IN_AALBORG)
    world.place(AARHUS, acting=HERNING, paying=HERNING, placement_id=IN_AARHUS)
    for code, ref, services in (
        (AALBORG, IN_AALBORG, (("Tandpleje", "1234.56"), ("Fysioterapi", "765.44"))),
        (AARHUS, IN_AARHUS, (("Hjemmesygepleje", "310.25"),)),
    ):
        for name, cost in services:
            with UnitOfWork(engine) as uow:
                register_health_service(uow, world.buyer(code), NOW, ref, 2025, 3, name, documented_cost=cost)
    return world


def refunds(*args: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["refunds", *args, "--json"])
    return result.exit_code, json.loads(result.stdout) if result.exit_code == 0 else {"error": result.output}


def test_r_ref_01_refunds_run_json_raises_each_municipalitys_claims_once_and_prints_them_with_the_total(
    world: World,
) -> None:
    code, data = refunds("run", "--year", "2025", "--month", "3")

    assert code == 0, data
    assert (data["month"], data["raised"], data["already"], data["below_minimum"]) == ("2025-03", 2, 0, 0)
    assert [(c["placement"], c["claimant"], c["debtor"], c["amount"]) for c in data["claims"]] == [
        (IN_AARHUS, AARHUS, HERNING, "310.25"),
        (IN_AALBORG, AALBORG, HJOERRING, "2000.00"),
    ]
    assert all(c["rule_id"] == "R-REF-01" and c["period_start"] == "2025-03-01" for c in data["claims"])
    assert data["total"] == "2310.25"

    code, again = refunds("run", "--year", "2025", "--month", "3")
    assert code == 0 and (again["raised"], again["already"]) == (0, 2)
    assert again["claims"] == data["claims"] and again["total"] == "2310.25"  # claims are immutable
    with UnitOfWork(world.engine) as uow:
        audited = uow.session.scalars(select(m.AuditEntry).where(m.AuditEntry.action == "health_refund.claimed"))
        assert sorted((a.entity_id, a.actor_name) for a in audited) == [(IN_AALBORG, "cli"), (IN_AARHUS, "cli")]


def test_r_ref_01_refunds_run_for_one_municipality_and_list_shows_what_it_raised_or_owes(world: World) -> None:
    code, data = refunds("run", "--year", "2025", "--month", "3", "--municipality", str(AALBORG))
    assert code == 0, data
    assert [c["placement"] for c in data["claims"]] == [IN_AALBORG] and data["total"] == "2000.00"

    code, listed = refunds("list", "--year", "2025")
    assert code == 0 and [c["placement"] for c in listed["claims"]] == [IN_AALBORG]  # Aarhus has not run yet
    code, debtor = refunds("list", "--year", "2025", "--municipality", str(HJOERRING))
    assert code == 0 and (debtor["year"], debtor["total"]) == (2025, "2000.00")
    code, nothing = refunds("list", "--year", "2025", "--municipality", str(THISTED))
    assert code == 0 and (nothing["claims"], nothing["total"]) == ([], "0.00")
    code, other_year = refunds("list", "--year", "2024")
    assert code == 0 and other_year["claims"] == []


def test_refunds_refuses_unknown_municipalities_and_months(world: World) -> None:
    unknown = runner.invoke(app, ["refunds", "run", "--year", "2025", "--month", "3", "--municipality", "999"])
    assert unknown.exit_code == 2 and "ingen kommune med kommunekode 999" in unknown.output
    assert runner.invoke(app, ["refunds", "run", "--year", "2025", "--month", "13"]).exit_code == 2
    region = runner.invoke(app, ["refunds", "list", "--year", "2025", "--municipality", "1081"])
    assert region.exit_code == 2  # a region is not a municipality
    text = runner.invoke(app, ["refunds", "run", "--year", "2025", "--month", "3"])
    assert text.exit_code == 0 and "I alt: " in text.output and "2 rejst nu" in text.output
