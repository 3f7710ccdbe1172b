"""The operators' line charts: no axis repeats a label (issue 18: five plans made in one minute,
of one duration, read "09:30" and "143′" five times each)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Server, open_app

pytestmark = pytest.mark.integration

AXES = """async (points) => {
  const { lineChart } = await import('/static/js/charts.js');
  const svg = lineChart({ points, title: 't', format: (v) => `${v.toFixed(0)}′` });
  const labels = [...svg.querySelectorAll('text.axis')];
  const bottom = Math.max(...labels.map((l) => Number(l.getAttribute('y'))));
  const texts = (onX) => labels.filter((l) => (Number(l.getAttribute('y')) === bottom) === onX)
    .map((l) => l.textContent);
  return { x: texts(true), y: texts(false) };
}"""


SERIES = [[143, 143, 143, 143, 143], [143, 143.4, 143.2, 143.1, 143.3], [0, 0, 0, 0, 0]]
"""One duration throughout, durations closer than a minute apart, and nothing at all."""


@pytest.mark.parametrize("width", ["desktop"], indirect=True)
def test_no_axis_repeats_a_label(page: Any, server: Server) -> None:
    """Five points at one time label the time axis once; the value axis has several ticks and
    each reads differently, even when every value is the same."""
    open_app(page, server)
    for ys in SERIES:
        axes = page.evaluate(AXES, [{"x": "09:30", "y": y} for y in ys])
        assert axes["x"] == ["09:30"], ys
        assert len(axes["y"]) >= 3 and len(set(axes["y"])) == len(axes["y"]), (ys, axes["y"])
