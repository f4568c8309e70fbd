"""A layered left-to-right layout of the rule graph, computed here so no drawing program is needed.

x is the layer of a node's kind (observations, values, rules, causes, fixes). Within a layer the nodes are
ordered by the barycenter heuristic (Sugiyama et al. 1981): sweeping right then left, each node moves to the
mean position of its neighbours in the layer before, which removes most edge crossings. y spreads each layer
evenly over the height of the tallest one.
"""

from __future__ import annotations

from itertools import combinations

import networkx as nx
from photon_doctor.graph.style import KINDS, LAYER

SWEEPS = 8


def layers(g: nx.DiGraph) -> list[list[str]]:
    """The nodes of each layer (index = ``LAYER[kind]``), in the graph's insertion order."""
    result: list[list[str]] = [[] for _ in KINDS]
    for node, data in g.nodes(data=True):
        result[LAYER[str(data["kind"])]].append(node)
    return result


def order_layers(g: nx.DiGraph, sweeps: int = SWEEPS) -> list[list[str]]:
    """The layers, each ordered to reduce edge crossings (barycenter sweeps; the best order seen is kept)."""
    order = layers(g)
    best, best_crossings = [list(layer) for layer in order], count_crossings(g, order)
    for sweep in range(sweeps):
        forward = sweep % 2 == 0
        indices = range(1, len(order)) if forward else range(len(order) - 2, -1, -1)
        for i in indices:
            ref = order[i - 1] if forward else order[i + 1]
            order[i] = _by_barycenter(g, order[i], ref, predecessors=forward)
        crossings = count_crossings(g, order)
        if crossings < best_crossings:
            best, best_crossings = [list(layer) for layer in order], crossings
    return best


def _by_barycenter(g: nx.DiGraph, layer: list[str], ref: list[str], *, predecessors: bool) -> list[str]:
    pos = {n: (i + 0.5) / len(ref) for i, n in enumerate(ref)} if ref else {}
    own = {n: (i + 0.5) / len(layer) for i, n in enumerate(layer)}

    def key(node: str) -> tuple[float, float]:
        neighbours = g.predecessors(node) if predecessors else g.successors(node)
        ys = [pos[m] for m in neighbours if m in pos]
        # A node with no neighbour in the reference layer keeps its place.
        return (sum(ys) / len(ys) if ys else own[node], own[node])

    return sorted(layer, key=key)


def count_crossings(g: nx.DiGraph, order: list[list[str]]) -> int:
    """How many pairs of edges between adjacent layers cross, for the given orderings."""
    index = {n: i for layer in order for i, n in enumerate(layer)}
    layer_of = {n: k for k, layer in enumerate(order) for n in layer}
    total = 0
    for k in range(len(order) - 1):
        edges = [
            (index[u], index[v]) for u, v in g.edges() if layer_of.get(u) == k and layer_of.get(v) == k + 1
        ]
        total += sum(1 for (a, b), (c, d) in combinations(edges, 2) if (a - c) * (b - d) < 0)
    return total


def layered_positions(g: nx.DiGraph) -> dict[str, tuple[float, float]]:
    """x (the layer, 0..4) and y (0 at the top, up to the size of the tallest layer) of every node."""
    order = order_layers(g)
    height = max((len(layer) for layer in order), default=1)
    positions: dict[str, tuple[float, float]] = {}
    for x, layer in enumerate(order):
        step = height / len(layer) if layer else 0.0
        for i, node in enumerate(layer):
            positions[node] = (float(x), (i + 0.5) * step)
    return positions
