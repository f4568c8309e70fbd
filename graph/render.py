"""SVG and PNG pictures of the rule graph: Graphviz's ``dot`` program when it is on PATH, else matplotlib.

Neither is required to install photon-doctor: Graphviz is a system program, matplotlib the optional extra
``draw``. Without both, :func:`render_image` raises DeviceError saying how to get one.
"""

from __future__ import annotations

import importlib.util
import io
import shutil
import subprocess

import networkx as nx
from photon_doctor.foundation.errors import DeviceError
from photon_doctor.graph.dot import to_dot
from photon_doctor.graph.layout import layered_positions
from photon_doctor.graph.style import HIGHLIGHT, KINDS, NODE_COLOURS, TITLES, edge_colour, edge_label

RENDERERS = ("auto", "graphviz", "matplotlib")
DOT_TIMEOUT = 120.0
_INSTALL_HINT = (
    "install Graphviz (the 'dot' program: 'apt install graphviz', 'brew install graphviz', "
    "https://graphviz.org/download/) or matplotlib: pip install 'photon-doctor[draw]'"
)


def graphviz_program() -> str | None:
    """The path of Graphviz's ``dot`` program, or None when it is not on PATH."""
    return shutil.which("dot")


def matplotlib_available() -> bool:
    """True when matplotlib can be imported (the optional extra ``draw``)."""
    return importlib.util.find_spec("matplotlib") is not None


def render_image(g: nx.DiGraph, fmt: str, renderer: str = "auto") -> bytes:
    """``g`` drawn as ``svg`` or ``png`` bytes by ``renderer`` (``auto``: Graphviz if on PATH, else
    matplotlib).

    Raises DeviceError when the renderer asked for (or, with ``auto``, both) is not available or fails,
    and ValueError for an unknown format or renderer.
    """
    if fmt not in ("svg", "png"):
        raise ValueError(f"cannot draw {fmt!r}: expected svg or png")
    if renderer not in RENDERERS:
        raise ValueError(f"unknown renderer {renderer!r}; expected one of {', '.join(RENDERERS)}")
    dot = graphviz_program()
    if renderer == "graphviz" or (renderer == "auto" and dot is not None):
        if dot is None:
            raise DeviceError(f"cannot draw {fmt}: Graphviz's 'dot' program is not on PATH; {_INSTALL_HINT}")
        return render_with_graphviz(g, fmt, dot)
    if matplotlib_available():
        return render_with_matplotlib(g, fmt)
    if renderer == "matplotlib":
        raise DeviceError(
            f"cannot draw {fmt}: matplotlib is not installed; run: pip install 'photon-doctor[draw]'"
        )
    raise DeviceError(f"cannot draw {fmt}: neither Graphviz nor matplotlib is available; {_INSTALL_HINT}")


def _short(label: str) -> str:
    return label if len(label) <= 34 else label[:33] + "…"


def render_with_graphviz(g: nx.DiGraph, fmt: str, program: str) -> bytes:
    """Run ``dot -T<fmt>`` on the DOT text of ``g``. Raises DeviceError if it cannot run or fails."""
    try:
        done = subprocess.run(
            [program, f"-T{fmt}"],
            input=to_dot(g).encode("utf-8"),
            capture_output=True,
            timeout=DOT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DeviceError(f"cannot run Graphviz ({program}): {exc}") from None
    if done.returncode != 0 or not done.stdout:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        last = detail[-1] if detail else "no output"
        raise DeviceError(f"Graphviz failed (exit {done.returncode}): {last}")
    return done.stdout


def render_with_matplotlib(g: nx.DiGraph, fmt: str) -> bytes:
    """Draw ``g`` with matplotlib on the layered layout (no pyplot, so no global backend is touched)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    pos = layered_positions(g)
    height = max((y for _, y in pos.values()), default=1.0) + 0.5
    highlighted = bool(g.graph.get("highlighted"))
    fig = Figure(figsize=(3.2 * len(KINDS), max(4.0, 0.24 * height)), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 0.97))
    ax.set_xlim(-0.6, len(KINDS) - 0.4)
    ax.set_ylim(height, -0.6)
    ax.axis("off")
    for column, kind in enumerate(KINDS):
        ax.text(column, -0.35, TITLES[kind], ha="center", va="center", fontsize=9, fontweight="bold")
    labels = {n: _short(str(d["label"])) for n, d in g.nodes(data=True)}
    # Half the width of a node's box in axis units: a 6.5 pt character is about 0.0165 units at this scale.
    half = {n: len(text) * 0.0083 + 0.03 for n, text in labels.items()}
    for u, v, data in g.edges(data=True):
        (x1, y1), (x2, y2) = pos[u], pos[v]
        colour = edge_colour(data)
        width = 0.6
        if highlighted:
            colour, width = (colour, 1.8) if data.get("highlight") else ("#dee2e6", 0.5)
        text = edge_label(data)
        if text and data["kind"] == "concludes":  # one per rule: readable; a cause's many p labels are not
            ax.text(x1 + half[u] + 0.02, y1 - 0.12, text, fontsize=5, color=colour, va="bottom")
        ax.annotate(
            "",
            xy=(x2 - half[v], y2),
            xytext=(x1 + half[u], y1),
            arrowprops={
                "arrowstyle": "-|>",
                "color": colour,
                "lw": width,
                "mutation_scale": 6,
                "linestyle": "--" if data.get("negate") else "-",
                "shrinkA": 0,
                "shrinkB": 0,
            },
        )
    for node, (x, y) in pos.items():
        data = g.nodes[node]
        fill, border = NODE_COLOURS[str(data["kind"])]
        text_colour, width = "#212529", 0.8
        if highlighted and data.get("highlight"):
            border, width = HIGHLIGHT, 2.0
        elif highlighted:
            fill, border, text_colour = "#f8f9fa", "#dee2e6", "#adb5bd"
        ax.text(
            x,
            y,
            labels[node],
            ha="center",
            va="center",
            fontsize=6.5,
            color=text_colour,
            bbox={"boxstyle": "round,pad=0.25", "facecolor": fill, "edgecolor": border, "linewidth": width},
        )
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else None
    fig.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()
