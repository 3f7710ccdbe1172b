"""A saved day plan (routes with shipment ids, ETAs and geometry) and its JSON/GeoJSON views."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from lingxi.data.repos.fleet import RouteView
from lingxi.dispatch.plan import DispatchPlan, VehicleRoute, evaluate_route
from lingxi.dispatch.problem import DispatchProblem, TimeWindow
from lingxi.errors import InvalidInputError

__all__ = [
    "DayPlan",
    "as_saved",
    "at_time",
    "check_span_in_day",
    "merge_day_plans",
    "midnight",
    "window_on_day",
]


def midnight(day: date) -> datetime:
    """``day``'s midnight (UTC)."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def at_time(day: date, seconds: float) -> datetime:
    """``seconds`` after ``day``'s midnight, to the second."""
    return midnight(day) + timedelta(seconds=round(float(seconds)))


_at = at_time
DAY_S = 24 * 3600.0


def window_on_day(
    day: date,
    start: datetime | None,
    end: datetime | None,
    hours: tuple[float, float] = (0.0, DAY_S),
) -> tuple[TimeWindow, ...] | None:
    """A shipment's delivery window as stop windows of ``day`` (seconds after its midnight).

    The window is cut to the day and to ``hours`` (when the depots open and close). No window
    (either end unset): ``()``, any time. A window with nothing left on ``day`` (another day,
    or outside the depots' hours): ``None``, the shipment cannot be served that day.
    """
    if start is None or end is None:
        return ()
    base = midnight(day)
    lo = max((start - base).total_seconds(), hours[0], 0.0)
    hi = min((end - base).total_seconds(), hours[1], DAY_S)
    return (TimeWindow(lo, hi),) if lo <= hi else None


def check_span_in_day(day: date, starts_at: datetime, ends_at: datetime) -> None:
    """A report re-plans ``day``: its span must overlap that day (UTC), or it changes nothing."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        naive = "starts_at" if starts_at.tzinfo is None else "ends_at"
        value = starts_at if naive == "starts_at" else ends_at
        raise InvalidInputError.for_field(naive, "a time with a zone offset", value.isoformat())
    if ends_at <= starts_at:
        raise InvalidInputError.for_field("ends_at", "after starts_at", ends_at.isoformat())
    start = midnight(day)
    if not (starts_at < start + timedelta(days=1) and ends_at > start):
        raise InvalidInputError(
            f"The traffic report's span [{starts_at.isoformat()}, {ends_at.isoformat()}) lies "
            f"outside the planned day {day.isoformat()} (UTC): the 'starts_at'/'ends_at' fields "
            "must overlap the 'day' it re-plans.",
            field="starts_at",
            value=starts_at.isoformat(),
            day=day.isoformat(),
        )


@dataclass(frozen=True)
class DayPlan:
    """A saved plan: routes with shipment ids, ETAs and geometry."""

    day: date
    plan: DispatchPlan
    route_ids: list[int]
    shipment_ids: list[int]
    geometries: list[list[list[float]]]
    no_address: list[int] = field(default_factory=list)
    traffic_reports: list[int] = field(default_factory=list)
    points: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Stop id -> (lon, lat)."""
    kinds: dict[str, str] = field(default_factory=dict)
    """Stop id -> ``delivery`` or ``return`` (a pickup brought back to the depot)."""
    left_out: dict[int, str] = field(default_factory=dict)
    """Shipments not planned in this city: ``outside_city``, ``outside_service_area`` or
    ``no_vehicle`` (their depot's district has no vehicle)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view: per route its stops (shipment ids) with ETAs, distance, duration."""
        routes = []
        for rid, r, geom in zip(
            self.route_ids, [r for r in self.plan.routes if r.stops], self.geometries, strict=True
        ):
            routes.append(
                {
                    "route_id": rid,
                    "vehicle": r.vehicle_id,
                    "stops": [
                        {
                            "shipment_id": int(s.stop_id),
                            "eta": _at(self.day, s.start).isoformat(),
                            "kind": self.kinds.get(s.stop_id, "delivery"),
                            "load_after": s.load,
                        }
                        for s in r.stops
                    ],
                    "start": _at(self.day, r.start_time).isoformat(),
                    "end": _at(self.day, r.end_time).isoformat(),
                    "distance_m": round(r.distance),
                    "duration_s": round(r.duration),
                    "max_load": r.max_load,
                    "geometry": geom,
                }
            )
        return {
            "day": self.day.isoformat(),
            "routes": routes,
            "unassigned": [
                {"shipment_id": int(u.stop_id), "reason": u.reason} for u in self.plan.unassigned
            ]
            + [{"shipment_id": sid, "reason": "no_address"} for sid in self.no_address]
            + [{"shipment_id": sid, "reason": why} for sid, why in sorted(self.left_out.items())],
            "distance_m": round(self.plan.distance),
            "duration_s": round(self.plan.duration),
            "vehicles": self.plan.vehicles,
            "feasible": self.plan.feasible,
            "traffic_reports": self.traffic_reports,
        }

    def geojson(self) -> dict[str, Any]:
        """The routes as a GeoJSON FeatureCollection (lines and stop points, lon/lat order)."""
        features: list[dict[str, Any]] = []
        for rid, r, geom in zip(
            self.route_ids, [r for r in self.plan.routes if r.stops], self.geometries, strict=True
        ):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": [[p[1], p[0]] for p in geom]},
                    "properties": {"route_id": rid, "vehicle": r.vehicle_id},
                }
            )
            for k, s in enumerate(r.stops, start=1):
                features.append(
                    {
                        "type": "Feature",
                        "geometry": {
                            "type": "Point",
                            "coordinates": list(self.points.get(s.stop_id, (0.0, 0.0))),
                        },
                        "properties": {
                            "route_id": rid,
                            "sequence": k,
                            "shipment_id": int(s.stop_id),
                            "eta": _at(self.day, s.start).isoformat(),
                        },
                    }
                )
        return {"type": "FeatureCollection", "features": features}


def merge_day_plans(day: date, parts: Sequence[DayPlan], left_out: dict[int, str]) -> DayPlan:
    """One plan of the day from the plans of each depot's district, and the shipments left out
    (``outside_city``, ``outside_service_area``, ``no_vehicle``) as unassigned."""
    left_out = {**{k: v for p in parts for k, v in p.left_out.items()}, **left_out}
    if len(parts) == 1 and left_out == parts[0].left_out:
        return parts[0]
    routes = tuple(r for p in parts for r in p.plan.routes if r.stops)
    unassigned = tuple(u for p in parts for u in p.plan.unassigned)
    return DayPlan(
        day,
        DispatchPlan(routes, unassigned),
        [i for p in parts for i in p.route_ids],
        [i for p in parts for i in p.shipment_ids],
        [g for p in parts for g in p.geometries],
        [i for p in parts for i in p.no_address],
        sorted({r for p in parts for r in p.traffic_reports}),
        {k: v for p in parts for k, v in p.points.items()},
        kinds={k: v for p in parts for k, v in p.kinds.items()},
        left_out=dict(left_out),
    )


def as_saved(
    problem: DispatchProblem, vehicle: int, seq: list[int], saved: RouteView, day: date
) -> VehicleRoute:
    """The saved route timed statically from when it was planned to leave: a plan made at 09:10
    leaves then, not at the shift's start (which would put every stop in the past)."""
    route = evaluate_route(problem, vehicle, seq)
    first = next((st.planned_arrival for st in saved.stops if st.shipment_id is not None), None)
    if first is None or not route.stops:
        return route
    leg = route.stops[0].arrival - route.start_time
    leave = (first - midnight(day)).total_seconds() - leg
    return evaluate_route(problem, vehicle, seq, earliest=max(leave, route.start_time))
