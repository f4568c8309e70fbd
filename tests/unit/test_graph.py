"""The rule graph: nodes and edges, the filters, the session highlight, the layout and every export format."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from photon_doctor.engine.diagnosis import diagnose
from photon_doctor.foundation.errors import DeviceError
from photon_doctor.foundation.evidence import Observation
from photon_doctor.graph.build import build_graph, fired_rules, highlight, subgraph_around, value_tests
from photon_doctor.graph.dot import dot_quote, to_dot
from photon_doctor.graph.export import export, mermaid_ids, to_graphml, to_json, to_mermaid
from photon_doctor.graph.html import to_html
from photon_doctor.graph.layout import count_crossings, layered_positions, layers, order_layers
from photon_doctor.graph.render import matplotlib_available, render_image
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.knowledge.model import Condition, Kind, KnowledgeBase, ObservationDef, Op

from photon_doctor.output import diagnosis_json, observation_json
from tests.conftest import KB_MINI


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge(KB_MINI)


@pytest.fixture(scope="module")
def g(kb: KnowledgeBase) -> nx.DiGraph:
    return build_graph(kb)


def session_for(kb: KnowledgeBase, answers: dict[str, Any]) -> dict[str, Any]:
    """A session record as `diagnose` saves it, made by the real engine from literal answers."""
    observations = {k: Observation(k, v) for k, v in answers.items()}
    d = diagnose(kb, observations)
    return {
        "schema_version": 1,
        "observations": [observation_json(o) for o in observations.values()],
        "diagnosis": diagnosis_json(kb, d),
    }


def parse_dot(text: str) -> Any:
    """Parse DOT with pydot (a test extra); its parser triggers pyparsing deprecation warnings on import."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pydot\.")
        import pydot

        graphs = pydot.graph_from_dot_data(text)
    assert graphs is not None and len(graphs) == 1
    return graphs[0]


def dot_nodes(graph: Any) -> dict[str, dict[str, Any]]:
    found = {n.get_name().strip('"'): n.get_attributes() for n in graph.get_nodes()}
    for sub in graph.get_subgraphs():
        found.update(dot_nodes(sub))
    found.pop("node", None)  # default attribute statements
    found.pop("edge", None)
    found.pop("graph", None)
    return found


# ---------------------------------------------------------------------------------------------- the model
def test_nodes_of_each_kind(g: nx.DiGraph, kb: KnowledgeBase) -> None:
    def of(kind: str) -> set[str]:
        return {n for n, d in g.nodes(data=True) if d["kind"] == kind}

    assert of("observation") == {f"obs:{o}" for o in kb.observations}
    assert of("rule") == {f"rule:{r.id}" for r in kb.rules}
    assert of("cause") == {f"cause:{c}" for c in kb.causes}
    assert of("fix") == {f"fix:{f}" for f in kb.fixes}
    assert of("value") == {
        "val:visible_damage=true",
        "val:led_pattern=blinking_green",
        "val:led_pattern=breathing_white",
        "val:led_pattern=breathing_cyan",
        "val:signal_rssi_dbm=<-80",
        "val:device_os_version=<0.7.0",
    }


def test_node_attributes(g: nx.DiGraph) -> None:
    weak = g.nodes["rule:weak"]
    assert (weak["kind"], weak["label"], weak["cf"]) == ("rule", "weak", 0.6)
    assert weak["rationale"] == "Below -80 dBm the link drops." and weak["source"] == "reference"
    cause = g.nodes["cause:weak_signal"]
    assert (cause["description"], cause["prior"]) == ("Too weak.", 0.08)
    fix = g.nodes["fix:flash_tinker_usb"]
    assert (fix["cost"], fix["risk"], fix["reversible"]) == (10.0, "erases_data", False)
    assert g.nodes["val:signal_rssi_dbm=<-80"]["label"] == "< -80"


def test_edges_carry_condition_cf_sign_and_probability(g: nx.DiGraph) -> None:
    assert g.edges["rule:weak", "cause:weak_signal"] == {"kind": "concludes", "cf": 0.6, "sign": "+"}
    assert g.edges["rule:cyan_not_firmware", "cause:user_firmware_blocks_connection"]["sign"] == "-"
    negated = g.edges["val:led_pattern=breathing_cyan", "rule:weak"]
    assert negated["negate"] is True and negated["condition"] == "not (led_pattern is breathing_cyan)"
    assert g.edges["val:led_pattern=breathing_cyan", "rule:cyan_not_firmware"]["negate"] is False
    assert g.edges["obs:led_pattern", "val:led_pattern=breathing_cyan"]["kind"] == "value"
    assert g.edges["cause:physical_damage", "fix:contact_support_replace"] == {"kind": "fixed_by", "p": 0.95}
    rule_in = {u for u, _ in g.in_edges("rule:dent_and_green")}
    assert rule_in == {"val:visible_damage=true", "val:led_pattern=blinking_green"}


def test_every_attribute_is_graphml_compatible(g: nx.DiGraph) -> None:
    values = [v for _, d in g.nodes(data=True) for v in d.values()]
    values += [v for _, _, d in g.edges(data=True) for v in d.values()]
    values += list(g.graph.values())
    assert all(isinstance(v, (str, int, float, bool)) for v in values)


@pytest.mark.parametrize(
    ("kind", "cond", "expected"),
    [
        (Kind.ENUM, Condition("o", Op.IN, ("a", "b")), [("val:o=a", False), ("val:o=b", False)]),
        (Kind.ENUM, Condition("o", Op.NOT_IN, ("a", "b")), [("val:o=a", True), ("val:o=b", True)]),
        (Kind.ENUM, Condition("o", Op.IS_NOT, "a"), [("val:o=a", True)]),
        (Kind.ENUM, Condition("o", Op.IS_NOT, "a", negate=True), [("val:o=a", False)]),
        (Kind.BOOL, Condition("o", Op.IS, False), [("val:o=false", False)]),
        (Kind.NUMBER, Condition("o", Op.GE, -60.0), [("val:o=>=-60", False)]),
        (Kind.NUMBER, Condition("o", Op.IS, 3.0), [("val:o=3", False)]),
        (Kind.VERSION, Condition("o", Op.VERSION_LT, "0.7.0"), [("val:o=<0.7.0", False)]),
        (Kind.FIXES, Condition("o", Op.NOT_CONTAINS, "f1"), [("val:o=f1", True)]),
        (Kind.FIXES, Condition("o", Op.IS, ()), [("val:o=[]", False)]),
    ],
)
def test_value_nodes_of_a_condition(kind: Kind, cond: Condition, expected: list[tuple[str, bool]]) -> None:
    odef = ObservationDef("o", kind, "q", "h", 1.0)
    tests = value_tests(cond, odef)
    assert [(t.node, t.negate) for t in tests] == expected
    # For every value a node stands for, the condition holds exactly when the edge is not negated.
    pool: list[Any] = ["a", "b", "c", True, False, -100.0, -60.0, 0.0, 3.0, "0.6.0", "0.7.0", ("f1",), ()]
    for t in tests:
        positive = Condition("o", t.op, t.value)
        samples = [v for v in pool if positive.holds(v)]
        assert samples, t
        assert all(cond.holds(v) is (not t.negate) for v in samples), t


# ---------------------------------------------------------------------------------------------- filters
def test_subgraph_around_a_cause(g: nx.DiGraph) -> None:
    sub = subgraph_around(g, "cause:weak_signal")
    assert set(sub) == {
        "obs:signal_rssi_dbm",
        "val:signal_rssi_dbm=<-80",
        "obs:led_pattern",
        "val:led_pattern=breathing_cyan",
        "rule:weak",
        "cause:weak_signal",
        "fix:improve_signal",
    }
    assert sub.nodes["rule:weak"]["rationale"] == g.nodes["rule:weak"]["rationale"]
    assert sub.graph["focus"] == "cause:weak_signal" and "focus" not in g.graph
    # Same order as the whole graph (the knowledge's order), whatever the hash seed: stable output.
    assert list(sub) == [n for n in g if n in sub]
    assert list(sub.edges()) == [e for e in g.edges() if e in sub.edges()]


def test_subgraph_around_a_fix_and_an_observation(g: nx.DiGraph) -> None:
    fix = subgraph_around(g, "fix:contact_support_replace")
    assert {n for n in fix if n.startswith("rule:")} == {"rule:dent", "rule:dent_and_green"}
    assert "fix:improve_signal" not in fix
    obs = subgraph_around(g, "obs:visible_damage")
    downstream = {n for n in obs if n.startswith(("cause:", "fix:"))}
    assert downstream == {"cause:physical_damage", "fix:contact_support_replace"}
    assert "obs:led_pattern" not in obs  # an observation's other rules' inputs are not its ancestors
    with pytest.raises(KeyError):
        subgraph_around(g, "cause:nope")


# ---------------------------------------------------------------------------------------------- highlight
def test_highlight_marks_exactly_the_rules_of_the_trace(kb: KnowledgeBase, g: nx.DiGraph) -> None:
    answers = {"visible_damage": True, "led_pattern": "blinking_green", "signal_rssi_dbm": -85.0}
    session = session_for(kb, answers)
    traced = {e["id"] for e in session["diagnosis"]["trace"] if e["kind"] == "rule"}
    assert traced == {"dent", "dent_and_green", "weak"}
    h = highlight(g, session)
    assert fired_rules(h) == {f"rule:{r}" for r in traced}
    assert {n for n, d in h.nodes(data=True) if d["role"] == "observed"} == {
        "obs:visible_damage",
        "obs:led_pattern",
        "obs:signal_rssi_dbm",
    }
    assert {n for n, d in h.nodes(data=True) if d["role"] == "observed_value"} == {
        "val:visible_damage=true",
        "val:led_pattern=blinking_green",
        "val:signal_rssi_dbm=<-80",
    }
    ranked = [c["id"] for c in session["diagnosis"]["ranked_causes"]]
    assert [h.nodes[f"cause:{c}"]["rank"] for c in ranked] == list(range(1, len(ranked) + 1))
    assert h.nodes["rule:white"]["highlight"] is False and h.nodes["rule:white"]["role"] == ""
    # The plan lists every fix; only those for a ranked cause are marked.
    plan = [s["fix"] for s in session["diagnosis"]["plan"]]
    assert "flash_tinker_usb" in plan
    planned = {n for n, d in h.nodes(data=True) if d["role"] == "planned"}
    assert planned == {f"fix:{f}" for f in plan if any(c in ranked for c in kb.fixes[f].resolves)}, (
        "a fix is marked exactly when it resolves a ranked cause"
    )
    assert {"fix:contact_support_replace", "fix:improve_signal"} <= planned
    # Tinker is in the plan, but the application cause it resolves is below the shown threshold: not marked.
    assert "user_firmware_blocks_connection" not in ranked and "fix:flash_tinker_usb" not in planned
    assert h.edges["rule:weak", "cause:weak_signal"]["highlight"] is True
    assert h.edges["rule:white", "cause:user_firmware_blocks_connection"]["highlight"] is False
    assert h.graph["missing"] == "" and "highlight" not in g.nodes["rule:weak"]  # g itself is untouched


def test_highlight_ignores_trace_entries_that_are_not_rules(g: nx.DiGraph) -> None:
    session = {
        "observations": [{"id": "fixes_tried_failed", "value": ["flash_tinker_usb"]}],
        "diagnosis": {
            "trace": [
                {"kind": "tried_fix", "id": "white", "cause": "user_firmware_blocks_connection"},
                {"kind": "prior", "id": "dent", "cause": "physical_damage"},
                {"kind": "rule", "id": "old_os", "cause": "user_firmware_blocks_connection"},
                {"kind": "rule", "id": "gone", "cause": "weak_signal"},
            ],
            "ranked_causes": [],
        },
    }
    h = highlight(g, session)
    assert fired_rules(h) == {"rule:old_os"}
    assert h.graph["missing"] == "rule:gone"


# ---------------------------------------------------------------------------------------------- layout
def _toy() -> nx.DiGraph:
    t = nx.DiGraph()
    for n, kind in [
        ("a", "observation"),
        ("b", "observation"),
        ("vb", "value"),
        ("va", "value"),
        ("r1", "rule"),
        ("r2", "rule"),
    ]:
        t.add_node(n, kind=kind, label=n)
    t.add_edges_from([("a", "va"), ("b", "vb"), ("va", "r1"), ("vb", "r2")])
    return t


def test_barycenter_ordering_removes_crossings() -> None:
    t = _toy()
    assert count_crossings(t, layers(t)) == 2  # vb above va, r1 above r2: both gaps cross
    order = order_layers(t)
    assert count_crossings(t, order) == 0
    assert order[0] == ["a", "b"] and order[1] == ["va", "vb"]


def test_positions_are_layered_left_to_right(g: nx.DiGraph) -> None:
    pos = layered_positions(g)
    assert set(pos) == set(g)
    kinds = ["observation", "value", "rule", "cause", "fix"]
    assert all(pos[n][0] == kinds.index(d["kind"]) for n, d in g.nodes(data=True))
    height = max(len(layer) for layer in layers(g))
    assert all(0 < y < height for _, y in pos.values())
    assert count_crossings(g, order_layers(g)) <= count_crossings(g, layers(g))


# ---------------------------------------------------------------------------------------------- formats
def test_dot_parses_back_with_pydot(g: nx.DiGraph) -> None:
    parsed = parse_dot(to_dot(g))
    nodes = dot_nodes(parsed)
    assert set(nodes) == set(g)
    assert nodes["rule:weak"]["label"] == '"weak"'
    edges = {(e.get_source().strip('"'), e.get_destination().strip('"')) for e in parsed.get_edges()}
    assert edges == set(g.edges())
    assert {"rankdir": '"LR"'}.items() <= parsed.get_graph_defaults()[0].items()
    ranks = {s.get_name().strip('"'): s.get("rank") for s in parsed.get_subgraphs()}
    assert ranks == {f"kind_{k}": '"same"' for k in ("observation", "value", "rule", "cause", "fix")}


def test_dot_escapes_quotes_backslashes_and_newlines() -> None:
    t = nx.DiGraph()
    nasty = 'say "hi" \\ then\nnext'
    t.add_node('rule:a"b', kind="rule", label=nasty, rationale=nasty)
    parsed = parse_dot(to_dot(t))
    node = dot_nodes(parsed)['rule:a\\"b']
    assert node["label"] == dot_quote(nasty)


def test_graphml_parses_back_with_networkx(g: nx.DiGraph) -> None:
    back = nx.read_graphml(io.BytesIO(to_graphml(g).encode("utf-8")))
    assert set(back) == set(g) and set(back.edges()) == set(g.edges())
    assert back.nodes["rule:weak"]["cf"] == 0.6 and back.nodes["fix:flash_tinker_usb"]["reversible"] is False
    assert back.edges["val:led_pattern=breathing_cyan", "rule:weak"]["negate"] is True


def test_json_parses_back_with_networkx(g: nx.DiGraph) -> None:
    data = json.loads(to_json(g))
    back = nx.node_link_graph(data, directed=True, multigraph=False, edges="edges")
    assert dict(back.nodes(data=True)) == dict(g.nodes(data=True))
    assert {(u, v): d for u, v, d in back.edges(data=True)} == {(u, v): d for u, v, d in g.edges(data=True)}


def test_mermaid_has_every_node_and_edge(g: nx.DiGraph) -> None:
    text = to_mermaid(g)
    assert text.startswith("flowchart LR\n")
    ids = mermaid_ids(g)
    assert len(set(ids.values())) == g.number_of_nodes()
    for node, safe in ids.items():
        assert re.fullmatch(r"[A-Z]_[A-Za-z0-9_]+", safe)
        assert re.search(rf"^\s+{safe}\[\"", text, re.M), node
    arrows = re.findall(r"^\s+(\S+) (-->|-\.->)(?:\|\"[^\"]*\"\|)? (\S+)$", text, re.M)
    assert len(arrows) == g.number_of_edges()
    assert f'{ids["rule:weak"]} -->|"+0.60"| {ids["cause:weak_signal"]}' in text
    assert f'{ids["val:led_pattern=breathing_cyan"]} -.->|"not"| {ids["rule:weak"]}' in text
    assert '"#60; -80"' in text  # "<" escaped inside a label


def test_html_is_self_contained_and_has_every_node(g: nx.DiGraph) -> None:
    page = to_html(g)
    for node in g:
        assert f'data-id="{node.replace("<", "&lt;").replace(">", "&gt;")}"' in page, node
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page)
    assert "<link" not in page and "@import" not in page
    block = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', page, re.S)
    assert block is not None
    data = json.loads(block[1])
    assert set(data["nodes"]) == set(g)
    assert data["nodes"]["rule:weak"]["rationale"] == "Below -80 dBm the link drops."


def test_html_text_cannot_break_out_of_the_script(kb: KnowledgeBase) -> None:
    t = nx.DiGraph()
    t.add_node("rule:x", kind="rule", label="x", rationale="</script><script>alert(1)</script>")
    page = to_html(t)
    assert page.count("</script>") == 3  # the two data blocks' and the code's own closing tags only
    data = json.loads(re.search(r'id="graph-data">(.*?)</script>', page, re.S)[1])
    assert data["nodes"]["rule:x"]["rationale"] == "</script><script>alert(1)</script>"
    labels = json.loads(re.search(r'id="view-labels">(.*?)</script>', page, re.S)[1])
    assert labels["rule:x"] == "</script><script>alert(1)</script>"  # a rule is labelled by its rationale


@pytest.mark.skipif(shutil.which("node") is None, reason="node (to check the page's script) is not installed")
def test_html_script_is_valid_javascript(g: nx.DiGraph, tmp_path: Path) -> None:
    script = re.findall(r"<script>(.*?)</script>", to_html(g), re.S)[0]
    (tmp_path / "page.js").write_text(script, encoding="utf-8")
    done = subprocess.run(["node", "--check", str(tmp_path / "page.js")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_highlight_shows_in_every_text_format(kb: KnowledgeBase, g: nx.DiGraph) -> None:
    h = highlight(g, session_for(kb, {"led_pattern": "breathing_white"}))
    assert re.search(r'"rule:white" \[[^\]]*penwidth="3"', to_dot(h))
    assert not re.search(r'"rule:dent" \[[^\]]*penwidth="3"', to_dot(h))
    ids = mermaid_ids(h)
    assert re.search(rf"class [^\n]*\b{ids['rule:white']}\b[^\n]* highlight", to_mermaid(h))
    assert re.search(r'class="node kind-rule hl" data-id="rule:white"', to_html(h))
    assert re.search(r'class="node kind-rule faded" data-id="rule:dent"', to_html(h))


def test_unknown_format_is_refused(g: nx.DiGraph) -> None:
    with pytest.raises(ValueError, match="unknown graph format"):
        export(g, "pdf")


# ---------------------------------------------------------------------------------------------- pictures
@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
def test_graphviz_draws_svg_and_png(g: nx.DiGraph) -> None:
    svg = render_image(g, "svg", renderer="graphviz").decode("utf-8")
    assert "<svg" in svg and "weak_signal" in svg
    assert render_image(g, "png", renderer="graphviz").startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.skipif(not matplotlib_available(), reason="matplotlib (extra 'draw') is not installed")
def test_matplotlib_draws_svg_and_png(g: nx.DiGraph) -> None:
    svg = render_image(g, "svg", renderer="matplotlib").decode("utf-8")
    assert "<svg" in svg
    assert render_image(g, "png", renderer="matplotlib").startswith(b"\x89PNG\r\n\x1a\n")


def test_graphviz_missing_is_a_clear_error(
    g: nx.DiGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no dot program
    with pytest.raises(DeviceError, match=r"Graphviz.*pip install 'photon-doctor\[draw\]'"):
        render_image(g, "svg", renderer="graphviz")


@pytest.mark.skipif(matplotlib_available(), reason="matplotlib is installed, so there is always a renderer")
def test_no_renderer_at_all_is_a_clear_error(
    g: nx.DiGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DeviceError, match=r"neither Graphviz nor matplotlib.*photon-doctor\[draw\]"):
        export(g, "png")
