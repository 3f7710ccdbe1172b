// The operator console (staff only): the fleet board (routes, where each vehicle is, reported or
// planned, unassigned stops with their reason, failed deliveries, late stops), the day plan and
// traffic re-plans as background jobs with a progress bar, the server's history of plans, and the
// households' devices.

import { api, fillPath } from "../api.js";
import { add, formatTime, h, replace, toast } from "../dom.js";
import { ENDPOINTS, roadNetwork } from "../engines.js";
import { lang, t } from "../i18n.js";
import { drawMap, legend } from "../map.js";
import { drawHistory, drawHomes, jobProgress, reasonText, scroll, trafficMessage } from "./ops_panels.js";

const COLORS = ["#2563eb", "#d97706", "#7c3aed", "#059669", "#db2777", "#0891b2"];

function today() {
  return new Date().toISOString().slice(0, 10);
}

function nextDay(day) {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86400000).toISOString().slice(0, 10);
}

function fmtDuration(s) {
  if (!Number.isFinite(s)) return "–";
  const m = Math.round(s / 60);
  return m >= 60 ? t("unit.hoursMinutes", { h: Math.floor(m / 60), m: m % 60 }) : t("unit.minutes", { m });
}

const time = (iso) => formatTime(iso, lang(), { timeStyle: "short" });

function positionBadge(p) {
  if (!p) return h("span", { class: "muted", text: "–" });
  return h("span", { class: `badge ${p.source === "reported" ? "badge-ok" : "badge-accent"}`, "data-source": p.source, text: `${t(`ops.source.${p.source}`)} · ${time(p.at)}` });
}

export async function render(container, ctx) {
  add(container, h("header", {}, h("h1", { text: t("ops.title") }), h("p", { class: "muted", text: t("ops.lead") })));
  if (ctx.member.role !== "staff") {
    add(container, h("p", { class: "notice", text: t("ops.staffOnly") }));
    return null;
  }
  const mapBox = h("section", { class: "card", "aria-labelledby": "routes-h" });
  const issuesBox = h("section", { class: "card", "aria-labelledby": "unassigned-h" });
  const trafficBox = h("section", { class: "card", "aria-labelledby": "traffic-h" });
  const homesBox = h("section", { class: "card", "aria-labelledby": "homes-h" });
  const charts = h("div", { class: "grid-2" });
  const progress = jobProgress();
  add(container, progress.box, h("div", { class: "ops-layout" }, mapBox, h("div", { class: "stack" }, trafficBox, issuesBox)), charts, homesBox);

  const roads = await roadNetwork();
  let board = null;
  let busy = false;

  const drawBoard = () => {
    const markers = [];
    const mapRoutes = board.routes.map((r, i) => {
      const color = COLORS[i % COLORS.length];
      r.stops.forEach((s) => markers.push({ kind: "stop", lon: s.lon, lat: s.lat, color: s.late_by_s > board.late_after_s ? "#b42318" : color, r: 5, label: `${r.vehicle} #${s.sequence} · ${time(s.eta)}` }));
      if (r.position) markers.push({ kind: "vehicle", id: r.vehicle, lon: r.position.lon, lat: r.position.lat, color, source: r.position.source, label: `${r.vehicle} · ${t(`ops.source.${r.position.source}`)} ${time(r.position.at)}` });
      return { coords: r.geometry.length >= 2 ? r.geometry : r.stops.map((s) => [s.lon, s.lat]), color, label: r.vehicle };
    });
    for (const u of board.unassigned) {
      if (Number.isFinite(u.lat)) markers.push({ kind: "stop", lon: u.lon, lat: u.lat, color: "#b42318", r: 7, label: `${t("ops.unassigned")} #${u.shipment_id} · ${reasonText(u.reason)}` });
    }
    if (board.depot) markers.push({ kind: "depot", lon: board.depot.lon, lat: board.depot.lat, label: board.depot.name, text: board.depot.name });
    // Frame the day's work (routes, stops, depot), not the whole city.
    const work = [...mapRoutes.flatMap((r) => r.coords), ...markers.map((m) => [m.lon, m.lat])];
    const map = drawMap({ roads, routes: mapRoutes, markers, title: t("ops.routes"), pickRoads: true, fitTo: work.length ? work : null });
    map.svg.dataset.testid = "ops-map";
    map.svg.addEventListener("click", (ev) => {
      const way = ev.target.closest("[data-way]");
      if (!way) return;
      pickSegment(way.dataset.way);
      for (const el of map.svg.querySelectorAll(".picked")) el.classList.remove("picked");
      way.classList.add("picked");
    });
    const planButton = h("button", { type: "button", class: "btn-ghost", "data-testid": "plan-day", onclick: planDay, disabled: busy, text: t(board.routes.length ? "ops.replan" : "ops.plan") });
    replace(
      mapBox,
      h("h2", { id: "routes-h", text: `${t(board.day > today() ? "ops.routesTomorrow" : "ops.routes")} · ${board.day}` }),
      map.svg,
      legend([...board.routes.map((r, i) => [COLORS[i % COLORS.length], `${r.vehicle} · ${t("ops.stops", { n: r.stops.length })}`]), ["#b42318", t("ops.unassignedOrLate")]]),
      h("p", { class: "muted small", text: t("ops.positionsHelp") }),
      board.routes.length
        ? scroll(
            "table",
            { class: "route-table", "data-testid": "routes" },
            h("thead", {}, h("tr", {}, ["ops.vehicle", "ops.stopsCol", "ops.distance", "ops.duration", "ops.position"].map((k) => h("th", { scope: "col", text: t(k) })))),
            h("tbody", {}, board.routes.map((r) => h("tr", {}, h("td", { text: `${r.vehicle} (v${r.version})` }), h("td", { text: String(r.stops.length) }), h("td", { text: t("unit.km", { n: (r.distance_m / 1000).toFixed(1) }) }), h("td", { text: fmtDuration(r.duration_s) }), h("td", {}, positionBadge(r.position))))),
          )
        : h("p", { class: "muted", text: t("ops.noRoutes") }),
      planButton,
    );
    replace(
      issuesBox,
      h("h2", { id: "unassigned-h", text: t("ops.unassigned") }),
      board.unassigned.length
        ? h("ul", { "data-testid": "unassigned" }, board.unassigned.map((u) => h("li", { dataset: { reason: u.reason } }, `#${u.shipment_id} · ${t("orders.order", { id: u.order_id })} · `, h("strong", { text: reasonText(u.reason) }))))
        : h("p", { class: "muted", text: t("ops.noUnassigned") }),
      h("h2", { text: t("ops.exceptions") }),
      board.exceptions.length
        ? h("ul", { "data-testid": "exceptions" }, board.exceptions.map((e) => h("li", { text: `#${e.shipment_id} · ${t("orders.order", { id: e.order_id })} · ${time(e.at)}${e.note ? ` · ${e.note}` : ""}` })))
        : h("p", { class: "muted", text: t("ops.noExceptions") }),
      h("h2", { text: t("ops.late") }),
      board.late.length
        ? h("ul", { "data-testid": "late" }, board.late.map((l) => h("li", { text: t("ops.lateItem", { id: l.shipment_id, vehicle: l.vehicle, eta: time(l.eta), promised: time(l.promised_eta), min: Math.round(l.late_by_s / 60) }) })))
        : h("p", { class: "muted", text: t("ops.noLate", { min: Math.round(board.late_after_s / 60) }) }),
    );
    const zones = board.routes.flatMap((r) => r.stops.map((s) => h("option", { value: `${s.lat},${s.lon}`, text: `${r.vehicle} #${s.sequence} (${s.lat.toFixed(4)}, ${s.lon.toFixed(4)})` })));
    const keep = target.value;
    replace(target, segments.map((w) => h("option", { value: `way:${w}`, text: t("ops.segmentOption", { id: w }) })), zones);
    if (keep) target.value = keep;
  };

  // The plan day: today, or the next day once today's shifts are over (the dispatch engine then
  // plans for tomorrow and says so in the plan's `day`).
  let day = today();
  const load = async ({ lookAhead = false } = {}) => {
    board = await api(fillPath(ENDPOINTS.opsBoard, {}), { query: { day } });
    if (lookAhead && !board.routes.length) {
      const next = await api(fillPath(ENDPOINTS.opsBoard, {}), { query: { day: nextDay(day) } });
      if (next.routes.length) {
        day = nextDay(day);
        board = next;
      }
    }
    drawBoard();
    await drawHistory(charts, board.day);
  };

  // A job (day plan or traffic re-plan): follow it with the progress bar, then redraw.
  const runJob = async (start, done) => {
    if (busy) return;
    busy = true;
    for (const b of container.querySelectorAll("[data-testid=plan-day], .traffic-form button")) b.disabled = true;
    try {
      const job = await start();
      if (!job.created) toast(t("ops.joined", { id: job.id }));
      const finished = await progress.follow(job);
      if (finished.status === "failed") throw new Error(finished.error ? finished.error.message : finished.status);
      await done(finished);
    } catch (err) {
      toast(t("error", { message: err.message }), "error");
    } finally {
      busy = false;
      for (const b of container.querySelectorAll("[data-testid=plan-day], .traffic-form button")) b.disabled = false;
    }
  };

  const planDay = () =>
    runJob(
      () => api(fillPath(ENDPOINTS.opsPlan, {}), { method: "POST", body: { day: today(), time_limit_s: 2 } }),
      async (job) => {
        day = (job.plan && job.plan.day) || today();
        await load();
        toast(t("ops.planned"));
      },
    );

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
      onsubmit: (ev) => {
        ev.preventDefault();
        const now = spanStart();
        const area = target.value.startsWith("way:")
          ? { kind: "segment", way_id: Number(target.value.slice(4)) }
          : (([lat, lon]) => ({ kind: "zone", lat, lon, radius_m: Number(radius.value) }))(target.value.split(",").map(Number));
        const body = { ...area, speed_factor: 1 / Number(factor.value), starts_at: now.toISOString(), ends_at: new Date(now.getTime() + 2 * 3600 * 1000).toISOString(), day };
        result.textContent = "";
        return runJob(
          () => api(fillPath(ENDPOINTS.opsTraffic, {}), { method: "POST", body }),
          async (job) => {
            // One sentence, shown and announced alike: "plan updated" only when a route moved.
            const message = trafficMessage(job.traffic);
            result.textContent = message;
            await load();
            toast(message);
          },
        );
      },
    },
    h("label", { for: "traffic-target", text: t("ops.segment") }),
    target,
    h("label", { for: "traffic-radius", text: t("ops.radius") }),
    radius,
    h("label", { for: "traffic-factor", text: t("ops.factor") }),
    factor,
    h("button", { type: "submit", class: "btn-primary", text: t("ops.report") }),
    result,
  );
  replace(trafficBox, h("h2", { id: "traffic-h", text: t("ops.traffic") }), h("p", { class: "muted", text: `${t("ops.trafficHelp")} ${t("ops.pickHint")}` }), form);

  try {
    await load({ lookAhead: true });
  } catch (err) {
    add(mapBox, h("p", { class: "error", role: "alert", text: t("error", { message: err.message }) }));
    return null;
  }
  drawHomes(homesBox).catch((err) => replace(homesBox, h("p", { class: "error", text: t("error", { message: err.message }) })));
  const timer = setInterval(() => {
    if (!document.hidden && !busy) load().catch((err) => console.warn("board refresh failed", err));
  }, 20000);
  return () => clearInterval(timer);
}
