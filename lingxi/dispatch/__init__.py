"""lingxi.dispatch: delivery routes that keep up with the day.

The public surface: build a :class:`DispatchProblem` (or read one with :func:`read_problem`),
:func:`solve` it with :class:`DispatchParams`, and read the :class:`DispatchPlan`.
"""

from lingxi.dispatch.io import read_problem, read_solution
from lingxi.dispatch.params import DispatchParams
from lingxi.dispatch.plan import DispatchPlan, PlannedStop, Unassigned, VehicleRoute, evaluate_route
from lingxi.dispatch.problem import (
    DispatchProblem,
    DispatchStop,
    DispatchVehicle,
    Location,
    TimeWindow,
)
from lingxi.dispatch.solver import solve

__all__ = [
    "DispatchParams",
    "DispatchPlan",
    "DispatchProblem",
    "DispatchStop",
    "DispatchVehicle",
    "Location",
    "PlannedStop",
    "TimeWindow",
    "Unassigned",
    "VehicleRoute",
    "evaluate_route",
    "read_problem",
    "read_solution",
    "solve",
]
