"""The delivery problem: depots, vehicles and stops, validated on construction.

Locations are numbered as the travel matrices are: the depots first (``0 .. D-1``), then the
stops (``D .. D+n-1``), then any extra ``waypoints`` (current vehicle positions during the day).
Times are seconds (any consistent unit works), distances metres (or the instance's unit).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from lingxi.errors import InvalidInputError

__all__ = [
    "DispatchProblem",
    "DispatchStop",
    "DispatchVehicle",
    "Location",
    "TimeWindow",
    "subproblem",
]

INF = math.inf


def _stop_error(stop_id: str, rule: str, value: object) -> InvalidInputError:
    return InvalidInputError(
        f"Stop {stop_id!r}: {rule}. Got {value!r} instead.", field="stops", stop=stop_id, rule=rule
    )


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A time window ``[start, end]`` in which service may start."""

    start: float
    """Earliest service start."""
    end: float = INF
    """Latest service start."""


@dataclass(frozen=True, slots=True)
class Location:
    """A depot or waypoint: a named place with coordinates and opening hours."""

    id: str
    """The caller's name for it."""
    x: float
    """Easting / longitude (or the instance's x)."""
    y: float
    """Northing / latitude (or the instance's y)."""
    opens: float = 0.0
    """Earliest departure."""
    closes: float = INF
    """Latest return."""


@dataclass(frozen=True, slots=True)
class DispatchStop:
    """A customer stop: a delivery, a pickup (return) or both."""

    id: str
    """The caller's name for the stop (an order or shipment id)."""
    x: float
    y: float
    demand: int = 0
    """Units delivered from the depot to this stop."""
    pickup: int = 0
    """Units picked up here and brought back to the depot (returns)."""
    service_time: float = 0.0
    windows: tuple[TimeWindow, ...] = ()
    """One or more windows in which service may start; empty means any time."""
    priority: int = 0
    """Higher is kept first when not every stop fits (0 = normal)."""
    prize: float | None = None
    """Set for an optional stop: the reward for serving it. ``None`` = must be served."""
    release_time: float = 0.0
    """The earliest time the vehicle serving it may leave the depot (goods ready)."""

    @property
    def required(self) -> bool:
        """True unless the stop is optional (has a prize)."""
        return self.prize is None


@dataclass(frozen=True, slots=True)
class DispatchVehicle:
    """A vehicle with its capacity and shift, where it starts and what it carries."""

    id: str
    capacity: int
    depot: int = 0
    """Index of the depot it returns to (and starts at, unless ``start_location`` is set)."""
    shift_start: float = 0.0
    shift_end: float = INF
    start_location: int | None = None
    """Location index it starts from (a waypoint during the day); ``None`` = its depot."""
    initial_load: int = 0
    """Units already on board that are not deliveries of the stops here (e.g. picked-up returns)."""
    fixed_cost: float = 0.0


@dataclass(frozen=True)
class DispatchProblem:
    """A fleet and the stops to serve, with travel matrices over all locations.

    ``distance`` and ``duration`` are square matrices over ``depots + stops + waypoints``;
    if omitted they are Euclidean on the coordinates (duration = distance / ``speed``).
    ``np.inf`` in a matrix marks an arc that does not exist.
    """

    depots: tuple[Location, ...]
    vehicles: tuple[DispatchVehicle, ...]
    stops: tuple[DispatchStop, ...]
    waypoints: tuple[Location, ...] = ()
    distance: NDArray[np.float64] | None = field(default=None, repr=False)
    duration: NDArray[np.float64] | None = field(default=None, repr=False)
    speed: float = 1.0
    name: str = ""

    def __post_init__(self) -> None:
        self._validate()
        n = self.num_locations
        if self.distance is None:
            xy = np.array(self.points, dtype=float).reshape(n, 2)
            diff = xy[:, None, :] - xy[None, :, :]
            object.__setattr__(self, "distance", np.sqrt((diff**2).sum(axis=2)))
        dist = np.asarray(self.distance, dtype=float)
        object.__setattr__(self, "distance", dist)
        if self.duration is None:
            object.__setattr__(self, "duration", dist / self.speed)
        dur = np.asarray(self.duration, dtype=float)
        object.__setattr__(self, "duration", dur)
        for label, matrix in (("distance", dist), ("duration", dur)):
            if matrix.shape != (n, n):
                raise InvalidInputError.for_field(
                    label, f"a {n}x{n} matrix (depots + stops + waypoints)", matrix.shape
                )
            if np.isnan(matrix).any() or (matrix < 0).any():
                raise InvalidInputError.for_field(label, "non-negative numbers", "NaN or < 0")
        self._check_reachable(dur)

    # -- shape ------------------------------------------------------------------------------
    @property
    def num_locations(self) -> int:
        """Depots + stops + waypoints."""
        return len(self.depots) + len(self.stops) + len(self.waypoints)

    @property
    def points(self) -> list[tuple[float, float]]:
        """Coordinates of every location in matrix order."""
        return (
            [(d.x, d.y) for d in self.depots]
            + [(s.x, s.y) for s in self.stops]
            + [(w.x, w.y) for w in self.waypoints]
        )

    def stop_location(self, stop_index: int) -> int:
        """The matrix index of the stop at position ``stop_index``."""
        return len(self.depots) + stop_index

    def vehicle_start(self, vehicle: DispatchVehicle) -> int:
        """The matrix index a vehicle starts from."""
        return vehicle.depot if vehicle.start_location is None else vehicle.start_location

    @property
    def dist(self) -> NDArray[np.float64]:
        """The distance matrix (always set after construction)."""
        assert self.distance is not None
        return self.distance

    @property
    def dur(self) -> NDArray[np.float64]:
        """The duration matrix (always set after construction)."""
        assert self.duration is not None
        return self.duration

    def with_stops(self, stops: Sequence[DispatchStop]) -> DispatchProblem:
        """A copy with other stops (matrices must then be recomputed: coordinates only)."""
        return replace(self, stops=tuple(stops), distance=None, duration=None)

    # -- validation ---------------------------------------------------------------------------
    def _validate(self) -> None:
        if not self.depots:
            raise InvalidInputError.for_field("depots", "a list with at least one depot", [])
        if not self.vehicles:
            raise InvalidInputError.for_field("vehicles", "a list with at least one vehicle", [])
        n_loc = self.num_locations
        seen: set[str] = set()
        for v in self.vehicles:
            if v.capacity < 0:
                raise InvalidInputError.for_field("capacity", "a non-negative integer", v.capacity)
            if not 0 <= v.depot < len(self.depots):
                raise InvalidInputError.for_field(
                    "depot", f"a depot index in [0, {len(self.depots)})", v.depot
                )
            if v.shift_end < v.shift_start:
                raise InvalidInputError(
                    f"Vehicle {v.id!r}: the shift ends ({v.shift_end}) before it starts "
                    f"({v.shift_start}).",
                    field="vehicles",
                    vehicle=v.id,
                )
            if v.start_location is not None and not 0 <= v.start_location < n_loc:
                raise InvalidInputError.for_field(
                    "start_location", f"a location index in [0, {n_loc})", v.start_location
                )
            if v.initial_load < 0 or v.initial_load > v.capacity:
                raise InvalidInputError.for_field(
                    "initial_load", f"between 0 and the capacity {v.capacity}", v.initial_load
                )
        max_cap = max(v.capacity for v in self.vehicles)
        for s in self.stops:
            if s.id in seen:
                raise _stop_error(s.id, "stop ids must be unique", s.id)
            seen.add(s.id)
            if s.demand < 0:
                raise _stop_error(s.id, "the demand must be non-negative", s.demand)
            if s.pickup < 0:
                raise _stop_error(s.id, "the pickup must be non-negative", s.pickup)
            if s.demand > max_cap:
                raise _stop_error(
                    s.id,
                    f"its demand is above every vehicle's capacity (largest is {max_cap})",
                    s.demand,
                )
            if s.pickup > max_cap:
                raise _stop_error(
                    s.id,
                    f"its pickup (return) is above every vehicle's capacity (largest is {max_cap})",
                    s.pickup,
                )
            if s.service_time < 0:
                raise _stop_error(s.id, "service time must be non-negative", s.service_time)
            for w in s.windows:
                if w.end < w.start:
                    raise _stop_error(
                        s.id,
                        f"a time window closes ({w.end}) before it opens ({w.start})",
                        (w.start, w.end),
                    )
            if s.prize is not None and s.prize < 0:
                raise _stop_error(s.id, "the prize must be non-negative", s.prize)

    def _check_reachable(self, dur: NDArray[np.float64]) -> None:
        depots = list(range(len(self.depots)))
        for i, s in enumerate(self.stops):
            loc = self.stop_location(i)
            there = np.isfinite(dur[depots, loc]).any()
            back = np.isfinite(dur[loc, depots]).any()
            if not (there and back):
                raise _stop_error(
                    s.id, "the stop is unreachable from every depot on the road network", loc
                )


def subproblem(
    problem: DispatchProblem,
    stops: Sequence[int],
    vehicles: Sequence[DispatchVehicle],
    extra: Sequence[int] = (),
) -> tuple[DispatchProblem, list[int]]:
    """A problem over some stops and other vehicles, with the matrices sliced.

    ``extra`` are location indices of ``problem`` (vehicle positions) that become waypoints;
    a vehicle's ``start_location`` must already be given in the *new* numbering, which is
    depots, then ``stops`` in order, then ``extra`` in order. Returns the problem and, per new
    location, its index in ``problem``.
    """
    n_dep = len(problem.depots)
    index = list(range(n_dep)) + [problem.stop_location(i) for i in stops] + list(extra)
    waypoints = []
    for loc in extra:
        x, y = problem.points[loc]
        waypoints.append(Location(f"loc-{loc}", x, y))
    idx = np.asarray(index)
    sub = DispatchProblem(
        depots=problem.depots,
        vehicles=tuple(vehicles),
        stops=tuple(problem.stops[i] for i in stops),
        waypoints=tuple(waypoints),
        distance=problem.dist[np.ix_(idx, idx)],
        duration=problem.dur[np.ix_(idx, idx)],
        speed=problem.speed,
        name=problem.name,
    )
    return sub, index
