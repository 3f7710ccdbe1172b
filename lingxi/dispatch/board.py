"""The operations board: a day's live routes with where each vehicle is, the open shipments no
route serves and why, the failed deliveries and the late stops, the fleet.

Every household's parcels are on it: the API hands it to staff only (``policy.Act.FLEET``).

Where a vehicle is: the newest position reported for one of its route's shipments that day
(a tracking event with coordinates, ``source: "reported"``), else where the plan puts it now,
interpolated along its road line (``source: "planned"``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from lingxi.data import Database, utcnow
from lingxi.data.repos import fleet as fleet_repo, ops as ops_repo, orders as orders_repo
from lingxi.dispatch.history import LATE_AFTER_S, lateness
from lingxi.dispatch.routemap import planned_position

__all__ = ["NOT_PLANNED", "OTHER_DAY", "operations_board"]

NOT_PLANNED = "not_planned"
"""The reason of an open shipment no plan has considered yet (it came after the last plan)."""
OTHER_DAY = "other_day"
"""The reason of an open shipment a live route of another day serves."""


def _position(
    route: fleet_repo.RouteView,
    reported: dict[int, ops_repo.ReportedPosition],
    now: datetime,
) -> dict[str, Any] | None:
    mine = [reported[s.shipment_id] for s in route.stops if s.shipment_id in reported]
    if mine:
        last = max(mine, key=lambda p: p.at)
        return {"lat": last.lat, "lon": last.lon, "at": last.at.isoformat(), "source": "reported"}
    planned = planned_position(route, now)
    return {**planned, "source": "planned"} if planned else None


def _courier_position(
    db: Database, route: fleet_repo.RouteView, start: datetime, now: datetime
) -> dict[str, Any] | None:
    """The courier's own newest position that day (the courier web view or OwnTracks)."""
    from lingxi.data.repos import courier as courier_repo

    with db.session() as session:
        p = courier_repo.latest_position(session, vehicle_id=route.vehicle_id)
    if p is None or not start <= p.recorded_at <= now:
        return None
    return {"lat": p.lat, "lon": p.lon, "at": p.recorded_at.isoformat(), "source": "reported"}


def _reason(
    shipment: orders_repo.ShipmentView, reasons: dict[int, str], elsewhere: dict[int, date]
) -> str:
    if shipment.id in elsewhere:
        return OTHER_DAY
    if shipment.lat is None or shipment.lon is None:
        return "no_address"
    return reasons.get(shipment.id, NOT_PLANNED)


def operations_board(
    db: Database, day: date, *, now: datetime | None = None, city: str | None = None
) -> dict[str, Any]:
    """The board of ``day`` at ``now`` (default: the wall clock): depot, vehicles, routes (lines
    as ``[lon, lat]``, positions), unassigned with reasons, exceptions, late stops, cost.

    With ``city``, only that city's depots and vehicles (the active city's board).
    """
    now = now or utcnow()
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    with db.session() as session:
        depots, vehicles = fleet_repo.get_fleet(session)
    if city is not None:
        depots = [d for d in depots if d.city == city]
        vehicles = [v for v in vehicles if v.depot_id in {d.id for d in depots}]
    with db.session() as session:
        routes = fleet_repo.current_routes(session, plan_date=day)
        open_shipments = orders_repo.list_open_shipments(session)
        on_routes = [s.shipment_id for r in routes for s in r.stops if s.shipment_id is not None]
        promised = ops_repo.promises(session, on_routes)
        reported = ops_repo.reported_positions(
            session, on_routes, since=start, until=min(now, start + timedelta(days=1))
        )
        reasons = ops_repo.latest_reasons(session, day=day)
        failed = ops_repo.exceptions(session, since=start, until=start + timedelta(days=1))
        planned = set(on_routes)
        elsewhere = ops_repo.planned_days(
            session, [s.id for s in open_shipments if s.id not in planned]
        )
    open_ids = {s.id for s in open_shipments}
    route_docs, late = [], []
    for r in routes:
        doc = r.to_dict()
        doc["geometry"] = [[round(p[1], 5), round(p[0], 5)] for p in r.geometry]
        doc["position"] = _courier_position(db, r, start, now) or _position(r, reported, now)
        for stop, view in zip(doc["stops"], r.stops, strict=True):
            sid = view.shipment_id
            promise = promised.get(sid) if sid is not None else None
            late_by = lateness(view.planned_arrival, promise)
            stop["promised_eta"] = promise.isoformat() if promise else None
            stop["done"] = sid is not None and sid not in open_ids
            stop["late_by_s"] = round(late_by)
            if late_by > LATE_AFTER_S and not stop["done"]:
                late.append(
                    {
                        "shipment_id": sid,
                        "vehicle": r.vehicle_name,
                        "sequence": view.sequence,
                        "eta": stop["eta"],
                        "promised_eta": stop["promised_eta"],
                        "late_by_s": round(late_by),
                    }
                )
        route_docs.append(doc)
    unassigned = [
        {
            "shipment_id": s.id,
            "order_id": s.order_id,
            "status": s.status,
            "lat": s.lat,
            "lon": s.lon,
            "reason": _reason(s, reasons, elsewhere),
            "planned_day": elsewhere[s.id].isoformat() if s.id in elsewhere else None,
        }
        for s in open_shipments
        if s.id not in planned
    ]
    depot = depots[0] if depots else None
    return {
        "day": day.isoformat(),
        "at": now.isoformat(),
        "depot": {"name": depot.name, "lat": depot.lat, "lon": depot.lon} if depot else None,
        "vehicles": [
            {"name": v.name, "capacity": v.capacity, "lat": v.lat, "lon": v.lon} for v in vehicles
        ],
        "routes": route_docs,
        "unassigned": unassigned,
        "exceptions": [
            {
                "shipment_id": e.shipment_id,
                "order_id": e.order_id,
                "kind": e.kind,
                "at": e.at.isoformat(),
                "note": e.note,
                "place": e.place,
            }
            for e in failed
        ],
        "late": late,
        "late_after_s": LATE_AFTER_S,
        "cost": {
            "distance_m": sum(r.distance_m for r in routes),
            "duration_s": sum(r.duration_s for r in routes),
        },
    }
