// The graphc explorer's model: the groups of one step's graph (scopes, kernels, blocks of
// consecutive nodes), which of them are collapsed, and the DOT text of what is visible.
// Pure functions of the document (graphc/viz/schema.py, docs/viz.md); explorer.js draws.
"use strict";

const GX = {};

GX.BLOCK = 150;          // a group with more direct members shows them in blocks of this many
GX.VISIBLE_LIMIT = 220;  // groups open at first while fewer than this many boxes are visible
// Past these many boxes drawn, or nodes in the step, the long edges do not rank the layout (see
// looseEdge): Graphviz then lays out a large view in about a second.
GX.LARGE_VIEW = 120;
GX.LARGE_GRAPH = 2000;
GX.COLORS = {forward: "#e8f0fc", gradient: "#fde7cf", input: "#ffffff", kernel: "#2f5fb3",
             scope: "#f4f4f4", gradientScope: "#fcf1e4", block: "#fafafa"};

GX.isInput = (node) => node.op === "placeholder" || node.op === "parameter" || node.op === "constant";
GX.isGradientScope = (path) => path === "grad" || path.startsWith("grad/");

// The groups and items of step `k`. An item is one drawn node: a node of the step's graph (key
// "<id>") or of a kernel's body ("<kernel id>/<id>"); scalars are written into their users' labels.
GX.buildView = function (doc, k) {
  const step = doc.steps[k];
  const graph = doc.graphs[step.graph];
  const view = {step, k, graph, items: new Map(), groups: new Map(), edges: [], users: new Map(),
                kernels: new Map(), changed: new Map()};
  const root = GX.group(view, "root", "root", "", null);
  const scopeGroup = (path) => {
    if (!path) return root;
    const key = "s:" + path;
    if (!view.groups.has(key)) {
      const cut = path.lastIndexOf("/");
      const parent = scopeGroup(cut < 0 ? "" : path.slice(0, cut));
      GX.group(view, key, "scope", path, parent);
    }
    return view.groups.get(key);
  };
  let kernelCount = 0;
  GX.addItems(view, doc, graph, "", (node) => scopeGroup(node.scope), (node, item, parent) => {
    const body = doc.graphs[node.attrs.body.graph];
    const group = GX.group(view, "k:" + item.key, "kernel", "kernel" + kernelCount++, parent);
    group.head = item.key;
    item.kernelName = group.label;
    view.kernels.set(item.key, {group, body, prefix: item.key + "/"});
    GX.addItems(view, doc, body, item.key + "/", () => group, null);
    return group;
  });
  for (const group of [...view.groups.values()]) GX.splitIntoBlocks(view, group);
  const keysOf = new Map();
  for (const item of view.items.values()) {
    if (!keysOf.has(item.id)) keysOf.set(item.id, []);
    keysOf.get(item.id).push(item.key);
  }
  const mark = (id, cls) => { for (const key of keysOf.get(id) || []) view.changed.set(key, cls); };
  step.added.forEach((id) => mark(id, "added"));
  step.rewritten.forEach(([id]) => mark(id, "rewritten"));
  step.rebuilt.forEach(([id]) => mark(id, "rebuilt"));
  view.keysOf = keysOf;
  for (const group of view.groups.values()) GX.countMembers(view, group);
  return view;
};

GX.group = function (view, key, kind, label, parent) {
  const group = {key, kind, label, parent, children: [], size: 0, changes: 0, head: null};
  view.groups.set(key, group);
  if (parent) parent.children.push(key);
  return group;
};

// Items for the nodes of `graph`, with edges operand -> user; `kernel` makes a kernel's group.
GX.addItems = function (view, doc, graph, prefix, groupOf, kernel) {
  const outputs = new Set(graph.outputs);
  for (const id of graph.nodes) {
    const node = doc.nodes[id];
    if (node.op === "scalar" && !outputs.has(id)) continue;
    const key = prefix + id;
    const item = {key, id, node, parent: groupOf(node), output: outputs.has(id), prefix};
    view.items.set(key, item);
    if (node.op === "kernel" && kernel) item.parent = kernel(node, item, item.parent);
    item.parent.children.push(key);
  }
  for (const id of graph.nodes) {
    const key = prefix + id;
    if (!view.items.has(key)) continue;
    const node = doc.nodes[id];
    const kernel = view.kernels.get(key);
    node.inputs.forEach((operand, position) => {
      const from = prefix + operand;
      if (!view.items.has(from)) return;
      const to = kernel ? kernel.prefix + kernel.body.inputs[position] : key;
      view.edges.push([from, to]);
      if (!view.users.has(from)) view.users.set(from, []);
      view.users.get(from).push(key);
    });
    if (kernel) for (const out of kernel.body.outputs) view.edges.push([kernel.prefix + out, key]);
  }
};

// A group with many direct members shows them as blocks of consecutive nodes, so a graph of
// thousands of nodes outside any scope opens as a few dozen boxes.
GX.splitIntoBlocks = function (view, group) {
  const members = group.children.filter((key) => view.items.has(key) && key !== group.head);
  if (members.length <= GX.BLOCK) return;
  const blocks = [];
  for (let start = 0; start < members.length; start += GX.BLOCK) {
    const part = members.slice(start, start + GX.BLOCK);
    const block = {key: `b:${group.key}:${start}`, kind: "block", parent: group, children: part,
                   label: `ops ${start + 1}-${start + part.length}`, size: 0, changes: 0, head: null};
    view.groups.set(block.key, block);
    for (const key of part) view.items.get(key).parent = block;
    blocks.push(block.key);
  }
  const moved = new Set(members);
  group.children = group.children.filter((key) => !moved.has(key)).concat(blocks);
};

GX.countMembers = function (view, group) {
  for (let g = group; g; g = g.parent) g.size += group.children.filter((c) => view.items.has(c)).length;
  for (const key of group.children) {
    if (view.changed.has(key)) for (let g = group; g; g = g.parent) g.changes += 1;
  }
};

// The groups open when a step is first shown: breadth first, while the count of visible boxes
// stays under VISIBLE_LIMIT. In a large step, blocks stay closed until clicked: a column of
// blocks reads better, and lays out faster, than one open block among them.
GX.initialExpansion = function (view) {
  const open = new Set(["root"]);
  let visible = view.groups.get("root").children.length;
  const queue = view.groups.get("root").children.filter((key) => view.groups.has(key));
  const large = view.items.size > GX.LARGE_GRAPH;
  while (queue.length) {
    const group = view.groups.get(queue.shift());
    const extra = group.children.length - 1;
    if (visible + extra > GX.VISIBLE_LIMIT || (large && group.kind === "block")) continue;
    visible += extra;
    open.add(group.key);
    for (const key of group.children) if (view.groups.has(key)) queue.push(key);
  }
  return open;
};

// What stands for an item: itself, or the outermost collapsed group holding it (a collapsed
// kernel is its kernel node).
GX.representative = function (view, key, open) {
  let rep = key;
  for (let g = view.items.get(key).parent; g && g.key !== "root"; g = g.parent) {
    if (!open.has(g.key)) rep = g.head && g.kind === "kernel" ? g.head : "g:" + g.key;
  }
  return rep;
};

GX.visibleEdges = function (view, open) {
  const reps = new Map();
  const rep = (key) => {
    if (!reps.has(key)) reps.set(key, GX.representative(view, key, open));
    return reps.get(key);
  };
  const seen = new Set();
  const edges = [];
  for (const [from, to] of view.edges) {
    const a = rep(from), b = rep(to);
    if (a === b || seen.has(a + ">" + b)) continue;
    seen.add(a + ">" + b);
    edges.push([a, b]);
  }
  return edges;
};

// In a large view, an edge from forward to gradient work, or between an open node and a
// collapsed group, does not rank the layout: those edges span the graph (a gradient reads values
// from all along the forward pass), and ranking by them makes Graphviz slow and the picture tall.
GX.looseEdge = function (view, a, b) {
  const box = (key) => key.startsWith("g:");
  return box(a) !== box(b) || (!GX.isGradientKey(view, a) && GX.isGradientKey(view, b));
};

GX.isGradientKey = function (view, key) {
  if (view.items.has(key)) return view.items.get(key).node.gradient;
  for (let g = view.groups.get(key.slice(2)); g; g = g.parent) {
    if (g.kind === "scope") return GX.isGradientScope(g.label);
  }
  return false;
};

GX.quote = (text) => '"' + String(text).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n") + '"';

GX.shorten = (text, limit) => (text.length <= limit ? text : text.slice(0, limit - 1) + "…");

GX.itemLabel = function (item, time) {
  const node = item.node;
  const head = item.kernelName ? `${item.kernelName} (${node.attrs.kind})` : node.label;
  const name = node.name ? node.name + " = " : "";
  return GX.shorten(name + head, 48) + "\n" + GX.shorten(node.type, 48) + (time ? "\n" + time : "");
};

GX.itemFill = function (node) {
  if (GX.isInput(node)) return GX.COLORS.input;
  return node.gradient ? GX.COLORS.gradient : GX.COLORS.forward;
};

GX.groupFill = function (group) {
  if (group.kind === "scope") return GX.isGradientScope(group.label) ? GX.COLORS.gradientScope : GX.COLORS.scope;
  return GX.COLORS.block;
};

// The title of an open group's cluster: a scope's last name, a kernel's name and kind.
GX.groupTitle = function (view, group) {
  if (group.kind === "kernel") return `${group.label} (${view.items.get(group.head).node.attrs.kind})`;
  if (group.kind === "scope") return group.label.slice(group.label.lastIndexOf("/") + 1);
  return group.label;
};

// DOT text of what is visible; `ids` maps each DOT id to an item or group key.
GX.toDot = function (view, open, times) {
  const ids = new Map();
  const dotId = (key) => {
    const id = "x" + ids.size;
    ids.set(id, key);
    return id;
  };
  const idOf = new Map();
  const lines = ['digraph graphc {', "rankdir=TB; nodesep=0.25; ranksep=0.35;",
                 'node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, margin="0.12,0.05", penwidth=1];',
                 'edge [color="#6b7280", arrowsize=0.6];'];
  const itemLine = (key, collapsedKernel) => {
    const item = view.items.get(key);
    const id = dotId(key);
    idOf.set(key, id);
    const node = item.node;
    let label = GX.itemLabel(item, times && times.get(key));
    if (collapsedKernel) label += `\n${collapsedKernel.size - 1} ops`;
    const kernel = item.kernelName ? `, color="${GX.COLORS.kernel}", penwidth=2` : "";
    const output = item.output ? ", peripheries=2" : "";
    const shape = GX.isInput(node) ? ", shape=ellipse" : "";
    const heat = times && times.has(key) ? `, fillcolor="${times.heat(key)}"` : `, fillcolor="${GX.itemFill(node)}"`;
    lines.push(`${id} [id="${id}", label=${GX.quote(label)}${heat}${kernel}${output}${shape}];`);
  };
  const groupBox = (group) => {
    const id = dotId("g:" + group.key);
    idOf.set("g:" + group.key, id);
    const changed = group.changes ? `\n${group.changes} changed` : "";
    const label = GX.shorten(group.label, 40) + `\n${group.size} ops` + changed;
    lines.push(`${id} [id="${id}", shape=box3d, style=filled, label=${GX.quote(label)},` +
               ` fillcolor="${GX.groupFill(group)}"];`);
  };
  const emit = (group) => {
    for (const key of group.children) {
      if (view.items.has(key)) { itemLine(key); continue; }
      const child = view.groups.get(key);
      if (!open.has(key)) {
        if (child.kind === "kernel") itemLine(child.head, child); else groupBox(child);
        continue;
      }
      const id = dotId("c:" + key);
      idOf.set("c:" + key, id);
      const style = child.kind === "kernel" ? `color="${GX.COLORS.kernel}"; penwidth=1.5; style="rounded"` :
        `color="#9ca3af"; style="rounded,filled"; fillcolor="${GX.groupFill(child)}"`;
      lines.push(`subgraph cluster_${id} {`,
                 `id="${id}"; label=${GX.quote(GX.groupTitle(view, child))}; fontname="Helvetica"; fontsize=11; ${style};`);
      emit(child);
      lines.push("}");
    }
  };
  emit(view.groups.get("root"));
  const edges = GX.visibleEdges(view, open).filter(([a, b]) => idOf.has(a) && idOf.has(b));
  const large = idOf.size > GX.LARGE_VIEW || view.items.size > GX.LARGE_GRAPH;
  for (const [a, b] of edges) {
    const loose = large && GX.looseEdge(view, a, b);
    lines.push(`${idOf.get(a)} -> ${idOf.get(b)}${loose ? " [constraint=false]" : ""};`);
  }
  lines.push("}");
  return {dot: lines.join("\n"), ids, idOf};
};

// The open groups holding an item, so it can be shown.
GX.ancestors = function (view, key) {
  const out = [];
  for (let g = view.items.get(key).parent; g; g = g.parent) out.push(g.key);
  return out;
};
