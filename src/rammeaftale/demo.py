"""Deterministic, clearly fictitious demo data for Region Nordjylland and Region Midtjylland.

Everything goes through the real use cases (save draft, submit, approve, publish) with a fixed clock,
so the demo also shows the audit trail. Loading twice changes nothing (idempotent). The accounts of
2023–2025 and their reserves (``demo_accounts.py``) come in their place in the cycle: each spring's
accounts before the autumn's tariff submissions, which must carry what they make due.
Every offer, tariff and person here is invented (handbook § 14).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Engine

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.adapters.documents.parties import cvr_from, with_check_digit
from rammeaftale.demo_accounts import load_demo_accounts
from rammeaftale.demo_placements import load_demo_placements
from rammeaftale.domain.registry import OfferStatus, OfferVersion
from rammeaftale.domain.submission import build_submission
from rammeaftale.services import appendix, submissions
from rammeaftale.services.auth import actor_for_user, hash_password
from rammeaftale.services.context import Actor, Clock

DEMO_PASSWORD = "demo1234"
PUBLISHED_YEARS = (2024, 2025, 2026)
OPEN_YEAR = 2027

REGIONS: dict[int, tuple[str, str, list[tuple[int, str]]]] = {
    1081: (
        "Region Nordjylland",
        "Nordjysk Socialaftale",
        [
            (773, "Morsø"),
            (787, "Thisted"),
            (810, "Brønderslev"),
            (813, "Frederikshavn"),
            (820, "Vesthimmerland"),
            (825, "Læsø"),
            (840, "Rebild"),
            (846, "Mariagerfjord"),
            (849, "Jammerbugt"),
            (851, "Aalborg"),
            (860, "Hjørring"),
        ],
    ),
    1082: (
        "Region Midtjylland",
        "Rammeaftale Midtjylland",
        [
            (615, "Horsens"),
            (657, "Herning"),
            (661, "Holstebro"),
            (665, "Lemvig"),
            (671, "Struer"),
            (706, "Syddjurs"),
            (707, "Norddjurs"),
            (710, "Favrskov"),
            (727, "Odder"),
            (730, "Randers"),
            (740, "Silkeborg"),
            (741, "Samsø"),
            (746, "Skanderborg"),
            (751, "Aarhus"),
            (756, "Ikast-Brande"),
            (760, "Ringkøbing-Skjern"),
            (766, "Hedensted"),
            (779, "Skive"),
            (791, "Viborg"),
        ],
    ),
}
PERIODS = {
    1081: [
        (2023, 2024, "nordjylland-2023-2024"),
        (2025, 2026, "nordjylland-2025-2026"),
        (2027, 2028, "nordjylland-2027-2028"),
    ],
    1082: [
        (2023, 2024, "midtjylland-2023-2024"),
        (2025, 2026, "midtjylland-2025-2026"),
        (2027, 2028, "midtjylland-2027-2028"),
    ],
}


@dataclass(frozen=True)
class DemoOffer:
    code: str
    operator: int  # kommunekode, or the region code for the region's own offers
    name: str
    legal_basis: str
    target_groups: tuple[str, ...]
    kind: str
    category: int
    places: int
    physical_places: int
    occupancy: str
    cost_per_place: int  # yearly cost base per place in kroner (2026 level)
    service: str
    tariff_type: str = "average"
    levels: tuple[tuple[str, str], ...] = ()
    hourly_rate: str | None = None
    budgeted_units: int | None = None
    enhanced: bool = False
    open_year_status: str = "missing"  # what the demo leaves in the running 2027 cycle


OFFERS = (
    DemoOffer(
        "N-851-01",
        851,
        "Fjordgården",
        "SEL § 108",
        ("Voksne med udviklingshæmning",),
        "24h",
        3,
        24,
        26,
        "96",
        0,
        "Længerevarende botilbud",
        open_year_status="missing",
    ),
    DemoOffer(
        "N-1081-01",
        1081,
        "Bakkehuset",
        "SEL § 107",
        ("Voksne med autisme",),
        "24h",
        3,
        16,
        16,
        "97",
        1_050_000,
        "Midlertidigt botilbud",
        enhanced=True,
        open_year_status="submitted",
    ),
    DemoOffer(
        "N-860-01",
        860,
        "Skovbrynet Aflastning",
        "BL § 32",
        ("Børn med funktionsnedsættelse",),
        "respite",
        3,
        8,
        8,
        "92",
        980_000,
        "Aflastningsdøgn",
        open_year_status="approved",
    ),
    DemoOffer(
        "N-787-01",
        787,
        "Limfjordens Dagcenter",
        "SEL § 104",
        ("Voksne med udviklingshæmning",),
        "day",
        3,
        30,
        30,
        "95",
        310_000,
        "Dagtilbud",
        open_year_status="submitted",
    ),
    DemoOffer(
        "N-813-01",
        813,
        "Havblik Krisecenter",
        "SEL § 109",
        ("Kvinder udsat for vold",),
        "acute",
        3,
        12,
        12,
        "90",
        520_000,
        "Krisecenterophold",
        open_year_status="draft",
    ),
    DemoOffer(
        "N-1081-02",
        1081,
        "Rådgivningen Nord",
        "SEL § 101",
        ("Voksne med misbrug",),
        "ambulant",
        3,
        1,
        1,
        "100",
        4_200_000,
        "Ambulant misbrugsbehandling",
        tariff_type="hourly",
        budgeted_units=6000,
    ),
    DemoOffer(
        "N-810-01",
        810,
        "Engely Børnehjem",
        "BL § 43 stk. 3",
        ("Børn og unge med sociale vanskeligheder",),
        "24h",
        2,
        10,
        10,
        "96",
        1_350_000,
        "Døgnophold",
        open_year_status="submitted",
    ),
    DemoOffer(
        "N-846-01",
        846,
        "Mosehuset",
        "SEL § 108",
        ("Voksne med sindslidelse",),
        "24h",
        1,
        12,
        12,
        "97",
        690_000,
        "Botilbud (kun egne borgere)",
    ),
    DemoOffer(
        "M-1082-01",
        1082,
        "Kildebakken",
        "SEL § 108",
        ("Voksne med udviklingshæmning",),
        "24h",
        3,
        20,
        20,
        "96",
        820_000,
        "Botilbud",
        tariff_type="basis_service",
        levels=(("A", "10"), ("B", "20"), ("C", "35")),
        hourly_rate="420",
        open_year_status="submitted",
    ),
    DemoOffer(
        "M-1082-02",
        1082,
        "Søhusene",
        "SEL § 107",
        ("Voksne med sindslidelse",),
        "24h",
        3,
        14,
        15,
        "95",
        900_000,
        "Midlertidigt botilbud",
        tariff_type="basis_service",
        levels=(("A", "14"), ("B", "28")),
        hourly_rate="420",
        enhanced=True,
    ),
    DemoOffer(
        "M-751-01",
        751,
        "Åbyhøj Bofællesskab",
        "SEL § 107",
        ("Voksne med autisme",),
        "24h",
        3,
        18,
        18,
        "97",
        760_000,
        "Bofællesskab",
        open_year_status="approved",
    ),
    DemoOffer(
        "M-657-01",
        657,
        "Vestervang",
        "SEL § 104",
        ("Voksne med erhvervet hjerneskade",),
        "day",
        3,
        25,
        25,
        "96",
        295_000,
        "Aktivitets- og samværstilbud",
        open_year_status="submitted",
    ),
    DemoOffer(
        "M-730-01",
        730,
        "Randers Krisecenter",
        "SEL § 109",
        ("Kvinder udsat for vold",),
        "acute",
        3,
        10,
        10,
        "91",
        540_000,
        "Krisecenterophold",
    ),
    DemoOffer(
        "M-661-01",
        661,
        "Holstebro Misbrugsrådgivning",
        "SEL § 101",
        ("Voksne med misbrug",),
        "ambulant",
        3,
        1,
        1,
        "100",
        2_900_000,
        "Ambulant behandling",
        tariff_type="hourly",
        budgeted_units=4200,
        open_year_status="draft",
    ),
    DemoOffer(
        "M-791-01",
        791,
        "Skovgården",
        "BL § 43 stk. 3",
        ("Børn og unge med autisme",),
        "24h",
        3,
        8,
        8,
        "95",
        1_420_000,
        "Døgnophold",
        open_year_status="submitted",
    ),
)

# Fjordgården's 2026 figures are the handbook's worked example (§ 6.5), to the krone.
FJORDGAARDEN_2026: dict[str, Any] = {
    "personnel": {
        "top_management": 1100000,
        "citizen_related_staff": 11400000,
        "temporary_staff": 500000,
        "technical_staff": 900000,
    },
    "civil_servant_pension": 100000,
    "activities": 600000,
    "administration": {"local": 450000, "central_overhead": 700000, "supervision_fee": 60000},
    "competence_development": 150000,
    "property": {"maintenance": 300000, "insurance_taxes_utilities": 540000},
    "depreciation": {"buildings": 420000, "equipment": 80000},
    "financing_income": 10000,
    "financing_costs": {"property": 310000, "other_capital": 20000, "working_capital": 40000},
    "regulation": -250000,
}
YEAR_FACTOR = {2024: Decimal("0.94"), 2025: Decimal("0.97"), 2026: Decimal("1.00"), 2027: Decimal("1.03")}
FJORDGAARDEN_TOTAL = Decimal(17_660_000)  # the example without its regulation


def _scaled_costs(total: Decimal, year: int) -> dict[str, Any]:
    """Fjordgården's cost structure scaled to another offer's size and year, in whole kroner."""
    factor = total / FJORDGAARDEN_TOTAL
    costs: dict[str, Any] = {}
    for key, value in FJORDGAARDEN_2026.items():
        if key == "regulation":
            continue
        if isinstance(value, dict):
            costs[key] = {line: _krone(Decimal(v) * factor) for line, v in value.items()}
        else:
            costs[key] = _krone(Decimal(value) * factor)
    costs["regulation"] = {2024: 120000, 2025: 0, 2026: -80000, 2027: 0}[year] if total > 5_000_000 else 0
    return costs


def _krone(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _payload(offer: DemoOffer, year: int, ruleset_id: str, last_tariff: Decimal | None) -> dict[str, Any]:
    if offer.code == "N-851-01" and year == 2026:
        costs = FJORDGAARDEN_2026
    else:
        base = Decimal(offer.cost_per_place or 735_000) * offer.places * YEAR_FACTOR[year]
        costs = _scaled_costs(base, year)
    staff_hours = Decimal(43000) / 24 * offer.places if offer.kind != "ambulant" else Decimal(offer.budgeted_units or 0)
    service: dict[str, Any] = {"name": offer.service, "type": offer.tariff_type}
    if offer.levels:
        service["levels"] = [{"name": n, "hours_per_week": h} for n, h in offer.levels]
        service["hourly_rate"] = str(Decimal(offer.hourly_rate or "0") * YEAR_FACTOR[year])
    if offer.budgeted_units:
        service["budgeted_units"] = offer.budgeted_units
    data: dict[str, Any] = {
        "ruleset": ruleset_id,
        "budget_year": year,
        "offer": {"name": offer.name, "kind": offer.kind, "new": False, "places": offer.places},
        "occupancy": {
            "percent": offer.occupancy,
            "method": "expected",
            "reason": "Fiktive demodata: venteliste og stabil efterspørgsel.",
        },
        "costs": costs,
        "direct_support_hours_per_year": str(staff_hours.quantize(Decimal(1))),
        "service": service,
        "remarks": "Fiktive demodata. Ændringer skyldes pris- og lønudvikling.",
    }
    if last_tariff is not None:
        data["last_year"] = {"tariff": str(last_tariff), "places": offer.places}
    return data


def _fixed_clock(day: date) -> Clock:
    moment = datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)
    return lambda: moment


def load_demo(engine: Engine, *, accounts: bool = True) -> bool:
    """Load the demo once; returns False when it is already there.

    ``accounts=False`` leaves out the demo accounts and reserves (issue 4; ``demo_accounts.py``): the same
    registry, tariffs and appendices, for tests that submit an offer's first accounts themselves.
    """
    with UnitOfWork(engine) as uow:
        if uow.organisations.region(1081) is not None:
            return False
        _load_registry(uow)
        uow.commit()
    actors = _actors(engine)
    for year in (*PUBLISHED_YEARS, OPEN_YEAR):
        if accounts:  # last spring's accounts come before this autumn's submissions, which must carry them
            load_demo_accounts(engine, actors, year - 2)
        _run_cycle(engine, actors, year)
    load_demo_placements(engine, actors)  # issue 5: 2025 placements in every demo offer
    return True


# Postal addresses of the demo organisations (fictitious streets; real postal codes and towns), and fictitious
# CVR numbers with a valid modulus-11 check digit: documents name the parties by them (R-SET-13).
TOWNS: dict[int, tuple[str, str]] = {
    773: ("7900", "Nykøbing M"), 787: ("7700", "Thisted"), 810: ("9700", "Brønderslev"),
    813: ("9900", "Frederikshavn"), 820: ("9600", "Aars"), 825: ("9940", "Læsø"), 840: ("9530", "Støvring"),
    846: ("9500", "Hobro"), 849: ("9440", "Aabybro"), 851: ("9000", "Aalborg"), 860: ("9800", "Hjørring"),
    615: ("8700", "Horsens"), 657: ("7400", "Herning"), 661: ("7500", "Holstebro"), 665: ("7620", "Lemvig"),
    671: ("7600", "Struer"), 706: ("8400", "Ebeltoft"), 707: ("8500", "Grenaa"), 710: ("8382", "Hinnerup"),
    727: ("8300", "Odder"), 730: ("8900", "Randers"), 740: ("8600", "Silkeborg"), 741: ("8305", "Samsø"),
    746: ("8660", "Skanderborg"), 751: ("8000", "Aarhus C"), 756: ("7430", "Ikast"), 760: ("6950", "Ringkøbing"),
    766: ("8722", "Hedensted"), 779: ("7800", "Skive"), 791: ("8800", "Viborg"),
    1081: ("9000", "Aalborg"), 1082: ("8800", "Viborg"),
}  # fmt: skip


def demo_cvr(code: int) -> str:
    """A fictitious CVR number for a demo municipality or region (not the real one)."""
    return cvr_from(2900000 + code * 7)


def _address(code: int, kind: str) -> tuple[str, str, str]:
    postal_code, city = TOWNS.get(code, ("", ""))
    return ("Regionshuset" if kind == "region" else "Rådhuset", postal_code, city)


def _load_registry(uow: UnitOfWork) -> None:
    now = datetime(2023, 1, 2, 9, 0, tzinfo=UTC)
    ids: dict[int, int] = {}
    for region_code, (region_name, agreement, municipalities) in REGIONS.items():
        ean = with_check_digit(f"57980000{region_code:04d}")  # valid GLNs: documents are addressed by them
        ids[region_code] = uow.organisations.add(
            "region",
            region_name,
            region_code,
            None,
            ean,
            cvr=demo_cvr(region_code),
            address=_address(region_code, "region"),
        )
        for first, last, ruleset_id in PERIODS[region_code]:
            uow.organisations.add_period(region_code, agreement, first, last, ruleset_id)
        for code, name in municipalities:
            ids[code] = uow.organisations.add(
                "municipality",
                f"{name} Kommune",
                region_code,
                code,
                with_check_digit(f"579800000{code:03d}"),
                cvr=demo_cvr(code),
                address=_address(code, "municipality"),
            )
    for offer in OFFERS:
        version = OfferVersion(
            valid_from=date(2023, 1, 1),
            valid_to=None,
            name=offer.name,
            legal_basis=offer.legal_basis,
            target_groups=offer.target_groups,
            kind=offer.kind,
            category=offer.category,
            agreed_places=Decimal(offer.places),
            physical_places=Decimal(offer.physical_places),
            status=OfferStatus.ACTIVE,
            opening_date=date(2015, 8, 1),
            closing_date=None,
            enhanced_collaboration=offer.enhanced,
            address="Fiktiv adresse",
            reason="Demodata",
        )
        offer_id = uow.offers.add(offer.code, ids[offer.operator], version, now)
        uow.offers.add_service(
            offer_id, offer.service, offer.tariff_type, "Fiktiv ydelsesbeskrivelse", date(2023, 1, 1), now
        )
    password = hash_password(DEMO_PASSWORD)
    for username, name, role, org in DEMO_USERS:
        uow.users.add(username, name, password, role, ids[org])


DEMO_USERS = (
    ("sekretariat.nord", "Sekretariatet, Nordjysk Socialaftale", "secretariat", 1081),
    ("sekretariat.midt", "Rammeaftalesekretariatet Midtjylland", "secretariat", 1082),
    ("drift.aalborg", "Driftsherre Aalborg Kommune", "operator", 851),
    ("drift.regionnord", "Driftsherre Region Nordjylland", "operator", 1081),
    ("drift.hjoerring", "Driftsherre Hjørring Kommune", "operator", 860),
    ("drift.regionmidt", "Driftsherre Region Midtjylland", "operator", 1082),
    ("drift.aarhus", "Driftsherre Aarhus Kommune", "operator", 751),
    ("koeb.thisted", "Sagsbehandler Thisted Kommune", "buyer", 787),
    ("koeb.herning", "Sagsbehandler Herning Kommune", "buyer", 657),
)
OPERATOR_LOGINS = {
    851: "drift.aalborg",
    1081: "drift.regionnord",
    860: "drift.hjoerring",
    1082: "drift.regionmidt",
    751: "drift.aarhus",
}


def _actors(engine: Engine) -> dict[str, Actor]:
    with UnitOfWork(engine) as uow:
        actors = {}
        for user in uow.users.all():
            actor = actor_for_user(uow, user.id)
            assert actor is not None
            actors[user.username] = actor
        # Operators without a demo login still submit through a system actor of their organisation.
        for offer in OFFERS:
            org = uow.organisations.by_kommunekode(offer.operator) or uow.organisations.region(offer.operator)
            assert org is not None
            actors.setdefault(
                f"operator:{offer.operator}", Actor(None, f"demo-{org.name}", "operator", org.id, org.region_code)
            )
        return actors


def _operator(actors: dict[str, Actor], offer: DemoOffer) -> Actor:
    login = OPERATOR_LOGINS.get(offer.operator)
    return actors[login] if login else actors[f"operator:{offer.operator}"]


def _run_cycle(engine: Engine, actors: dict[str, Actor], year: int) -> None:
    submitted_on = _fixed_clock(date(year - 1, 10, 15))
    decided_on = _fixed_clock(date(year - 1, 12, 1))
    for offer in OFFERS:
        target = "published" if year in PUBLISHED_YEARS else offer.open_year_status
        if target == "missing":
            continue
        with UnitOfWork(engine) as uow:
            stored = uow.offers.by_code(offer.code)
            assert stored is not None
            service = stored.services[0]
            last = uow.submissions.latest(service.id, year - 1, ("approved", "published"))
            ruleset_id = uow.organisations.period_ruleset(stored.operator.region_code, year)
            assert ruleset_id is not None
            payload = _payload(offer, year, ruleset_id, last.daily_tariff if last else None)
            submission, reading = build_submission(payload)
            operator = _operator(actors, offer)
            submission_id, _ = submissions.save_draft(
                uow, operator, submitted_on, service.id, submission, reading, "demo"
            )
            if target != "draft":
                submissions.submit(uow, operator, submitted_on, submission_id)
            if target in ("approved", "published"):
                secretariat = actors["sekretariat.nord" if stored.operator.region_code == 1081 else "sekretariat.midt"]
                submissions.approve(uow, secretariat, decided_on, submission_id, "Godkendt af styregruppen (fiktivt).")
    if year in PUBLISHED_YEARS:
        for region_code, login in ((1081, "sekretariat.nord"), (1082, "sekretariat.midt")):
            with UnitOfWork(engine) as uow:
                appendix.publish(uow, actors[login], _fixed_clock(date(year - 1, 12, 10)), region_code, year)
