"""Validation of DispatchProblem: errors name the stop and the rule."""

from __future__ import annotations

import numpy as np
import pytest

from lingxi.dispatch import DispatchProblem, DispatchStop, DispatchVehicle, Location, TimeWindow
from lingxi.errors import InvalidInputError

DEPOT = (Location("depot", 0.0, 0.0),)
FLEET = (DispatchVehicle("v1", 10),)


def test_window_closing_before_opening_names_stop() -> None:
    """A window that closes before it opens is refused with the stop's id."""
    with pytest.raises(InvalidInputError, match=r"Stop 'late-one'.*closes \(5\) before it opens"):
        DispatchProblem(
            DEPOT, FLEET, (DispatchStop("late-one", 1, 1, windows=(TimeWindow(10, 5),)),)
        )


def test_demand_above_every_capacity_names_stop() -> None:
    """A demand no vehicle can carry is refused, naming the largest capacity."""
    with pytest.raises(InvalidInputError, match=r"Stop 'big'.*largest is 10") as info:
        DispatchProblem(DEPOT, FLEET, (DispatchStop("big", 1, 1, demand=11),))
    assert info.value.details["stop"] == "big"


def test_unreachable_stop_names_stop() -> None:
    """A stop with no arc to or from any depot is refused."""
    dist = np.array([[0.0, np.inf], [np.inf, 0.0]])
    with pytest.raises(InvalidInputError, match=r"Stop 'island'.*unreachable"):
        DispatchProblem(DEPOT, FLEET, (DispatchStop("island", 1, 1),), distance=dist)


def test_duplicate_ids_and_bad_matrix_shape() -> None:
    """Duplicate stop ids and a matrix of the wrong shape are refused."""
    with pytest.raises(InvalidInputError, match="unique"):
        DispatchProblem(DEPOT, FLEET, (DispatchStop("a", 1, 1), DispatchStop("a", 2, 2)))
    with pytest.raises(InvalidInputError, match="2x2 matrix"):
        DispatchProblem(DEPOT, FLEET, (DispatchStop("a", 1, 1),), distance=np.zeros((3, 3)))


def test_euclidean_defaults(line_problem: DispatchProblem) -> None:
    """Without matrices, distances are Euclidean and durations distance / speed."""
    assert line_problem.dist[0, 3] == pytest.approx(3.0)
    assert line_problem.dur[3, 0] == pytest.approx(3.0)
    assert line_problem.stop_location(0) == 1
