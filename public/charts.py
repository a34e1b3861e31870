"""Bar charts drawn on the server as inline SVG: no script, no library, nothing fetched, allowed by
the Content-Security-Policy (presentation attributes, no style attribute). The geometry is computed
here; templates/public/_chart.html writes it. The view box is 760 wide and the text 13 units high,
so at an 820 px tablet's width the labels read at about 13 px.

A month whose value is not shown (composition suppressed or the month still open) draws no bar:
an empty place, never a zero that would pass for a figure.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats

WIDTH = 760
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 16, 44
PALETTE = ("#1f5f99", "#6aa84f", "#c9482b", "#8e6bb8")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Legend:
    """Written under the chart in HTML, which wraps in any language."""

    label: str
    fill: str


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    legend: list[Legend]
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    baseline: int = HEIGHT - BOTTOM


def _step(top: Decimal) -> Decimal:
    """A round step for about four grid lines up to `top`: 1, 2 or 5 times a power of ten."""
    if top <= 0:
        return Decimal(1)
    rough = top / 4
    power = Decimal(10) ** (rough.adjusted())
    for factor in (1, 2, 5, 10):
        if power * factor >= rough:
            return power * factor
    return power * 10


def _label(value: Decimal) -> str:
    return formats.number_format(value.normalize() if value == value.to_integral() else value, use_l10n=True)


def bar_chart(*, title: str, months: list[str], series: list[tuple[str, list[Decimal | int | None]]]) -> Chart:
    """Grouped bars: one group a month, one bar a series (label, a value a month or None)."""
    values = [Decimal(v) for _label_, row in series for v in row if v is not None]
    top = max(values, default=Decimal(0))
    step = _step(top)
    ceiling = step * max(1, -(-top // step))  # at least one step, rounded up to whole steps
    plot_height = HEIGHT - TOP - BOTTOM
    plot_width = WIDTH - LEFT - RIGHT
    group = plot_width / max(1, len(months))
    bar_width = group * 0.8 / max(1, len(series))
    bars = []
    for index, (label, row) in enumerate(series):
        fill = PALETTE[index % len(PALETTE)]
        for position, value in enumerate(row):
            if value is None:
                continue
            height = float(Decimal(value) / ceiling) * plot_height if ceiling else 0.0
            bars.append(
                Bar(
                    x=round(LEFT + group * position + group * 0.1 + bar_width * index, 2),
                    y=round(TOP + plot_height - height, 2),
                    width=round(bar_width, 2),
                    height=round(height, 2),
                    fill=fill,
                    title=f"{months[position]} {label}: {_label(Decimal(value))}",
                )
            )
    # Every month labelled when they fit (about 56 units a label), else every n-th.
    every = max(1, -(-len(months) * 56 // plot_width))
    x_ticks = [
        Tick(round(LEFT + group * position + group / 2, 2), month)
        for position, month in enumerate(months)
        if position % every == 0
    ]
    y_ticks = []
    level = Decimal(0)
    while level <= ceiling:
        y_ticks.append(Tick(round(TOP + plot_height - float(level / ceiling) * plot_height, 2), _label(level)))
        level += step
    legend = [Legend(label=label, fill=PALETTE[index % len(PALETTE)]) for index, (label, _row) in enumerate(series)]
    return Chart(title=title, width=WIDTH, height=HEIGHT, bars=bars, x_ticks=x_ticks, y_ticks=y_ticks, legend=legend)
