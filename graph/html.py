"""One self-contained HTML page of the rule graph: inline SVGs drawn here, a panel, no network at all.

The page opens on a small view an owner can read: with a session, the diagnosis's own path (what was observed ->
the causes it points to -> the fixes planned); without one, the causes and the fixes that resolve them. Nodes are
labelled with titles and questions, not ids. The full rule graph is one click away. Search (by title, question or
id) and zoom work in both. Clicking a node shows its rationale or description and the rest of its attributes in the
panel, and dims everything that does not lead to it or follow from it. On load, the leading cause (or the node the
graph was filtered on) is selected and scrolled into view. Below 800 px the panel goes under the drawing, and the
drawing scrolls inside its own box, so the page never scrolls sideways.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

import networkx as nx
from photon_doctor.graph.layout import layered_positions
from photon_doctor.graph.style import (
    HIGHLIGHT,
    KINDS,
    NODE_COLOURS,
    TITLES,
    count_text,
    edge_colour,
    edge_label,
)

from photon_doctor.plain import question_label

ROW = 26  # pixels per slot of the tallest layer
NODE_HEIGHT = 20
GAP = 150  # pixels between columns
CHAR = 6.6  # approximate width of a character at 11px
MAX_CHARS = 40
TOP = 44


def _short(label: str) -> str:
    return label if len(label) <= MAX_CHARS else label[: MAX_CHARS - 1] + "…"


def _script_json(data: Any) -> str:
    """JSON that is safe inside a <script> element (no '</script>', no HTML-significant characters)."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def svg_drawing(g: nx.DiGraph, svg_id: str = "graph", *, gap: float = GAP, numbers: bool = True) -> str:
    """The inline SVG: columns by kind (empty ones left out), nodes coloured by kind, edges coloured by sign;
    ``numbers=False`` leaves out the rules' certainty factors on the edges (the owner's view)."""
    pos = layered_positions(g)
    by_layer: dict[int, list[str]] = {}
    for node, (x, _) in pos.items():
        by_layer.setdefault(int(x), []).append(node)
    widths = [
        max((len(_short(str(g.nodes[n]["label"]))) * CHAR + 18 for n in by_layer.get(i, [])), default=0.0)
        for i in range(len(KINDS))
    ]
    lefts, x0 = [], 20.0
    for w in widths:
        lefts.append(x0)
        if w:
            x0 += w + gap
    height = max((y for _, y in pos.values()), default=1.0) + 0.5
    total_w, total_h = x0 - gap + 20, TOP + height * ROW + 10
    highlighted = bool(g.graph.get("highlighted"))
    boxes: dict[str, tuple[float, float, float]] = {}  # node -> (left, centre y, width)
    for node, (x, y) in pos.items():
        i = int(x)
        w = len(_short(str(g.nodes[node]["label"]))) * CHAR + 18
        boxes[node] = (lefts[i] + (widths[i] - w) / 2, TOP + y * ROW, w)
    out = [
        (
            f'<svg id="{svg_id}" class="drawing" xmlns="http://www.w3.org/2000/svg" width="{total_w:.0f}" '
            f'height="{total_h:.0f}" viewBox="0 0 {total_w:.0f} {total_h:.0f}" '
            'font-family="Helvetica, Arial, sans-serif" font-size="11">'
        ),
        "<defs>",
    ]
    colours = sorted({edge_colour(d) for _, _, d in g.edges(data=True)} | {"#dee2e6"})
    for c in colours:
        out.append(
            f'<marker id="arrow-{c[1:]}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
            'markerHeight="6" '
            f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>'
        )
    out.append("</defs>")
    for i, kind in enumerate(KINDS):
        if not widths[i]:
            continue
        out.append(
            f'<text x="{lefts[i] + widths[i] / 2:.1f}" y="20" text-anchor="middle" font-weight="bold" '
            f'font-size="13">{escape(TITLES[kind])}</text>'
        )
    out.append('<g class="edges">')
    for u, v, data in g.edges(data=True):
        (ux, uy, uw), (vx, vy, _) = boxes[u], boxes[v]
        x1, x2 = ux + uw, vx
        colour = edge_colour(data)
        width = 1.0
        if highlighted:
            colour, width = (colour, 2.5) if data.get("highlight") else ("#dee2e6", 0.8)
        bend = (x2 - x1) / 2
        dash = ' stroke-dasharray="4 3"' if data.get("negate") else ""
        title = data.get("condition") or edge_label(data)
        out.append(
            f'<path class="edge" data-src="{escape(u)}" data-dst="{escape(v)}" fill="none" stroke="{colour}" '
            f'stroke-width="{width}"{dash} marker-end="url(#arrow-{colour[1:]})" '
            f'd="M{x1:.1f},{uy:.1f} C{x1 + bend:.1f},{uy:.1f} {x2 - bend:.1f},{vy:.1f} {x2:.1f},{vy:.1f}">'
            f"<title>{escape(str(title))}</title></path>"
        )
        text = edge_label(data)
        if numbers and text and data["kind"] == "concludes":  # one per rule; a fix's p is in its tooltip
            out.append(
                f'<text class="edge-label" data-src="{escape(u)}" data-dst="{escape(v)}" x="{x1 + 6:.1f}" '
                f'y="{uy - 3:.1f}" font-size="9" fill="{colour}">{escape(text)}</text>'
            )
    out.append("</g>")
    out.append('<g class="nodes">')
    for node, (left, cy, w) in boxes.items():
        data = g.nodes[node]
        kind = str(data["kind"])
        fill, border = NODE_COLOURS[kind]
        classes = f"node kind-{kind}"
        stroke_w, ink = 1.0, "#212529"
        if highlighted and data.get("highlight"):
            classes += " hl"
            border, stroke_w = HIGHLIGHT, 3.0
        elif highlighted:
            classes += " faded"
            fill, border, ink = "#f8f9fa", "#dee2e6", "#adb5bd"
        label = str(data["label"])
        out.append(
            f'<g class="{classes}" data-id="{escape(node)}" '
            f'transform="translate({left:.1f},{cy - NODE_HEIGHT / 2:.1f})">'
            f'<rect width="{w:.1f}" height="{NODE_HEIGHT}" rx="6" fill="{fill}" stroke="{border}" '
            f'stroke-width="{stroke_w}"/>'
            f'<text x="{w / 2:.1f}" y="14" text-anchor="middle" fill="{ink}">{escape(_short(label))}</text>'
            f"<title>{escape(label)}</title></g>"
        )
    out.append("</g></svg>")
    return "\n".join(out)


def owner_label(data: dict[str, Any]) -> str:
    """A node as an owner reads it: a cause's or fix's title, an observation's question, a rule's rationale."""
    kind = data["kind"]
    if kind in ("cause", "fix"):
        return str(data.get("title") or data["label"])
    if kind == "observation":
        return question_label(str(data.get("question") or data["label"]), 200)
    if kind == "rule":
        return str(data.get("rationale") or data["label"])
    return str(data["label"])


def owner_view(g: nx.DiGraph) -> tuple[nx.DiGraph, str]:
    """The view the page opens on, labelled in words, and what it shows.

    With a session (a highlighted graph): the diagnosis's path, observations -> fired rules -> ranked causes ->
    planned fixes (the rules and observations that argue for or against a ranked cause). Without one: the causes
    and the fixes that resolve them."""
    if g.graph.get("highlighted"):
        # Lists in the graph's order, never sets: the page is the same on every run (docs/rule-graph.md).
        keep = [n for n, d in g.nodes(data=True) if d.get("highlight")]
        ranked = [n for n in keep if g.nodes[n]["kind"] == "cause"]
        fixes = [n for n in keep if g.nodes[n]["kind"] == "fix"]
        view = nx.DiGraph()
        for n in ranked + fixes:
            view.add_node(n, **g.nodes[n])
        for rule in (n for n in keep if g.nodes[n]["kind"] == "rule"):
            for cause in (c for c in g.successors(rule) if c in ranked):
                for value in g.predecessors(rule):
                    for obs in g.predecessors(value):
                        if obs in keep and g.nodes[obs]["kind"] == "observation":
                            view.add_node(obs, **g.nodes[obs])
                            # observation -> cause: the rule's sign, its rationale as the edge's tooltip
                            view.add_edge(
                                obs,
                                cause,
                                kind="concludes",
                                sign=g.nodes[rule]["sign"],
                                cf=g.nodes[rule]["cf"],
                                condition=g.nodes[rule]["rationale"],
                                highlight=True,
                            )
        for cause in ranked:
            for fix in (f for f in g.successors(cause) if f in fixes):
                p = float(g.edges[cause, fix]["p"])
                view.add_edge(
                    cause,
                    fix,
                    kind="fixed_by",
                    p=p,
                    highlight=True,
                    condition=f"solves it about {round(p * 20) * 5} % of the time",
                )
        what = (
            "The diagnosis's path: what was observed, the causes it points to, and the fixes planned. "
            "Click a box to see why."
        )
    else:
        # Built in the graph's order: a subgraph of a set iterates in the set's (hash) order.
        view = nx.DiGraph()
        view.add_nodes_from((n, d) for n, d in g.nodes(data=True) if d["kind"] in ("cause", "fix"))
        view.add_edges_from((u, v, d) for u, v, d in g.edges(data=True) if u in view and v in view)
        for _, _, data in view.edges(data=True):
            data["condition"] = f"solves it about {round(float(data['p']) * 20) * 5} % of the time"
        what = "The causes, and the fixes that resolve them. Click a box to see why."
    focus = g.graph.get("focus")
    if (
        isinstance(focus, str)
        and focus in g
        and focus not in view
        and g.nodes[focus]["kind"] in ("cause", "fix")
    ):
        # The graph was filtered on a cause or a fix that the session did not rank: show it with its partners.
        view.add_node(focus, **g.nodes[focus])
        for u, v in list(g.out_edges(focus)) + list(g.in_edges(focus)):
            if g.edges[u, v]["kind"] == "fixed_by":
                view.add_node(v if u == focus else u, **g.nodes[v if u == focus else u])
                p = float(g.edges[u, v]["p"])
                view.add_edge(
                    u, v, kind="fixed_by", p=p, condition=f"solves it about {round(p * 20) * 5} % of the time"
                )
    view.graph.update(g.graph)
    for _, data in view.nodes(data=True):
        data["label"] = owner_label(data)
    return view, what


def focus_of(g: nx.DiGraph) -> str | None:
    """The node to select on load: the one the graph was filtered on, else the leading cause of the session."""
    focus = g.graph.get("focus")
    if isinstance(focus, str) and focus in g:
        return focus
    ranked = [(d.get("rank"), n) for n, d in g.nodes(data=True) if d["kind"] == "cause" and d.get("rank")]
    return min(ranked)[1] if ranked else None


def page_data(g: nx.DiGraph) -> dict[str, Any]:
    """What the page's script needs: every node's attributes and the edges."""
    return {
        "nodes": {n: dict(d) for n, d in g.nodes(data=True)},
        "edges": [[u, v, dict(d)] for u, v, d in g.edges(data=True)],
    }


_CSS = """
* { box-sizing: border-box; }
html, body { margin: 0; max-width: 100%; overflow-x: hidden; }
body { font: 15px/1.45 system-ui, Helvetica, Arial, sans-serif; color: #212529; }
header { padding: 10px 14px; border-bottom: 1px solid #dee2e6; background: #f8f9fa; }
header h1 { font-size: 18px; margin: 0 0 4px; }
header p { margin: 2px 0; }
#toolbar { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 6px; }
#toolbar input { flex: 1 1 12rem; min-width: 0; padding: 4px 6px; font: inherit; }
#toolbar button { font: inherit; padding: 3px 10px; }
main { display: flex; height: calc(100vh - 120px); min-height: 420px; }
.canvas { flex: 1; min-width: 0; overflow: auto; background: #fff; }
#panel { width: 340px; border-left: 1px solid #dee2e6; padding: 10px 14px; overflow: auto; background: #f8f9fa; }
#panel h2 { font-size: 16px; margin: 4px 0 8px; overflow-wrap: anywhere; }
#panel dt { font-weight: bold; margin-top: 8px; color: #495057; }
#panel dd { margin: 2px 0 0 0; white-space: pre-wrap; overflow-wrap: anywhere; }
#panel a { color: #1c7ed6; cursor: pointer; text-decoration: underline; }
.legend span { display: inline-block; padding: 1px 6px; margin: 2px; border-radius: 5px; border: 1px solid; }
.node { cursor: pointer; }
.node.faded rect { fill: #f8f9fa; stroke: #dee2e6; }
.node.faded text { fill: #adb5bd; }
.edge-label { pointer-events: none; }
.dim { opacity: 0.12; }
.node.selected rect { stroke: #000; stroke-width: 3; }
[hidden] { display: none !important; }
@media (max-width: 800px) {
  main { flex-direction: column; height: auto; }
  .canvas { height: 60vh; flex: none; }
  #panel { width: 100%; border-left: 0; border-top: 1px solid #dee2e6; }
}
@media print { main { height: auto; display: block; } .canvas { overflow: visible; } #toolbar { display: none; } }
"""

_JS = """
const DATA = JSON.parse(document.getElementById('graph-data').textContent);
const VIEW_LABELS = JSON.parse(document.getElementById('view-labels').textContent);
const KIND_WORDS = {observation: 'What was observed', value: 'An observed value', rule: 'A rule of the knowledge',
                    cause: 'A possible cause', fix: 'A fix'};
const ORDER = ['title', 'question', 'rationale', 'description', 'conditions', 'cost', 'risk', 'reversible',
               'automation', 'help', 'probes', 'rank', 'step', 'source', 'label', 'cf', 'prior'];
const HIDDEN = new Set(['kind', 'layer', 'ref', 'value_json', 'op', 'highlight', 'sign', 'obs', 'obs_kind',
                        'askable', 'file', 'role', 'unit', 'cause']);
const TECHNICAL = new Set(['label', 'cf', 'prior', 'source', 'conditions', 'automation', 'probes']);
const succ = {}, pred = {};
for (const id in DATA.nodes) { succ[id] = []; pred[id] = []; }
for (const [u, v] of DATA.edges) { succ[u].push(v); pred[v].push(u); }
function labelOf(id) { return VIEW_LABELS[id] || (DATA.nodes[id] && DATA.nodes[id].label) || id; }
function reach(start, next) {
  const seen = new Set([start]), todo = [start];
  while (todo.length) { for (const m of next[todo.pop()]) if (!seen.has(m)) { seen.add(m); todo.push(m); } }
  return seen;
}
function active() { return document.querySelector('.canvas:not([hidden]) svg'); }
function add(dl, key, value) {
  const dt = document.createElement('dt'); dt.textContent = key; dl.appendChild(dt);
  const dd = document.createElement('dd');
  if (Array.isArray(value)) {
    value.forEach((id, i) => {
      const a = document.createElement('a'); a.textContent = labelOf(id); a.onclick = () => select(id, true);
      dd.appendChild(a); if (i < value.length - 1) dd.appendChild(document.createTextNode('; '));
    });
  } else { dd.textContent = String(value); }
  dl.appendChild(dd);
}
function select(id, scroll) {
  const node = DATA.nodes[id]; if (!node) return;
  document.getElementById('kind').textContent = KIND_WORDS[node.kind] || node.kind;
  document.getElementById('title').textContent = labelOf(id);
  const dl = document.getElementById('details'); dl.innerHTML = '';
  const full = !document.getElementById('full-canvas').hidden;
  const keys = Object.keys(node).filter(k => !HIDDEN.has(k) && (full || !TECHNICAL.has(k)) && node[k] !== ''
                                             && String(node[k]) !== labelOf(id));
  keys.sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));
  for (const k of keys) add(dl, k, node[k]);
  const svg = active();
  // The short view draws its own edges (observation -> cause -> fix): list what it draws, not every rule.
  const drawn = (attr, other) => [...new Set([...svg.querySelectorAll(`.edge[data-${attr}="${CSS.escape(id)}"]`)]
    .map(el => el.dataset[other]))];
  const from = full ? pred[id] : drawn('dst', 'src'), to = full ? succ[id] : drawn('src', 'dst');
  if (from.length) add(dl, 'comes from', from);
  if (to.length) add(dl, 'leads to', to);
  const keep = new Set([...reach(id, pred), ...reach(id, succ)]);
  svg.querySelectorAll('.node').forEach(el => {
    el.classList.toggle('dim', !keep.has(el.dataset.id));
    el.classList.toggle('selected', el.dataset.id === id);
  });
  svg.querySelectorAll('.edge, .edge-label').forEach(el =>
    el.classList.toggle('dim', !(keep.has(el.dataset.src) && keep.has(el.dataset.dst))));
  const el = svg.querySelector(`.node[data-id="${CSS.escape(id)}"]`);
  if (el && scroll) el.scrollIntoView({block: 'center', inline: 'center'});
}
function clearSelection() {
  document.querySelectorAll('.dim, .selected').forEach(el => el.classList.remove('dim', 'selected'));
}
document.querySelectorAll('.node').forEach(el =>
  el.addEventListener('click', ev => { ev.stopPropagation(); select(el.dataset.id, false); }));
document.querySelectorAll('svg.drawing').forEach(svg => svg.addEventListener('click', clearSelection));
function find(q) {
  q = q.trim().toLowerCase(); if (!q) return null;
  const shown = [...active().querySelectorAll('.node')].map(el => el.dataset.id);
  const words = q.split(/ +/);
  const text = id => (labelOf(id) + ' ' + id + ' ' + (DATA.nodes[id].title || '') + ' ' +
                      (DATA.nodes[id].question || '')).toLowerCase();
  return shown.find(id => id.toLowerCase() === q) || shown.find(id => words.every(w => text(id).includes(w)));
}
document.getElementById('find').addEventListener('change', ev => {
  const id = find(ev.target.value);
  document.getElementById('found').textContent = id ? '' : 'nothing matches';
  if (id) select(id, true);
});
const scale = new Map();
function zoom(f) {
  const svg = active();
  if (!svg.dataset.w) { svg.dataset.w = svg.width.baseVal.value; svg.dataset.h = svg.height.baseVal.value; }
  const s = f === 0 ? Math.min(1, svg.parentElement.clientWidth / svg.dataset.w)
                    : Math.min(3, Math.max(0.2, (scale.get(svg) || 1) * f));
  scale.set(svg, s);
  svg.setAttribute('width', svg.dataset.w * s); svg.setAttribute('height', svg.dataset.h * s);
}
document.getElementById('zoom-in').onclick = () => zoom(1.25);
document.getElementById('zoom-out').onclick = () => zoom(0.8);
document.getElementById('zoom-fit').onclick = () => zoom(0);
document.getElementById('switch').onclick = () => {
  const view = document.getElementById('view-canvas'), full = document.getElementById('full-canvas');
  const toFull = full.hidden;
  full.hidden = !toFull; view.hidden = toFull;
  document.getElementById('switch').textContent = toFull ? 'Back to the short view' : 'Show the full rule graph';
  document.getElementById('what').textContent = toFull ? FULL_TEXT : VIEW_TEXT;
  clearSelection();
};
const VIEW_TEXT = document.getElementById('what').textContent;
const FULL_TEXT = 'The full rule graph: observations, their values, the rules, the causes and the fixes.';
const FOCUS = document.body.dataset.focus;
const first = active();
if (first.parentElement.clientWidth >= 0.6 * first.width.baseVal.value) zoom(0);
if (FOCUS) select(FOCUS, true);
"""


def to_html(g: nx.DiGraph, title: str = "photon-doctor rule graph") -> str:
    """The page: a short view (the diagnosis's path, or causes -> fixes) with the full graph one click away, a
    panel, search and zoom; everything inline, nothing fetched."""
    view, what = owner_view(g)
    legend = "".join(
        f'<span style="background:{NODE_COLOURS[k][0]};border-color:{NODE_COLOURS[k][1]}">'
        f"{escape(TITLES[k])}</span>"
        for k in KINDS
    )
    counts = {k: sum(1 for _, d in g.nodes(data=True) if d["kind"] == k) for k in KINDS}
    summary = ", ".join(count_text(k, counts[k]) for k in KINDS)
    session_note = ""
    if g.graph.get("highlighted"):
        session_note = (
            f'<p>Highlighted (<span style="color:{HIGHLIGHT}">thick border</span>): what the session observed, '
            "the rules that fired, the ranked causes and the planned fixes.</p>"
        )
    focus = focus_of(view) or focus_of(g) or ""
    labels = {n: owner_label(d) for n, d in g.nodes(data=True)}
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{_CSS}</style>
</head>
<body data-focus="{escape(focus)}">
<header>
<h1>{escape(title)}</h1>
<p id="what">{escape(what)}</p>
<div id="toolbar"><input id="find" placeholder="find: words of a title or question, e.g. static ip">
<button id="zoom-out" title="zoom out">-</button><button id="zoom-in" title="zoom in">+</button>
<button id="zoom-fit" title="fit the width">fit</button>
<button id="switch">Show the full rule graph</button><span id="found"></span></div>
</header>
<main>
<div class="canvas" id="view-canvas">
{svg_drawing(view, "view", gap=70, numbers=False)}
</div>
<div class="canvas" id="full-canvas" hidden>
{svg_drawing(g, "graph")}
</div>
<aside id="panel">
<p id="kind">Click a box to see why it is there: its rationale or description.</p>
<h2 id="title"></h2>
<dl id="details"></dl>
<div class="legend">{legend}</div>
<p>The full graph has {escape(summary)}. Edges: <span style="color:#2b8a3e">green</span> evidence for a cause,
<span style="color:#c92a2a">red</span> evidence against (dashed: the rule needs the value
<em>not</em> to hold), <span style="color:#1c7ed6">blue</span> a fix and its chance of resolving the cause.</p>
{session_note}
</aside>
</main>
<script type="application/json" id="graph-data">{_script_json(page_data(g))}</script>
<script type="application/json" id="view-labels">{_script_json(labels)}</script>
<script>{_JS}</script>
</body>
</html>
"""
