"""One self-contained HTML page of the rule graph: an inline SVG drawn here, a side panel, no network at all.

Clicking a node shows its label, rationale or description, source and the rest of its attributes in the panel,
and dims everything that does not lead to it or follow from it. The layout is the layered one of
:mod:`photon_doctor.graph.layout`; a highlighted graph (from a session) shows what the session saw and
concluded.
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


def svg_drawing(g: nx.DiGraph) -> str:
    """The inline SVG: columns by kind, nodes coloured by kind, edges coloured by sign."""
    pos = layered_positions(g)
    by_layer: dict[int, list[str]] = {}
    for node, (x, _) in pos.items():
        by_layer.setdefault(int(x), []).append(node)
    widths = [
        max((len(_short(str(g.nodes[n]["label"]))) * CHAR + 18 for n in by_layer.get(i, [])), default=60.0)
        for i in range(len(KINDS))
    ]
    lefts, x0 = [], 20.0
    for w in widths:
        lefts.append(x0)
        x0 += w + GAP
    height = max((y for _, y in pos.values()), default=1.0) + 0.5
    total_w, total_h = x0 - GAP + 20, TOP + height * ROW + 10
    highlighted = bool(g.graph.get("highlighted"))
    boxes: dict[str, tuple[float, float, float]] = {}  # node -> (left, centre y, width)
    for node, (x, y) in pos.items():
        i = int(x)
        w = len(_short(str(g.nodes[node]["label"]))) * CHAR + 18
        boxes[node] = (lefts[i] + (widths[i] - w) / 2, TOP + y * ROW, w)
    out = [
        f'<svg id="graph" xmlns="http://www.w3.org/2000/svg" width="{total_w:.0f}" height="{total_h:.0f}" '
        f'viewBox="0 0 {total_w:.0f} {total_h:.0f}" font-family="Helvetica, Arial, sans-serif" '
        'font-size="11">',
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
        if text and data["kind"] == "concludes":  # one per rule; a fix's p is in the edge's tooltip
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
            f"<title>{escape(node)}</title></g>"
        )
    out.append("</g></svg>")
    return "\n".join(out)


def page_data(g: nx.DiGraph) -> dict[str, Any]:
    """What the page's script needs: every node's attributes and the edges."""
    return {
        "nodes": {n: dict(d) for n, d in g.nodes(data=True)},
        "edges": [[u, v, dict(d)] for u, v, d in g.edges(data=True)],
    }


_CSS = """
body { margin: 0; font: 14px/1.4 Helvetica, Arial, sans-serif; color: #212529; display: flex; height: 100vh; }
#canvas { flex: 1; overflow: auto; background: #fff; }
#panel { width: 360px; border-left: 1px solid #dee2e6; padding: 12px 16px; overflow: auto;
         background: #f8f9fa; }
#panel h2 { font-size: 16px; margin: 4px 0 8px; word-break: break-all; }
#panel dt { font-weight: bold; margin-top: 8px; color: #495057; }
#panel dd { margin: 2px 0 0 0; white-space: pre-wrap; word-break: break-word; }
#panel a { color: #1c7ed6; cursor: pointer; text-decoration: underline; }
#toolbar { display: flex; gap: 6px; margin-bottom: 10px; }
#toolbar input { flex: 1; }
.legend span { display: inline-block; padding: 1px 6px; margin: 2px; border-radius: 5px; border: 1px solid; }
.node { cursor: pointer; }
.node.faded rect { fill: #f8f9fa; stroke: #dee2e6; }
.node.faded text { fill: #adb5bd; }
.edge-label { pointer-events: none; }
.dim { opacity: 0.12; }
.node.selected rect { stroke: #000; stroke-width: 3; }
"""

_JS = """
const DATA = JSON.parse(document.getElementById('graph-data').textContent);
const ORDER = ['label', 'title', 'question', 'rationale', 'description', 'source', 'conditions', 'cf',
               'cause', 'prior', 'cost', 'risk', 'reversible', 'automation', 'help', 'obs_kind', 'unit',
               'probes', 'askable', 'file', 'role', 'rank', 'step'];
const HIDDEN = new Set(['kind', 'layer', 'ref', 'value_json', 'op', 'highlight', 'sign', 'obs']);
const succ = {}, pred = {};
for (const id in DATA.nodes) { succ[id] = []; pred[id] = []; }
for (const [u, v] of DATA.edges) { succ[u].push(v); pred[v].push(u); }
function reach(start, next) {
  const seen = new Set([start]), todo = [start];
  while (todo.length) { for (const m of next[todo.pop()]) if (!seen.has(m)) { seen.add(m); todo.push(m); } }
  return seen;
}
function add(dl, key, value) {
  const dt = document.createElement('dt'); dt.textContent = key; dl.appendChild(dt);
  const dd = document.createElement('dd');
  if (Array.isArray(value)) {
    value.forEach((id, i) => {
      const a = document.createElement('a'); a.textContent = id; a.onclick = () => select(id);
      dd.appendChild(a); if (i < value.length - 1) dd.appendChild(document.createTextNode(', '));
    });
  } else { dd.textContent = String(value); }
  dl.appendChild(dd);
}
function select(id) {
  const node = DATA.nodes[id]; if (!node) return;
  document.getElementById('kind').textContent = node.kind;
  document.getElementById('title').textContent = id;
  const dl = document.getElementById('details'); dl.innerHTML = '';
  const keys = Object.keys(node).filter(k => !HIDDEN.has(k) && node[k] !== '');
  keys.sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));
  for (const k of keys) add(dl, k, node[k]);
  if (pred[id].length) add(dl, 'comes from', pred[id]);
  if (succ[id].length) add(dl, 'leads to', succ[id]);
  const keep = new Set([...reach(id, pred), ...reach(id, succ)]);
  document.querySelectorAll('.node').forEach(el => {
    el.classList.toggle('dim', !keep.has(el.dataset.id));
    el.classList.toggle('selected', el.dataset.id === id);
  });
  document.querySelectorAll('.edge, .edge-label').forEach(el =>
    el.classList.toggle('dim', !(keep.has(el.dataset.src) && keep.has(el.dataset.dst))));
}
function clearSelection() {
  document.querySelectorAll('.dim, .selected').forEach(el => el.classList.remove('dim', 'selected'));
}
document.querySelectorAll('.node').forEach(el =>
  el.addEventListener('click', ev => { ev.stopPropagation(); select(el.dataset.id); }));
document.getElementById('graph').addEventListener('click', clearSelection);
document.getElementById('find').addEventListener('change', ev => {
  const q = ev.target.value.trim(); if (!q) return;
  const id = DATA.nodes[q] ? q : Object.keys(DATA.nodes).find(k => k.includes(q));
  if (!id) return;
  select(id);
  document.querySelector(`.node[data-id="${CSS.escape(id)}"]`)
    .scrollIntoView({block: 'center', inline: 'center'});
});
const SVG = document.getElementById('graph');
const BASE = [SVG.width.baseVal.value, SVG.height.baseVal.value];
let scale = 1;
function zoom(f) {
  scale = Math.min(3, Math.max(0.2, scale * f));
  SVG.setAttribute('width', BASE[0] * scale); SVG.setAttribute('height', BASE[1] * scale);
}
document.getElementById('zoom-in').onclick = () => zoom(1.25);
document.getElementById('zoom-out').onclick = () => zoom(0.8);
"""


def to_html(g: nx.DiGraph, title: str = "photon-doctor rule graph") -> str:
    """The page: the drawing on the left, a panel on the right; everything inline, nothing fetched."""
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
            f'<p>Highlighted (<span style="color:{HIGHLIGHT}">thick border</span>): the observations given, '
            "the rules that fired, the ranked causes and the planned fixes of the session.</p>"
        )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<div id="canvas">
{svg_drawing(g)}
</div>
<aside id="panel">
<div id="toolbar"><input id="find" placeholder="find a node id, e.g. cause:weak_signal">
<button id="zoom-out" title="zoom out">-</button><button id="zoom-in" title="zoom in">+</button></div>
<div class="legend">{legend}</div>
<p>{escape(summary)}. Edges: <span style="color:#2b8a3e">green</span> evidence for a cause,
<span style="color:#c92a2a">red</span> evidence against (dashed: the rule needs the value
<em>not</em> to hold),
<span style="color:#1c7ed6">blue</span> a fix and its chance of resolving the cause.</p>
{session_note}
<p id="kind">Click a node to see its rationale or description and its source.</p>
<h2 id="title"></h2>
<dl id="details"></dl>
</aside>
<script type="application/json" id="graph-data">{_script_json(page_data(g))}</script>
<script>{_JS}</script>
</body>
</html>
"""
