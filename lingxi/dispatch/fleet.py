"""An operator's fleet in a city: depots, vehicles and service areas, checked against the city.

The CLI (``lingxi fleet ...``) and the staff API (``/api/fleet``) call these; each checks what
needs the city's road network (a depot inside the city, an area overlapping it) and leaves
the rest to ``lingxi.data.repos.fleet_setup``. :func:`districts` is what planning reads: which
shipments each depot may serve once service areas are set.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lingxi.data import Database
from lingxi.data.repos import fleet as fleet_repo, fleet_setup, orders as orders_repo
from lingxi.data.repos.fleet import DepotView, VehicleView
from lingxi.data.repos.fleet_setup import AreaView
from lingxi.dispatch.cities import CityInfo
from lingxi.dispatch.roadnet import RoadNetwork
from lingxi.errors import InvalidInputError

__all__ = [
    "District",
    "add_area",
    "add_depot",
    "add_vehicle",
    "area_dict",
    "city_districts",
    "clock_seconds",
    "depot_dict",
    "districts",
    "inside",
    "list_fleet",
    "parse_bbox",
    "remove",
    "vehicle_dict",
]

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def clock_seconds(value: str, field: str) -> int:
    """``"08:30"`` -> seconds after midnight (``24:00`` allowed); refused naming ``field``."""
    m = _CLOCK.match(value.strip())
    if m is None or int(m[2]) > 59 or int(m[1]) * 3600 + int(m[2]) * 60 > 24 * 3600:
        raise InvalidInputError.for_field(field, "a time of day HH:MM (00:00 to 24:00)", value)
    return int(m[1]) * 3600 + int(m[2]) * 60


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def depot_dict(d: DepotView) -> dict[str, Any]:
    """JSON-ready depot."""
    return {
        "id": d.id,
        "name": d.name,
        "city": d.city,
        "lat": d.lat,
        "lon": d.lon,
        "opens": _hhmm(d.opens_s),
        "closes": _hhmm(d.closes_s),
    }


def vehicle_dict(v: VehicleView, depots: dict[int, str]) -> dict[str, Any]:
    """JSON-ready vehicle (depot names from ``depots``: id -> name)."""
    return {
        "id": v.id,
        "name": v.name,
        "capacity": v.capacity,
        "shift_start": _hhmm(v.shift_start_s),
        "shift_end": _hhmm(v.shift_end_s),
        "start_depot": depots.get(v.depot_id, str(v.depot_id)),
        "end_depot": depots.get(v.end_depot, str(v.end_depot)),
    }


def area_dict(a: AreaView, depots: dict[int, str]) -> dict[str, Any]:
    """JSON-ready service area."""
    return {
        "id": a.id,
        "name": a.name,
        "city": a.city,
        "depot": depots.get(a.depot_id) if a.depot_id is not None else None,
        "kind": a.kind,
        "polygon": a.polygon,
    }


def _check_inside(city: CityInfo, lat: float, lon: float, what: str) -> None:
    if not city.contains(lat, lon):
        raise InvalidInputError(
            f"The {what} at (lat {lat}, lon {lon}) lies outside the city {city.name!r} "
            f"(its roads span lat {city.bbox[0]:.4f}..{city.bbox[2]:.4f}, lon "  # type: ignore[index]
            f"{city.bbox[1]:.4f}..{city.bbox[3]:.4f}).",  # type: ignore[index]
            field="lat",
            value=[lat, lon],
            city=city.name,
        )


def add_depot(
    db: Database,
    city: CityInfo,
    *,
    name: str,
    lat: float,
    lon: float,
    opens: str = "06:00",
    closes: str = "22:00",
) -> dict[str, Any]:
    """Add a depot inside ``city``.

    Raises
    ------
    InvalidInputError
        Outside the city (field ``lat``), bad hours or name.
    ConflictError
        The name is taken.
    """
    opens_s, closes_s = clock_seconds(opens, "opens"), clock_seconds(closes, "closes")
    if -90 <= lat <= 90 and -180 <= lon <= 180:
        _check_inside(city, lat, lon, f"depot {name!r}")
    with db.session() as s:
        view = fleet_setup.add_depot(
            s, name=name, lat=lat, lon=lon, city=city.name, opens_s=opens_s, closes_s=closes_s
        )
    return depot_dict(view)


def add_vehicle(
    db: Database,
    city: CityInfo,
    *,
    name: str,
    capacity: int,
    start_depot: str,
    end_depot: str | None = None,
    shift_start: str = "08:00",
    shift_end: str = "18:00",
) -> dict[str, Any]:
    """Add a vehicle at depots of ``city``.

    Raises
    ------
    InvalidInputError
        Capacity <= 0, a shift ending before it starts, an unknown depot or one of another
        city.
    ConflictError
        The name is taken.
    """
    start_s = clock_seconds(shift_start, "shift_start")
    end_s = clock_seconds(shift_end, "shift_end")
    with db.session() as s:
        for field, ref in (("start_depot", start_depot), ("end_depot", end_depot)):
            if ref is not None and fleet_setup.find_depot(s, ref, field=field).city != city.name:
                raise InvalidInputError.for_field(field, f"a depot of {city.name!r}", ref)
        view = fleet_setup.add_vehicle(
            s,
            name=name,
            capacity=capacity,
            start_depot=start_depot,
            end_depot=end_depot,
            shift_start_s=start_s,
            shift_end_s=end_s,
        )
        names = {d.id: d.name for d in fleet_setup.list_depots(s)}
    return vehicle_dict(view, names)


def parse_bbox(text: str) -> list[float]:
    """``"min_lon,min_lat,max_lon,max_lat"`` -> four floats; refused naming ``bbox``."""
    try:
        vals = [float(x) for x in text.split(",")]
    except ValueError:
        vals = []
    if len(vals) != 4:
        raise InvalidInputError.for_field("bbox", "min_lon,min_lat,max_lon,max_lat", text)
    return vals


def _bbox_polygon(bbox: Sequence[float]) -> list[list[float]]:
    w, s, e, n = (float(x) for x in bbox)
    if not (w < e and s < n):
        raise InvalidInputError.for_field(
            "bbox", "min_lon < max_lon and min_lat < max_lat", list(bbox)
        )
    return [[w, s], [e, s], [e, n], [w, n]]


def add_area(
    db: Database,
    city: CityInfo,
    *,
    name: str,
    polygon: Sequence[Sequence[float]] | None = None,
    bbox: Sequence[float] | None = None,
    depot: str | None = None,
) -> dict[str, Any]:
    """Add a service area (a polygon of ``[lon, lat]`` points, or a bbox) to ``city``.

    Raises
    ------
    InvalidInputError
        Neither or both of polygon and bbox, fewer than 3 points, points out of range, an
        area wholly outside the city, an unknown depot.
    ConflictError
        The name is taken.
    """
    if (polygon is None) == (bbox is None):
        raise InvalidInputError.for_field("polygon", "given, or a bbox instead (one of them)", None)
    if bbox is not None:
        points, kind = _bbox_polygon(bbox), "bbox"
    else:
        points, kind = [[float(p[0]), float(p[1])] for p in polygon or [] if len(p) == 2], "polygon"
        if len(points) < 3 or len(points) != len(polygon or []):
            raise InvalidInputError.for_field(
                "polygon", "at least 3 [lon, lat] points", list(polygon or [])
            )
    for lon, lat in points:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InvalidInputError.for_field(kind, "[lon, lat] points in range", [lon, lat])
    if city.bbox is not None and not any(city.contains(lat, lon) for lon, lat in points):
        west, south, east, north = city.bbox[1], city.bbox[0], city.bbox[3], city.bbox[2]
        city_box = [[west, south], [east, south], [east, north], [west, north]]
        if not any(inside(lat, lon, points) for lon, lat in city_box):
            raise InvalidInputError.for_field(
                kind, f"an area overlapping the city {city.name!r}", points
            )
    with db.session() as s:
        view = fleet_setup.add_area(
            s, name=name, city=city.name, polygon=points, kind=kind, depot=depot
        )
        names = {d.id: d.name for d in fleet_setup.list_depots(s)}
    return area_dict(view, names)


def list_fleet(db: Database, city: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Depots, vehicles and service areas (of one city, or all)."""
    with db.session() as s:
        all_depots = fleet_setup.list_depots(s)
        names = {d.id: d.name for d in all_depots}
        depots = [d for d in all_depots if city is None or d.city == city]
        vehicles = fleet_setup.list_vehicles(s, city=city)
        areas = fleet_setup.list_areas(s, city=city)
    return {
        "depots": [depot_dict(d) for d in depots],
        "vehicles": [vehicle_dict(v, names) for v in vehicles],
        "areas": [area_dict(a, names) for a in areas],
    }


def remove(db: Database, kind: str, ref: str) -> dict[str, Any]:
    """Remove a ``depot``, ``vehicle`` or ``area`` by name or id; returns what was removed."""
    with db.session() as s:
        names = {d.id: d.name for d in fleet_setup.list_depots(s)}
        if kind == "depot":
            return depot_dict(fleet_setup.remove_depot(s, ref))
        if kind == "vehicle":
            return vehicle_dict(fleet_setup.remove_vehicle(s, ref), names)
        if kind == "area":
            return area_dict(fleet_setup.remove_area(s, ref), names)
    raise InvalidInputError.for_field("kind", "one of depot, vehicle, area", kind)


def inside(lat: float, lon: float, polygon: Sequence[Sequence[float]]) -> bool:
    """True when ``(lat, lon)`` is inside the polygon of ``[lon, lat]`` points (ray casting)."""
    hit = False
    n = len(polygon)
    for i in range(n):
        x1, y1 = polygon[i][0], polygon[i][1]
        x2, y2 = polygon[(i + 1) % n][0], polygon[(i + 1) % n][1]
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


@dataclass(frozen=True)
class District:
    """Depots that plan together and the shipments they serve (``None``: any in the city)."""

    depot_ids: tuple[int, ...]
    shipment_ids: frozenset[int] | None


def districts(
    depots: Sequence[DepotView],
    areas: Sequence[AreaView],
    points: dict[int, tuple[float, float]],
) -> tuple[list[District], dict[int, str]]:
    """Split the shipments (id -> ``(lat, lon)``) between the depots by the service areas.

    No areas: one district with every depot and every shipment. With areas, a shipment in none
    of them is left out (reason ``outside_service_area``); one inside a depot's own area is
    served by that depot (the first such, by id); the rest by the depots without areas of
    their own, or, when every depot has its own, by the nearest depot as the crow flies.
    """
    if not areas:
        return [District(tuple(d.id for d in depots), None)], {}
    own: dict[int, list[AreaView]] = {}
    for a in areas:
        if a.depot_id is not None:
            own.setdefault(a.depot_id, []).append(a)
    shared = [a for a in areas if a.depot_id is None]
    free = [d for d in depots if d.id not in own]
    chosen: dict[int, list[int]] = {}
    left_out: dict[int, str] = {}
    for sid, (lat, lon) in points.items():
        home = next(
            (d.id for d in depots if any(inside(lat, lon, a.polygon) for a in own.get(d.id, []))),
            None,
        )
        if home is None and any(inside(lat, lon, a.polygon) for a in shared):
            pool = free or list(depots)
            home = min(pool, key=lambda d: (d.lat - lat) ** 2 + (d.lon - lon) ** 2).id
        if home is None:
            left_out[sid] = "outside_service_area"
            continue
        group = home if home in own or not free else -1
        chosen.setdefault(group, []).append(sid)
    out = [District((dep,), frozenset(ids)) for dep, ids in sorted(chosen.items()) if dep != -1]
    if -1 in chosen:
        out.append(District(tuple(d.id for d in free), frozenset(chosen[-1])))
    return out, left_out


def city_districts(db: Database, network: RoadNetwork) -> tuple[list[District], dict[int, str]]:
    """The depots of ``network``'s city with vehicles, and the shipments each may serve.

    What a day plan and a traffic re-plan plan separately; also the shipments left out
    (``outside_city``, ``outside_service_area``, ``no_vehicle``).
    """
    with db.session() as s:
        depots, vehicles = fleet_repo.get_fleet(s)
        areas = fleet_setup.list_areas(s, city=network.city)
        shipments = orders_repo.list_open_shipments(s)
    lo_lat, lo_lon, hi_lat, hi_lon = network.bbox
    m = 0.002  # ~200 m beyond the outermost road
    points: dict[int, tuple[float, float]] = {}
    left_out: dict[int, str] = {}
    for sh in shipments:
        if sh.lat is None or sh.lon is None:
            continue  # reported as no_address by _build
        if lo_lat - m <= sh.lat <= hi_lat + m and lo_lon - m <= sh.lon <= hi_lon + m:
            points[sh.id] = (sh.lat, sh.lon)
        else:
            left_out[sh.id] = "outside_city"
    no_point = {sh.id for sh in shipments if sh.lat is None or sh.lon is None}
    ours = [d for d in depots if d.city == network.city]
    with_vehicles = {v.depot_id for v in vehicles}
    groups, outside = districts(ours, areas, points)
    left_out.update(outside)
    kept: list[District] = []
    for g in groups:
        if any(d in with_vehicles for d in g.depot_ids) or len(groups) == 1:
            ids = g.shipment_ids
            if ids is None:
                ids = frozenset(points) | frozenset(no_point)
            kept.append(District(g.depot_ids, ids))
        else:
            left_out.update(dict.fromkeys(g.shipment_ids or (), "no_vehicle"))
    return kept or [District((), frozenset(no_point))], left_out
