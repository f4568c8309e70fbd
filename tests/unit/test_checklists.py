"""Checklists ("tick all that apply"): loaded and validated, valued by their items, answered item by item; an
unticked item is no answer, and a settling list ends its items' single questions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from photon_doctor.engine.diagnosis import diagnose
from photon_doctor.engine.questions import CHECKLIST_PREFIX, question_def, rank_questions
from photon_doctor.foundation.errors import KnowledgeError
from photon_doctor.foundation.evidence import Observation, Provenance
from photon_doctor.foundation.ids import TRIED_PREFIX
from photon_doctor.knowledge.loader import load_knowledge

from photon_doctor.answers import AnswerError, parse_value
from photon_doctor.evaluate import Case, Oracle
from photon_doctor.interview import Interview
from tests.conftest import KB_MINI

CHECKLIST = """schema_version = 1

[[checklist]]
id = "noticed"
question = "Tick all that apply."
help = "Only what you know."
cost = 1.0
settles = true
[[checklist.item]]
obs = "visible_damage"
value = true
text = "It is dented"
[[checklist.item]]
obs = "led_pattern"
value = "breathing_white"
text = "It breathes white"
"""


@pytest.fixture()
def kb_dir(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(KB_MINI, target)
    (target / "checklists.toml").write_text(CHECKLIST)
    return target


def test_checklist_loads_with_item_keys(kb_dir: Path) -> None:
    kb = load_knowledge(kb_dir)
    cl = kb.checklists["noticed"]
    assert [i.key for i in cl.items] == ["visible_damage=yes", "led_pattern=breathing_white"]
    assert cl.settles and cl.observations == ("visible_damage", "led_pattern")


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('obs = "visible_damage"', 'obs = "dent"', "item[0].obs"),
        ("value = true", 'value = "yes"', "item[0].value"),
        ('value = "breathing_white"', 'value = "purple"', "item[1].value"),
        ('obs = "led_pattern"', 'obs = "signal_rssi_dbm"', "item[1].obs"),
        ('text = "It is dented"', 'text = ""', "item[0].text"),
        ('id = "noticed"', 'id = "led_pattern"', "id"),
        ('text = "It is dented"', 'text = "It is dented"\ngroup = 3', "item[0].group"),
    ],
)
def test_bad_checklist_is_named_precisely(kb_dir: Path, old: str, new: str, field: str) -> None:
    path = kb_dir / "checklists.toml"
    path.write_text(path.read_text().replace(old, new, 1))
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(kb_dir)
    assert "checklists.toml" in str(err.value) and field in str(err.value)


def test_a_long_list_reads_in_parts_under_headings_and_its_numbers_run_on() -> None:
    """The shipped "what changed" list (18 lines) is shown under three headings; an answer is still the numbers."""
    from photon_doctor.terminal import TerminalAnswerer

    kb = load_knowledge()
    odef = question_def(kb, {}, CHECKLIST_PREFIX + "what_changed")
    lines = TerminalAnswerer(kb)._choices(odef)
    headings = [line.strip() for line in lines if not line.strip()[:1].isdigit()]
    assert headings == ["Lately:", "The device's firmware:", "Your Wi-Fi network:"]
    numbers = [int(line.split(")")[0]) for line in lines if line.strip()[:1].isdigit()]
    assert numbers == list(range(1, len(odef.choices) + 1))
    assert lines.index("  The device's firmware:") == 6  # after "Lately:" and its five lines


def test_a_knowledge_base_without_checklists_has_none() -> None:
    assert load_knowledge(KB_MINI).checklists == {}


def test_checklist_is_offered_before_its_items_and_settles_them(kb_dir: Path) -> None:
    kb = load_knowledge(kb_dir)
    d = diagnose(kb, {})
    asked = [q.obs for q in rank_questions(kb, {}, d)]
    assert CHECKLIST_PREFIX + "noticed" in asked
    assert "visible_damage" not in asked and "led_pattern" not in asked  # asked through the list first
    after = [q.obs for q in rank_questions(kb, {}, d, {CHECKLIST_PREFIX + "noticed"})]
    assert not {"visible_damage", "led_pattern", CHECKLIST_PREFIX + "noticed"} & set(after)


def test_ticked_items_answer_and_unticked_items_answer_nothing(kb_dir: Path) -> None:
    kb = load_knowledge(kb_dir)
    interview = Interview(kb)
    odef = question_def(kb, {}, CHECKLIST_PREFIX + "noticed")
    value = parse_value(kb, odef, "1")
    interview.record(Observation(odef.id, value, 1.0, Provenance("person")))
    assert interview.observations["visible_damage"].value is True
    assert "led_pattern" not in interview.observations  # not "false": no answer at all
    assert CHECKLIST_PREFIX + "noticed" in interview.settled()
    assert interview.back() == CHECKLIST_PREFIX + "noticed"
    assert interview.observations == {} and not interview.settled()


def test_checklist_answers_are_item_numbers_or_keys(kb_dir: Path) -> None:
    kb = load_knowledge(kb_dir)
    odef = question_def(kb, {}, CHECKLIST_PREFIX + "noticed")
    assert parse_value(kb, odef, "2, visible_damage=yes") == (
        "led_pattern=breathing_white",
        "visible_damage=yes",
    )
    assert parse_value(kb, odef, "") == ()
    with pytest.raises(AnswerError, match="unknown item"):
        parse_value(kb, odef, "7")


def test_an_item_already_known_is_not_offered_again(kb_dir: Path) -> None:
    kb = load_knowledge(kb_dir)
    known = {"visible_damage": Observation("visible_damage", False, 1.0, Provenance("person"))}
    assert list(question_def(kb, known, CHECKLIST_PREFIX + "noticed").choices) == [
        "led_pattern=breathing_white"
    ]


def test_oracle_ticks_exactly_the_items_the_case_holds(kb_dir: Path) -> None:
    kb = load_knowledge(kb_dir)
    obs = {
        "visible_damage": Observation("visible_damage", True, 1.0, Provenance("case")),
        "led_pattern": Observation("led_pattern", "blinking_green", 1.0, Provenance("case")),
    }
    case = Case("c", "", obs, ("physical_damage",), (), "x.json")
    odef = question_def(kb, {}, CHECKLIST_PREFIX + "noticed")
    assert Oracle(kb, case).answer(odef, 1) == "visible_damage=yes"


def test_a_resumed_session_does_not_ask_the_tried_fix_or_checklist_questions_again() -> None:
    kb = load_knowledge()
    fix = next(iter(kb.fixes))
    first, second = list(kb.checklists)[:2]
    interview = Interview(kb)
    interview.record(Observation(TRIED_PREFIX + fix, True, 1.0, Provenance("person")))
    odef = question_def(kb, {}, CHECKLIST_PREFIX + first)
    interview.record(Observation(odef.id, parse_value(kb, odef, "1"), 1.0, Provenance("person")))
    interview.skip(CHECKLIST_PREFIX + second)
    record = {
        "observations": interview.observations,
        "skipped": sorted(interview.skipped),
        **interview.session_fields(),
    }
    saved = json.loads(json.dumps({k: v for k, v in record.items() if k != "observations"}))

    resumed = Interview(kb)
    resumed.observations.update(interview.observations)  # the shell restores these from the session file
    resumed.restore_session_fields(saved)
    assert resumed.settled() == interview.settled()
    assert {TRIED_PREFIX + fix, CHECKLIST_PREFIX + first, CHECKLIST_PREFIX + second} <= resumed.settled()
    # what each list offered comes back too (it says which of its items the list settled)
    offered = tuple(kb.checklists[first].observations[:2])
    again = Interview(kb)
    again.restore_session_fields(
        json.loads(json.dumps({"checklists_offered": {CHECKLIST_PREFIX + first: [*offered, "no_such_obs"]}}))
    )
    assert again.offered == {CHECKLIST_PREFIX + first: offered}
    assert fix in resumed.observations["fixes_tried_failed"].value


def test_restore_ignores_what_this_knowledge_base_does_not_know() -> None:
    kb = load_knowledge()
    interview = Interview(kb)
    interview.restore_session_fields(
        {
            "tried_answers": {"no_such_fix": True, next(iter(kb.fixes)): "yes"},
            "checklists_asked": {"checklist:nope": [], "led_pattern": []},
            "skipped": ["checklist:nope", "tried:nope", 3],
        }
    )
    assert interview.settled() == set() and interview.tried_answers == {}


def test_why_a_checklist_says_what_each_line_would_change() -> None:
    from photon_doctor.engine.explain import why_question

    kb = load_knowledge()
    cl = next(iter(kb.checklists.values()))
    w = why_question(kb, {}, diagnose(kb, {}), CHECKLIST_PREFIX + cl.id)
    assert [a["value"] for a in w["answers"]] == [i.text for i in cl.items]
    assert any(a["changes"] for a in w["answers"])


def test_a_list_settles_only_the_items_it_offered() -> None:
    """A list shows only the items that could still teach something; one it left out was never put to the owner."""
    from photon_doctor.engine.questions import settled_by_checklists

    kb = load_knowledge()
    cl = next(c for c in kb.checklists.values() if c.settles)
    qid = CHECKLIST_PREFIX + cl.id
    shown = cl.observations[:2]
    assert settled_by_checklists(kb, {qid}) == set(cl.observations)  # what it offered unknown: all of them
    assert settled_by_checklists(kb, {qid}, {qid: shown}) == set(shown)


def test_an_item_left_out_of_a_list_is_asked_once_it_matters() -> None:
    """The thread's second poster (demo thread-second-poster): with what the probes found, the first list leaves
    out "it resets when I press the module" (no dent known then) and the second one ticks the dent; the interview
    asks about the reset afterwards, and the damage leads as it does with every fact given at once."""
    from photon_doctor.foundation.evidence import Source

    from photon_doctor.interview import run

    kb = load_knowledge()
    probed = {  # what the demo's probes find on the simulated unit, before any question
        "captive_portal": False,
        "cli_login_ok": True,
        "cloud_lists_device": True,
        "cloud_online": False,
        "cloud_ownership": "yours",
        "device_os_version": "2.3.1",
        "device_scan_lists_networks": True,
        "listening_mode_enters": True,
        "module_dependencies_ok": True,
        "network_band": "band_2_4ghz",
        "network_security": "wpa2_psk",
        "port_5683_reachable": True,
        "signal_rssi_dbm": -66,
        "softap_visible": True,
        "target_network_in_scan": True,
        "usb_serial_responds": True,
    }
    owner = {  # what its owner knows
        "led_pattern": "blinking_cyan",
        "other_network_works": True,
        "other_devices_same_network_work": True,
        "visible_damage": True,
        "reboots_when_pressed": True,
    }
    facts = {k: Observation(k, v) for k, v in {**probed, **owner}.items()}
    case = Case("second", "", facts, ("physical_damage",), (), "x.json")
    interview = Interview(kb)
    interview.observations.update({k: facts[k] for k in probed})
    d = run(interview, Oracle(kb, case), source=Source.CASE)
    assert "reboots_when_pressed" in interview.observations
    assert d.causes[0].id == "physical_damage"
    assert d.causes[0].probability == pytest.approx(diagnose(kb, facts).causes[0].probability, abs=0.05)
