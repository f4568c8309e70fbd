"""Fleet text counts in words a person reads (QA finding: "1 devices (kitchen)")."""

from __future__ import annotations

from photon_doctor.fleet_summary import summary_text


def test_one_device_is_one_device() -> None:
    report = {
        "devices": {
            "total": 2,
            "online": 1,
            "offline": 1,
            "online_pct": 50.0,
            "offline_pct": 50.0,
            "diagnosed": 1,
            "distinct_observation_sets": 1,
        },
        "offline_for": [{"range": "1 to 24 hours", "devices": 1, "share_pct": 100.0}],
        "causes": [
            {
                "cause": "device_os_bug",
                "title": "A known bug in the installed Device OS",
                "devices": 1,
                "share_pct": 100.0,
                "examples": ["kitchen"],
                "device_ids": ["a" * 24],
            }
        ],
        "needs_visit": {"devices": 1, "list": [{"id": "a" * 24, "name": "kitchen"}]},
    }
    text = summary_text(report)
    assert "1 devices" not in text
    assert "Device OS: 1 device (kitchen)" in text and "Need a person on site: 1 device (kitchen)" in text
