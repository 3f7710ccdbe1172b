"""HTTP models of the courier routes (`/api/courier`): the day's stops, a closed stop, a
reported position and the ETAs it re-computed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field, StrictFloat, StrictInt

from lingxi.dispatch.courier import FAILURE_REASONS, MAX_NOTE_CHARS

__all__ = [
    "CourierDayPublic",
    "CourierPositionPublic",
    "CourierStopPublic",
    "FailedRequest",
    "NavigationPublic",
    "PositionRequest",
    "PositionResultPublic",
    "StartedPublic",
    "StopResultPublic",
]

Number = StrictFloat | StrictInt


class NavigationPublic(BaseModel):
    """Links that open the stop elsewhere (nothing is loaded from them here)."""

    geo: str = Field(description="A geo: URI for the device's map app.")
    osm: str = Field(description="OpenStreetMap directions to the stop.")


class CourierStopPublic(BaseModel):
    """One stop of the courier's route."""

    sequence: int
    shipment_id: int
    kind: Literal["delivery", "return"]
    status: str
    lat: float
    lon: float
    recipient: str
    address: str
    tracking_number: str
    planned_arrival: datetime | None
    eta: datetime | None
    navigation: NavigationPublic


class CourierPositionPublic(BaseModel):
    """The vehicle's last reported position."""

    lat: float
    lon: float
    accuracy_m: float | None
    recorded_at: datetime
    source: str


class CourierDayPublic(BaseModel):
    """The courier's vehicle and stops of the day, in route order."""

    vehicle: str
    day: date
    route_id: int | None
    route_status: str | None = Field(description="planned, active (under way) or done.")
    stops: list[CourierStopPublic]
    position: CourierPositionPublic | None


class StopResultPublic(BaseModel):
    """A stop closed (delivered or failed)."""

    shipment_id: int
    status: str
    closed_now: bool = Field(description="False: it was already closed; nothing was recorded.")
    started: list[int] = Field(description="Shipments this tap sent out for delivery.")


class StartedPublic(BaseModel):
    """The route set out: the shipments that went out for delivery (empty: already under way)."""

    started: list[int]


class FailedRequest(BaseModel):
    """Why the delivery failed."""

    reason: Literal[FAILURE_REASONS]  # type: ignore[valid-type]
    note: Annotated[str, Field(max_length=MAX_NOTE_CHARS)] = ""


class DeliveredRequest(BaseModel):
    """An optional note (left with the neighbour, in the mailbox)."""

    note: Annotated[str, Field(max_length=MAX_NOTE_CHARS)] = ""


class PositionRequest(BaseModel):
    """A position from the courier's device (``navigator.geolocation`` gives all four)."""

    lat: Annotated[Number, Field(ge=-90, le=90)]
    lon: Annotated[Number, Field(ge=-180, le=180)]
    accuracy: Annotated[Number, Field(ge=0, le=100_000)] | None = None
    """Metres (the fix's radius of uncertainty)."""
    recorded_at: AwareDatetime
    vehicle: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    """Optional: the vehicle the device is in; it must be the courier's."""


class EtaPublic(BaseModel):
    """A re-computed ETA."""

    shipment_id: int
    eta: datetime


class PositionResultPublic(BaseModel):
    """What a position changed."""

    vehicle: str
    newest: bool = Field(description="False: an older fix than one already stored; kept only.")
    etas: list[EtaPublic]
