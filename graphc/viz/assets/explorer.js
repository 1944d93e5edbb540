// The graphc explorer: draws the model (model.js) with Graphviz compiled to WebAssembly, and
// gives the page its timeline, pan and zoom, search and details panel. Everything the page
// shows from the document goes in through textContent, never as HTML.
"use strict";

const DOC = JSON.parse(document.getElementById("graphc-data").textContent);
const $ = (id) => document.getElementById(id);
const state = {step: DOC.steps.length - 1, open: null, view: null, selected: null, matches: [],
               times: false, changes: true, box: null, graphBox: null, gv: null, idOf: new Map(), keyOf: new Map()};
let rendering = Promise.resolve();

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "onclick") el.addEventListener("click", value); else el.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

async function loadGraphviz() {
  const source = $("graphviz-lib").textContent;
  const url = URL.createObjectURL(new Blob([source], {type: "text/javascript"}));
  try {
    const module = await import(url);
    return await module.Graphviz.load();
  } finally {
    URL.revokeObjectURL(url);
  }
}

// ------------------------------------------------------------------------------ names, text
function valueNames(graph) {
  const names = new Map();
  graph.inputs.forEach((id, k) => names.set(id, "%" + (DOC.nodes[id].attrs.name || "in" + k)));
  let counter = 0;
  for (const id of graph.nodes) if (!names.has(id)) names.set(id, "%" + counter++);
  return names;
}

// An attribute as the text form writes it. JSON does not keep 1.0 apart from 1, so a float
// scalar's value gets its ".0" back from the node's dtype.
function formatAttr(value, node) {
  if (value === null) return "none";
  if (typeof value === "number" && node && node.op === "scalar" && node.parts[0].dtype.startsWith("f") &&
      Number.isInteger(value)) return value.toFixed(1);
  if (Array.isArray(value)) return "[" + value.map((v) => formatAttr(v)).join(", ") + "]";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value !== "object") return String(value);
  if ("dtype" in value) return value.dtype;
  if ("dim" in value) return value.dim;
  if ("float" in value) return value.float;
  if ("graph" in value) return `graph of ${DOC.graphs[value.graph].nodes.length} nodes`;
  if ("array" in value) return value.array === null ? `array of shape [${value.shape}] (left out)` : GX.shorten(value.array, 300);
  return JSON.stringify(value);
}

function irText(graph) {
  const names = valueNames(graph);
  const lines = [];
  const params = graph.inputs.map((id) => `${names.get(id)}: ${DOC.nodes[id].type}`);
  lines.push(`graph(${params.join(", ")}) {`);
  for (const id of graph.nodes) {
    if (graph.inputs.includes(id)) continue;
    const node = DOC.nodes[id];
    const attrs = Object.entries(node.attrs).filter(([key]) => key !== "body")
      .map(([key, value]) => `${key}=${formatAttr(value, node)}`);
    const operands = node.inputs.map((i) => names.get(i)).join(", ");
    lines.push(`  ${names.get(id)} = ${node.op}${operands ? " " + operands : ""}` +
               `${attrs.length ? " {" + attrs.join(", ") + "}" : ""} : ${node.type}` +
               (node.scope ? ` scope ${JSON.stringify(node.scope)}` : ""));
  }
  lines.push("  return " + graph.outputs.map((id) => names.get(id)).join(", "), "}");
  return lines.join("\n");
}

// ------------------------------------------------------------------------------ timeline
function buildTimeline() {
  const bar = $("timeline");
  bar.replaceChildren();
  DOC.steps.forEach((step, k) => {
    const counts = [];
    if (step.added.length) counts.push(h("span", {class: "count added"}, "+" + step.added.length));
    if (step.rewritten.length) counts.push(h("span", {class: "count rewritten"}, "~" + step.rewritten.length));
    if (step.rebuilt.length) counts.push(h("span", {class: "count rebuilt"}, "↻" + step.rebuilt.length));
    if (step.removed.length) counts.push(h("span", {class: "count removed"}, "−" + step.removed.length));
    const cls = "step" + (step.changed ? "" : " same") + (k === state.step ? " current" : "");
    bar.append(h("button", {class: cls, "data-step": k, title: step.changed ? step.name : step.name + " (no change)",
                            onclick: () => showStep(k).then(summaryUnlessSelected)},
                     h("span", {class: "name"}, step.name), ...counts));
  });
}

function showStep(k) {
  if (k < 0 || k >= DOC.steps.length) return rendering;
  state.step = k;
  state.view = GX.buildView(DOC, k);
  state.open = GX.initialExpansion(state.view);
  state.box = null;
  if (state.selected && !state.view.items.has(state.selected)) state.selected = null;
  if (state.selected) for (const key of GX.ancestors(state.view, state.selected)) state.open.add(key);
  for (const el of document.querySelectorAll("#timeline .step")) {
    el.classList.toggle("current", Number(el.dataset.step) === k);
  }
  document.body.dataset.step = String(k);
  document.body.dataset.nodes = String(state.view.items.size);
  applySearch($("search").value, false);
  return render();
}

// ------------------------------------------------------------------------------ drawing
function kernelTimes(view) {
  if (!state.times) return null;
  const seconds = new Map();
  for (const kernel of DOC.kernels) {
    if (kernel.seconds !== null && view.items.has(String(kernel.node))) seconds.set(String(kernel.node), kernel.seconds);
  }
  if (!seconds.size) return null;
  const top = Math.max(...seconds.values());
  return {
    has: (key) => seconds.has(key),
    get: (key) => (seconds.has(key) ? formatSeconds(seconds.get(key)) : null),
    heat: (key) => heat(seconds.get(key) / top),
  };
}

// Pale yellow for the fastest kernels to deep orange for the slowest, as #rrggbb for Graphviz.
function heat(fraction) {
  const mix = (a, b) => Math.round(a + (b - a) * fraction).toString(16).padStart(2, "0");
  return "#" + mix(0xff, 0xf9) + mix(0xf7, 0x73) + mix(0xc8, 0x16);
}

function formatSeconds(s) {
  if (s >= 1) return s.toFixed(2) + " s";
  if (s >= 1e-3) return (s * 1e3).toFixed(2) + " ms";
  return (s * 1e6).toFixed(1) + " µs";
}

function render() {
  rendering = rendering.then(() => draw()).catch((err) => {
    console.error("graphc explorer:", err);
    $("canvas").replaceChildren(h("p", {class: "error"}, "Could not draw this step: " + err.message));
  });
  return rendering;
}

function draw() {
  const view = state.view;
  const {dot, ids, idOf} = GX.toDot(view, state.open, kernelTimes(view));
  const svgText = state.gv.layout(dot, "svg", "dot");
  const canvas = $("canvas");
  canvas.innerHTML = svgText;  // Graphviz's own SVG; every label in it is escaped by Graphviz
  const svg = canvas.querySelector("svg");
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  const [x, y, w, hgt] = svg.getAttribute("viewBox").split(/[ ,]+/).map(Number);
  state.graphBox = {x, y, w, h: hgt};
  state.idOf = idOf;
  state.keyOf = ids;
  for (const el of svg.querySelectorAll("g.node, g.cluster")) {
    const key = ids.get(el.id);
    if (!key) continue;
    el.dataset.key = key;
    const cls = state.changes && view.changed.get(key);
    if (cls) el.classList.add(cls);
    if (key.startsWith("g:") || (view.kernels.has(key) && !state.open.has("k:" + key))) el.classList.add("collapsed");
    if (state.changes && key.startsWith("g:") && view.groups.get(key.slice(2)).changes) el.classList.add("has-changes");
  }
  markSelection();
  if (!state.box) fit(); else applyBox();
  document.body.dataset.drawn = String(svg.querySelectorAll("g.node").length);
}

function markSelection() {
  const svg = $("canvas").querySelector("svg");
  if (!svg) return;
  const matched = new Set(state.matches.map((key) => GX.representative(state.view, key, state.open)));
  for (const el of svg.querySelectorAll("g.node")) {
    const key = el.dataset.key;
    el.classList.toggle("selected", key === state.selected);
    el.classList.toggle("match", matched.has(key));
  }
}

// ------------------------------------------------------------------------------ pan and zoom
// The view box shows the whole graph, at the canvas's aspect, never magnified past 1.5x.
function fit() {
  const canvas = $("canvas").getBoundingClientRect();
  const box = state.graphBox;
  const aspect = canvas.width / Math.max(canvas.height, 1);
  const w = Math.max(box.w, box.h * aspect, canvas.width / 1.5), hgt = w / aspect;
  state.box = {x: box.x - (w - box.w) / 2, y: box.y - (hgt - box.h) / 2, w, h: hgt};
  applyBox();
}

function applyBox() {
  const svg = $("canvas").querySelector("svg");
  if (!svg || !state.box) return;
  const b = state.box;
  svg.setAttribute("viewBox", `${b.x} ${b.y} ${b.w} ${b.h}`);
}

function zoomAt(cx, cy, factor) {
  const b = state.box;
  state.box = {x: cx - (cx - b.x) * factor, y: cy - (cy - b.y) * factor, w: b.w * factor, h: b.h * factor};
  applyBox();
}

function toSvgPoint(clientX, clientY) {
  const rect = $("canvas").getBoundingClientRect();
  const b = state.box;
  return [b.x + (clientX - rect.left) / rect.width * b.w, b.y + (clientY - rect.top) / rect.height * b.h];
}

function centerOn(key) {
  const id = state.idOf.get(GX.representative(state.view, key, state.open));
  const el = id && document.getElementById(id);
  if (!el) return;
  const rect = el.getBoundingClientRect();
  const [cx, cy] = toSvgPoint(rect.left + rect.width / 2, rect.top + rect.height / 2);
  const canvas = $("canvas").getBoundingClientRect();
  const want = Math.min(state.box.w, canvas.width * 1.2);  // close enough to read the labels
  const factor = want / state.box.w;
  state.box = {x: cx - state.box.w * factor / 2, y: cy - state.box.h * factor / 2,
               w: state.box.w * factor, h: state.box.h * factor};
  applyBox();
}

function setUpPanZoom() {
  const canvas = $("canvas");
  canvas.addEventListener("wheel", (event) => {
    if (!state.box) return;
    event.preventDefault();
    const [x, y] = toSvgPoint(event.clientX, event.clientY);
    zoomAt(x, y, Math.exp(event.deltaY * 0.0015));
  }, {passive: false});
  let drag = null;
  canvas.addEventListener("mousedown", (event) => {
    drag = {x: event.clientX, y: event.clientY, box: state.box, moved: false};
  });
  window.addEventListener("mousemove", (event) => {
    if (!drag || !state.box) return;
    const rect = canvas.getBoundingClientRect();
    const dx = (event.clientX - drag.x) / rect.width * drag.box.w;
    const dy = (event.clientY - drag.y) / rect.height * drag.box.h;
    if (Math.abs(event.clientX - drag.x) + Math.abs(event.clientY - drag.y) > 3) drag.moved = true;
    state.box = {...drag.box, x: drag.box.x - dx, y: drag.box.y - dy};
    applyBox();
  });
  window.addEventListener("mouseup", () => { setTimeout(() => { drag = null; }, 0); });
  canvas.addEventListener("click", (event) => {
    if (drag && drag.moved) return;
    const el = event.target.closest("g.node, g.cluster");
    if (el && el.dataset.key) activate(el.dataset.key);
  });
}

// A click: a collapsed group opens, an open cluster's frame closes, a node is selected.
function activate(key) {
  const view = state.view;
  if (key.startsWith("g:")) { state.open.add(key.slice(2)); return render(); }
  if (key.startsWith("c:")) { state.open.delete(key.slice(2)); return render(); }
  if (view.kernels.has(key) && !state.open.has("k:" + key)) {
    state.open.add("k:" + key);
    select(key, false);
    return render();
  }
  return select(key, false);
}

// ------------------------------------------------------------------------------ selection
function select(key, center = true) {
  const view = state.view;
  if (!view.items.has(key)) return rendering;
  state.selected = key;
  showDetails(key);
  const hidden = GX.ancestors(view, key).filter((g) => g !== "root" && g !== "k:" + key && !state.open.has(g));
  if (hidden.length) {
    hidden.forEach((g) => state.open.add(g));
    return render().then(() => center && centerOn(key));
  }
  markSelection();
  if (center) centerOn(key);
  return rendering;
}

// A node as the panel names it: `y = div`, `e = kernel1 (row)`.
function itemTitle(item) {
  const what = item.kernelName ? `${item.kernelName} (${item.node.attrs.kind})` : item.node.label;
  return (item.node.name ? item.node.name + " = " : "") + what;
}

function nodeLink(key) {
  const text = itemTitle(state.view.items.get(key));
  return h("a", {href: "#", class: "link", onclick: (e) => { e.preventDefault(); select(key); }}, text);
}

function section(title, ...content) {
  return h("section", {}, h("h3", {}, title), ...content);
}

function showDetails(key) {
  const view = state.view;
  const item = view.items.get(key);
  const node = item.node;
  const graph = item.prefix ? view.kernels.get(item.prefix.slice(0, -1)).body : view.graph;
  const names = valueNames(graph);
  const panel = $("panel");
  const rows = [["op", node.op], ["value", names.get(item.id)], ["type", node.type]];
  node.parts.forEach((part, k) => rows.push([node.parts.length > 1 ? `output ${k}` : "dtype, shape",
                                             `${part.dtype} [${part.shape.join(", ")}]`]));
  rows.push(["scope", node.scope || "(none)"], ["role", node.gradient ? "gradient" : "forward"]);
  if (view.changed.has(key)) rows.push(["this step", view.changed.get(key)]);
  const rewrittenFrom = view.step.rewritten.concat(view.step.rebuilt).find(([id]) => id === item.id);
  if (rewrittenFrom) rows.push(["rewritten from", `${DOC.nodes[rewrittenFrom[1]].op} (node ${rewrittenFrom[1]})`]);
  const table = h("table", {}, ...rows.map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, v))));
  const attrs = Object.entries(node.attrs).filter(([k]) => k !== "body");
  const attrTable = attrs.length ? section("Attributes", h("table", {}, ...attrs.map(([k, v]) =>
    h("tr", {}, h("th", {}, k), h("td", {}, formatAttr(v, node)))))) : null;
  const source = DOC.sources[node.loc];
  const where = section("Built at", h("div", {class: "loc"}, node.loc), source ? h("pre", {class: "source"}, source) : null);
  const operands = node.inputs.map((i) => item.prefix + i).filter((k) => view.items.has(k));
  const users = view.users.get(key) || [];
  const links = (keys) => keys.length ? h("ul", {}, ...keys.slice(0, 50).map((k) => h("li", {}, nodeLink(k)))) : h("p", {class: "muted"}, "none");
  const parts = [h("h2", {}, itemTitle(item)), table, attrTable, where,
                 section(`Operands (${operands.length})`, links(operands)), section(`Users (${users.length})`, links(users))];
  const kernel = view.kernels.get(key);
  if (kernel) parts.push(...kernelDetails(key, kernel));
  panel.replaceChildren(...parts.filter(Boolean));
}

function kernelDetails(key, kernel) {
  const info = DOC.kernels.find((k) => String(k.node) === key);
  const out = [section("Body", h("pre", {class: "code"}, irText(kernel.body)))];
  if (info && info.seconds !== null) out.push(section("Measured", h("p", {}, formatSeconds(info.seconds) + " per call")));
  if (info) for (const [language, code] of Object.entries(info.code)) {
    out.push(section(`Generated ${language === "llvm" ? "LLVM IR" : language}`, h("pre", {class: "code"}, code)));
  }
  return out;
}

function showStepSummary() {
  const step = state.view.step;
  const panel = $("panel");
  // One item per node; a node drawn in several places (an input of two kernels) links to each.
  const list = (ids, label) => {
    const drawn = ids.map((id) => state.view.keysOf.get(id) || []).filter((keys) => keys.length);
    const item = (keys) => h("li", {}, ...keys.flatMap((k, i) => i ? [" · ", nodeLink(k)] : [nodeLink(k)]));
    return section(`${label} (${ids.length})`, drawn.length ? h("ul", {}, ...drawn.slice(0, 100).map(item)) : h("p", {class: "muted"}, ids.length ? "not drawn (scalars)" : "none"));
  };
  const removed = step.removed.slice(0, 100).map((id) => h("li", {}, `${DOC.nodes[id].op} : ${DOC.nodes[id].type}` +
                                                       (DOC.nodes[id].name ? ` (${DOC.nodes[id].name})` : "")));
  const replacements = (pairs, title) => section(`${title} (${pairs.length})`, pairs.length ? h("ul", {},
    ...pairs.slice(0, 100).flatMap(([id, old]) => (state.view.keysOf.get(id) || []).map((k) =>
      h("li", {}, nodeLink(k), h("span", {class: "muted"}, " from " + DOC.nodes[old].label))))) : h("p", {class: "muted"}, "none"));
  const parts = [h("h2", {}, `Step ${state.step}: ${step.name}`),
                 h("p", {}, `${state.view.items.size} nodes, ${document.body.dataset.drawn} boxes drawn` + (step.seconds !== null ? `, pass took ${formatSeconds(step.seconds)}` : "") +
                   (step.changed ? "" : "; this pass changed nothing"))];
  if (state.step > 0) {
    parts.push(replacements(step.rewritten, "Rewritten"), list(step.added, "Added"),
               replacements(step.rebuilt, "Operands replaced"),
               section(`Removed (${step.removed.length})`, removed.length ? h("ul", {}, ...removed) : h("p", {class: "muted"}, "none")));
  }
  if (state.step === DOC.steps.length - 1) {
    for (const [language, code] of Object.entries(DOC.code)) {
      parts.push(section(`Generated ${language === "llvm" ? "LLVM IR" : language}`, h("pre", {class: "code"}, code)));
    }
  }
  parts.push(section("Text form", h("pre", {class: "code"}, irText(state.view.graph))));
  panel.replaceChildren(...parts);
}

// ------------------------------------------------------------------------------ search
function applySearch(query, jump) {
  const q = query.trim().toLowerCase();
  const view = state.view;
  state.matches = [];
  if (q) {
    const names = valueNames(view.graph);
    for (const item of view.items.values()) {
      const node = item.node;
      const hay = [node.op, node.label, node.name || "", node.scope, item.prefix ? "" : names.get(item.id) || ""].join(" ").toLowerCase();
      if (hay.includes(q)) state.matches.push(item.key);
    }
  }
  document.body.dataset.matches = String(state.matches.length);
  const results = $("results");
  results.replaceChildren(...state.matches.slice(0, 30).map((key) => h("li", {}, nodeLink(key))));
  results.hidden = !q;
  if (q && !state.matches.length) results.append(h("li", {class: "muted"}, "no node matches"));
  markSelection();
  if (jump && state.matches.length) return select(state.matches[0]);
  return rendering;
}

// ------------------------------------------------------------------------------ start
function setUpControls() {
  $("search").addEventListener("input", (e) => applySearch(e.target.value, false));
  $("search").addEventListener("keydown", (e) => { if (e.key === "Enter") applySearch(e.target.value, true); });
  $("prev").addEventListener("click", () => showStep(state.step - 1).then(summaryUnlessSelected));
  $("next").addEventListener("click", () => showStep(state.step + 1).then(summaryUnlessSelected));
  $("fit").addEventListener("click", () => { state.box = null; fit(); });
  $("collapse").addEventListener("click", () => { state.open = new Set(["root"]); state.box = null; render(); });
  $("expand").addEventListener("click", () => { state.open = GX.initialExpansion(state.view); state.box = null; render(); });
  $("summary").addEventListener("click", () => { state.selected = null; markSelection(); showStepSummary(); });
  $("changes").querySelector("input").addEventListener("change", (e) => { state.changes = e.target.checked; render(); });
  const times = $("times");
  times.hidden = !DOC.kernels.some((k) => k.seconds !== null);
  times.querySelector("input").addEventListener("change", (e) => { state.times = e.target.checked; render(); });
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "INPUT") return;
    if (e.key === "ArrowLeft") $("prev").click();
    if (e.key === "ArrowRight") $("next").click();
    if (e.key === "/") { e.preventDefault(); $("search").focus(); }
  });
}

function summaryUnlessSelected() {
  if (!state.selected) showStepSummary(); else showDetails(state.selected);
}

async function start() {
  $("title").textContent = DOC.title;
  document.title = "graphc: " + DOC.title;
  state.gv = await loadGraphviz();
  buildTimeline();
  $("steps").hidden = DOC.steps.length < 2;
  setUpControls();
  setUpPanZoom();
  await showStep(state.step);
  showStepSummary();
}

// For scripts and tests: the page's state and actions, each returning a promise of the drawing.
window.graphc = {
  ready: start().catch((err) => { console.error("graphc explorer failed to start:", err); throw err; }),
  idle: () => rendering,
  redraw: () => { state.box = null; return render(); },
  state,
  step: (k) => showStep(k).then(summaryUnlessSelected),
  search: (q) => { $("search").value = q; return applySearch(q, true); },
  select: (key) => select(String(key)),
  expandAll: () => { for (const key of state.view.groups.keys()) state.open.add(key); state.box = null; return render(); },
};
