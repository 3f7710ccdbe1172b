"""Drawing for the maps: where a route's vehicle is by the plan, a route line as SVG (no tiles),
and the city's roads as GeoJSON."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from lingxi.data.repos import fleet as fleet_repo
from lingxi.dispatch.roadnet import RoadNetwork

__all__ = ["planned_position", "roads_geojson", "route_svg"]


def planned_position(route: fleet_repo.RouteView, when: datetime) -> dict[str, Any] | None:
    """Where the plan puts the route's vehicle at ``when`` (no GPS: interpolated on the road line).

    Between two stops the vehicle moves along the route's road geometry in proportion to the
    time between leaving one and reaching the next; at a stop it waits there; before the first
    arrival it is at the depot, after the last departure at the last stop.
    """
    line = route.geometry
    stops = [st for st in route.stops if st.planned_arrival and st.planned_departure]
    if len(line) < 2 or not stops:
        return None
    # Each stop's place on the line: the nearest point at or after the previous stop's.
    marks: list[tuple[int, datetime, datetime]] = []
    start = 0
    for st in stops:
        best = min(
            range(start, len(line)),
            key=lambda i: (line[i][0] - st.lat) ** 2 + (line[i][1] - st.lon) ** 2,
        )
        marks.append((best, st.planned_arrival, st.planned_departure))  # type: ignore[arg-type]
        start = best
    index: float = 0.0
    if when >= marks[0][1]:
        index = float(marks[-1][0])
        for (i0, _a0, d0), (i1, a1, _d1) in zip(marks, marks[1:], strict=False):
            if when <= d0:
                index = float(i0)
                break
            if when < a1:
                share = (when - d0) / (a1 - d0) if a1 > d0 else 1.0
                index = i0 + share * (i1 - i0)
                break
    lo = int(math.floor(index))
    hi = min(lo + 1, len(line) - 1)
    frac = index - lo
    lat = line[lo][0] + frac * (line[hi][0] - line[lo][0])
    lon = line[lo][1] + frac * (line[hi][1] - line[lo][1])
    return {"lat": lat, "lon": lon, "at": when.isoformat(), "source": "plan"}


def route_svg(
    geometry: list[list[float]], stop: tuple[float, float] | None = None, *, size: int = 480
) -> str:
    """A route line (``[[lat, lon], ...]``) as a self-contained SVG, north up, no tiles."""
    points = list(geometry) + ([list(stop)] if stop else [])
    if not points:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}"/>'
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    kx = math.cos(math.radians(sum(lats) / len(lats)))
    w = max((max(lons) - min(lons)) * kx, 1e-6)
    h = max(max(lats) - min(lats), 1e-6)
    scale = (size - 40) / max(w, h)

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return 20 + (lon - min(lons)) * kx * scale, size - 20 - (lat - min(lats)) * scale

    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(p[0], p[1]) for p in geometry))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" role="img" aria-label="Delivery route">',
        f'<rect width="{size}" height="{size}" fill="#f8f8f5"/>',
        f'<polyline points="{path}" fill="none" stroke="#2b6cb0" stroke-width="3" '
        'stroke-linejoin="round" stroke-linecap="round"/>',
    ]
    if geometry:
        sx, sy = xy(geometry[0][0], geometry[0][1])
        parts.append(
            f'<rect x="{sx - 6:.1f}" y="{sy - 6:.1f}" width="12" height="12" fill="#444"/>'
        )
    if stop:
        px, py = xy(stop[0], stop[1])
        parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="8" fill="#e53e3e"/>')
    parts.append(
        f'<text x="{size - 8}" y="{size - 6}" font-size="10" text-anchor="end" '
        'fill="#666">© OpenStreetMap contributors</text></svg>'
    )
    return "".join(parts)


def roads_geojson(network: RoadNetwork) -> dict[str, Any]:
    """The network's roads as one line per chain of a way, undirected, lon/lat to ~10 m."""
    seen: set[tuple[int, int]] = set()
    chains: dict[int, list[list[int]]] = {}
    for u, v, way in zip(
        network.tail.tolist(), network.head.tolist(), network.way.tolist(), strict=True
    ):
        key = (u, v) if u < v else (v, u)
        if key in seen:
            continue
        seen.add(key)
        runs = chains.setdefault(way, [])
        if runs and runs[-1][-1] == u:
            runs[-1].append(v)
        else:
            runs.append([u, v])
    speed = {}
    for length, time_s, way in zip(
        network.length_m.tolist(), network.time_s.tolist(), network.way.tolist(), strict=True
    ):
        if time_s > 0:
            speed[way] = round(3.6 * length / time_s)
    lat, lon = network.lat.tolist(), network.lon.tolist()
    features = [
        {
            "type": "Feature",
            "geometry": {
                "type": "MultiLineString",
                "coordinates": [
                    [[round(lon[n], 4), round(lat[n], 4)] for n in run] for run in runs
                ],
            },
            "properties": {"way_id": way, "kmh": speed.get(way, 0)},
        }
        for way, runs in chains.items()
    ]
    return {"type": "FeatureCollection", "features": features}
