// Parts of the operator console: following a planning job with a progress bar, the history of
// plans (the server's, not this browser's), what a traffic report changed, the device list.

import { api, fillPath } from "../api.js";
import { lineChart } from "../charts.js";
import { formatTime, h, replace } from "../dom.js";
import { ENDPOINTS } from "../engines.js";
import { lang, t, tOr } from "../i18n.js";

const POLL_MS = 400;

/**
 * A progress bar that follows a planning job: `follow(job)` polls GET /api/ops/jobs/{id},
 * updating the bar, and resolves with the finished job (done or failed).
 */
export function jobProgress() {
  const bar = h("progress", { max: "1", value: "0", "data-testid": "job-progress", "aria-labelledby": "job-progress-label" });
  const label = h("span", { id: "job-progress-label", class: "muted small", "aria-live": "polite" });
  const box = h("div", { class: "job-progress", hidden: true }, bar, label);
  const show = (job) => {
    box.hidden = false;
    bar.value = job.progress;
    box.dataset.status = job.status;
    label.textContent = t(`ops.job.${job.kind}`, { pct: Math.round(job.progress * 100), stage: t(`ops.stage.${job.stage}`) });
  };
  const follow = async (job) => {
    show(job);
    while (job.status === "queued" || job.status === "running") {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      job = await api(fillPath(ENDPOINTS.opsJob, { job_id: job.id }));
      show(job);
    }
    setTimeout(() => {
      if (box.dataset.status === job.status) box.hidden = true;
    }, 4000);
    return job;
  };
  return { box, follow };
}

/** One sentence for what a traffic report changed: "plan updated" only when a route moved. */
export function trafficMessage(result) {
  if (!result.plan_updated || !result.routes_replanned.length) return t("ops.trafficNoChange", { id: result.observation_id });
  return t("ops.trafficChanged", { routes: result.routes_replanned.length, etas: result.eta_changes.length });
}

/** A table that scrolls sideways inside its card on a narrow screen. */
export function scroll(...args) {
  return h("div", { class: "table-scroll" }, h(...args));
}

const fmtMinutes = (s) => `${Math.round(s / 60)}′`;

/** The history of plans of `day`: cost and on-time charts and the last plans, from the server. */
export async function drawHistory(box, day) {
  const history = await api(fillPath(ENDPOINTS.opsHistory, {}), { query: { day } });
  const points = history.data;
  const label = (p) => formatTime(p.at, lang(), { timeStyle: "short" });
  const rows = points.slice(-8).reverse();
  replace(
    box,
    h("section", { class: "card", "data-testid": "cost-chart", dataset: { points: String(points.length) } }, h("h2", { text: t("ops.cost") }), h("p", { class: "muted small", text: t("ops.costHelp") }), lineChart({ points: points.map((p) => ({ x: label(p), y: p.duration_s / 60 })), title: t("ops.cost"), format: (v) => `${v.toFixed(0)}′` })),
    h("section", { class: "card", "data-testid": "ontime-chart" }, h("h2", { text: t("ops.ontime") }), h("p", { class: "muted small", text: t("ops.ontimeHelp") }), lineChart({ points: points.map((p) => ({ x: label(p), y: p.on_time * 100 })), title: t("ops.ontime"), format: (v) => `${v.toFixed(0)}%`, yMin: 0, yMax: 100, color: "#2563eb" })),
    h(
      "section",
      { class: "card span-2" },
      h("h2", { text: t("ops.history") }),
      rows.length
        ? scroll(
            "table",
            { class: "route-table", "data-testid": "plan-history" },
            h("thead", {}, h("tr", {}, ["ops.at", "ops.kind", "ops.duration", "ops.distance", "ops.ontimeCol", "ops.unassignedCol"].map((k) => h("th", { scope: "col", text: t(k) })))),
            h(
              "tbody",
              {},
              rows.map((p) =>
                h(
                  "tr",
                  {},
                  h("td", {}, h("time", { datetime: p.at, text: label(p) })),
                  h("td", { text: t(`ops.kind.${p.kind}`) }),
                  h("td", { text: fmtMinutes(p.duration_s) }),
                  h("td", { text: t("unit.km", { n: (p.distance_m / 1000).toFixed(1) }) }),
                  h("td", { text: `${Math.round(p.on_time * 100)}%` }),
                  h("td", { text: String(p.unassigned) }),
                ),
              ),
            ),
          )
        : h("p", { class: "muted", text: t("ops.noHistory") }),
    ),
  );
}

/** The smart-home maker's view: each household's devices and their availability (read-only). */
export async function drawHomes(box) {
  const homes = await api(fillPath(ENDPOINTS.opsHomes, {}));
  replace(
    box,
    h("h2", { id: "homes-h", text: t("ops.homes") }),
    h("p", { class: "muted small", text: t("ops.homesHelp") }),
    homes.data.length
      ? scroll(
          "table",
          { class: "route-table", "data-testid": "homes" },
          h("thead", {}, h("tr", {}, ["ops.household", "ops.devices", "ops.available", "ops.offline"].map((k) => h("th", { scope: "col", text: t(k) })))),
          h(
            "tbody",
            {},
            homes.data.map((row) =>
              h(
                "tr",
                {},
                h("td", { text: row.household || `#${row.household_id}` }),
                h("td", { text: t("ops.deviceCount", { devices: row.devices, entities: row.entities }) }),
                h("td", { text: String(row.available) }),
                h("td", { text: String(row.unavailable + row.unknown) }),
              ),
            ),
          ),
        )
      : h("p", { class: "muted", text: t("ops.noHomes") }),
  );
}

/** A reason code as words ("capacity: the fleet is full"). */
export function reasonText(reason) {
  return tOr(`ops.reason.${reason}`, reason);
}
