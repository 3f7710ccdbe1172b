"""HTTP routes of the operator's city and fleet under `/api/fleet` (staff only).

The cities the deployment can plan in and the active one; depots, vehicles (capacity, shift,
start and end depot) and service areas of the active city. Every route is refused (403) to
customers: it is the deployment's own set-up (``policy.Act.FLEET``). Bad input is a 422 that
names the field and the value (a depot outside the city, a shift ending before it starts,
capacity <= 0, an unknown depot).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from lingxi.api.deps import DatabaseDep, SettingsDep
from lingxi.api.services import FleetOperator

__all__ = ["router"]

router = APIRouter(prefix="/api/fleet", tags=["fleet"])

RefPath = Annotated[str, Path(min_length=1, max_length=200, description="Name or id")]
Clock = Annotated[str, Field(min_length=1, max_length=5, examples=["08:00"])]


class CityPublic(BaseModel):
    """A city the deployment can plan in."""

    name: str
    source: str = Field(description="The OSM extract it was built from.")
    nodes: int | None
    edges: int | None
    bbox: list[float] | None = Field(description="[min_lat, min_lon, max_lat, max_lon].")
    active: bool
    builtin: bool = Field(description="The shipped demo city (no import needed).")
    imported_at: str | None
    import_s: float | None


class CitiesPublic(BaseModel):
    """The cities, by name."""

    data: list[CityPublic]
    count: int


class CityChoice(BaseModel):
    """Make a city the active one."""

    name: Annotated[str, Field(min_length=1, max_length=63)]


class DepotCreate(BaseModel):
    """A depot inside the active city."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    lat: float
    lon: float
    opens: Clock = "06:00"
    closes: Clock = "22:00"


class DepotPublic(BaseModel):
    """A depot and its opening hours."""

    id: int
    name: str
    city: str
    lat: float
    lon: float
    opens: str
    closes: str


class VehicleCreate(BaseModel):
    """A vehicle of the active city's depots."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    capacity: int
    start_depot: Annotated[str, Field(min_length=1, max_length=200)]
    end_depot: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    shift_start: Clock = "08:00"
    shift_end: Clock = "18:00"


class VehiclePublic(BaseModel):
    """A vehicle: capacity, shift and its depots (by name)."""

    id: int
    name: str
    capacity: int
    shift_start: str
    shift_end: str
    start_depot: str
    end_depot: str


class AreaCreate(BaseModel):
    """A service area: a polygon of [lon, lat] points or a bbox, of the city or one depot."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    polygon: Annotated[list[list[float]], Field(max_length=1000)] | None = None
    bbox: Annotated[list[float], Field(min_length=4, max_length=4)] | None = Field(
        default=None, description="[min_lon, min_lat, max_lon, max_lat]."
    )
    depot: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class AreaPublic(BaseModel):
    """A service area."""

    id: int
    name: str
    city: str
    depot: str | None = Field(description="The depot whose district it is; null: the city's.")
    kind: str
    polygon: list[list[float]]


class FleetPublic(BaseModel):
    """The active city's depots, vehicles and service areas."""

    city: str
    depots: list[DepotPublic]
    vehicles: list[VehiclePublic]
    areas: list[AreaPublic]


def _active(settings: Any) -> Any:
    from lingxi.dispatch import find_city

    return find_city(settings)


@router.get("/cities", response_model=CitiesPublic)
def cities(staff: FleetOperator, settings: SettingsDep) -> dict[str, Any]:
    """The demo city and every imported city (``lingxi city import``)."""
    from lingxi.dispatch import list_cities

    rows = [c.to_dict() for c in list_cities(settings)]
    return {"data": rows, "count": len(rows)}


@router.get("/city", response_model=CityPublic)
def active_city(staff: FleetOperator, settings: SettingsDep) -> dict[str, Any]:
    """The active city: where plans are made and what the maps draw."""
    info: dict[str, Any] = _active(settings).to_dict()
    return info


@router.put("/city", response_model=CityPublic)
def choose_city(body: CityChoice, staff: FleetOperator, settings: SettingsDep) -> dict[str, Any]:
    """Make an imported city the active one (as ``lingxi city use``)."""
    from lingxi.dispatch import use_city

    info: dict[str, Any] = use_city(settings, body.name).to_dict()
    return info


@router.get("", response_model=FleetPublic)
def fleet(staff: FleetOperator, settings: SettingsDep, db: DatabaseDep) -> dict[str, Any]:
    """The active city's depots, vehicles and service areas."""
    from lingxi.dispatch import active_city as current
    from lingxi.dispatch.fleet import list_fleet

    name = current(settings)
    return {"city": name, **list_fleet(db, name)}


@router.post("/depots", response_model=DepotPublic, status_code=201)
def add_depot(
    body: DepotCreate, staff: FleetOperator, settings: SettingsDep, db: DatabaseDep
) -> dict[str, Any]:
    """Add a depot inside the active city."""
    from lingxi.dispatch.fleet import add_depot as add

    return add(db, _active(settings), **body.model_dump())


@router.delete("/depots/{ref}", response_model=DepotPublic)
def remove_depot(ref: RefPath, staff: FleetOperator, db: DatabaseDep) -> dict[str, Any]:
    """Remove a depot no vehicle starts or ends at (409 otherwise)."""
    from lingxi.dispatch.fleet import remove

    return remove(db, "depot", ref)


@router.post("/vehicles", response_model=VehiclePublic, status_code=201)
def add_vehicle(
    body: VehicleCreate, staff: FleetOperator, settings: SettingsDep, db: DatabaseDep
) -> dict[str, Any]:
    """Add a vehicle with its capacity, shift and depots."""
    from lingxi.dispatch.fleet import add_vehicle as add

    return add(db, _active(settings), **body.model_dump())


@router.delete("/vehicles/{ref}", response_model=VehiclePublic)
def remove_vehicle(ref: RefPath, staff: FleetOperator, db: DatabaseDep) -> dict[str, Any]:
    """Remove a vehicle and its saved routes."""
    from lingxi.dispatch.fleet import remove

    return remove(db, "vehicle", ref)


@router.post("/areas", response_model=AreaPublic, status_code=201)
def add_area(
    body: AreaCreate, staff: FleetOperator, settings: SettingsDep, db: DatabaseDep
) -> dict[str, Any]:
    """Add a service area to the active city (or to one of its depots)."""
    from lingxi.dispatch.fleet import add_area as add

    return add(db, _active(settings), **body.model_dump())


@router.delete("/areas/{ref}", response_model=AreaPublic)
def remove_area(ref: RefPath, staff: FleetOperator, db: DatabaseDep) -> dict[str, Any]:
    """Remove a service area."""
    from lingxi.dispatch.fleet import remove

    return remove(db, "area", ref)
