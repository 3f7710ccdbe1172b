// Chat with the assistant: streamed replies, product cards, refinement chips, comparison,
// a confirmation dialog before any order, and the microphone.

import { api, fillPath, postStream } from "../api.js";
import { add, confirmDialog, formatMoney, formatTime, h, icon, replace, toast } from "../dom.js";
import { ENDPOINTS } from "../engines.js";
import { lang, t, tOr } from "../i18n.js";
import { MicError, recordUtterance } from "../voice.js";

// Refinement chips: each adds (pressed) or removes (unpressed) one constraint in one tap.
// The words each chip adds are data: chat.chipText.<id> in static/lang/<lang>.json.
const CHIPS = [
  { id: "under30", group: "price" },
  { id: "under20", group: "price" },
  { id: "fragranceFree" },
  { id: "alcoholFree" },
  { id: "dry", group: "skin" },
  { id: "oily", group: "skin" },
  { id: "sensitive" },
];

// The conversation survives switching views and languages (module state, not the DOM).
const chat = { messages: [], conversationId: null, baseQuery: "", chips: new Set(), selected: new Set(), busy: false };

/** Which backend answers: the assistant (preferred) or the shopping guide directly. */
async function backends() {
  return {
    message: ENDPOINTS.messageStream,
    conversations: ENDPOINTS.conversations,
    recommend: ENDPOINTS.recommend,
    compare: ENDPOINTS.compare,
    voice: ENDPOINTS.voice,
    facts: ENDPOINTS.productFacts,
  };
}

function queryText() {
  const parts = [chat.baseQuery];
  for (const chip of CHIPS) if (chat.chips.has(chip.id)) parts.push(t(`chat.chipText.${chip.id}`));
  return parts.filter(Boolean).join(t("chat.chipJoin"));
}

function stars(rating) {
  if (rating === null || rating === undefined) return h("span", { class: "muted", text: t("product.noRating") });
  const value = Number(rating);
  return h("span", { class: "rating", "aria-label": `${t("product.rating")}: ${value.toFixed(1)} / 5` }, icon("star", "icon star"), ` ${value.toFixed(1)}`);
}

/** The products of the newest reply that had cards (the product page compares among them). */
export function recentProducts() {
  return [...chat.messages].reverse().find((m) => m.role === "bot" && m.items && m.items.length && !m.comparison)?.items || [];
}

/** `#/product/<id>`, carrying the need the cards answered (its ingredients are marked there). */
export function productHref(id) {
  return `#/product/${id}${chat.baseQuery ? `?need=${encodeURIComponent(chat.baseQuery)}` : ""}`;
}

function reviewCount(p) {
  if (p.review_count === undefined) return null;
  return h("span", { class: "review-count muted", text: p.review_count === null ? t("shop.noReviews") : t("shop.reviews", { n: p.review_count.toLocaleString(lang() === "zh" ? "zh-CN" : "en-US") }) });
}

function productCard(p, index, ctx, redraw) {
  const id = `pick-${p.id}-${index}`;
  const selected = chat.selected.has(p.id);
  const href = productHref(p.id);
  return h(
    "article",
    { class: `card product${selected ? " selected" : ""}`, dataset: { productId: p.id }, "aria-labelledby": `${id}-name` },
    p.image_src
      ? h("a", { class: "product-thumb", href, tabindex: "-1", "aria-hidden": "true" }, h("img", { src: p.image_src, alt: "", width: "72", height: "72", loading: "lazy", decoding: "async" }))
      : null,
    h("div", { class: "product-top" }, h("span", { class: "product-rank", text: String(index + 1) }), h("span", { class: "product-brand", text: p.brand })),
    h("h3", { id: `${id}-name`, class: "product-name" }, h("a", { href, class: "product-link", text: p.name })),
    h(
      "dl",
      { class: "product-facts" },
      h("dt", { text: t("product.price") }),
      h("dd", { class: "product-price", text: p.display_price || formatMoney(p.price, p.currency || "USD", lang()) }),
      h("dt", { text: t("product.rating") }),
      h("dd", {}, stars(p.rating), " ", reviewCount(p)),
      h("dt", { text: t("product.skin") }),
      h("dd", { text: (p.skin_types || []).map((s) => t(`skin.${s}`)).join(", ") || t("none") }),
    ),
    p.reason ? h("p", { class: "product-reason" }, h("strong", { text: `${t("product.reason")}: ` }), p.reason) : null,
    h(
      "div",
      { class: "product-actions" },
      h("label", { class: "check" }, h("input", {
        type: "checkbox",
        checked: selected,
        "aria-label": `${t("chat.select")}: ${p.name}`,
        onchange: (ev) => {
          if (ev.target.checked) chat.selected.add(p.id);
          else chat.selected.delete(p.id);
          while (chat.selected.size > 2) chat.selected.delete(chat.selected.values().next().value);
          redraw();
        },
      }), t("chat.compare")),
      h("span", { class: "product-buttons" },
        h("a", { class: "btn-small btn-details", href, text: t("shop.details") }),
        h("button", { type: "button", class: "btn-small btn-order", onclick: () => orderProduct(p, ctx) }, t("chat.order"))),
    ),
  );
}

/** Ask once, then place and pay for one unit of `p` (chat's cards and the product page). */
export async function orderProduct(p, ctx) {
  const ok = await confirmDialog({
    title: t("chat.orderConfirmTitle"),
    body: t("chat.orderConfirmBody", { name: `${p.brand} ${p.name}`, price: formatMoney(p.price, p.currency || "USD", lang()) }),
    confirmLabel: t("chat.orderConfirm"),
    cancelLabel: t("cancel"),
  });
  if (!ok) return;
  try {
    // Deliver to the member's stored address (the orders API leaves it empty otherwise).
    const addresses = (await api("/api/account/export")).addresses || [];
    const body = { lines: [{ product_id: p.id, quantity: 1 }] };
    if (addresses.length) body.address_id = addresses[0].id;
    const order = await api("/api/orders", { method: "POST", body });
    // One key per order: a retry after a lost answer replays the first confirm, never pays twice.
    const confirmed = await api(`/api/orders/${order.id}/confirm`, { method: "POST", idempotencyKey: `confirm-${order.id}` });
    toast(t("chat.ordered", { id: confirmed.id }));
    ctx.navigate(`orders/${confirmed.id}`);
  } catch (err) {
    toast(t("error", { message: err.message }), "error");
  }
}

/** The comparison table: human labels, values in the page's language, differing rows marked. */
export function comparisonView(cmp, items) {
  const byId = Object.fromEntries(items.map((p) => [p.id, p]));
  const a = cmp.a || items[0], b = cmp.b || items[1];
  const rows = cmp.rows || [
    { aspect: t("product.brand"), a: a.brand, b: b.brand },
    { aspect: t("product.price"), a: formatMoney(byId[a.id]?.price, "USD", lang()), b: formatMoney(byId[b.id]?.price, "USD", lang()) },
    { aspect: t("product.skin"), a: (byId[a.id]?.skin_types || []).join(", "), b: (byId[b.id]?.skin_types || []).join(", ") },
  ];
  return h(
    "section",
    { class: "card comparison", "aria-label": t("chat.compareTitle") },
    h("h3", { text: t("chat.compareTitle") }),
    h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        {},
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, ""), h("th", { scope: "col", text: `${a.brand} ${a.name}` }), h("th", { scope: "col", text: `${b.brand} ${b.name}` }))),
        h("tbody", {}, rows.map((r) => {
          // The guide names its aspects (price, skin_types...): people read labels, and the
          // rows where the two differ stand out.
          const value = (v) => (r.aspect === "skin_types" ? String(v).split(", ").map((s) => tOr(`skin.${s}`, s)).join(lang() === "zh" ? "、" : ", ") : r.aspect === "category" ? tOr(`cat.${v}`, v) : v);
          const differs = String(r.a) !== String(r.b);
          return h("tr", { class: differs ? "differs" : null, dataset: { aspect: r.aspect } }, h("th", { scope: "row", text: tOr(`compare.${r.aspect}`, r.aspect) }), h("td", { text: value(r.a) }), h("td", { text: value(r.b) }));
        })),
      ),
    ),
    cmp.verdict ? h("p", { class: "verdict", text: cmp.verdict }) : null,
  );
}

function messageView(m, ctx, redraw) {
  if (m.role === "user") {
    return h(
      "div",
      { class: `msg msg-user${m.voice ? " msg-voice" : ""}` },
      h("span", { class: "sr-only", text: `${m.voice ? t("chat.youSaid") : t("chat.you")}: ` }),
      m.voice ? icon("mic", "icon icon-inline") : null,
      m.text || (m.pending ? t("chat.transcribing") : ""),
    );
  }
  // Beside its cards a reply says only what the cards do not (the brief); alone, all of it.
  const shown = m.items && m.items.length && m.brief ? m.brief : m.text;
  const body = h("div", { class: "msg-text" }, shown || (m.pending ? t("chat.thinking") : ""));
  return h(
    "div",
    { class: `msg msg-bot${m.pending ? " pending" : ""}`, "aria-busy": m.pending ? "true" : null },
    h("span", { class: "sr-only", text: `${t("chat.assistant")}: ` }),
    body,
    m.relaxed && m.relaxed.length ? h("p", { class: "muted small", text: t("chat.relaxed", { items: m.relaxed.join(", ") }) }) : null,
    m.comparison ? comparisonView(m.comparison, m.items || []) : null,
    m.items && m.items.length && !m.comparison
      ? h("div", { class: "products" }, m.items.map((p, i) => productCard(p, i, ctx, redraw)))
      : null,
    placedOrders(m).map((o) => h("p", { class: "card placed-order", dataset: { orderId: o.order_id } },
      h("strong", { text: t("chat.orderPlaced", { id: o.order_id }) }), " · ",
      o.eta ? `${t("orders.eta")}: ${formatTime(o.eta, lang(), { weekday: "short", hour: "2-digit", minute: "2-digit" })}` : t("orders.etaPlanning"), " · ",
      h("a", { href: `#/orders/${o.order_id}`, text: t("chat.trackOrder") }))),
    m.needsConfirmation ? h("div", { class: "actions" }, h("button", { type: "button", class: "btn-primary", onclick: () => confirmAction(m, ctx, redraw) }, t("chat.confirm"))) : null,
  );
}

/** Orders this reply placed (the assistant's orders.place_order results), with their ETA. */
function placedOrders(m) {
  return (m.actions || []).filter((a) => a.tool === "orders.place_order" && a.result && a.result.order_id).map((a) => a.result);
}

let sendImpl = null;

async function confirmAction(m, ctx, redraw) {
  const ok = await confirmDialog({ title: t("chat.confirmTitle"), body: m.text, confirmLabel: t("chat.confirm"), cancelLabel: t("cancel") });
  m.needsConfirmation = false;
  redraw();
  // The yes names this message's own action: if a newer request replaced it, the assistant
  // answers that this one expired instead of confirming whatever is pending now.
  if (ok && sendImpl) sendImpl(t("chat.say.yes"), { refine: false, actionId: m.actionId ?? null });
}

export async function render(container, ctx) {
  const be = await backends();
  const available = be.message || be.recommend;
  const log = h("div", { class: "chat-log", role: "log", "aria-live": "polite", "aria-label": t("chat.title") });
  const input = h("input", { id: "chat-input", type: "text", autocomplete: "off", placeholder: t("chat.placeholder"), "aria-label": t("chat.inputLabel"), "aria-describedby": "chat-count" });
  // One limit for the box, the API and the assistant (lingxi.text.MAX_MESSAGE_CHARS): counted, never cut.
  const max = ctx.maxMessageChars || 2000;
  const counter = h("span", { id: "chat-count", class: "char-count", "aria-live": "polite" });
  const count = () => {
    const n = input.value.length;
    counter.textContent = t("chat.count", { n, max });
    counter.dataset.over = String(n > max);
    if (sendBtn) sendBtn.disabled = n > max;
    counter.title = n > max ? t("chat.tooLong", { max }) : "";
  };
  let sendBtn = null;
  input.addEventListener("input", count);
  const chipBar = h("div", { class: "chips", role: "group", "aria-label": t("chat.refine") });
  const compareBar = h("div", { class: "compare-bar" });
  const micBtn = h("button", { type: "button", class: "btn-icon mic", "aria-label": be.voice ? t("chat.mic") : t("chat.micUnavailable"), title: be.voice ? t("chat.mic") : t("chat.micUnavailable"), disabled: !be.voice }, icon("mic"));
  // The server leaves "voice" out of its features when the [voice] extra is not installed.
  micBtn.hidden = !(document.querySelector('meta[name="lingxi-features"]')?.content ?? "voice").split(" ").includes("voice");

  const chatBox = h("div", { class: "chat" });
  const redraw = () => {
    chatBox.dataset.busy = String(chat.busy);
    replace(log, chat.messages.length ? chat.messages.map((m) => messageView(m, ctx, redraw)) : examples());
    drawChips();
    drawCompareBar();
    // Follow the newest message: its start when it is taller than the screen, else its end.
    const newest = log.lastElementChild;
    if (chat.messages.length && newest) {
      const tall = newest.getBoundingClientRect().height > window.innerHeight * 0.6;
      newest.scrollIntoView({ block: tall ? "start" : "end", behavior: "instant" });
    }
  };

  const examples = () =>
    h(
      "div",
      { class: "examples" },
      h("p", { class: "muted", text: t("chat.examples") }),
      ["chat.ex1", "chat.ex2", "chat.ex3", "chat.ex4"].map((k) => h("button", { type: "button", class: "chip", onclick: () => send(t(k)) }, t(k))),
    );

  const drawChips = () => {
    const lastBot = [...chat.messages].reverse().find((m) => m.role === "bot" && m.items && m.items.length);
    if (!lastBot || !chat.baseQuery) {
      replace(chipBar);
      return;
    }
    replace(
      chipBar,
      h("span", { class: "chips-label", text: `${t("chat.refine")}:` }),
      CHIPS.map((c) =>
        h("button", {
          type: "button",
          class: "chip",
          dataset: { chip: c.id },
          "aria-pressed": String(chat.chips.has(c.id)),
          text: t(`chip.${c.id}`),
          onclick: () => {
            if (chat.chips.has(c.id)) chat.chips.delete(c.id);
            else {
              for (const other of CHIPS) if (other.group && other.group === c.group) chat.chips.delete(other.id);
              chat.chips.add(c.id);
            }
            send(queryText(), { refine: true });
          },
        }),
      ),
    );
  };

  const drawCompareBar = () => {
    replace(
      compareBar,
      chat.selected.size === 2
        ? h("button", { type: "button", class: "btn-primary", onclick: compareSelected }, icon("compare"), t("chat.compareSelected"))
        : null,
    );
  };

  const compareSelected = async () => {
    const [a, b] = [...chat.selected];
    const lastItems = [...chat.messages].reverse().find((m) => m.items && m.items.length)?.items || [];
    const items = lastItems.filter((p) => p.id === a || p.id === b);
    chat.selected.clear();
    if (be.message && !be.compare) {
      const pos = (id) => lastItems.findIndex((p) => p.id === id) + 1;
      const text = t("chat.say.compare", { a: pos(a), b: pos(b) });
      await send(text, { refine: false, compareItems: items });
      return;
    }
    const bot = { role: "bot", text: "", pending: true };
    chat.messages.push({ role: "user", text: `${t("chat.compare")}: ${items.map((p) => p.name).join(" / ")}` }, bot);
    redraw();
    try {
      const method = be.compare.split(" ")[0];
      const body = { a: String(a), b: String(b), need: chat.baseQuery, language: lang() };
      const cmp = method === "GET" ? await api(fillPath(be.compare, {}), { query: { a, b, need: chat.baseQuery } }) : await api(fillPath(be.compare, {}), { method, body });
      Object.assign(bot, { pending: false, text: cmp.verdict || "", comparison: cmp, items });
    } catch (err) {
      Object.assign(bot, { pending: false, text: t("error", { message: err.message }) });
    }
    redraw();
  };

  async function conversationPath() {
    if (!be.message.includes("{")) return fillPath(be.message, {});
    if (!chat.conversationId) {
      const conv = await api(fillPath(be.conversations, {}), { method: "POST", body: { language: lang() } });
      chat.conversationId = conv.id ?? conv.conversation_id;
    }
    return fillPath(be.message, { conversation_id: chat.conversationId, id: chat.conversationId });
  }

  async function askAssistant(text, bot, compareItems, actionId) {
    const path = await conversationPath();
    const body = { text, channel: "text" };
    if (actionId) body.action_id = actionId;
    // Events: "meta" (cards, actions, needs_confirmation), "delta" (a piece of text), "done".
    await postStream(path, body, ({ event, data }) => {
      if (event === "meta" || (event === "done" && data && "items" in data)) {
        bot.items = data.items || bot.items || [];
        bot.brief = data.brief ?? bot.brief ?? null;
        bot.needsConfirmation = Boolean(data.needs_confirmation);
        bot.actionId = data.action_id ?? null;
        bot.actions = data.actions || bot.actions;
        if (data.conversation_id) chat.conversationId = data.conversation_id;
        if (event === "done") bot.text = data.reply ?? bot.text;
      } else if (event === "delta") {
        bot.text += typeof data === "string" ? data : data?.text ?? "";
        bot.pending = false;
      } else if (event === "done") {
        bot.text = data?.reply ?? bot.text;
      } else if (event === "error") {
        bot.text = t("error", { message: data?.message || data?.error?.message || String(data) });
      }
      if (event === "done" || event === "error") bot.pending = false;
      const compared = (bot.actions || []).find((a) => a.tool === "guide.compare" && a.result && a.result.rows);
      if (compared && !bot.comparison) bot.comparison = compared.result; // "compare the first two", typed
      if (compareItems && bot.items && bot.items.length === 2 && !bot.comparison) {
        const facts = (bot.actions || []).map((a) => a.result).find((r) => r && r.rows);
        bot.comparison = facts || { verdict: "" };
      }
      redraw();
    });
  }

  async function askGuide(text, bot) {
    const method = be.recommend.split(" ")[0];
    const path = fillPath(be.recommend, {});
    const result = method === "GET" ? await api(path, { query: { text, q: text, k: 6 } }) : await api(path, { method, body: { text, query: text, k: 6 } });
    Object.assign(bot, { text: result.message || "", items: result.items || [], relaxed: result.relaxed || [] });
  }

  // The engines' cards carry no rating, review count or image: fill them in from the catalogue.
  async function enrich(bot) {
    const missing = (bot.items || []).filter((p) => p.rating === undefined || p.image_src === undefined);
    if (!missing.length || !be.facts) return;
    try {
      const { data } = await api(fillPath(be.facts, {}), { query: { ids: missing.map((p) => p.id).join(",") } });
      const by = Object.fromEntries(data.map((f) => [f.id, f]));
      for (const p of missing) {
        const f = by[p.id];
        if (p.rating === undefined) p.rating = f ? f.rating : null;
        p.image_src = f ? f.image_src : "";
        p.review_count = f ? f.review_count : null;
      }
    } catch (err) {
      console.warn("product facts unavailable", err);
    }
  }

  async function send(text, { refine = false, compareItems = null, voice = false, actionId = null } = {}) {
    text = (text || "").trim();
    if (!text) return;
    if (chat.busy) {
      // One request at a time: the latest tap or message waits for the current reply.
      chat.queued = [text, { refine, compareItems, voice, actionId }];
      return;
    }
    if (!refine && !compareItems && text !== t("chat.say.yes")) {
      chat.baseQuery = text;
      chat.chips.clear();
    }
    chat.busy = true;
    const bot = { role: "bot", text: "", pending: true };
    chat.messages.push({ role: "user", text, voice }, bot);
    redraw();
    try {
      if (be.message) await askAssistant(text, bot, compareItems, actionId);
      else if (be.recommend) await askGuide(text, bot);
      else bot.text = t("chat.unavailable");
      await enrich(bot);
    } catch (err) {
      bot.text = t("error", { message: err.message });
    } finally {
      bot.pending = false;
      chat.busy = false;
      redraw();
    }
    if (chat.queued) {
      const [next, opts] = chat.queued;
      chat.queued = null;
      await send(next, opts);
    }
  }
  sendImpl = send;
  add(chatBox, log, chipBar, compareBar);

  const form = h(
    "form",
    {
      class: "composer",
      onsubmit: (ev) => {
        ev.preventDefault();
        const text = input.value;
        if (text.length > max) {
          toast(t("chat.tooLong", { max }), "error");
          return; // kept in the box to shorten, never cut
        }
        input.value = "";
        count();
        send(text);
      },
    },
    micBtn,
    input,
    counter,
    (sendBtn = h("button", { type: "submit", class: "btn-primary", "aria-label": t("chat.send") }, icon("send"), h("span", { class: "send-label", text: t("chat.send") }))),
  );
  count();

  // Microphone: record one utterance (16 kHz WAV, ends on silence), send it to the home engine's
  // voice path; the transcript becomes the user's message. Speech that is not a home command goes
  // to the assistant as text.
  let take = null;
  const micStatus = h("p", { class: "mic-status", role: "status", "aria-live": "polite", hidden: true });
  const setMic = (state, message = "") => {
    micBtn.classList.toggle("recording", state === "recording");
    micBtn.setAttribute("aria-pressed", String(state === "recording"));
    micBtn.setAttribute("aria-label", state === "recording" ? t("chat.micStop") : t("chat.mic"));
    micBtn.title = micBtn.getAttribute("aria-label");
    micBtn.disabled = state === "busy";
    micStatus.textContent = message;
    micStatus.hidden = !message;
    micStatus.dataset.kind = state === "error" ? "error" : "info";
  };

  async function homeVoice(wav) {
    const language = lang() === "zh" ? "zh-CN" : "en";
    const path = fillPath(be.voice, {});
    try {
      return await api(path, { method: "POST", body: wav, query: { language } });
    } catch (err) {
      if (err.code !== "confirmation_required" || !err.details.token) throw err;
      const ok = await confirmDialog({ title: t("chat.confirmTitle"), body: err.message, confirmLabel: t("chat.confirm"), cancelLabel: t("cancel") });
      if (!ok) return { ok: false, reply: t("chat.voiceCancelled"), commands: [], changes: [] };
      const done = await api("/api/home/confirm", { method: "POST", body: { token: err.details.token } });
      return { ...done, commands: [{ transcript: err.details.transcript || "" }, ...(done.commands || [])] };
    }
  }

  async function voiceTurn(wav) {
    setMic("busy", t("chat.transcribing"));
    const user = { role: "user", text: "", voice: true, pending: true };
    const bot = { role: "bot", text: "", pending: true };
    chat.messages.push(user, bot);
    chat.busy = true;
    redraw();
    let forward = null;
    try {
      const answer = await homeVoice(wav);
      const heard = (answer.commands || []).map((c) => c.transcript).find(Boolean) || "";
      user.text = heard || t("chat.voiceMessage");
      if ((!heard && !answer.ok) || answer.reason === "no_speech") {
        chat.messages.splice(chat.messages.indexOf(user), 2);
        setMic("error", t("chat.micNothing"));
        return;
      }
      if (!answer.ok && ["no_intent", "empty"].includes(answer.reason) && be.message) {
        // Not a home command: the assistant answers the transcript like typed text.
        chat.messages.splice(chat.messages.indexOf(user), 2);
        forward = heard;
      } else {
        bot.text = answer.question || answer.reply || "";
      }
      setMic("idle");
    } catch (err) {
      chat.messages.splice(chat.messages.indexOf(user), 2);
      setMic("error", t("error", { message: err.message }));
    } finally {
      user.pending = bot.pending = false;
      chat.busy = false;
      redraw();
    }
    if (forward) await send(forward, { voice: true });
  }

  async function toggleMic() {
    if (take) {
      take.stop();
      return;
    }
    if (chat.busy) return;
    take = recordUtterance({ onSpeech: () => setMic("recording", t("chat.hearing")) });
    setMic("recording", t("chat.listening"));
    let wav = null;
    try {
      wav = await take.done;
    } catch (err) {
      take = null;
      const message = err instanceof MicError && err.kind === "denied" ? t("chat.micDenied") : t("chat.micNoDevice");
      setMic("error", message);
      return;
    }
    take = null;
    if (!wav) {
      setMic("error", t("chat.micNothing"));
      return;
    }
    await voiceTurn(wav);
  }

  micBtn.addEventListener("click", toggleMic);
  micBtn.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && take) {
      take.cancel();
      setMic("idle");
    }
  });
  if (be.voice) setMic("idle");

  add(container, 
    h("header", {}, h("h1", { text: t("chat.title") }), h("p", { class: "muted", text: t("chat.lead") })),
    !available ? h("p", { class: "notice", text: t("chat.unavailable") }) : null,
    available && !be.message ? h("p", { class: "notice", text: t("chat.guideOnly") }) : null,
    add(chatBox, micStatus, form),
  );
  redraw();
  if (!available) {
    input.disabled = true;
  }
  return null;
}
