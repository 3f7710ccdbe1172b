"""lingxi.dispatch: delivery routes that keep up with the day.

Engine: build a :class:`DispatchProblem` (or read one with :func:`read_problem`), :func:`solve`
it with :class:`DispatchParams`, read the :class:`DispatchPlan`. Time-dependent travel:
:class:`SpeedModel` (Ichoua et al. 2003) and :func:`solve_td`. Re-planning with routes under
way: :func:`replan` from :func:`states_at`.

Service for the assistant and the API (the shared data layer and the demo city's roads):

* ``plan_shipments(db, day)`` plans the open shipments with the fleet, saves Route/RouteStop
  rows and writes each shipment's ETA; returns a :class:`DayPlan` (``to_dict()``, ``geojson()``).
* ``report_traffic(db, day=, kind=, area=, speed_factor=, starts_at=, ends_at=)`` records a
  report, re-plans the routes under way, updates ETAs and appends tracking events.
* ``eta_for_shipment(db, shipment_id, household_id=None)`` -> ``{"shipment_id", "status",
  "eta", "route"}``.
"""

from lingxi.dispatch.board import operations_board
from lingxi.dispatch.cities import (
    CityInfo,
    active_city,
    city_network_path,
    find_city,
    import_city,
    list_cities,
    use_city,
)
from lingxi.dispatch.city import (
    DayPlan,
    TrafficResult,
    eta_for_shipment,
    load_network,
    plan_shipments,
    report_traffic,
    route_geometry,
)
from lingxi.dispatch.io import read_problem, read_solution
from lingxi.dispatch.params import DispatchParams
from lingxi.dispatch.plan import DispatchPlan, PlannedStop, Unassigned, VehicleRoute, evaluate_route
from lingxi.dispatch.problem import (
    DispatchProblem,
    DispatchStop,
    DispatchVehicle,
    Location,
    TimeWindow,
)
from lingxi.dispatch.replan import VehicleState, replan, states_at
from lingxi.dispatch.routemap import planned_position, roads_geojson, route_svg
from lingxi.dispatch.solver import solve
from lingxi.dispatch.td import SpeedModel
from lingxi.dispatch.tdsearch import solve_td

__all__ = [
    "CityInfo",
    "DayPlan",
    "DispatchParams",
    "DispatchPlan",
    "DispatchProblem",
    "DispatchStop",
    "DispatchVehicle",
    "Location",
    "PlannedStop",
    "SpeedModel",
    "TimeWindow",
    "TrafficResult",
    "Unassigned",
    "VehicleRoute",
    "VehicleState",
    "active_city",
    "city_network_path",
    "eta_for_shipment",
    "evaluate_route",
    "find_city",
    "import_city",
    "list_cities",
    "load_network",
    "operations_board",
    "plan_shipments",
    "planned_position",
    "read_problem",
    "read_solution",
    "replan",
    "report_traffic",
    "roads_geojson",
    "route_geometry",
    "route_svg",
    "solve",
    "solve_td",
    "states_at",
    "use_city",
]
