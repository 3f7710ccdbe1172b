"""HTTP routes of the dispatch engine under `/api/dispatch`.

Members see their own shipments: the ETA and the delivery route's line on the road network
(GeoJSON or SVG, no map tiles), with only their own stop marked. Planning the day and reporting
traffic act on the whole fleet: staff only (``policy.Act.FLEET``), in every environment.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, Field, StrictInt

from lingxi.api.deps import CurrentMember, DatabaseDep, SettingsDep
from lingxi.api.jobs import plan_day_job, traffic_job
from lingxi.api.schemas_dispatch import (
    DayPlanPublic,
    FeatureCollection,
    ShipmentEtaPublic,
    TrafficResultPublic,
)
from lingxi.api.services import ClockDep, FleetOperator, PlanningJobsDep
from lingxi.commerce import Member
from lingxi.data import Database
from lingxi.errors import NotFoundError

__all__ = ["router"]

router = APIRouter(prefix="/api/dispatch", tags=["dispatch"])

ShipmentIdPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="Shipment id")]


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
    way_id: StrictInt | None = None
    speed_factor: Annotated[float, Field(gt=0, le=10)]
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    day: date

    def to_report(self) -> dict[str, Any]:
        """The report as the traffic job takes it (the area by its kind)."""
        area: dict[str, Any] = (
            {"lat": self.lat, "lon": self.lon, "radius_m": self.radius_m}
            if self.kind == "zone"
            else {"way_id": self.way_id}
        )
        return {
            "day": self.day,
            "kind": self.kind,
            "area": area,
            "speed_factor": self.speed_factor,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
        }


class SVGResponse(Response):
    """An SVG image."""

    media_type = "image/svg+xml"


@router.get("/shipments/{shipment_id}/eta", response_model=ShipmentEtaPublic)
def shipment_eta(
    shipment_id: ShipmentIdPath, member: CurrentMember, db: DatabaseDep, clock: ClockDep
) -> dict[str, Any]:
    """The shipment's current ETA and its place on the delivery route."""
    from lingxi.dispatch import eta_for_shipment

    return eta_for_shipment(db, shipment_id, household_id=member.household_id, now=clock())


def _own_route(
    db: Database, shipment_id: int, member: Member, now: datetime
) -> tuple[list[list[float]], dict[str, Any]]:
    from lingxi.dispatch import eta_for_shipment, route_geometry

    eta = eta_for_shipment(db, shipment_id, household_id=member.household_id, now=now)
    if eta["route"] is None:
        raise NotFoundError(
            f"Shipment {shipment_id} is not on a planned route yet.", field="shipment_id"
        )
    geometry, stop = route_geometry(db, shipment_id)
    return geometry, {**eta, "stop": stop}


@router.get("/shipments/{shipment_id}/route.geojson", response_model=FeatureCollection)
def shipment_route_geojson(
    shipment_id: ShipmentIdPath, member: CurrentMember, db: DatabaseDep, clock: ClockDep
) -> dict[str, Any]:
    """The delivery route as GeoJSON (lon/lat): the line and the member's own stop."""
    geometry, info = _own_route(db, shipment_id, member, clock())
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
    response_class=Response,  # no media type of its own: the errors stay application/json
    responses={
        200: {
            "content": {"image/svg+xml": {"schema": {"type": "string"}}},
            "description": "The route line and the member's stop as a self-contained SVG.",
        }
    },
)
def shipment_route_svg(
    shipment_id: ShipmentIdPath, member: CurrentMember, db: DatabaseDep, clock: ClockDep
) -> SVGResponse:
    """The delivery route drawn as SVG (no map tiles needed)."""
    from lingxi.dispatch import route_svg

    geometry, info = _own_route(db, shipment_id, member, clock())
    return SVGResponse(route_svg(geometry, info["stop"]))


@router.post("/plan", response_model=DayPlanPublic)
async def plan_day(
    body: PlanRequest,
    staff: FleetOperator,
    jobs: PlanningJobsDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> dict[str, Any]:
    """Plan the active city's open shipments into routes and write the ETAs (staff only), and
    answer the plan once it is saved.

    It runs as the day's planning job (``/api/ops/jobs``): while one is under way, this waits
    for it and answers its plan rather than planning the day a second time.
    """
    job, created = await asyncio.to_thread(
        jobs.claim,
        kind="plan",
        day=body.day,
        time_limit_s=body.time_limit_s,
        params=body.model_dump(mode="json"),
        started_by=staff.customer_id,
    )
    from lingxi.dispatch import city_network_path

    osm = city_network_path(settings)
    return await jobs.outcome(job, created, plan_day_job, osm, body.day, body.time_limit_s, clock())


@router.post("/traffic", response_model=TrafficResultPublic)
async def traffic(
    body: TrafficReport, staff: FleetOperator, jobs: PlanningJobsDep, settings: SettingsDep
) -> dict[str, Any]:
    """Report traffic; routes under way are re-planned and changed ETAs become tracking events
    (staff only).

    The re-plan runs in a solver process, so other requests are not held up while it searches,
    as the day's planning job: while another job holds the day, the answer is 409.
    """
    from lingxi.dispatch import city_network_path

    report = body.to_report()
    job, created = await asyncio.to_thread(
        jobs.claim,
        kind="traffic",
        day=body.day,
        time_limit_s=1.0,
        params=body.model_dump(mode="json"),
        started_by=staff.customer_id,
    )
    return await jobs.outcome(job, created, traffic_job, city_network_path(settings), report)
