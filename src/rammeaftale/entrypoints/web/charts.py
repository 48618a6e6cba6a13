"""Server-side SVG charts for the pages (no JavaScript): a tariff's history across years (lines), and signed
values around zero (horizontal bars: accounts results, reserves, regulations).

Values stay exact ``Decimal`` for tick values and labels (Danish format); only the pixel positions are
floating point, because they are drawing coordinates, not money.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from markupsafe import Markup, escape

from rammeaftale.adapters.documents.formatting import format_amount, unit_label

WIDTH = 640
HEIGHT = 280
LEFT, RIGHT, TOP, BOTTOM = 92, 24, 24, 44
PAD_X = 36  # keeps the first and last year's points and labels off the axes
TICKS = 4
PALETTE = ("#1f5f99", "#b5480b", "#2e7d32", "#6a1b9a", "#00838f", "#7b5e00")
NICE_STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))


@dataclass(frozen=True)
class Series:
    """One line: a service's tariff per year in one unit ("dag", "time" …)."""

    name: str
    unit: str
    points: tuple[tuple[int, Decimal], ...]


def nice_ticks(low: Decimal, high: Decimal, count: int = TICKS) -> list[Decimal]:
    """Round tick values covering [low, high]: steps of 1, 2, 2.5 or 5 times a power of ten."""
    if high < low:
        low, high = high, low
    if high == low:
        pad = abs(high) / 20 if high else Decimal(1)
        low, high = low - pad, high + pad
    raw = (high - low) / count
    magnitude = Decimal(1).scaleb(raw.adjusted())
    step = next(n * magnitude for n in NICE_STEPS if n * magnitude >= raw)
    first = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
    last = (high / step).to_integral_value(rounding=ROUND_CEILING) * step
    ticks = []
    value = first
    while value <= last:
        ticks.append(value)
        value += step
    return ticks


def _decimals(ticks: Sequence[Decimal]) -> int:
    exponents = [t.normalize().as_tuple().exponent for t in ticks]
    return max([0, *[-e for e in exponents if isinstance(e, int)]])


def tariff_history_svg(series: Sequence[Series], title: str) -> Markup | None:
    """A line chart of tariffs per year; None when there is nothing to draw.

    All series must share one unit (the caller draws one chart per unit).
    """
    drawn = [s for s in series if s.points]
    if not drawn:
        return None
    unit = drawn[0].unit
    years = sorted({year for s in drawn for year, _ in s.points})
    values = [value for s in drawn for _, value in s.points]
    ticks = nice_ticks(min(values), max(values))
    low, high = ticks[0], ticks[-1]
    decimals = _decimals(ticks)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(year: int) -> float:
        if len(years) == 1:
            return LEFT + plot_w / 2
        return LEFT + PAD_X + (plot_w - 2 * PAD_X) * (year - years[0]) / (years[-1] - years[0])

    def y(value: Decimal) -> float:
        return TOP + plot_h * float((high - value) / (high - low))

    legend_h = 18 * len(drawn) if len(drawn) > 1 else 0
    total_h = HEIGHT + legend_h
    label = f"{title}. Takst i {unit_label(unit)} pr. år: " + "; ".join(
        f"{s.name}: " + ", ".join(f"{year} {format_amount(v, 2)}" for year, v in s.points) for s in drawn
    )
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {total_h}" '
        f'role="img" aria-label="{escape(label)}">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in ticks:
        ty = y(tick)
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{ty:.1f}" x2="{WIDTH - RIGHT}" y2="{ty:.1f}"/>')
        parts.append(
            f'<text class="tick" x="{LEFT - 8}" y="{ty + 4:.1f}" text-anchor="end">'
            f"{escape(format_amount(tick, decimals))}</text>"
        )
    parts.append(f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}"/>')
    parts.append(f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}"/>')
    for year in years:
        parts.append(f'<text class="tick" x="{x(year):.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">{year}</text>')
    parts.append(
        f'<text class="axis-title" x="14" y="{TOP + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {TOP + plot_h / 2:.1f})">{escape(unit_label(unit))}</text>'
    )
    parts.append(
        f'<text class="axis-title" x="{LEFT + plot_w / 2:.1f}" y="{TOP + plot_h + 36}" text-anchor="middle">'
        "Budgetår</text>"
    )
    for i, s in enumerate(drawn):
        colour = PALETTE[i % len(PALETTE)]
        coords = " ".join(f"{x(year):.1f},{y(value):.1f}" for year, value in s.points)
        parts.append(f'<polyline class="line" fill="none" stroke="{colour}" points="{coords}"/>')
        for year, value in s.points:
            text = f"{s.name} {year}: {format_amount(value, 2)} {unit_label(unit)}"
            parts.append(
                f'<circle cx="{x(year):.1f}" cy="{y(value):.1f}" r="4" fill="{colour}">'
                f"<title>{escape(text)}</title></circle>"
            )
            if len(drawn) == 1:
                parts.append(
                    f'<text class="value" x="{x(year):.1f}" y="{y(value) - 10:.1f}" text-anchor="middle">'
                    f"{escape(format_amount(value, 2))}</text>"
                )
        if legend_h:
            ly = HEIGHT + 18 * i + 4
            parts.append(f'<rect x="{LEFT}" y="{ly}" width="12" height="12" fill="{colour}"/>')
            parts.append(f'<text class="legend" x="{LEFT + 18}" y="{ly + 11}">{escape(s.name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


# --- horizontal bars: signed values around a zero line (accounts, reserves, regulations) -------------

BAR_LABEL_W = 210  # room for an offer's name to the left of the bars
BAR_ROW = 28
BAR_TOP, BAR_BOTTOM, BAR_RIGHT = 34, 46, 72
BAR_LABEL_CHARS = 30
VALUE_CHAR_W = 6.4  # about the width of a character of an 11 px value label


@dataclass(frozen=True)
class Bar:
    """One bar: a label on the left, a signed value; ``tone`` picks its colour class (``bar-<tone>``)."""

    label: str
    value: Decimal
    text: str  # the value as shown at the bar's end, Danish format ('7,92 %', '350.000 kr.')
    tone: str = "neutral"  # neutral | surplus | deficit | beyond-surplus | beyond-deficit


@dataclass(frozen=True)
class ReferenceLine:
    """A vertical dashed line at a value, e.g. the ±5 % limits of R-SUR-01 / R-SUR-04."""

    value: Decimal
    label: str


def _short(label: str) -> str:
    return label if len(label) <= BAR_LABEL_CHARS else label[: BAR_LABEL_CHARS - 1] + "…"


def _value_position(bar: Bar, zero: float, end: float) -> tuple[float, str, str]:
    """Where a bar's value is written: beyond its end, or inside the bar when there is no room outside."""
    width = len(bar.text) * VALUE_CHAR_W
    if bar.value < 0:
        if end - 6 - width >= BAR_LABEL_W:
            return end - 6, "end", "value"
        return (end + 6, "start", "value inside") if zero - end > width + 12 else (zero + 6, "start", "value")
    if end + 6 + width <= WIDTH - 2:
        return end + 6, "start", "value"
    return (end - 6, "end", "value inside") if end - zero > width + 12 else (zero - 6, "end", "value")


def bar_chart_svg(
    bars: Sequence[Bar],
    title: str,
    axis_title: str,
    references: Sequence[ReferenceLine] = (),
    tick_text: Callable[[Decimal], str] | None = None,
) -> Markup | None:
    """A horizontal bar chart of signed values around zero, with optional reference lines; None without bars.

    Each bar's label and value are also in its ``<title>`` and in the chart's ``aria-label``, so the
    figures are readable without seeing the picture; the pages show them in a table as well.
    """
    if not bars:
        return None
    values = [b.value for b in bars] + [r.value for r in references] + [Decimal(0)]
    ticks = nice_ticks(min(values), max(values))
    low, high = ticks[0], ticks[-1]
    decimals = _decimals(ticks)
    show = tick_text or (lambda v: format_amount(v, decimals))
    plot_w = WIDTH - BAR_LABEL_W - BAR_RIGHT
    plot_h = BAR_ROW * len(bars)
    total_h = BAR_TOP + plot_h + BAR_BOTTOM

    def x(value: Decimal) -> float:
        return BAR_LABEL_W + plot_w * float((value - low) / (high - low))

    label = f"{title}: " + "; ".join(f"{b.label} {b.text}" for b in bars)
    parts = [
        f'<svg class="chart bars" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {total_h}" '
        f'role="img" aria-label="{escape(label)}">',
        f"<title>{escape(title)}</title>",
    ]
    bottom = BAR_TOP + plot_h
    for tick in ticks:
        tx = x(tick)
        parts.append(f'<line class="grid" x1="{tx:.1f}" y1="{BAR_TOP}" x2="{tx:.1f}" y2="{bottom}"/>')
        parts.append(
            f'<text class="tick" x="{tx:.1f}" y="{bottom + 16}" text-anchor="middle">{escape(show(tick))}</text>'
        )
    parts.append(
        f'<text class="axis-title" x="{BAR_LABEL_W + plot_w / 2:.1f}" y="{bottom + 36}" text-anchor="middle">'
        f"{escape(axis_title)}</text>"
    )
    zero = x(Decimal(0))
    for i, b in enumerate(bars):
        top = BAR_TOP + BAR_ROW * i
        middle = top + BAR_ROW / 2
        end = x(b.value)
        left, width = min(zero, end), abs(end - zero)
        parts.append(
            f'<text class="tick" x="{BAR_LABEL_W - 8}" y="{middle + 4:.1f}" text-anchor="end">'
            f"{escape(_short(b.label))}</text>"
        )
        parts.append(
            f'<rect class="bar bar-{escape(b.tone)}" x="{left:.1f}" y="{top + 5}" width="{max(width, 1.0):.1f}" '
            f'height="{BAR_ROW - 10}"><title>{escape(f"{b.label}: {b.text}")}</title></rect>'
        )
        tx, anchor, where = _value_position(b, zero, end)
        parts.append(
            f'<text class="{where}" x="{tx:.1f}" y="{middle + 4:.1f}" text-anchor="{anchor}">{escape(b.text)}</text>'
        )
    parts.append(f'<line class="axis" x1="{zero:.1f}" y1="{BAR_TOP - 4}" x2="{zero:.1f}" y2="{bottom}"/>')
    for ref in references:
        rx = x(ref.value)
        parts.append(
            f'<line class="reference" x1="{rx:.1f}" y1="{BAR_TOP - 6}" x2="{rx:.1f}" y2="{bottom}" '
            f'stroke-dasharray="6 4"/>'
        )
        parts.append(
            f'<text class="reference-label" x="{rx:.1f}" y="{BAR_TOP - 12}" text-anchor="middle">'
            f"{escape(ref.label)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
