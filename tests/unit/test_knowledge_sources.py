"""Every source the knowledge cites says what it is cited for, as far as a test can tell: a quote from the forum
thread is in the thread, a quote from the reference is in the reference, and a section number names a section that
exists (particle-protocols.md, expert-systems.md, the measured notes' numbered items).

The sources live beside the repository (``../shared/seed``, ``../shared/reference``, ``../shared/notes``); copies in
``tests/data/sources`` are used when the shared folder is not there (a fresh clone, CI).

A source string is read left to right: a quote or a section number belongs to the last document named before it
(``thread:``, ``particle-protocols.md``, ``expert-systems.md``, ``notes measured-2026-12-01``). Quotes that belong to
something a test cannot read here (Device OS source, GitHub issues, the case files, the project's issues) are not
checked. Quotes are compared after normalising case, whitespace, quote marks, markdown emphasis and table bars; an
elision (``...`` or ``…``) splits a quote into pieces that must each occur.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.knowledge.model import KnowledgeBase

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
COPIES = REPO / "tests" / "data" / "sources"

#: document key -> its path under ../shared
DOCUMENTS = {
    "thread": "seed/photon-cloud-thread.txt",
    "protocols": "reference/particle-protocols.md",
    "expert": "reference/expert-systems.md",
    "notes": "notes/measured-2026-12-01.md",
}

#: What names a document inside a source string. ``None``: a source no test here can read, whose quotes and
#: numbers are left alone.
MARKERS: dict[str, str | None] = {
    "thread:": "thread",
    "the thread's ": "thread",
    "particle-protocols.md": "protocols",
    "expert-systems.md": "expert",
    "measured-2026-12-01": "notes",
    "device-os": None,
    "Device OS v": None,
    "github": None,
    "issue 12": None,
    "real-forum.json": None,
    "real-more.json": None,
    "real cases": None,
    "rules-network.toml": None,
}

#: A quote: single quotes opening after a space, '(' or ';' (or at the start) and closing before a space, ';',
#: ',', ')' or the end, so that apostrophes inside ("there's", "don't") do not end it.
QUOTE = re.compile(r"(?:^|(?<=[\s(;]))'(.+?)'(?=$|[\s;,)])")
SECTION = re.compile(r"§\s*(\d+(?:\.\d+)?)")
ELISION = re.compile(r"\.\.\.|…")


def _path(key: str) -> Path:
    shared = SHARED / DOCUMENTS[key]
    return shared if shared.is_file() else COPIES / Path(DOCUMENTS[key]).name


def _normalise(text: str) -> str:
    text = text.replace(" | ", ": ")  # a table row quoted as "cell: cell"
    table = {0x2018: "'", 0x2019: "'", 0x201C: None, 0x201D: None, ord('"'): None, ord("`"): None}
    table |= {ord("*"): None, 0x2192: "->", 0x2265: ">=", 0x2011: "-"}
    return " ".join(text.translate(table).lower().split())


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return {key: _path(key).read_text(encoding="utf-8") for key in DOCUMENTS}


def _sources(kb: KnowledgeBase) -> Iterator[tuple[str, str]]:
    """(where, source string) for every source the knowledge cites."""
    for rule in kb.rules:
        yield f"rule {rule.id}", rule.source
    for cause in kb.causes.values():
        for source in cause.sources:
            yield f"cause {cause.id}", source
    for fix in kb.fixes.values():
        for source in fix.sources:
            yield f"fix {fix.id}", source
        for conditional in fix.resolves_when:
            yield f"fix {fix.id} resolves_when {conditional.cause}", conditional.source


def _owner(source: str, position: int) -> str | None:
    """The document the text at ``position`` of ``source`` belongs to: the last one named before it."""
    best, owner = -1, None
    for marker, key in MARKERS.items():
        at = source.rfind(marker, 0, position)
        if at > best:
            best, owner = at, key
    return owner


def _quotes(source: str) -> Iterator[tuple[str | None, str]]:
    for match in QUOTE.finditer(source):
        yield _owner(source, match.start()), match.group(1)


def _sections(source: str) -> Iterator[tuple[str | None, str]]:
    for match in SECTION.finditer(source):
        yield _owner(source, match.start()), match.group(1)


def _missing_pieces(quote: str, text: str) -> list[str]:
    body = _normalise(text)
    pieces = (_normalise(p).strip(" ,.") for p in ELISION.split(quote))
    return [p for p in pieces if p and p not in body]


def _section_numbers(key: str, text: str) -> set[str]:
    if key == "notes":  # numbered items: "1. **Planning ...**"
        return set(re.findall(r"^(\d+)\. ", text, flags=re.MULTILINE))
    return set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.?\s", text, flags=re.MULTILINE))


# --- the tests ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(DOCUMENTS))
def test_copies_match_the_shared_sources(key: str) -> None:
    shared = SHARED / DOCUMENTS[key]
    if not shared.is_file():
        pytest.skip(
            f"../shared/{DOCUMENTS[key]} is not present; the copy in tests/data/sources is all there is"
        )
    copy = COPIES / shared.name
    assert copy.read_text(encoding="utf-8") == shared.read_text(encoding="utf-8"), (
        f"tests/data/sources/{shared.name} is out of date: copy ../shared/{DOCUMENTS[key]} again"
    )


def test_thread_quotes_are_in_the_thread(kb: KnowledgeBase, texts: dict[str, str]) -> None:
    wrong = [
        f"{where}: {piece!r}"
        for where, source in _sources(kb)
        for owner, quote in _quotes(source)
        if owner == "thread"
        for piece in _missing_pieces(quote, texts["thread"])
    ]
    assert not wrong, "quoted from the thread but not in it:\n" + "\n".join(wrong)


def test_reference_quotes_are_in_the_reference(kb: KnowledgeBase, texts: dict[str, str]) -> None:
    wrong = [
        f"{where}: {piece!r} (not in {DOCUMENTS[owner]})"
        for where, source in _sources(kb)
        for owner, quote in _quotes(source)
        if owner is not None and owner in {"protocols", "expert"}
        for piece in _missing_pieces(quote, texts[owner])
    ]
    assert not wrong, "quoted from a reference but not in it:\n" + "\n".join(wrong)


def test_cited_sections_exist(kb: KnowledgeBase, texts: dict[str, str]) -> None:
    numbers = {key: _section_numbers(key, text) for key, text in texts.items() if key != "thread"}
    wrong = [
        f"{where}: §{number} of {DOCUMENTS[owner]}"
        for where, source in _sources(kb)
        for owner, number in _sections(source)
        if owner is None or owner == "thread" or number not in numbers[owner]
    ]
    assert not wrong, "sections that do not exist (or cite no document):\n" + "\n".join(wrong)


def test_every_rule_cites_a_readable_source(kb: KnowledgeBase) -> None:
    """Every rule names the thread or a reference document by name, not only something no one can check here."""
    unnamed = [
        rule.id
        for rule in kb.rules
        if not any(marker in rule.source for marker, key in MARKERS.items() if key is not None)
        and "../shared/cases" not in rule.source
    ]
    assert not unnamed, f"rules citing nothing checkable: {unnamed}"


# --- the checker itself ---------------------------------------------------------------------------------------------


def test_the_checker_catches_what_it_is_for(texts: dict[str, str]) -> None:
    """Defects the audit found in the knowledge as it was (round 7): each must be reported."""
    # rules-device.toml handshake_fails_on_every_network quoted the thread for words it does not contain
    old = "reference: particle-protocols.md §6 (cyan: handshake) and §5 (keys doctor); thread: 'particle keys doctor'"
    assert [(o, q) for o, q in _quotes(old)] == [("thread", "particle keys doctor")]
    assert _missing_pieces("particle keys doctor", texts["thread"]) == ["particle keys doctor"]
    # causes.toml unknown_cause quoted expert-systems.md for words it does not contain
    old = "reference: expert-systems.md (Heckerman, Breese & Rommelse 1995: a leak cause for 'none of the modelled faults')"
    [(owner, quote)] = list(_quotes(old))
    assert owner == "expert" and _missing_pieces(quote, texts["expert"])
    # a section that does not exist, and a quote whose elided pieces are each in the thread
    assert "9" not in _section_numbers("protocols", texts["protocols"])
    assert {"1", "2", "2.1", "2.2", "8"} <= _section_numbers("protocols", texts["protocols"])
    assert not _missing_pieces(
        "Both blink green after power up ... flashing Tinker didn’t make", texts["thread"]
    )
    # apostrophes inside a quote do not end it; the owner follows the last document named
    source = (
        "thread: 'there's a good chance'; reference: particle-protocols.md §7 ('persistent incl. safe mode')"
    )
    assert list(_quotes(source)) == [
        ("thread", "there's a good chance"),
        ("protocols", "persistent incl. safe mode"),
    ]
    assert list(_sections(source)) == [("protocols", "7")]
