"""Invariants, by hypothesis: sub-lines sum to their category; the tariff reproduces the cost base."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from rammeaftale.domain.money import largest_remainder
from rammeaftale.domain.submission import CATEGORIES, build_submission
from rammeaftale.domain.tariffs import category_totals, compute_tariffs
from tests.unit.factories import nordjylland, submission_data

kroner = st.integers(min_value=0, max_value=50_000_000).map(lambda k: Decimal(k) / 100)
lines = st.fixed_dictionaries({name: kroner for name, _ in CATEGORIES[0].lines})


@given(personnel=lines, admin=st.lists(kroner, min_size=3, max_size=3))
def test_r_tar_02_sub_lines_sum_to_their_category(personnel, admin):
    data = submission_data(
        costs={
            "personnel": {k: str(v) for k, v in personnel.items()},
            "administration": dict(zip(("local", "central_overhead", "supervision_fee"), map(str, admin), strict=True)),
        }
    )
    submission, findings = build_submission(data)
    assert submission is not None and findings == []
    totals = {key: value for key, _, value in category_totals(submission, nordjylland())}
    assert totals["personnel"] == sum(personnel.values(), Decimal(0))
    assert totals["administration"] == sum(admin, Decimal(0))


@settings(max_examples=300)
@given(
    base=st.integers(min_value=100_000, max_value=500_000_000),
    places=st.integers(min_value=1, max_value=200),
    occupancy=st.integers(min_value=9500, max_value=10000).map(lambda p: Decimal(p) / 100),
)
def test_r_tar_03_daily_tariff_times_occupied_place_days_reproduces_the_cost_base(base, places, occupancy):
    data = submission_data(
        offer={"places": places},
        occupancy={"percent": str(occupancy)},
        costs={"personnel": {"citizen_related_staff": base}, "administration": {"local": 0}},
    )
    data["costs"] = {"personnel": {"citizen_related_staff": base}, "administration": {"local": 0}}
    submission, _ = build_submission(data)
    assert submission is not None
    result = compute_tariffs(submission, nordjylland())
    assert result.main.tariff is not None
    reproduced = result.main.tariff * result.occupied_place_days
    # rounding to øre half-up moves the daily tariff by at most half an øre
    assert abs(reproduced - Decimal(base)) <= Decimal("0.005") * result.occupied_place_days


@given(
    total=st.integers(min_value=0, max_value=10**10),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30).filter(lambda w: sum(w) > 0),
)
def test_r_obj_02_shares_add_up_exactly_to_the_total(total, weights):
    shares = largest_remainder(total, weights)
    assert sum(shares) == total
    weight_sum = sum(weights)
    assert all(abs(s * weight_sum - total * w) < weight_sum for s, w in zip(shares, weights, strict=True))
