"""A fix's chance of resolving a cause may depend on the situation (``[[fix.resolves_when]]``): loading it, the
engine using it for the plan and for failed fixes, and WHY saying so. The WEP key form behind the shipped entry.
And the interview's own situation: the LED pattern right after its colour."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from photon_doctor.actions.errors import ActionFailed
from photon_doctor.actions.fix_network import wep_key_for_device
from photon_doctor.engine.diagnosis import diagnose
from photon_doctor.engine.explain import why_fix
from photon_doctor.engine.questions import next_question
from photon_doctor.foundation.errors import KnowledgeError
from photon_doctor.foundation.evidence import Observation
from photon_doctor.foundation.ids import FIXES_TRIED_FAILED
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.knowledge.model import KnowledgeBase
from photon_doctor.simulator.world import wep_key_as_stored, wep_router_key

from photon_doctor.plain import why_fix_text
from tests.conftest import KB_MINI

ENTRY = """
[[fix.resolves_when]]
cause = "weak_signal"
q = 0.9
when = [{ obs = "visible_damage", is = true }]
why = "With a dent, Tinker is the fix."
source = "test"
"""


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


@pytest.fixture()
def kb_dir(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(KB_MINI, target)
    return target


def _add_entry(kb_dir: Path, entry: str = ENTRY) -> None:
    path = kb_dir / "fixes.toml"
    text = path.read_text()
    marker = "user_firmware_blocks_connection = 0.9\n"
    assert marker in text
    path.write_text(text.replace(marker, marker + entry, 1))


def test_an_entry_changes_the_chance_only_where_its_conditions_hold(kb_dir: Path) -> None:
    _add_entry(kb_dir)
    kb = load_knowledge(kb_dir)
    fix = kb.fixes["flash_tinker_usb"]
    assert "weak_signal" not in fix.resolves_given({})
    assert "weak_signal" not in fix.resolves_given({"visible_damage": False})
    given = fix.resolves_given({"visible_damage": True})
    assert given["weak_signal"] == 0.9
    assert given["user_firmware_blocks_connection"] == fix.resolves["user_firmware_blocks_connection"]
    assert fix in kb.fixes_for_cause("weak_signal")


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('cause = "weak_signal"', 'cause = "gremlins"', "resolves_when[0].cause"),
        ("q = 0.9", "q = 1.5", "resolves_when[0].q"),
        ('obs = "visible_damage"', 'obs = "nope"', "resolves_when[0].when[0].obs"),
        ('why = "With a dent, Tinker is the fix."', 'why = ""', "resolves_when[0].why"),
        ('when = [{ obs = "visible_damage", is = true }]', "when = []", "resolves_when[0].when"),
    ],
)
def test_a_bad_entry_is_named_precisely(kb_dir: Path, old: str, new: str, field: str) -> None:
    _add_entry(kb_dir, ENTRY.replace(old, new))
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(kb_dir)
    assert "flash_tinker_usb" in err.value.message and field in err.value.message, err.value.message


def _obs(**values: object) -> dict[str, Observation]:
    return {k: Observation(k, v) for k, v in values.items()}  # type: ignore[arg-type]


def test_on_a_wep_network_entering_the_key_again_comes_before_changing_the_router(kb: KnowledgeBase) -> None:
    plain = [s.fix for s in diagnose(kb, _obs(led_pattern="blinking_green", network_security="wpa3")).plan]
    wep = [s.fix for s in diagnose(kb, _obs(led_pattern="blinking_green", network_security="wep")).plan]
    assert wep.index("set_wifi_credentials") < wep.index("change_router_security")
    assert plain.index("change_router_security") < plain.index("set_wifi_credentials")


def test_a_failed_re_entry_counts_for_more_on_a_wep_network(kb: KnowledgeBase) -> None:
    def p(security: str) -> float:
        seen = _obs(network_security=security)
        before = diagnose(kb, seen).cause("unsupported_security").probability
        seen[FIXES_TRIED_FAILED] = Observation(FIXES_TRIED_FAILED, ("set_wifi_credentials",))
        return diagnose(kb, seen).cause("unsupported_security").probability / before

    assert p("wep") < p("wpa3") <= 1.0


def test_why_says_what_in_the_situation_changed_the_chance(kb: KnowledgeBase) -> None:
    d = diagnose(kb, _obs(network_security="wep"))
    w = why_fix(kb, d, "set_wifi_credentials")
    assert [s["cause"] for s in w["situation"]] == ["unsupported_security"]
    assert "hex" in w["situation"][0]["why"]
    assert why_fix(kb, diagnose(kb, _obs(network_security="wpa3")), "set_wifi_credentials")["situation"] == []


@pytest.mark.parametrize("known", ["app_blocks_loop", "tinker_fixes"])
def test_an_owner_who_knows_the_application_is_to_blame_is_planned_an_application_fix_before_tinker(
    kb: KnowledgeBase, known: str
) -> None:
    """A loop that blocks, or Tinker already seen connecting (QA round 6: step 1 was "flash Tinker" right after the
    owner said Tinker connects): Tinker only shows the application is to blame; changing it is the fix."""
    plan = [s.fix for s in diagnose(kb, _obs(led_pattern="breathing_green", **{known: True})).plan]
    assert plan.index("fix_application_firmware") < plan.index("flash_tinker_usb")


@pytest.mark.parametrize(
    ("typed", "device_form"),
    [
        ("ABCDE", "00054142434445"),  # 64-bit key as text
        ("HomeNetWEP128", "000D486F6D654E6574574550313238"),  # 128-bit key as text
        ("1a2b3c4d5e", "00051A2B3C4D5E"),  # 64-bit key as the router shows it, in hex
        ("00051A2B3C4D5E", "00051A2B3C4D5E"),  # already in the device's form
    ],
)
def test_a_wep_key_is_given_in_the_form_the_device_takes(typed: str, device_form: str) -> None:
    converted = wep_key_for_device(typed)
    assert converted == device_form
    # What the simulated device stores from it is the router's key (Device OS hex-decodes it).
    assert wep_key_as_stored(converted) == wep_router_key(typed if len(typed) != 14 else "1a2b3c4d5e")
    assert wep_key_as_stored(typed) != wep_router_key(typed)  # typed as it is, the key is stored garbled


@pytest.mark.parametrize("typed", ["abc", "ABCDEFG", "zz2b3c4d5e", "04051A2B3C4D5E"])
def test_a_wep_key_of_no_valid_length_is_refused_in_words(typed: str) -> None:
    with pytest.raises(ActionFailed, match="5 or 13 characters"):
        wep_key_for_device(typed)


def test_why_in_words_names_the_likeliest_cause_first_and_the_situation(kb: KnowledgeBase) -> None:
    d = diagnose(kb, _obs(led_pattern="blinking_green", network_security="wep"))
    text = why_fix_text(kb, d, why_fix(kb, d, "set_wifi_credentials"))
    security = kb.causes["unsupported_security"].title
    credentials = kb.causes["wifi_credentials_wrong"].title
    assert d.cause("unsupported_security").probability > d.cause("wifi_credentials_wrong").probability
    assert text.index(security) < text.index(credentials)
    assert "Here: On a WEP network" in text and "unsupported_security" not in text


@pytest.mark.parametrize("colour", ["green", "cyan", "white", "red"])
def test_the_led_pattern_comes_right_after_its_colour(kb: KnowledgeBase, colour: str) -> None:
    # The owner is looking at the LED when they give its colour: the pattern (among that colour's few) is next.
    seen = _obs(led_colour=colour)
    q = next_question(kb, seen, diagnose(kb, seen))
    assert q is not None and q.obs == "led_pattern"


# --- a fix whose own outcome an observation reports (``done_when``) ------------------------------------------------


def _without_done_when(kb: KnowledgeBase) -> KnowledgeBase:
    import dataclasses
    from types import MappingProxyType

    fixes = {fid: dataclasses.replace(f, done_when=()) for fid, f in kb.fixes.items()}
    return dataclasses.replace(kb, fixes=MappingProxyType(fixes))


@pytest.mark.parametrize(
    ("facts", "fix"),
    [
        ({"led_pattern": "breathing_green", "tinker_fixes": False}, "flash_tinker_usb"),
        ({"led_pattern": "blinking_cyan", "other_network_works": False}, "use_other_network"),
        ({"led_pattern": "off", "works_on_other_power": False}, "fix_power_supply"),
        ({"led_pattern": "breathing_magenta", "safe_mode_connects": False}, "enter_safe_mode"),
    ],
)
def test_a_fix_the_owner_reports_done_without_success_is_not_proposed_again(
    kb: KnowledgeBase, facts: dict[str, object], fix: str
) -> None:
    observations = {k: Observation(k, v) for k, v in facts.items()}  # type: ignore[arg-type]
    d = diagnose(kb, observations)
    plain = diagnose(_without_done_when(kb), observations)
    assert fix in [s.fix for s in plain.plan]  # without done_when the plan would repeat it ...
    assert fix not in [s.fix for s in d.plan]  # ... with it, it does not
    # ... and nothing is counted twice: the causes are the observation's rules' business alone
    assert d.probabilities == plain.probabilities


def test_the_opposite_outcome_keeps_the_fix(kb: KnowledgeBase) -> None:
    """Tinker brought it online: flashing Tinker is a fix that worked, and it stays in the plan."""
    d = diagnose(
        kb,
        {
            "led_pattern": Observation("led_pattern", "breathing_green"),
            "tinker_fixes": Observation("tinker_fixes", True),
        },
    )
    assert "flash_tinker_usb" in [s.fix for s in d.plan]


def test_a_bad_done_when_is_named(kb_dir: Path) -> None:
    text = (kb_dir / "fixes.toml").read_text()
    assert 'risk = "erases_data"' in text
    (kb_dir / "fixes.toml").write_text(
        text.replace(
            'risk = "erases_data"',
            'risk = "erases_data"\ndone_when = [{ obs = "visible_dmg", is = false }]',
            1,
        )
    )
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(kb_dir)
    assert "done_when" in err.value.message and "visible_dmg" in err.value.message


def test_why_a_fix_reported_done_is_not_in_the_plan_says_which_answer(kb: KnowledgeBase) -> None:
    from photon_doctor.foundation.evidence import Provenance, Source

    said = Provenance(Source.PERSON)
    d = diagnose(
        kb,
        {
            "led_pattern": Observation("led_pattern", "breathing_green", 1.0, said),
            "tinker_fixes": Observation("tinker_fixes", False, 1.0, said),
        },
    )
    w = why_fix(kb, d, "flash_tinker_usb")
    assert w["position"] is None and w["reason"] == "already tried without success"
    assert w["done_by"] == [{"observation": "tinker_fixes", "value": False, "source": Source.PERSON.value}]
    text = why_fix_text(kb, d, w)
    assert "Not in the plan now: already tried without success." in text
    assert f"You answered 'no' to: {kb.observations['tinker_fixes'].question}" in text
    # a fix left out for want of a chance says so, not that it was tried
    other = why_fix(kb, d, "use_2_4ghz_network")  # breathing green: it is on Wi-Fi, so not on 5 GHz
    assert other["position"] is None
    assert other["reason"] == "too unlikely to help now, given what is known" and "done_by" not in other


def test_kb_show_json_gives_a_fix_s_situations_and_what_reports_it_done(kb: KnowledgeBase) -> None:
    from photon_doctor.knowledge_export import knowledge_json

    fixes = {f["id"]: f for f in knowledge_json(kb)["fixes"]}
    tinker = fixes["flash_tinker_usb"]
    assert [c["obs"] for c in tinker["done_when"]] == ["tinker_fixes"] and tinker["done_when"][0][
        "value"
    ] is False
    assert {s["cause"] for s in tinker["resolves_when"]} == {
        cq.cause for cq in kb.fixes["flash_tinker_usb"].resolves_when
    }
    assert fixes["reset_keys"]["done_when"] == []


# --- a fix meant for one setting (``applies_when``): a site visit is a fleet's step ----------------------------------


def test_a_site_visit_is_never_proposed_to_an_owner_at_their_desk(kb: KnowledgeBase) -> None:
    """Every story of a single owner (the LED alone, a dark device, no internet) leaves the fleet's site visit out;
    the same device described by the fleet's facts gets it, for the cause it is the fix for."""
    for led in kb.observations["led_pattern"].choices:
        plan = [s.fix for s in diagnose(kb, _obs(led_pattern=led)).plan]
        assert "visit_site" not in plan, led
    owner = _obs(led_pattern="off", internet_works_on_network=False)
    assert "visit_site" not in [s.fix for s in diagnose(kb, owner).plan]
    fleet = _obs(cloud_online=False, sites_offline_together=1, site_offline_together_pct=100.0)
    d = diagnose(kb, fleet)
    assert d.causes[0].id == "site_outage"  # precondition: the fleet's facts point at the site
    assert d.plan[0].fix == "visit_site"


def test_why_says_a_site_visit_is_not_for_a_device_at_hand(kb: KnowledgeBase) -> None:
    d = diagnose(kb, _obs(led_pattern="off"))
    w = why_fix(kb, d, "visit_site")
    assert w["position"] is None
    assert w["reason"] == kb.fixes["visit_site"].applies_why
    assert "Not in the plan now: it is a step for a product team's device" in why_fix_text(kb, d, w)


def test_a_fix_without_applies_when_applies_everywhere_and_a_bad_one_is_named(kb_dir: Path) -> None:
    kb = load_knowledge(kb_dir)
    assert all(f.applies({}) for f in kb.fixes.values())
    text = (kb_dir / "fixes.toml").read_text()
    marker = 'risk = "erases_data"'
    assert marker in text
    (kb_dir / "fixes.toml").write_text(
        text.replace(marker, marker + '\napplies_when = [{ obs = "visible_damage", is = true }]', 1)
    )
    with pytest.raises(KnowledgeError) as err:  # the reason in words is required with it
        load_knowledge(kb_dir)
    assert "applies_why" in err.value.message
    text = (kb_dir / "fixes.toml").read_text()
    (kb_dir / "fixes.toml").write_text(
        text.replace("applies_when = [", 'applies_why = "only dented"\napplies_when = [', 1)
    )
    fix = next(f for f in load_knowledge(kb_dir).fixes.values() if f.applies_when)
    assert fix.resolves_given({}) == {} and fix.resolves_given({"visible_damage": False}) == {}
    assert fix.resolves_given({"visible_damage": True}) == fix.resolves


def test_an_update_cannot_fix_a_bug_on_the_photons_last_lts_release(kb: KnowledgeBase) -> None:
    """On 2.3.1 no newer LTS release exists for the Photon: both updates keep their chance for corrupted or
    mismatched parts (written again) but not for a Device OS defect, and the plan puts the update later."""
    for fid in ("update_device_os_usb", "update_device_os"):
        fix = kb.fixes[fid]
        assert fix.resolves_given({"device_os_version": "2.3.1"})["device_os_bug"] <= 0.05
        assert (
            fix.resolves_given({"device_os_version": "2.2.0"})["device_os_bug"]
            == fix.resolves["device_os_bug"]
        )
        mismatch = fix.resolves_given({"device_os_version": "2.3.1"})["system_firmware_mismatch"]
        assert mismatch == fix.resolves["system_firmware_mismatch"] > 0.4

    def place(version: str) -> int:
        d = diagnose(kb, _obs(led_pattern="fast_blinking_cyan", device_os_version=version))
        return [s.fix for s in d.plan].index("update_device_os_usb")

    assert place("2.3.1") > place("2.2.0")
    d = diagnose(kb, _obs(led_pattern="fast_blinking_cyan", device_os_version="2.3.1"))
    assert "last LTS release" in why_fix_text(kb, d, why_fix(kb, d, "update_device_os_usb"))


def test_a_fix_tried_without_success_answers_its_own_outcome_question(kb: KnowledgeBase) -> None:
    """An owner who said they flashed Tinker without success is not asked "does Tinker bring it online?", alone or
    as a line of a list (QA: the list still offered both Tinker lines)."""
    from photon_doctor.engine.questions import question_def, rank_questions

    base = _obs(led_pattern="breathing_white")
    tried = {**base, FIXES_TRIED_FAILED: Observation(FIXES_TRIED_FAILED, ("flash_tinker_usb",))}

    def offered(seen: dict[str, Observation]) -> set[str]:
        d = diagnose(kb, seen)
        asked = {q.obs for q in rank_questions(kb, seen, d)}
        lists = {
            item.obs
            for cl in kb.checklists.values()
            for item in cl.items
            if item.key in question_def(kb, seen, f"checklist:{cl.id}", d.probabilities).choices
        }
        return asked | lists

    assert "tinker_fixes" in offered(base)  # precondition: asked when nothing was tried
    assert "tinker_fixes" not in offered(tried)


# --- what a fix leaves to do once it worked (``after_success``) ----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ('{ fix = "gremlins", why = "x" }', "after_success.fix"),
        ('{ fix = "flash_tinker_usb", why = "x" }', "after_success.fix"),  # itself
        ('{ fix = "improve_signal", why = "" }', "after_success.why"),
        ('{ fix = "improve_signal" }', "after_success"),
        ('"improve_signal"', "after_success"),
    ],
)
def test_a_bad_after_success_is_named(kb_dir: Path, value: str, field: str) -> None:
    text = (kb_dir / "fixes.toml").read_text()
    marker = 'risk = "erases_data"'
    assert marker in text and 'id = "improve_signal"' in text
    (kb_dir / "fixes.toml").write_text(text.replace(marker, f"{marker}\nafter_success = {value}", 1))
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(kb_dir)
    assert "flash_tinker_usb" in err.value.message and field in err.value.message, err.value.message


def test_what_tinker_and_safe_mode_leave_to_do(kb: KnowledgeBase) -> None:
    """Tinker or safe mode online proves the application to blame: the application is still to change."""
    for fid in ("flash_tinker_usb", "enter_safe_mode"):
        after = kb.fixes[fid].after_success
        assert after is not None and after[0] == "fix_application_firmware" and "application" in after[1]
    assert kb.fixes["use_dynamic_ip"].after_success is None
