// Small inline-SVG line charts (no library).

const NS = "http://www.w3.org/2000/svg";

function el(tag, attrs, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * A line chart of `points` [{x: label, y: number}], titled `title` for screen readers.
 * `format(y)` labels the values; `yMin`/`yMax` fix the axis.
 */
export function lineChart({ points, title, format = (v) => String(v), yMin = null, yMax = null, color = "#0f766e" }) {
  const W = 520, H = 200, L = 48, R = 12, T = 12, B = 28;
  const svg = el("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title });
  svg.append(el("title", {}, title));
  if (!points.length) return svg;
  const ys = points.map((p) => p.y);
  let lo = yMin ?? Math.min(...ys), hi = yMax ?? Math.max(...ys);
  // Values closer together than the labels can tell apart (five plans of 143 minutes) would
  // label every tick alike: widen a free axis around them until its five ticks read apart.
  const tickLabels = () => [0, 1, 2, 3, 4].map((k) => format(lo + ((hi - lo) * k) / 4));
  for (let tries = 0; yMin === null && yMax === null && tries < 12 && new Set(tickLabels()).size < 5; tries++) {
    const mid = (lo + hi) / 2, half = Math.max(hi - lo, 1);
    lo = mid - half;
    hi = mid + half;
  }
  const span = hi - lo || 1;
  const x = (i) => L + (points.length === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (points.length - 1));
  const y = (v) => T + (1 - (v - lo) / span) * (H - T - B);
  // A tick whose label reads like the one below it (a narrow range in whole minutes) says
  // nothing: draw each label once.
  let lastY = null;
  for (let k = 0; k <= 4; k++) {
    const v = lo + (span * k) / 4;
    if (format(v) === lastY) continue;
    lastY = format(v);
    svg.append(el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#e3e8e5" }));
    svg.append(el("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", class: "axis" }, lastY));
  }
  const d = points.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)} ${y(p.y).toFixed(1)}`).join("");
  svg.append(el("path", { d, fill: "none", stroke: color, "stroke-width": 2.5, "stroke-linejoin": "round" }));
  const every = Math.ceil(points.length / 6);
  let lastX = null; // plans made in one minute share a label: show it once
  points.forEach((p, i) => {
    const dot = el("circle", { cx: x(i), cy: y(p.y), r: 3.5, fill: color });
    dot.append(el("title", {}, `${p.x}: ${format(p.y)}`));
    svg.append(dot);
    if ((i % every === 0 || i === points.length - 1) && p.x !== lastX) {
      lastX = p.x;
      const anchor = points.length > 1 && i === points.length - 1 ? "end" : i === 0 && points.length > 1 ? "start" : "middle";
      svg.append(el("text", { x: x(i), y: H - 8, "text-anchor": anchor, class: "axis" }, p.x));
    }
  });
  return svg;
}
