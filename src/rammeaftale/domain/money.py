"""Money: one way to build amounts, named rounding policies, largest remainder.

Amounts are ``Decimal`` kroner. Floats are refused at the boundary (handbook § 15: money is exact).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ORE = Decimal("0.01")
ZERO = Decimal("0")


class MoneyError(ValueError):
    """An amount that cannot be read exactly."""


def amount(value: object) -> Decimal:
    """Build an exact amount from an int, a Decimal or a decimal string.

    Danish input ("1.234,50") is accepted where it is unambiguous: a comma is the decimal mark.
    """
    if isinstance(value, (bool, float)):
        raise MoneyError("Beløb skal angives præcist (heltal eller decimaltekst), ikke som kommatal.")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        result = _parse_text(value)
    else:
        raise MoneyError(f"Ikke et beløb: {value!r}")
    if not result.is_finite():
        raise MoneyError(f"Ikke et endeligt beløb: {value!r}")
    return result


def _parse_text(text: str) -> Decimal:
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    for suffix in ("kr.", "kr", "%"):
        if cleaned.lower().endswith(suffix):
            cleaned = cleaned[: -len(suffix)]
    if "," in cleaned or cleaned.count(".") > 1:
        # Danish: "." groups thousands and "," is the decimal mark ("1.234.567,89", "1.100.000")
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:
        raise MoneyError(f"Ikke et tal: {text!r}") from exc


def round_ore_half_up(value: Decimal) -> Decimal:
    """Round to øre, half up (handbook § 15: daily tariffs and bill lines)."""
    return value.quantize(ORE, rounding=ROUND_HALF_UP)


def round_percent(value: Decimal) -> Decimal:
    """Percentages are shown with 2 decimals (handbook § 15)."""
    return value.quantize(ORE, rounding=ROUND_HALF_UP)


def percent_change(new: Decimal, old: Decimal) -> Decimal | None:
    """Change from ``old`` to ``new`` in percent, unrounded; None when there is nothing to compare."""
    if old == ZERO:
        return None
    return (new - old) / old * 100


def largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """Share a whole-krone total by weights so the parts add up exactly (R-OBJ-02).

    Each part gets the whole-krone floor of its exact share; the kroner left go one each to the
    largest remaining fractions (ties to the earlier position).
    """
    if total < 0:
        raise MoneyError("Beløbet, der fordeles, kan ikke være negativt.")
    if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
        raise MoneyError("Fordelingsnøglen skal have mindst én positiv vægt og ingen negative.")
    weight_sum = sum(weights)
    floors = [total * w // weight_sum for w in weights]
    remainders = [total * w % weight_sum for w in weights]
    left = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return floors
