"""Handbook § 6.4: every finding at once, each with rule id, severity, Danish message and field."""

from __future__ import annotations

from datetime import date

from rammeaftale.domain.findings import Severity
from rammeaftale.domain.validation import assess, unanswered_warnings
from tests.unit.factories import make_submission, midtjylland, nordjylland


def rule_ids(assessment):
    return [(f.rule_id, f.severity) for f in assessment.findings]


def test_the_handbook_example_has_no_findings():
    assert assess(make_submission(), nordjylland()).findings == ()


def test_r_occ_01_occupancy_below_95_is_an_error_for_24h_offers():
    a = assess(make_submission(occupancy={"percent": "80"}), nordjylland())
    assert ("R-OCC-01", Severity.ERROR) in rule_ids(a)
    assert next(f for f in a.findings if f.rule_id == "R-OCC-01").field == "occupancy.percent"


def test_r_occ_01_occupancy_above_100_is_an_error():
    assert ("R-OCC-01", Severity.ERROR) in rule_ids(
        assess(make_submission(occupancy={"percent": "101"}), nordjylland())
    )


def test_r_occ_02_short_stays_may_budget_90_but_not_89():
    ok = make_submission(offer={"kind": "respite"}, occupancy={"percent": "90"})
    low = make_submission(offer={"kind": "respite"}, occupancy={"percent": "89"})
    assert assess(ok, nordjylland()).findings == ()
    assert ("R-OCC-02", Severity.ERROR) in rule_ids(assess(low, nordjylland()))


def test_r_new_01_a_new_offer_may_budget_a_low_first_year_occupancy():
    new = make_submission(offer={"new": True}, occupancy={"percent": "70", "method": "new_offer"})
    assert assess(new, nordjylland()).findings == ()


def test_r_new_01_the_new_offer_method_is_refused_for_an_existing_offer():
    a = assess(make_submission(occupancy={"percent": "96", "method": "new_offer"}), nordjylland())
    assert ("R-NEW-01", Severity.ERROR) in rule_ids(a)


def test_r_occ_03_an_expected_occupancy_needs_a_reason():
    a = assess(make_submission(occupancy={"reason": ""}), nordjylland())
    assert ("R-OCC-03", Severity.ERROR) in rule_ids(a)


def test_r_occ_03_the_two_year_mean_must_be_the_mean():
    good = make_submission(occupancy={"percent": "96.5", "method": "two_year_mean", "previous_years": ["96", "97"]})
    bad = make_submission(occupancy={"percent": "98", "method": "two_year_mean", "previous_years": ["96", "97"]})
    assert assess(good, nordjylland()).findings == ()
    assert ("R-OCC-03", Severity.ERROR) in rule_ids(assess(bad, nordjylland()))


def test_r_tar_02_a_missing_required_category_is_an_error():
    data_costs = {k: v for k, v in make_submission().costs.items() if k != "administration"}
    from dataclasses import replace

    a = assess(replace(make_submission(), costs=data_costs), nordjylland())
    assert ("R-TAR-02", Severity.ERROR) in rule_ids(a)


def test_r_tar_02_negative_cost_lines_are_errors_but_regulation_may_be_negative():
    a = assess(make_submission(costs={"personnel": {"top_management": -1}}), nordjylland())
    assert [f.field for f in a.findings if f.rule_id == "R-TAR-02"] == ["costs.personnel.top_management"]


def test_r_tar_10_leases_counted_twice_is_an_error():
    both = make_submission(costs={"finance_leases": {"payments": 100000, "depreciation": 80000}})
    one = make_submission(costs={"finance_leases": {"payments": 100000}})
    assert ("R-TAR-10", Severity.ERROR) in rule_ids(assess(both, nordjylland()))
    assert assess(one, nordjylland()).findings == ()


def test_r_tar_09_included_health_services_must_be_declared():
    a = assess(make_submission(health_services={"included": True, "description": ""}), nordjylland())
    assert ("R-TAR-09", Severity.ERROR) in rule_ids(a)


def test_r_tar_13_a_change_above_5_percent_is_a_warning_that_needs_a_remark():
    a = assess(make_submission(last_year={"tariff": "1900.00", "places": 24}), nordjylland())
    warning = next(f for f in a.findings if f.rule_id == "R-TAR-13")
    assert warning.severity is Severity.WARNING and warning.needs_remark
    assert "8,96 %" in warning.message
    assert unanswered_warnings(a, "") == (warning,)
    assert unanswered_warnings(a, "Ny normering efter tilsynets påbud") == ()


def test_r_tar_13_a_change_of_exactly_5_percent_is_not_significant():
    a = assess(make_submission(last_year={"tariff": "1971.67", "places": 24}), nordjylland())
    assert [f for f in a.findings if f.rule_id == "R-TAR-13"] == []


def test_r_gov_03_any_change_of_places_in_nordjylland_creates_a_board_case():
    a = assess(make_submission(last_year={"tariff": "2070.25", "places": 22}), nordjylland())
    finding = next(f for f in a.findings if f.rule_id == "R-GOV-03")
    assert finding.needs_remark and "styregruppen" in finding.message


def test_r_gov_03_midtjylland_needs_the_board_only_above_10_places():
    s = make_submission(
        ruleset="midtjylland-2023-2024", budget_year=2024, last_year={"tariff": "2070.25", "places": 22}
    )
    finding = next(f for f in assess(s, midtjylland()).findings if f.rule_id == "R-GOV-03")
    assert finding.needs_remark and "styregruppen" not in finding.message


def test_r_sur_03_an_excess_surplus_due_this_year_must_be_in_the_regulation():
    missing = make_submission(regulation_due="-350000")
    included = make_submission(regulation_due="-250000")
    assert ("R-SUR-03", Severity.ERROR) in rule_ids(assess(missing, nordjylland()))
    assert assess(included, nordjylland()).findings == ()


def test_r_cyc_02_a_submission_after_31_october_is_flagged_late():
    late = assess(make_submission(), nordjylland(), received_on=date(2025, 11, 1))
    on_time = assess(make_submission(), nordjylland(), received_on=date(2025, 10, 31))
    assert ("R-CYC-02", Severity.WARNING) in rule_ids(late)
    assert on_time.findings == ()


def test_r_cyc_02_midtjylland_deadline_is_15_november():
    assert midtjylland().tariff_submission_deadline(2024) == date(2023, 11, 15)


def test_all_findings_are_reported_at_once():
    s = make_submission(
        occupancy={"percent": "80", "reason": ""},
        costs={"personnel": {"top_management": -1}},
        health_services={"included": True},
    )
    ids = {f.rule_id for f in assess(s, nordjylland()).findings}
    assert {"R-OCC-01", "R-OCC-03", "R-TAR-02", "R-TAR-09"} <= ids


def test_yes_no_fields_are_strict_and_nej_means_no():
    from rammeaftale.domain.submission import build_submission
    from tests.unit.factories import submission_data

    submission, findings = build_submission(submission_data(offer={"new": "Nej"}))
    assert submission is not None and submission.offer.new is False and findings == []
    _, findings = build_submission(submission_data(offer={"new": "måske"}))
    assert [f.field for f in findings] == ["offer.new"]


def test_the_canonical_json_of_a_submission_reads_back_to_the_same_submission():
    from rammeaftale.domain.submission import build_submission, submission_to_data

    original = make_submission(costs={"civil_servant_pension": {"salary_basis": 400000}})
    again, findings = build_submission(submission_to_data(original))
    assert findings == [] and again == original


def test_r_sur_05_an_excess_deficit_due_this_year_must_raise_the_tariff():
    missing = make_submission(costs={"regulation": 0}, regulation_due="220000")
    included = make_submission(costs={"regulation": 220000}, regulation_due="220000")
    assert ("R-SUR-05", Severity.ERROR) in rule_ids(assess(missing, nordjylland()))  # a deficit: R-SUR-05
    assert assess(included, nordjylland()).findings == ()
