"""Control charts of reference materials and blanks, drawn as self-contained SVG.

A Shewhart chart: each control result over time, the mean of a baseline period, warning limits at
±2 standard deviations (dashed amber) and control limits at ±3 (red). About 1 result in 20 falls
outside the warning limits by chance and about 3 in 1000 outside the control limits, so a point
beyond the control limits, or points piling up beyond the warning limits, says the method has moved.

Decisions:
- The limits are given (`limits`): the mean and standard deviation of a baseline period a lab
  manager fixed (assays.control), never computed from the results drawn, which would move with the
  drift they are meant to show. Without limits the chart says so and draws none; it never invents
  them. A baseline of fewer than 20 results is marked provisional.
- Points that break a Westgard rule (assays.westgard) carry a ring and the rule's name.
- Points are marked by colour and by shape (circle, triangle, square), so they read in greyscale
  and for colour-blind readers.
- The SVG has no script, no external font or image, and every piece of text is XML-escaped (labels
  and titles come from users and instrument files), with characters XML cannot carry removed.
- `role="img"` with a `<title>` and a `<desc>` that states the figures, for screen readers.
- Times are labelled in the time zone of the datetimes given, or of `tz` when passed; dates are
  written ISO 8601 (2025-03-07) because the laboratory's readers do not share one date order.
- Arithmetic is Decimal like every stored value; pixel positions are rounded to 0.1 px on output.
"""

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, tzinfo
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import TypedDict
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

from assays.units import finite_decimal

MEAN_COLOUR = "#1b5e20"
WARNING_COLOUR = "#b26a00"
CONTROL_COLOUR = "#c62828"
POINT_COLOUR = "#1f4e79"
INK = "#222222"
MUTED = "#666666"
GRID = "#e6e6e6"

# Fewer results than this give limits that the next results will move a lot.
RELIABLE_N = 20

# Characters not allowed in XML 1.0: escaping cannot make them legal, so they are dropped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _esc(text) -> str:
    """Text safe inside an element or a double-quoted attribute."""
    return escape(_NOT_XML.sub("", str(text)), {'"': "&quot;"})


class ControlLimits(TypedDict):
    """What control_limits returns (a plain dict at run time, as templates read it)."""

    n: int
    mean: Decimal | None
    sd: Decimal | None
    warning_low: Decimal | None
    warning_high: Decimal | None
    control_low: Decimal | None
    control_high: Decimal | None


def control_limits(values: Iterable[Decimal]) -> ControlLimits:
    """n, mean, sample standard deviation and the ±2 SD (warning) and ±3 SD (control) limits.

    Keys: n, mean, sd, warning_low, warning_high, control_low, control_high. With no value the mean
    is None; with one value the standard deviation and the limits are None (one result has no
    spread). The variance is (n Σx² - (Σx)²) / (n (n - 1)): the sums are exact in Decimal, so the only
    roundings are one division and the square root.
    """
    numbers = [finite_decimal(value, "value") for value in values]
    n = len(numbers)
    limits: ControlLimits = {
        "n": n,
        "mean": None,
        "sd": None,
        "warning_low": None,
        "warning_high": None,
        "control_low": None,
        "control_high": None,
    }
    if n == 0:
        return limits
    total = sum(numbers, Decimal(0))
    limits["mean"] = mean = total / n
    if n < 2:
        return limits
    variance = (n * sum((x * x for x in numbers), Decimal(0)) - total * total) / (n * (n - 1))
    sd = max(variance, Decimal(0)).sqrt()
    limits.update(
        {
            "sd": sd,
            "warning_low": mean - 2 * sd,
            "warning_high": mean + 2 * sd,
            "control_low": mean - 3 * sd,
            "control_high": mean + 3 * sd,
        }
    )
    return limits


def _computed(value: Decimal | None) -> Decimal:
    """A figure of control_limits that two or more values always have (the mean, the SD, a limit)."""
    if value is None:
        raise AssertionError("control limits of two or more values have a mean, a standard deviation and limits")
    return value


def _decimal_places(step: Decimal) -> int:
    """Decimal places of a finite step (0.05 -> 2, 5E+1 -> 0)."""
    exponent = step.normalize().as_tuple().exponent
    if not isinstance(exponent, int):  # "n", "N" or "F": NaN or infinity
        raise TypeError(f"a tick step must be a finite number, not {step}")
    return max(0, -exponent)


def _nice_step(span: Decimal, count: int) -> Decimal:
    """A tick step of 1, 2 or 5 times a power of ten giving about `count` intervals over `span`."""
    raw = span / count
    exponent = raw.adjusted()
    for mantissa in (1, 2, 5, 10):
        step = Decimal(mantissa).scaleb(exponent)
        if step >= raw:
            return step
    return Decimal(10).scaleb(exponent)  # pragma: no cover - 10 x 10^e always reaches raw


def _fixed(value: Decimal, decimals: int) -> str:
    """`value` with `decimals` places; never "-0.0", which reads as a negative result."""
    text = f"{value:.{max(decimals, 0)}f}"
    return text.lstrip("-") if Decimal(text) == 0 else text


def _px(value: Decimal) -> str:
    return _fixed(value, 1)


# Date tick steps in seconds, from a minute to a year; the first giving at most 7 ticks is used.
_TIME_STEPS = (60, 300, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 1209600)
_DAY = 86400


def _time_ticks(start: datetime, end: datetime) -> tuple[list[datetime], str]:
    """Tick times between start and end, and the strftime format of their labels."""
    span = (end - start).total_seconds()
    if span <= 0:
        return [start], "%Y-%m-%d %H:%M"
    step = next((s for s in _TIME_STEPS if span / s <= 7), None)
    if step is None:  # longer than about three months: one tick a month or a few months
        months = next(m for m in (1, 2, 3, 6, 12, 24, 60) if span / (m * 30.44 * _DAY) <= 7)
        tick = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        ticks = []
        while tick <= end:
            if tick >= start:
                ticks.append(tick)
            month = tick.month - 1 + months
            tick = tick.replace(year=tick.year + month // 12, month=month % 12 + 1)
        return ticks, "%Y-%m"
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    offset = (start - midnight).total_seconds()
    tick = midnight + timedelta(seconds=-(-offset // step) * step)
    ticks = []
    while tick <= end:
        ticks.append(tick)
        tick += timedelta(seconds=step)
    return ticks, ("%Y-%m-%d" if step >= _DAY else "%m-%d %H:%M")


def _svg_open(width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f"<title>{_esc(title)}</title>",
        f"<desc>{_esc(desc)}</desc>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="16" y="24" font-size="16" font-weight="bold" fill="{INK}">{_esc(title)}</text>',
    ]


def _not_enough(title: str, width: int, height: int) -> str:
    message = _("No results yet: a control chart needs at least one.")
    parts = _svg_open(width, height, title, message)
    parts.append(
        f'<rect x="16" y="40" width="{width - 32}" height="{height - 56}" fill="#fafafa" stroke="{GRID}"/>'
        f'<text x="{width // 2}" y="{height // 2 + 8}" text-anchor="middle" font-size="14" fill="{MUTED}" '
        f'class="empty">{_esc(message)}</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


def _marker(kind: str, x: Decimal, y: Decimal, value: Decimal, tooltip: str, rules: Sequence[str]) -> str:
    """A point: circle within the warning limits (or where no limits are fixed), triangle beyond
    them, square beyond control; a point that breaks a Westgard rule gets a ring and the rule's name."""
    flagged = " flagged" if rules else ""
    common = f'class="point {kind}{flagged}" data-value="{value:f}"'
    if rules:
        common += f' data-rules="{_esc(" ".join(rules))}"'
    tip = f"<title>{_esc(tooltip)}</title>"
    if kind in ("within", "unjudged"):
        colour = POINT_COLOUR if kind == "within" else MUTED
        shape = f'<circle {common} cx="{_px(x)}" cy="{_px(y)}" r="4" fill="{colour}">{tip}</circle>'
    elif kind == "warning":
        pts = f"{_px(x)},{_px(y - 6)} {_px(x - 6)},{_px(y + 4)} {_px(x + 6)},{_px(y + 4)}"
        shape = f'<polygon {common} points="{pts}" fill="{WARNING_COLOUR}">{tip}</polygon>'
    else:
        shape = (
            f'<rect {common} x="{_px(x - 5)}" y="{_px(y - 5)}" width="10" height="10" fill="{CONTROL_COLOUR}">'
            f"{tip}</rect>"
        )
    if not rules:
        return shape
    ring = f'<circle cx="{_px(x)}" cy="{_px(y)}" r="9" fill="none" stroke="{CONTROL_COLOUR}" stroke-width="1.5"/>'
    label = (
        f'<text class="rule" x="{_px(x)}" y="{_px(y - 12)}" text-anchor="middle" font-size="10" '
        f'fill="{CONTROL_COLOUR}">{_esc(" ".join(rules))}</text>'
    )
    return shape + ring + label


def _legend(x: int, y: int) -> str:
    """One row: the three lines and the three kinds of point."""
    items = [
        (f'<line x1="0" y1="0" x2="22" y2="0" stroke="{MEAN_COLOUR}" stroke-width="2"/>', _("mean")),
        (
            f'<line x1="0" y1="0" x2="22" y2="0" stroke="{WARNING_COLOUR}" stroke-width="1.5" stroke-dasharray="6 4"/>',
            _("±2 SD warning"),
        ),
        (f'<line x1="0" y1="0" x2="22" y2="0" stroke="{CONTROL_COLOUR}" stroke-width="1.5"/>', _("±3 SD control")),
        (f'<circle cx="11" cy="0" r="4" fill="{POINT_COLOUR}"/>', _("within ±2 SD")),
        (f'<polygon points="11,-6 5,4 17,4" fill="{WARNING_COLOUR}"/>', _("beyond ±2 SD")),
        (f'<rect x="6" y="-5" width="10" height="10" fill="{CONTROL_COLOUR}"/>', _("beyond ±3 SD")),
    ]
    parts = [f'<g class="legend" transform="translate({x} {y})">']
    offset = 0
    for symbol, label in items:
        parts.append(
            f'<g transform="translate({offset} 0)">{symbol}<text x="28" y="4" fill="{INK}">{_esc(label)}</text></g>'
        )
        offset += 46 + 7 * len(label)  # about 7 px a character at 12 px sans-serif
    parts.append("</g>")
    return "".join(parts)


ChartPoint = tuple[datetime, Decimal, str] | tuple[datetime, Decimal, str, Sequence[str]]


def control_chart_svg(
    points: Sequence[ChartPoint],
    *,
    title: str,
    limits: ControlLimits | None,
    unit_label: str = "Recovery (%)",
    width: int = 900,
    height: int = 360,
    tz: tzinfo | None = None,
) -> str:
    """An SVG control chart of (time, value, label[, broken rules]) points against the fixed
    `limits` (control_limits() of a baseline period), or none; see the module for what it shows.

    Points are drawn in time order. No point gives a picture saying that there are no results yet.
    Without limits the points are drawn plain and the chart says that no baseline is fixed. When the
    limits have no spread they coincide with the mean; the chart says so instead of drawing lines
    on top of each other.
    """
    rows = sorted(
        (
            (
                when.astimezone(tz) if tz else when,
                finite_decimal(value, "value"),
                str(label),
                tuple(str(rule) for rule in rest[0]) if rest else (),
            )
            for when, value, label, *rest in points
        ),
        key=lambda row: row[0],
    )
    if not rows:
        return _not_enough(title, width, height)
    values = [row[1] for row in rows]
    mean = sd = None
    if limits is not None:
        mean, sd = _computed(limits["mean"]), _computed(limits["sd"])

    left, right, top, bottom = 72, width - 112, 64, height - 46
    low, high = min(values), max(values)
    if limits is not None:
        low, high = min(low, _computed(limits["control_low"])), max(high, _computed(limits["control_high"]))
    # A little air above and below, so no point sits on the frame; equal values get a window.
    centre = mean if mean is not None else values[0]
    pad = (high - low) / 25 if high > low else max(abs(centre) / 20, Decimal(1))
    low, high = low - pad, high + pad
    step = _nice_step(high - low, 6)
    low = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
    high = (high / step).to_integral_value(rounding=ROUND_CEILING) * step
    decimals = _decimal_places(step)

    def y_of(value: Decimal) -> Decimal:
        return bottom - (value - low) * (bottom - top) / (high - low)

    start, end = rows[0][0], rows[-1][0]
    seconds = Decimal((end - start).total_seconds())
    inner_left, inner_right = left + 14, right - 14

    def x_of(when: datetime) -> Decimal:
        if seconds == 0:
            return Decimal(inner_left + inner_right) / 2
        offset = when - start
        elapsed = Decimal(offset.days * _DAY + offset.seconds) + Decimal(offset.microseconds).scaleb(-6)
        return inner_left + elapsed * (inner_right - inner_left) / seconds

    flagged = sum(1 for row in rows if row[3])
    facts = {
        "n": len(rows),
        "start": start.strftime("%Y-%m-%d"),
        "end": end.strftime("%Y-%m-%d"),
        "flagged": flagged,
    }
    if mean is None or sd is None:
        desc = (
            _(
                "Control chart of %(n)s results from %(start)s to %(end)s. No baseline is fixed: no control limits "
                "are drawn and no Westgard rule is judged."
            )
            % facts
        )
        summary = _("no baseline fixed: no limits")
    else:
        warned = sum(1 for value in values if sd and abs(value - mean) > 2 * sd)
        out = sum(1 for value in values if sd and abs(value - mean) > 3 * sd)
        facts |= {
            "mean": _fixed(mean, decimals + 2),
            "sd": _fixed(sd, decimals + 2),
            "warned": warned,
            "out": out,
            "baseline_n": limits["n"] if limits is not None else 0,
        }
        desc = (
            _(
                "Control chart of %(n)s results from %(start)s to %(end)s against a baseline of %(baseline_n)s "
                "results: mean %(mean)s, standard deviation %(sd)s; %(warned)s beyond the ±2 SD warning limits, "
                "%(out)s of them beyond the ±3 SD control limits; %(flagged)s breaking a Westgard rule."
            )
            % facts
        )
        summary = _("baseline n %(baseline_n)s · mean %(mean)s · sd %(sd)s") % facts
        if limits is not None and limits["n"] < RELIABLE_N:
            summary += " · " + _("provisional limits (fewer than %(n)s results)") % {"n": RELIABLE_N}
        if not sd:
            summary += " · " + _("all results equal: no spread")
    parts = _svg_open(width, height, title, desc)
    # Beside the title when both fit (about 10 and 7 px a character), else under the time axis.
    summary_y = 24 if 10 * len(title) + 7 * len(summary) + 48 <= width else height - 6
    parts.append(
        f'<text x="{width - 16}" y="{summary_y}" text-anchor="end" fill="{MUTED}" class="summary">{_esc(summary)}</text>'
    )
    if mean is not None:
        parts.append(_legend(left, 46))

    # Plot area, value grid and ticks.
    parts.append(
        f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none" stroke="#bbbbbb"/>'
    )
    tick = low
    while tick <= high:
        y = _px(y_of(tick))
        parts.append(f'<line x1="{left}" y1="{y}" x2="{right}" y2="{y}" stroke="{GRID}"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y}" dy="4" text-anchor="end" fill="{INK}">{_fixed(tick, decimals)}</text>'
        )
        tick += step
    middle = (top + bottom) // 2
    parts.append(
        f'<text transform="translate(18 {middle}) rotate(-90)" text-anchor="middle" fill="{INK}">'
        f"{_esc(unit_label)}</text>"
    )
    ticks, fmt = _time_ticks(start, end)
    for when in ticks:
        x = _px(x_of(when))
        parts.append(f'<line x1="{x}" y1="{bottom}" x2="{x}" y2="{bottom + 5}" stroke="{INK}"/>')
        parts.append(f'<text x="{x}" y="{bottom + 19}" text-anchor="middle" fill="{INK}">{when.strftime(fmt)}</text>')

    # Mean and limit lines of the baseline, each labelled at its right end; labels spread to stay legible.
    if limits is not None and mean is not None:
        lines = [("mean", _("mean"), mean, MEAN_COLOUR, "2", "")]
        if sd:
            dash = ' stroke-dasharray="6 4"'
            lines = [
                ("control high", "+3 SD", _computed(limits["control_high"]), CONTROL_COLOUR, "1.5", ""),
                ("warning high", "+2 SD", _computed(limits["warning_high"]), WARNING_COLOUR, "1.5", dash),
                *lines,
                ("warning low", "-2 SD", _computed(limits["warning_low"]), WARNING_COLOUR, "1.5", dash),
                ("control low", "-3 SD", _computed(limits["control_low"]), CONTROL_COLOUR, "1.5", ""),
            ]
        # Top to bottom, so the labels can be spread in order.
        label_ys = _spread([y_of(line[2]) for line in lines], gap=Decimal(13))
        for (css, name, value, colour, stroke_width, dash), label_y in zip(lines, label_ys, strict=True):
            y = _px(y_of(value))
            parts.append(
                f'<line class="{css}" data-value="{value:f}" x1="{left}" y1="{y}" x2="{right}" y2="{y}" '
                f'stroke="{colour}" stroke-width="{stroke_width}"{dash}/>'
            )
            parts.append(
                f'<text x="{right + 6}" y="{_px(label_y)}" dy="4" fill="{colour}">{name} {_fixed(value, decimals + 1)}</text>'
            )

    # Results, joined in time order, then the markers on top.
    path = " ".join(f"{_px(x_of(when))},{_px(y_of(value))}" for when, value, _label, _rules in rows)
    parts.append(f'<polyline points="{path}" fill="none" stroke="#9aa5b1" stroke-width="1"/>')
    for when, value, label, rules in rows:
        if mean is None or sd is None:
            kind = "unjudged"
        else:
            deviation = abs(value - mean)
            kind = "control" if sd and deviation > 3 * sd else "warning" if sd and deviation > 2 * sd else "within"
        tooltip = f"{when.strftime('%Y-%m-%d %H:%M')} · {value:f} · {label}"
        if rules:
            tooltip += " · Westgard " + ", ".join(rules)
        parts.append(_marker(kind, x_of(when), y_of(value), value, tooltip, rules))
    parts.append("</svg>")
    return "\n".join(parts)


def _spread(ys: list[Decimal], *, gap: Decimal) -> list[Decimal]:
    """Label positions (top to bottom) moved apart to at least `gap`, keeping their average."""
    placed = list(ys)
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    shift = (sum(ys, Decimal(0)) - sum(placed, Decimal(0))) / len(placed)
    return [y + shift for y in placed]


def _log_ticks(low: Decimal, high: Decimal) -> list[Decimal]:
    """Tick values for a log axis from low to high (both > 0): each power of ten, with 2 and 5 times it
    when the span is under two decades."""
    first, last = low.adjusted(), high.adjusted() + 1
    mantissas = (1, 2, 5) if last - first <= 2 else (1,)
    ticks = [Decimal(m).scaleb(e) for e in range(first, last + 1) for m in mantissas]
    return [tick for tick in ticks if low <= tick <= high] or [low, high]


def precision_chart_svg(
    points: Sequence[tuple[Decimal, Decimal, str]],
    *,
    title: str,
    unit: str,
    width: int = 900,
    height: int = 360,
) -> str:
    """A Thompson-Howarth style chart of duplicate pairs: the relative difference |a - b| / mean (in %,
    upwards) against the pair's mean concentration (in `unit`, on a log axis, since pairs span decades),
    from (mean, relative difference %, label) points whose means are above zero. Precision usually
    worsens towards the detection limit, which the chart shows as the points rising to the left.
    """
    rows = [
        (finite_decimal(mean, "mean"), finite_decimal(rel, "relative difference"), str(label))
        for mean, rel, label in points
    ]
    if not rows:
        return _not_enough(title, width, height)
    if any(mean <= 0 for mean, _rel, _label in rows):
        raise ValueError("a log axis needs means above zero")
    left, right, top, bottom = 72, width - 40, 48, height - 46
    means = [mean for mean, _rel, _label in rows]
    low_x, high_x = min(means), max(means)
    if low_x == high_x:
        low_x, high_x = low_x / 2, high_x * 2
    log_low, log_high = low_x.log10(), high_x.log10()
    pad = (log_high - log_low) / 25
    log_low, log_high = log_low - pad, log_high + pad

    def x_of(value: Decimal) -> Decimal:
        return left + (value.log10() - log_low) * (right - left) / (log_high - log_low)

    top_y = max(rel for _mean, rel, _label in rows)
    step = _nice_step(top_y * Decimal("1.1") if top_y > 0 else Decimal(1), 5)
    high_y = (
        ((top_y * Decimal("1.1")) / step).to_integral_value(rounding=ROUND_CEILING) * step if top_y > 0 else step * 5
    )
    decimals = _decimal_places(step)

    def y_of(value: Decimal) -> Decimal:
        return bottom - value * (bottom - top) / high_y

    ordered = sorted(rel for _mean, rel, _label in rows)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    desc = _(
        "Duplicate precision of %(n)s pairs: relative difference |a - b| / mean against the mean concentration "
        "in %(unit)s, from %(low)s to %(high)s; median relative difference %(median)s %%."
    ) % {"n": len(rows), "unit": unit, "low": min(means), "high": max(means), "median": _fixed(median, 2)}
    parts = _svg_open(width, height, title, desc)
    parts.append(
        f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none" stroke="#bbbbbb"/>'
    )
    tick = Decimal(0)
    while tick <= high_y:
        y = _px(y_of(tick))
        parts.append(f'<line x1="{left}" y1="{y}" x2="{right}" y2="{y}" stroke="{GRID}"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y}" dy="4" text-anchor="end" fill="{INK}">{_fixed(tick, decimals)}</text>'
        )
        tick += step
    for value in _log_ticks(low_x, high_x):
        x = _px(x_of(value))
        parts.append(f'<line x1="{x}" y1="{bottom}" x2="{x}" y2="{bottom + 5}" stroke="{INK}"/>')
        parts.append(f'<text x="{x}" y="{bottom + 19}" text-anchor="middle" fill="{INK}">{value.normalize():f}</text>')
    # Outside the f-strings: makemessages does not read a message inside one.
    y_label = _("Relative difference (%)")
    x_label = _("Mean of the pair (%(unit)s, log scale)") % {"unit": unit}
    parts.append(
        f'<text transform="translate(18 {(top + bottom) // 2}) rotate(-90)" text-anchor="middle" fill="{INK}">'
        f"{_esc(y_label)}</text>"
    )
    parts.append(
        f'<text x="{(left + right) // 2}" y="{height - 6}" text-anchor="middle" fill="{INK}">{_esc(x_label)}</text>'
    )
    for mean, rel, label in rows:
        tooltip = f"{mean:f} {unit} · {_fixed(rel, 2)} % · {label}"
        parts.append(
            f'<circle class="pair" data-mean="{mean:f}" data-relative="{rel:f}" cx="{_px(x_of(mean))}" '
            f'cy="{_px(y_of(rel))}" r="4" fill="{POINT_COLOUR}"><title>{_esc(tooltip)}</title></circle>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
