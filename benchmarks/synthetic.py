"""A deterministic, clearly fictitious national data set for the tariff appendix benchmark.

7 000 offers whose submissions price 20 000 services (appendix rows): average tariffs, basis +
service models with 2–4 levels (the basis row and each level row count as services) and hourly
tariffs. Submissions are built the way every adapter builds them, with
``domain.submission.build_submission`` from the public JSON shape; amounts are whole kroner or
decimal strings, never floats.

The offers come in blocks of seven whose services add up to 20 (see ``_BLOCK``), so any multiple of
seven offers gives exactly 20/7 services per offer.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from rammeaftale.domain.submission import TariffSubmission, build_submission

RULESET_ID = "nordjylland-2025-2026"
BUDGET_YEAR = 2026
SEED = 20_262_026
DAYS = 365

# One block of seven offers: each offer is a list of (tariff type, number of levels) submissions.
# Rows per submission: average 1, hourly 1, basis_service 1 + levels. The block prices 20 services.
_BLOCK: tuple[tuple[tuple[str, int], ...], ...] = (
    (("average", 0),),  # 1
    (("basis_service", 2),),  # 3
    (("average", 0), ("hourly", 0)),  # 2
    (("basis_service", 3),),  # 4
    (("hourly", 0),),  # 1
    (("basis_service", 4),),  # 5
    (("average", 0), ("basis_service", 2)),  # 4
)
OFFERS_PER_BLOCK = len(_BLOCK)
SERVICES_PER_BLOCK = sum(1 + levels for offer in _BLOCK for _, levels in offer)

# Cost lines as per mille of the cost base (R-TAR-02); citizen-related staff takes the remainder.
_SHARES: tuple[tuple[str, str, int], ...] = (
    ("personnel", "top_management", 60),
    ("personnel", "temporary_staff", 40),
    ("personnel", "technical_staff", 50),
    ("activities", "activities", 25),
    ("activities", "housekeeping", 20),
    ("administration", "local", 30),
    ("administration", "central_overhead", 40),
    ("administration", "supervision_fee", 4),
    ("competence_development", "total", 10),
    ("property", "maintenance", 20),
    ("property", "insurance_taxes_utilities", 30),
    ("depreciation", "buildings", 25),
    ("depreciation", "equipment", 6),
    ("financing_costs", "property", 18),
    ("financing_costs", "other_capital", 2),
    ("financing_costs", "working_capital", 3),
    ("civil_servant_pension", "total", 5),
)
_FINANCING_INCOME_PER_MILLE = 1

_OFFER_WORDS = (
    "Fjordgården",
    "Bakkehuset",
    "Egebakken",
    "Solsikken",
    "Lindegården",
    "Kildehuset",
    "Strandvejen",
    "Møllehøj",
    "Skovbrynet",
    "Åbrinken",
    "Toftegården",
    "Havblik",
)
_OFFER_PREFIXES = ("Botilbuddet", "Bostedet", "Opholdsstedet", "Dagtilbuddet", "Center", "Rådgivningen")
_LEGAL_BASES = ("SEL § 107", "SEL § 108", "SEL § 85", "SEL § 104", "SEL § 103", "SEL § 101", "BL § 66, stk. 1, nr. 6")
_TARGET_GROUPS = (
    "Voksne med udviklingshandicap",
    "Voksne med sindslidelse",
    "Voksne med erhvervet hjerneskade",
    "Børn og unge med autisme",
    "Voksne med misbrug",
    "Unge med psykosociale vanskeligheder",
    "Hjemløse",
)


@dataclass(frozen=True)
class OperatorSubmission:
    """A submission and the operator (driftsherre) that sent it: the operator is not part of it."""

    operator: str
    submission: TariffSubmission


@dataclass(frozen=True)
class NationalDataSet:
    submissions: tuple[OperatorSubmission, ...]
    offers: int
    services: int


def national_data_set(offers: int = 7_000, seed: int = SEED) -> NationalDataSet:
    """``offers`` offers (a multiple of seven) pricing 20/7 services each, the same for the same seed."""
    if offers <= 0 or offers % OFFERS_PER_BLOCK:
        raise ValueError(f"offers must be a positive multiple of {OFFERS_PER_BLOCK}")
    rng = random.Random(seed)
    operators = [f"Syntetisk Kommune {n:03d}" for n in range(1, 99)] + [f"Syntetisk Region {n}" for n in range(1, 6)]
    built: list[OperatorSubmission] = []
    for index in range(offers):
        plan = _BLOCK[index % OFFERS_PER_BLOCK]
        operator = operators[rng.randrange(len(operators))]
        for data in _offer_submissions(rng, index, plan):
            submission, findings = build_submission(data)
            if submission is None or findings:
                raise AssertionError(f"synthetic submission does not build: {findings}")
            built.append(OperatorSubmission(operator, submission))
    return NationalDataSet(tuple(built), offers, offers // OFFERS_PER_BLOCK * SERVICES_PER_BLOCK)


def _offer_submissions(
    rng: random.Random, index: int, plan: tuple[tuple[str, int], ...]
) -> Iterator[dict[str, object]]:
    ambulant = plan == (("hourly", 0),)
    places = rng.randint(10, 80) if ambulant else rng.randint(4, 60)
    occupancy = Decimal(100) if ambulant else Decimal(rng.randint(190, 200)) / 2  # 95.0 to 100.0
    offer: dict[str, object] = {
        "id": f"SYN-{index + 1:05d}",
        "name": f"{rng.choice(_OFFER_PREFIXES)} {rng.choice(_OFFER_WORDS)} {index + 1:05d}",
        "kind": "ambulant" if ambulant else rng.choice(("24h", "24h", "24h", "day")),
        "new": False,
        "places": places,
        "legal_basis": rng.choice(_LEGAL_BASES),
        "target_group": rng.choice(_TARGET_GROUPS),
    }
    for tariff_type, levels in plan:
        yield _submission(rng, offer, places, occupancy, tariff_type, levels)


def _submission(
    rng: random.Random,
    offer: dict[str, object],
    places: int,
    occupancy: Decimal,
    tariff_type: str,
    levels: int,
) -> dict[str, object]:
    occupied_days = Decimal(places * DAYS) * occupancy / 100
    service: dict[str, object]
    if tariff_type == "hourly":
        units = rng.randint(2_000, 30_000)
        hourly_rate = rng.randint(450, 950)
        base = units * hourly_rate
        hours_per_year = units
        service = {"name": "Ambulant støtte og rådgivning", "type": "hourly", "budgeted_units": units}
        expected_main = Decimal(hourly_rate)
    else:
        daily = rng.randint(900, 5_200)
        base = int(Decimal(daily) * occupied_days)
        hours_per_week = rng.randint(5, 40)
        hours_per_year = int(Decimal(hours_per_week) * occupied_days / 7)
        expected_main = Decimal(daily)
        if tariff_type == "basis_service":
            level_hours = sorted(rng.sample(range(3, 45), levels))
            service = {
                "name": "Botilbud med ydelsesniveauer",
                "type": "basis_service",
                "levels": [{"name": "ABCD"[i], "hours_per_week": h} for i, h in enumerate(level_hours)],
            }
            if rng.random() < 0.5:
                service["hourly_rate"] = str(rng.randint(380, 520))
        else:
            service = {"name": "Døgnophold" if offer["kind"] == "24h" else "Dagtilbud", "type": "average"}
    costs, income = _costs(base)
    if tariff_type == "basis_service":
        # the main row is the basis tariff: the costs that do not follow the citizen (R-TAR-04; the
        # lines are the rule set's citizen_directed_lines)
        personnel = costs["personnel"]
        citizen = personnel["citizen_related_staff"] + personnel["temporary_staff"] + sum(costs["activities"].values())
        expected_main = Decimal(base - citizen) / occupied_days
    data: dict[str, object] = {
        "ruleset": RULESET_ID,
        "budget_year": BUDGET_YEAR,
        "offer": offer,
        "occupancy": {
            "percent": str(occupancy),
            "method": "expected",
            "reason": "Forventet efterspørgsel ud fra venteliste (syntetiske data)",
        },
        "costs": {**costs, "financing_income": income},
        "direct_support_hours_per_year": hours_per_year,
        "service": service,
    }
    if rng.random() < 0.85:  # most offers have last year's tariff; a few change by more than 5 %
        change = Decimal(rng.randint(-60, 60)) / 1000
        data["last_year"] = {
            "tariff": str((expected_main / (1 + change)).quantize(Decimal("0.01"))),
            "places": places if rng.random() < 0.97 else places + rng.choice((-2, -1, 1, 2)),
        }
        data["remarks"] = "Ændringen skyldes syntetiske forudsætninger."
    return data


def _costs(base: int) -> tuple[dict[str, dict[str, int]], int]:
    """Split a whole-krone cost base into category lines and a financing income (R-TAR-02).

    The lines less the income add up to the base exactly (R-TAR-03).
    """
    costs: dict[str, dict[str, int]] = {}
    used = 0
    for category, line, per_mille in _SHARES:
        value = base * per_mille // 1000
        costs.setdefault(category, {})[line] = value
        used += value
    income = base * _FINANCING_INCOME_PER_MILLE // 1000
    costs["personnel"]["citizen_related_staff"] = base - used + income
    return costs, income
