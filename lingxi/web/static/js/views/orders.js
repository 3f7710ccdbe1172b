// Orders and deliveries: the list, one order's tracking, and the live delivery map.

import { api } from "../api.js";
import { add, confirmDialog, formatMoney, formatTime, h, icon, replace, toast } from "../dom.js";
import { delivery } from "../engines.js";
import { lang, t, tOr } from "../i18n.js";
import { drawMap, legend } from "../map.js";

const LIVE_STATUSES = new Set(["picked_up", "in_transit", "out_for_delivery", "delayed"]);
const POLL_MS = 3000;

function statusBadge(status) {
  const cls = {
    delivered: "badge-ok",
    return_requested: "badge-warn",
    shipped: "badge-accent",
    out_for_delivery: "badge-accent",
    in_transit: "badge-accent",
    pending: "badge-warn",
    cancelled: "badge-danger",
    failed: "badge-danger",
  }[status];
  return h("span", { class: `badge ${cls || ""}`, dataset: { status }, text: t(`status.${status}`) });
}

function sortedEvents(shipment) {
  return [...(shipment.events || [])].sort((a, b) => a.occurred_at.localeCompare(b.occurred_at));
}

function timeline(shipment) {
  const events = sortedEvents(shipment);
  if (!events.length) return h("p", { class: "muted", text: t("orders.noEvents") });
  return h(
    "ol",
    { class: "timeline", "aria-label": t("orders.tracking") },
    events.map((e, i) =>
      h(
        "li",
        { class: i === events.length - 1 ? "latest" : null },
        h("strong", { text: t(`status.${e.status}`) }),
        e.place ? ` · ${e.place}` : "",
        e.note ? h("span", { class: "muted", text: ` · ${e.note}` }) : null,
        h("time", { datetime: e.occurred_at, text: formatTime(e.occurred_at, lang()) }),
      ),
    ),
  );
}

function etaText(eta) {
  // No ETA yet: the order is waiting for its plan (the poll shows the ETA once it is set).
  if (!eta) return t("orders.etaPlanning");
  // A passed ETA is never shown as upcoming: the parcel is late and its ETA is re-estimated.
  if (Date.parse(eta) < Date.now()) return t("orders.etaLate");
  return formatTime(eta, lang(), { weekday: "short", hour: "2-digit", minute: "2-digit" });
}

function etaLine(eta) {
  if (!eta) return etaText(eta);
  return Date.parse(eta) < Date.now() ? etaText(eta) : `${t("orders.eta")}: ${etaText(eta)}`;
}

/** An open order's delivery: its ETA is shown (or "being planned") from confirmation on. */
function awaitsDelivery(order, shipment) {
  return Boolean(shipment) && ["confirmed", "shipped"].includes(order.status) && !["delivered", "failed"].includes(shipment.status);
}

/** How old the shipment's ETA is, and whether it is older than the deployment allows. */
function etaAge(order, s) {
  if (!s || !s.eta || !s.eta_updated_at) return null;
  const ageMs = Date.now() - Date.parse(s.eta_updated_at);
  const limitS = order.eta_stale_after_s;
  const stale = LIVE_STATUSES.has(s.status) && Number.isFinite(limitS) && ageMs > limitS * 1000;
  return { stale, minutes: Math.max(0, Math.floor(ageMs / 60000)), at: s.eta_updated_at };
}

/** Whether the Return button shows: the API's returnable flag, within the return window. */
function canReturn(order) {
  return order.returnable && (!order.return_until || Date.now() <= Date.parse(order.return_until));
}

function orderCard(order) {
  const shipment = order.shipments[0];
  return h(
    "li",
    { class: "card order", dataset: { orderId: order.id } },
    h(
      "div",
      { class: "order-head" },
      h("h2", {}, h("a", { href: `#/orders/${order.id}`, text: t("orders.order", { id: order.id }) })),
      statusBadge(shipment && LIVE_STATUSES.has(shipment.status) ? shipment.status : order.status),
    ),
    h("ul", { class: "order-lines" }, order.lines.map((l) => h("li", { text: `${l.quantity} × ${l.name}` }))),
    h(
      "p",
      { class: "muted" },
      `${t("orders.total")}: ${formatMoney(order.total, order.currency, lang())} · `,
      t("orders.placed", { when: formatTime(order.created_at, lang(), { dateStyle: "medium" }) }),
    ),
    awaitsDelivery(order, shipment) ? h("p", { class: "eta-line" }, etaLine(shipment.eta)) : null,
  );
}

async function renderList(container) {
  add(container, h("header", {}, h("h1", { text: t("orders.title") })));
  const { data } = await api("/api/orders");
  if (!data.length) {
    add(container, h("p", { class: "card muted", text: t("orders.empty") }));
    return;
  }
  add(container, h("ul", { class: "order-list" }, data.map(orderCard)));
}

async function renderDetail(container, id, ctx) {
  let order = await api(`/api/orders/${id}`);
  const shipment = () => order.shipments[0];
  const head = h("header", {}, h("p", {}, h("a", { href: "#/orders", text: `← ${t("orders.back")}` })));
  const title = h("h1", { text: t("orders.order", { id: order.id }) });
  head.append(title);
  add(container, head);

  const etaBox = h("p", { class: "eta", "aria-live": "polite", "data-testid": "eta" });
  const ageBox = h("p", { class: "eta-age muted small", "data-testid": "eta-age" });
  let returning = false;
  const updated = h("p", { class: "muted small" });
  const trackBox = h("div", {});
  const summary = h("section", { class: "card", "aria-labelledby": "sum-h" });
  const mapBox = h("section", { class: "card", "aria-labelledby": "map-h" });
  const layout = h("div", { class: "order-detail" }, mapBox, summary);
  add(container, layout);

  let map = null;
  const fillSummary = () => {
    const s = shipment();
    replace(
      summary,
      map ? null : etaBox,
      map ? null : ageBox,
      h("h2", { id: "sum-h" }, t("orders.details"), " ", statusBadge(s && LIVE_STATUSES.has(s.status) ? s.status : order.status)),
      h("ul", { class: "order-lines" }, order.lines.map((l) => h("li", {}, `${l.quantity} × `, l.product_id ? h("a", { href: `#/product/${l.product_id}`, class: "line-product", text: l.name }) : l.name, ` · ${formatMoney(l.unit_price, order.currency, lang())}`))),
      h("p", {}, `${t("orders.total")}: `, h("strong", { text: formatMoney(order.total, order.currency, lang()) })),
      actions(),
      returnNote(),
      order.shipments.filter((x) => x.kind === "return").map((r) => h("p", { class: "muted small return-pickup", dataset: { shipmentId: r.id } }, t("orders.returnPickup", { tracking: r.tracking_number, status: tOr(`status.${r.status}`, r.status) }))),
      s ? h("h3", { text: t("orders.tracking") }) : null,
      trackBox,
    );
    replace(trackBox, s ? timeline(s) : h("p", { class: "muted", text: t("orders.noEvents") }));
    if (s) {
      etaBox.textContent = s.status === "delivered" ? t("status.delivered") : etaLine(s.eta);
      etaBox.dataset.late = String(Boolean(s.eta && Date.parse(s.eta) < Date.now()));
      const age = s.status === "delivered" ? null : etaAge(order, s);
      etaBox.dataset.stale = String(Boolean(age && age.stale));
      ageBox.dataset.stale = etaBox.dataset.stale;
      ageBox.hidden = !age;
      ageBox.textContent = !age ? "" : age.stale ? t("orders.etaStale", { minutes: age.minutes }) : t("orders.etaUpdated", { when: formatTime(age.at, lang(), { timeStyle: "short" }) });
      updated.textContent = t("orders.updated", { when: formatTime(new Date().toISOString(), lang(), { timeStyle: "medium" }) });
    }
  };

  const actions = () => {
    const list = h("div", { class: "actions" });
    if (order.status === "pending") {
      list.append(
        h("button", {
          type: "button",
          class: "btn-primary",
          text: t("orders.confirm"),
          onclick: async () => {
            const ok = await confirmDialog({
              title: t("chat.orderConfirmTitle"),
              body: t("chat.orderConfirmBody", { name: order.lines.map((l) => l.name).join(", "), price: formatMoney(order.total, order.currency, lang()) }),
              confirmLabel: t("chat.orderConfirm"),
              cancelLabel: t("cancel"),
            });
            if (!ok) return;
            // One key per order: a double-click (or a retry after a lost answer) replays the
            // first answer instead of paying twice.
            order = await api(`/api/orders/${order.id}/confirm`, { method: "POST", idempotencyKey: `confirm-${order.id}` });
            toast(t("orders.confirmed", { id: order.id }));
            ctx.navigate(`orders/${order.id}`);
          },
        }),
      );
    }
    if (["pending", "confirmed"].includes(order.status)) {
      list.append(
        h("button", {
          type: "button",
          class: "btn-ghost",
          text: t("orders.cancel"),
          onclick: async () => {
            const ok = await confirmDialog({
              title: t("orders.cancelTitle"),
              body: t("orders.cancelBody", { id: order.id }),
              confirmLabel: t("orders.cancel"),
              cancelLabel: t("orders.keep"),
              danger: true,
            });
            if (!ok) return;
            order = await api(`/api/orders/${order.id}/cancel`, { method: "POST", idempotencyKey: `cancel-${order.id}` });
            toast(t("orders.cancelled", { id: order.id }));
            fillSummary();
          },
        }),
      );
    }
    if (canReturn(order)) {
      list.append(h("button", { type: "button", class: "btn-ghost btn-return", text: t("orders.return"), onclick: startReturn }));
    }
    return list.childElementCount ? list : null;
  };

  const returnNote = () => {
    if (!order.return_until || !["delivered", "return_requested"].includes(order.status)) return null;
    const date = formatTime(order.return_until, lang(), { dateStyle: "medium" });
    const ended = Date.now() > Date.parse(order.return_until);
    // Nothing left to send back (every unit is in a return): no window to speak of.
    if (!ended && !order.returnable) return null;
    return h("p", { class: "muted small return-note", text: t(ended ? "orders.returnClosed" : "orders.returnUntil", { date }) });
  };

  // The same rules as chat's return (POST /return runs commerce.request_return); asked once,
  // and a double-click, a second tap while it runs or a retry of the same act books one pickup.
  async function startReturn() {
    if (returning) return;
    returning = true;
    try {
      const left = order.lines.filter((l) => l.returnable_quantity > 0);
      const refund = left.reduce((sum, l) => sum + l.unit_price * l.returnable_quantity, 0);
      const ok = await confirmDialog({
        title: t("orders.returnTitle"),
        body: t("orders.returnBody", { items: left.map((l) => `${l.returnable_quantity} × ${l.name}`).join(", "), refund: formatMoney(refund, order.currency, lang()) }),
        confirmLabel: t("orders.returnConfirm"),
        cancelLabel: t("orders.keep"),
      });
      if (!ok) return;
      const key = `return-${order.id}-${order.shipments.filter((x) => x.kind === "return").length}`;
      order = await api(`/api/orders/${order.id}/return`, { method: "POST", body: {}, idempotencyKey: key });
      toast(t("orders.returnRequested", { id: order.id }));
    } catch (err) {
      // The commerce rule's refusal: its own words in English, the same reason in Chinese.
      const field = err.details && err.details.field;
      const reason = lang() === "zh" && field ? tOr(`orders.refuse.${field}`, err.message) : err.message;
      toast(t("orders.returnRefused", { reason }), "error");
    } finally {
      returning = false;
      fillSummary();
    }
  }

  fillSummary();

  // Live delivery: the map, the courier and the ETA, refreshed without a reload.
  const ensureMap = async () => {
    const s = shipment();
    if (map || !s || !LIVE_STATUSES.has(s.status)) return;
    const info = await delivery(s, order);
    map = drawMap({
      roads: info.roads,
      routes: info.route ? [{ coords: info.route, color: "#2563eb", label: t("orders.vehicle") }] : [],
      markers: [
        info.depot ? { kind: "depot", lon: info.depot[0], lat: info.depot[1], label: t("orders.depot"), text: t("orders.depot") } : null,
        { kind: "destination", lon: s.destination.lon, lat: s.destination.lat, label: t("orders.destination"), text: t("orders.destination") },
        { kind: "vehicle", id: "vehicle", lon: (info.vehicle || [NaN])[0], lat: (info.vehicle || [NaN, NaN])[1], label: t("orders.vehicle") },
      ].filter(Boolean),
      title: t("orders.map"),
      fitTo: info.fitTo,
    });
    map.svg.dataset.testid = "delivery-map";
    if (info.vehicle) map.svg.dataset.vehicle = info.vehicle.join(",");
    add(
      mapBox,
      h("h2", { id: "map-h" }, icon("pin"), " ", t("orders.map")),
      etaBox,
      ageBox,
      updated,
      h("div", { class: "map-wrap" }, map.svg),
      legend([
        ["#2563eb", t("orders.vehicle")],
        ["#b42318", t("orders.destination")],
        ...(info.depot ? [["#1c2421", t("orders.depot")]] : []),
      ]),
      info.roads.length ? null : h("p", { class: "muted", text: t("orders.mapNoNetwork") }),
      h("p", { class: "muted", text: t("orders.live") }),
    );
    layout.prepend(mapBox);
    fillSummary();
  };
  mapBox.remove();
  await ensureMap();

  if (["delivered", "cancelled", "returned", "return_requested"].includes(order.status)) return null;
  let stopped = false;
  const timer = setInterval(async () => {
    if (stopped || document.hidden) return;
    // Each tick redraws with the clock too: an ETA nobody updated turns stale on screen, even
    // while the server cannot be reached.
    fillSummary();
    try {
      order = await api(`/api/orders/${order.id}`);
      fillSummary();
      if (!map) await ensureMap();
      else {
        const live = await delivery(shipment(), order, { roads: false });
        if (live.vehicle) {
          map.moveVehicle("vehicle", live.vehicle[0], live.vehicle[1]);
          map.svg.dataset.vehicle = live.vehicle.join(",");
        }
        if (live.eta && live.eta !== shipment().eta) {
          shipment().eta = live.eta;
          fillSummary();
        }
      }
    } catch (err) {
      console.warn("refresh failed", err);
    }
  }, POLL_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

export async function render(container, ctx) {
  try {
    if (ctx.params[0]) return await renderDetail(container, Number(ctx.params[0]), ctx);
    await renderList(container);
  } catch (err) {
    add(container, h("p", { class: "error", role: "alert", text: t("error", { message: err.message }) }));
  }
  return null;
}
