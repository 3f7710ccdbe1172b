"""HTTP routes of the dispatch engine under `/api/dispatch`.

Members see their own shipments: the ETA and the delivery route's line on the road network
(GeoJSON or SVG, no map tiles), with only their own stop marked. Planning the day and reporting
traffic act on the whole fleet; until Lingxi has a fleet-operator role they are demo operator
actions, open to household owners outside production.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from lingxi.api.deps import CurrentMember, DatabaseDep, SettingsDep, service
from lingxi.api.workers import SolverWorkers, plan_job, traffic_job
from lingxi.config import Settings
from lingxi.data.repos.identity import Member
from lingxi.errors import ForbiddenError, NotFoundError

__all__ = ["router"]

router = APIRouter(prefix="/api/dispatch", tags=["dispatch"])

ShipmentIdPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="Shipment id")]


def _operator(member: Member, settings: Settings) -> None:
    if settings.environment == "production" or member.role != "owner":
        raise ForbiddenError(
            "Planning and traffic reports are demo operator actions: a household owner, "
            "outside production.",
            field="role",
        )


class PlanRequest(BaseModel):
    """Plan a delivery day."""

    day: date
    time_limit_s: Annotated[float, Field(gt=0, le=60)] = 2.0


class TrafficReport(BaseModel):
    """A traffic report: a zone (lat, lon, radius_m) or an OSM way, a speed factor, a span."""

    kind: Literal["zone", "segment"]
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    radius_m: Annotated[float, Field(gt=0, le=50_000)] | None = None
    way_id: int | None = None
    speed_factor: Annotated[float, Field(gt=0, le=10)]
    starts_at: datetime
    ends_at: datetime
    day: date


@router.get("/shipments/{shipment_id}/eta")
def shipment_eta(
    shipment_id: ShipmentIdPath, member: CurrentMember, db: DatabaseDep
) -> dict[str, Any]:
    """The shipment's current ETA and its place on the delivery route."""
    from lingxi.dispatch import eta_for_shipment

    return eta_for_shipment(db, shipment_id, household_id=member.household_id)


def _own_route(
    db: Any, shipment_id: int, member: Member
) -> tuple[list[list[float]], dict[str, Any]]:
    from lingxi.dispatch import eta_for_shipment, route_geometry

    eta = eta_for_shipment(db, shipment_id, household_id=member.household_id)
    if eta["route"] is None:
        raise NotFoundError(
            f"Shipment {shipment_id} is not on a planned route yet.", field="shipment_id"
        )
    geometry, stop = route_geometry(db, shipment_id)
    return geometry, {**eta, "stop": stop}


@router.get("/shipments/{shipment_id}/route.geojson")
def shipment_route_geojson(
    shipment_id: ShipmentIdPath, member: CurrentMember, db: DatabaseDep
) -> dict[str, Any]:
    """The delivery route as GeoJSON (lon/lat): the line and the member's own stop."""
    geometry, info = _own_route(db, shipment_id, member)
    lat, lon = info["stop"]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[p[1], p[0]] for p in geometry]},
                "properties": {"vehicle": info["route"]["vehicle"]},
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"shipment_id": shipment_id, "eta": info["eta"]},
            },
        ],
    }


@router.get(
    "/shipments/{shipment_id}/route.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "The route as SVG."}},
)
def shipment_route_svg(
    shipment_id: ShipmentIdPath, member: CurrentMember, db: DatabaseDep
) -> Response:
    """The delivery route drawn as SVG (no map tiles needed)."""
    from lingxi.dispatch import route_svg

    geometry, info = _own_route(db, shipment_id, member)
    return Response(route_svg(geometry, info["stop"]), media_type="image/svg+xml")


def _workers(request: Request) -> SolverWorkers:
    def build(state: Any) -> SolverWorkers:
        workers = SolverWorkers(state.settings, state.db)
        state.on_shutdown.append(workers.close)
        return workers

    workers: SolverWorkers = service(request, "solver_workers", build)
    return workers


@router.post("/plan")
async def plan_day(
    body: PlanRequest, request: Request, member: CurrentMember, settings: SettingsDep
) -> dict[str, Any]:
    """Plan the day's open shipments into routes and write the ETAs (demo operator action)."""
    _operator(member, settings)
    return await _workers(request).run(
        plan_job,
        _workers(request).db_settings,
        settings.dispatch.osm_path,
        body.day,
        body.time_limit_s,
        datetime.now(UTC),
    )


@router.post("/traffic")
async def traffic(
    body: TrafficReport, request: Request, member: CurrentMember, settings: SettingsDep
) -> dict[str, Any]:
    """Report traffic; routes under way are re-planned and changed ETAs become tracking events.

    The re-plan runs in a solver process, so other requests are not held up while it searches.
    """
    _operator(member, settings)
    area: dict[str, Any] = (
        {"lat": body.lat, "lon": body.lon, "radius_m": body.radius_m}
        if body.kind == "zone"
        else {"way_id": body.way_id}
    )
    report = {
        "day": body.day,
        "kind": body.kind,
        "area": area,
        "speed_factor": body.speed_factor,
        "starts_at": body.starts_at,
        "ends_at": body.ends_at,
    }
    workers = _workers(request)
    return await workers.run(traffic_job, workers.db_settings, settings.dispatch.osm_path, report)
