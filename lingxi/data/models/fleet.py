"""Fleet: depots, vehicles, planned routes with their stops, and traffic observations."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lingxi.data.base import Base, TimestampMixin

DEFAULT_CITY = "monaco"
"""The city of depots and areas made before cities could be imported (the shipped demo)."""


class RouteStatus(StrEnum):
    """A route's life: planned, under way, finished."""

    PLANNED = "planned"
    ACTIVE = "active"
    DONE = "done"
    SUPERSEDED = "superseded"


class Depot(TimestampMixin, Base):
    """Where vehicles start and end; opening hours in seconds after midnight."""

    __tablename__ = "depot"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    lat: Mapped[float]
    lon: Mapped[float]
    opens_s: Mapped[int] = mapped_column(default=6 * 3600)
    closes_s: Mapped[int] = mapped_column(default=22 * 3600)
    city: Mapped[str] = mapped_column(
        String(64), default=DEFAULT_CITY, server_default=DEFAULT_CITY, index=True
    )
    """The city (``lingxi city list``) whose road network it plans on."""


class Vehicle(TimestampMixin, Base):
    """A delivery vehicle with its capacity and shift (seconds after midnight)."""

    __tablename__ = "vehicle"

    id: Mapped[int] = mapped_column(primary_key=True)
    depot_id: Mapped[int] = mapped_column(ForeignKey("depot.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100), unique=True)
    capacity: Mapped[int]
    shift_start_s: Mapped[int] = mapped_column(default=8 * 3600)
    shift_end_s: Mapped[int] = mapped_column(default=18 * 3600)
    end_depot_id: Mapped[int | None] = mapped_column(
        ForeignKey("depot.id", ondelete="CASCADE"), default=None
    )
    """Where its shift ends; ``None`` = back at the depot it starts from (``depot_id``)."""
    lat: Mapped[float | None] = mapped_column(default=None)
    """Last known position; ``None`` means at the depot."""
    lon: Mapped[float | None] = mapped_column(default=None)


class Route(TimestampMixin, Base):
    """One vehicle's planned route on one day; re-plans supersede it with a new version."""

    __tablename__ = "route"
    __table_args__ = (UniqueConstraint("vehicle_id", "plan_date", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id", ondelete="CASCADE"))
    plan_date: Mapped[date]
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(20), default=RouteStatus.PLANNED.value)
    distance_m: Mapped[int] = mapped_column(default=0)
    duration_s: Mapped[int] = mapped_column(default=0)
    geometry: Mapped[list[Any]] = mapped_column(default=list)
    """The path as ``[[lat, lon], ...]`` along the road network, for maps."""

    stops: Mapped[list[RouteStop]] = relationship(
        back_populates="route", cascade="all, delete-orphan", order_by="RouteStop.sequence"
    )


class RouteStop(Base):
    """A stop on a route, with planned and actual times."""

    __tablename__ = "route_stop"

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("route.id", ondelete="CASCADE"), index=True)
    sequence: Mapped[int]
    shipment_id: Mapped[int | None] = mapped_column(
        ForeignKey("shipment.id", ondelete="SET NULL"), default=None, index=True
    )
    lat: Mapped[float]
    lon: Mapped[float]
    planned_arrival: Mapped[datetime | None] = mapped_column(default=None)
    planned_departure: Mapped[datetime | None] = mapped_column(default=None)
    actual_arrival: Mapped[datetime | None] = mapped_column(default=None)
    actual_departure: Mapped[datetime | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(20), default="planned")

    route: Mapped[Route] = relationship(back_populates="stops")


class TrafficObservation(TimestampMixin, Base):
    """A live traffic report: a segment or zone, a speed factor, and the span it holds for."""

    __tablename__ = "traffic_observation"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    """``segment`` (OSM way/node pair) or ``zone`` (centre and radius)."""
    area: Mapped[dict[str, Any]] = mapped_column(default=dict)
    speed_factor: Mapped[float]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(100), default="api")


class ServiceArea(TimestampMixin, Base):
    """Where a city (or one depot of it) delivers: a polygon of ``[lon, lat]`` points.

    Once a city has areas, shipments outside all of them are not planned; a depot's own areas
    make its district, served by its vehicles only.
    """

    __tablename__ = "service_area"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    city: Mapped[str] = mapped_column(String(64), index=True)
    depot_id: Mapped[int | None] = mapped_column(
        ForeignKey("depot.id", ondelete="CASCADE"), default=None
    )
    kind: Mapped[str] = mapped_column(String(10), default="polygon")
    """``bbox`` or ``polygon`` (a bbox is kept as its four corners)."""
    polygon: Mapped[list[Any]] = mapped_column(default=list)
    """``[[lon, lat], ...]``, not closed (the last point joins the first)."""
