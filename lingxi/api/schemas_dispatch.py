"""HTTP models of the dispatch routes and of the maps (GeoJSON), so /openapi.json describes
every answer: a shipment's ETA, its route line, a day plan and what a traffic report changed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = [
    "DayPlanPublic",
    "EtaChangePublic",
    "Feature",
    "FeatureCollection",
    "Geometry",
    "PlannedRoutePublic",
    "PlannedStopPublic",
    "PositionPublic",
    "RoutePlacePublic",
    "ShipmentEtaPublic",
    "TrafficResultPublic",
    "UnassignedPublic",
]


class Geometry(BaseModel):
    """A GeoJSON geometry; coordinates are ``[lon, lat]`` (nested once per level)."""

    type: Literal["Point", "LineString", "MultiLineString"]
    coordinates: list[Any] = Field(description="[lon, lat], or lists of them (RFC 7946).")


class Feature(BaseModel):
    """A GeoJSON feature: a line or a point, and what it is (``properties``)."""

    type: Literal["Feature"] = "Feature"
    geometry: Geometry
    properties: dict[str, Any] = Field(
        description="Route lines: vehicle; stops: shipment_id and eta; roads: way_id and kmh."
    )


class FeatureCollection(BaseModel):
    """A GeoJSON FeatureCollection (RFC 7946), lon/lat order."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature]


class RoutePlacePublic(BaseModel):
    """Where a shipment sits on its planned route."""

    route_id: int
    vehicle: str
    sequence: int = Field(description="1 for the route's first stop.")
    stops_before: int
    stops_away: int | None = Field(
        default=None, description="Stops still to serve before this one (0: it is next)."
    )
    planned_arrival: datetime | None


class PositionPublic(BaseModel):
    """Where the vehicle is: the courier's last reported position (``courier``), or where the
    plan puts it now (``plan``: interpolated along the road line)."""

    lat: float
    lon: float
    at: datetime
    source: Literal["plan", "courier"]
    accuracy_m: float | None = None


class ShipmentEtaPublic(BaseModel):
    """A shipment's current ETA and its place on the delivery route."""

    shipment_id: int
    status: str
    eta: datetime | None
    eta_state: Literal["upcoming", "late", "unknown", "delivered", "failed"] = Field(
        default="unknown",
        description="late: the ETA has passed and the parcel has not arrived (being re-estimated).",
    )
    eta_source: Literal["plan", "position"] = Field(
        default="plan", description="position: re-computed from the courier's live position."
    )
    route: RoutePlacePublic | None = Field(description="None until the shipment is planned.")
    vehicle_position: PositionPublic | None = Field(
        default=None, description="Only while the parcel is near (next stops or minutes away)."
    )
    position_hidden: Literal["not_near"] | None = Field(
        default=None, description="Why no position is given."
    )


class PlannedStopPublic(BaseModel):
    """A stop of a planned route."""

    shipment_id: int
    eta: datetime
    kind: Literal["delivery", "return"]
    load_after: int = Field(description="Units on board after this stop.")


class PlannedRoutePublic(BaseModel):
    """One vehicle's planned route (the line is on the operations board)."""

    route_id: int
    vehicle: str
    stops: list[PlannedStopPublic]
    start: datetime
    end: datetime
    distance_m: int
    duration_s: int
    max_load: int


class UnassignedPublic(BaseModel):
    """A shipment the plan does not serve, and why (``no_address``, ``capacity``, ...;
    ``outside_city``, ``outside_service_area`` or ``no_vehicle`` for the active city's fleet)."""

    shipment_id: int
    reason: str


class DayPlanPublic(BaseModel):
    """A saved day plan: routes, what could not be served, totals."""

    day: date = Field(description="The day planned: tomorrow once today's shifts are over.")
    routes: list[PlannedRoutePublic]
    unassigned: list[UnassignedPublic]
    distance_m: int
    duration_s: int
    vehicles: int
    feasible: bool
    traffic_reports: list[int] = Field(description="Traffic observations the plan allowed for.")


class EtaChangePublic(BaseModel):
    """A shipment whose ETA a re-plan moved (a tracking event records it too)."""

    shipment_id: int
    eta: datetime


class TrafficResultPublic(BaseModel):
    """What a traffic report changed."""

    observation_id: int
    routes_replanned: list[int]
    eta_changes: list[EtaChangePublic]
    plan_updated: bool = Field(
        description="True exactly when a route was re-planned (routes_replanned is not empty)."
    )
