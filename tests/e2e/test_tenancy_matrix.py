"""The cross-tenant matrix: every demo user tries every object-level route on objects that are not theirs.

Issue 3, part 2. For each user of the demo (two secretariats, five operators, two buyers) and an
anonymous visitor, every object-level route of the API and the pages is called for objects the user
may not touch: drafts, submissions and services of another operator, the cycle and the appendix of
another region, offers of another operator, accounts and reserve ledgers of another operator and the
accounts overview of another region, over the API and the pages (issue 4), billing runs, invoices, disputes and statements of another
organisation and placements (citizen data) of which the user is no party (issue 5), and ids that do not exist. Who may do what is written
down here, independently of the code (``entitled``); the bar is zero unauthorised successes, and an
object of another organisation must answer exactly like one that does not exist (no existence leak).

With ``RAMMEAFTALE_SECURITY_REPORT=DIR`` (``make security``) the figures go to ``DIR/tenancy.json``:
``{"cross_tenant_requests": int, "unauthorised_successes": int, ...details}``, written before the test's
assertions, so a failing run reports its figures too.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from fastapi.testclient import TestClient

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.demo import DEMO_USERS
from rammeaftale.domain.accounts_submission import build_accounts_submission
from rammeaftale.services.accounts import submit_accounts
from rammeaftale.services.billing import run_month
from rammeaftale.services.billing_disputes import dispute_line
from rammeaftale.services.context import SYSTEM, Actor
from rammeaftale.services.financing import register_agreement
from tests.e2e.test_policies import TODAY, Demo, body_2027, demo, demo_database
from tests.report import write_figures

__all__ = ["demo", "demo_database"]  # the shared fixtures

USERS: tuple[str | None, ...] = (*(username for username, *_ in DEMO_USERS), None)
MISSING = 999_999
MISSING_REGION = 9999
SUBMISSION_JSON = json.dumps(body_2027()).encode()
PAGE_UPLOAD = {"fil": ("fjordgaarden-2027.json", SUBMISSION_JSON, "application/json")}
API_UPLOAD = {"file": ("fjordgaarden-2027.json", SUBMISSION_JSON, "application/json")}
ACCOUNTS_YEAR = 2023
ACCOUNTS_RULESETS = {1081: "nordjylland-2023-2024", 1082: "midtjylland-2023-2024"}
ACCOUNTS = {
    "ruleset": "nordjylland-2023-2024",
    "accounts_year": ACCOUNTS_YEAR,
    "offer_code": "N-851-01",
    "costs": {"personnel": {"citizen_related_staff": "11050000"}},
    "income": {"tariff_income": "12000000"},
    "cost_base": "12000000",
}
ACCOUNTS_JSON = json.dumps(ACCOUNTS).encode()
ACCOUNTS_UPLOAD = {"file": ("regnskab-2023.json", ACCOUNTS_JSON, "application/json")}
REFUSALS = {401, 403, 404}


@dataclass(frozen=True)
class Who:
    username: str | None
    role: str
    organisation_id: int | None
    region_code: int | None


@dataclass(frozen=True)
class Target:
    """An object a route works on; ``operator_id`` and ``region_code`` say whose it is (None: no one's)."""

    kind: str  # submission | service | region | offer | accounts | operator | invoice | dispute | buyer | placement | agreement
    id: int
    operator_id: int | None
    region_code: int | None
    offer_id: int = 0
    payer_id: int | None = None  # an invoice's (or its dispute's) paying municipality; a buyer's statement: itself
    ref: str = ""  # a placement's pseudonymous id (its URLs name it, not the row id)
    buyers: tuple[int, ...] = ()  # a placement's acting and paying municipalities (organisation ids)

    @property
    def exists(self) -> bool:
        return self.region_code is not None


def entitled(who: Who, action: str, target: Target) -> bool:
    """Who may do what, as issue 3 and the handbook say it (not read from the code)."""
    if who.username is None or not target.exists:
        return False
    own_organisation = who.role == "operator" and who.organisation_id == target.operator_id
    own_region = who.role == "secretariat" and who.region_code == target.region_code
    paying = who.role == "buyer" and who.organisation_id == target.payer_id
    return {
        "read": own_organisation or own_region,  # a submission: its operator and its region's secretariat
        "template": own_organisation or own_region,
        "operate": own_organisation,  # save, upload, submit, correct: the operator only
        "decide": own_region,  # approve, return: the region's secretariat only
        "region": own_region,  # cycle overview, publish the appendix
        "change_offer": own_organisation or own_region,
        "billing": own_organisation,  # run a month, read its invoices, resolve a dispute: the operator only
        "invoice": own_organisation or paying,  # one invoice: its two parties
        "pay": paying,  # the buyer's statement, a dispute: the paying municipality only
        # a placement (citizen data): the operator of the offer and the acting and paying municipalities' buyers
        "placement": own_organisation or (who.role == "buyer" and who.organisation_id in target.buyers),
        # R-REF-01: the municipality where the offer lies names any placement by its pseudonymous id (decision in
        # services/refunds.py); it sees nothing of it but its own registrations and claims
        "health_service": who.role == "buyer",
        # objective financing (section 10): the region's secretariat, the offer's operator and the municipalities
        # in the key read an agreement; only the operator invoices it (R-SET-12)
        "financing": own_organisation or own_region or (who.role == "buyer" and who.organisation_id in target.buyers),
        "finance": own_organisation,
    }[action]


def another_organisation(who: Who, target: Target) -> bool:
    if who.username is None or not target.exists:
        return True
    if target.kind == "region":
        return who.region_code != target.region_code
    return who.organisation_id not in (target.operator_id, target.payer_id)


Send = Callable[[TestClient, Target, str], httpx.Response]


@dataclass(frozen=True)
class Probe:
    name: str
    kind: str
    action: str
    send: Send
    leak_checked: bool = True  # offers are public: another operator's offer may answer 403, not 404


def api(method: str, url: str, **kwargs: object) -> Send:
    def send(client: TestClient, target: Target, token: str) -> httpx.Response:
        path = url.format(id=target.id, offer=target.offer_id, ref=target.ref)
        response: httpx.Response = client.request(
            method, path, headers={"X-CSRF-Token": token}, follow_redirects=False, **kwargs
        )
        return response

    return send


def page(method: str, url: str, data: dict[str, str] | None = None, upload: bool = False) -> Send:
    def send(client: TestClient, target: Target, token: str) -> httpx.Response:
        path = url.format(id=target.id, offer=target.offer_id, ref=target.ref)
        if method == "GET":
            response: httpx.Response = client.get(path, follow_redirects=False)
            return response
        form = {**(data or {}), "csrf_token": token}
        return client.post(path, data=form, files=PAGE_UPLOAD if upload else None, follow_redirects=False)

    return send


PROBES = (
    Probe("GET /api/submissions/{id}", "submission", "read", api("GET", "/api/submissions/{id}")),
    Probe(
        "POST /api/submissions/{id}/submit",
        "submission",
        "operate",
        api("POST", "/api/submissions/{id}/submit", json={"remarks": "Forsøg"}),
    ),
    Probe(
        "POST /api/submissions/{id}/approve",
        "submission",
        "decide",
        api("POST", "/api/submissions/{id}/approve", json={"comment": "Godkendt"}),
    ),
    Probe(
        "POST /api/submissions/{id}/return",
        "submission",
        "decide",
        api("POST", "/api/submissions/{id}/return", json={"comment": "Retur"}),
    ),
    Probe(
        "POST /api/submissions/{id}/corrections",
        "submission",
        "operate",
        api("POST", "/api/submissions/{id}/corrections?reason=Rettelse", content=SUBMISSION_JSON),
    ),
    Probe("GET /indberetninger/{id}", "submission", "read", page("GET", "/indberetninger/{id}")),
    Probe(
        "POST /indberetninger/{id}/indsend",
        "submission",
        "operate",
        page("POST", "/indberetninger/{id}/indsend", {"remarks": "Forsøg"}),
    ),
    Probe(
        "POST /indberetninger/{id}/godkend",
        "submission",
        "decide",
        page("POST", "/indberetninger/{id}/godkend", {"comment": "Godkendt"}),
    ),
    Probe(
        "POST /indberetninger/{id}/retur",
        "submission",
        "decide",
        page("POST", "/indberetninger/{id}/retur", {"comment": "Retur"}),
    ),
    Probe(
        "POST /indberetninger/{id}/ret",
        "submission",
        "operate",
        page("POST", "/indberetninger/{id}/ret", {"reason": "Rettelse"}, upload=True),
    ),
    Probe(
        "GET /api/services/{id}/template",
        "service",
        "template",
        api("GET", "/api/services/{id}/template?year=2027"),
    ),
    Probe(
        "POST /api/services/{id}/submissions",
        "service",
        "operate",
        api("POST", "/api/services/{id}/submissions", content=SUBMISSION_JSON),
    ),
    Probe(
        "POST /api/services/{id}/submissions/file",
        "service",
        "operate",
        api("POST", "/api/services/{id}/submissions/file", files=API_UPLOAD),
    ),
    Probe("GET /ydelser/{id}/indberetning", "service", "operate", page("GET", "/ydelser/{id}/indberetning")),
    Probe(
        "POST /ydelser/{id}/indberetning",
        "service",
        "operate",
        page("POST", "/ydelser/{id}/indberetning", {"aar": "2027"}, upload=True),
    ),
    Probe("GET /ydelser/{id}/formular", "service", "operate", page("GET", "/ydelser/{id}/formular?aar=2027")),
    Probe(
        "POST /ydelser/{id}/formular",
        "service",
        "operate",
        page("POST", "/ydelser/{id}/formular?aar=2027", {"offer.name": "Forsøg", "offer.places": "1"}),
    ),
    Probe(
        "GET /tilbud/{offer}/ydelser/{id}/skabelon",
        "service",
        "template",
        page("GET", "/tilbud/{offer}/ydelser/{id}/skabelon?aar=2027"),
    ),
    Probe("GET /api/cycle/{region}/2027", "region", "region", api("GET", "/api/cycle/{id}/2027")),
    Probe(
        "POST /api/appendices/{region}/2027/publish",
        "region",
        "region",
        api("POST", "/api/appendices/{id}/2027/publish", json={"reason": "Forsøg"}),
    ),
    Probe("GET /takstcyklus?region={region}", "region", "region", page("GET", "/takstcyklus?region={id}&aar=2027")),
    Probe(
        "POST /takstbilag/{region}/2027/offentliggoer",
        "region",
        "region",
        page("POST", "/takstbilag/{id}/2027/offentliggoer", {"reason": "Forsøg"}),
    ),
    Probe(
        "POST /api/offers/{id}/versions",
        "offer",
        "change_offer",
        api(
            "POST",
            "/api/offers/{id}/versions",
            json={"valid_from": "2030-01-01", "reason": "Forsøg", "agreed_places": "1"},
        ),
        leak_checked=False,
    ),
    # Accounts and the reserve ledger (issue 4): the operator's own, the region's secretariat reads.
    Probe(
        "POST /api/offers/{id}/accounts",
        "offer",
        "operate",
        api("POST", "/api/offers/{id}/accounts?reason=Forsøg", content=ACCOUNTS_JSON),
    ),
    Probe(
        "POST /api/offers/{id}/accounts/file",
        "offer",
        "operate",
        api("POST", "/api/offers/{id}/accounts/file?reason=Forsøg", files=ACCOUNTS_UPLOAD),
    ),
    Probe("GET /api/offers/{id}/accounts", "offer", "read", api("GET", "/api/offers/{id}/accounts")),
    Probe("GET /api/accounts/{id}", "accounts", "read", api("GET", "/api/accounts/{id}")),
    Probe("GET /api/operators/{id}/reserves", "operator", "read", api("GET", "/api/operators/{id}/reserves")),
    Probe(
        "POST /api/offers/{id}/reserves/use",
        "offer",
        "operate",
        api("POST", "/api/offers/{id}/reserves/use", json={"amount": "1.00", "year": 2024}),
    ),
    Probe(
        "POST /api/offers/{id}/reserves/transfer",
        "offer",
        "operate",
        api("POST", "/api/offers/{id}/reserves/transfer", json={"to_offer_id": 1}),
    ),
    Probe(
        "GET /api/regions/{region}/accounts/2023",
        "region",
        "region",
        api("GET", "/api/regions/{id}/accounts/2023"),
    ),
    Probe(
        "POST /api/regions/{region}/reserves/2029/expire",
        "region",
        "region",
        api("POST", "/api/regions/{id}/reserves/2029/expire", json={}),
    ),
    # The accounts pages (issue 4): the same scoping as the accounts API.
    Probe("GET /tilbud/{id}/regnskab", "offer", "read", page("GET", "/tilbud/{id}/regnskab")),
    Probe(
        "GET /tilbud/{id}/regnskab/skabelon",
        "offer",
        "template",
        page("GET", "/tilbud/{id}/regnskab/skabelon?aar=2023"),
    ),
    Probe(
        "GET /tilbud/{id}/regnskab/formular", "offer", "operate", page("GET", "/tilbud/{id}/regnskab/formular?aar=2023")
    ),
    Probe(
        "POST /tilbud/{id}/regnskab",
        "offer",
        "operate",
        page("POST", "/tilbud/{id}/regnskab", {"reason": "Forsøg"}, upload=True),
    ),
    Probe(
        "POST /tilbud/{id}/regnskab/formular",
        "offer",
        "operate",
        page("POST", "/tilbud/{id}/regnskab/formular?aar=2023", {"income.tariff_income": "1", "reason": "Forsøg"}),
    ),
    Probe("GET /regnskaber/{id}", "accounts", "read", page("GET", "/regnskaber/{id}")),
    Probe("GET /driftsherre/{id}/reserver", "operator", "read", page("GET", "/driftsherre/{id}/reserver")),
    Probe(
        "POST /driftsherre/{id}/reserver/brug",
        "operator",
        "operate",
        page("POST", "/driftsherre/{id}/reserver/brug", {"offer_id": "1", "beloeb": "1,00", "aar": "2024"}),
    ),
    Probe("GET /regnskab/{region}/2023", "region", "region", page("GET", "/regnskab/{id}/2023")),
    Probe("POST /regnskab/{region}/udloeb", "region", "region", page("POST", "/regnskab/{id}/udloeb", {"aar": "2029"})),
    # Billing (issue 5): the operator runs and reads its months, the payer its statement; an invoice its parties.
    Probe(
        "POST /api/operators/{id}/billing/2025/4",
        "operator",
        "billing",
        api("POST", "/api/operators/{id}/billing/2025/4", json={}),
    ),
    Probe("GET /api/operators/{id}/invoices", "operator", "billing", api("GET", "/api/operators/{id}/invoices")),
    Probe("GET /api/buyers/{id}/statement", "buyer", "pay", api("GET", "/api/buyers/{id}/statement")),
    Probe("GET /api/invoices/{id}", "invoice", "invoice", api("GET", "/api/invoices/{id}")),
    Probe(
        "POST /api/invoices/{id}/disputes",
        "invoice",
        "pay",
        api("POST", "/api/invoices/{id}/disputes", json={"line_index": 0, "reason": "Forsøg"}),
    ),
    Probe(
        "POST /api/disputes/{id}/resolve",
        "dispute",
        "billing",
        api("POST", "/api/disputes/{id}/resolve", json={"resolution": "Forsøg"}),
    ),
    # Billing downloads and pages (issue 5 items 3, 5, 7): the same scoping as the billing API.
    Probe("GET /api/invoices/{id}/pdf", "invoice", "invoice", api("GET", "/api/invoices/{id}/pdf")),
    Probe("GET /api/invoices/{id}/einvoice.xml", "invoice", "invoice", api("GET", "/api/invoices/{id}/einvoice.xml")),
    Probe("GET /api/buyers/{id}/statement.xlsx", "buyer", "pay", api("GET", "/api/buyers/{id}/statement.xlsx")),
    Probe("GET /api/buyers/{id}/statement.csv", "buyer", "pay", api("GET", "/api/buyers/{id}/statement.csv")),
    Probe("GET /afregning/fakturaer/{id}", "invoice", "invoice", page("GET", "/afregning/fakturaer/{id}")),
    Probe(
        "POST /afregning/fakturaer/{id}/indsigelse",
        "invoice",
        "pay",
        page("POST", "/afregning/fakturaer/{id}/indsigelse", {"linje": "0", "begrundelse": "Forsøg"}),
    ),
    Probe(
        "POST /afregning/indsigelser/{id}/afgoerelse",
        "dispute",
        "billing",
        page("POST", "/afregning/indsigelser/{id}/afgoerelse", {"afgoerelse": "Forsøg"}),
    ),
    # Placements (issue 5): citizen data, only for the operator of the offer and the acting and paying buyers.
    Probe("GET /api/placements/{ref}", "placement", "placement", api("GET", "/api/placements/{ref}")),
    Probe(
        "POST /api/placements/{ref}/cpr", "placement", "placement", api("POST", "/api/placements/{ref}/cpr", json={})
    ),
    Probe(
        "POST /api/placements/{ref}/confirm",
        "placement",
        "placement",
        api("POST", "/api/placements/{ref}/confirm", json={}),
    ),
    Probe(
        "POST /api/placements/{ref}/refuse",
        "placement",
        "placement",
        api("POST", "/api/placements/{ref}/refuse", json={"reason": "Forsøg"}),
    ),
    Probe(
        "POST /api/placements/{ref}/notice",
        "placement",
        "placement",
        api("POST", "/api/placements/{ref}/notice", json={"final_date": "2026-12-31"}),
    ),
    Probe(
        "POST /api/placements/{ref}/notice/agreement",
        "placement",
        "placement",
        api("POST", "/api/placements/{ref}/notice/agreement", json={}),
    ),
    Probe(
        "POST /api/placements/{ref}/supplements",
        "placement",
        "placement",
        api(
            "POST",
            "/api/placements/{ref}/supplements",
            json={"kind": "daily", "name": "Forsøg", "start": "2026-01-01", "daily_amount": "1.00"},
        ),
    ),
    Probe(
        "POST /api/placements/{ref}/supplements/1/end",
        "placement",
        "placement",
        api("POST", "/api/placements/{ref}/supplements/1/end", json={"end": "2026-12-31"}),
    ),
    # Health refunds (R-REF-01), citizen schedules (section 13) and closing costs (R-SET-08) of a placement.
    Probe(
        "POST /api/placements/{ref}/health-services",
        "placement",
        "health_service",
        api(
            "POST",
            "/api/placements/{ref}/health-services",
            json={"year": 2025, "month": 3, "name": "Forsøg", "documented_cost": "1.00"},
        ),
    ),
    Probe(
        "POST /api/placements/{ref}/citizen-schedules",
        "placement",
        "placement",
        api(
            "POST",
            "/api/placements/{ref}/citizen-schedules",
            json={
                "effective_from": "2026-01-01",
                "basis_daily": "1.00",
                "hourly_rate": "1.00",
                "services": [{"name": "Forsøg", "hours_per_week": "1"}],
                "agreed_with_buyer": True,
            },
        ),
    ),
    Probe(
        "POST /api/placements/{ref}/closing-costs",
        "placement",
        "placement",
        api("POST", "/api/placements/{ref}/closing-costs", json={"until": "2026-12-31"}),
    ),
    # Objective financing (section 10, R-SET-12): an agreement of another region or operator answers 404.
    Probe("GET /api/financing/agreements/{id}", "agreement", "financing", api("GET", "/api/financing/agreements/{id}")),
    Probe(
        "POST /api/financing/agreements/{id}/installments",
        "agreement",
        "finance",
        api("POST", "/api/financing/agreements/{id}/installments", json={"through": 1}),
    ),
    Probe(
        "POST /api/financing/agreements/{id}/true-up",
        "agreement",
        "finance",
        api("POST", "/api/financing/agreements/{id}/true-up", json={"actual_amount": "1"}),
    ),
    Probe("GET /finansiering/{id}", "agreement", "financing", page("GET", "/finansiering/{id}")),
    Probe("POST /finansiering/{id}/rater", "agreement", "finance", page("POST", "/finansiering/{id}/rater")),
    Probe(
        "POST /finansiering/{id}/aarsafregning",
        "agreement",
        "finance",
        page("POST", "/finansiering/{id}/aarsafregning", {"faktisk": "1"}),
    ),
    # Placement pages (issue 5 item 7): the same parties as the placements API.
    Probe("GET /indskrivninger/{ref}", "placement", "placement", page("GET", "/indskrivninger/{ref}")),
    Probe("POST /indskrivninger/{ref}/cpr", "placement", "placement", page("POST", "/indskrivninger/{ref}/cpr")),
    Probe(
        "POST /indskrivninger/{ref}/bekraeft", "placement", "placement", page("POST", "/indskrivninger/{ref}/bekraeft")
    ),
    Probe(
        "POST /indskrivninger/{ref}/afvis",
        "placement",
        "placement",
        page("POST", "/indskrivninger/{ref}/afvis", {"reason": "Forsøg"}),
    ),
    Probe(
        "POST /indskrivninger/{ref}/opsigelse",
        "placement",
        "placement",
        page("POST", "/indskrivninger/{ref}/opsigelse", {"final_date": "31-12-2026"}),
    ),
    Probe(
        "POST /indskrivninger/{ref}/opsigelse/accept",
        "placement",
        "placement",
        page("POST", "/indskrivninger/{ref}/opsigelse/accept"),
    ),
    Probe(
        "POST /indskrivninger/{ref}/tillaeg",
        "placement",
        "placement",
        page(
            "POST",
            "/indskrivninger/{ref}/tillaeg",
            {"kind": "daily", "name": "Forsøg", "start": "01-01-2026", "daily_amount": "1,00"},
        ),
    ),
    Probe(
        "POST /indskrivninger/{ref}/tillaeg/1/afslut",
        "placement",
        "placement",
        page("POST", "/indskrivninger/{ref}/tillaeg/1/afslut", {"end": "31-12-2026"}),
    ),
)


def seed_accounts(demo: Demo) -> None:
    """2023 accounts with a reserve for each operator's first covered offer: accounts and ledgers to probe."""
    firsts: dict[int, tuple[int, str, int]] = {}
    with UnitOfWork(demo.engine) as uow:
        for offer in uow.offers.all():
            if offer.covered:
                firsts.setdefault(offer.operator.id, (offer.id, offer.code, offer.operator.region_code))
    for operator_id, (offer_id, code, region) in firsts.items():
        with UnitOfWork(demo.engine) as uow:
            if uow.accounts.current(offer_id, ACCOUNTS_YEAR, "") is not None:
                continue
            data = {**ACCOUNTS, "offer_code": code, "ruleset": ACCOUNTS_RULESETS[region]}
            submission, findings = build_accounts_submission(data)
            assert submission is not None, findings
            actor = Actor(None, "seed", "operator", operator_id, region)
            submit_accounts(uow, actor, lambda: TODAY, offer_id, submission, "demo")


BILLED = (2025, 3)


def seed_billing(demo: Demo) -> None:
    """March 2025 billed for every operator of the demo, and a dispute by the payer of each operator's first
    invoice: invoices, disputes and statements to probe."""
    with UnitOfWork(demo.engine) as uow:
        operators = sorted({o.operator.id for o in uow.offers.all()})
    for operator_id in operators:
        with UnitOfWork(demo.engine) as uow:
            if uow.billing.runs(operator_id, *BILLED):
                continue
            issued = run_month(uow, SYSTEM, lambda: TODAY, operator_id, *BILLED).invoices
        if issued:
            with UnitOfWork(demo.engine) as uow:
                payer = uow.organisations.by_kommunekode(issued[0].payer)
                assert payer is not None
                buyer = Actor(None, "seed", "buyer", payer.id, payer.region_code)
                dispute_line(uow, buyer, lambda: TODAY, issued[0].id, 0, "Indsigelse til matricen")


def _billing_targets(uow: UnitOfWork, found: dict[str, list[Target]]) -> None:
    for target in list(found["operator"]):
        invoices = uow.billing.of_operator(target.operator_id or 0, *BILLED)
        for invoice in invoices[:3]:
            payer = uow.organisations.by_kommunekode(invoice.payer)
            payer_id = payer.id if payer else None
            found["invoice"].append(Target("invoice", invoice.id, target.operator_id, target.region_code, 0, payer_id))
            for d in uow.billing.disputes([invoice.id]):
                found["dispute"].append(Target("dispute", d.id, target.operator_id, target.region_code, 0, payer_id))
    for code in (787, 657, 860):  # the demo buyers' municipalities and one without a login
        buyer = uow.organisations.by_kommunekode(code)
        assert buyer is not None
        found["buyer"].append(Target("buyer", buyer.id, None, buyer.region_code, 0, buyer.id))


AGREEMENTS = (("N-851-01", (851, 787)), ("M-751-01", (751, 657)))  # offer, the municipalities in the key


def seed_financing(demo: Demo) -> None:
    """A 2025 agreement of objective financing for an offer in each region (no drawing right)."""
    for code, key in AGREEMENTS:
        with UnitOfWork(demo.engine) as uow:
            offer = uow.offers.by_code(code)
            assert offer is not None
            if uow.financing.find(offer.id, 2025) is None:
                weights = [(k, "1") for k in key]
                register_agreement(uow, SYSTEM, lambda: TODAY, code, 2025, "120000", "population", weights, False)


def _financing_targets(uow: UnitOfWork, found: dict[str, list[Target]]) -> None:
    for code, key in AGREEMENTS:
        offer = uow.offers.by_code(code)
        assert offer is not None
        agreement = uow.financing.find(offer.id, 2025)
        assert agreement is not None
        buyers = tuple(org.id for k in key if (org := uow.organisations.by_kommunekode(k)) is not None)
        region = offer.operator.region_code
        found["agreement"].append(Target("agreement", agreement.id, offer.operator.id, region, buyers=buyers))


def _placement_targets(uow: UnitOfWork, found: dict[str, list[Target]]) -> None:
    """The first demo placement of each operator's offers (its acting and paying buyers are its parties)."""
    seen: set[int] = set()
    for offer in uow.offers.all():
        if offer.operator.id in seen:
            continue
        placements, _ = uow.placements.for_operator(offer.operator.id, limit=1)
        for p in placements:
            seen.add(offer.operator.id)
            buyers = tuple(
                org.id
                for code in (p.acting_municipality, p.paying_municipality)
                if code is not None and (org := uow.organisations.by_kommunekode(code)) is not None
            )
            region = offer.operator.region_code
            found["placement"].append(
                Target("placement", p.pk, offer.operator.id, region, ref=p.placement_id, buyers=buyers)
            )


def targets(demo: Demo) -> dict[str, list[Target]]:
    """Per operator one submission of each status (draft, submitted, approved, published), its first
    service and offer; both regions; and for each kind an id that does not exist."""
    found: dict[str, list[Target]] = defaultdict(list)
    seen: set[tuple[int, str]] = set()
    with UnitOfWork(demo.engine) as uow:
        for offer in uow.offers.all():
            operator, region = offer.operator.id, offer.operator.region_code
            if all(t.operator_id != operator for t in found["offer"]):
                found["offer"].append(Target("offer", offer.id, operator, region))
                service = offer.services[0]
                found["service"].append(Target("service", service.id, operator, region, offer.id))
            for row in uow.submissions.for_offer(offer.id):
                if (operator, row.status) not in seen:
                    seen.add((operator, row.status))
                    found["submission"].append(Target("submission", row.id, operator, region))
        for region_row in uow.organisations.regions():
            found["region"].append(Target("region", region_row.region_code, None, region_row.region_code))
        for target in list(found["offer"]):
            for accounts in uow.accounts.for_offer(target.id)[:1]:
                found["accounts"].append(Target("accounts", accounts.id, target.operator_id, target.region_code))
            found["operator"].append(
                Target("operator", target.operator_id or 0, target.operator_id, target.region_code)
            )
        _billing_targets(uow, found)
        _placement_targets(uow, found)
        _financing_targets(uow, found)
    for kind in ("submission", "service", "offer", "accounts", "operator", "invoice", "dispute", "buyer", "agreement"):
        found[kind].append(Target(kind, MISSING, None, None, offer_id=1))
    found["placement"].append(Target("placement", MISSING, None, None, ref="P-AAAAAAAAAA"))
    found["region"].append(Target("region", MISSING_REGION, None, None))
    return found


def who_is(demo: Demo, username: str | None) -> Who:
    if username is None:
        return Who(None, "anonymous", None, None)
    with UnitOfWork(demo.engine) as uow:
        user = uow.users.by_username(username)
        assert user is not None
        organisation = uow.organisations.get(user.organisation_id)
        assert organisation is not None
        return Who(username, user.role, user.organisation_id, organisation.region_code)


def succeeded(response: httpx.Response) -> bool:
    """A 2xx, or a redirect anywhere but the login page (a page post that went through)."""
    if response.is_success:
        return True
    return response.is_redirect and not response.headers.get("location", "").startswith("/login")


def refused_properly(who: Who, response: httpx.Response) -> bool:
    if who.username is None and response.is_redirect:
        return response.headers["location"].startswith("/login?next=")
    return response.status_code in REFUSALS


@dataclass
class Matrix:
    requests: int = 0
    other_organisation: int = 0
    unauthorised_successes: list[str] = field(default_factory=list)
    improper_refusals: list[str] = field(default_factory=list)
    existence_leaks: list[str] = field(default_factory=list)
    per_user: Counter[str] = field(default_factory=Counter)

    def figures(self) -> dict[str, object]:
        """What ``benchmarks/security.py`` reads as ``tenancy.json``: the two figures first, then details."""
        return {
            "cross_tenant_requests": self.requests,
            "unauthorised_successes": len(self.unauthorised_successes),
            "source": "tests/e2e/test_tenancy_matrix.py",
            "users": len(USERS),
            "routes": len(PROBES),
            "on_objects_of_another_organisation": self.other_organisation,
            "improper_refusals": len(self.improper_refusals),
            "existence_leaks": len(self.existence_leaks),
            "per_user": dict(sorted(self.per_user.items())),
            "examples": (self.unauthorised_successes + self.improper_refusals + self.existence_leaks)[:10],
        }


def run_matrix(demo: Demo) -> Matrix:
    matrix = Matrix()
    objects = targets(demo)
    for username in USERS:
        who = who_is(demo, username)
        client = demo.client(username)
        token = demo.csrf(client)
        for probe in PROBES:
            answers: dict[int, set[int]] = defaultdict(set)  # exists (1/0) -> statuses
            for target in objects[probe.kind]:
                if entitled(who, probe.action, target):
                    continue
                response = probe.send(client, target, token)
                matrix.requests += 1
                matrix.per_user[username or "anonym"] += 1
                matrix.other_organisation += another_organisation(who, target)
                where = f"{username or 'anonym'} {probe.name} id={target.id} -> {response.status_code}"
                if succeeded(response):
                    matrix.unauthorised_successes.append(where)
                elif not refused_properly(who, response):
                    matrix.improper_refusals.append(f"{where}: {response.text[:160]}")
                if another_organisation(who, target):
                    answers[int(target.exists)].add(response.status_code)
            if probe.leak_checked and answers[1] and answers[1] != answers[0]:
                matrix.existence_leaks.append(f"{username or 'anonym'} {probe.name}: {dict(answers)}")
    return matrix


def test_no_user_succeeds_on_another_organisations_objects_and_none_learns_that_they_exist(demo: Demo) -> None:
    seed_accounts(demo)
    seed_billing(demo)
    seed_financing(demo)
    before = demo.counts()
    matrix = run_matrix(demo)
    print(
        f"\ncross-tenant matrix: {matrix.requests} requests by {len(USERS)} users on {len(PROBES)} routes, "
        f"{matrix.other_organisation} on objects of another organisation, "
        f"{len(matrix.unauthorised_successes)} unauthorised successes; per user: {dict(matrix.per_user)}"
    )
    write_figures("tenancy", matrix.figures())
    assert matrix.unauthorised_successes == []
    assert matrix.improper_refusals == []
    assert matrix.existence_leaks == []
    assert demo.counts() == before  # nothing changed anywhere
    assert matrix.other_organisation >= 1000
    assert set(matrix.per_user) == {*(u for u in USERS if u), "anonym"}
