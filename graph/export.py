"""The rule graph written out: DOT, GraphML, node-link JSON, Mermaid, SVG, PNG and a self-contained HTML page.

The text formats are written here without any optional package (the DOT text too: pydot is only a test extra).
SVG and PNG are drawn by :mod:`photon_doctor.graph.render` (Graphviz, else matplotlib); HTML by
:mod:`photon_doctor.graph.html`.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from typing import Any

import networkx as nx
from photon_doctor.graph.dot import to_dot
from photon_doctor.graph.style import (
    HIGHLIGHT,
    KINDS,
    NODE_COLOURS,
    TITLES,
    edge_colour,
    edge_label,
)

FORMATS: tuple[str, ...] = ("dot", "graphml", "json", "mermaid", "svg", "png", "html")
#: Formats that are not text and so must go to a file.
BINARY_FORMATS = frozenset({"png"})
#: File suffixes that imply a format when ``--format`` is not given.
SUFFIXES: dict[str, str] = {
    ".dot": "dot",
    ".gv": "dot",
    ".graphml": "graphml",
    ".json": "json",
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
    ".svg": "svg",
    ".png": "png",
    ".html": "html",
    ".htm": "html",
}


def export(g: nx.DiGraph, fmt: str) -> bytes:
    """``g`` in format ``fmt`` (one of FORMATS), as bytes (UTF-8 for the text formats).

    Raises ValueError for an unknown format, and DeviceError when SVG/PNG has no renderer available.
    """
    if fmt in ("svg", "png"):
        from photon_doctor.graph.render import render_image

        return render_image(g, fmt)
    if fmt == "html":
        from photon_doctor.graph.html import to_html

        return to_html(g).encode("utf-8")
    writers: dict[str, Callable[[nx.DiGraph], str]] = {
        "dot": to_dot,
        "graphml": to_graphml,
        "json": to_json,
        "mermaid": to_mermaid,
    }
    if fmt not in writers:
        raise ValueError(f"unknown graph format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return writers[fmt](g).encode("utf-8")


# ---------------------------------------------------------------------------------------------- GraphML, JSON
def to_graphml(g: nx.DiGraph) -> str:
    """GraphML, as networkx writes it (every attribute is a string, number or bool)."""
    return "\n".join(nx.generate_graphml(g, prettyprint=True)) + "\n"


def to_json(g: nx.DiGraph) -> str:
    """networkx node-link JSON (``nodes`` and ``edges``).

    Read it back with ``nx.node_link_graph(data, edges="edges")``.
    """
    data = node_link_data(g)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def node_link_data(g: nx.DiGraph) -> dict[str, Any]:
    """``nx.node_link_data`` with the edges under ``edges`` on every networkx 3.x (3.4 renamed ``links``)."""
    if "edges" in inspect.signature(nx.node_link_data).parameters:
        data: dict[str, Any] = nx.node_link_data(g, edges="edges")
    else:  # pragma: no cover - networkx < 3.4
        data = nx.node_link_data(g)
        data["edges"] = data.pop("links")
    return data


# ---------------------------------------------------------------------------------------------- Mermaid
_MERMAID_PREFIX = {"observation": "O", "value": "V", "rule": "R", "cause": "C", "fix": "F"}


def mermaid_ids(g: nx.DiGraph) -> dict[str, str]:
    """A safe, unique Mermaid id for every node: a kind letter, then the id's letters, digits, underscores."""
    ids: dict[str, str] = {}
    used: set[str] = set()
    for node, data in g.nodes(data=True):
        ref = str(node).split(":", 1)[-1]
        base = _MERMAID_PREFIX[str(data["kind"])] + "_" + (re.sub(r"[^A-Za-z0-9_]", "_", ref) or "x")
        safe, n = base, 1
        while safe in used:
            n += 1
            safe = f"{base}_{n}"
        used.add(safe)
        ids[node] = safe
    return ids


def mermaid_text(text: Any) -> str:
    """Text safe inside a quoted Mermaid label: quotes, ``<``, ``>``, ``#``, ``|``, ``;`` as entity codes."""
    out = []
    for ch in str(text).replace("\n", " "):
        out.append(f"#{ord(ch)};" if ch in '"<>#|;&`' else ch)
    return "".join(out)


def to_mermaid(g: nx.DiGraph) -> str:
    """A Mermaid ``flowchart LR``: one subgraph and one class per kind, edges labelled with the signed CF."""
    ids = mermaid_ids(g)
    highlighted = bool(g.graph.get("highlighted"))
    lines = ["flowchart LR"]
    for kind in KINDS:
        fill, border = NODE_COLOURS[kind]
        lines.append(f"  classDef {kind} fill:{fill},stroke:{border},color:#212529")
    lines.append(f"  classDef highlight stroke:{HIGHLIGHT},stroke-width:3px")
    lines.append("  classDef faded fill:#f8f9fa,stroke:#dee2e6,color:#adb5bd")
    for kind in KINDS:
        members = [(n, d) for n, d in g.nodes(data=True) if d["kind"] == kind]
        if not members:
            continue
        lines.append(f'  subgraph layer_{kind} ["{TITLES[kind]}"]')
        lines.append("    direction TB")
        for node, data in members:
            lines.append(f'    {ids[node]}["{mermaid_text(data["label"])}"]')
        lines.append("  end")
    styles: dict[str, list[int]] = {}
    for i, (u, v, data) in enumerate(g.edges(data=True)):
        arrow = "-.->" if data.get("negate") else "-->"
        label = edge_label(data)
        text = f'|"{mermaid_text(label)}"|' if label else ""
        lines.append(f"  {ids[u]} {arrow}{text} {ids[v]}")
        colour = edge_colour(data)
        if highlighted and data.get("highlight"):
            colour += ",stroke-width:3px"
        elif highlighted:
            colour = "#dee2e6"
        styles.setdefault(colour, []).append(i)
    for colour, indices in styles.items():
        lines.append(f"  linkStyle {','.join(map(str, indices))} stroke:{colour}")
    for kind in KINDS:
        of_kind = [ids[n] for n, d in g.nodes(data=True) if d["kind"] == kind]
        if of_kind:
            lines.append(f"  class {','.join(of_kind)} {kind}")
    if highlighted:
        on = [ids[n] for n, d in g.nodes(data=True) if d.get("highlight")]
        off = [ids[n] for n, d in g.nodes(data=True) if not d.get("highlight")]
        if on:
            lines.append(f"  class {','.join(on)} highlight")
        if off:
            lines.append(f"  class {','.join(off)} faded")
    return "\n".join(lines) + "\n"
