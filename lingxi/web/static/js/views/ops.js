// Operations: today's routes on the map, unassigned stops, a traffic report control that
// re-plans, and charts of cost and on-time rate through the day.

import { api } from "../api.js";
import { lineChart } from "../charts.js";
import { add, formatTime, h, replace, toast } from "../dom.js";
import { discover, roadNetwork } from "../engines.js";
import { lang, t } from "../i18n.js";
import { drawMap, legend } from "../map.js";

const COLORS = ["#2563eb", "#d97706", "#7c3aed", "#059669", "#db2777", "#0891b2"];
const LATE_AFTER_S = 15 * 60;

function today() {
  return new Date().toISOString().slice(0, 10);
}

function nextDay(day) {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86400000).toISOString().slice(0, 10);
}

function fmtDuration(s) {
  if (!Number.isFinite(s)) return "–";
  const m = Math.round(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min`;
}

/**
 * The day's series, kept in this browser: one point per plan seen (on load, after each traffic
 * report or re-plan). Cost is the planned driving time; a stop is on time when its planned
 * arrival is no later than 15 minutes after the first arrival this board saw promised for it.
 */
function recordSnapshot(board) {
  const key = `lingxi.ops.${board.day}`;
  const saved = JSON.parse(sessionStorage.getItem(key) || '{"promised": {}, "points": []}');
  let stops = 0, onTime = 0;
  for (const r of board.routes) {
    for (const s of r.stops) {
      if (!s.eta || s.shipment_id == null) continue;
      const eta = Date.parse(s.eta);
      const promised = saved.promised[s.shipment_id] ?? eta;
      saved.promised[s.shipment_id] = promised;
      stops += 1;
      if (eta - promised <= LATE_AFTER_S * 1000) onTime += 1;
    }
  }
  const point = { at: new Date().toISOString(), cost_s: board.cost.duration_s, on_time: stops ? onTime / stops : 1 };
  const last = saved.points.at(-1);
  if (!last || last.cost_s !== point.cost_s || last.on_time !== point.on_time) saved.points.push(point);
  saved.points = saved.points.slice(-48);
  sessionStorage.setItem(key, JSON.stringify(saved));
  return saved.points;
}

export async function render(container, ctx) {
  const [plan, traffic] = await Promise.all([
    discover(/^POST \/api\/dispatch\/plan$/),
    discover(/^POST \/api\/dispatch\/traffic$/),
  ]);
  add(container, h("header", {}, h("h1", { text: t("ops.title") }), h("p", { class: "muted", text: t("ops.demoNote") })));
  if (ctx.member.role !== "owner") {
    add(container, h("p", { class: "notice", text: t("ops.ownerOnly") }));
    return null;
  }
  const mapBox = h("section", { class: "card", "aria-labelledby": "routes-h" });
  const unassignedBox = h("section", { class: "card", "aria-labelledby": "unassigned-h" });
  const trafficBox = h("section", { class: "card", "aria-labelledby": "traffic-h" });
  const charts = h("div", { class: "grid-2" });
  add(container, h("div", { class: "ops-layout" }, mapBox, h("div", { class: "stack" }, trafficBox, unassignedBox)), charts);

  const roads = await roadNetwork();
  let board = null;

  const drawBoard = () => {
    const markers = [];
    const mapRoutes = board.routes.map((r, i) => {
      const color = COLORS[i % COLORS.length];
      r.stops.forEach((s) => markers.push({ kind: "stop", lon: s.lon, lat: s.lat, color, r: 5, label: `${r.vehicle} #${s.sequence} · ${formatTime(s.eta, lang(), { timeStyle: "short" })}` }));
      return { coords: r.geometry.length >= 2 ? r.geometry : r.stops.map((s) => [s.lon, s.lat]), color, label: r.vehicle };
    });
    for (const u of board.unassigned) {
      if (Number.isFinite(u.lat)) markers.push({ kind: "stop", lon: u.lon, lat: u.lat, color: "#b42318", r: 7, label: `${t("ops.unassigned")} #${u.shipment_id}` });
    }
    if (board.depot) markers.push({ kind: "depot", lon: board.depot.lon, lat: board.depot.lat, label: board.depot.name, text: board.depot.name });
    // Frame the day's work (routes, stops, depot), not the whole city.
    const work = [...mapRoutes.flatMap((r) => r.coords), ...markers.map((m) => [m.lon, m.lat])];
    const map = drawMap({ roads, routes: mapRoutes, markers, title: t("ops.routes"), pickRoads: Boolean(traffic), fitTo: work.length ? work : null });
    map.svg.dataset.testid = "ops-map";
    map.svg.addEventListener("click", (ev) => {
      const way = ev.target.closest("[data-way]");
      if (!way) return;
      pickSegment(way.dataset.way);
      for (const el of map.svg.querySelectorAll(".picked")) el.classList.remove("picked");
      way.classList.add("picked");
    });
    replace(
      mapBox,
      h("h2", { id: "routes-h", text: `${t(board.day > today() ? "ops.routesTomorrow" : "ops.routes")} · ${board.day}` }),
      map.svg,
      legend([...board.routes.map((r, i) => [COLORS[i % COLORS.length], `${r.vehicle} · ${t("ops.stops", { n: r.stops.length })}`]), ["#b42318", t("ops.unassigned")]]),
      board.routes.length
        ? h(
            "table",
            { class: "route-table", "data-testid": "routes" },
            h("thead", {}, h("tr", {}, h("th", { scope: "col", text: t("ops.vehicle") }), h("th", { scope: "col", text: t("ops.stopsCol") }), h("th", { scope: "col", text: t("ops.distance") }), h("th", { scope: "col", text: t("ops.duration") }))),
            h("tbody", {}, board.routes.map((r) => h("tr", {}, h("td", { text: `${r.vehicle} (v${r.version})` }), h("td", { text: String(r.stops.length) }), h("td", { text: `${(r.distance_m / 1000).toFixed(1)} km` }), h("td", { text: fmtDuration(r.duration_s) })))),
          )
        : h("p", { class: "muted", text: t("ops.noRoutes") }),
      plan ? h("button", { type: "button", class: "btn-ghost", onclick: planDay, text: t("ops.replan") }) : null,
    );
    replace(
      unassignedBox,
      h("h2", { id: "unassigned-h", text: t("ops.unassigned") }),
      board.unassigned.length
        ? h("ul", { "data-testid": "unassigned" }, board.unassigned.map((u) => h("li", { text: `#${u.shipment_id} · ${t("orders.order", { id: u.order_id })} · ${t(`status.${u.status}`)}` })))
        : h("p", { class: "muted", text: t("ops.noUnassigned") }),
    );
    const zones = board.routes.flatMap((r) => r.stops.map((s) => h("option", { value: `${s.lat},${s.lon}`, text: `${r.vehicle} #${s.sequence} (${s.lat.toFixed(4)}, ${s.lon.toFixed(4)})` })));
    const keep = target.value;
    replace(target, segments.map((w) => h("option", { value: `way:${w}`, text: t("ops.segmentOption", { id: w }) })), zones);
    if (keep) target.value = keep;
    drawCharts(recordSnapshot(board));
  };

  const drawCharts = (points) => {
    const label = (p) => formatTime(p.at, lang(), { timeStyle: "short" });
    replace(
      charts,
      h("section", { class: "card" }, h("h2", { text: t("ops.cost") }), h("p", { class: "muted small", text: t("ops.costHelp") }), lineChart({ points: points.map((p) => ({ x: label(p), y: p.cost_s / 60 })), title: t("ops.cost"), format: (v) => `${v.toFixed(0)}′` })),
      h("section", { class: "card" }, h("h2", { text: t("ops.ontime") }), h("p", { class: "muted small", text: t("ops.ontimeHelp") }), lineChart({ points: points.map((p) => ({ x: label(p), y: p.on_time * 100 })), title: t("ops.ontime"), format: (v) => `${v.toFixed(0)}%`, yMin: 0, yMax: 100, color: "#2563eb" })),
    );
  };

  // The plan day: today, or the next day once today's shifts are over (the dispatch engine then
  // plans for tomorrow and says so in the plan's `day`).
  let day = today();
  const load = async ({ lookAhead = false } = {}) => {
    board = await api("/api/web/ops", { query: { day } });
    if (lookAhead && !board.routes.length) {
      const next = await api("/api/web/ops", { query: { day: nextDay(day) } });
      if (next.routes.length) {
        day = nextDay(day);
        board = next;
      }
    }
    drawBoard();
  };

  const planDay = async () => {
    try {
      const planned = await api(plan.slice(5), { method: "POST", body: { day: today(), time_limit_s: 2 } });
      day = (planned && planned.day) || today();
      await load();
      toast(t("ops.planned"));
    } catch (err) {
      toast(t("error", { message: err.message }), "error");
    }
  };

  // The report holds from now for two hours; when today's routes are already over (a demo
  // opened late), it starts ten minutes before the first planned stop instead, so the re-plan
  // has something under way to change.
  const spanStart = () => {
    const now = new Date();
    const etas = (board?.routes || []).flatMap((r) => r.stops.map((s) => Date.parse(s.eta))).filter(Number.isFinite);
    if (!etas.length) return now;
    const first = Math.min(...etas) - 10 * 60 * 1000;
    // Routes already over, or not started yet (planned for tomorrow): cover their first stops.
    if (now.getTime() > Math.max(...etas) || now.getTime() < first) return new Date(first);
    return now;
  };

  // A road segment picked on the map (an OSM way of the dispatch network).
  const segments = [];
  const pickSegment = (way) => {
    if (!segments.includes(way)) segments.unshift(way);
    target.prepend(...[...target.querySelectorAll(`option[value="way:${way}"]`)]);
    if (!target.querySelector(`option[value="way:${way}"]`)) target.prepend(h("option", { value: `way:${way}`, text: t("ops.segmentOption", { id: way }) }));
    target.value = `way:${way}`;
    toast(t("ops.segmentPicked", { id: way }));
  };

  // Traffic report: a road segment or a zone around a stop, a slowdown and a span.
  const target = h("select", { id: "traffic-target" });
  const radius = h("select", { id: "traffic-radius" }, [200, 400, 800].map((m) => h("option", { value: String(m), text: `${m} m` })));
  const factor = h("select", { id: "traffic-factor" }, [2, 3, 5].map((f) => h("option", { value: String(f), text: t("ops.slower", { n: f }) })));
  const result = h("p", { class: "muted", "aria-live": "polite", "data-testid": "traffic-result" });
  const form = h(
    "form",
    {
      class: "traffic-form",
      onsubmit: async (ev) => {
        ev.preventDefault();
        const now = spanStart();
        const area = target.value.startsWith("way:")
          ? { kind: "segment", way_id: Number(target.value.slice(4)) }
          : (([lat, lon]) => ({ kind: "zone", lat, lon, radius_m: Number(radius.value) }))(target.value.split(",").map(Number));
        const body = {
          ...area,
          speed_factor: 1 / Number(factor.value),
          starts_at: now.toISOString(),
          ends_at: new Date(now.getTime() + 2 * 3600 * 1000).toISOString(),
          day,
        };
        const submit = form.querySelector("button");
        submit.disabled = true;
        try {
          const answer = await api(traffic.slice(5), { method: "POST", body });
          const replanned = Array.isArray(answer.routes_replanned) ? answer.routes_replanned.length : answer.routes_replanned;
          result.textContent = t("ops.trafficResult", { routes: replanned, etas: answer.eta_changes.length });
          await load();
          toast(t("ops.reported"));
        } catch (err) {
          toast(t("error", { message: err.message }), "error");
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("label", { for: "traffic-target", text: t("ops.segment") }),
    target,
    h("label", { for: "traffic-radius", text: t("ops.radius") }),
    radius,
    h("label", { for: "traffic-factor", text: t("ops.factor") }),
    factor,
    h("button", { type: "submit", class: "btn-primary", disabled: !traffic, text: t("ops.report") }),
    result,
  );
  replace(trafficBox, h("h2", { id: "traffic-h", text: t("ops.traffic") }), h("p", { class: "muted", text: traffic ? `${t("ops.trafficHelp")} ${t("ops.pickHint")}` : t("notAvailable") }), form);

  try {
    await load({ lookAhead: true });
  } catch (err) {
    add(mapBox, h("p", { class: "error", role: "alert", text: t("error", { message: err.message }) }));
    return null;
  }
  const timer = setInterval(() => {
    if (!document.hidden) load().catch((err) => console.warn("board refresh failed", err));
  }, 20000);
  return () => clearInterval(timer);
}
