"""`/api/web`: small page-only endpoints the web app needs and no engine owns."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from lingxi.api.deps import SESSION_COOKIE, CurrentMember, DatabaseDep, SettingsDep, service
from lingxi.data.repos import catalog, fleet, identity, orders
from lingxi.errors import ForbiddenError, UnauthorizedError

__all__ = ["router"]

router = APIRouter(prefix="/api/web", tags=["web"])

_bearer = HTTPBearer(auto_error=False)


@router.get("/session")
def session_state(
    request: Request,
    db: DatabaseDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> dict[str, Any]:
    """Who is signed in, or ``{"signed_in": false}``: 200 either way, so a page load logs no 401."""
    token = credentials.credentials if credentials else request.cookies.get(SESSION_COOKIE)
    if not token:
        return {"signed_in": False, "member": None}
    try:
        with db.session() as session:
            member = identity.resolve_token(session, token=token)
    except UnauthorizedError:
        return {"signed_in": False, "member": None}
    return {
        "signed_in": True,
        "member": {
            "customer_id": member.customer_id,
            "household_id": member.household_id,
            "display_name": member.display_name,
            "email": member.email,
            "role": member.role,
            "locale": member.locale,
        },
    }


def _city_geojson(network: Any) -> dict[str, Any]:
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


@router.get(
    "/city.geojson",
    response_class=Response,
    responses={
        200: {"content": {"application/geo+json": {}}, "description": "The roads as GeoJSON."}
    },
)
def city_geojson(request: Request, member: CurrentMember, settings: SettingsDep) -> Response:
    """The demo city's drivable roads (the dispatch engine's own network) for the web maps."""
    from lingxi.dispatch import load_network

    def build(_state: Any) -> tuple[bytes, bytes]:
        doc = _city_geojson(load_network(settings.dispatch.osm_path))
        raw = json.dumps(doc, separators=(",", ":")).encode()
        return raw, gzip.compress(raw, compresslevel=6)

    raw, packed = service(request, "web.city_geojson", build)
    headers = {"Cache-Control": "private, max-age=3600", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(packed, media_type="application/geo+json", headers=headers)
    return Response(raw, media_type="application/geo+json", headers=headers)


@router.get("/products")
def product_facts(
    member: CurrentMember,
    db: DatabaseDep,
    ids: Annotated[str, Query(max_length=400, pattern=r"^\d{1,10}(,\d{1,10}){0,29}$")],
) -> dict[str, Any]:
    """Catalogue facts the product cards show (rating, ingredients) for up to 30 ids ("1,2,3")."""
    wanted = [int(i) for i in ids.split(",")]
    with db.session() as session:
        views = catalog.get_products(session, product_ids=wanted)
    data = [
        {
            "id": p.id,
            "rating": p.rating,
            "category": p.category,
            "ingredients": list(p.ingredients[:12]),
        }
        for p in views
    ]
    return {"data": data, "count": len(data)}


@router.get("/ops")
def operations(
    member: CurrentMember,
    db: DatabaseDep,
    settings: SettingsDep,
    day: Annotated[date | None, Query(description="Plan day (default: today, UTC)")] = None,
) -> dict[str, Any]:
    """The operations board: the day's live routes with their lines and stops, the open
    shipments no route serves, the depot and the vehicles. A demo operator view, with the same
    rule as the dispatch engine's planning routes: a household owner, outside production."""
    if settings.environment == "production" or member.role != "owner":
        raise ForbiddenError(
            "The operations board is a demo operator view: a household owner, outside production.",
            field="role",
        )
    day = day or datetime.now(UTC).date()
    with db.session() as session:
        depots, vehicles = fleet.get_fleet(session)
        routes = fleet.current_routes(session, plan_date=day)
        open_shipments = orders.list_open_shipments(session)
    planned = {s.shipment_id for r in routes for s in r.stops if s.shipment_id is not None}
    route_docs = []
    for r in routes:
        doc = r.to_dict()
        doc["geometry"] = [[round(p[1], 5), round(p[0], 5)] for p in r.geometry]
        route_docs.append(doc)
    unassigned = [
        {
            "shipment_id": s.id,
            "order_id": s.order_id,
            "status": s.status,
            "lat": s.lat,
            "lon": s.lon,
        }
        for s in open_shipments
        if s.id not in planned
    ]
    depot = depots[0] if depots else None
    return {
        "day": day.isoformat(),
        "depot": {"name": depot.name, "lat": depot.lat, "lon": depot.lon} if depot else None,
        "vehicles": [
            {"name": v.name, "capacity": v.capacity, "lat": v.lat, "lon": v.lon} for v in vehicles
        ],
        "routes": route_docs,
        "unassigned": unassigned,
        "cost": {
            "distance_m": sum(r.distance_m for r in routes),
            "duration_s": sum(r.duration_s for r in routes),
        },
    }
