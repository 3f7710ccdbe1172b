"""HTTP models of the web app's page-only routes and of the health report."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from lingxi.text import MAX_MESSAGE_CHARS

__all__ = [
    "CostPublic",
    "DepotPublic",
    "HealthPublic",
    "MemberPublic",
    "OpsBoardPublic",
    "OpsExceptionPublic",
    "OpsLatePublic",
    "OpsPositionPublic",
    "OpsRoutePublic",
    "OpsStopPublic",
    "OpsUnassignedPublic",
    "PartPublic",
    "PartsPublic",
    "ProductFactPublic",
    "ProductFactsPublic",
    "SessionPublic",
    "VehiclePublic",
]


class PartPublic(BaseModel):
    """One part Lingxi depends on."""

    status: Literal["up", "down", "not_configured"]
    detail: str = Field(description="The dialect, the broker URL (no password) or the model.")


class PartsPublic(BaseModel):
    """Each part by name."""

    database: PartPublic
    broker: PartPublic
    llm: PartPublic


class HealthPublic(BaseModel):
    """``ok`` while the database is up (the broker and the LLM are optional)."""

    status: Literal["ok", "degraded"]
    parts: PartsPublic


class MemberPublic(BaseModel):
    """A signed-in member, as the web app shows them."""

    customer_id: int
    household_id: int
    display_name: str
    email: str
    role: str = Field(description="owner, adult, child, guest; or staff, courier.")
    locale: str


class SessionPublic(BaseModel):
    """Who is signed in, if anyone."""

    signed_in: bool
    member: MemberPublic | None
    max_message_chars: int = MAX_MESSAGE_CHARS
    """The one message limit (the chat box counts down to it; longer messages get 422)."""


class ProductFactPublic(BaseModel):
    """What a product card shows beyond the recommendation."""

    id: int
    rating: float | None
    category: str
    ingredients: list[str] = Field(description="The first 12 label entries.")
    image_src: str = Field(default="", description="The app's own image (a file or a placeholder).")
    review_count: int | None = Field(
        default=None, description="From a credited public source; null when none gives one."
    )


class ProductFactsPublic(BaseModel):
    """Facts of the products asked for, in order (unknown ids are left out)."""

    data: list[ProductFactPublic]
    count: int


class DepotPublic(BaseModel):
    """The depot."""

    name: str
    lat: float
    lon: float


class VehiclePublic(BaseModel):
    """A vehicle and its last known position."""

    name: str
    capacity: int
    lat: float | None
    lon: float | None


class OpsStopPublic(BaseModel):
    """A stop of a live route."""

    sequence: int
    shipment_id: int | None
    lat: float
    lon: float
    eta: datetime | None
    status: str
    promised_eta: datetime | None = Field(
        description="The ETA first promised for the shipment (its first plan)."
    )
    done: bool = Field(description="The shipment is no longer open (delivered or failed).")
    late_by_s: int = Field(description="Seconds the ETA is past the promise (0 if not).")


class OpsPositionPublic(BaseModel):
    """Where a route's vehicle is: reported by the courier, or where the plan puts it."""

    lat: float
    lon: float
    at: datetime
    source: Literal["reported", "planned"]


class OpsRoutePublic(BaseModel):
    """A live route: its stops and its road line (``[lon, lat]`` points)."""

    id: int
    vehicle: str
    plan_date: date
    version: int
    status: str
    distance_m: int
    duration_s: int
    stops: list[OpsStopPublic]
    geometry: list[list[float]]
    position: OpsPositionPublic | None


class OpsExceptionPublic(BaseModel):
    """A failed delivery (or pickup) of the day."""

    shipment_id: int
    order_id: int
    kind: str
    at: datetime
    note: str
    place: str


class OpsLatePublic(BaseModel):
    """A stop planned more than ``late_after_s`` after its promised ETA."""

    shipment_id: int | None
    vehicle: str
    sequence: int
    eta: datetime | None
    promised_eta: datetime | None
    late_by_s: int


class OpsUnassignedPublic(BaseModel):
    """An open shipment no route serves."""

    shipment_id: int
    order_id: int
    status: str
    lat: float | None
    lon: float | None
    reason: str = Field(
        description="Why no route serves it: fleet_exhausted (capacity), time_window (no "
        "vehicle reaches it within its delivery window and shift, or the window is another day), no_address, not_profitable, not_planned (it "
        "came after the last plan), other_day (a route of planned_day serves it)."
    )
    planned_day: date | None = Field(
        default=None, description="The day whose live route serves it (reason other_day)."
    )


class CostPublic(BaseModel):
    """The day's planned totals."""

    distance_m: int
    duration_s: int


class OpsBoardPublic(BaseModel):
    """The operations board of one day (staff only)."""

    day: date
    at: datetime = Field(description="The time the positions and lateness are for.")
    depot: DepotPublic | None
    vehicles: list[VehiclePublic]
    routes: list[OpsRoutePublic]
    unassigned: list[OpsUnassignedPublic]
    exceptions: list[OpsExceptionPublic]
    late: list[OpsLatePublic]
    late_after_s: int
    cost: CostPublic
