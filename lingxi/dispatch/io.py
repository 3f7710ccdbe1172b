"""Readers for the standard benchmark formats (Solomon, VRPLIB) and solution files.

Stops keep file order, so stop ``i`` is client number ``i + 1`` as in Solomon and VRPLIB
``.sol`` files (the depot is 0).
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
import vrplib

from lingxi.dispatch.problem import (
    DispatchProblem,
    DispatchStop,
    DispatchVehicle,
    Location,
    TimeWindow,
)
from lingxi.dispatch.td import ArrivalFunctions
from lingxi.errors import InvalidInputError

__all__ = ["Format", "read_mamut_td", "read_problem", "read_solution"]

Format = Literal["solomon", "vrplib"]
Rounding = Literal["auto", "exact", "nint", "trunc1"]


def _read_raw(path: Path, fmt: Format) -> dict[str, Any]:
    if not path.is_file():
        raise InvalidInputError.for_field("FILE", "an existing instance file", str(path))
    try:
        data: dict[str, Any] = vrplib.read_instance(str(path), instance_format=fmt)
    except Exception as err:  # noqa: BLE001 (vrplib raises many kinds on malformed text)
        raise InvalidInputError.for_field(
            "FILE", f"a readable {fmt} instance ({type(err).__name__}: {err})", str(path)
        ) from None
    return data


def read_problem(
    path: str | Path,
    fmt: Format = "solomon",
    *,
    fleet: int | None = None,
    rounding: Rounding = "auto",
) -> DispatchProblem:
    """Read a Solomon or VRPLIB instance (one depot) into a :class:`DispatchProblem`.

    Parameters
    ----------
    path
        The instance file.
    fmt
        ``solomon`` or ``vrplib``.
    fleet
        Number of vehicles; default the file's ``VEHICLES``, else one per client (unlimited).
    rounding
        Arc lengths for coordinate instances: ``exact`` (double precision, Solomon/SINTEF),
        ``nint`` (TSPLIB EUC_2D, CVRPLIB X), ``trunc1`` (DIMACS), or ``auto`` (``nint`` for
        VRPLIB EUC_2D instances without time windows, else ``exact``).
    """
    path = Path(path)
    if fmt not in ("solomon", "vrplib"):
        raise InvalidInputError.for_field("format", "one of solomon, vrplib", fmt)
    raw = _read_raw(path, fmt)
    # Simultaneous pickup and delivery (VRPSPD) files give DELIVERY and PICKUP sections.
    if "demand" not in raw and "delivery" in raw:
        raw["demand"] = raw["delivery"]
    if "demand" not in raw:
        raise InvalidInputError.for_field(
            "FILE", "an instance with a DEMAND (or DELIVERY) section", str(path)
        )
    n = len(raw["demand"])
    depot_ids = [int(d) for d in np.atleast_1d(raw.get("depot", [0]))]
    if depot_ids != [0]:
        raise InvalidInputError.for_field("FILE", "an instance whose depot is node 1", depot_ids)
    coords = np.asarray(raw.get("node_coord", np.zeros((n, 2))), dtype=float)
    has_tw = "time_window" in raw
    matrix = np.asarray(raw["edge_weight"], dtype=float)
    explicit = str(raw.get("edge_weight_type", "")).upper() == "EXPLICIT"
    if rounding == "auto":
        rounding = "nint" if fmt == "vrplib" and not has_tw and not explicit else "exact"
    if not explicit:
        if rounding == "nint":
            matrix = np.floor(matrix + 0.5)
        elif rounding == "trunc1":
            matrix = np.floor(matrix * 10) / 10
    tw = np.asarray(raw["time_window"], dtype=float) if has_tw else None
    service = np.broadcast_to(np.asarray(raw.get("service_time", 0.0), dtype=float), (n,))
    demand = np.asarray(raw["demand"], dtype=int)
    pickup = np.asarray(raw.get("pickup", np.zeros(n)), dtype=int)
    capacity = int(np.atleast_1d(raw["capacity"])[0])
    opens, closes = (float(tw[0, 0]), float(tw[0, 1])) if tw is not None else (0.0, math.inf)
    depot = Location("depot", float(coords[0, 0]), float(coords[0, 1]), opens, closes)
    stops = tuple(
        DispatchStop(
            id=str(i),
            x=float(coords[i, 0]),
            y=float(coords[i, 1]),
            demand=int(demand[i]),
            pickup=int(pickup[i]),
            service_time=float(service[i]),
            windows=(TimeWindow(float(tw[i, 0]), float(tw[i, 1])),) if tw is not None else (),
        )
        for i in range(1, n)
    )
    count = fleet if fleet is not None else int(raw.get("vehicles", n - 1))
    if count < 1:
        raise InvalidInputError.for_field("fleet", "an integer >= 1", count)
    vehicles = tuple(
        DispatchVehicle(f"v{k + 1}", capacity, shift_start=opens, shift_end=closes)
        for k in range(count)
    )
    return DispatchProblem(
        depots=(depot,),
        vehicles=vehicles,
        stops=stops,
        distance=matrix,
        duration=matrix,
        name=str(raw.get("name", path.stem)),
    )


def read_solution(path: str | Path) -> tuple[list[list[int]], float | None]:
    """Routes (client numbers) and cost of a VRPLIB ``.sol`` file."""
    raw = vrplib.read_solution(str(path))
    routes = [[int(c) for c in r] for r in raw["routes"]]
    cost = raw.get("cost")
    return routes, float(cost) if cost is not None else None


def read_mamut_td(path: str | Path) -> tuple[DispatchProblem, ArrivalFunctions]:
    """A MAMUT ``.vrp.json`` TDVRPTW instance (e.g. Rifki 2020 Lyon) and its arrival functions.

    The problem's static matrices hold each arc's mean travel time over the horizon.
    """
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        atf_path = path.with_name(raw["td"]["atf_path"])
        opener = gzip.open if atf_path.suffix == ".gz" else open
        with opener(atf_path, "rt", encoding="utf-8") as fh:
            atf = json.load(fh)
    except (OSError, KeyError, ValueError) as err:
        raise InvalidInputError.for_field(
            "FILE", f"a MAMUT TD instance with its ATF file ({err})", str(path)
        ) from None
    n = raw["num_customers"] + 1
    arcs: dict[tuple[int, int], tuple[list[float], list[float]]] = {}
    for i, j, xs, ys in atf["arcs"]:
        arcs[(int(i), int(j))] = ([float(x) for x in xs], [float(y) for y in ys])
    functions = ArrivalFunctions(n, arcs)
    lo, hi = (float(x) for x in raw["horizon"])
    grid = np.linspace(lo, hi, 61)
    mean = np.mean([functions.travel_matrix(t) for t in grid], axis=0)
    tw = raw["time_windows"]
    x0, y0 = (float(c) for c in raw["coordinates"][0])
    depot = Location("depot", x0, y0, float(tw[0][0]), float(tw[0][1]))
    stops = tuple(
        DispatchStop(
            id=str(i),
            x=float(raw["coordinates"][i][0]),
            y=float(raw["coordinates"][i][1]),
            demand=int(raw["demands"][i]),
            service_time=float(raw["service_times"][i]),
            windows=(TimeWindow(float(tw[i][0]), float(tw[i][1])),),
        )
        for i in range(1, n)
    )
    vehicles = tuple(
        DispatchVehicle(f"v{k + 1}", int(raw["vehicle_capacity"]), shift_start=lo, shift_end=hi)
        for k in range(int(raw["num_vehicles"]))
    )
    problem = DispatchProblem(
        (depot,), vehicles, stops, distance=mean, duration=mean, name=raw["instance_name"]
    )
    return problem, functions
