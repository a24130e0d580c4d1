// The record page's script: the record's network drawn as a small SVG graph (nodes are records, or
// a passage where an end names no record; lines are relation types with how many relations say so)
// from the data the page carries (the same as /api/records/<id>/network/); the page lists the same
// relations with their evidence passages, which is what screen readers, narrow screens and readers
// without the script read. And "Link all occurrences" for those who may annotate. Untrusted text is
// written only through textContent.

import { el, openLinkAll, showToast } from "./link_all.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  node.append(...children);
  return node;
}

const short = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

/** Where each node sits: the record in the middle, the others on a circle around it. */
export function layout(nodes, width, height) {
  const centre = nodes.find((n) => n.center);
  const others = nodes.filter((n) => n !== centre);
  const at = new Map();
  const r = Math.min(width, height) / 2 - 48;
  if (centre) at.set(centre.id, { x: width / 2, y: height / 2 });
  others.forEach((n, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, others.length);
    at.set(n.id, { x: width / 2 + r * 1.35 * Math.cos(angle), y: height / 2 + r * Math.sin(angle) });
  });
  return at;
}

const MAX_DRAWN = 24; // more around one circle would not read: the list below has every relation

/** The nodes and edges worth drawing: the record and its most connected neighbours. */
export function drawable(network) {
  if (network.nodes.length <= MAX_DRAWN + 1) return { ...network, left: 0 };
  const weight = new Map();
  for (const e of network.edges) for (const id of [e.source, e.target]) weight.set(id, (weight.get(id) || 0) + e.count);
  const keep = new Set(network.nodes.filter((n) => !n.center).sort((a, b) => (weight.get(b.id) || 0) - (weight.get(a.id) || 0))
    .slice(0, MAX_DRAWN).map((n) => n.id));
  network.nodes.filter((n) => n.center).forEach((n) => keep.add(n.id));
  return {
    ...network, nodes: network.nodes.filter((n) => keep.has(n.id)),
    edges: network.edges.filter((e) => keep.has(e.source) && keep.has(e.target)), left: network.nodes.length - keep.size,
  };
}

function draw(whole, box) {
  const network = drawable(whole);
  const width = 720;
  const height = 420;
  const at = layout(network.nodes, width, height);
  const byId = new Map(network.nodes.map((n) => [n.id, n]));
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "network-svg", role: "img", "aria-labelledby": "network-svg-title" });
  root.append(svg("title", { id: "network-svg-title" }), svg("defs", {},
    svg("marker", { id: "nw-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
      svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "nw-arrowhead" }))));
  root.querySelector("title").textContent =
    `Network of ${network.record.label}: ${network.relations} relation${network.relations === 1 ? "" : "s"} with ${network.nodes.length - 1} other node${network.nodes.length === 2 ? "" : "s"}; the list below says the same.`;
  const pairs = new Map();
  for (const e of network.edges) {
    const key = [e.source, e.target].sort().join("|");
    if (!pairs.has(key)) pairs.set(key, []);
    pairs.get(key).push(e);
  }
  const edgeLayer = svg("g", { class: "nw-edges" });
  const labelLayer = svg("g", { class: "nw-labels" });
  for (const group of pairs.values()) {
    group.forEach((e, k) => {
      const s = at.get(e.source);
      const t = at.get(e.target);
      if (!s || !t) return;
      const dx = t.x - s.x;
      const dy = t.y - s.y;
      const len = Math.hypot(dx, dy) || 1;
      const flip = e.source < e.target ? 1 : -1; // the same side whichever way a line runs
      const bend = (k - (group.length - 1) / 2) * 46 * flip;
      const c = { x: (s.x + t.x) / 2 - (dy / len) * bend, y: (s.y + t.y) / 2 + (dx / len) * bend };
      const trim = (p, q, d) => { const l = Math.hypot(q.x - p.x, q.y - p.y) || 1; return { x: p.x + ((q.x - p.x) / l) * d, y: p.y + ((q.y - p.y) / l) * d }; };
      const a = trim(s, c, 16);
      const b = trim(t, c, 18);
      edgeLayer.append(svg("path", { d: `M ${a.x} ${a.y} Q ${c.x} ${c.y} ${b.x} ${b.y}`, class: "nw-edge", "marker-end": "url(#nw-arrow)" }));
      // The label sits out from the record in the middle, where the lines spread apart.
      const u = byId.get(e.source)?.center ? 0.62 : byId.get(e.target)?.center ? 0.38 : 0.5;
      const mid = { x: (1 - u) ** 2 * a.x + 2 * u * (1 - u) * c.x + u ** 2 * b.x, y: (1 - u) ** 2 * a.y + 2 * u * (1 - u) * c.y + u ** 2 * b.y };
      const text = svg("text", { x: mid.x, y: mid.y + 4, class: "nw-edge-label", "text-anchor": "middle" });
      text.textContent = `${e.type.label}${e.count > 1 ? ` ×${e.count}` : ""}`;
      labelLayer.append(text);
    });
  }
  const nodeLayer = svg("g", { class: "nw-nodes" });
  for (const n of network.nodes) {
    const p = at.get(n.id);
    const kind = n.kind === "record" ? `kind-${n.record_kind || "other"}` : "nw-passage";
    const shape = n.kind === "record"
      ? svg("circle", { cx: p.x, cy: p.y, r: n.center ? 16 : 12, class: `nw-node ${kind}${n.center ? " nw-centre" : ""}` })
      : svg("rect", { x: p.x - 10, y: p.y - 10, width: 20, height: 20, rx: 3, class: `nw-node ${kind}` });
    const above = !n.center && p.y < height / 2 - 10; // labels away from the lines that meet in the middle
    const label = svg("text", { x: p.x, y: p.y + (n.center ? 34 : above ? -19 : 30), "text-anchor": "middle", class: `nw-node-label${n.center ? " nw-centre" : ""}` });
    label.textContent = n.kind === "record" ? short(n.label, 38) : `“${short(n.label, 24)}”`;
    const link = svg("a", { href: new URL(n.url, location.origin).pathname + new URL(n.url, location.origin).hash, class: "nw-link" }, shape, label);
    link.append(svg("title", {}));
    link.lastChild.textContent = n.kind === "record" ? n.label : `A passage in ${n.document}: ${n.label}`;
    nodeLayer.append(link);
  }
  root.append(edgeLayer, labelLayer, nodeLayer);
  box.replaceChildren(root);
  if (network.left) {
    box.append(el("p", { class: "muted small network-more", text: `The drawing shows the ${MAX_DRAWN} most connected; ${network.left} more are in the list below.` }));
  }
  box.hidden = false;
}

function start(config) {
  document.documentElement.classList.add("js");
  document.querySelectorAll(".js-only").forEach((n) => { n.hidden = false; });
  const graph = document.getElementById("network-graph");
  if (graph && config.network.edges.length) draw(config.network, graph);
  const button = document.getElementById("link-all-record");
  if (!button) return;
  const csrf = () => (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  const notify = (message, options = {}) => {
    const live = document.getElementById("rt-status");
    if (live) live.textContent = options.spoken || message;
    showToast(document.getElementById("rt-toast"), message, options);
  };
  const rows = (passages) => passages.map((p) => document.querySelector(
    `.passage[data-document="${CSS.escape(p.document)}"][data-start="${p.start}"][data-end="${p.end}"]`)).filter(Boolean);
  let marked = [];
  button.addEventListener("click", () => openLinkAll({
    record: config.record, entityTypes: config.entity_types, groups: config.groups, csrf: csrf(), notify,
    onDone: (result, passages) => {
      marked = rows(passages || []);
      for (const row of marked) {
        row.classList.add("done");
        row.append(el("span", { class: "passage-done small", text: `✓ annotated (batch ${result.batch.id})` }));
      }
    },
    onUndone: (undone) => {
      for (const row of marked) {
        row.classList.remove("done");
        row.querySelectorAll(".passage-done").forEach((n) => n.remove());
      }
      if (undone.kept.length) {
        const note = el("p", { class: "kept-note", role: "note", text: `${undone.detail} Reload the page to see the passages as they now are.` });
        button.parentElement.after(note);
      }
      marked = [];
    },
  }));
}

// Last, once every constant above is defined.
const dataNode = typeof document === "undefined" ? null : document.getElementById("record-teamwork-data");
if (dataNode) start(JSON.parse(dataNode.textContent));
