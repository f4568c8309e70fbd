"""The rule graph: one ``networkx.DiGraph`` built from a validated knowledge base, and views of it.

Nodes (attribute ``kind``), left to right:

- ``obs:<id>`` observations;
- ``val:<obs>=<value>`` the values (or thresholds, e.g. ``val:signal_rssi_dbm=<-80``) a rule tests;
- ``rule:<id>`` rules; ``cause:<id>`` causes; ``fix:<id>`` fixes.

Edges: ``obs -> val`` (``kind="value"``), ``val -> rule`` (``kind="condition"``, the condition text and
``negate``: the rule needs the observation *not* to have that value), ``rule -> cause``
(``kind="concludes"``, ``cf``, ``sign``) and ``cause -> fix`` (``kind="fixed_by"``, ``p``: the probability
that the fix resolves the cause).

Every attribute is a string, a number or a bool, so the graph can be written as GraphML unchanged.
The graph is pure data: building it reads nothing but the knowledge base.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
from photon_doctor.foundation.evidence import ObsValue
from photon_doctor.graph.style import LAYER
from photon_doctor.knowledge.model import Condition, Kind, KnowledgeBase, ObservationDef, Op

_SYMBOL = {
    Op.LT: "<",
    Op.LE: "<=",
    Op.GT: ">",
    Op.GE: ">=",
    Op.VERSION_LT: "<",
    Op.VERSION_LE: "<=",
    Op.VERSION_GT: ">",
    Op.VERSION_GE: ">=",
}


def obs_node(obs_id: str) -> str:
    """The node id of an observation."""
    return f"obs:{obs_id}"


def rule_node(rule_id: str) -> str:
    """The node id of a rule."""
    return f"rule:{rule_id}"


def cause_node(cause_id: str) -> str:
    """The node id of a cause."""
    return f"cause:{cause_id}"


def fix_node(fix_id: str) -> str:
    """The node id of a fix."""
    return f"fix:{fix_id}"


@dataclass(frozen=True)
class ValueTest:
    """One value node a condition points from: the observation has ``value`` (or passes the threshold).

    ``op`` and ``value`` rebuild a positive :class:`Condition` that holds exactly for the observed values the
    node stands for; ``negate`` says that the condition needs the opposite.
    """

    obs: str
    text: str  # the part after "=" in the node id
    label: str
    op: Op
    value: Any
    negate: bool

    @property
    def node(self) -> str:
        return f"val:{self.obs}={self.text}"


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def value_tests(cond: Condition, odef: ObservationDef) -> list[ValueTest]:
    """The value nodes of one condition: one per value in ``in``/``not_in``, one threshold per comparison."""
    op, neg, obs = cond.op, cond.negate, cond.obs
    if op in _SYMBOL:
        text = f"{_SYMBOL[op]}{_fmt(cond.value)}"
        label = f"{_SYMBOL[op]} {_fmt(cond.value)}"
        if op in (Op.VERSION_LT, Op.VERSION_LE, Op.VERSION_GT, Op.VERSION_GE):
            label = f"version {label}"
        return [ValueTest(obs, text, label, op, cond.value, neg)]
    if op in (Op.IN, Op.NOT_IN):
        flip = op is Op.NOT_IN
        return [ValueTest(obs, _fmt(v), f"= {_fmt(v)}", Op.IS, v, neg != flip) for v in cond.value]
    if op in (Op.CONTAINS, Op.NOT_CONTAINS):
        flip = op is Op.NOT_CONTAINS
        return [ValueTest(obs, _fmt(cond.value), f"has {cond.value}", Op.CONTAINS, cond.value, neg != flip)]
    # is / is_not: enum, bool, number, version, and the exact list of tried fixes
    flip = op is Op.IS_NOT
    value = cond.value
    label = "= none" if odef.kind is Kind.FIXES and not value else f"= {_fmt(value)}"
    if odef.kind is Kind.BOOL:
        label = "= yes" if value else "= no"
    return [ValueTest(obs, _fmt(value), label, Op.IS, value, neg != flip)]


def build_graph(kb: KnowledgeBase) -> nx.DiGraph:
    """The rule graph of ``kb`` (see the module docstring for its nodes, edges and attributes)."""
    g = nx.DiGraph(
        name="photon-doctor rule graph", schema_version=kb.schema_version, source_dir=kb.source_dir
    )
    for o in kb.observations.values():
        attrs: dict[str, Any] = {
            "question": o.question,
            "help": o.help,
            "obs_kind": o.kind.value,
            "cost": o.cost,
            "askable": o.askable,
            "probes": ", ".join(o.probes),
        }
        if o.unit:
            attrs["unit"] = o.unit
        _add_node(g, obs_node(o.id), "observation", o.id, o.id, **attrs)
    for r in kb.rules:
        rnode = rule_node(r.id)
        _add_node(
            g,
            rnode,
            "rule",
            r.id,
            r.id,
            rationale=r.rationale,
            source=r.source,
            cf=r.cf,
            sign=_sign(r.cf),
            cause=r.cause,
            file=r.file,
            conditions="; ".join(c.describe() for c in r.conditions),
        )
        for cond in r.conditions:
            for test in value_tests(cond, kb.observations[cond.obs]):
                if test.node not in g:
                    _add_node(
                        g,
                        test.node,
                        "value",
                        test.label,
                        cond.obs,
                        obs=cond.obs,
                        op=test.op.value,
                        value_json=json.dumps(_jsonable(test.value)),
                    )
                    g.add_edge(obs_node(cond.obs), test.node, kind="value")
                _add_condition_edge(g, test.node, rnode, cond, test.negate)
    for c in kb.causes.values():
        _add_node(
            g,
            cause_node(c.id),
            "cause",
            c.id,
            c.id,
            title=c.title,
            description=c.description,
            prior=c.prior,
            source="; ".join(c.sources),
        )
    for r in kb.rules:
        g.add_edge(rule_node(r.id), cause_node(r.cause), kind="concludes", cf=r.cf, sign=_sign(r.cf))
    for f in kb.fixes.values():
        fnode = fix_node(f.id)
        _add_node(
            g,
            fnode,
            "fix",
            f.id,
            f.id,
            title=f.title,
            description=f.description,
            cost=f.cost,
            risk=f.risk.value,
            reversible=f.reversible,
            automation=f.automation,
            source="; ".join(f.sources),
        )
        for cause_id, p in f.resolves.items():
            g.add_edge(cause_node(cause_id), fnode, kind="fixed_by", p=p)
    return g


def _add_node(g: nx.DiGraph, node: str, kind: str, label: str, ref: str, **attrs: Any) -> None:
    g.add_node(node, kind=kind, label=label, ref=ref, layer=LAYER[kind], **attrs)


def _add_condition_edge(g: nx.DiGraph, src: str, dst: str, cond: Condition, negate: bool) -> None:
    if g.has_edge(src, dst):  # two conditions of one rule on the same value (a lint finding): keep both texts
        data = g.edges[src, dst]
        data["condition"] = f"{data['condition']}; {cond.describe()}"
        data["negate"] = bool(data["negate"]) or negate
        return
    g.add_edge(src, dst, kind="condition", condition=cond.describe(), op=cond.op.value, negate=negate)


def _sign(cf: float) -> str:
    return "+" if cf > 0 else "-"


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def value_condition(g: nx.DiGraph, node: str) -> Condition:
    """The positive condition a value node stands for (it holds for the observed values it represents)."""
    data = g.nodes[node]
    return Condition(obs=str(data["obs"]), op=Op(data["op"]), value=_tupled(json.loads(data["value_json"])))


def _tupled(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def subgraph_around(g: nx.DiGraph, node: str) -> nx.DiGraph:
    """The part of ``g`` that leads to ``node`` or follows from it: its ancestors, its descendants and itself.

    Raises KeyError if ``node`` is not in ``g``.
    """
    if node not in g:
        raise KeyError(node)
    keep = nx.ancestors(g, node) | nx.descendants(g, node) | {node}
    # Built in g's own order (not the set's), so the output is the same on every run.
    sub = nx.DiGraph()
    sub.graph.update(g.graph, focus=node)
    sub.add_nodes_from((n, dict(d)) for n, d in g.nodes(data=True) if n in keep)
    sub.add_edges_from((u, v, dict(d)) for u, v, d in g.edges(data=True) if u in keep and v in keep)
    return sub


def highlight(g: nx.DiGraph, session_data: Mapping[str, Any]) -> nx.DiGraph:
    """A copy of ``g`` that marks what a saved session saw and concluded.

    Every node and edge gets ``highlight`` (bool) and every node ``role``: ``observed`` for the
    observations given, ``observed_value`` for the value nodes those observations match, ``fired`` for
    exactly the rules of the diagnosis trace (entries of kind ``rule``), ``ranked`` for the ranked causes
    (with ``rank``, 1 = first) and ``planned`` for the plan's fixes for those causes (with ``step``). An
    edge is highlighted when both its ends are and, into a cause, when its rule fired. Ids of the session
    that are not in ``g`` (another knowledge base, or a filtered graph) are listed in the graph attribute
    ``missing``.
    """
    h: nx.DiGraph = g.copy()
    for _, data in h.nodes(data=True):
        data["highlight"] = False
        data["role"] = ""
    missing: list[str] = []

    def mark(node: str, role: str, **extra: Any) -> None:
        if node in h:
            h.nodes[node].update(highlight=True, role=role, **extra)
        else:
            missing.append(node)

    observed: dict[str, ObsValue] = {}
    for item in session_data.get("observations") or []:
        if isinstance(item, Mapping) and isinstance(item.get("id"), str):
            observed[item["id"]] = _tupled(item.get("value"))
            mark(obs_node(item["id"]), "observed")
    for node, data in h.nodes(data=True):
        if (
            data["kind"] == "value"
            and data["obs"] in observed
            and value_condition(h, node).holds(observed[data["obs"]])
        ):
            data.update(highlight=True, role="observed_value")
    diagnosis = session_data.get("diagnosis") or {}
    fired = {
        e["id"]
        for e in diagnosis.get("trace") or []
        if isinstance(e, Mapping) and e.get("kind") == "rule" and isinstance(e.get("id"), str)
    }
    for rule_id in sorted(fired):
        mark(rule_node(rule_id), "fired")
    ranked: set[str] = set()
    for rank, c in enumerate(diagnosis.get("ranked_causes") or [], 1):
        if isinstance(c, Mapping) and isinstance(c.get("id"), str):
            ranked.add(c["id"])
            mark(cause_node(c["id"]), "ranked", rank=rank)
    for step, s in enumerate(diagnosis.get("plan") or [], 1):
        if isinstance(s, Mapping) and isinstance(s.get("fix"), str) and _for_ranked(s, ranked):
            mark(fix_node(s["fix"]), "planned", step=step)
    for u, v, data in h.edges(data=True):
        both = bool(h.nodes[u]["highlight"] and h.nodes[v]["highlight"])
        if data["kind"] == "concludes":
            both = h.nodes[u]["role"] == "fired"
        data["highlight"] = both
    h.graph["highlighted"] = True
    h.graph["missing"] = ", ".join(missing)
    return h


def _for_ranked(step: Mapping[str, Any], ranked: set[str]) -> bool:
    """True if a plan step addresses a ranked cause (the plan also lists fixes for unlikely causes)."""
    addresses = step.get("addresses")
    if not isinstance(addresses, list):
        return True  # a session without the detail: show the whole plan
    # A cause that is not a string (a damaged or hand-edited session) is not a ranked cause id.
    return any(
        isinstance(a, Mapping) and isinstance(a.get("cause"), str) and a["cause"] in ranked for a in addresses
    )


def fired_rules(g: nx.DiGraph) -> set[str]:
    """The rule nodes a highlighted graph marks as fired."""
    return {n for n, d in g.nodes(data=True) if d.get("role") == "fired"}
