"""Handbook § 7 through the use cases, on SQLite and PostgreSQL (schema by migrations; issue 4).

Accounts are stored with their consequence, regulations and reserve; a correction supersedes; the ledger
is append-only, and the database itself refuses UPDATE and DELETE of accounts, regulations and entries.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError

from rammeaftale.adapters.db import models as m
from rammeaftale.adapters.db.engine import make_engine, migrate
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.domain.accounts import EntryKind
from rammeaftale.domain.accounts_submission import AccountsSubmission, build_accounts_submission
from rammeaftale.domain.registry import OfferStatus, OfferVersion
from rammeaftale.services import accounts_queries, reserves
from rammeaftale.services.accounts import submit_accounts
from rammeaftale.services.context import Actor, Clock
from rammeaftale.services.errors import InvalidSubmission, NotFound
from rammeaftale.services.registry import change_offer
from tests.conftest import fixed_clock
from tests.integration.helpers import login

SPRING_2024 = fixed_clock(datetime(2024, 3, 1, 9, 0, tzinfo=UTC))  # before the 2023 accounts deadline (1 May)
SUMMER_2024 = fixed_clock(datetime(2024, 6, 3, 9, 0, tzinfo=UTC))  # after it
RULESETS = {2023: "nordjylland-2023-2024", 2024: "nordjylland-2023-2024", 2025: "nordjylland-2025-2026"}
RULESETS |= {2026: "nordjylland-2025-2026", 2027: "nordjylland-2027-2028", 2028: "nordjylland-2027-2028"}


def accounts(
    code: str = "N-851-01", year: int = 2023, costs: str = "11050000", income: str = "12000000", **changes: Any
) -> AccountsSubmission:
    """Accounts in the public JSON shape: by default the handbook's § 7 surplus (950,000 kr on 12,000,000 kr)."""
    data: dict[str, Any] = {
        "ruleset": RULESETS[year],
        "accounts_year": year,
        "offer_code": code,
        "level": "offer",
        "costs": {"personnel": {"citizen_related_staff": costs}},
        "income": {"tariff_income": income},
        "cost_base": "12000000",
    }
    data.update(changes)
    submission, findings = build_accounts_submission({k: v for k, v in data.items() if v is not None})
    assert submission is not None, findings
    return submission


def offer_id(engine: Engine, code: str) -> int:
    with UnitOfWork(engine) as uow:
        offer = uow.offers.by_code(code)
        assert offer is not None
        return offer.id


def submit(engine: Engine, actor: Actor, submission: AccountsSubmission, clock: Clock = SPRING_2024, **kw: Any) -> int:
    with UnitOfWork(engine) as uow:
        return submit_accounts(
            uow, actor, clock, offer_id(engine, submission.offer_code), submission, "json", **kw
        ).accounts_id


def due(engine: Engine, code: str, year: int) -> Decimal | None:
    with UnitOfWork(engine) as uow:
        return accounts_queries.regulation_due(uow, offer_id(engine, code), year)


def ledger(engine: Engine, actor: Actor) -> reserves.LedgerView:
    assert actor.organisation_id is not None
    with UnitOfWork(engine) as uow:
        return reserves.operator_ledger(uow, actor, actor.organisation_id)


def count(engine: Engine, table: type[m.Base]) -> int:
    with UnitOfWork(engine) as uow:
        return uow.session.scalar(select(func.count()).select_from(table)) or 0


def refused(engine: Engine, statement: str, **params: object) -> str:
    with pytest.raises(IntegrityError) as exc, engine.begin() as conn:
        conn.execute(text(statement), params)
    return str(exc.value.orig)


# --- the handbook's example and the deficit --------------------------------------------------------------


def test_r_sur_01_and_r_sur_03_the_handbook_surplus_reserves_600000_and_lowers_the_tariff_by_350000_in_year_plus_2(
    demo,
):
    operator = login(demo, "drift.aalborg")
    accounts_id = submit(demo, operator, accounts())
    with UnitOfWork(demo) as uow:
        detail = accounts_queries.accounts_detail(uow, operator, accounts_id)
    a = detail.accounts
    assert (a.cost_base, a.cost_base_source) == (Decimal("12000000.00"), "stated")
    assert (a.result, a.kind, a.percent) == (Decimal("950000.00"), "surplus", Decimal("7.92"))
    assert (a.within_limit, a.excess, a.tariff_effect, a.due_year) == (
        Decimal("600000.00"),
        Decimal("350000.00"),
        Decimal("-350000.00"),
        2025,
    )
    assert a.reserved == Decimal("600000.00") and a.current and a.version == 1 and not a.late
    assert [(r.kind, r.budget_year, r.total) for r in detail.regulations] == [("tariff", 2025, Decimal("-350000.00"))]
    assert due(demo, "N-851-01", 2025) == Decimal("-350000.00")
    view = ledger(demo, operator)
    assert [(line.kind, line.amount, line.origin_year, line.expiry_year) for line in view.lines] == [
        (EntryKind.CREATED, Decimal("600000.00"), 2023, 2028)
    ]
    assert view.lines[0].accounts_submission_id == accounts_id
    assert view.balance == Decimal("600000.00") == view.by_origin_year[2023]


def test_a_smaller_reserve_than_allowed_puts_the_rest_of_the_surplus_into_the_tariff_too(demo):
    operator = login(demo, "drift.aalborg")
    submit(demo, operator, accounts(reserve_requested="500000"))
    assert ledger(demo, operator).balance == Decimal("500000.00")
    assert due(demo, "N-851-01", 2025) == Decimal("-450000.00")


def test_r_sur_04_and_r_sur_05_a_deficit_of_720000_on_10_million_raises_the_tariff_by_220000(demo):
    operator = login(demo, "drift.regionnord")
    submission = accounts("N-1081-01", costs="10720000", income="10000000", cost_base="10000000")
    accounts_id = submit(demo, operator, submission)
    with UnitOfWork(demo) as uow:
        a = accounts_queries.accounts_detail(uow, operator, accounts_id).accounts
    assert (a.kind, a.percent, a.within_limit, a.excess) == (
        "deficit",
        Decimal("7.20"),
        Decimal("500000.00"),
        Decimal("220000.00"),
    )
    assert due(demo, "N-1081-01", 2025) == Decimal("220000.00")
    assert ledger(demo, operator).lines == []  # the operator covers 500,000 kr itself


def test_r_new_02_a_new_offers_first_year_deficit_excess_is_spread_over_three_budget_years(demo):
    operator = login(demo, "drift.regionnord")
    submit(
        demo, operator, accounts("N-1081-01", costs="10720000", income="10000000", cost_base="10000000", new_offer=True)
    )
    parts = [due(demo, "N-1081-01", year) for year in (2025, 2026, 2027)]
    assert parts == [Decimal("73333.34"), Decimal("73333.33"), Decimal("73333.33")]
    assert sum(p for p in parts if p is not None) == Decimal("220000.00")


def test_the_cost_base_is_the_approved_tariffs_when_there_is_one(demo):
    operator = login(demo, "drift.aalborg")
    with UnitOfWork(demo) as uow:
        offer = uow.offers.by_code("N-851-01")
        assert offer is not None
        tariff = uow.submissions.latest(offer.services[0].id, 2025, ("approved", "published"))
        assert tariff is not None
        base, tariff_id = tariff.cost_base, tariff.id
    accounts_id = submit(
        demo, operator, accounts(year=2025, cost_base="1"), fixed_clock(datetime(2026, 3, 2, tzinfo=UTC))
    )
    with UnitOfWork(demo) as uow:
        a = accounts_queries.accounts_detail(uow, operator, accounts_id).accounts
    assert (a.cost_base, a.cost_base_source, a.cost_base_submissions) == (base, "tariff", [tariff_id])
    assert any(f["field"] == "cost_base" and f["severity"] == "warning" for f in a.findings)


def test_r_sur_07_an_early_repayment_is_shared_by_the_buyers_purchases_and_the_rest_lowers_the_tariff(demo):
    operator = login(demo, "drift.aalborg")
    with UnitOfWork(demo) as uow:
        thisted, hjoerring = uow.organisations.by_kommunekode(787), uow.organisations.by_kommunekode(860)
        assert thisted is not None and hjoerring is not None
    purchases = {thisted.id: Decimal("2000000"), hjoerring.id: Decimal("1000000")}
    accounts_id = submit(demo, operator, accounts(early_repayment="100000"), purchases=purchases)
    with UnitOfWork(demo) as uow:
        detail = accounts_queries.accounts_detail(uow, operator, accounts_id)
    repaid = {r.buyer_id: r.amount for r in detail.regulations if r.kind == "repayment"}
    assert repaid == {thisted.id: Decimal("-66666.67"), hjoerring.id: Decimal("-33333.33")}
    assert {r.budget_year for r in detail.regulations if r.kind == "repayment"} == {2024}
    assert due(demo, "N-851-01", 2025) == Decimal("-250000.00")
    assert detail.accounts.early_repayment == Decimal("100000.00")


def test_r_sur_07_an_early_repayment_without_purchases_is_refused_and_nothing_is_saved(demo):
    operator = login(demo, "drift.aalborg")
    with pytest.raises(InvalidSubmission) as exc:
        submit(demo, operator, accounts(early_repayment="100000"))
    assert "R-SUR-07" in {f.rule_id for f in exc.value.findings}
    assert count(demo, m.AccountsSubmissionRow) == 0


# --- corrections, levels, deadlines ---------------------------------------------------------------------


def test_a_correction_is_a_new_version_with_a_reason_whose_regulations_replace_the_earlier_ones(demo):
    operator = login(demo, "drift.aalborg")
    first = submit(demo, operator, accounts())
    with pytest.raises(InvalidSubmission) as exc:
        submit(demo, operator, accounts(costs="11000000"))
    assert {f.field for f in exc.value.findings} == {"reason"}
    second = submit(demo, operator, accounts(costs="11000000"), reason="Revisionens bemærkninger")
    with UnitOfWork(demo) as uow:
        _offer, versions = accounts_queries.offer_accounts(uow, operator, offer_id(demo, "N-851-01"))
    assert [(v.id, v.version, v.current, v.supersedes_id) for v in versions] == [
        (second, 2, True, first),
        (first, 1, False, None),
    ]
    assert versions[0].correction_reason == "Revisionens bemærkninger"
    assert due(demo, "N-851-01", 2025) == Decimal("-400000.00")  # only the current version's regulation counts
    assert count(demo, m.AccountsRegulationRow) == 2  # the first version's row is still there
    assert ledger(demo, operator).balance == Decimal("600000.00")  # the reserve was booked once
    with UnitOfWork(demo) as uow:
        actions = [e.action for e in uow.audit.for_entity("accounts_submission", str(second))]
        entry = uow.audit.for_entity("accounts_submission", str(second))[0]
    assert actions == ["accounts.corrected"]
    assert (
        entry.data["before"]["tariff_effect"] == "-350000.00" and entry.data["after"]["tariff_effect"] == "-400000.00"
    )


def test_r_sur_01_a_correction_cannot_take_back_a_reserve_already_booked(demo):
    operator = login(demo, "drift.aalborg")
    submit(demo, operator, accounts())
    with pytest.raises(InvalidSubmission) as exc:
        submit(demo, operator, accounts(costs="12500000"), reason="Fejl i indtægterne")  # now a deficit
    assert "R-SUR-01" in {f.rule_id for f in exc.value.findings}
    assert count(demo, m.AccountsSubmissionRow) == 1


def test_r_acc_01_accounts_at_another_level_than_earlier_years_are_refused(demo):
    operator = login(demo, "drift.aalborg")
    submit(demo, operator, accounts())
    group = accounts(year=2024, level="target_group", target_group="Voksne med udviklingshæmning")
    with pytest.raises(InvalidSubmission) as exc:
        submit(demo, operator, group, fixed_clock(datetime(2025, 3, 3, tzinfo=UTC)))
    assert [(f.rule_id, f.field) for f in exc.value.findings if f.is_error] == [("R-ACC-01", "level")]
    assert count(demo, m.AccountsSubmissionRow) == 1


def test_r_cyc_01_accounts_after_the_deadline_are_stored_flagged_late_and_the_missing_are_listed(demo):
    operator, secretariat = login(demo, "drift.aalborg"), login(demo, "sekretariat.nord")
    accounts_id = submit(demo, operator, accounts(), SUMMER_2024)
    with UnitOfWork(demo) as uow:
        a = accounts_queries.accounts_detail(uow, operator, accounts_id).accounts
        before = accounts_queries.region_accounts(uow, secretariat, 1081, 2023, date(2024, 4, 30))
        after = accounts_queries.region_accounts(uow, secretariat, 1081, 2023, date(2024, 6, 3))
    assert a.late and "R-CYC-01" in {f["rule_id"] for f in a.findings}
    assert [line.offer.offer_code for line in after.late] == ["N-851-01"]
    assert before.missing == [] and before.not_received
    codes = {r.offer_code for r in after.missing}
    assert "N-851-01" not in codes and "N-1081-01" in codes
    assert [line.offer.offer_code for line in after.beyond_limit] == ["N-851-01"]
    assert [(d.budget_year, d.total) for d in after.regulations_due] == [(2025, Decimal("-350000.00"))]


def test_regulation_due_is_none_without_accounts_and_zero_when_nothing_is_due_that_year(demo):
    operator = login(demo, "drift.aalborg")
    assert due(demo, "N-851-01", 2025) is None
    submit(demo, operator, accounts(costs="11500000"))  # 500,000 kr surplus: all within the limit
    assert due(demo, "N-851-01", 2025) == Decimal("0")


# --- access ----------------------------------------------------------------------------------------------


def test_another_organisations_offer_answers_not_found_and_nothing_is_saved(demo):
    other = login(demo, "drift.hjoerring")
    with pytest.raises(NotFound):
        submit(demo, other, accounts())
    with UnitOfWork(demo) as uow, pytest.raises(NotFound):
        accounts_queries.offer_accounts(uow, other, offer_id(demo, "N-851-01"))
    with UnitOfWork(demo) as uow, pytest.raises(NotFound):
        reserves.operator_ledger(uow, other, login(demo, "drift.aalborg").organisation_id or 0)
    with UnitOfWork(demo) as uow, pytest.raises(NotFound):
        accounts_queries.region_accounts(uow, login(demo, "sekretariat.midt"), 1081, 2023, date(2024, 6, 3))
    assert count(demo, m.AccountsSubmissionRow) == 0


def test_the_secretariat_reads_its_regions_accounts_and_ledgers(demo):
    operator, secretariat = login(demo, "drift.aalborg"), login(demo, "sekretariat.nord")
    accounts_id = submit(demo, operator, accounts())
    with UnitOfWork(demo) as uow:
        assert accounts_queries.accounts_detail(uow, secretariat, accounts_id).accounts.id == accounts_id
        assert reserves.operator_ledger(uow, secretariat, operator.organisation_id or 0).balance == Decimal("600000")
    with UnitOfWork(demo) as uow, pytest.raises(NotFound):
        accounts_queries.accounts_detail(uow, login(demo, "sekretariat.midt"), accounts_id)


def test_accounts_with_errors_save_nothing_and_report_every_finding(demo):
    operator = login(demo, "drift.aalborg")
    wrong = accounts(offer_code="N-860-01", ruleset="nordjylland-2025-2026", reserve_requested="700000")
    with UnitOfWork(demo) as uow, pytest.raises(InvalidSubmission) as exc:
        submit_accounts(uow, operator, SPRING_2024, offer_id(demo, "N-851-01"), wrong, "json")
    assert {(f.rule_id, f.field) for f in exc.value.findings} >= {
        ("R-ACC-01", "offer_code"),
        ("R-CYC-01", "ruleset"),
        ("R-SUR-01", "reserve_requested"),
    }
    assert (count(demo, m.AccountsSubmissionRow), count(demo, m.ReserveLedgerEntryRow)) == (0, 0)
    assert count(demo, m.AccountsRegulationRow) == 0


# --- the ledger: use, expire, closure -------------------------------------------------------------------


def test_r_sur_02_a_reserve_is_used_in_a_covered_offer_and_never_beyond_its_balance(demo):
    operator = login(demo, "drift.aalborg")
    submit(demo, operator, accounts())
    fjordgaarden = offer_id(demo, "N-851-01")
    with UnitOfWork(demo) as uow:
        reserves.use_reserve(uow, operator, SPRING_2024, fjordgaarden, Decimal("200000"), "Kvalitetsudvikling", 2025)
    with UnitOfWork(demo) as uow, pytest.raises(InvalidSubmission) as exc:
        reserves.use_reserve(uow, operator, SPRING_2024, fjordgaarden, Decimal("400000.01"), year=2025)
    assert {f.rule_id for f in exc.value.findings} == {"R-SUR-02"}
    view = ledger(demo, operator)
    assert [line.amount for line in view.lines] == [Decimal("600000.00"), Decimal("-200000.00")]
    assert view.balance == Decimal("400000.00") == sum(line.amount for line in view.lines)


def test_r_sur_02_an_unused_reserve_expires_into_the_next_tariff_as_a_reduction_once(demo):
    operator, secretariat = login(demo, "drift.aalborg"), login(demo, "sekretariat.nord")
    submit(demo, operator, accounts())
    with UnitOfWork(demo) as uow:
        assert reserves.expire_reserves(uow, secretariat, SPRING_2024, 1081, 2028) == []  # 2028 is its last year
    with UnitOfWork(demo) as uow:
        expired = reserves.expire_reserves(uow, secretariat, SPRING_2024, 1081, 2029)
    assert [(e.amount, e.expiry_year, e.due_year) for e in expired] == [(Decimal("600000.00"), 2028, 2029)]
    with UnitOfWork(demo) as uow:
        assert reserves.expire_reserves(uow, secretariat, SPRING_2024, 1081, 2029) == []
    assert ledger(demo, operator).balance == Decimal("0")
    assert due(demo, "N-851-01", 2029) == Decimal("-600000.00")


def test_r_clo_01_a_closing_offers_whole_reserve_moves_to_another_covered_offer_of_the_operator(demo):
    operator = login(demo, "drift.regionnord")
    submit(demo, operator, accounts("N-1081-01"))
    bakkehuset, raadgivningen = offer_id(demo, "N-1081-01"), offer_id(demo, "N-1081-02")
    with UnitOfWork(demo) as uow, pytest.raises(InvalidSubmission) as exc:
        reserves.transfer_on_closure(uow, operator, SPRING_2024, bakkehuset, raadgivningen)
    assert {f.rule_id for f in exc.value.findings} == {"R-CLO-01"}  # not closing yet
    with UnitOfWork(demo) as uow:
        change_offer(uow, operator, SPRING_2024, bakkehuset, date(2024, 7, 1), "Lukning (fiktiv)", status="closing")
    with UnitOfWork(demo) as uow, pytest.raises(InvalidSubmission):
        reserves.transfer_on_closure(uow, operator, SPRING_2024, bakkehuset, offer_id(demo, "N-851-01"))
    with UnitOfWork(demo) as uow:
        moved = reserves.transfer_on_closure(uow, operator, SPRING_2024, bakkehuset, raadgivningen)
    view = ledger(demo, operator)
    assert moved == Decimal("600000.00")
    assert view.by_offer == {bakkehuset: Decimal("0.00"), raadgivningen: Decimal("600000.00")}
    assert view.balance == Decimal("600000.00")
    assert [(lot.offer_id, lot.origin_year, lot.expiry_year) for lot in view.lots] == [(raadgivningen, 2023, 2028)]


# --- database guards --------------------------------------------------------------------------------------


def test_the_database_refuses_update_and_delete_of_accounts_regulations_and_ledger_entries(demo):
    operator = login(demo, "drift.aalborg")
    first = submit(demo, operator, accounts())
    submit(demo, operator, accounts(costs="11000000"), reason="Rettelse")
    regulation = count(demo, m.AccountsRegulationRow)
    for table, column in (
        ("accounts_submissions", "remarks = 'x'"),
        ("accounts_regulations", "amount = 0"),
        ("reserve_ledger_entries", "amount = 1"),
    ):
        for row_filter in ("", f" WHERE id = {first}" if table == "accounts_submissions" else ""):
            assert "kan ikke ændres" in refused(demo, f"UPDATE {table} SET {column}{row_filter}")
            assert "kan ikke slettes" in refused(demo, f"DELETE FROM {table}{row_filter}")
        if demo.dialect.name == "postgresql":
            refused(demo, f"TRUNCATE {table} CASCADE")
    assert count(demo, m.AccountsRegulationRow) == regulation
    assert count(demo, m.AccountsSubmissionRow) == 2 and count(demo, m.ReserveLedgerEntryRow) == 1


# --- a property over random ledgers (SQLite) ------------------------------------------------------------


@pytest.fixture(scope="module")
def small_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One region, one municipal operator with two covered offers and a user: built once, copied per example."""
    path = tmp_path_factory.mktemp("ledger") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    now = datetime(2023, 1, 2, tzinfo=UTC)
    with UnitOfWork(engine) as uow:
        region = uow.organisations.add("region", "Region Nordjylland", 1081, None, None)
        operator = uow.organisations.add("municipality", "Aalborg Kommune", 1081, 851, None)
        for code, name in (("P-1", "Første"), ("P-2", "Andet")):
            version = OfferVersion(
                date(2023, 1, 1), None, name, "SEL § 108", ("Voksne",), "24h", 3, Decimal(10), Decimal(10),
                OfferStatus.ACTIVE, None, None, False,
            )  # fmt: skip
            uow.offers.add(code, operator, version, now)
        uow.users.add("drift", "Drift", "x", "operator", operator)
        uow.users.add("sekretariat", "Sekretariat", "x", "secretariat", region)
        uow.commit()
    engine.dispose()
    return path


@contextmanager
def copied(template: Path, folder: Path) -> Iterator[Engine]:
    target = folder / f"ledger-{uuid.uuid4().hex}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{template}{suffix}").exists():
            shutil.copy(f"{template}{suffix}", f"{target}{suffix}")
    engine = make_engine(f"sqlite:///{target}")
    try:
        yield engine
    finally:
        engine.dispose()


STEP = st.one_of(
    st.tuples(st.just("create"), st.sampled_from(["P-1", "P-2"]), st.integers(2023, 2027), st.integers(0, 2_000_000)),
    st.tuples(st.just("use"), st.sampled_from(["P-1", "P-2"]), st.integers(2024, 2030), st.integers(1, 900_000)),
    st.tuples(st.just("expire"), st.just(""), st.integers(2024, 2034), st.just(0)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=8))
def test_r_sur_02_the_ledger_balance_is_the_sum_of_its_entries_and_never_negative_through_any_sequence(
    small_registry: Path, tmp_path: Path, steps: list[tuple[str, str, int, int]]
) -> None:
    with copied(small_registry, tmp_path) as engine:
        with UnitOfWork(engine) as uow:
            user, boss = uow.users.by_username("drift"), uow.users.by_username("sekretariat")
            assert user is not None and boss is not None
            operator = Actor(user.id, "drift", "operator", user.organisation_id, 1081)
            secretariat = Actor(boss.id, "sekretariat", "secretariat", boss.organisation_id, 1081)
        for kind, code, year, amount in steps:
            clock = fixed_clock(datetime(year + 1, 3, 1, tzinfo=UTC))
            try:
                with UnitOfWork(engine) as uow:
                    if kind == "create":
                        surplus = accounts(code, year, costs=str(12_000_000 - amount))
                        submit_accounts(uow, operator, clock, offer_id(engine, code), surplus, "json", reason="Ny")
                    elif kind == "use":
                        reserves.use_reserve(uow, operator, clock, offer_id(engine, code), Decimal(amount), year=year)
                    else:
                        reserves.expire_reserves(uow, secretariat, clock, 1081, year)
            except InvalidSubmission:
                pass  # refused by the rules: nothing changed
            view = ledger(engine, operator)
            assert view.balance == sum((line.amount for line in view.lines), Decimal(0))
            assert (
                view.balance == sum(view.by_origin_year.values(), Decimal(0)) == sum(view.by_offer.values(), Decimal(0))
            )
            assert view.balance >= 0 and all(lot.balance > 0 for lot in view.lots)
            assert view.balance == sum((lot.balance for lot in view.lots), Decimal(0))


def test_r_sur_07_without_entered_purchases_an_early_repayment_is_shared_by_what_billing_invoiced_that_year(demo):
    from rammeaftale.services.billing import run_month
    from rammeaftale.services.context import SYSTEM

    operator = login(demo, "drift.aalborg")
    spring_2026 = fixed_clock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    assert operator.organisation_id is not None
    with UnitOfWork(demo) as uow:
        for month in (1, 2, 3):  # the demo's 2025 placements, billed for the first quarter
            run_month(uow, SYSTEM, spring_2026, operator.organisation_id, 2025, month)
    with UnitOfWork(demo) as uow:
        billed = uow.billing.purchases_of_offer(offer_id(demo, "N-851-01"), 2025)
    assert billed and all(total > 0 for total in billed.values())
    accounts_id = submit(demo, operator, accounts(year=2025, early_repayment="30000"), clock=spring_2026)
    with UnitOfWork(demo) as uow:
        detail = accounts_queries.accounts_detail(uow, operator, accounts_id)
        payers = {uow.organisations.get(r.buyer_id).kommunekode: r for r in detail.regulations if r.kind == "repayment"}
    assert set(payers) == set(billed)
    assert sum(r.amount for r in payers.values()) == Decimal("-30000.00")  # the shares add up exactly
    assert {code: r.purchases for code, r in payers.items()} == billed
