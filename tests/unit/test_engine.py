"""The diagnosis core: experta matching, ranking invariants (hypothesis), purity, and the experta import repair."""

from __future__ import annotations

import ast
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from photon_doctor.engine.belief import EVIDENCE_WEIGHT
from photon_doctor.engine.diagnosis import assess, diagnose, match_rule, matcher_for
from photon_doctor.engine.questions import candidate_values
from photon_doctor.engine.rete import Firing
from photon_doctor.foundation.evidence import Observation
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.knowledge.model import Kind, KnowledgeBase

from tests.conftest import KB_MINI, REPO

MINI = load_knowledge(KB_MINI)


def shipped() -> KnowledgeBase | None:
    try:
        return load_knowledge()
    except Exception:  # the shipped knowledge is tested on its own in test_knowledge_content
        return None


KBS = [MINI] + ([kb] if (kb := shipped()) is not None else [])


def observations_for(kb: KnowledgeBase) -> st.SearchStrategy[dict[str, Observation]]:
    """Random partial observation sets drawn from each observation's candidate answers."""
    parts = {}
    for odef in kb.observations.values():
        if odef.kind is Kind.FIXES:
            values: list[Any] = [(), *[(f,) for f in kb.fixes]]
        else:
            values = list(candidate_values(kb, odef)) or ([-70.0] if odef.kind is Kind.NUMBER else ["1.0.0"])
        parts[odef.id] = st.one_of(st.none(), st.sampled_from(values))
    return st.fixed_dictionaries(parts).map(
        lambda d: {k: Observation(k, v) for k, v in d.items() if v is not None}
    )


@pytest.mark.parametrize("kb", KBS, ids=lambda kb: Path(kb.source_dir).name)
def test_experta_and_pure_matcher_agree(kb: KnowledgeBase) -> None:
    @settings(max_examples=40, deadline=None)
    @given(observations_for(kb))
    def check(obs: dict[str, Observation]) -> None:
        by_experta = sorted(f.rule_id for f in matcher_for(kb).match(obs))
        by_python = sorted(r.id for r in kb.rules if match_rule(r, obs) is not None)
        assert by_experta == by_python

    check()


@pytest.mark.parametrize("kb", KBS, ids=lambda kb: Path(kb.source_dir).name)
def test_order_of_answers_does_not_change_the_result(kb: KnowledgeBase) -> None:
    @settings(max_examples=25, deadline=None)
    @given(observations_for(kb), st.randoms(use_true_random=False))
    def check(obs: dict[str, Observation], rnd: Any) -> None:
        items = list(obs.items())
        rnd.shuffle(items)
        a, b = diagnose(kb, obs), diagnose(kb, dict(items))
        assert [(c.id, c.certainty) for c in a.causes] == [(c.id, c.certainty) for c in b.causes]
        assert [s.fix for s in a.plan] == [s.fix for s in b.plan]

    check()


@pytest.mark.parametrize("kb", KBS, ids=lambda kb: Path(kb.source_dir).name)
def test_adding_supporting_evidence_never_lowers_a_cause(kb: KnowledgeBase) -> None:
    rules = list(kb.rules)

    @settings(max_examples=60, deadline=None)
    @given(
        st.sets(st.sampled_from(rules), max_size=8),
        st.sampled_from([r for r in rules if r.cf > 0]),
        st.floats(min_value=0.3, max_value=1.0),
    )
    def check(fired: set[Any], extra: Any, strength: float) -> None:
        def firing(rule: Any, s: float = 1.0) -> Firing:
            return Firing(rule.id, tuple((o, s) for o in rule.observations))

        obs = {o: Observation(o, "x") for r in [*fired, extra] for o in r.observations}
        before = assess(kb, obs, [firing(r) for r in fired if r.id != extra.id]).cause(extra.cause).certainty
        after = assess(kb, obs, [firing(r) for r in fired if r.id != extra.id] + [firing(extra, strength)])
        assert after.cause(extra.cause).certainty >= before - 1e-9

    check()


def test_mini_diagnosis_ranks_the_supported_cause_first() -> None:
    d = diagnose(MINI, {"visible_damage": Observation("visible_damage", True)})
    assert d.ranked[0].id == "physical_damage"
    # posterior odds = prior odds x the rule's likelihood ratio (cf 0.7 mapped by knowledge.model.cf_to_lr),
    # raised to the evidence weight (engine.belief.EVIDENCE_WEIGHT, the calibration)
    prior = d.cause("physical_damage").prior
    lr = MINI.rule("dent").lr ** EVIDENCE_WEIGHT
    odds = prior / (1 - prior) * lr
    others = {c.id: c for c in d.causes if c.id != "physical_damage"}
    assert all(c.probability == pytest.approx(c.prior / (1 - prior + prior * lr)) for c in others.values())
    assert d.cause("physical_damage").probability == pytest.approx(odds / (1 + odds))
    assert sum(c.probability for c in d.causes) == pytest.approx(1.0)
    assert {c.id for c in d.causes} == set(MINI.causes)


def test_tried_fix_counts_against_the_causes_it_resolves() -> None:
    base = diagnose(MINI, {"led_pattern": Observation("led_pattern", "breathing_white")})
    tried = diagnose(
        MINI,
        {
            "led_pattern": Observation("led_pattern", "breathing_white"),
            "fixes_tried_failed": Observation("fixes_tried_failed", ("flash_tinker_usb",)),
        },
    )
    assert (
        tried.cause("user_firmware_blocks_connection").certainty
        < base.cause("user_firmware_blocks_connection").certainty
    )
    assert "flash_tinker_usb" not in [s.fix for s in tried.plan]


def test_weak_probe_evidence_below_threshold_does_not_fire() -> None:
    weak = diagnose(MINI, {"visible_damage": Observation("visible_damage", True, confidence=0.15)})
    assert weak.cause("physical_damage").probability == pytest.approx(weak.cause("physical_damage").prior)
    medium = diagnose(MINI, {"visible_damage": Observation("visible_damage", True, confidence=0.5)})
    full = diagnose(MINI, {"visible_damage": Observation("visible_damage", True)})
    p0, p_half, p_full = (x.cause("physical_damage").probability for x in (weak, medium, full))
    assert p0 < p_half < p_full


def test_diagnose_does_not_touch_the_root_logger() -> None:
    root = logging.getLogger()
    handlers = list(root.handlers)
    diagnose(MINI, {"visible_damage": Observation("visible_damage", True)})
    assert root.handlers == handlers


def test_experta_imports_in_a_fresh_interpreter_without_logging_side_effects() -> None:
    code = (
        "import logging, sys; from photon_doctor.engine.rete import experta_module; "
        "e = experta_module(); assert e.KnowledgeEngine; "
        "assert not logging.getLogger().handlers, logging.getLogger().handlers; "
        "import frozendict, photon_doctor.engine.rete as r; print(r.__file__)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_only_the_rete_module_imports_experta_and_the_core_is_pure() -> None:
    forbidden_in_core = {"serial", "requests", "typer", "rich", "click", "socket", "subprocess"}
    for path in (REPO / "engine").glob("*.py"):
        tree = ast.parse(path.read_text())
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module.split(".")[0])
        assert not names & forbidden_in_core, (path.name, names & forbidden_in_core)
        if path.name != "rete.py":
            assert "experta" not in names, path.name
    for folder in ("photon_doctor", "probes", "simulator", "knowledge", "actions", "graph"):
        for path in (REPO / folder).rglob("*.py"):
            assert "import experta" not in path.read_text(), path
