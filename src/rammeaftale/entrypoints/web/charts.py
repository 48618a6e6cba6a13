"""Server-side SVG charts for the pages (no JavaScript): a tariff's history across years.

Values stay exact ``Decimal`` for tick values and labels (Danish format); only the pixel positions are
floating point, because they are drawing coordinates, not money.
"""

from __future__ import annotations

from collections.abc import Sequence
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
