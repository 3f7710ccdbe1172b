// What the engines' routes offer on this server, discovered from /openapi.json, and their shapes.

import { api, fillPath, routes } from "./api.js";
import { linesFromGeoJSON } from "./map.js";

/** The first offered operation whose "METHOD /path" matches `re`, or null. */
export async function discover(re) {
  const ops = await routes();
  for (const op of ops) if (re.test(op)) return op;
  return null;
}

let networkPromise = null;

/** The road network as polylines, or [] when the dispatch engine does not offer it yet. */
export function roadNetwork() {
  if (!networkPromise) {
    networkPromise = (async () => {
      // The dispatch engine's own city network endpoint if it has one, else the web app's copy.
      const op =
        (await discover(/^GET \/api\/dispatch\/(network|roads|city)[\w.]*$/)) ||
        (await discover(/^GET \/api\/web\/city\.geojson$/));
      if (!op) return [];
      return linesFromGeoJSON(await api(op.slice(4)));
    })().catch((err) => {
      console.warn("road network unavailable", err);
      networkPromise = null;
      return [];
    });
  }
  return networkPromise;
}

/** [lon, lat] from {lat, lon}, {latitude, longitude}, [lon, lat] or null. */
export function toLonLat(p) {
  if (!p) return null;
  if (Array.isArray(p) && p.length >= 2 && Number.isFinite(p[0])) return [Number(p[0]), Number(p[1])];
  const lat = p.lat ?? p.latitude, lon = p.lon ?? p.lng ?? p.longitude;
  return Number.isFinite(lat) && Number.isFinite(lon) ? [lon, lat] : null;
}

/** Polyline coordinates from a GeoJSON geometry or a list of points. */
export function toCoords(x) {
  if (!x) return null;
  if (x.type) {
    const lines = linesFromGeoJSON(x);
    return lines.length ? lines.flatMap((l) => l.coords) : null;
  }
  if (Array.isArray(x)) {
    const pts = x.map(toLonLat).filter(Boolean);
    return pts.length >= 2 ? pts : null;
  }
  return null;
}

/**
 * Where a shipment is: the courier's position, the route to the door, the depot and the ETA,
 * from the dispatch engine when it offers a per-shipment route, else from the tracking events.
 */
export async function delivery(shipment, order, { roads = true } = {}) {
  const info = { roads: [], route: null, vehicle: null, depot: null, plan: null, eta: shipment.eta, fitTo: null };
  const withPos = (shipment.events || []).filter((e) => Number.isFinite(e.lat) && Number.isFinite(e.lon));
  if (withPos.length) {
    const last = withPos.sort((a, b) => a.occurred_at.localeCompare(b.occurred_at)).at(-1);
    info.vehicle = [last.lon, last.lat];
  }
  const [etaOp, routeOp] = await Promise.all([
    discover(/^GET \/api\/dispatch\/shipments\/\{shipment_id\}\/eta$/),
    discover(/^GET \/api\/dispatch\/shipments\/\{shipment_id\}\/route\.geojson$/),
  ]);
  if (etaOp) {
    try {
      const live = await api(fillPath(etaOp, { shipment_id: shipment.id }));
      info.eta = live.eta || info.eta;
      info.plan = live.route || null;
      info.vehicle = toLonLat(live.position || live.vehicle_position) || info.vehicle;
    } catch (err) {
      console.warn("live ETA unavailable", err);
    }
  }
  // Only ask for the line when the shipment is on a planned route (else it is a 404).
  if (routeOp && info.plan) {
    try {
      const geo = await api(fillPath(routeOp, { shipment_id: shipment.id }));
      const line = (geo.features || []).find((f) => f.geometry && f.geometry.type === "LineString");
      if (line) {
        info.route = line.geometry.coordinates;
        if (!info.depot) info.depot = info.route[0];
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
