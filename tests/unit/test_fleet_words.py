"""Fleet text counts in words a person reads (QA finding: "1 devices (kitchen)")."""

from __future__ import annotations

from photon_doctor.fleet_summary import offline_words, summary_html, summary_text


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


def test_a_healthy_fleet_s_page_says_so_in_words() -> None:
    """QA finding: with nothing offline the page showed two empty tables under "Likely causes" and "Need a person
    on site" (the text summary says "No device is offline or struggling.")."""
    report = {
        "devices": {
            "total": 2,
            "online": 2,
            "offline": 0,
            "online_pct": 100.0,
            "offline_pct": 0.0,
            "diagnosed": 0,
            "distinct_observation_sets": 0,
        },
        "offline_for": [],
        "causes": [],
        "needs_visit": {"devices": 0, "list": []},
    }
    page = summary_html(report, {})
    assert "<table>" not in page
    assert "No device is offline or struggling." in page and "Nobody needs to go on site." in page


def test_how_long_offline_reads_in_words() -> None:
    said = [offline_words(h) for h in (None, 0.4, 1.2, 9.7, 47.4, 157.0, 1684.7)]
    assert said == [
        "not known",
        "under an hour",
        "1&nbsp;hour",
        "10&nbsp;hours",
        "47&nbsp;hours",
        "7&nbsp;days",
        "10&nbsp;weeks",
    ]
