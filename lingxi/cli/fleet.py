"""`lingxi fleet depot|vehicle|area ...`: the operator's depots, vehicles and service areas."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from lingxi.cli._common import console, database, emit_json, handle_errors, settings
from lingxi.errors import InvalidInputError

__all__ = ["app"]

app = typer.Typer(help="Depots, vehicles and service areas.", no_args_is_help=True)
depot_app = typer.Typer(help="Depots (where vehicles start and end).", no_args_is_help=True)
vehicle_app = typer.Typer(help="Vehicles (capacity, shift, depots).", no_args_is_help=True)
area_app = typer.Typer(help="Service areas (where a city or depot delivers).", no_args_is_help=True)
app.add_typer(depot_app, name="depot")
app.add_typer(vehicle_app, name="vehicle")
app.add_typer(area_app, name="area")

CityOpt = Annotated[str | None, typer.Option("--city", help="The city (default: the active one).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def _city(name: str | None) -> Any:
    from lingxi.dispatch.cities import find_city

    return find_city(settings(), name)


def _show(rows: list[dict[str, Any]], title: str, cols: tuple[str, ...], as_json: bool) -> None:
    if as_json:
        emit_json({"data": rows, "count": len(rows)})
        return
    table = Table(title=title)
    for col in cols:
        table.add_column(col)
    for row in rows:
        table.add_row(*(str(row.get(c, "")) for c in cols))
    console.print(table)


def _done(doc: dict[str, Any], what: str, as_json: bool) -> None:
    if as_json:
        emit_json(doc)
    else:
        console.print(f"{what} {doc['name']} (id {doc['id']})", highlight=False)


# -- depots ---------------------------------------------------------------------------------
@depot_app.command("add")
@handle_errors
def depot_add(
    name: Annotated[str, typer.Argument(help="The depot's name.")],
    lat: Annotated[float, typer.Option(help="Latitude.")],
    lon: Annotated[float, typer.Option(help="Longitude.")],
    opens: Annotated[str, typer.Option(help="Opening time HH:MM.")] = "06:00",
    closes: Annotated[str, typer.Option(help="Closing time HH:MM.")] = "22:00",
    city: CityOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a depot inside the city."""
    from lingxi.dispatch.fleet import add_depot

    doc = add_depot(
        database(), _city(city), name=name, lat=lat, lon=lon, opens=opens, closes=closes
    )
    _done(doc, "added depot", as_json)


@depot_app.command("list")
@handle_errors
def depot_list(city: CityOpt = None, as_json: JsonOpt = False) -> None:
    """The city's depots."""
    from lingxi.dispatch.fleet import list_fleet

    info = _city(city)
    rows = list_fleet(database(), info.name)["depots"]
    _show(rows, f"Depots of {info.name}", ("id", "name", "lat", "lon", "opens", "closes"), as_json)


@depot_app.command("remove")
@handle_errors
def depot_remove(
    depot: Annotated[str, typer.Argument(help="Name or id.")], as_json: JsonOpt = False
) -> None:
    """Remove a depot no vehicle uses."""
    from lingxi.dispatch.fleet import remove

    _done(remove(database(), "depot", depot), "removed depot", as_json)


# -- vehicles -------------------------------------------------------------------------------
@vehicle_app.command("add")
@handle_errors
def vehicle_add(
    name: Annotated[str, typer.Argument(help="The vehicle's name.")],
    capacity: Annotated[int, typer.Option(help="Units it carries (> 0).")],
    depot: Annotated[str, typer.Option("--depot", help="The depot it starts from.")],
    end_depot: Annotated[
        str | None, typer.Option("--end-depot", help="Where it ends (default: --depot).")
    ] = None,
    shift_start: Annotated[str, typer.Option(help="Shift start HH:MM.")] = "08:00",
    shift_end: Annotated[str, typer.Option(help="Shift end HH:MM.")] = "18:00",
    city: CityOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a vehicle with its capacity, shift and start/end depots."""
    from lingxi.dispatch.fleet import add_vehicle

    doc = add_vehicle(
        database(),
        _city(city),
        name=name,
        capacity=capacity,
        start_depot=depot,
        end_depot=end_depot,
        shift_start=shift_start,
        shift_end=shift_end,
    )
    _done(doc, "added vehicle", as_json)


@vehicle_app.command("list")
@handle_errors
def vehicle_list(city: CityOpt = None, as_json: JsonOpt = False) -> None:
    """The city's vehicles."""
    from lingxi.dispatch.fleet import list_fleet

    info = _city(city)
    rows = list_fleet(database(), info.name)["vehicles"]
    cols = ("id", "name", "capacity", "shift_start", "shift_end", "start_depot", "end_depot")
    _show(rows, f"Vehicles of {info.name}", cols, as_json)


@vehicle_app.command("remove")
@handle_errors
def vehicle_remove(
    vehicle: Annotated[str, typer.Argument(help="Name or id.")], as_json: JsonOpt = False
) -> None:
    """Remove a vehicle (and its saved routes)."""
    from lingxi.dispatch.fleet import remove

    _done(remove(database(), "vehicle", vehicle), "removed vehicle", as_json)


# -- service areas --------------------------------------------------------------------------
@area_app.command("add")
@handle_errors
def area_add(
    name: Annotated[str, typer.Argument(help="The area's name.")],
    bbox: Annotated[
        str | None, typer.Option(help="min_lon,min_lat,max_lon,max_lat (instead of --polygon).")
    ] = None,
    polygon: Annotated[
        str | None, typer.Option(help="JSON [[lon, lat], ...] (3 points or more).")
    ] = None,
    depot: Annotated[
        str | None, typer.Option("--depot", help="The depot whose district it is (default: city).")
    ] = None,
    city: CityOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a service area: shipments outside every area are not planned."""
    from lingxi.dispatch.fleet import add_area, parse_bbox

    points = None
    if polygon is not None:
        try:
            points = json.loads(polygon)
            if not isinstance(points, list) or not all(isinstance(p, list) for p in points):
                raise ValueError
        except ValueError:
            raise InvalidInputError.for_field(
                "polygon", "a JSON list of [lon, lat] points", polygon
            ) from None
    doc = add_area(
        database(),
        _city(city),
        name=name,
        polygon=points,
        bbox=parse_bbox(bbox) if bbox is not None else None,
        depot=depot,
    )
    _done(doc, "added area", as_json)


@area_app.command("list")
@handle_errors
def area_list(city: CityOpt = None, as_json: JsonOpt = False) -> None:
    """The city's service areas."""
    from lingxi.dispatch.fleet import list_fleet

    info = _city(city)
    rows = list_fleet(database(), info.name)["areas"]
    _show(
        rows, f"Service areas of {info.name}", ("id", "name", "depot", "kind", "polygon"), as_json
    )


@area_app.command("remove")
@handle_errors
def area_remove(
    area: Annotated[str, typer.Argument(help="Name or id.")], as_json: JsonOpt = False
) -> None:
    """Remove a service area."""
    from lingxi.dispatch.fleet import remove

    _done(remove(database(), "area", area), "removed area", as_json)


# -- planning -------------------------------------------------------------------------------
@app.command("plan")
@handle_errors
def plan_cmd(
    day: Annotated[str, typer.Argument(help="The delivery day, YYYY-MM-DD.")],
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds of search.")] = 2.0,
    as_json: JsonOpt = False,
) -> None:
    """Plan the active city's open shipments with its fleet; save routes and ETAs."""
    from datetime import date

    from lingxi.dispatch import DispatchParams, city_network_path, load_network, plan_shipments

    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise InvalidInputError.for_field("day", "a date YYYY-MM-DD", day) from None
    if not time_limit > 0:
        raise InvalidInputError.for_field("--time-limit", "a number of seconds > 0", time_limit)
    network = load_network(city_network_path(settings()))
    with console.status(f"Planning {network.city} for {when}...", spinner="dots"):
        plan = plan_shipments(
            database(), when, params=DispatchParams(time_limit=time_limit), network=network
        )
    doc = plan.to_dict()
    for route in doc["routes"]:
        route.pop("geometry", None)
    if as_json:
        emit_json({"city": network.city, **doc})
        return
    table = Table(title=f"{network.city}, {doc['day']}: {len(doc['routes'])} routes")
    for col in ("vehicle", "shipments", "start", "end", "km"):
        table.add_column(col)
    for r in doc["routes"]:
        table.add_row(
            r["vehicle"],
            " ".join(str(s["shipment_id"]) for s in r["stops"]),
            r["start"][11:16],
            r["end"][11:16],
            f"{r['distance_m'] / 1000:.1f}",
        )
    console.print(table)
    for u in doc["unassigned"]:
        console.print(f"not planned: shipment {u['shipment_id']} ({u['reason']})", highlight=False)
