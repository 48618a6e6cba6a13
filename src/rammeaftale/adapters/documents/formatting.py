"""Danish presentation of numbers, dates and units, shared by every renderer and the web UI.

Architecture example 11: exporters yield typed values; numbers are localised only here, when a
document is rendered. Everything is exact ``Decimal`` arithmetic; floats are refused (handbook § 15).
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Context, Decimal
from zoneinfo import ZoneInfo

MISSING = "–"  # shown for a value that does not exist (no tariff, no comparable last year)
DANISH_TIME = ZoneInfo("Europe/Copenhagen")

_UNIT_LABELS = {
    "dag": "kr./dag",
    "time": "kr./time",
    "enhed": "kr./enhed",
    "år": "kr./år",
    "individuel": "Individuel pris",
}

# A cell starting with one of these may be read as a formula (or a DDE command) by a spreadsheet.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\x00")


def _exact(value: object) -> Decimal:
    """The value as a finite Decimal; floats and booleans are refused (money is exact)."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"Forventede et præcist tal (Decimal eller heltal), fik {type(value).__name__}.")
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"Ikke et endeligt tal: {value!r}")
    return result


def _group(digits: str) -> str:
    """'1234567' -> '1.234.567' (Danish thousands separator)."""
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return ".".join(parts)


def _render(value: Decimal, decimals: int) -> str:
    if decimals < 0:
        raise ValueError("Antal decimaler kan ikke være negativt.")
    # enough precision for any finite value, so quantize never fails on a large amount
    context = Context(prec=max(28, value.adjusted() + decimals + 2))
    rounded = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP, context=context)
    sign = "-" if rounded < 0 else ""  # a value rounding to zero is shown without a sign
    whole, _, fraction = f"{rounded.copy_abs():f}".partition(".")  # abs() would round to 28 digits
    text = sign + _group(whole)
    return f"{text},{fraction}" if fraction else text


def format_amount(value: Decimal, decimals: int = 2) -> str:
    """Decimal(1234567.891) -> '1.234.567,89': Danish grouping and decimal comma, rounded half-up."""
    return _render(_exact(value), decimals)


def format_number(value: Decimal, decimals: int | None = None) -> str:
    """A count or a quantity: places '24', hours '35,79'.

    With ``decimals=None`` the value is shown with as few decimals as it needs (24.00 -> '24',
    12.50 -> '12,5'); otherwise it is rounded half-up to ``decimals``.
    """
    exact = _exact(value)
    if decimals is None:
        exponent = exact.normalize().as_tuple().exponent
        decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return _render(exact, decimals)


def format_kr(value: Decimal | None) -> str:
    """Decimal('1234567.89') -> '1.234.567,89 kr.'; None -> '–'."""
    return MISSING if value is None else f"{format_amount(value)} kr."


def format_pct(value: Decimal | None) -> str:
    """Decimal('-1.58') -> '-1,58 %' (2 decimals, handbook § 15); None -> '–'."""
    return MISSING if value is None else f"{format_amount(value)} %"


def format_date(value: date) -> str:
    """date(2025, 3, 31) -> '31-03-2025'."""
    return f"{value.day:02d}-{value.month:02d}-{value.year:04d}"


def format_datetime(value: datetime, tz: tzinfo = DANISH_TIME) -> str:
    """datetime -> '31-03-2025 14:05'.

    Timestamps are stored UTC-aware; an aware value is shown in Danish time (``tz``). A naive value
    is shown as it is.
    """
    local = value.astimezone(tz) if value.tzinfo is not None else value
    return f"{format_date(local)} {local.hour:02d}:{local.minute:02d}"


def unit_label(unit: str) -> str:
    """A tariff's unit as shown next to it: 'dag' -> 'kr./dag'; 'individuel' -> 'Individuel pris'."""
    return _UNIT_LABELS.get(unit, f"kr./{unit}")


def neutralise_cell(text: str) -> str:
    """Guard against formula injection: a text a spreadsheet could run gets a leading apostrophe.

    Applies to texts starting with = + - @, tab, carriage return or NUL (OWASP CSV injection).
    Every exporter passes free text (names, remarks, reasons) through this before writing a cell.
    """
    return "'" + text if text.startswith(_FORMULA_TRIGGERS) else text
