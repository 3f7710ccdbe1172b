// Operations: today's routes on the map, unassigned stops, a traffic report control that
// re-plans, and charts of cost and on-time rate through the day.

import { api, fillPath } from "../api.js";
import { lineChart } from "../charts.js";
import { add, formatTime, h, replace, toast } from "../dom.js";
import { discover, roadNetwork, toCoords, toLonLat } from "../engines.js";
import { lang, t } from "../i18n.js";
import { drawMap, legend } from "../map.js";

const COLORS = ["#2563eb", "#d97706", "#7c3aed", "#059669", "#db2777", "#0891b2"];

async function backends() {
  const [plan, traffic, metrics, replan] = await Promise.all([
    discover(/^GET \/api\/dispatch\/(routes|plan|today|routes\/today)$/),
    discover(/^POST \/api\/dispatch\/(traffic|traffic-reports|traffic_reports|reports\/traffic)$/),
    discover(/^GET \/api\/dispatch\/(metrics|kpis|stats|history|timeline)$/),
    discover(/^POST \/api\/dispatch\/(replan|plan|routes\/replan)$/),
  ]);
  return { plan, traffic, metrics, replan };
}

function routesOf(plan) {
  return plan.routes || plan.data || [];
}

function stopPoint(s) {
  return toLonLat(s.location || s.position || s) || null;
}

function fmtDuration(s) {
  if (!Number.isFinite(s)) return "–";
  const m = Math.round(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min`;
}

export async function render(container) {
  const be = await backends();
  add(container, h("header", {}, h("h1", { text: t("ops.title") })));
  if (!be.plan) {
    add(container, h("p", { class: "notice", text: t("ops.unavailable") }));
    return null;
  }
  const mapBox = h("section", { class: "card", "aria-labelledby": "routes-h" });
  const side = h("div", { class: "stack" });
  const charts = h("div", { class: "grid-2" });
  add(container, h("div", { class: "ops-layout" }, mapBox, side), charts);

  const roads = await roadNetwork();
  let plan = null;

  const draw = () => {
    const routes = routesOf(plan);
    const mapRoutes = [];
    const markers = [];
    routes.forEach((r, i) => {
      const color = COLORS[i % COLORS.length];
      const stops = r.stops || [];
      const coords = toCoords(r.geometry || r.path) || stops.map(stopPoint).filter(Boolean);
      if (coords && coords.length >= 2) mapRoutes.push({ coords, color, label: r.vehicle || r.vehicle_name });
      stops.forEach((s, k) => {
        const p = stopPoint(s);
        if (p) markers.push({ kind: "stop", lon: p[0], lat: p[1], color, r: 5, label: `${r.vehicle || ""} #${k + 1} ${s.label || s.name || s.address || ""}` });
      });
      const pos = toLonLat(r.position || r.vehicle_position);
      if (pos) markers.push({ kind: "vehicle", id: `v${i}`, lon: pos[0], lat: pos[1], color, label: r.vehicle });
    });
    const depot = toLonLat(plan.depot);
    if (depot) markers.push({ kind: "depot", lon: depot[0], lat: depot[1], text: t("orders.depot") });
    const unassigned = plan.unassigned || [];
    for (const u of unassigned) {
      const p = stopPoint(u);
      if (p) markers.push({ kind: "stop", lon: p[0], lat: p[1], color: "#b42318", r: 7, label: t("ops.unassigned") });
    }
    const map = drawMap({ roads, routes: mapRoutes, markers, title: t("ops.routes") });
    map.svg.dataset.testid = "ops-map";
    replace(
      mapBox,
      h("h2", { id: "routes-h", text: t("ops.routes") }),
      map.svg,
      legend(routes.map((r, i) => [COLORS[i % COLORS.length], `${r.vehicle || r.vehicle_name || `${t("ops.vehicle")} ${i + 1}`} · ${t("ops.stops", { n: (r.stops || []).length })}`])),
      h(
        "table",
        { class: "route-table" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col", text: t("ops.vehicle") }), h("th", { scope: "col", text: t("ops.stops", { n: "" }).trim() }), h("th", { scope: "col", text: t("ops.distance") }), h("th", { scope: "col", text: t("ops.duration") }))),
        h(
          "tbody",
          {},
          routes.map((r) =>
            h("tr", {}, h("td", { text: r.vehicle || r.vehicle_name || "" }), h("td", { text: String((r.stops || []).length) }), h("td", { text: Number.isFinite(r.distance) ? `${(r.distance / 1000).toFixed(1)} km` : "–" }), h("td", { text: fmtDuration(r.duration) })),
          ),
        ),
      ),
    );
    replace(
      unassignedBox,
      h("h2", { id: "unassigned-h", text: t("ops.unassigned") }),
      unassigned.length
        ? h("ul", { "data-testid": "unassigned" }, unassigned.map((u) => h("li", { text: u.label || u.name || u.address || u.stop_id || u.id || JSON.stringify(u) })))
        : h("p", { class: "muted", text: t("ops.noUnassigned") }),
    );
  };

  const unassignedBox = h("section", { class: "card", "aria-labelledby": "unassigned-h" });
  const trafficBox = h("section", { class: "card", "aria-labelledby": "traffic-h" });
  side.append(unassignedBox, trafficBox);

  // Traffic report: a segment (way) or a zone around a point, and a slowdown factor.
  const target = h("select", { id: "traffic-target" });
  const factor = h("select", { id: "traffic-factor" }, [1.5, 2, 3, 5].map((f) => h("option", { value: String(f), text: `× ${f}` })));
  const form = h(
    "form",
    {
      class: "traffic-form",
      onsubmit: async (ev) => {
        ev.preventDefault();
        if (!be.traffic) return;
        const [kind, a, b] = target.value.split(":");
        const body = { factor: Number(factor.value) };
        if (kind === "zone") Object.assign(body, { lat: Number(a), lon: Number(b), radius_m: 400, zone: { lat: Number(a), lon: Number(b), radius_m: 400 } });
        else Object.assign(body, { way_id: Number(a), segment: a });
        try {
          const answer = await api(fillPath(be.traffic, {}), { method: "POST", body });
          if (answer && (answer.routes || answer.plan)) plan = answer.plan || answer;
          else plan = await api(fillPath(be.plan, {}));
          draw();
          loadMetrics();
          toast(t("ops.reported"));
        } catch (err) {
          toast(t("error", { message: err.message }), "error");
        }
      },
    },
    h("label", { for: "traffic-target", text: t("ops.segment") }),
    target,
    h("label", { for: "traffic-factor", text: t("ops.factor") }),
    factor,
    h("button", { type: "submit", class: "btn-primary", disabled: !be.traffic, text: t("ops.report") }),
  );
  replace(trafficBox, h("h2", { id: "traffic-h", text: t("ops.traffic") }), h("p", { class: "muted", text: be.traffic ? t("ops.trafficHelp") : t("notAvailable") }), form);

  const loadMetrics = async () => {
    if (!be.metrics) {
      replace(charts, h("p", { class: "muted", text: `${t("ops.cost")} / ${t("ops.ontime")}: ${t("notAvailable")}` }));
      return;
    }
    try {
      const m = await api(fillPath(be.metrics, {}));
      const rows = Array.isArray(m) ? m : m.data || m.points || m.timeline || [];
      const label = (r) => (r.at || r.time ? formatTime(r.at || r.time, lang(), { timeStyle: "short" }) : String(r.hour ?? r.label ?? ""));
      const cost = rows.filter((r) => Number.isFinite(r.cost)).map((r) => ({ x: label(r), y: r.cost }));
      const ontime = rows.filter((r) => Number.isFinite(r.on_time_rate ?? r.on_time)).map((r) => ({ x: label(r), y: (r.on_time_rate ?? r.on_time) * 100 }));
      replace(
        charts,
        h("section", { class: "card" }, h("h2", { text: t("ops.cost") }), cost.length ? lineChart({ points: cost, title: t("ops.cost"), format: (v) => v.toFixed(0) }) : h("p", { class: "muted", text: t("ops.noData") })),
        h("section", { class: "card" }, h("h2", { text: t("ops.ontime") }), ontime.length ? lineChart({ points: ontime, title: t("ops.ontime"), format: (v) => `${v.toFixed(0)}%`, yMin: 0, yMax: 100, color: "#2563eb" }) : h("p", { class: "muted", text: t("ops.noData") })),
      );
    } catch (err) {
      replace(charts, h("p", { class: "error", text: t("error", { message: err.message }) }));
    }
  };

  try {
    plan = await api(fillPath(be.plan, {}));
  } catch (err) {
    add(mapBox, h("p", { class: "error", role: "alert", text: t("error", { message: err.message }) }));
    return null;
  }
  // Traffic targets: zones around today's stops, and named segments if the plan lists them.
  const zones = [];
  routesOf(plan).forEach((r) => (r.stops || []).forEach((s) => {
    const p = stopPoint(s);
    if (p) zones.push(h("option", { value: `zone:${p[1]}:${p[0]}`, text: `${s.label || s.name || s.address || `${p[1].toFixed(4)}, ${p[0].toFixed(4)}`}` }));
  }));
  const segments = (plan.segments || []).map((sg) => h("option", { value: `way:${sg.way_id ?? sg.id}`, text: sg.name || `way ${sg.way_id ?? sg.id}` }));
  replace(target, zones, segments);
  draw();
  loadMetrics();
  const timer = setInterval(async () => {
    if (document.hidden) return;
    try {
      plan = await api(fillPath(be.plan, {}));
      draw();
    } catch (err) {
      console.warn("plan refresh failed", err);
    }
  }, 15000);
  return () => clearInterval(timer);
}
