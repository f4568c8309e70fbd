"""The fleet report's figures (photon_doctor/fleet_summary.py) on a hand-made fleet whose every figure is worked out
below: counts, percentages, the offline-duration bins and their edges, the causes' order, the site visits.

Written in the second round of mutation testing (docs/reliability.md): the end-to-end tests read the report's
shape and a few shares, and most of its arithmetic could change with every test passing.
"""

from __future__ import annotations

import csv
import io

import pytest
from photon_doctor.knowledge.loader import load_knowledge

from photon_doctor.fleet_diagnose import Verdict
from photon_doctor.fleet_observe import Key
from photon_doctor.fleet_records import DeviceFacts
from photon_doctor.fleet_summary import (
    NO_CAUSE,
    SHOWN,
    device_rows,
    summarise,
    summary_text,
    write_csv,
)

KB = load_knowledge()
NOW = 1_700_000_000.0
HOUR = 3600.0


def _device(name: str, online: bool, hours_ago: float | None) -> DeviceFacts:
    last_heard = None if hours_ago is None else NOW - hours_ago * HOUR
    return DeviceFacts(
        (name * 24)[:24],
        name,
        online,
        last_heard,
        None,
        None,
        "1.5.2",
        f"site-{name}",
        None,
        None,
        None,
        None,
    )


# Observation sets (keys) and what was diagnosed for each: X and P are two causes, one set clears by itself (a
# cloud outage), one has no likely cause.
X, P = "weak_signal", "dhcp_problem"
K_X: Key = (("a", 1),)
K_P: Key = (("a", 2),)
K_P2: Key = (("a", 3),)
K_OUTAGE: Key = (("a", 4),)
K_NONE: Key = (("a", 5),)
VERDICTS = {
    K_X: Verdict(((X, 0.61234), (P, 0.2)), clear=True),
    K_P: Verdict(((P, 0.5),), clear=False),
    K_P2: Verdict(((P, 0.4),), clear=False),
    K_OUTAGE: Verdict((("cloud_outage", 0.9),), clear=True),
    K_NONE: Verdict((), clear=False),
}
# name, online, hours since last heard, observation set (None: online and calm, not diagnosed)
FLEET = [
    ("a", True, 0.0, None),
    ("b", True, 0.0, K_P),  # online but struggling
    ("c", False, 0.5, K_X),
    ("d", False, 1.0, K_X),  # exactly an hour: "1 to 24 hours"
    ("e", False, 24.0, K_X),  # exactly a day: "1 to 7 days"
    ("i", False, 3.0, K_X),
    ("j", False, 3.0, K_X),
    ("k", False, 3.0, K_X),
    ("f", False, None, K_OUTAGE),  # never heard from: "unknown"; an outage needs no visit
    ("g", False, 1000.0, K_NONE),  # "over 4 weeks", no likely cause: still a visit
    ("h", False, -1.0, K_P2),  # heard "in the future" (clock skew): offline for 0 hours
]
DEVICES = [_device(n, online, hours) for n, online, hours, _ in FLEET]
KEYS = {d.id: key for d, (_, _, _, key) in zip(DEVICES, FLEET) if key is not None}


@pytest.fixture(scope="module")
def report() -> dict[str, object]:
    return summarise(KB, DEVICES, KEYS, VERDICTS, NOW, {"kind": "test"})


def test_the_device_counts_and_their_shares(report: dict[str, object]) -> None:
    # 11 devices, 2 online (2/11 = 18.18 %), 9 offline; 10 diagnosed (all but the calm one) from 5 sets.
    assert report["devices"] == {
        "total": 11,
        "online": 2,
        "offline": 9,
        "online_pct": 18.2,
        "offline_pct": 81.8,
        "diagnosed": 10,
        "distinct_observation_sets": 5,
    }


def test_the_offline_durations_fall_in_their_ranges_with_shares_of_the_offline(
    report: dict[str, object],
) -> None:
    # Upper bounds exclusive: 0.5 h and 0 h under an hour; 1 h and three of 3 h in 1-24 h; 24 h in 1-7 days;
    # 1000 h (41 days) over 4 weeks; never heard unknown. No device in 1-4 weeks: that range is left out.
    # Shares of the 9 offline: 2/9 = 22.2 %, 4/9 = 44.4 %, 1/9 = 11.1 %.
    assert report["offline_for"] == [
        {"range": "under an hour", "devices": 2, "share_pct": 22.2},
        {"range": "1 to 24 hours", "devices": 4, "share_pct": 44.4},
        {"range": "1 to 7 days", "devices": 1, "share_pct": 11.1},
        {"range": "over 4 weeks", "devices": 1, "share_pct": 11.1},
        {"range": "unknown", "devices": 1, "share_pct": 11.1},
    ]


def test_the_causes_most_devices_first_and_ties_by_id(report: dict[str, object]) -> None:
    causes = report["causes"]
    assert isinstance(causes, list)
    # X: c d e i j k (6 of 10 diagnosed); P: b and h (two sets, one cause); then one device each, "" (no likely
    # cause) before "cloud_outage".
    assert [(c["cause"], c["devices"], c["share_pct"]) for c in causes] == [
        (X, 6, 60.0),
        (P, 2, 20.0),
        (None, 1, 10.0),
        ("cloud_outage", 1, 10.0),
    ]
    assert causes[0]["title"] == KB.causes[X].title and causes[2]["title"] == NO_CAUSE
    assert causes[0]["examples"] == ["c", "d", "e", "i", "j"][:SHOWN]
    assert causes[0]["device_ids"] == [d.id for d in DEVICES if d.name in "cdeijk"]


def test_every_offline_device_but_the_outage_needs_a_visit(report: dict[str, object]) -> None:
    visit = report["needs_visit"]
    assert isinstance(visit, dict)
    assert [(v["name"], v["cause"], v["offline_hours"]) for v in visit["list"]] == [
        ("c", X, 0.5),
        ("d", X, 1.0),
        ("e", X, 24.0),
        ("i", X, 3.0),
        ("j", X, 3.0),
        ("k", X, 3.0),
        ("g", None, 1000.0),
        ("h", P, 0.0),
    ]
    assert visit["devices"] == 8
    assert visit["list"][0]["site"] == "site-c"


def test_the_rows_per_device() -> None:
    rows = list(device_rows(DEVICES, KEYS, VERDICTS, NOW))
    assert [r["name"] for r in rows] == [d.name for d in DEVICES]
    by_name = {r["name"]: r for r in rows}
    assert by_name["a"]["diagnosed"] is False and by_name["a"]["causes"] == []
    assert by_name["c"]["causes"] == [{"cause": X, "certainty": 0.612}, {"cause": P, "certainty": 0.2}]
    assert [r["offline_hours"] for r in rows] == [
        None,
        None,
        0.5,
        1.0,
        24.0,
        3.0,
        3.0,
        3.0,
        None,
        1000.0,
        0.0,
    ]
    assert [r["name"] for r in rows if r["needs_visit"]] == ["c", "d", "e", "i", "j", "k", "g", "h"]
    out = io.StringIO()
    write_csv(KB, rows, out)
    table = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(t["name"], t["cause"], t["cause_title"]) for t in table[:3]] == [
        ("a", "", ""),
        ("b", P, KB.causes[P].title),
        ("c", X, KB.causes[X].title),
    ]
    assert table[9]["cause_title"] == NO_CAUSE and table[9]["offline_hours"] == "1000.0"


def test_the_text_says_the_shares_and_how_many_more(report: dict[str, object]) -> None:
    text = summary_text(report)
    assert "Fleet: 11 devices; 2 online (18.2 %), 9 offline (81.8 %)." in text
    assert "under an hour 2 (22.2 %); 1 to 24 hours 4 (44.4 %)" in text
    assert f"   60.0 %  {KB.causes[X].title}: 6 devices (c, d, e, i, j and 1 more)" in text
    assert "Need a person on site: 8 devices (c, d, e, i, j and 3 more)." in text
    assert "Diagnosed 10 devices from 5 distinct sets of observations" in text


def test_one_distinct_set_is_one_set(report: dict[str, object]) -> None:
    """QA finding: "Diagnosed 2 devices from 1 distinct sets of observations"."""
    devices = dict(report["devices"])  # type: ignore[call-overload]
    one = {**report, "devices": {**devices, "diagnosed": 2, "distinct_observation_sets": 1}}
    assert "Diagnosed 2 devices from 1 distinct set of observations (each set once)." in summary_text(one)
