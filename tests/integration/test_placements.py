"""Issue 5, placements: CPR numbers only encrypted, the parties' workflow, import, scoping, and the billing run's read.

On SQLite and PostgreSQL, with the demo loaded (its 2025 placements are ``demo_placements.PLACEMENTS``).
Every CPR number here is invented.
"""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, event, func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from rammeaftale.adapters.cpr_vault import vault_from_setting
from rammeaftale.adapters.db import models as m
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.adapters.rulesets import get_ruleset
from rammeaftale.demo_placements import EVENING_ATA, PLACEMENTS, _weekends, demo_placement_id
from rammeaftale.domain.cpr import parse_cpr, passes_modulus_11
from rammeaftale.domain.notice import Contract, Notice, OfferKind
from rammeaftale.domain.periods import TariffRate
from rammeaftale.domain.settlement import AtaSupplement, Delivery, LineKind, Placement, bill_month
from rammeaftale.services import placement_supplements, placements, placements_import, placements_queries
from rammeaftale.services.context import Actor
from rammeaftale.services.errors import Conflict, Forbidden, InvalidSubmission, NotFound
from rammeaftale.services.placement_supplements import SupplementInput
from rammeaftale.services.placements_input import read_fields
from tests.integration.helpers import NOW, login

NEW_CPR = "111280-1234"  # fails the modulus-11 check, and is valid
DEMO_CPRS = [p.cpr for p in PLACEMENTS]


def register(engine: Engine, username: str = "koeb.thisted", **fields: Any) -> str:
    data = {"cpr": NEW_CPR, "offer_code": "N-851-01", "acting_municipality": 787, "start_date": "2026-03-01"}
    data.update(fields)
    placement, findings = read_fields(data)
    with UnitOfWork(engine) as uow:
        return placements.register_placement(uow, login(engine, username), NOW, placement, findings).placement_id


def confirm(engine: Engine, placement_id: str, username: str = "drift.aalborg") -> None:
    with UnitOfWork(engine) as uow:
        placements.confirm_placement(uow, login(engine, username), NOW, placement_id)


def row(engine: Engine, placement_id: str) -> m.PlacementRow:
    with UnitOfWork(engine) as uow:
        found = uow.session.scalar(select(m.PlacementRow).where(m.PlacementRow.placement_id == placement_id))
        assert found is not None
        uow.session.expunge(found)
        return found


def organisation_actor(engine: Engine, kommunekode: int, role: str) -> Actor:
    with UnitOfWork(engine) as uow:
        org = uow.organisations.by_kommunekode(kommunekode) or uow.organisations.region(kommunekode)
        assert org is not None
        return Actor(None, f"test-{kommunekode}", role, org.id, org.region_code)


def operator_id(engine: Engine, code: int) -> int:
    with UnitOfWork(engine) as uow:
        org = uow.organisations.by_kommunekode(code) or uow.organisations.region(code)
        assert org is not None
        return org.id


def every_value_in_the_database(engine: Engine) -> list[tuple[str, str, str]]:
    """(table, column, value as text) of every value of every column of every table."""
    found = []
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            result = conn.execute(text(f'SELECT * FROM "{table}"'))
            columns = list(result.keys())
            for values in result:
                found += [(table, c, str(v)) for c, v in zip(columns, values, strict=True) if v is not None]
    return found


# --- CPR numbers at rest ---------------------------------------------------------------------------------


def test_cpr_numbers_are_stored_only_encrypted_and_no_column_of_any_table_holds_one_in_plain_text(demo):
    placement_id = register(demo)
    stored = row(demo, placement_id)
    with UnitOfWork(demo) as uow:
        view = uow.placements.get(placement_id)
        assert view is not None and view.masked_cpr == "111280-xxxx"
        assert uow.placements.reveal(view).formatted == NEW_CPR  # the round trip
        assert stored.cpr_key_id == uow.placements.vault.current_key_id
    hits = []
    for table, column, value in every_value_in_the_database(demo):
        for cpr in [NEW_CPR, *DEMO_CPRS]:
            if cpr in value or cpr.replace("-", "") in value:
                hits.append((table, column))
    assert hits == []
    assert len(every_value_in_the_database(demo)) > 1000  # the scan read the whole database


def test_a_citizens_placements_are_found_by_the_keyed_hmac_of_the_cpr_number_without_decrypting(demo):
    first = register(demo)
    second = register(demo, offer_code="N-787-01", start_date="2026-04-01")
    with UnitOfWork(demo) as uow:
        lookups = uow.placements.vault.lookups(parse_cpr(NEW_CPR))
        by_sql = uow.session.scalars(
            select(m.PlacementRow.placement_id).where(m.PlacementRow.cpr_lookup.in_(lookups))
        ).all()
    assert sorted(by_sql) == sorted([first, second])
    with UnitOfWork(demo) as uow:
        found = placements_queries.find_placements(uow, login(demo, "koeb.thisted"), NOW, "1112801234")
    assert [v.placement.placement_id for v in found] == [second, first]
    with UnitOfWork(demo) as uow:  # another organisation finds nothing, and learns nothing
        assert placements_queries.find_placements(uow, login(demo, "koeb.herning"), NOW, NEW_CPR) == []
        assert placements_queries.find_placements(uow, login(demo, "drift.hjoerring"), NOW, NEW_CPR) == []


def test_a_cpr_number_failing_the_modulus_11_check_is_accepted_and_only_form_and_date_are_checked(demo):
    assert not passes_modulus_11(parse_cpr(NEW_CPR))
    assert row(demo, register(demo)).status == "registered"
    for wrong, says in (("311380-1234", "gyldig dato"), ("11128-01234", "DDMMÅÅ-SSSS")):
        with pytest.raises(InvalidSubmission) as refused:
            register(demo, cpr=wrong)
        (finding,) = refused.value.findings
        assert says in finding.message and finding.source == "$.cpr"
        assert wrong not in finding.message and wrong.replace("-", "")[:6] not in finding.message


# --- the parties' workflow ---------------------------------------------------------------------------------


def test_the_buyer_registers_and_the_operator_of_the_offer_confirms_r_set_01(demo):
    placement_id = register(demo, paying_municipality=773, contract="older")
    stored = row(demo, placement_id)
    assert (stored.status, stored.acting_municipality, stored.paying_municipality, stored.contract) == (
        "registered",
        787,
        773,
        "older",
    )
    with UnitOfWork(demo) as uow, pytest.raises(NotFound):
        placements.confirm_placement(uow, login(demo, "drift.hjoerring"), NOW, placement_id)
    with UnitOfWork(demo) as uow, pytest.raises(Forbidden):
        placements.confirm_placement(uow, organisation_actor(demo, 773, "buyer"), NOW, placement_id)
    confirm(demo, placement_id)
    confirmed = row(demo, placement_id)
    assert confirmed.status == "confirmed" and confirmed.confirmed_by == login(demo, "drift.aalborg").user_id
    with UnitOfWork(demo) as uow, pytest.raises(Conflict):
        placements.confirm_placement(uow, login(demo, "drift.aalborg"), NOW, placement_id)
    refused = register(demo, cpr="020280-1111")
    with UnitOfWork(demo) as uow:
        placements.refuse_placement(uow, login(demo, "drift.aalborg"), NOW, refused, "Ingen plads til 020280-1111")
    assert (row(demo, refused).status, row(demo, refused).refusal_reason) == ("refused", "Ingen plads til xxxxxx-xxxx")


def test_only_the_buyers_own_municipality_can_be_the_acting_one_and_nothing_is_saved_otherwise_r_set_01(demo):
    with UnitOfWork(demo) as uow:
        before = uow.session.scalar(select(func.count()).select_from(m.PlacementRow))
    with pytest.raises(InvalidSubmission) as refused:
        register(demo, acting_municipality=773, paying_municipality=9999, start_date="1999-12-31")
    rules = {(f.rule_id, f.field) for f in refused.value.findings}
    assert {
        ("R-SET-01", "acting_municipality"),
        ("R-SET-01", "paying_municipality"),
        ("R-SET-04", "start_date"),
    } <= rules
    with pytest.raises(Forbidden):
        register(demo, username="drift.aalborg")
    with UnitOfWork(demo) as uow:
        assert uow.session.scalar(select(func.count()).select_from(m.PlacementRow)) == before


def test_a_level_and_a_published_daily_tariff_or_a_negotiated_one_are_required_r_set_03(demo):
    with pytest.raises(InvalidSubmission) as refused:
        register(demo, username="koeb.herning", acting_municipality=657, offer_code="M-1082-01")
    assert [(f.rule_id, f.field) for f in refused.value.findings] == [("R-SET-03", "level")]
    with pytest.raises(InvalidSubmission) as refused:
        register(demo, offer_code="N-1081-02")  # an hourly tariff is no daily tariff
    assert [(f.rule_id, f.field) for f in refused.value.findings] == [("R-SET-03", "negotiated_tariff")]
    assert register(demo, offer_code="N-1081-02", negotiated_tariff="310,00", offer_kind="substitution")
    with pytest.raises(InvalidSubmission) as refused:
        register(demo, offer_code="N-851-01", respite_granted_days=["2026-03-06"])
    assert [f.rule_id for f in refused.value.findings] == ["R-SET-09"]


def test_the_buyer_gives_notice_with_a_final_date_and_the_operator_closes_acutely_r_set_04_r_set_10(demo):
    placement_id = register(demo, start_date="2026-01-05")
    buyer, operator = login(demo, "koeb.thisted"), login(demo, "drift.aalborg")
    with UnitOfWork(demo) as uow, pytest.raises(Conflict):  # registered, not yet confirmed
        placements.give_notice(uow, buyer, NOW, placement_id, date(2026, 12, 31))
    confirm(demo, placement_id)
    with UnitOfWork(demo) as uow, pytest.raises(Forbidden):
        placements.give_notice(uow, operator, NOW, placement_id, date(2026, 12, 31))
    with UnitOfWork(demo) as uow, pytest.raises(InvalidSubmission):
        placements.give_notice(uow, buyer, NOW, placement_id, date(2025, 12, 31))  # before the start date
    with UnitOfWork(demo) as uow:
        placements.give_notice(uow, buyer, NOW, placement_id, date(2026, 12, 31), "provisional")
    with UnitOfWork(demo) as uow:
        placements.agree_to_notice(uow, operator, NOW, placement_id)
    with UnitOfWork(demo) as uow:
        placements.give_notice(uow, buyer, NOW, placement_id, date(2026, 12, 15))
    with UnitOfWork(demo) as uow, pytest.raises(Conflict):
        placements.give_notice(uow, buyer, NOW, placement_id, date(2026, 12, 20))
    with UnitOfWork(demo) as uow, pytest.raises(Forbidden):
        placements.give_notice(uow, buyer, NOW, placement_id, date(2026, 12, 1), "acute_closure")
    with UnitOfWork(demo) as uow:
        placements.give_notice(uow, operator, NOW, placement_id, date(2026, 12, 1), "acute_closure")
    stored = row(demo, placement_id)
    assert (stored.notice_given_on, stored.notice_final_date, stored.notice_kind) == (
        date(2026, 11, 22),
        date(2026, 12, 1),
        "acute_closure",
    )
    with UnitOfWork(demo) as uow:
        mapped = dict(
            (p.placement_id, p)
            for _, p in uow.placements.billable(operator.organisation_id or 0, date(2026, 12, 1), date(2026, 12, 31))
        )
    assert mapped[placement_id].notice == Notice(
        date(2026, 11, 22), date(2026, 12, 1), acute_closure=True, operator_agrees=True
    )


def test_every_change_is_audited_with_before_and_after_by_placement_id_and_no_cpr_number(demo):
    placement_id = register(demo)
    confirm(demo, placement_id)
    with UnitOfWork(demo) as uow:
        placements.give_notice(uow, login(demo, "koeb.thisted"), NOW, placement_id, date(2026, 12, 31))
    with UnitOfWork(demo) as uow:
        entries = uow.audit.for_entity("placement", placement_id)
        everything = [json.dumps(e.data) for e in uow.session.scalars(select(m.AuditEntry))]
    assert [e.action for e in entries] == ["placement.registered", "placement.confirmed", "placement.notice_given"]
    assert entries[0].data["before"] is None and entries[0].data["after"]["status"] == "registered"
    assert entries[1].data["before"] == {"status": "registered"} and entries[1].data["after"] == {"status": "confirmed"}
    assert entries[2].data["after"]["notice"] == {"given_on": "2026-11-22", "final_date": "2026-12-31", "kind": "final"}
    for cpr in [NEW_CPR, *DEMO_CPRS]:
        assert not [d for d in everything if cpr in d or cpr.replace("-", "") in d or f"{cpr[:6]}-xxxx" in d], cpr


def test_placements_and_their_supplements_are_never_deleted_and_their_identity_never_changes(demo):
    pk = row(demo, demo_placement_id(1)).id
    for statement in (
        f"DELETE FROM placement_supplements WHERE placement_pk = {pk}",
        f"DELETE FROM placements WHERE id = {pk}",
        f"UPDATE placements SET placement_id = 'P-AAAAAAAAAA' WHERE id = {pk}",
        f"UPDATE placements SET operator_id = operator_id + 1 WHERE id = {pk}",
    ):
        with pytest.raises(IntegrityError), demo.begin() as conn:
            conn.execute(text(statement))
    with demo.begin() as conn:  # a status or notice change is what the use cases do
        conn.execute(text(f"UPDATE placements SET notice_operator_agrees = notice_operator_agrees WHERE id = {pk}"))


# --- supplements ---------------------------------------------------------------------------------------------


def test_an_ata_supplement_gets_its_rate_from_the_hourly_cost_and_coefficients_r_sup_02(demo):
    placement_id = register(demo, paying_municipality=773)
    confirm(demo, placement_id)
    operator = login(demo, "drift.aalborg")
    ata = SupplementInput(
        kind="ata",
        name="Ekstra støtte",
        start=date(2026, 3, 2),
        hours_per_day=Decimal("1.5"),
        hourly_cost=Decimal("220.00"),
        absence_pct=Decimal("30"),
        time_coefficient_pct=Decimal("40"),
        time_of_day="aften",
    )
    with UnitOfWork(demo) as uow:
        added = placement_supplements.add_supplement(uow, operator, NOW, placement_id, ata)
    with UnitOfWork(demo) as uow:
        (stored,) = uow.placements.get(placement_id).supplements  # type: ignore[union-attr]
    assert (stored.hourly_rate, stored.variable_costs_pct) == (Decimal("385.00"), Decimal("5.00"))  # 220 × 1.75
    assert stored.to_domain() == AtaSupplement(
        "Ekstra støtte (aften)", date(2026, 3, 2), None, Decimal("1.5"), Decimal("385.00")
    )
    assert [f.rule_id for f in added.findings] == ["R-SUP-04"]  # Morsø pays, Thisted acts: tell the buyer
    with UnitOfWork(demo) as uow:
        placement_supplements.end_supplement(uow, operator, NOW, placement_id, added.supplement_id, date(2026, 6, 30))
    with UnitOfWork(demo) as uow, pytest.raises(InvalidSubmission) as refused:
        placement_supplements.add_supplement(
            uow, operator, NOW, placement_id, SupplementInput(kind="unit", name="Ridning")
        )
    assert {f.field for f in refused.value.findings} == {"unit_price", "deliveries"}
    with UnitOfWork(demo) as uow, pytest.raises(Forbidden):
        placement_supplements.add_supplement(uow, login(demo, "koeb.thisted"), NOW, placement_id, ata)
    with UnitOfWork(demo) as uow:
        assert uow.placements.get(placement_id).supplements[0].end == date(2026, 6, 30)  # type: ignore[union-attr]


def test_a_supplement_tells_the_buyer_only_when_the_paying_municipality_is_another_r_sup_04(demo):
    placement_id = register(demo)  # Thisted acts and pays
    confirm(demo, placement_id)
    unit = SupplementInput(
        kind="unit", name="Ridning", unit_price=Decimal("450.00"), deliveries=(Delivery(date(2026, 3, 10), Decimal(1)),)
    )
    with UnitOfWork(demo) as uow:
        added = placement_supplements.add_supplement(uow, login(demo, "drift.aalborg"), NOW, placement_id, unit)
    assert added.findings == ()


# --- import ------------------------------------------------------------------------------------------------


def test_an_import_registers_every_row_or_none_with_findings_by_row_and_column_and_no_cpr_number(demo):
    buyer = login(demo, "koeb.thisted")
    bad = (
        b"cpr;tilbud;handlekommune;betalingskommune;startdato;forhandlet takst\n"
        b"010280-1111;N-851-01;787;;01-03-2026;\n"
        b"310280-2222;N-851-01;787;773;01-03-2026;\n"
        b"030380-3333;N-851-01;773;;1.3.2026;abc\n"
        b"010280-1111;N-851-01;787;;01-04-2026;\n"
    )
    with UnitOfWork(demo) as uow, pytest.raises(InvalidSubmission) as refused:
        placements_import.import_placements(uow, buyer, NOW, bad, "c:\\fra\\indskrivninger.csv")
    found = {(f.rule_id, f.source, f.message) for f in refused.value.findings}
    assert (
        "§ 9",
        "indskrivninger.csv, række 3, kolonne cpr",
        "Rækkens CPR-nummer begynder ikke med en gyldig dato (DDMMÅÅ).",
    ) in found
    sources = {f.source for f in refused.value.findings}
    assert "indskrivninger.csv, række 4, kolonne forhandlet takst" in sources
    assert "indskrivninger.csv, række 5, kolonne cpr" in sources  # the same citizen twice in the service
    shown = json.dumps([(f.message, f.source) for f in refused.value.findings])
    for number in ("010280", "310280", "030380", "1111", "2222", "3333"):
        assert number not in shown
    with UnitOfWork(demo) as uow:
        assert uow.placements.with_cpr(parse_cpr("010280-1111")) == []
    good = bad.decode().splitlines()
    good_csv = "\n".join([good[0], good[1], "030380-3333;N-787-01;787;;1.3.2026;867,20"]).encode("cp1252")
    with UnitOfWork(demo) as uow:
        imported = placements_import.import_placements(uow, buyer, NOW, good_csv, "indskrivninger.csv")
    assert len(imported.placement_ids) == 2
    assert row(demo, imported.placement_ids[1]).negotiated_tariff == Decimal("867.20")
    assert row(demo, imported.placement_ids[0]).source == "csv"


def test_an_xlsx_import_goes_through_the_upload_guard_and_points_to_sheet_and_cell(demo):
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Indskrivninger"
    sheet.append(["CPR-nummer", "Tilbud", "Handlekommune", "Startdato", "Aflastningsdøgn"])
    sheet.append(["040480-4444", "N-860-01", 787, date(2026, 3, 6), "06-03-2026..08-03-2026 20-03-2026"])
    sheet.append(["050580-5555", "N-851-01", "=1+1", "01-03-2026", None])
    raw = io.BytesIO()
    workbook.save(raw)
    buyer = login(demo, "koeb.thisted")
    with UnitOfWork(demo) as uow, pytest.raises(InvalidSubmission) as refused:
        placements_import.import_placements(uow, buyer, NOW, raw.getvalue(), "liste.xlsx")
    formula = next(f for f in refused.value.findings if "formel" in f.message)
    assert formula.source == "liste.xlsx, ark Indskrivninger, celle C3" and "formel" in formula.message
    sheet.delete_rows(3)
    raw = io.BytesIO()
    workbook.save(raw)
    with UnitOfWork(demo) as uow:
        imported = placements_import.import_placements(uow, buyer, NOW, raw.getvalue(), "liste.xlsx")
    stored = row(demo, imported.placement_ids[0])
    assert stored.respite_granted_days == ["2026-03-06", "2026-03-07", "2026-03-08", "2026-03-20"]
    with UnitOfWork(demo) as uow, pytest.raises(InvalidSubmission, match=r"makro|xlsx|afvises|Excel"):
        placements_import.import_placements(uow, buyer, NOW, b"PK\x03\x04not a workbook", "liste.xlsm")


# --- scoping and reads -----------------------------------------------------------------------------------------


def test_a_buyer_sees_what_it_acts_or_pays_for_and_an_operator_the_placements_of_its_offers(demo):
    def ids(username: str | Actor) -> set[str]:
        actor = login(demo, username) if isinstance(username, str) else username
        with UnitOfWork(demo) as uow:
            return {
                v.placement.placement_id for v in placements_queries.list_placements(uow, actor, NOW, limit=500).views
            }

    numbered = list(enumerate(PLACEMENTS, start=1))
    thisted = {demo_placement_id(n) for n, p in numbered if 787 in (p.acting, p.paying)}
    assert ids("koeb.thisted") == thisted
    assert ids("koeb.herning") == {demo_placement_id(n) for n, p in numbered if 657 in (p.acting, p.paying)}
    assert ids("drift.aalborg") == {demo_placement_id(n) for n, p in numbered if p.offer == "N-851-01"}
    assert ids("drift.regionmidt") == {demo_placement_id(n) for n, p in numbered if p.offer.startswith("M-1082")}
    morsoe = organisation_actor(demo, 773, "buyer")
    assert demo_placement_id(2) in ids(morsoe)  # Morsø pays, Thisted acts
    with UnitOfWork(demo) as uow:
        view = placements_queries.get_placement(uow, morsoe, NOW, demo_placement_id(2))
        assert (view.party.paying, view.party.may_reveal_cpr, view.placement.masked_cpr) == (True, False, "020468-xxxx")
    with UnitOfWork(demo) as uow, pytest.raises(Forbidden):
        placements_queries.reveal_cpr(uow, morsoe, NOW, demo_placement_id(2))
    for role in ("secretariat", "board"):
        with UnitOfWork(demo) as uow, pytest.raises(Forbidden):
            placements_queries.list_placements(uow, organisation_actor(demo, 1081, role), NOW)


def test_another_organisation_gets_not_found_for_a_placement_as_for_one_that_does_not_exist(demo):
    existing = demo_placement_id(1)  # Fjordgården, Thisted
    for username in ("koeb.herning", "drift.hjoerring", "drift.regionnord"):
        actor = login(demo, username)
        for placement_id in (existing, "P-AAAAAAAAAA", "not-an-id", "0101901234"):
            calls = (
                lambda uow, a=actor, p=placement_id: placements_queries.get_placement(uow, a, NOW, p),
                lambda uow, a=actor, p=placement_id: placements_queries.reveal_cpr(uow, a, NOW, p),
                lambda uow, a=actor, p=placement_id: placements.confirm_placement(uow, a, NOW, p),
                lambda uow, a=actor, p=placement_id: placements.give_notice(uow, a, NOW, p, date(2026, 12, 31)),
            )
            for call in calls:
                with UnitOfWork(demo) as uow, pytest.raises(NotFound, match="Indskrivningen findes ikke"):
                    call(uow)
    with UnitOfWork(demo) as uow, pytest.raises(Forbidden):
        placements_queries.get_placement(uow, login(demo, "sekretariat.nord"), NOW, existing)


def test_every_read_of_citizen_data_is_logged_under_the_placement_id(demo):
    buyer, operator = login(demo, "koeb.thisted"), login(demo, "drift.aalborg")
    placement_id = demo_placement_id(1)
    with UnitOfWork(demo) as uow:
        page = placements_queries.list_placements(uow, buyer, NOW, limit=3)
        placements_queries.get_placement(uow, operator, NOW, placement_id)
        assert placements_queries.reveal_cpr(uow, operator, NOW, placement_id) == "150372-0101"
    with UnitOfWork(demo) as uow:
        reads = uow.audit.reads_of(placement_id)
        listed = {
            r.subject_ref for r in uow.session.scalars(select(m.PersonalDataRead)) if r.purpose == "placement.list"
        }
    assert [(r.purpose, r.actor_id) for r in reads][-2:] == [
        ("placement.view", operator.user_id),
        ("placement.cpr_reveal", operator.user_id),
    ]
    assert listed == {v.placement.placement_id for v in page.views} and len(listed) == 3


# --- the billing run's read ------------------------------------------------------------------------------------


def test_billable_maps_a_placement_to_the_domain_exactly_with_the_published_appendix_tariffs_r_set_03(demo):
    with UnitOfWork(demo) as uow:
        result = uow.placements.billable(operator_id(demo, 851), date(2025, 4, 1), date(2025, 4, 30))
        pk = row(demo, demo_placement_id(1)).id
    mapped = dict(result)
    assert mapped[pk] == Placement(
        placement_id=demo_placement_id(1),
        offer_kind=OfferKind.STANDARD,
        contract=Contract.STANDARD,
        acting_municipality=787,
        paying_municipality=787,
        start=date(2025, 2, 1),
        tariffs=(
            TariffRate(date(2024, 1, 1), Decimal("1986.02"), "Længerevarende botilbud, takstbilag 2024"),
            TariffRate(date(2025, 1, 1), Decimal("2034.67"), "Længerevarende botilbud, takstbilag 2025"),
            TariffRate(date(2026, 1, 1), Decimal("2070.25"), "Længerevarende botilbud, takstbilag 2026"),
        ),
        supplements=(
            AtaSupplement(
                f"{EVENING_ATA.name} (aften)", date(2025, 4, 1), date(2025, 9, 30), Decimal("1.5"), Decimal("385.00")
            ),
        ),
    )
    assert [p.placement_id for _, p in result] == sorted(p.placement_id for _, p in result)
    older = mapped[row(demo, demo_placement_id(2)).id]
    assert (older.contract, older.payer.municipality) == (Contract.OLDER, 773)  # R-SET-01: billed to the payer
    assert demo_placement_id(17) not in {p.placement_id for _, p in result}  # registered, not yet confirmed


def test_billable_maps_levels_negotiated_tariffs_respite_doubt_and_notices_r_set_05_r_set_09(demo):
    with UnitOfWork(demo) as uow:
        midt = dict(
            (p.placement_id, p)
            for _, p in uow.placements.billable(operator_id(demo, 1082), date(2025, 1, 1), date(2025, 12, 31))
        )
        nord = dict(
            (p.placement_id, p)
            for _, p in uow.placements.billable(operator_id(demo, 1081), date(2025, 1, 1), date(2025, 12, 31))
        )
        hjoerring = dict(
            (p.placement_id, p)
            for _, p in uow.placements.billable(operator_id(demo, 860), date(2025, 1, 1), date(2025, 12, 31))
        )
        level_b = [
            (year, tariff)
            for year, line in uow.appendices.offer_history(uow.offers.by_code("M-1082-01").id)  # type: ignore[union-attr]
            if line.service == "Botilbud, niveau B"
            for tariff in [line.tariff]
        ]
    kildebakken = midt[demo_placement_id(19)]
    assert [(t.effective_from.year, t.daily) for t in kildebakken.tariffs] == level_b
    assert (date(2025, 1, 1), Decimal("1827.25")) in [(t.effective_from, t.daily) for t in kildebakken.tariffs]
    assert nord[demo_placement_id(5)].tariffs == (
        TariffRate(date(2025, 1, 15), Decimal("3150.00"), "Forhandlet takst"),
    )
    assert nord[demo_placement_id(6)].paying_municipality is None  # in doubt: the acting municipality pays
    assert demo_placement_id(18) not in nord  # refused
    respite = hjoerring[demo_placement_id(8)]
    assert respite.respite_granted_days == _weekends(date(2025, 1, 3), 12) and respite.is_respite
    assert midt[demo_placement_id(22)].notice == Notice(
        date(2025, 11, 14), date(2025, 12, 31), provisional=True, operator_agrees=True
    )
    assert nord[demo_placement_id(7)].offer_kind is OfferKind.SUBSTITUTION


def test_a_notice_still_paying_after_the_final_date_is_billable_and_the_domain_bills_it_r_set_05(demo):
    aalborg = operator_id(demo, 851)
    with UnitOfWork(demo) as uow:
        june = dict(
            (p.placement_id, p) for _, p in uow.placements.billable(aalborg, date(2025, 6, 1), date(2025, 6, 30))
        )
        later = {p.placement_id for _, p in uow.placements.billable(aalborg, date(2027, 1, 1), date(2027, 1, 31))}
        before = uow.placements.billable(aalborg, date(2024, 1, 1), date(2024, 12, 31))
    noticed = june[demo_placement_id(3)]  # notice 20 May 2025, final date 31 May: paid to 30 June (handbook § 9)
    bill = bill_month(noticed, 2025, 6, get_ruleset("nordjylland-2025-2026"))
    assert [(line.kind, line.period.start, line.period.end, line.rule_id) for line in bill.lines] == [
        (LineKind.NOTICE, date(2025, 6, 1), date(2025, 6, 30), "R-SET-05")
    ]
    assert demo_placement_id(3) not in later and demo_placement_id(1) in later
    assert before == []


def test_billable_reads_any_number_of_placements_in_three_queries(demo):
    aalborg = operator_id(demo, 851)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    def billable() -> int:
        statements.clear()
        event.listen(demo, "before_cursor_execute", count)
        try:
            with UnitOfWork(demo) as uow:
                found = len(uow.placements.billable(aalborg, date(2026, 1, 1), date(2026, 12, 31)))
        finally:
            event.remove(demo, "before_cursor_execute", count)
        return found

    few = billable()
    first_count = len(statements)
    for n in range(12):
        placement_id = register(demo, cpr=f"{n + 1:02d}0690-7{n:03d}", start_date="2026-02-01")
        confirm(demo, placement_id)
        if n % 3 == 0:
            with UnitOfWork(demo) as uow:
                placement_supplements.add_supplement(
                    uow,
                    login(demo, "drift.aalborg"),
                    NOW,
                    placement_id,
                    SupplementInput(
                        kind="daily", name="Ekstra", start=date(2026, 2, 1), daily_amount=Decimal("100.00")
                    ),
                )
    assert billable() == few + 12
    assert len(statements) == first_count == 3


def test_a_key_rotation_keeps_old_rows_readable_and_reseal_moves_them_to_the_new_key(demo):
    placement_id = register(demo)
    old_key = row(demo, placement_id).cpr_key_id
    new = vault_from_setting(
        "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=,ZJSZCXdZ8O7ZV1wtZuPuQQgWq2lAVaUDFDhie10Rr6c=", "test"
    )
    with UnitOfWork(demo, cpr_vault=new) as uow:
        stored = uow.placements.get(placement_id)
        assert stored is not None and stored.masked_cpr == "111280-xxxx"
        assert [p.placement_id for p in uow.placements.with_cpr(parse_cpr(NEW_CPR))] == [placement_id]
    system = Actor(None, "system", "system", None, None)
    with UnitOfWork(demo, cpr_vault=new) as uow:
        assert placements.reseal_cpr(uow, system, NOW, limit=10_000) == len(PLACEMENTS) + 1
    assert row(demo, placement_id).cpr_key_id == new.current_key_id != old_key
    with UnitOfWork(demo, cpr_vault=new) as uow:
        assert uow.placements.reveal(uow.placements.get(placement_id)).formatted == NEW_CPR  # type: ignore[arg-type]
        assert placements.reseal_cpr(uow, system, NOW) == 0
