"""`kb check`: each anomaly is found in a small knowledge dir written for the test, and nothing else is."""

from __future__ import annotations

import dataclasses
import itertools
import re
from pathlib import Path
from types import MappingProxyType

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from photon_doctor.graph.lint import Finding, LintReport, cycle_findings, lint
from photon_doctor.graph.values import _successor, implies, key_to_version, satisfiable
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.knowledge.model import Condition, Kind, ObservationDef, Op, version_key

from tests.conftest import KB_MINI

TRIED = "fixes_tried_failed"

OBSERVATIONS = """schema_version = 1

[[observation]]
id = "led"
kind = "enum"
question = "LED?"
help = "Look."
cost = 1
[observation.choices]
a = "a"
b = "b"
c = "c"
d = "d"

[[observation]]
id = "dent"
kind = "bool"
question = "Dent?"
help = "Look."
cost = 1

[[observation]]
id = "rssi"
kind = "number"
question = "RSSI?"
help = "Scan."
cost = 2

[[observation]]
id = "os"
kind = "version"
question = "OS?"
help = "Inspect."
cost = 2

[[observation]]
id = "fixes_tried_failed"
kind = "fixes"
question = "Tried?"
help = "List."
cost = 1
"""

CAUSES = """schema_version = 1
[[cause]]
id = "c1"
title = "C1"
description = "Cause one."
prior = 0.1
sources = ["test"]

[[cause]]
id = "c2"
title = "C2"
description = "Cause two."
prior = 0.1
sources = ["test"]
"""

FIXES = """schema_version = 1
[[fix]]
id = "f1"
title = "F1"
description = "Fix one."
cost = 5
risk = "harmless"
reversible = true
changes = "nothing"
steps = ["do it"]
[fix.resolves]
c1 = 0.9

[[fix]]
id = "f2"
title = "F2"
description = "Fix two."
cost = 5
risk = "harmless"
reversible = true
changes = "nothing"
steps = ["do it"]
[fix.resolves]
c2 = 0.8
"""

RULES = """schema_version = 1
[[rule]]
id = "r1"
cause = "c1"
cf = 0.7
when = [{ obs = "led", is = "a" }]
rationale = "r1"
source = "test"

[[rule]]
id = "r2"
cause = "c2"
cf = 0.6
when = [{ obs = "rssi", lt = -80 }, { obs = "dent", is = true }]
rationale = "r2"
source = "test"

[[rule]]
id = "r3"
cause = "c2"
cf = 0.3
when = [{ obs = "os", version_lt = "1.0.0" }]
rationale = "r3"
source = "test"
"""


def rule(rule_id: str, cause: str, cf: float, *conditions: str) -> str:
    return (
        f'\n[[rule]]\nid = "{rule_id}"\ncause = "{cause}"\ncf = {cf}\nwhen = [{", ".join(conditions)}]\n'
        f'rationale = "{rule_id}"\nsource = "test"\n'
    )


def cause(cause_id: str) -> str:
    return (
        f'\n[[cause]]\nid = "{cause_id}"\ntitle = "T"\ndescription = "D."\nprior = 0.1\nsources = ["test"]\n'
    )


def fix(fix_id: str, *causes: str) -> str:
    resolves = "\n".join(f"{c} = 0.5" for c in causes)
    return (
        f'\n[[fix]]\nid = "{fix_id}"\ntitle = "T"\ndescription = "D."\ncost = 5\nrisk = "harmless"\n'
        f'reversible = true\nchanges = "nothing"\nsteps = ["do it"]\n[fix.resolves]\n{resolves}\n'
    )


def write_kb(
    root: Path, *, observations: str = "", causes: str = "", rules: str = "", fixes: str = ""
) -> Path:
    """A knowledge dir: the clean base plus the given TOML appended to each file."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "observations.toml").write_text(OBSERVATIONS + observations, encoding="utf-8")
    (root / "causes.toml").write_text(CAUSES + causes, encoding="utf-8")
    (root / "fixes.toml").write_text(FIXES + fixes, encoding="utf-8")
    (root / "rules.toml").write_text(RULES + rules, encoding="utf-8")
    return root


def check(tmp_path: Path, strict: bool = False, **extra: str) -> LintReport:
    return lint(load_knowledge(write_kb(tmp_path / "kb", **extra)), strict=strict)


def codes(report: LintReport) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(f.severity.value, f.code, f.nodes) for f in (*report.errors, *report.warnings)]


def test_the_base_knowledge_is_clean(tmp_path: Path) -> None:
    # fixes_tried_failed is used by no rule, but the engine reads it itself: not "unused".
    report = check(tmp_path)
    assert codes(report) == [] and not report.failed
    assert not lint(load_knowledge(write_kb(tmp_path / "k")), strict=True).failed


def test_kb_mini_has_one_subsumed_rule() -> None:
    report = lint(load_knowledge(KB_MINI))
    nodes = ("rule:dent_and_green", "rule:dent", "cause:physical_damage")
    assert codes(report) == [("warning", "rule-subsumed", nodes)]
    assert not report.failed and lint(load_knowledge(KB_MINI), strict=True).failed


# ---------------------------------------------------------------------------------------------- deficiency
def test_cause_without_rules_and_its_fix(tmp_path: Path) -> None:
    report = check(tmp_path, causes=cause("c3"), fixes=fix("f3", "c3"))
    assert codes(report) == [
        ("error", "cause-unconcluded", ("cause:c3",)),
        ("error", "fix-unreachable", ("fix:f3", "cause:c3")),
    ]
    assert "no rule concludes it positively" in report.errors[0].message


def test_cause_with_only_negative_rules(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        causes=cause("c4"),
        fixes=fix("f4", "c4", "c1"),
        rules=rule("against", "c4", -0.4, '{ obs = "led", is = "b" }'),
    )
    # f4 also resolves c1, which is concluded, so f4 can still be proposed.
    assert codes(report) == [("error", "cause-unconcluded", ("cause:c4",))]
    assert "only rules against it" in report.errors[0].message


def test_cause_whose_only_positive_rule_cannot_fire(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        causes=cause("c5"),
        fixes=fix("f5", "c5"),
        rules=rule("dead", "c5", 0.5, '{ obs = "led", is = "a" }', '{ obs = "led", is = "b" }'),
    )
    assert [c for _, c, _ in codes(report)] == ["rule-never-fires", "cause-unconcluded", "fix-unreachable"]
    assert "(dead)" in report.errors[1].message


def test_cause_without_a_fix(tmp_path: Path) -> None:
    report = check(tmp_path, causes=cause("c6"), rules=rule("r6", "c6", 0.5, '{ obs = "led", is = "c" }'))
    assert codes(report) == [("error", "cause-unfixable", ("cause:c6",))]


def test_fix_that_resolves_nothing(tmp_path: Path) -> None:
    kb = load_knowledge(write_kb(tmp_path / "kb"))
    empty = dataclasses.replace(kb.fixes["f2"], resolves=MappingProxyType({}))
    kb = dataclasses.replace(kb, fixes=MappingProxyType({**kb.fixes, "f2": empty}))
    assert codes(lint(kb)) == [
        ("error", "cause-unfixable", ("cause:c2",)),
        ("error", "fix-resolves-nothing", ("fix:f2",)),
    ]


def test_unused_observation(tmp_path: Path) -> None:
    extra = '\n[[observation]]\nid = "unused"\nkind = "bool"\nquestion = "?"\nhelp = "h"\ncost = 1\n'
    report = check(tmp_path, observations=extra)
    assert codes(report) == [("warning", "observation-unused", ("obs:unused",))]
    assert not report.failed
    assert check(tmp_path / "s", strict=True, observations=extra).failed


# ---------------------------------------------------------------------------------------------- never firing
@pytest.mark.parametrize(
    ("conditions", "fires"),
    [
        (['{ obs = "led", is = "a" }', '{ obs = "led", is = "b" }'], False),
        (['{ obs = "led", is = "a" }', '{ obs = "led", not_in = ["a", "c"] }'], False),
        (['{ obs = "led", is = "a" }', '{ not = { obs = "led", in = ["a", "b"] } }'], False),
        (['{ obs = "led", not_in = ["a", "b", "c", "d"] }'], False),
        (['{ obs = "rssi", lt = -80 }', '{ obs = "rssi", gt = -60 }'], False),
        (['{ obs = "rssi", lt = -80 }', '{ obs = "rssi", ge = -80 }'], False),
        (['{ obs = "rssi", is = -70 }', '{ obs = "rssi", is_not = -70 }'], False),
        (['{ obs = "dent", is = true }', '{ obs = "dent", is = false }'], False),
        (['{ obs = "os", version_lt = "0.7.0" }', '{ obs = "os", version_ge = "1.0.0" }'], False),
        (['{ obs = "os", is = "1.0.0" }', '{ obs = "os", version_lt = "1.0.0" }'], False),
        ([f'{{ obs = "{TRIED}", contains = "f1" }}', f'{{ obs = "{TRIED}", not_contains = "f1" }}'], False),
        ([f'{{ obs = "{TRIED}", is = [] }}', f'{{ obs = "{TRIED}", contains = "f2" }}'], False),
        # Satisfiable, if narrowly: none of these may be reported.
        (['{ obs = "rssi", le = -80 }', '{ obs = "rssi", ge = -80 }'], True),
        (['{ obs = "rssi", lt = -80 }', '{ obs = "rssi", gt = -81 }'], True),
        (['{ obs = "os", version_gt = "1.5.2" }', '{ obs = "os", version_lt = "1.5.3" }'], True),
        (
            [
                '{ obs = "os", version_ge = "0.7.0" }',
                '{ obs = "os", is_not = "0.7.0" }',
                '{ obs = "os", version_le = "0.7.0" }',
            ],
            True,
        ),
        (['{ obs = "led", is_not = "a" }', '{ obs = "led", not_in = ["b", "c"] }'], True),
        ([f'{{ obs = "{TRIED}", contains = "f1" }}', f'{{ obs = "{TRIED}", not_contains = "f2" }}'], True),
    ],
)
def test_rule_that_can_never_fire(tmp_path: Path, conditions: list[str], fires: bool) -> None:
    report = check(tmp_path, rules=rule("x", "c1", 0.4, *conditions, '{ obs = "dent", is = true }'))
    found = [f for f in report.errors if f.code == "rule-never-fires"]
    if fires:
        assert codes(report) == []
    else:
        assert len(found) == 1 and found[0].nodes[0] == "rule:x"
        assert codes(report) == [("error", "rule-never-fires", found[0].nodes)]
        clashing = re.search(r'obs = "(\w+)"', conditions[0])[1]  # type: ignore[index]
        assert found[0].nodes == ("rule:x", f"obs:{clashing}")  # only the observation whose conditions clash


# ---------------------------------------------------------------------------------------------- redundancy
@pytest.mark.parametrize(
    ("extra", "specific", "general"),
    [
        (rule("r1b", "c1", 0.4, '{ obs = "led", in = ["a"] }', '{ obs = "dent", is = true }'), "r1b", "r1"),
        (rule("r2b", "c2", 0.5, '{ obs = "rssi", lt = -90 }', '{ obs = "dent", is = true }'), "r2b", "r2"),
        (rule("wide", "c2", 0.5, '{ obs = "rssi", lt = -70 }', '{ obs = "dent", is = true }'), "r2", "wide"),
        (rule("r3b", "c2", 0.2, '{ obs = "os", version_le = "0.7.0" }'), "r3b", "r3"),
        (
            rule(
                "r1c", "c1", 0.2, '{ obs = "led", is = "a" }', '{ obs = "fixes_tried_failed", is = ["f2"] }'
            ),
            "r1c",
            "r1",
        ),
    ],
)
def test_subsumed_rule(tmp_path: Path, extra: str, specific: str, general: str) -> None:
    report = check(tmp_path, rules=extra)
    cause_id = "c1" if general.startswith("r1") else "c2"
    nodes = (f"rule:{specific}", f"rule:{general}", f"cause:{cause_id}")
    assert codes(report) == [("warning", "rule-subsumed", nodes)]
    assert "twice" in report.warnings[0].message and not report.failed
    strict = check(tmp_path / "strict", strict=True, rules=extra)
    assert codes(strict) == [("error", "rule-subsumed", report.warnings[0].nodes)] and strict.failed


def test_a_rule_that_says_it_refines_the_general_one_is_no_finding(tmp_path: Path) -> None:
    extra = rule("r1b", "c1", 0.4, '{ obs = "led", in = ["a"] }', '{ obs = "dent", is = true }')
    declared = extra.replace('source = "test"', 'source = "test"\nrefines = "r1"')
    assert codes(check(tmp_path, strict=True, rules=declared)) == []


def test_a_rule_under_two_general_rules_names_both(tmp_path: Path) -> None:
    """r1 (LED a) and dent1 (a dent) both fire whenever both_a (LED a and a dent) does: naming one leaves the other
    counted twice; naming both is no finding; naming a rule that does not always fire with it is an error."""
    both = rule("dent1", "c1", 0.3, '{ obs = "dent", is = true }') + rule(
        "both_a", "c1", 0.4, '{ obs = "led", is = "a" }', '{ obs = "dent", is = true }'
    )
    one = both.replace('rationale = "both_a"', 'refines = "r1"\nrationale = "both_a"')
    assert codes(check(tmp_path / "one", rules=one)) == [
        ("warning", "rule-subsumed", ("rule:both_a", "rule:dent1", "cause:c1"))
    ]
    two = both.replace('rationale = "both_a"', 'refines = ["r1", "dent1"]\nrationale = "both_a"')
    assert codes(check(tmp_path / "two", strict=True, rules=two)) == []
    loose = rule("dent_b", "c1", 0.3, '{ obs = "led", is = "b" }') + two.replace(
        'refines = ["r1", "dent1"]', 'refines = ["r1", "dent1", "dent_b"]'
    )
    assert ("error", "rule-refines", ("rule:both_a", "rule:dent_b", "cause:c1")) in codes(
        check(tmp_path / "loose", rules=loose)
    )


def test_refining_a_rule_that_does_not_always_fire_with_it_is_an_error(tmp_path: Path) -> None:
    # r1 needs the LED to be "a" (and a dent); this rule fires on a dent alone, so r1 is no more general.
    extra = rule("loose", "c1", 0.4, '{ obs = "dent", is = true }').replace(
        'source = "test"', 'source = "test"\nrefines = "r1"'
    )
    report = check(tmp_path, rules=extra)
    assert ("error", "rule-refines", ("rule:loose", "rule:r1", "cause:c1")) in codes(report) and report.failed


@pytest.mark.parametrize(
    "extra",
    [
        # opposite sign: an exception that takes some of r1's support back, not redundancy
        rule("exception", "c1", -0.3, '{ obs = "led", is = "a" }', '{ obs = "dent", is = true }'),
        rule("other_cause", "c2", 0.3, '{ obs = "led", is = "a" }', '{ obs = "dent", is = true }'),
        rule(
            "overlap",
            "c1",
            0.3,
            '{ obs = "led", in = ["a", "b"] }',
            '{ obs = "dent", is = true }',
            '{ obs = "rssi", gt = 0 }',
        )
        + rule("overlap2", "c1", 0.3, '{ obs = "led", in = ["b", "c"] }'),
    ],
)
def test_rules_that_are_not_redundant(tmp_path: Path, extra: str) -> None:
    assert codes(check(tmp_path, rules=extra)) == []


def test_duplicate_rule(tmp_path: Path) -> None:
    report = check(tmp_path, rules=rule("same", "c1", 0.5, '{ not = { obs = "led", is_not = "a" } }'))
    assert codes(report) == [("warning", "rule-duplicate", ("rule:r1", "rule:same", "cause:c1"))]


def test_conflicting_rules(tmp_path: Path) -> None:
    report = check(tmp_path, rules=rule("contra", "c1", -0.5, '{ obs = "led", in = ["a"] }'))
    assert codes(report) == [("error", "rule-conflict", ("rule:r1", "rule:contra", "cause:c1"))]
    assert report.failed


# ---------------------------------------------------------------------------------------------- cycles
def test_cycles_are_reported() -> None:
    g = nx.DiGraph([("rule:a", "cause:b"), ("cause:b", "obs:c"), ("obs:c", "rule:a"), ("obs:c", "fix:d")])
    (finding,) = cycle_findings(g)
    assert finding.code == "cycle" and set(finding.nodes) == {"rule:a", "cause:b", "obs:c"}
    assert cycle_findings(nx.DiGraph([("a", "b"), ("b", "c")])) == []


def test_json_report_shape(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        causes=cause("c6"),
        rules=rule("r1b", "c1", 0.4, '{ obs = "led", in = ["a"] }', '{ obs = "dent", is = true }')
        + rule("r6", "c6", 0.5, '{ obs = "led", is = "c" }'),
    )
    data = report.to_json()
    assert set(data) == {"schema_version", "errors", "warnings"} and data["schema_version"] == 1
    assert [f["code"] for f in data["errors"]] == ["cause-unfixable"]
    assert [f["code"] for f in data["warnings"]] == ["rule-subsumed"]
    assert set(data["errors"][0]) == {"severity", "code", "nodes", "message"}
    assert isinstance(report.errors[0], Finding)


# ---------------------------------------------------------------------------------------------- candidates
def _all_keys(top: int) -> list[tuple[int, ...]]:
    r = range(top + 1)
    return [(*n, rel) for n in itertools.product(r, r, r) for rel in (0, 1)] + [
        (*n, rel) for n in itertools.product(r, r, r, r) for rel in (0, 1)
    ]


def test_version_successor_has_nothing_in_between() -> None:
    universe = sorted(_all_keys(3))
    for key in _all_keys(2):
        nxt = _successor(key)
        assert nxt > key and version_key(key_to_version(nxt)) == nxt
        assert not any(key < k < nxt for k in universe), key


_NUMBER = ObservationDef("n", Kind.NUMBER, "q", "h", 1.0)
_VERSION = ObservationDef("v", Kind.VERSION, "q", "h", 1.0)
_number_conditions = st.lists(
    st.builds(
        Condition,
        st.just("n"),
        st.sampled_from([Op.LT, Op.LE, Op.GT, Op.GE, Op.IS, Op.IS_NOT]),
        st.integers(-4, 4).map(float),
        st.booleans(),
    ),
    min_size=1,
    max_size=3,
)
_GRID = [x / 4 for x in range(-24, 25)]
_VERSIONS = [key_to_version(k) for k in _all_keys(2)]
_version_conditions = st.lists(
    st.builds(
        Condition,
        st.just("v"),
        st.sampled_from([Op.VERSION_LT, Op.VERSION_LE, Op.VERSION_GT, Op.VERSION_GE]),
        st.sampled_from([key_to_version(k) for k in _all_keys(1)]),
        st.booleans(),
    ),
    min_size=1,
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(_number_conditions, _number_conditions)
def test_number_candidates_decide_like_brute_force(a: list[Condition], b: list[Condition]) -> None:
    assert satisfiable(_NUMBER, a) == any(all(c.holds(v) for c in a) for v in _GRID)
    brute = all(all(c.holds(v) for c in b) for v in _GRID if all(c.holds(v) for c in a))
    assert implies(_NUMBER, a, b) == brute


@settings(max_examples=300, deadline=None)
@given(_version_conditions, _version_conditions)
def test_version_candidates_decide_like_brute_force(a: list[Condition], b: list[Condition]) -> None:
    assert satisfiable(_VERSION, a) == any(all(c.holds(v) for c in a) for v in _VERSIONS)
    brute = all(all(c.holds(v) for c in b) for v in _VERSIONS if all(c.holds(v) for c in a))
    assert implies(_VERSION, a, b) == brute
