"""The changeover planner (handbook section 13): Region Midtjylland's operator opens it with its placements that
have a citizen schedule, sees the zero-sum basis and each municipality's difference, tries another basis and
edited rows; bad rows are findings; other roles are refused. The planner saves nothing but its read log.

The demo database (fixed clock 2026-11-22) with the demo's schedules registered (demo_schedules.py).
"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from rammeaftale.adapters.db import models as m
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.demo import _actors
from rammeaftale.demo_schedules import register_demo_schedules
from tests.e2e.test_policies import Demo, demo, demo_database

__all__ = ["demo", "demo_database"]  # the shared fixtures


def with_schedules(demo: Demo) -> int:
    return register_demo_schedules(demo.engine, _actors(demo.engine)["drift.regionmidt"])


def reads(demo: Demo) -> int:
    with UnitOfWork(demo.engine) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(m.PersonalDataRead)) or 0)


def test_section_13_the_planner_opens_with_the_schedules_at_the_zero_sum_basis(demo: Demo) -> None:
    registered = with_schedules(demo)
    assert registered >= 3
    client = demo.client("drift.regionmidt")
    before = reads(demo)
    page = client.get("/borgerskemaer/omlaegning?aar=2025")
    assert page.status_code == 200, page.text
    rows = re.search(r'<textarea id="omlaeg-raekker" name="raekker" rows="10">([^<]*)</textarea>', page.text)
    assert rows is not None and len(rows.group(1).strip().splitlines()) == registered
    assert reads(demo) == before + registered  # each placement read into the planner is logged
    # The zero-sum basis is the day-weighted mean of the bases before, rounded to øre: at most ½ øre a day off.
    assert "Omlægningen går i nul" in page.text or "Omlægningen går ikke i nul" in page.text
    assert "<svg" in page.text and "Hver kommunes forskel efter omlægningen" in page.text


def test_section_13_another_basis_shows_each_municipalitys_difference_adding_up(demo: Demo) -> None:
    client = demo.client("drift.regionmidt")
    rows = "P-AAAAAAAAAA;657;1.400,00;500,00;365\nP-AAAAAAAAAB;751;1.500,00;700,00;100\n"
    page = client.post(
        "/borgerskemaer/omlaegning",
        data={"aar": "2025", "raekker": rows, "basis": "1.450,00", "csrf_token": demo.csrf(client)},
    )
    assert page.status_code == 200, page.text
    # Herning: +50 kr. × 365 days = 18.250,00; Aarhus: −50 kr. × 100 = −5.000,00; in all +13.250,00
    assert "18.250,00 kr." in page.text and "-5.000,00 kr." in page.text
    assert "Omlægningen går ikke i nul" in page.text and "forskel 13.250,00 kr." in page.text
    zero = client.post(
        "/borgerskemaer/omlaegning", data={"aar": "2025", "raekker": rows, "csrf_token": demo.csrf(client)}
    )
    # the day-weighted mean (1.400 × 365 + 1.500 × 100) / 465 = 1.421,5053…, to øre half-up
    assert "Ny basistakst: 1.421,51 kr. pr. døgn." in zero.text


def test_section_13_bad_rows_are_findings_and_other_roles_are_refused(demo: Demo) -> None:
    client = demo.client("drift.regionmidt")
    bad = client.post(
        "/borgerskemaer/omlaegning",
        data={"aar": "2025", "raekker": "P-A;657;1400\nP-B;x;1,2;1;2\n", "csrf_token": demo.csrf(client)},
    )
    assert bad.status_code == 422
    assert "linje 1" in bad.text and "Linjen skal have 5 felter" in bad.text and "linje 2" in bad.text
    assert demo.client("koeb.herning").get("/borgerskemaer/omlaegning").status_code == 403
    assert demo.client("sekretariat.midt").get("/borgerskemaer/omlaegning").status_code == 403
