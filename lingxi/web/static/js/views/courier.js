// The courier's phone: today's stops in order, navigation links, delivered / failed (exactly
// once), and sharing the device's position while driving.

import { api, fillPath } from "../api.js";
import { add, formatTime, h, replace, toast } from "../dom.js";
import { ENDPOINTS } from "../engines.js";
import { lang, t } from "../i18n.js";

const SHARE_MS = 15000;
const THROTTLE_MS = 3000;
const REASONS = ["not_home", "refused", "address_not_found", "no_access", "damaged", "other"];
const CLOSED = new Set(["delivered", "exception"]);

function badge(status) {
  const cls = { delivered: "badge-ok", exception: "badge-danger", out_for_delivery: "badge-accent" }[status] || "";
  const key = status === "exception" ? "status.failed" : `status.${status}`;
  return h("span", { class: `badge ${cls}`, dataset: { status }, text: t(key) });
}

function time(iso) {
  return iso ? formatTime(iso, lang(), { hour: "2-digit", minute: "2-digit" }) : "–";
}

export async function render(container, ctx) {
  add(container, h("header", {}, h("h1", { text: t("courier.title") })));
  if (ctx.member.role !== "courier") {
    add(container, h("p", { class: "notice", text: t("courier.notCourier") }));
    return null;
  }
  const sub = h("p", { class: "muted", "data-testid": "courier-vehicle" });
  const tools = h("div", { class: "actions courier-tools" });
  const shareStatus = h("p", { class: "muted small", "aria-live": "polite", "data-testid": "position-status", dataset: { sent: "0" } });
  const list = h("ol", { class: "courier-stops", "aria-label": t("courier.title"), "data-testid": "courier-stops" });
  add(container, sub, tools, shareStatus, list);

  let day = null;
  const busy = new Set(); // stops with a tap in flight: a second tap is ignored, not sent

  const load = async () => {
    day = await api(fillPath(ENDPOINTS.courierStops, {}));
    sub.textContent = t("courier.vehicle", { vehicle: day.vehicle, day: formatTime(`${day.day}T12:00:00Z`, lang(), { dateStyle: "medium" }) });
    drawTools();
    replace(list, ...(day.stops.length ? day.stops.map(stopItem) : [h("li", { class: "card muted", text: t("courier.none") })]));
  };

  const close = async (stop, path, body, doneKey) => {
    if (busy.has(stop.shipment_id)) return;
    busy.add(stop.shipment_id);
    for (const b of list.querySelectorAll(`[data-shipment-id="${stop.shipment_id}"] button`)) b.disabled = true;
    try {
      // One key per stop and outcome: a retry after a lost answer replays, it does not repeat.
      await api(path, { method: "POST", body, idempotencyKey: `${doneKey}-${stop.shipment_id}` });
      toast(t(doneKey === "deliver" ? "courier.doneDelivered" : "courier.doneFailed", { n: stop.sequence }));
    } catch (err) {
      toast(t("error", { message: err.message }), "error");
    } finally {
      busy.delete(stop.shipment_id);
      await load();
    }
  };

  const failForm = (stop) => {
    const id = `fail-${stop.shipment_id}`;
    const reason = h("select", { id: `${id}-reason`, name: "reason" }, REASONS.map((r) => h("option", { value: r, text: t(`courier.reason.${r}`) })));
    const note = h("input", { id: `${id}-note`, name: "note", maxlength: 300, autocomplete: "off" });
    return h(
      "form",
      {
        class: "fail-form",
        hidden: true,
        onsubmit: (ev) => {
          ev.preventDefault();
          close(stop, fillPath(ENDPOINTS.courierFailed, stop), { reason: reason.value, note: note.value }, "fail");
        },
      },
      h("label", { for: reason.id, text: t("courier.failReason") }),
      reason,
      h("label", { for: note.id, text: t("courier.failNote") }),
      note,
      h("button", { type: "submit", class: "btn-ghost", text: t("courier.failConfirm") }),
    );
  };

  const stopItem = (stop) => {
    const open = !CLOSED.has(stop.status);
    const form = open ? failForm(stop) : null;
    return h(
      "li",
      { class: `card stop${open ? "" : " stop-closed"}`, dataset: { shipmentId: stop.shipment_id, status: stop.status } },
      h("div", { class: "stop-head" }, h("strong", { class: "stop-seq", text: `${stop.sequence}` }), h("span", { class: "stop-who", text: stop.recipient }), badge(stop.status)),
      h("p", { class: "stop-address", text: stop.address || `${stop.lat.toFixed(5)}, ${stop.lon.toFixed(5)}` }),
      stop.kind === "return" ? h("p", { class: "muted small", text: t("courier.pickup") }) : null,
      open ? h("p", { class: "muted small", text: t("courier.eta", { when: time(stop.eta || stop.planned_arrival) }) }) : null,
      h(
        "p",
        { class: "stop-nav" },
        h("a", { href: stop.navigation.geo, class: "btn-ghost", text: t("courier.navigate"), dataset: { nav: "geo" } }),
        " ",
        h("a", { href: stop.navigation.osm, target: "_blank", rel: "noopener noreferrer", class: "btn-ghost", text: t("courier.osm"), dataset: { nav: "osm" } }),
      ),
      open
        ? h(
            "div",
            { class: "actions" },
            h("button", {
              type: "button",
              class: "btn-primary",
              dataset: { act: "delivered" },
              text: t("courier.delivered"),
              onclick: () => close(stop, fillPath(ENDPOINTS.courierDelivered, stop), {}, "deliver"),
            }),
            h("button", {
              type: "button",
              class: "btn-ghost",
              dataset: { act: "failed" },
              text: t("courier.failed"),
              onclick: () => {
                form.hidden = !form.hidden;
              },
            }),
          )
        : null,
      form,
    );
  };

  // Position sharing: every new fix the device reports (at most one post per THROTTLE_MS),
  // and a fresh fix every SHARE_MS even when it reports none, while the toggle is on.
  let watch = null;
  let timer = null;
  let sent = 0;
  let lastPost = 0;
  let pending = null;
  const post = (pos) => {
    lastPost = Date.now();
    return api(fillPath(ENDPOINTS.courierPosition, {}), {
      method: "POST",
      body: { lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy: pos.coords.accuracy, recorded_at: new Date(pos.timestamp).toISOString() },
    })
      .then(() => {
        sent += 1;
        shareStatus.dataset.sent = String(sent);
        shareStatus.textContent = t("courier.shared", { when: formatTime(new Date(pos.timestamp).toISOString(), lang(), { timeStyle: "medium" }), acc: Math.round(pos.coords.accuracy) });
      })
      .catch((err) => {
        shareStatus.textContent = t("error", { message: err.message });
      });
  };
  const onFix = (pos) => {
    const wait = THROTTLE_MS - (Date.now() - lastPost);
    if (wait <= 0) post(pos);
    else {
      if (!pending) {
        setTimeout(() => {
          const latest = pending;
          pending = null;
          if (latest) post(latest);
        }, wait);
      }
      pending = pos;
    }
  };
  const onError = (err) => {
    // No fix for now (a tunnel, a timeout): keep trying. Refused access stops the sharing.
    shareStatus.textContent = err.code === 1 ? t("courier.geoDenied") : t("courier.geoUnavailable");
    if (err.code === 1) {
      stopSharing();
      drawTools();
    }
  };
  const options = { enableHighAccuracy: true, maximumAge: 5000, timeout: 20000 };
  const startSharing = () => {
    shareStatus.textContent = t("courier.sharing");
    watch = navigator.geolocation.watchPosition(onFix, onError, options);
    timer = setInterval(() => navigator.geolocation.getCurrentPosition(onFix, onError, options), SHARE_MS);
  };
  const stopSharing = () => {
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    if (timer) clearInterval(timer);
    watch = null;
    timer = null;
    pending = null;
  };
  const drawTools = () => {
    const buttons = [];
    if (day && day.route_status === "planned" && day.stops.some((s) => !CLOSED.has(s.status))) {
      buttons.push(
        h("button", {
          type: "button",
          class: "btn-primary",
          dataset: { act: "start" },
          text: t("courier.start"),
          onclick: async (ev) => {
            ev.currentTarget.disabled = true;
            try {
              await api(fillPath(ENDPOINTS.courierStart, {}), { method: "POST", idempotencyKey: `start-${day.route_id}` });
              toast(t("courier.started"));
            } catch (err) {
              toast(t("error", { message: err.message }), "error");
            }
            await load();
          },
        }),
      );
    }
    if ("geolocation" in navigator) {
      buttons.push(
        h("button", {
          type: "button",
          class: "btn-ghost",
          dataset: { act: "share" },
          "aria-pressed": String(Boolean(timer)),
          text: timer ? t("courier.stopSharing") : t("courier.share"),
          onclick: () => {
            if (timer) stopSharing();
            else startSharing();
            drawTools();
          },
        }),
      );
    } else {
      shareStatus.textContent = t("courier.geoUnavailable");
    }
    replace(tools, ...buttons);
  };

  try {
    await load();
  } catch (err) {
    add(container, h("p", { class: "error", role: "alert", text: t("error", { message: err.message }) }));
  }
  return () => stopSharing();
}
