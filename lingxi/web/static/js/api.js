// The one place that talks HTTP: JSON requests, error mapping and SSE streams (the endpoints
// themselves are fixed, in engines.js).

/** An error answer from the API: `{"error": {"code", "message", "details"}}`. */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

async function errorFrom(resp) {
  let body = null;
  try {
    body = await resp.json();
  } catch {
    body = null;
  }
  const err = body && body.error ? body.error : {};
  return new ApiError(resp.status, err.code || "http_error", err.message || resp.statusText, err.details);
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The session's CSRF token, from the readable `lingxi_csrf` cookie set at sign-in. */
export function csrfToken() {
  const found = document.cookie.split("; ").find((c) => c.startsWith("lingxi_csrf="));
  return found ? decodeURIComponent(found.slice("lingxi_csrf=".length)) : "";
}

/** `headers` plus `X-CSRF-Token` on a state change: the server refuses those without it. */
function withCsrf(method, headers) {
  const token = csrfToken();
  if (UNSAFE.has(method.toUpperCase()) && token) headers["X-CSRF-Token"] = token;
  return headers;
}

/**
 * Call the API; resolves to the parsed JSON body (or null for 204). `idempotencyKey` names one
 * act (e.g. `confirm-42`): a repeat with the same key gets the first answer, not a second act.
 */
export async function api(path, { method = "GET", body, query, signal, idempotencyKey } = {}) {
  let url = path;
  if (query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) qs.append(k, v);
    const s = qs.toString();
    if (s) url += `?${s}`;
  }
  const init = { method, credentials: "same-origin", headers: withCsrf(method, { Accept: "application/json" }), signal };
  if (idempotencyKey) init.headers["Idempotency-Key"] = idempotencyKey;
  if (body !== undefined) {
    if (body instanceof Blob || body instanceof FormData) init.body = body;
    else {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
  }
  let resp;
  try {
    resp = await fetch(url, init);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "network", "The server could not be reached.", {});
  }
  if (!resp.ok) throw await errorFrom(resp);
  if (resp.status === 204) return null;
  const type = resp.headers.get("content-type") || "";
  return type.includes("json") ? resp.json() : resp.text();
}

/** The path of a "METHOD /path" endpoint, its `{name}` placeholders filled from `params`. */
export function fillPath(op, params) {
  const path = op.slice(op.indexOf(" ") + 1);
  return path.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(params[name]));
}

/** Parse a `text/event-stream` body, calling `onEvent({event, data})` per event. */
export async function readEventStream(resp, onEvent) {
  const reader = resp.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, "");
      dispatchBlock(block, onEvent);
    }
  }
  if (buffer.trim()) dispatchBlock(buffer, onEvent);
}

function dispatchBlock(block, onEvent) {
  let event = "message";
  const data = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(":")) continue;
    const i = line.indexOf(":");
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  if (!data.length) return;
  const text = data.join("\n");
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  onEvent({ event, data: parsed });
}

/** POST JSON and read a streamed (SSE) or plain JSON answer. */
export async function postStream(path, body, onEvent, { signal } = {}) {
  const resp = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: withCsrf("POST", { "Content-Type": "application/json", Accept: "text/event-stream, application/json" }),
    body: JSON.stringify(body),
    signal,
  });
  if (!resp.ok) throw await errorFrom(resp);
  const type = resp.headers.get("content-type") || "";
  if (type.includes("text/event-stream")) {
    await readEventStream(resp, onEvent);
  } else {
    onEvent({ event: "done", data: await resp.json() });
  }
}
