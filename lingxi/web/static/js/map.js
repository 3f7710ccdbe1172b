// An SVG map of the city from the project's own road network (no tiles, no internet).

import { h } from "./dom.js";

const W = 520;
const NS = "http://www.w3.org/2000/svg";

/** Polylines ([[lon, lat], ...]) from a GeoJSON FeatureCollection, Feature or geometry. */
export function linesFromGeoJSON(geo) {
  const out = [];
  const visit = (g, props) => {
    if (!g) return;
    if (g.type === "FeatureCollection") for (const f of g.features || []) visit(f.geometry, f.properties || {});
    else if (g.type === "Feature") visit(g.geometry, g.properties || {});
    else if (g.type === "LineString") out.push({ coords: g.coordinates, props: props || {} });
    else if (g.type === "MultiLineString") for (const c of g.coordinates) out.push({ coords: c, props: props || {} });
    else if (g.type === "GeometryCollection") for (const x of g.geometries || []) visit(x, props);
  };
  visit(geo, {});
  return out;
}

/** A projection fitting `points` ([lon, lat]) into a W-wide box, keeping the aspect at that latitude. */
export function makeProjection(points, pad = 0.06) {
  let minLon = Infinity, maxLon = -Infinity, minLat = Infinity, maxLat = -Infinity;
  for (const [lon, lat] of points) {
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) continue;
    minLon = Math.min(minLon, lon); maxLon = Math.max(maxLon, lon);
    minLat = Math.min(minLat, lat); maxLat = Math.max(maxLat, lat);
  }
  if (!Number.isFinite(minLon)) { minLon = 7.40; maxLon = 7.44; minLat = 43.72; maxLat = 43.75; }
  const span = Math.max(maxLon - minLon, maxLat - minLat, 0.004);
  const cx = (minLon + maxLon) / 2, cy = (minLat + maxLat) / 2;
  const k = Math.cos((cy * Math.PI) / 180);
  // At least ~1 km across, so a lone point shows its neighbourhood rather than one street.
  let dx = Math.max(maxLon - minLon, 0.014) * k, dy = Math.max(maxLat - minLat, 0.009);
  dx *= 1 + 2 * pad; dy *= 1 + 2 * pad;
  const aspect = Math.min(Math.max(dy / dx, 0.55), 1.2);
  const H = Math.round(W * aspect);
  const scale = Math.min(W / dx, H / dy);
  void span;
  return {
    width: W,
    height: H,
    project: ([lon, lat]) => [W / 2 + (lon - cx) * k * scale, H / 2 - (lat - cy) * scale],
  };
}

function pathData(coords, project) {
  let d = "";
  coords.forEach((c, i) => {
    const [x, y] = project(c);
    d += `${i ? "L" : "M"}${x.toFixed(1)} ${y.toFixed(1)}`;
  });
  return d;
}

function svgEl(tag, attrs) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  return el;
}

/**
 * Draw a map. `roads`: polylines from the road network; `routes`: [{coords, color, label}];
 * `markers`: [{lon, lat, kind, label, color, source}] (a vehicle's source: reported or planned). Returns {svg, moveVehicle(id, lon, lat)}.
 */
export function drawMap({ roads = [], routes = [], markers = [], title = "", fitTo = null, pickRoads = false }) {
  const fitPoints = fitTo
    ? fitTo
    : [
        ...roads.flatMap((r) => r.coords),
        ...routes.flatMap((r) => r.coords),
        ...markers.map((m) => [m.lon, m.lat]),
      ];
  const { width, height, project } = makeProjection(fitPoints);
  const svg = svgEl("svg", { class: "map", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
  svg.append(svgEl("title", {}));
  svg.firstChild.textContent = title;
  if (!roads.length) {
    const grid = svgEl("g", { class: "grid" });
    for (let x = 0; x <= width; x += 50) grid.append(svgEl("line", { x1: x, y1: 0, x2: x, y2: height }));
    for (let y = 0; y <= height; y += 50) grid.append(svgEl("line", { x1: 0, y1: y, x2: width, y2: y }));
    svg.append(grid);
  }
  const widthFor = (p) => {
    const hw = p.highway || p.kind || "";
    if (/motorway|trunk|primary/.test(hw) || p.kmh >= 50) return 4;
    if (/secondary|tertiary/.test(hw) || p.kmh >= 40) return 3;
    return 1.8;
  };
  const casing = svgEl("g", { class: "road-casing" });
  const fill = svgEl("g", { class: "road" });
  for (const r of roads) {
    const d = pathData(r.coords, project);
    const w = widthFor(r.props || {});
    casing.append(svgEl("path", { d, "stroke-width": w + 1.6 }));
    fill.append(svgEl("path", { d, "stroke-width": w }));
  }
  svg.append(casing, fill);
  if (pickRoads) {
    // Wide invisible strokes so a road can be picked with a finger.
    const hit = svgEl("g", { class: "road-hit" });
    for (const r of roads) {
      if (r.props && r.props.way_id != null) hit.append(svgEl("path", { d: pathData(r.coords, project), "data-way": r.props.way_id }));
    }
    svg.append(hit);
  }
  for (const r of routes) {
    const p = svgEl("path", { class: "route", d: pathData(r.coords, project), stroke: r.color || "#0f766e" });
    if (r.dashed) p.setAttribute("stroke-dasharray", "8 6");
    if (r.label) p.append(Object.assign(svgEl("title", {}), { textContent: r.label }));
    svg.append(p);
  }
  const vehicles = new Map();
  for (const m of markers) {
    const known = Number.isFinite(m.lon) && Number.isFinite(m.lat);
    // A vehicle with no position yet is drawn hidden, to appear when one arrives.
    if (!known && m.kind !== "vehicle") continue;
    const [x, y] = known ? project([m.lon, m.lat]) : [0, 0];
    const g = svgEl("g", { class: `marker marker-${m.kind}`, transform: `translate(${x.toFixed(1)} ${y.toFixed(1)})` });
    if (m.label) g.append(Object.assign(svgEl("title", {}), { textContent: m.label }));
    const color = m.color || { vehicle: "#2563eb", destination: "#b42318", depot: "#1c2421", stop: "#0f766e" }[m.kind] || "#0f766e";
    if (m.kind === "vehicle") {
      g.setAttribute("class", "marker marker-vehicle vehicle");
      // A position the plan puts the vehicle at (not one it reported) is drawn hollow.
      const planned = m.source === "planned";
      if (m.source) g.setAttribute("data-source", m.source);
      g.append(svgEl("circle", { r: 13, fill: planned ? "#fff" : color, stroke: planned ? color : "#fff", "stroke-width": 3 }));
      g.append(svgEl("path", { d: "M-6 -3h7v6h-7zM1 -1h3l2 2v2h-5z", fill: planned ? color : "#fff" }));
      if (!known) g.setAttribute("visibility", "hidden");
      vehicles.set(m.id || "vehicle", g);
    } else if (m.kind === "destination") {
      g.append(svgEl("path", { d: "M0 0c-6-8-10-12-10-17a10 10 0 0 1 20 0c0 5-4 9-10 17z", fill: color, stroke: "#fff", "stroke-width": 2 }));
      g.append(svgEl("circle", { cy: -17, r: 3.5, fill: "#fff" }));
    } else if (m.kind === "depot") {
      g.append(svgEl("rect", { x: -9, y: -9, width: 18, height: 18, rx: 3, fill: color, stroke: "#fff", "stroke-width": 2 }));
    } else {
      g.append(svgEl("circle", { r: m.r || 6, fill: color, stroke: "#fff", "stroke-width": 2 }));
    }
    if (m.text) {
      const label = svgEl("text", { class: "label", x: 14, y: 4 });
      label.textContent = m.text;
      g.append(label);
    }
    svg.append(g);
  }
  return {
    svg,
    moveVehicle(id, lon, lat) {
      const g = vehicles.get(id);
      if (!g || !Number.isFinite(lon) || !Number.isFinite(lat)) return;
      const [x, y] = project([lon, lat]);
      g.setAttribute("transform", `translate(${x.toFixed(1)} ${y.toFixed(1)})`);
      g.removeAttribute("visibility");
    },
  };
}

/** The legend below a map. */
export function legend(items) {
  return h(
    "ul",
    { class: "legend" },
    items.map(([color, label]) => h("li", {}, h("span", { class: "swatch", style: { background: color } }), label)),
  );
}
