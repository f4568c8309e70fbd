"""What is fuzzed: every parser of outside text and every reader of a file a person gives, with the errors each
may raise on bad input (anything else is a crash). Shared by tests/unit/test_fuzz.py (a small budget in the
suite) and benchmarks/fuzz.py (at least 10,000 inputs per target, counted).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from photon_doctor.foundation.errors import CaseFileError, SessionError, UsageError
from photon_doctor.foundation.evidence import Provenance
from photon_doctor.foundation.jsonfile import JsonProblem, parse_json
from photon_doctor.foundation.numbers import ascii_int, finite_number
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.knowledge.model import KnowledgeBase
from photon_doctor.probes import wifi_parsers as wp
from photon_doctor.probes.base import ProbeFailure
from photon_doctor.probes.module_check import check_modules
from photon_doctor.probes.softap_data import parse_public_key_blob, parse_scan

from photon_doctor.answers import AnswerError, load_answers_file, observations_from_mapping, parse_value
from photon_doctor.evaluate import load_cases
from photon_doctor.sessions import read_session


@lru_cache(maxsize=1)
def kb() -> KnowledgeBase:
    return load_knowledge()


@lru_cache(maxsize=1)
def scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="photon-doctor-fuzz-"))


# --- strategies --------------------------------------------------------------------------------------------
#: Text with the characters that bite: digits of every script, superscripts, separators, NaN words, controls.
TRICKY = st.sampled_from(
    [
        "³",
        "²",
        "١",
        "٣",
        "½",
        "nan",
        "NaN",
        "inf",
        "-",
        ".",
        ":",
        "=",
        ",",
        "\\",
        "\x00",
        "\n",
        "\t",
        " ",
        "MHz",
        "dBm",
        "9" * 400,
        "2437.0.1",
        "--",
        "WPA2",
        "802.1X",
        "5g36/80",
        "SSID",
        "freq",
        "signal",
        "Connected to",
        "State",
        "connected",
        "Channel",
        "Band",
        "Authentication",
        "running",
        "WIFI",
        "yes",
        "*",
        "\ufeff",
        "\udcff",
    ]
)
TEXT = st.lists(st.one_of(st.text(max_size=12), TRICKY), max_size=24).map("".join)
LINES = st.lists(st.one_of(TEXT, st.builds(lambda k, v: f"  {k}: {v}", TRICKY, TEXT)), max_size=12).map(
    "\n".join
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**420),
    st.floats(allow_nan=False),
    TEXT,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)


def _observation_ids() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(sorted(kb().observations)), TEXT)


def _json_bytes() -> st.SearchStrategy[bytes]:
    """Valid JSON, broken JSON, deep nesting, huge numbers, NaN, bytes that are not UTF-8."""
    valid = JSON_VALUES.map(lambda v: json.dumps(v).encode())
    deep = st.integers(1, 5000).map(lambda n: b"[" * n + b"]" * (n // 2))
    digits = st.integers(1, 6000).map(lambda n: b'{"n": ' + b"9" * n + b"}")
    mutated = st.tuples(valid, st.binary(max_size=8), st.integers(0, 64)).map(
        lambda t: t[0][: t[2]] + t[1] + t[0][t[2] :]
    )
    return st.one_of(
        valid,
        deep,
        digits,
        mutated,
        st.binary(max_size=64),
        st.sampled_from([b"NaN", b"[Infinity]", b'{"a": -Infinity}', b'"\xff"']),
    )


def bad_message(message: str) -> bool:
    """True for an error message a person should never see: empty, on several lines, or a Python traceback.
    (The input itself may hold the word "Traceback": hypothesis mines the code's string constants.)"""
    return not message or "\n" in message.strip() or "Traceback (most recent call last)" in message


# --- targets -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """One thing to fuzz: ``call`` gets one generated input and may raise only ``allowed``."""

    name: str
    strategy: Callable[[], st.SearchStrategy[Any]]
    call: Callable[[Any], object]
    allowed: tuple[type[BaseException], ...] = ()


def _value(args: tuple[str, Any]) -> object:
    obs_id, raw = args
    odef = kb().observations[obs_id]
    return parse_value(kb(), odef, raw)


def _mapping(data: dict[str, Any]) -> object:
    return observations_from_mapping(kb(), data, Provenance(), "fuzz")


def _file(content: bytes, name: str) -> Path:
    path = scratch() / name
    path.write_bytes(content)
    return path


def _answers_file(content: bytes) -> object:
    return load_answers_file(kb(), _file(content, "answers.json"))


def _session_file(content: bytes) -> object:
    return read_session(kb(), _file(content, "session.json"))[1]


def _case_file(content: bytes) -> object:
    return load_cases(kb(), [_file(content, "cases.json")])


def _session_docs() -> st.SearchStrategy[bytes]:
    observation = st.fixed_dictionaries(
        {"id": st.one_of(_observation_ids(), JSON_VALUES), "value": JSON_VALUES},
        optional={"confidence": JSON_VALUES, "provenance": JSON_VALUES},
    )
    doc = st.fixed_dictionaries(
        {
            "schema_version": st.sampled_from([1, 1, 1, 2, "1"]),
            "observations": st.lists(observation, max_size=4),
        },
        optional={"skipped": JSON_VALUES},
    )
    return st.one_of(doc.map(lambda d: json.dumps(d).encode()), _json_bytes())


def _case_docs() -> st.SearchStrategy[bytes]:
    case = st.fixed_dictionaries(
        {
            "id": st.one_of(TEXT, JSON_VALUES),
            "observations": st.one_of(
                st.dictionaries(_observation_ids(), JSON_VALUES, max_size=3), JSON_VALUES
            ),
            "expected_causes": st.one_of(
                st.lists(st.sampled_from(sorted(kb().causes)), max_size=2), JSON_VALUES
            ),
            "accepted_fixes": st.one_of(
                st.lists(st.sampled_from(sorted(kb().fixes)), max_size=2), JSON_VALUES
            ),
        },
        optional={"title": JSON_VALUES},
    )
    doc = st.fixed_dictionaries(
        {"schema_version": st.sampled_from([1, 1, 2]), "cases": st.lists(case, max_size=3)}
    )
    return st.one_of(doc.map(lambda d: json.dumps(d).encode()), _json_bytes())


TARGETS: tuple[Target, ...] = (
    Target("numbers.ascii_int", lambda: TEXT, ascii_int),
    Target("numbers.finite_number", lambda: st.one_of(TEXT, SCALARS), finite_number),
    Target(
        "wifi.parse_iw_link",
        lambda: LINES.map(lambda t: "Connected to aa:bb (on wlan0)\n" + t),
        wp.parse_iw_link,
    ),
    Target("wifi.parse_nmcli_scan", lambda: LINES, lambda t: wp.link_from_nmcli(wp.parse_nmcli_scan(t))),
    Target("wifi.parse_airport", lambda: LINES, wp.parse_airport),
    Target("wifi.parse_wdutil", lambda: LINES, wp.parse_wdutil),
    Target("wifi.parse_netsh", lambda: LINES, wp.parse_netsh),
    Target("wifi.security_from_words", lambda: TEXT, wp.security_from_words),
    Target(
        "answers.parse_value",
        lambda: st.tuples(st.sampled_from(sorted(kb().observations)), st.one_of(TEXT, JSON_VALUES)),
        _value,
        (AnswerError,),
    ),
    Target(
        "answers.observations_from_mapping",
        lambda: st.dictionaries(_observation_ids(), JSON_VALUES, max_size=4),
        _mapping,
        (UsageError,),
    ),
    Target("jsonfile.parse_json", _json_bytes, parse_json, (JsonProblem,)),
    Target(
        "file.answers",
        lambda: st.one_of(
            st.dictionaries(_observation_ids(), JSON_VALUES, max_size=4).map(
                lambda d: json.dumps(d).encode()
            ),
            _json_bytes(),
        ),
        _answers_file,
        (UsageError,),
    ),
    Target("file.session", _session_docs, _session_file, (SessionError,)),
    Target("file.cases", _case_docs, _case_file, (CaseFileError,)),
    Target(
        "softap.parse_scan",
        lambda: st.dictionaries(st.sampled_from(["scans", "x"]), JSON_VALUES, max_size=2),
        parse_scan,
        (ProbeFailure,),
    ),
    Target(
        "softap.parse_public_key_blob",
        lambda: st.one_of(st.binary(max_size=300), st.binary(max_size=40).map(lambda b: b"0\x82" + b)),
        parse_public_key_blob,
        (ProbeFailure,),
    ),
    Target(
        "serial.check_modules",
        lambda: st.dictionaries(st.sampled_from(["p", "m", "x"]), JSON_VALUES, max_size=3),
        check_modules,
        (ValueError,),
    ),
)
