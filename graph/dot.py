"""The rule graph as Graphviz DOT text, written without any optional package (pydot is only a test extra).

Both :mod:`photon_doctor.graph.export` (the ``dot`` format) and :mod:`photon_doctor.graph.render` (SVG and PNG
through Graphviz) read it; it imports neither.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
from photon_doctor.graph.style import (
    HIGHLIGHT,
    KINDS,
    NODE_COLOURS,
    count_text,
    edge_colour,
    edge_label,
)


def dot_quote(text: Any) -> str:
    """A DOT double-quoted string."""
    s = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n")
    return f'"{s}"'


def _dot_attrs(attrs: dict[str, Any]) -> str:
    return "[" + ", ".join(f"{k}={dot_quote(v)}" for k, v in attrs.items()) + "]"


def _tooltip(data: dict[str, Any]) -> str:
    text = data.get("rationale") or data.get("description") or data.get("question") or data.get("label", "")
    return str(text)


def _legend(g: nx.DiGraph) -> str:
    counts = {k: sum(1 for _, d in g.nodes(data=True) if d["kind"] == k) for k in KINDS}
    columns = " -> ".join(count_text(k, counts[k]) for k in KINDS)
    text = (
        f"{columns}\nEdges into a cause: green = evidence for it, red = against it (signed CF); "
        "dashed = the rule needs the value NOT to hold; blue = a fix, with p(it resolves the cause)"
    )
    if g.graph.get("focus"):
        text = f"Around {g.graph['focus']}: {text}"
    if g.graph.get("highlighted"):
        text += "\nThick violet border: what the session saw, the rules that fired, its causes and fixes"
    return text


def to_dot(g: nx.DiGraph) -> str:
    """Graphviz DOT: left to right, one rank per kind, coloured by kind, edges coloured by sign."""
    highlighted = bool(g.graph.get("highlighted"))
    lines = [
        f"digraph {dot_quote(g.graph.get('name', 'rules'))} {{",
        (
            '  graph [rankdir="LR", ranksep="1.1", nodesep="0.06", splines="true", fontname="Helvetica", '
            'bgcolor="white", newrank="true"];'
        ),
        (
            '  node [shape="box", style="rounded,filled", fontname="Helvetica", fontsize="10", height="0.22", '
            'margin="0.08,0.02"];'
        ),
        '  edge [arrowsize="0.5", penwidth="0.7", fontname="Helvetica"];',
        f'  graph [label={dot_quote(_legend(g))}, labelloc="t", fontsize="12"];',
    ]
    for kind in KINDS:
        members = [(n, d) for n, d in g.nodes(data=True) if d["kind"] == kind]
        if not members:
            continue
        lines.append(f"  subgraph {dot_quote('kind_' + kind)} {{")
        lines.append('    rank="same";')
        for node, data in members:
            fill, border = NODE_COLOURS[kind]
            attrs: dict[str, Any] = {
                "label": data["label"],
                "fillcolor": fill,
                "color": border,
                "tooltip": _tooltip(data),
            }
            if highlighted and data.get("highlight"):
                attrs.update(color=HIGHLIGHT, penwidth="3", fontname="Helvetica-Bold")
            elif highlighted:
                attrs.update(fillcolor="#f8f9fa", fontcolor="#adb5bd", color="#dee2e6")
            lines.append(f"    {dot_quote(node)} {_dot_attrs(attrs)};")
        lines.append("  }")
    for u, v, data in g.edges(data=True):
        attrs = {"color": edge_colour(data)}
        label = edge_label(data)
        if label:
            attrs["label"] = label
            attrs["fontsize"] = "8"
            attrs["fontcolor"] = attrs["color"]
        if data.get("negate"):
            attrs["style"] = "dashed"
        if data.get("condition"):
            attrs["tooltip"] = data["condition"]
        if highlighted and data.get("highlight"):
            attrs["penwidth"] = "2.5"
        elif highlighted:
            attrs["color"] = "#dee2e6"
            if label:
                attrs["fontcolor"] = "#ced4da"
        lines.append(f"  {dot_quote(u)} -> {dot_quote(v)} {_dot_attrs(attrs)};")
    lines.append("}")
    return "\n".join(lines) + "\n"
