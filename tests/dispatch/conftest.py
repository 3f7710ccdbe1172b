"""Tiny dispatch instances shared by the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from lingxi.dispatch import DispatchProblem, DispatchStop, DispatchVehicle, Location, TimeWindow

DATA = Path(__file__).parent / "data"


@pytest.fixture
def tiny_solomon() -> Path:
    """The depot and first 8 customers of Solomon's C101, with 3 vehicles."""
    return DATA / "tiny_solomon.txt"


@pytest.fixture
def line_problem() -> DispatchProblem:
    """Six stops on a line east of the depot; two vehicles of capacity 6; stop s2 has two
    windows, the first of which is too early to reach."""
    stops = tuple(
        DispatchStop(
            f"s{i}",
            float(i),
            0.0,
            demand=2,
            service_time=1.0,
            windows=(TimeWindow(0, 1), TimeWindow(40, 60)) if i == 2 else (),
        )
        for i in range(1, 7)
    )
    return DispatchProblem(
        depots=(Location("depot", 0.0, 0.0),),
        vehicles=(DispatchVehicle("v1", 6), DispatchVehicle("v2", 6)),
        stops=stops,
    )
