"""Handbook § 7: the accounts submission built from plain data, its JSON round trip and its consequence."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rammeaftale.adapters.json_accounts import read_json_accounts
from rammeaftale.adapters.json_submission import UnreadableInput
from rammeaftale.adapters.rulesets import get_ruleset
from rammeaftale.domain.accounts import AccountsLevel, ResultKind
from rammeaftale.domain.accounts_submission import (
    FIELDS,
    FORMAT,
    INCOME_LINES,
    AccountsSubmission,
    accounts_consequence,
    accounts_submission_to_data,
    build_accounts_submission,
)
from rammeaftale.domain.findings import Finding, Severity
from rammeaftale.domain.submission import CATEGORIES

FIXTURE = Path(__file__).parents[1] / "fixtures" / "fjordgaarden-accounts-2024.json"
RULES = get_ruleset("nordjylland-2023-2024")


def fjordgaarden(**changes: object) -> dict[str, object]:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"), parse_float=Decimal)
    assert isinstance(data, dict)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def built(**changes: object) -> AccountsSubmission:
    submission, findings = build_accounts_submission(fjordgaarden(**changes))
    assert findings == []
    assert submission is not None
    return submission


def refused(data: dict[str, object]) -> list[Finding]:
    submission, findings = build_accounts_submission(data)
    assert submission is None
    assert findings and all(f.severity is Severity.ERROR for f in findings)
    return findings


def by_field(findings: list[Finding]) -> dict[str, str]:
    return {f.field: f.rule_id for f in findings}


# --- building -----------------------------------------------------------------------------------


def test_the_fjordgaarden_2024_example_builds_with_its_totals_and_result():
    s = built()
    assert (s.offer_code, s.accounts_year, s.ruleset_id) == ("N-851-01", 2024, "nordjylland-2023-2024")
    assert s.level is AccountsLevel.OFFER and s.target_group == "" and s.new_offer is False
    assert s.costs_total == Decimal("17793000")
    assert s.income_total == Decimal("18740000")
    assert s.result == Decimal("947000")
    assert s.cost_base == Decimal("17410000")
    assert (s.reserve_requested, s.early_repayment) == (Decimal("600000"), Decimal("50000"))


def test_financing_income_counts_minus_and_a_negative_regulation_lowers_the_costs():
    s = built(
        costs={"personnel": 1000, "financing_income": {"interest": 100}, "regulation": -50},
        income={"tariff_income": 1000},
    )
    assert s.costs_total == Decimal("850")
    assert s.result == Decimal("150")


def test_danish_amount_text_is_read_exactly():
    s = built(income={"tariff_income": "18.700.000,50", "other_income": "40000"})
    assert s.income["tariff_income"] == Decimal("18700000.50")


def test_every_problem_is_reported_at_once_and_there_is_no_submission():
    findings = refused({"costs": {"personnel": "abc"}, "income": {}})
    assert set(by_field(findings)) == {
        "ruleset",
        "accounts_year",
        "offer_code",
        "costs.personnel",
        "income.tariff_income",
    }


def test_r_acc_01_an_unknown_top_level_field_is_an_error_so_a_typo_never_vanishes():
    findings = refused(fjordgaarden(reserve_requsted="1000"))
    assert by_field(findings) == {"reserve_requsted": "R-ACC-01"}


def test_r_acc_01_the_year_must_be_a_year():
    for year in ("2024", True, 24, None):
        assert by_field(refused({**fjordgaarden(), "accounts_year": year})) == {"accounts_year": "R-ACC-01"}


def test_r_acc_01_the_rule_set_and_offer_code_are_required():
    assert by_field(refused(fjordgaarden(ruleset="", offer_code=" "))) == {
        "ruleset": "R-ACC-01",
        "offer_code": "R-ACC-01",
    }


def test_r_acc_01_accounts_per_target_group_name_the_target_group():
    s = built(level="target_group", target_group="Voksne med udviklingshæmning")
    assert s.level is AccountsLevel.TARGET_GROUP
    assert s.target_group == "Voksne med udviklingshæmning"
    findings = refused(fjordgaarden(level="target_group"))
    assert by_field(findings) == {"target_group": "R-ACC-01"}
    assert "Målgruppen mangler" in findings[0].message


def test_r_acc_01_accounts_per_offer_have_no_target_group():
    assert by_field(refused(fjordgaarden(target_group="Unge"))) == {"target_group": "R-ACC-01"}


def test_r_acc_01_an_unknown_level_lists_the_levels():
    findings = refused(fjordgaarden(level="region"))
    assert by_field(findings) == {"level": "R-ACC-01"}
    assert "offer, target_group" in findings[0].message


def test_r_acc_01_the_income_needs_the_tariff_income_and_knows_its_lines():
    assert by_field(refused(fjordgaarden(income={"other_income": 1}))) == {"income.tariff_income": "R-ACC-01"}
    assert by_field(refused(fjordgaarden(income={"tariff_income": 1, "grants": 2}))) == {"income.grants": "R-ACC-01"}
    assert by_field(refused(fjordgaarden(income=5))) == {"income": "R-ACC-01"}


def test_r_acc_01_the_other_income_is_optional():
    assert built(income={"tariff_income": 1}).income_total == Decimal(1)


def test_r_acc_01_an_amount_in_fractions_of_an_ore_is_an_error():
    assert by_field(refused(fjordgaarden(income={"tariff_income": "1000.005"}))) == {"income.tariff_income": "R-ACC-01"}


def test_r_acc_01_a_wrong_format_is_an_error_and_the_format_may_be_left_out():
    assert by_field(refused(fjordgaarden(format="rammeaftale.tariff/1"))) == {"format": "R-ACC-01"}
    data = fjordgaarden()
    del data["format"]
    assert build_accounts_submission(data)[0] == built()


def test_r_acc_01_remarks_are_text():
    assert by_field(refused(fjordgaarden(remarks=["ok"]))) == {"remarks": "R-ACC-01"}


def test_r_tar_02_unknown_categories_and_lines_are_errors_with_their_path():
    findings = refused(fjordgaarden(costs={"personnel": {"boss": 1}, "snacks": 2}))
    assert by_field(findings) == {"costs.snacks": "R-TAR-02", "costs.personnel.boss": "R-TAR-02"}


def test_r_tar_02_the_costs_are_required():
    assert by_field(refused(fjordgaarden(costs={}))) == {"costs": "R-TAR-02"}
    assert by_field(refused({k: v for k, v in fjordgaarden().items() if k != "costs"})) == {"costs": "R-TAR-02"}
    assert by_field(refused(fjordgaarden(costs=[1, 2]))) == {"costs": "R-TAR-02"}


def test_r_tar_02_no_cost_line_is_negative_except_the_regulation():
    findings = refused(fjordgaarden(costs={"personnel": {"top_management": -1}, "regulation": -5}))
    assert by_field(findings) == {"costs.personnel.top_management": "R-TAR-02"}


def test_r_tar_02_cost_lines_are_in_whole_ore():
    assert by_field(refused(fjordgaarden(costs={"activities": "10.001"}))) == {"costs.activities.total": "R-TAR-02"}


def test_r_tar_02_the_pension_is_the_actual_cost_not_a_salary_basis():
    findings = refused(fjordgaarden(costs={"civil_servant_pension": {"salary_basis": 400000}}))
    assert by_field(findings) == {"costs.civil_servant_pension.salary_basis": "R-TAR-02"}


def test_r_new_02_the_new_offer_flag_reads_yes_and_no_and_refuses_anything_else():
    assert built(new_offer="Ja").new_offer is True
    assert built(new_offer=False).new_offer is False
    assert by_field(refused(fjordgaarden(new_offer="måske"))) == {"new_offer": "R-NEW-02"}


def test_r_sur_01_the_cost_base_is_positive_and_may_be_left_out():
    assert built(cost_base=None).cost_base is None
    assert by_field(refused(fjordgaarden(cost_base=0))) == {"cost_base": "R-SUR-01"}


def test_r_sur_01_a_negative_reserve_request_is_an_error():
    assert by_field(refused(fjordgaarden(reserve_requested=-1))) == {"reserve_requested": "R-SUR-01"}


def test_r_sur_07_a_negative_early_repayment_is_an_error():
    assert by_field(refused(fjordgaarden(early_repayment="-1,00"))) == {"early_repayment": "R-SUR-07"}


# --- JSON ---------------------------------------------------------------------------------------


def test_the_canonical_data_round_trips_exactly():
    s = built(level="target_group", target_group="Unge", new_offer=True)
    data = accounts_submission_to_data(s)
    assert data["format"] == FORMAT
    again, findings = build_accounts_submission(data)
    assert findings == []
    assert again == s
    assert accounts_submission_to_data(again) == data
    assert json.loads(json.dumps(data)) == data  # plain JSON: strings, numbers, booleans


def test_the_json_file_reads_like_the_mapping_and_findings_carry_a_json_path():
    raw = FIXTURE.read_bytes()
    submission, findings = read_json_accounts(raw)
    assert findings == [] and submission == built()
    bad = json.dumps({**fjordgaarden(), "income": {"tariff_income": "x"}}).encode()
    _, findings = read_json_accounts(bad)
    assert [f.source for f in findings] == ["$.income.tariff_income"]


def test_json_numbers_are_exact_decimals_never_floats():
    raw = FIXTURE.read_text(encoding="utf-8").replace("18700000", "18700000.10")
    submission, _ = read_json_accounts(raw.encode())
    assert submission is not None and submission.income["tariff_income"] == Decimal("18700000.10")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[1, 2]", "objekt med et regnskab"),
        (b"[" * 100_000, "indlejret for dybt til at være et regnskab"),
        (b'{"income": NaN}', "som ikke er et tal"),
        (b'{"remarks": "\xff"}', "UTF-8"),
        (b" " * 1_000_001, "for stor"),
    ],
)
def test_hostile_json_is_unreadable_with_a_danish_message(raw: bytes, message: str):
    with pytest.raises(UnreadableInput, match=message):
        read_json_accounts(raw)


# --- consequence --------------------------------------------------------------------------------


def test_r_sur_01_r_sur_03_the_example_surplus_reserves_within_the_limit_and_lowers_the_tariff():
    s = built()
    consequence, findings = accounts_consequence(s, RULES, s.cost_base)
    assert findings == []
    assert consequence is not None
    assert consequence.kind is ResultKind.SURPLUS
    assert consequence.percent == Decimal("5.44")
    assert consequence.reserve_allowed == Decimal("870500.00")
    assert consequence.excess == Decimal("76500.00")
    assert consequence.tariff_effect == Decimal("-76500.00")
    assert consequence.due_year == 2026


def test_r_sur_01_the_handbook_example_cost_base_12_000_000_surplus_950_000():
    s = built(income={"tariff_income": "18743000"}, cost_base="12000000", reserve_requested=None, early_repayment=None)
    consequence, findings = accounts_consequence(s, RULES, Decimal("12000000"))
    assert findings == [] and consequence is not None
    assert (consequence.percent, consequence.within_limit, consequence.excess) == (
        Decimal("7.92"),
        Decimal("600000.00"),
        Decimal("350000.00"),
    )


def test_r_sur_01_a_reserve_above_what_is_allowed_is_an_error_naming_the_most():
    s = built(reserve_requested="870500.01")
    consequence, findings = accounts_consequence(s, RULES, s.cost_base)
    assert consequence is not None
    assert [(f.rule_id, f.field) for f in findings] == [("R-SUR-01", "reserve_requested")]
    assert "870.500,00 kr." in findings[0].message


def test_r_sur_01_all_that_is_allowed_may_be_reserved():
    s = built(reserve_requested="870500")
    assert accounts_consequence(s, RULES, s.cost_base)[1] == []


def test_r_sur_01_nothing_can_be_reserved_of_a_deficit():
    s = built(income={"tariff_income": "17000000"}, reserve_requested="1000", early_repayment=None)
    consequence, findings = accounts_consequence(s, RULES, s.cost_base)
    assert consequence is not None and consequence.kind is ResultKind.DEFICIT
    assert [(f.rule_id, f.field) for f in findings] == [("R-SUR-01", "reserve_requested")]


def test_r_sur_07_an_early_repayment_above_the_excess_is_an_error():
    s = built(early_repayment="76500.01")
    _, findings = accounts_consequence(s, RULES, s.cost_base)
    assert [(f.rule_id, f.field) for f in findings] == [("R-SUR-07", "early_repayment")]
    assert "76.500,00 kr." in findings[0].message


def test_r_sur_07_the_whole_excess_may_be_repaid_early():
    s = built(early_repayment="76500")
    assert accounts_consequence(s, RULES, s.cost_base)[1] == []


def test_r_sur_07_a_deficit_cannot_be_repaid_early():
    s = built(income={"tariff_income": "17000000"}, reserve_requested=None, early_repayment="1")
    _, findings = accounts_consequence(s, RULES, s.cost_base)
    assert [(f.rule_id, f.field) for f in findings] == [("R-SUR-07", "early_repayment")]


def test_r_sur_07_a_surplus_within_the_limit_has_no_excess_to_repay():
    s = built(income={"tariff_income": "17900000"}, reserve_requested=None, early_repayment="1")
    consequence, findings = accounts_consequence(s, RULES, s.cost_base)
    assert consequence is not None and consequence.excess == 0
    assert [f.rule_id for f in findings] == ["R-SUR-07"]


def test_r_sur_01_without_a_cost_base_there_is_no_consequence_but_a_finding():
    s = built(cost_base=None)
    consequence, findings = accounts_consequence(s, RULES, s.cost_base)
    assert consequence is None
    assert [(f.rule_id, f.field) for f in findings] == [("R-SUR-01", "cost_base")]
    assert "Takstberegningsgrundlaget" in findings[0].message


def test_r_sur_04_without_a_cost_base_a_deficit_names_the_deficit_rule():
    s = built(cost_base=None, income={"tariff_income": "1"}, reserve_requested=None, early_repayment=None)
    assert [f.rule_id for f in accounts_consequence(s, RULES, Decimal(0))[1]] == ["R-SUR-04"]


def test_r_sur_04_r_sur_05_the_handbook_deficit_720_000_on_10_000_000():
    s = built(income={"tariff_income": "17073000"}, reserve_requested=None, early_repayment=None)
    consequence, findings = accounts_consequence(s, RULES, Decimal("10000000"))
    assert findings == [] and consequence is not None
    assert (consequence.operator_covers, consequence.tariff_effect) == (Decimal("500000.00"), Decimal("220000.00"))


def test_r_new_02_a_new_offers_first_year_deficit_excess_is_spread():
    s = built(income={"tariff_income": "17073000"}, reserve_requested=None, early_repayment=None, new_offer=True)
    consequence, _ = accounts_consequence(s, RULES, Decimal("10000000"))
    assert consequence is not None and consequence.spread
    assert len(consequence.installments) == RULES.integer("new_offer_loss_spread_years")


# --- properties ---------------------------------------------------------------------------------

ore = st.integers(min_value=0, max_value=10**13).map(lambda n: Decimal(n) / 100)
signed_ore = st.integers(min_value=-(10**13), max_value=10**13).map(lambda n: Decimal(n) / 100)


@st.composite
def accounts(draw: st.DrawFn) -> AccountsSubmission:
    costs: dict[str, dict[str, Decimal]] = {}
    for spec in draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, unique_by=lambda c: c.key)):
        names = [name for name, _ in spec.lines]
        chosen = draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
        costs[spec.key] = {line: draw(signed_ore if spec.may_be_negative else ore) for line in chosen}
    income = {key: draw(ore) for key, _ in INCOME_LINES if key == "tariff_income" or draw(st.booleans())}
    level = draw(st.sampled_from(AccountsLevel))
    return AccountsSubmission(
        ruleset_id="nordjylland-2023-2024",
        accounts_year=draw(st.integers(2000, 2100)),
        offer_code="N-851-01",
        level=level,
        target_group="Unge" if level is AccountsLevel.TARGET_GROUP else "",
        new_offer=draw(st.booleans()),
        costs=costs,
        income=income,
        cost_base=draw(st.none() | ore.filter(lambda d: d > 0)),
        reserve_requested=draw(st.none() | ore),
        early_repayment=draw(st.none() | ore),
        remarks=draw(st.text(max_size=20).map(str.strip)),
    )


@settings(max_examples=200)
@given(s=accounts())
def test_totals_and_result_are_exact_sums_income_minus_costs(s: AccountsSubmission):
    expected_costs = Decimal(0)
    for spec in CATEGORIES:
        for value in s.costs.get(spec.key, {}).values():
            expected_costs += value * spec.sign
    assert s.costs_total == expected_costs
    assert s.income_total == sum(s.income.values(), Decimal(0))
    assert s.result == s.income_total - s.costs_total


@settings(max_examples=200)
@given(s=accounts())
def test_any_submission_round_trips_through_its_json_shape(s: AccountsSubmission):
    data = json.loads(json.dumps(accounts_submission_to_data(s)))
    again, findings = build_accounts_submission(data)
    assert findings == []
    assert again == s


def test_r_acc_01_text_fields_must_be_text():
    findings = refused(fjordgaarden(offer_code={"a": 1}, ruleset=5, remarks=["ok"]))
    assert by_field(findings) == {"offer_code": "R-ACC-01", "ruleset": "R-ACC-01", "remarks": "R-ACC-01"}
    assert len(findings) == 3  # one finding a field: not "missing" as well


def test_r_acc_01_an_unknown_field_is_named_in_at_most_40_characters():
    findings = refused(fjordgaarden(**{"x" * 1000: 1}))
    assert len(findings[0].message) < 100 and len(findings[0].field) <= 41


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10) | st.decimals(allow_nan=False, places=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=300)
@given(
    changes=st.dictionaries(
        st.sampled_from([*FIELDS, "other"]),
        json_values,
    )
)
def test_any_json_values_give_findings_never_an_exception(changes: dict[str, object]):
    submission, findings = build_accounts_submission({**fjordgaarden(), **changes})
    assert (submission is None) == any(f.severity is Severity.ERROR for f in findings)
    if submission is not None:
        consequence, _ = accounts_consequence(submission, RULES, submission.cost_base)
        assert consequence is None or consequence.result == submission.result
