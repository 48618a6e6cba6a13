"""Supplementary services: the ATA hourly rate (handbook § 8)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rammeaftale.domain.money import ZERO, round_ore_half_up

ONE = Decimal(1)


@dataclass(frozen=True)
class AtaPrice:
    hourly_rate: Decimal
    hours: Decimal
    amount: Decimal
    factor: Decimal


def ata_hourly_rate(
    hourly_cost: Decimal, absence: Decimal, time_coefficient: Decimal, variable_costs: Decimal
) -> Decimal:
    """R-SUP-02: hourly salary cost × (1 + absence + time-of-day coefficient + variable costs).

    Fractions are given as decimals (0.30 for 30 %); the rate is rounded to øre half-up.
    """
    for name, value in (("timeløn", hourly_cost), ("fravær", absence), ("tidskoefficient", time_coefficient)):
        if value < ZERO:
            raise ValueError(f"{name} må ikke være negativ")
    return round_ore_half_up(hourly_cost * (ONE + absence + time_coefficient + variable_costs))


def ata_price(
    hourly_cost: Decimal,
    absence: Decimal,
    time_coefficient: Decimal,
    variable_costs: Decimal,
    hours: Decimal,
) -> AtaPrice:
    """R-SUP-02: the price of a number of face-to-face hours at the ATA rate, to øre half-up."""
    rate = ata_hourly_rate(hourly_cost, absence, time_coefficient, variable_costs)
    return AtaPrice(rate, hours, round_ore_half_up(rate * hours), ONE + absence + time_coefficient + variable_costs)
