// Tiny DOM helpers: build elements without innerHTML so data is never parsed as markup.

/**
 * Create an element. `attrs` keys: `class`, `text`, `on<event>` (listener), `dataset`, `style`,
 * booleans (true sets, false/null skips); children may be strings, nodes, arrays or null.
 */
export function h(tag, attrs = {}, ...children) {
  const svg = tag.startsWith("svg:");
  const el = svg
    ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
    : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.setAttribute("class", value);
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "style" && typeof value === "object") Object.assign(el.style, value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "value" && !svg) el.value = value;
    else if (key === "checked" && !svg) el.checked = Boolean(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** An icon from the sprite. */
export function icon(name, cls = "icon") {
  const svg = h("svg:svg", { class: cls, "aria-hidden": "true", focusable: "false" });
  svg.append(h("svg:use", { href: `/static/img/icons.svg#${name}` }));
  return svg;
}

/** Replace all children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Announce a message in the polite live region (and show it briefly). */
export function toast(message, kind = "info") {
  const el = document.getElementById("toast");
  if (!el) return;
  el.textContent = message;
  el.dataset.kind = kind;
  el.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => el.classList.remove("show"), 4000);
  // A tap dismisses it at once.
  el.onclick = () => {
    clearTimeout(toast.timer);
    el.classList.remove("show");
  };
}

/** A modal confirmation dialog; resolves true when confirmed. */
export function confirmDialog({ title, body, confirmLabel, cancelLabel, danger = false }) {
  return new Promise((resolve) => {
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    const dialog = h(
      "dialog",
      { class: "dialog", "aria-labelledby": titleId },
      h("h2", { id: titleId, text: title }),
      typeof body === "string" ? h("p", { text: body }) : body,
      h(
        "div",
        { class: "dialog-actions" },
        h("button", { type: "button", class: "btn-ghost", value: "cancel", text: cancelLabel }),
        h("button", {
          type: "button",
          class: danger ? "btn-danger" : "btn-primary",
          value: "ok",
          text: confirmLabel,
        }),
      ),
    );
    let answered = false;
    const finish = (ok) => {
      if (answered) return;
      answered = true;
      dialog.close();
      dialog.remove();
      resolve(ok);
    };
    dialog.addEventListener("click", (ev) => {
      const btn = ev.target.closest("button");
      if (btn) finish(btn.value === "ok");
    });
    dialog.addEventListener("cancel", () => finish(false));
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector("button[value=cancel]").focus();
  });
}

/** Format an ISO time in the UI language. */
export function formatTime(iso, lang, opts = { dateStyle: "medium", timeStyle: "short" }) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en-GB", opts).format(d);
}

/** Format money in major units (a number) and a currency code. */
export function formatMoney(amount, currency, lang) {
  if (amount === null || amount === undefined) return "";
  return new Intl.NumberFormat(lang === "zh" ? "zh-CN" : "en-US", {
    style: "currency",
    currency: currency || "USD",
  }).format(amount);
}

/** Append children to `el`, skipping null/false (unlike the native append, which prints "null"). */
export function add(el, ...children) {
  append(el, children);
  return el;
}
