// Home dashboard: areas with device tiles (tap to toggle, sliders), live state from the stream,
// a gesture pad (swipe, tap, long-press), and the action history (who, how, when).

import { api, ApiError, fillPath, readEventStream } from "../api.js";
import { add, confirmDialog, formatTime, h, icon, replace, toast } from "../dom.js";
import { ENDPOINTS } from "../engines.js";
import { lang, t, tOr } from "../i18n.js";

const ON_STATES = new Set(["on", "open", "unlocked", "playing", "cleaning", "heat", "cool", "auto", "heat_cool", "dry", "fan_only"]);

async function backends() {
  return {
    state: ENDPOINTS.homeState,
    touch: ENDPOINTS.homeTouch,
    gesture: ENDPOINTS.homeGesture,
    history: ENDPOINTS.homeHistory,
    stream: ENDPOINTS.homeStream,
    bindings: ENDPOINTS.gestureBindings,
  };
}

function isOn(e) {
  return ON_STATES.has(String(e.state));
}

// How each state value reads in the interface's language: the server's table (GET /state?lang=),
// so a state that arrives later by the stream reads the same.
let stateLabels = {};

function areaName(id, entities) {
  const e = entities.find((x) => x.area === id && x.area_name);
  if (e) return e.area_name;
  return String(id || "").replace(/_/g, " ").replace(/\b\w/g, (c) => c.toUpperCase());
}

function readState(state) {
  return stateLabels[state] ?? String(state);
}

/** What a gesture binding does, in words: "brighten the lights", never the intent's name. */
function describeBinding(r) {
  const step = r.slots && (r.slots.brightness_step || r.slots.volume_step);
  return tOr(`intent.${r.intent}${step ? `.${step}` : ""}`, tOr(`intent.${r.intent}`, t("home.bindingOther")));
}

/** The touch command a tile sends: an intent and its slots (Home Assistant names). */
function toggleIntent(e) {
  const on = isOn(e);
  switch (e.domain) {
    case "lock":
      return { intent: e.state === "locked" ? "HassTurnOff" : "HassTurnOn", slots: {} };
    case "cover":
    case "valve":
      return { intent: on ? "HassTurnOff" : "HassTurnOn", slots: {} };
    case "vacuum":
      return { intent: e.state === "cleaning" ? "HassVacuumReturnToBase" : "HassVacuumStart", slots: {} };
    case "media_player":
      return { intent: e.state === "playing" ? "HassMediaPause" : "HassMediaUnpause", slots: {} };
    default:
      return { intent: on ? "HassTurnOff" : "HassTurnOn", slots: {} };
  }
}

function stateLabel(e) {
  if (e.domain === "sensor") return `${e.state}${e.attributes?.unit_of_measurement ? ` ${e.attributes.unit_of_measurement}` : ""}`;
  if (e.domain === "climate") return `${readState(e.state)} · ${e.attributes?.temperature ?? "–"}°`;
  return readState(e.state);
}

function slider({ label, min, max, step = 1, value, unit = "", onCommit, id }) {
  const out = h("output", { for: id, text: `${value}${unit}` });
  const input = h("input", { type: "range", id, min, max, step, value: String(value), "aria-label": label });
  input.addEventListener("input", () => (out.textContent = `${input.value}${unit}`));
  input.addEventListener("change", () => onCommit(Number(input.value)));
  return h("div", { class: "slider" }, h("label", { for: id, text: label }), input, out);
}

export async function render(container, ctx) {
  const be = await backends();
  add(container, h("header", { class: "home-head" }, h("h1", { text: t("home.title") })));
  if (!be.state) {
    add(container, h("p", { class: "notice", text: t("home.unavailable") }));
    return null;
  }
  const liveBadge = h("span", { class: "badge", "data-testid": "live", text: t("home.liveOff") });
  container.querySelector("header").append(liveBadge);
  const areasBox = h("div", { class: "areas" });
  const sideBox = h("div", { class: "home-side" });
  add(container, h("div", { class: "home-layout" }, areasBox, sideBox));

  let entities = [];
  const tiles = new Map();

  // A risky touch (unlock, garage, heating above the limit) answers 409 with a token; the
  // only way to carry it out is redeeming that token at /api/home/confirm.
  const sendTouch = async (e, intent, slots) => {
    const path = fillPath(be.touch, { entity_id: e.entity_id });
    try {
      const result = await api(path, { method: "POST", body: { entity_id: e.entity_id, intent, slots } });
      applyChanges(result.changes || []);
      if (result.question && result.reason === "needs_confirmation") {
        drawTile(e);
        toast(result.question);
      } else if (result.reply) toast(result.reply);
      refreshHistory();
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && (err.code === "confirmation_required" || err.details?.token)) {
        const ok = await confirmDialog({ title: e.domain === "lock" ? t("home.unlockTitle") : e.name, body: err.message || t("home.unlockBody", { name: e.name }), confirmLabel: t("home.confirm"), cancelLabel: t("cancel"), danger: true });
        if (ok && err.details?.token) await sendTouchConfirmed(err.details.token);
        else drawTile(e);
        return;
      }
      toast(t("error", { message: err.message }), "error");
      drawTile(e);
    }
  };
  const sendTouchConfirmed = async (token) => {
    try {
      const result = await api("/api/home/confirm", { method: "POST", body: { token } });
      applyChanges(result.changes || []);
      refreshHistory();
    } catch (err) {
      toast(t("error", { message: err.message }), "error");
    }
  };

  const drawTile = (e) => {
    const tile = tiles.get(e.entity_id);
    if (!tile) return;
    const caps = e.capabilities || {};
    const attrs = e.attributes || {};
    const on = isOn(e);
    const controls = [];
    const base = e.entity_id.replace(/\W/g, "-");
    if (e.domain === "light" && caps.brightness) {
      const pct = Math.round(((attrs.brightness ?? 0) / 255) * 100);
      controls.push(slider({ id: `${base}-bri`, label: t("home.brightness"), min: 0, max: 100, value: pct, unit: "%", onCommit: (v) => sendTouch(e, "HassLightSet", { brightness: v }) }));
    }
    if (e.domain === "climate" && caps.target_temperature) {
      controls.push(slider({ id: `${base}-temp`, label: t("home.temperature"), min: caps.min_temp ?? 16, max: caps.max_temp ?? 30, step: 0.5, value: attrs.temperature ?? 22, unit: "°", onCommit: (v) => sendTouch(e, "HassClimateSetTemperature", { temperature: v }) }));
    }
    if ((e.domain === "cover" || e.domain === "valve") && caps.position) {
      controls.push(slider({ id: `${base}-pos`, label: t("home.position"), min: 0, max: 100, value: attrs.position ?? (on ? 100 : 0), unit: "%", onCommit: (v) => sendTouch(e, "HassSetPosition", { position: v }) }));
    }
    if (e.domain === "fan" && caps.percentage) {
      controls.push(slider({ id: `${base}-pct`, label: t("home.percentage"), min: 0, max: 100, value: attrs.percentage ?? 0, unit: "%", onCommit: (v) => sendTouch(e, "HassFanSetSpeed", { percentage: v }) }));
    }
    if (e.domain === "media_player" && caps.volume) {
      controls.push(slider({ id: `${base}-vol`, label: t("home.volume"), min: 0, max: 100, value: Math.round((attrs.volume_level ?? 0) * 100), unit: "%", onCommit: (v) => sendTouch(e, "HassSetVolume", { volume_level: v }) }));
    }
    const readOnly = ["sensor", "binary_sensor", "todo"].includes(e.domain);
    const toggle = readOnly
      ? h("div", { class: "tile-main" }, icon(e.domain, "tile-icon"), h("span", { class: "tile-name", text: e.name }), h("span", { class: "tile-state", text: stateLabel(e) }))
      : h(
          "button",
          {
            type: "button",
            class: "tile-main",
            "aria-pressed": String(on),
            "aria-label": `${e.name}: ${stateLabel(e)}`,
            onclick: async () => {
              const { intent, slots } = toggleIntent(e);
              tile.classList.add("busy");
              sendTouch(e, intent, slots).finally(() => tile.classList.remove("busy"));
            },
          },
          icon(e.domain, "tile-icon"),
          h("span", { class: "tile-name", text: e.name }),
          h("span", { class: "tile-state", dataset: { state: e.state }, text: stateLabel(e) }),
        );
    tile.className = `tile tile-${e.domain}${on ? " on" : ""}`;
    replace(tile, toggle, controls);
  };

  const applyChanges = (changes) => {
    for (const c of changes) {
      const e = entities.find((x) => x.entity_id === c.entity_id);
      if (!e) continue;
      e.state = c.state ?? e.state;
      e.attributes = { ...(e.attributes || {}), ...(c.attributes || {}) };
      drawTile(e);
    }
  };

  const drawAreas = () => {
    const byArea = new Map();
    for (const e of entities) {
      if (!byArea.has(e.area)) byArea.set(e.area, []);
      byArea.get(e.area).push(e);
    }
    replace(
      areasBox,
      [...byArea.entries()].map(([area, list]) =>
        h(
          "section",
          { class: "area", "aria-labelledby": `area-${area}` },
          h("h2", { id: `area-${area}`, text: areaName(area, entities) }),
          h(
            "div",
            { class: "tiles" },
            list.map((e) => {
              const tile = h("div", { class: "tile", dataset: { entityId: e.entity_id } });
              tiles.set(e.entity_id, tile);
              return tile;
            }),
          ),
        ),
      ),
    );
    for (const e of entities) drawTile(e);
  };

  // History
  const who = (r) => {
    if (r.actor_customer_id == null) return "–";
    return r.actor_customer_id === ctx.member.customer_id ? t("home.you") : `#${r.actor_customer_id}`;
  };
  const gestureName = (g) => tOr(`gesture.${g}`, g.replace(/_/g, " "));
  const historyList = h("ol", { class: "history", "aria-live": "polite" });
  const refreshHistory = async () => {
    if (!be.history) return;
    try {
      const answer = await api(fillPath(be.history, {}), { query: { limit: 15 } });
      const rows = Array.isArray(answer) ? answer : answer.data || answer.items || [];
      const names = Object.fromEntries(entities.map((e) => [e.entity_id, e.name]));
      replace(
        historyList,
        rows.length
          ? rows.slice(0, 15).map((r) =>
              h(
                "li",
                {},
                h("strong", { text: `${names[r.entity_id] || r.entity_id}${t("home.stateSep")}${readState(r.state)}` }),
                h("span", { class: "muted", text: ` · ${t("home.by", { who: who(r), how: tOr(`source.${r.source}`, r.source || "") })}` }),
                h("time", { datetime: r.changed_at, text: formatTime(r.changed_at, lang(), { timeStyle: "short" }) }),
              ),
            )
          : h("li", { class: "muted", text: t("home.historyEmpty") }),
      );
    } catch (err) {
      console.warn("history unavailable", err);
    }
  };

  // Gesture pad
  const target = h("select", { id: "gesture-target" });
  const pad = h("div", { class: "gesture-pad", tabindex: "0", role: "application", "aria-label": t("home.gesturesHelp"), "data-testid": "gesture-pad" }, h("span", { text: t("home.gesturesHelp") }));
  const sendGesture = async (gesture) => {
    pad.dataset.last = gesture;
    if (!be.gesture) {
      toast(t("notAvailable"));
      return;
    }
    try {
      const result = await api(fillPath(be.gesture, { gesture }), { method: "POST", body: { gesture, target: target.value || null } });
      applyChanges(result.changes || []);
      toast(result.ok === false ? result.reply || t("home.gestureNone", { gesture: gestureName(gesture) }) : t("home.gestureDone", { gesture: gestureName(gesture), action: result.reply || "" }));
      refreshHistory();
    } catch (err) {
      toast(t("error", { message: err.message }), "error");
    }
  };
  let start = null;
  let pressTimer = null;
  pad.addEventListener("pointerdown", (ev) => {
    pad.setPointerCapture(ev.pointerId);
    start = { x: ev.clientX, y: ev.clientY, at: performance.now(), long: false };
    pressTimer = setTimeout(() => {
      if (start) {
        start.long = true;
        sendGesture("long_press");
      }
    }, 600);
  });
  pad.addEventListener("pointerup", (ev) => {
    clearTimeout(pressTimer);
    if (!start) return;
    const dx = ev.clientX - start.x, dy = ev.clientY - start.y;
    const s = start;
    start = null;
    if (s.long) return;
    if (Math.hypot(dx, dy) < 24) sendGesture("tap");
    else if (Math.abs(dx) > Math.abs(dy)) sendGesture(dx > 0 ? "swipe_right" : "swipe_left");
    else sendGesture(dy > 0 ? "swipe_down" : "swipe_up");
  });
  pad.addEventListener("pointercancel", () => {
    clearTimeout(pressTimer);
    start = null;
  });
  pad.addEventListener("keydown", (ev) => {
    const map = { ArrowUp: "swipe_up", ArrowDown: "swipe_down", ArrowLeft: "swipe_left", ArrowRight: "swipe_right", Enter: "tap", " ": "long_press" };
    if (map[ev.key]) {
      ev.preventDefault();
      sendGesture(map[ev.key]);
    }
  });
  const bindingList = h("ul", { class: "bindings" });

  add(sideBox, 
    h("section", { class: "card", "aria-labelledby": "pad-h" }, h("h2", { id: "pad-h", text: t("home.gestures") }), h("label", { for: "gesture-target", class: "small", text: t("home.target") }), target, pad, h("h3", { class: "small", text: t("home.bindings") }), bindingList),
    h("section", { class: "card", "aria-labelledby": "hist-h" }, h("h2", { id: "hist-h", text: t("home.history") }), historyList),
  );

  try {
    const answer = await api(fillPath(be.state, {}), { query: { lang: lang() } });
    entities = Array.isArray(answer) ? answer : answer.data || answer.entities || [];
    stateLabels = answer.state_labels || {};
  } catch (err) {
    add(areasBox, h("p", { class: "error", role: "alert", text: t("error", { message: err.message }) }));
    return null;
  }
  drawAreas();
  replace(target, h("option", { value: "", text: "–" }), entities.filter((e) => e.domain !== "sensor").map((e) => h("option", { value: e.entity_id, text: e.name })));
  refreshHistory();
  if (be.bindings) {
    api(fillPath(be.bindings, {}))
      .then((b) => {
        const rows = Array.isArray(b) ? b : [...(b.data || b.bindings || []), ...(b.defaults || [])];
        replace(bindingList, rows.map((r) => h("li", { dataset: { intent: r.intent } }, h("strong", { text: gestureName(r.gesture) }), ` → ${describeBinding(r)}`)));
      })
      .catch((err) => console.warn("bindings unavailable", err));
  }

  // Live state: the SSE stream (fetch-based, so it ends cleanly when the view closes).
  const abort = new AbortController();
  if (be.stream) {
    (async () => {
      for (let attempt = 0; !abort.signal.aborted && attempt < 20; attempt++) {
        try {
          const resp = await fetch(fillPath(be.stream, {}), { credentials: "same-origin", headers: { Accept: "text/event-stream" }, signal: abort.signal });
          if (!resp.ok) break;
          liveBadge.textContent = t("home.live");
          liveBadge.className = "badge badge-ok";
          await readEventStream(resp, ({ data }) => {
            if (!data || typeof data !== "object") return;
            const list = Array.isArray(data) ? data : data.changes || data.states || [data];
            applyChanges(list.filter((c) => c && c.entity_id));
          });
        } catch (err) {
          if (abort.signal.aborted) return;
        }
        liveBadge.textContent = t("home.liveOff");
        liveBadge.className = "badge";
        await new Promise((r) => setTimeout(r, 2000));
      }
    })();
  }
  return () => abort.abort();
}
