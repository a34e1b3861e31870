"""Control charts: the statistics are the textbook ones, the lines sit where the given (baseline)
limits say, hostile labels stay text, a chart without limits draws none, and small or flat data sets
still give a readable picture."""

import re
import statistics
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from assays.charts import control_chart_svg, control_limits

D = Decimal
SVG = "{http://www.w3.org/2000/svg}"
START = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)

# 40 results alternating 99.5 and 100.5, one beyond the warning limits and one beyond the control limits.
VALUES = [D("99.5"), D("100.5")] * 20 + [D("102.9"), D("104.8")]
POINTS = [(START + timedelta(days=i), value, f"run {i}") for i, value in enumerate(VALUES)]
LIMITS = control_limits(VALUES)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, parsed to check it is well-formed


def by_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [element for element in root.iter() if name in element.get("class", "").split()]


def close(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) <= D("1e-20") * max(abs(a), abs(b), D(1))


def point_y(element: ET.Element) -> Decimal:
    """The vertical centre of a point marker, whatever its shape."""
    tag = element.tag.removeprefix(SVG)
    if tag == "circle":
        return D(element.get("cy"))
    if tag == "rect":
        return D(element.get("y")) + D(element.get("height")) / 2
    top = element.get("points").split()[0]
    return D(top.split(",")[1]) + 6  # the triangle's apex is 6 px above its point


# Statistics -------------------------------------------------------------------------------------


def test_the_limits_are_the_mean_and_sample_standard_deviation():
    limits = control_limits(VALUES)
    mean, sd = statistics.mean(VALUES), statistics.stdev(VALUES)
    assert limits["n"] == 42
    assert close(limits["mean"], mean)
    assert close(limits["sd"], sd)
    assert close(limits["warning_low"], mean - 2 * sd) and close(limits["warning_high"], mean + 2 * sd)
    assert close(limits["control_low"], mean - 3 * sd) and close(limits["control_high"], mean + 3 * sd)


def test_the_limits_are_decimals():
    limits = control_limits([D("98.2"), D("101.4"), D("100.0")])
    assert all(isinstance(value, Decimal) for key, value in limits.items() if key != "n")


def test_too_few_values_have_no_spread():
    assert control_limits([]) == dict.fromkeys(
        ("mean", "sd", "warning_low", "warning_high", "control_low", "control_high"), None
    ) | {"n": 0}
    one = control_limits([D("100.3")])
    assert (one["n"], one["mean"], one["sd"], one["control_high"]) == (1, D("100.3"), None, None)


def test_identical_values_have_no_spread():
    limits = control_limits([D("100.0")] * 5)
    assert limits["sd"] == 0
    assert limits["control_high"] == limits["mean"] == D(100)


# The picture ------------------------------------------------------------------------------------


def test_the_chart_is_an_accessible_self_contained_svg():
    svg = control_chart_svg(POINTS, title="OREAS 991 · Cu", limits=LIMITS)
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title, desc = root[0], root[1]
    assert (title.tag, title.text) == (f"{SVG}title", "OREAS 991 · Cu")
    assert desc.tag == f"{SVG}desc"
    assert "42 results" in desc.text and "1 beyond the ±2 SD" not in desc.text
    assert "2 beyond the ±2 SD warning limits, 1 of them beyond the ±3 SD control limits" in desc.text
    for outside in ("<script", "href", "@import", "url(", "<image", "<foreignObject"):
        assert outside not in svg


def test_the_lines_sit_where_the_statistics_say():
    root = parse(control_chart_svg(POINTS, title="t", limits=LIMITS))
    mean, sd = statistics.mean(VALUES), statistics.stdev(VALUES)
    expected = {
        "mean": mean,
        "warning high": mean + 2 * sd,
        "warning low": mean - 2 * sd,
        "control high": mean + 3 * sd,
        "control low": mean - 3 * sd,
    }
    lines = {line.get("class"): line for line in root.iter(f"{SVG}line") if line.get("class")}
    assert set(lines) == set(expected)
    for name, value in expected.items():
        assert close(D(lines[name].get("data-value")), value), name
        assert lines[name].get("y1") == lines[name].get("y2")  # horizontal

    # One linear scale places every line and every point: y = a + b x value, higher values higher up.
    points = by_class(root, "point")
    assert len(points) == len(VALUES)
    pairs = [(D(p.get("data-value")), point_y(p)) for p in points]
    pairs += [(value, D(lines[name].get("y1"))) for name, value in expected.items()]
    (v1, y1), (v2, y2) = pairs[0], pairs[-1]  # 99.5 and the lowest control line
    slope = (y2 - y1) / (v2 - v1)
    assert slope < 0
    for value, y in pairs:
        assert abs(y1 + slope * (value - v1) - y) <= D("0.1"), value  # output is rounded to 0.1 px

    # The warning line is dashed amber, the control line solid red.
    assert lines["warning high"].get("stroke-dasharray") and not lines["control high"].get("stroke-dasharray")
    assert lines["warning high"].get("stroke") != lines["control high"].get("stroke")


def test_points_beyond_the_limits_are_marked_by_colour_and_shape():
    root = parse(control_chart_svg(POINTS, title="t", limits=LIMITS))
    mean, sd = statistics.mean(VALUES), statistics.stdev(VALUES)
    kinds = {}
    for point in by_class(root, "point"):
        deviation = abs(D(point.get("data-value")) - mean)
        expected = "control" if deviation > 3 * sd else "warning" if deviation > 2 * sd else "within"
        assert expected in point.get("class").split()
        kinds[expected] = point.tag.removeprefix(SVG)
    assert kinds == {"within": "circle", "warning": "polygon", "control": "rect"}
    (warning,) = [p for p in by_class(root, "point") if "warning" in p.get("class")]
    (control,) = [p for p in by_class(root, "point") if "control" in p.get("class")]
    assert D(warning.get("data-value")) == D("102.9") and D(control.get("data-value")) == D("104.8")
    assert warning.get("fill") != control.get("fill")


def test_the_axes_have_dates_values_and_the_unit():
    root = parse(control_chart_svg(POINTS, title="t", limits=LIMITS, unit_label="Recovery (%)"))
    texts = [t.text for t in root.iter(f"{SVG}text") if t.text]
    assert "Recovery (%)" in texts
    dates = [t for t in texts if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t)]
    assert len(dates) >= 3
    assert all("2025-03-01" <= d <= "2025-04-11" for d in dates)
    assert any(re.fullmatch(r"10[0-9]", t) for t in texts)  # value ticks
    assert any(t.startswith("mean ") for t in texts)  # line labels
    legend = " ".join(t.text for t in by_class(root, "legend")[0].iter(f"{SVG}text"))
    assert "±2 SD warning" in legend and "±3 SD control" in legend


def test_points_are_joined_in_time_order_whatever_order_they_came_in():
    root = parse(control_chart_svg(list(reversed(POINTS)), title="t", limits=LIMITS))
    xs = [D(pair.split(",")[0]) for pair in next(root.iter(f"{SVG}polyline")).get("points").split()]
    assert xs == sorted(xs)


def test_hostile_labels_stay_text():
    hostile = '<script>alert("x")</script> & \x00\x0b'
    points = [(START, D("100.1"), hostile), (START + timedelta(hours=2), D("99.4"), "ok")]
    svg = control_chart_svg(points, title=hostile, limits=LIMITS, unit_label='"><svg onload=alert(1)>')
    root = parse(svg)  # parses: nothing broke out of its element or attribute
    assert "<script" not in svg and "<svg onload" not in svg
    assert root[0].text == '<script>alert("x")</script> & '  # characters XML cannot carry are dropped
    tooltips = [t.text for p in by_class(root, "point") for t in p.iter(f"{SVG}title")]
    assert any('<script>alert("x")</script>' in tip for tip in tooltips)
    assert not list(root.iter(f"{SVG}script"))


def test_no_point_says_so():
    root = parse(control_chart_svg([], title="CCU-1f · Au", limits=LIMITS))
    assert root.get("role") == "img" and root[0].text == "CCU-1f · Au"
    empty = by_class(root, "empty")
    assert len(empty) == 1 and empty[0].text.startswith("No results yet")
    assert not by_class(root, "mean") and not by_class(root, "point")


def test_the_limits_are_the_baselines_not_the_points():
    # Two points far from a baseline of mean 100, sd 0.5: the lines stay at the baseline's figures.
    baseline = control_limits([D("99.5"), D("100.5")] * 10)
    points = [(START, D("103"), "a"), (START + timedelta(days=1), D("104"), "b")]
    root = parse(control_chart_svg(points, title="t", limits=baseline))
    lines = {line.get("class"): D(line.get("data-value")) for line in root.iter(f"{SVG}line") if line.get("class")}
    assert lines["mean"] == D(100)
    assert close(lines["control high"], D(100) + 3 * baseline["sd"])
    # Both points lie beyond +3 SD of the baseline (about 101.54).
    assert len([p for p in by_class(root, "point") if "control" in p.get("class").split()]) == 2


def test_without_a_baseline_no_limits_are_drawn_and_the_chart_says_so():
    root = parse(control_chart_svg(POINTS[:5], title="t", limits=None))
    assert not by_class(root, "mean") and not by_class(root, "warning") and not by_class(root, "control")
    assert not by_class(root, "legend")
    points = by_class(root, "point")
    assert len(points) == 5 and all("unjudged" in p.get("class").split() for p in points)
    assert "no baseline fixed" in by_class(root, "summary")[0].text
    assert "No baseline is fixed: no control limits are drawn" in root[1].text


def test_a_point_breaking_a_rule_carries_its_name():
    points = [(START, D("100"), "a", ()), (START + timedelta(days=1), D("104.8"), "b", ("1-3s", "R-4s"))]
    root = parse(control_chart_svg(points, title="t", limits=LIMITS))
    (flagged,) = by_class(root, "flagged")
    assert flagged.get("data-rules") == "1-3s R-4s" and D(flagged.get("data-value")) == D("104.8")
    assert [t.text for t in by_class(root, "rule")] == ["1-3s R-4s"]
    assert "1 breaking a Westgard rule" in root[1].text


def test_a_baseline_of_few_results_gives_provisional_limits():
    root = parse(control_chart_svg(POINTS[:2], title="t", limits=control_limits(VALUES[:2])))
    points = by_class(root, "point")
    assert len(points) == 2 and all("within" in p.get("class") for p in points)
    assert len(by_class(root, "control")) == 2  # the two control lines
    assert "provisional limits" in by_class(root, "summary")[0].text


def test_a_baseline_without_spread_gives_a_flat_chart_without_limit_lines():
    points = [(START + timedelta(days=i), D("100.00"), "r") for i in range(5)]
    root = parse(control_chart_svg(points, title="t", limits=control_limits([D(100)] * 20)))
    assert by_class(root, "mean") and not by_class(root, "warning") and not by_class(root, "control")
    assert all("within" in p.get("class") for p in by_class(root, "point"))
    assert "no spread" in by_class(root, "summary")[0].text


def test_results_at_one_instant_are_drawn_in_the_middle():
    points = [(START, D("99"), "a"), (START, D("101"), "b")]
    xs = {p.get("cx") for p in by_class(parse(control_chart_svg(points, title="t", limits=LIMITS)), "point")}
    assert len(xs) == 1


def test_times_are_labelled_in_the_zone_asked_for():
    almaty = timezone(timedelta(hours=5))
    points = [
        (datetime(2025, 3, 1, 20, 0, tzinfo=UTC), D("99"), "a"),
        (datetime(2025, 3, 3, 20, 0, tzinfo=UTC), D("101"), "b"),
    ]
    desc = parse(control_chart_svg(points, title="t", limits=None, tz=almaty))[1].text
    assert "from 2025-03-02 to 2025-03-04" in desc  # 20:00 UTC is 01:00 the next day at UTC+5


def test_a_chart_of_a_few_hours_labels_hours():
    points = [(START + timedelta(minutes=40 * i), D(v), "r") for i, v in enumerate(["99.1", "100.4", "100.9", "99.8"])]
    texts = [t.text for t in parse(control_chart_svg(points, title="t", limits=None)).iter(f"{SVG}text") if t.text]
    assert any(re.fullmatch(r"03-01 \d\d:\d\d", t) for t in texts)
