"""Money: one way to build amounts, named rounding policies, largest remainder.

Amounts are ``Decimal`` kroner. Floats are refused at the boundary (handbook § 15: money is exact), and so
is every number exact ``Decimal`` arithmetic cannot reckon with: NaN and infinity, 10^15 and above, and
more than 28 significant digits (``reckonable``; the JSON and XLSX readers use the same limits).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ORE = Decimal("0.01")
ZERO = Decimal("0")
MAX_INTEGER_DIGITS = 15  # 10^15 kr. is far beyond any budget; larger numbers cannot be reckoned exactly
MAX_SIGNIFICANT_DIGITS = 28  # Decimal's default precision: beyond it arithmetic would round silently
MAX_FRACTION_DIGITS = 13  # 15 + 13 = 28: a "1e-400" is refused like a 29-digit number


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
    return reckonable(result)


def reckonable(number: Decimal) -> Decimal:
    """``number`` itself when exact arithmetic can reckon with it, else ``MoneyError`` (the value is not echoed).

    Refused: NaN and infinity, 10^15 and above (``MAX_INTEGER_DIGITS`` digits before the decimal mark), and
    more than ``MAX_SIGNIFICANT_DIGITS`` significant digits or ``MAX_FRACTION_DIGITS`` decimals ("1e-400"),
    where ``Decimal`` would round silently or carry a long tail of zeros into every result.
    """
    if not number.is_finite():
        raise MoneyError("Tallet er ikke et endeligt tal og kan ikke regnes med.")
    if number.adjusted() >= MAX_INTEGER_DIGITS:
        raise MoneyError(
            f"Tallet er for stort til at regne præcist med (højst {MAX_INTEGER_DIGITS} cifre før kommaet)."
        )
    exponent = number.as_tuple().exponent
    fraction_digits = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if len(number.as_tuple().digits) > MAX_SIGNIFICANT_DIGITS or fraction_digits > MAX_FRACTION_DIGITS:
        raise MoneyError(
            f"Tallet har for mange cifre til at regne præcist med (højst {MAX_SIGNIFICANT_DIGITS} cifre og "
            f"{MAX_FRACTION_DIGITS} decimaler)."
        )
    return number


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


def to_ore(value: Decimal) -> int:
    """A whole-øre amount as an integer number of øre; refuses fractions of an øre."""
    ore = value * 100
    if ore != ore.to_integral_value():
        raise MoneyError("Beløbet skal angives i hele øre (højst to decimaler).")
    return int(ore)


def share_ore_by_weights(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Share a whole-øre amount by exact weights so the parts add up to it exactly.

    The øre analogue of ``largest_remainder`` (and built on it): each part gets the floor of its exact
    share in øre, the øre left go to the largest remaining fractions. A negative total is shared as its
    absolute value and every part negated, so the parts of a deficit are negative too.
    """
    if any(not w.is_finite() or w < ZERO for w in weights):
        raise MoneyError("Fordelingsnøglen skal have mindst én positiv vægt og ingen negative.")
    places = max((_decimal_places(w) for w in weights), default=0)
    int_weights = [int(w.scaleb(places)) for w in weights]
    ore = to_ore(total)
    parts = largest_remainder(abs(ore), int_weights)
    sign = -1 if ore < 0 else 1
    return [Decimal(sign * p).scaleb(-2) for p in parts]


def _decimal_places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0
