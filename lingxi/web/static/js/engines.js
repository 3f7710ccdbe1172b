// The API's endpoints the web app calls, fixed and known (each is a documented operation
// with a typed answer; tests/web/test_endpoints.py checks every one), and the delivery view
// built from their shapes.

import { api, fillPath } from "./api.js";
import { linesFromGeoJSON } from "./map.js";

/** "METHOD /path" of every operation the views call; `{name}` placeholders go through fillPath. */
export const ENDPOINTS = Object.freeze({
  // assistant (the stream sends the reply as Server-Sent Events, or one JSON answer)
  conversations: "POST /api/assistant/conversations",
  messageStream: "POST /api/assistant/conversations/{conversation_id}/messages/stream",
  // shopping guide
  recommend: "POST /api/guide/recommend",
  compare: "POST /api/guide/compare",
  productFacts: "GET /api/web/products",
  product: "GET /api/products/{product_id}",
  parse: "POST /api/guide/parse",
  // home
  homeState: "GET /api/home/state",
  homeTouch: "POST /api/home/touch",
  homeGesture: "POST /api/home/gesture",
  homeHistory: "GET /api/home/history",
  homeStream: "GET /api/home/stream",
  gestureBindings: "GET /api/home/gestures/bindings",
  voice: "POST /api/home/audio",
  // dispatch: a member's own shipment, and the staff's fleet views
  shipmentEta: "GET /api/dispatch/shipments/{shipment_id}/eta",
  shipmentRoute: "GET /api/dispatch/shipments/{shipment_id}/route.geojson",
  cityMap: "GET /api/web/city.geojson",
  // the operator console (staff only)
  opsBoard: "GET /api/ops/board",
  opsPlan: "POST /api/ops/plan",
  opsTraffic: "POST /api/ops/traffic",
  opsJob: "GET /api/ops/jobs/{job_id}",
  opsHistory: "GET /api/ops/history",
  opsHomes: "GET /api/ops/homes",
  // the operator's city and fleet (staff)
  fleetCities: "GET /api/fleet/cities",
  fleetCityUse: "PUT /api/fleet/city",
  fleet: "GET /api/fleet",
  fleetDepots: "POST /api/fleet/depots",
  fleetDepot: "DELETE /api/fleet/depots/{ref}",
  fleetVehicles: "POST /api/fleet/vehicles",
  fleetVehicle: "DELETE /api/fleet/vehicles/{ref}",
  fleetAreas: "POST /api/fleet/areas",
  fleetArea: "DELETE /api/fleet/areas/{ref}",
  // catalogue (staff)
  catalogueSearch: "GET /api/catalogue/products",
  catalogueProduct: "PATCH /api/catalogue/products/{sku}",
  catalogueImport: "POST /api/catalogue/import",
  catalogueVersions: "GET /api/catalogue/versions",
  catalogueRollback: "POST /api/catalogue/versions/{version}/rollback",
  // the courier's phone: the day's stops, closing one, the device's position
  courierStops: "GET /api/courier/stops",
  courierStart: "POST /api/courier/start",
  courierDelivered: "POST /api/courier/stops/{shipment_id}/delivered",
  courierFailed: "POST /api/courier/stops/{shipment_id}/failed",
  courierPosition: "POST /api/courier/position",
});

let networkPromise = null;

/** The city's roads as polylines (a FeatureCollection of MultiLineStrings), or [] when down. */
export function roadNetwork() {
  if (!networkPromise) {
    networkPromise = api(fillPath(ENDPOINTS.cityMap, {}))
      .then(linesFromGeoJSON)
      .catch((err) => {
        console.warn("road network unavailable", err);
        networkPromise = null;
        return [];
      });
  }
  return networkPromise;
}

/** Forget the roads read so far (another city was made active): the next map reads them anew. */
export function resetRoadNetwork() {
  networkPromise = null;
}

/** [lon, lat] from a `{lat, lon}` point (the API's one shape for a place), or null. */
export function toLonLat(p) {
  return p && Number.isFinite(p.lat) && Number.isFinite(p.lon) ? [p.lon, p.lat] : null;
}

/**
 * Where a shipment is: the courier's position, the route to the door, the depot and the ETA,
 * from its ETA (ShipmentEtaPublic) and, once it is on a planned route, the route's line.
 */
export async function delivery(shipment, order, { roads = true } = {}) {
  const info = { roads: [], route: null, vehicle: null, depot: null, plan: null, eta: shipment.eta, fitTo: null };
  const hasPos = (e) => Number.isFinite(e.lat) && Number.isFinite(e.lon);
  const events = [...(shipment.events || [])].sort((a, b) => a.occurred_at.localeCompare(b.occurred_at));
  const withPos = events.filter(hasPos);
  if (withPos.length) info.vehicle = [withPos.at(-1).lon, withPos.at(-1).lat];
  // A position the courier reported in the newest event beats one interpolated from the plan.
  const reported = events.length && hasPos(events.at(-1));
  try {
    const live = await api(fillPath(ENDPOINTS.shipmentEta, { shipment_id: shipment.id }));
    info.eta = live.eta || info.eta;
    info.plan = live.route;
    if (!reported) info.vehicle = toLonLat(live.vehicle_position) || info.vehicle;
  } catch (err) {
    console.warn("live ETA unavailable", err);
  }
  // Only ask for the line when the shipment is on a planned route (else it is a 404).
  if (info.plan) {
    try {
      const geo = await api(fillPath(ENDPOINTS.shipmentRoute, { shipment_id: shipment.id }));
      const line = geo.features.find((f) => f.geometry.type === "LineString");
      if (line) {
        info.route = line.geometry.coordinates;
        info.depot = info.route[0];
      }
    } catch (err) {
      console.warn("route line unavailable", err);
    }
  }
  if (roads) info.roads = await roadNetwork();
  const dest = toLonLat(shipment.destination);
  const pts = [dest, info.vehicle, info.depot, ...(info.route || [])].filter(Boolean);
  if (pts.length) info.fitTo = pts;
  return info;
}
