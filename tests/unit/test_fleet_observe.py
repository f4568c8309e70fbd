"""Fleet mode's pure core: records to facts, the fleet context, and the dedupe keys (exact by construction)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.knowledge.model import KnowledgeBase

from photon_doctor.fleet_diagnose import verdict_of
from photon_doctor.fleet_observe import Canon, FleetContext, fleet_context, needs_diagnosis, observation_key
from photon_doctor.fleet_records import (
    DeviceFacts,
    JsonlReport,
    RecordError,
    facts_from_record,
    read_jsonl,
    read_jsonl_parallel,
)

NOW = 1_780_000_000.0


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


def facts(
    device_id: str,
    *,
    online: bool = False,
    hours: float = 5.0,
    site: str | None = "a",
    firmware: int | None = 7,
    product: int | None = 1,
    rssi: float | None = -60.0,
    net: float | None = 0,
    cloud: float | None = 0,
    reason: str | None = None,
    system: str | None = "2.3.1",
) -> DeviceFacts:
    return DeviceFacts(
        device_id,
        f"name-{device_id}",
        online,
        NOW - hours * 3600,
        product,
        firmware,
        system,
        site,
        rssi,
        net,
        cloud,
        reason,
    )


def test_record_in_the_api_shape_with_vitals() -> None:
    record = {
        "id": "ABCDEF0123456789ABCDEF01",
        "name": "kiln",
        "online": False,
        "last_heard": "2026-05-28T20:26:40.000Z",
        "product_id": 4242,
        "firmware_version": 8,
        "system_firmware_version": "2.3.1",
        "last_ip_address": "1.2.3.4",
        "diagnostics": {
            "payload": {
                "device": {
                    "network": {
                        "signal": {"strengthv": -84, "strengthv_units": "dBm"},
                        "connection": {"disconnects": 17},
                    },
                    "cloud": {"connection": {"disconnects": 3, "disconnect_reason": 5}},
                }
            }
        },
    }
    f = facts_from_record(record)
    assert f.id == "abcdef0123456789abcdef01"
    assert (f.online, f.product_id, f.firmware_version, f.site) == (False, 4242, 8, "1.2.3.4")
    assert f.last_heard == pytest.approx(1780000000.0)
    assert (f.rssi, f.network_disconnects, f.cloud_disconnects, f.cloud_reason) == (
        -84,
        17,
        3,
        "system_reset",
    )


@pytest.mark.parametrize(
    "record, words",
    [
        ([], "not a JSON object"),
        ({"name": "x", "online": True}, "no device 'id'"),
        ({"id": "a1"}, "'online' flag"),
        ({"id": "a1", "online": True, "last_heard": "yesterday"}, "ISO 8601"),
    ],
)
def test_bad_records_say_why(record: object, words: str) -> None:
    with pytest.raises(RecordError, match=words):
        facts_from_record(record)


def test_a_dark_site_and_a_lone_failure() -> None:
    devices = [facts(f"s{i}", site="dark", hours=10 + i * 0.01) for i in range(4)]
    devices += [
        facts("lone", site="busy", hours=200),
        facts("ok1", online=True, site="busy"),
        facts("ok2", online=True, site="busy"),
    ]
    ctx = fleet_context(devices)
    assert ctx.together["s0"].site_pct == 100.0
    assert ctx.together["s0"].sites == 1
    assert ctx.together["s0"].fleet_pct == pytest.approx(100 * 4 / 7)
    assert ctx.together["lone"].site_pct == pytest.approx(100 / 3)
    assert "ok1" not in ctx.together


def test_many_sites_together_are_counted_up_to_the_cap() -> None:
    devices = [facts(f"d{i}", site=f"site{i}", hours=1.5 + i / 3600) for i in range(30)]
    ctx = fleet_context(devices)
    assert ctx.together["d0"].sites == 20


def test_a_failing_firmware_version_is_flagged() -> None:
    # Failures one by one (a day apart, each at its own site): 4 of 10 devices on version 8, 2 of 60 on version 7.
    old = [facts(f"o{i}", online=i >= 2, firmware=7, site=f"o{i}", hours=24 * (i + 1)) for i in range(60)]
    new = [facts(f"n{i}", online=i >= 4, firmware=8, site=f"n{i}", hours=24 * (i + 10)) for i in range(10)]
    ctx = fleet_context(old + new)
    assert (1, 8) in ctx.failing_firmware
    assert (1, 7) not in ctx.failing_firmware


def test_a_dark_site_does_not_count_against_its_firmware() -> None:
    """The same 4 failures on version 8 as above, but together at one site: the site's problem, not the release."""
    old = [facts(f"o{i}", online=i >= 2, firmware=7, site=f"o{i}", hours=24 * (i + 1)) for i in range(60)]
    dark = [
        facts(f"n{i}", online=i >= 4, firmware=8, site="dark" if i < 5 else f"n{i}", hours=5 + i / 60)
        for i in range(10)
    ]
    ctx = fleet_context(old + dark)
    assert ctx.together["n0"].site_pct == 80.0
    assert (1, 8) not in ctx.failing_firmware


def test_online_and_calm_is_not_diagnosed() -> None:
    assert not needs_diagnosis(facts("x", online=True, net=2, cloud=1))
    assert needs_diagnosis(facts("x", online=True, net=25))
    assert needs_diagnosis(facts("x", online=False))


def _empty_context() -> FleetContext:
    return FleetContext({}, frozenset(), frozenset())


@settings(max_examples=60, deadline=None)
@given(
    rssi=st.floats(-100, -20, allow_nan=False),
    net=st.integers(0, 80),
    cloud=st.integers(0, 80),
    hours=st.floats(0, 3000, allow_nan=False),
)
def test_the_key_diagnoses_exactly_like_the_raw_values(
    kb: KnowledgeBase, rssi: float, net: int, cloud: int, hours: float
) -> None:
    """Canonicalising numbers must never change a diagnosis: compare with the raw, uncanonicalised values."""
    device = facts("x", rssi=rssi, net=net, cloud=cloud, hours=hours, reason="system_reset")
    key = observation_key(device, _empty_context(), Canon(kb), NOW)

    class Raw(Canon):
        def number(self, obs_id: str, value: float) -> float:
            return value

    raw = observation_key(device, _empty_context(), Raw(kb), NOW)
    assert verdict_of(kb, key) == verdict_of(kb, raw)


def test_equal_devices_share_one_key(kb: KnowledgeBase) -> None:
    canon = Canon(kb)
    a = observation_key(facts("a", rssi=-84, net=30), _empty_context(), canon, NOW)
    b = observation_key(facts("b", rssi=-88, net=45), _empty_context(), canon, NOW)
    c = observation_key(facts("c", rssi=-60, net=30), _empty_context(), canon, NOW)
    assert a == b
    assert a != c


def test_the_parallel_reader_matches_the_serial_one(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": f"{i:024x}", "online": i % 3 > 0, "last_heard": "2026-05-28T20:26:40.000Z"})
        for i in range(500)
    ]
    lines[123] = "{broken"
    lines[401] = json.dumps({"online": True})
    path = tmp_path / "f.jsonl"
    path.write_text("\n".join(lines) + "\n")
    serial, parallel = JsonlReport(), JsonlReport()
    assert list(read_jsonl(path, serial)) == list(read_jsonl_parallel(path, parallel, 2))
    assert parallel.bad == serial.bad == 2
    assert parallel.first_bad == serial.first_bad
    assert [b.line for b in serial.first_bad or []] == [124, 402]


def test_a_device_the_cloud_tells_nothing_about_has_no_likely_cause(kb: KnowledgeBase) -> None:
    # QA finding: an offline device with no last_heard, Device OS or vitals was counted under "The application
    # firmware keeps Wi-Fi or the cloud off" at its base rate (9 %), and so was every such device of a fleet.
    bare = (("cli_login_ok", True), ("cloud_lists_device", True), ("cloud_online", False))
    assert verdict_of(kb, bare).leading is None
    weak = tuple(sorted((*bare, ("signal_rssi_dbm", -88.0))))
    assert verdict_of(kb, weak).leading == "weak_signal"
