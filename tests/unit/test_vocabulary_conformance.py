"""The shipped knowledge base defines the contract's vocabulary exactly: every observation id with the same kind,
enum values and meanings copied verbatim, every cause id and every fix id.

The contract lives beside the repository (``../shared/contract/vocabulary.json``); a copy in ``tests/data`` is used
when the shared folder is not there (a fresh clone, CI).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.knowledge.model import KnowledgeBase

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "contract" / "vocabulary.json"
COPY = REPO / "tests" / "data" / "vocabulary.json"


def _vocabulary_path() -> Path:
    return SHARED if SHARED.is_file() else COPY


@pytest.fixture(scope="module")
def vocabulary() -> dict[str, Any]:
    with _vocabulary_path().open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


def test_vocabulary_schema_version(vocabulary: dict[str, Any]) -> None:
    assert vocabulary["schema_version"] == 1


def test_copy_matches_the_shared_contract() -> None:
    if not SHARED.is_file():
        pytest.skip("../shared/contract is not present; the copy in tests/data is all there is")
    assert json.loads(COPY.read_text(encoding="utf-8")) == json.loads(SHARED.read_text(encoding="utf-8")), (
        "tests/data/vocabulary.json is out of date: copy ../shared/contract/vocabulary.json again"
    )


def test_every_observation_is_defined_with_the_same_kind(
    vocabulary: dict[str, Any], kb: KnowledgeBase
) -> None:
    missing = sorted(set(vocabulary["observations"]) - set(kb.observations))
    assert not missing, f"observations missing from the knowledge base: {missing}"
    wrong = {
        oid: (spec["kind"], kb.observations[oid].kind.value)
        for oid, spec in vocabulary["observations"].items()
        if kb.observations[oid].kind.value != spec["kind"]
    }
    assert not wrong, f"observation kinds differ (contract, knowledge base): {wrong}"


@pytest.mark.parametrize(
    "obs_id", sorted(json.loads(_vocabulary_path().read_text(encoding="utf-8"))["observations"])
)
def test_enum_values_and_meanings_are_verbatim(
    vocabulary: dict[str, Any], kb: KnowledgeBase, obs_id: str
) -> None:
    spec = vocabulary["observations"][obs_id]
    odef = kb.observations[obs_id]
    if spec["kind"] != "enum":
        assert not odef.choices, f"{obs_id} is {spec['kind']} and must not have choices"
        return
    assert dict(odef.choices) == spec["values"]
    # Same order too, so that prompts list the answers as the contract does.
    assert list(odef.choices) == list(spec["values"])


def test_units_match(vocabulary: dict[str, Any], kb: KnowledgeBase) -> None:
    for oid, spec in vocabulary["observations"].items():
        if "unit" in spec:
            assert kb.observations[oid].unit == spec["unit"], oid


def test_every_cause_is_defined(vocabulary: dict[str, Any], kb: KnowledgeBase) -> None:
    missing = sorted(set(vocabulary["causes"]) - set(kb.causes))
    assert not missing, f"causes missing from the knowledge base: {missing}"


def test_cause_descriptions_are_the_contracts(vocabulary: dict[str, Any], kb: KnowledgeBase) -> None:
    differ = [cid for cid, text in vocabulary["causes"].items() if kb.causes[cid].description != text]
    assert not differ, f"cause descriptions differ from the contract: {differ}"


def test_every_fix_is_defined(vocabulary: dict[str, Any], kb: KnowledgeBase) -> None:
    missing = sorted(set(vocabulary["fixes"]) - set(kb.fixes))
    assert not missing, f"fixes missing from the knowledge base: {missing}"


def test_fix_descriptions_are_the_contracts(vocabulary: dict[str, Any], kb: KnowledgeBase) -> None:
    differ = [fid for fid, text in vocabulary["fixes"].items() if kb.fixes[fid].description != text]
    assert not differ, f"fix descriptions differ from the contract: {differ}"
