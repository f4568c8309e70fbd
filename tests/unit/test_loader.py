"""The knowledge loader: each kind of bad file is a KnowledgeError naming the file, the item, the field, the value."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from photon_doctor.foundation.errors import ExitCode, KnowledgeError
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.knowledge.model import Kind, Op, Risk

from tests.conftest import KB_MINI, run_cli


@pytest.fixture()
def kb_dir(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(KB_MINI, target)
    return target


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"test setup: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def test_mini_kb_loads_into_frozen_dataclasses() -> None:
    kb = load_knowledge(KB_MINI)
    assert kb.observations["led_pattern"].kind is Kind.ENUM
    assert list(kb.observations["led_pattern"].choices)[:2] == ["breathing_cyan", "blinking_green"]
    rule = kb.rule("weak")
    assert rule.conditions[0].op is Op.LT and rule.conditions[1].negate
    assert kb.fixes["flash_tinker_usb"].risk is Risk.ERASES_DATA
    with pytest.raises(AttributeError):
        rule.cf = 0.1  # type: ignore[misc]


CASES = [
    ("rules.toml", 'cause = "physical_damage"', 'cause = "gremlins"', "dent", "cause", "gremlins"),
    (
        "rules.toml",
        '{ obs = "visible_damage", is = true }]',
        '{ obs = "visible_dmg", is = true }]',
        "dent",
        "obs",
        "visible_dmg",
    ),
    ("rules.toml", 'is = "breathing_white"', 'is = "breathing_purple"', "white", "is", "breathing_purple"),
    ("rules.toml", "cf = 0.7", "cf = 1.7", "dent", "cf", "1.7"),
    ("rules.toml", "cf = 0.7", 'cf = "high"', "dent", "cf", "high"),
    ("rules.toml", 'version_lt = "0.7.0"', 'version_lt = "seven"', "old_os", "version_lt", "seven"),
    ("rules.toml", "lt = -80", 'contains = "x"', "weak", "contains", "not allowed"),
    ("rules.toml", 'rationale = "A dent can break the radio."\n', "", "dent", "rationale", "missing"),
    ("rules.toml", 'id = "dent_and_green"', 'id = "dent"', "dent", "id", "duplicate"),
    (
        "fixes.toml",
        "user_firmware_blocks_connection = 0.9",
        "unicorns = 0.9",
        "flash_tinker_usb",
        "resolves.unicorns",
        "unicorns",
    ),
    ("fixes.toml", 'risk = "erases_data"', 'risk = "spicy"', "flash_tinker_usb", "risk", "spicy"),
    ("fixes.toml", "reversible = false", 'reversible = "no"', "flash_tinker_usb", "reversible", "no"),
    ("observations.toml", 'kind = "bool"', 'kind = "boolean"', "visible_damage", "kind", "boolean"),
    ("causes.toml", "prior = 0.05", "prior = 0.9", "physical_damage", "prior", "0.9"),
    (
        "observations.toml",
        'kind = "bool"',
        'kind = "bool"\nanswerable = 1.5',
        "visible_damage",
        "answerable",
        "1.5",
    ),
    (
        "observations.toml",
        'kind = "bool"',
        'kind = "bool"\nanswerable = "often"',
        "visible_damage",
        "answerable",
        "often",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "item", "field", "value"), CASES)
def test_bad_item_is_named_precisely(
    kb_dir: Path, file: str, old: str, new: str, item: str, field: str, value: str
) -> None:
    _replace(kb_dir / file, old, new)
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(kb_dir)
    message = err.value.message
    assert file in message and item in message and field in message and value in message, message
    assert err.value.exit_code == ExitCode.KNOWLEDGE


def test_rule_naming_unknown_fix_in_tried_list(kb_dir: Path) -> None:
    with (kb_dir / "rules.toml").open("a") as fh:
        fh.write(
            '\n[[rule]]\nid = "tried_ghost"\ncause = "weak_signal"\ncf = -0.3\n'
            'when = [{ obs = "fixes_tried_failed", contains = "ghost_fix" }]\nrationale = "r"\nsource = "s"\n'
        )
    with pytest.raises(KnowledgeError, match="tried_ghost.*ghost_fix"):
        load_knowledge(kb_dir)


@pytest.mark.parametrize("target", ["nope", "weak"])  # no such rule; a rule for another cause
def test_refines_must_name_another_rule_for_the_same_cause(kb_dir: Path, target: str) -> None:
    _replace(kb_dir / "rules.toml", 'id = "dent_and_green"', f'id = "dent_and_green"\nrefines = "{target}"')
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(kb_dir)
    assert "rules.toml" in err.value.message and "dent_and_green" in err.value.message
    assert "refines" in err.value.message and target in err.value.message


def test_refines_may_name_several_rules_and_each_is_checked(kb_dir: Path) -> None:
    _replace(kb_dir / "rules.toml", 'id = "dent_and_green"', 'id = "dent_and_green"\nrefines = ["dent"]')
    assert next(r for r in load_knowledge(kb_dir).rules if r.id == "dent_and_green").refines == ("dent",)
    _replace(kb_dir / "rules.toml", 'refines = ["dent"]', 'refines = ["dent", "weak"]')
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(kb_dir)
    assert "dent_and_green" in err.value.message and "'weak'" in err.value.message


def test_a_rule_for_several_causes_is_one_rule_per_cause(kb_dir: Path) -> None:
    with (kb_dir / "rules.toml").open("a") as fh:
        fh.write(
            '\n[[rule]]\nid = "dark"\ncauses = ["weak_signal", "physical_damage"]\nlr = 0.3\n'
            'when = [{ obs = "led_pattern", is = "blinking_green" }]\nrationale = "r"\nsource = "s"\n'
        )
    kb = load_knowledge(kb_dir)
    one, two = kb.rule("dark.weak_signal"), kb.rule("dark.physical_damage")
    assert (one.cause, two.cause) == ("weak_signal", "physical_damage")
    assert one.lr == two.lr == 0.3 and one.conditions == two.conditions and one.rationale == "r"


@pytest.mark.parametrize(
    ("causes", "field", "words"),
    [
        ('["weak_signal", "gremlins"]', "cause", "gremlins"),
        ("[]", "causes", "non-empty"),
        ('["weak_signal", "weak_signal"]', "causes", "twice"),
        ('"weak_signal"', "causes", "list"),
    ],
)
def test_a_bad_list_of_causes_is_named(kb_dir: Path, causes: str, field: str, words: str) -> None:
    with (kb_dir / "rules.toml").open("a") as fh:
        fh.write(
            f'\n[[rule]]\nid = "dark"\ncauses = {causes}\nlr = 0.3\n'
            'when = [{ obs = "led_pattern", is = "blinking_green" }]\nrationale = "r"\nsource = "s"\n'
        )
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(kb_dir)
    assert "dark" in err.value.message and field in err.value.message and words in err.value.message


def test_not_toml(kb_dir: Path) -> None:
    (kb_dir / "causes.toml").write_text("schema_version = 1\n[[cause]\nid=")
    with pytest.raises(KnowledgeError, match="causes.toml.*not valid TOML"):
        load_knowledge(kb_dir)


def test_wrong_schema_version(kb_dir: Path) -> None:
    _replace(kb_dir / "fixes.toml", "schema_version = 1", "schema_version = 2")
    with pytest.raises(KnowledgeError, match="fixes.toml.*schema_version.*expected 1, found 2"):
        load_knowledge(kb_dir)


def test_missing_file(kb_dir: Path) -> None:
    (kb_dir / "observations.toml").unlink()
    with pytest.raises(KnowledgeError, match="observations.toml.*file not found"):
        load_knowledge(kb_dir)


def test_no_rules_files(kb_dir: Path) -> None:
    (kb_dir / "rules.toml").unlink()
    with pytest.raises(KnowledgeError, match="no rules"):
        load_knowledge(kb_dir)


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="not found"):
        load_knowledge(tmp_path / "nope")


def test_enum_without_choices(kb_dir: Path) -> None:
    text = (kb_dir / "observations.toml").read_text()
    start = text.index("[observation.choices]")
    end = text.index("[[observation]]", start)
    (kb_dir / "observations.toml").write_text(text[:start] + text[end:])
    with pytest.raises(KnowledgeError, match="led_pattern.*choices"):
        load_knowledge(kb_dir)


def test_cli_reports_broken_knowledge_with_its_exit_code(kb_dir: Path) -> None:
    _replace(kb_dir / "rules.toml", 'cause = "physical_damage"', 'cause = "gremlins"')
    result = run_cli("--knowledge", str(kb_dir), "kb", "show", "--json")
    assert result.returncode == ExitCode.KNOWLEDGE
    assert "rules.toml: dent: field 'cause': unknown cause 'gremlins'" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("extra", "field"),
    [("min = 5\nmax = 1", "max"), ('min = "low"', "min")],
)
def test_a_number_observation_range_is_checked(kb_dir: Path, extra: str, field: str) -> None:
    _replace(kb_dir / "observations.toml", 'id = "signal_rssi_dbm"', f'id = "signal_rssi_dbm"\n{extra}')
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(kb_dir)
    assert "signal_rssi_dbm" in err.value.message and field in err.value.message


def test_only_number_observations_have_a_range(kb_dir: Path) -> None:
    _replace(kb_dir / "observations.toml", 'id = "visible_damage"', 'id = "visible_damage"\nmin = 0')
    with pytest.raises(KnowledgeError, match="only number observations"):
        load_knowledge(kb_dir)
