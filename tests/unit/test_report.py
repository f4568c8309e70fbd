"""`photon_doctor.report`: the report's contents, its Markdown and HTML pages, and secrets kept out of every format."""

from __future__ import annotations

import html
import json
import os
import re
import stat
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from photon_doctor.foundation.errors import SessionError, UsageError
from photon_doctor.foundation.redact import MASK, register_secret
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.knowledge.model import KnowledgeBase

from photon_doctor import __version__
from photon_doctor.plain import likelihood
from photon_doctor.report import build_report, format_name, render, to_html, to_markdown, write_private
from photon_doctor.report_scrub import scrub, scrub_text
from tests.conftest import KB_MINI

FORMATS = ("md", "html", "json")
WHEN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)

# Secrets the program knows (registered where they enter): they may appear anywhere, in any shape.
TOKEN = "tok-Reg1stered-9f8e7d"
WIFI_PASSWORD = "Correct-Horse-7731"
CLAIM_CODE = "Qm9vdHN0cmFwQ2xhaW1Db2RlRm9yVGVzdGluZ1B1cnBvc2VzT25seTEyMzQ1Njc"
# Secrets nobody registered: only the patterns can catch these.
BEARER = "bearer-secret-5521"
URL_TOKEN = "url-secret-4410"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge(KB_MINI)


def obs(
    oid: str, value: Any, source: str = "person", detail: str = "", confidence: float = 1.0
) -> dict[str, Any]:
    return {
        "id": oid,
        "value": value,
        "confidence": confidence,
        "provenance": {"source": source, "detail": detail},
    }


def session(**extra: Any) -> dict[str, Any]:
    """A hand-written session of the mini knowledge base: a dented Photon blinking green, weak signal."""
    data: dict[str, Any] = {
        "schema_version": 1,
        "id": "20260301T101112-abc123",
        "command": "diagnose",
        "observations": [
            obs("visible_damage", True, "person", "you answered: yes"),
            obs("led_pattern", "blinking_green", "probe:serial", "sent 'i', device said 'listening'"),
            obs("signal_rssi_dbm", -85, "probe:softap", "scan-ap lists 'HomeNet' rssi -85 dBm", 0.9),
        ],
        "answer_order": ["visible_damage"],
        "skipped": ["device_os_version"],
        "questions_asked": 1,
    }
    data.update(extra)
    return data


def action(**fields: Any) -> dict[str, Any]:
    a = {
        "fix": "flash_tinker_usb",
        "title": "Flash Tinker",
        "automation": "flash_tinker",
        "risk": "erases_data",
        "reversible": False,
        "commands": ["particle flash --usb tinker"],
        "consent": "given",
        "result": "failed",
        "message": "the device did not come back",
        "verified_connected": False,
        "seconds": 41.5,
    }
    a.update(fields)
    return a


def secret_session() -> dict[str, Any]:
    """Secrets planted in provenance details, action commands and messages, and the outcome."""
    data = session()
    data["observations"][0]["provenance"]["detail"] = f"you typed the password {WIFI_PASSWORD} when asked"
    data["observations"][1]["provenance"]["detail"] = (
        f"GET https://api.particle.io/v1/devices?access_token={URL_TOKEN}&x=1 -> 200 ({TOKEN})"
    )
    data["actions"] = [
        action(
            commands=[
                f"particle serial wifi --ssid HomeNet --file wifi.json   # password {WIFI_PASSWORD}",
                f'curl -H "Authorization: Bearer {BEARER}" https://api.particle.io/v1/devices',
                f"particle device add 2f8104fba08f6d3682da2bd8 with claim code {CLAIM_CODE}",
            ],
            message=f"claim code {CLAIM_CODE} requested with token {TOKEN}",
        ),
        action(
            fix="contact_support_replace",
            title="",
            result="manual-confirmed",
            consent="auto",
            commands=[],
            message=f"ticket text mentions {WIFI_PASSWORD}",
            verified_connected=True,
        ),
    ]
    data["outcome"] = {
        "verified_connected": True,
        "fixed_by": "contact_support_replace",
        "note": f"token was {TOKEN}",
    }
    return data


def all_text(out: str, fmt: str) -> str:
    """The output plus its decoded form, so that an escaped secret (&quot;, \\") cannot slip past a scan."""
    decoded = html.unescape(out) if fmt == "html" else out
    if fmt == "json":
        decoded = json.dumps(json.loads(out), ensure_ascii=True)
    return out + "\n" + decoded


# ------------------------------------------------------------------------------------------------ secrets
@pytest.mark.parametrize("fmt", FORMATS)
def test_no_secret_reaches_any_format(kb: KnowledgeBase, fmt: str) -> None:
    for secret in (TOKEN, WIFI_PASSWORD, CLAIM_CODE):
        register_secret(secret)  # as the token loader, the password prompt and the claim-code request do
    out = render(build_report(kb, secret_session(), generated_at=WHEN), fmt)
    text = all_text(out, fmt)
    for secret in (TOKEN, WIFI_PASSWORD, CLAIM_CODE, BEARER, URL_TOKEN):
        assert secret not in text, (fmt, secret)
    # The lines that held them are still there, masked: the scan looked at rendered evidence, not at nothing.
    assert "access_token=" + MASK in text
    assert "Bearer " + MASK in text
    assert f"claim code {MASK} requested with token {MASK}" in text
    assert f"you typed the password {MASK} when asked" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_unregistered_secrets_are_masked_by_key_and_by_shape(kb: KnowledgeBase, fmt: str) -> None:
    hex_token = "0123456789abcdef0123456789abcdef01234567"  # the shape of a Particle access token
    claim = "Zm9vYmFyYmF6cXV4" * 3 + "UHJpdmF0ZUNsYWl"  # 63 characters of the base64 alphabet
    assert len(claim) == 63
    data = session()
    data["observations"][0]["provenance"]["token"] = "unreg-provenance-tok-1"
    data["observations"][1]["provenance"]["detail"] = f"listed with {hex_token}; claim {claim}"
    data["actions"] = [
        action(
            password="unreg-action-pass-2",
            params={"ssid": "HomeNet", "Wifi-Password": "unreg-nested-pass-3", "claim_code": "unreg-cc-4"},
            commands=[
                "particle login --token unreg-option-tok-5",
                'wifi.json: {"password": "unreg-json-pass-6"}',
            ],
            message="sent password=unreg-form-pass-7&ssid=HomeNet",
        )
    ]
    report = build_report(kb, data, generated_at=WHEN)
    text = all_text(render(report, fmt), fmt)
    for secret in (
        "unreg-provenance-tok-1",
        hex_token,
        claim,
        "unreg-action-pass-2",
        "unreg-nested-pass-3",
        "unreg-cc-4",
        "unreg-option-tok-5",
        "unreg-json-pass-6",
        "unreg-form-pass-7",
    ):
        assert secret not in text, (fmt, secret)
    assert "HomeNet" in text  # what is not secret stays
    # Key-based masking keeps the fields (the executor may add some), with their values masked.
    assert report["actions"][0]["password"] == MASK
    assert report["actions"][0]["params"] == {"ssid": "HomeNet", "Wifi-Password": MASK, "claim_code": MASK}


def test_scrubbing_is_idempotent_and_leaves_plain_text_alone() -> None:
    samples = [
        "GET /v1/devices?access_token=abc&x=1",
        "particle login --token abc",
        '{"password": "x"}',
        "Authorization: Bearer abc",
        "Authorization: Basic dXNlcjpwYXNz",
        "401 invalid_token: rejected",
        "device 2f8104fba08f6d3682da2bd8, rssi -52 dBm, sec 0x400004",
    ]
    for s in samples:
        once = scrub_text(s)
        assert scrub_text(once) == once, s
        assert "]]" not in once
    assert scrub_text(samples[-1]) == samples[-1]
    assert scrub_text(samples[-2]) == samples[-2]
    assert scrub({"token_valid": True, "token": None, "password": "p"}) == {
        "token_valid": True,
        "token": None,
        "password": MASK,
    }


# ------------------------------------------------------------------------------------------------ contents
def test_report_json_has_observations_with_provenance_causes_plan_actions(kb: KnowledgeBase) -> None:
    data = session(
        actions=[action()], outcome={"verified_connected": False, "fixed_by": None}, scenario="dented"
    )
    r = build_report(kb, data, generated_at=WHEN)
    assert r["schema_version"] == 1
    assert r["generator"] == {
        "name": "photon-doctor",
        "version": __version__,
        "generated_at": "2026-03-04T05:06:07Z",
        "knowledge_schema_version": 1,
    }
    assert r["session"] == {
        "id": "20260301T101112-abc123",
        "command": "diagnose",
        "scenario": "dented",
        "saved_at": "2026-03-01T10:11:12Z",
        "questions_asked": 1,
        "skipped": ["device_os_version"],
        "stopped_at": None,
    }
    led = next(o for o in r["observations"] if o["id"] == "led_pattern")
    assert (led["source"], led["obtained_by"], led["evidence"]) == (
        "probe:serial",
        "USB serial probe",
        "sent 'i', device said 'listening'",
    )
    assert led["meaning"] == "joining Wi-Fi" and led["question"] == "What does the LED do?"
    rssi = next(o for o in r["observations"] if o["id"] == "signal_rssi_dbm")
    assert (rssi["value_text"], rssi["confidence"]) == ("-85 dBm", 0.9)
    top = r["causes"][0]
    assert top["cause"] == "physical_damage" and top["rank"] == 1 and top["certainty"] > 0.8
    assert {e["id"] for e in top["for"]} == {"dent", "dent_and_green"}
    dent = next(e for e in top["for"] if e["id"] == "dent")
    assert dent["rationale"] == "A dent can break the radio." and dent["source"] == "thread"
    assert dent["observations"][0]["obtained_by"] == "answered by the person"
    # Probabilities now (issue 8): every cause at 2 % or more is listed, the supported ones first.
    assert [c["cause"] for c in r["causes"]][:2] == ["physical_damage", "weak_signal"]
    assert [p["position"] for p in r["plan"]] == list(range(1, len(r["plan"]) + 1))
    assert all(p["steps"] and "p_success" in p for p in r["plan"])
    assert r["actions"][0]["result"] == "failed" and r["actions"][0]["commands"] == [
        "particle flash --usb tinker"
    ]
    assert r["outcome"] == {"verified_connected": False, "fixed_by": None}
    assert "not verified connected" in r["summary"]
    json.dumps(r)  # JSON-ready as it is


def test_ruled_out_causes_carry_the_evidence_against(kb: KnowledgeBase) -> None:
    data = session(observations=[obs("led_pattern", "breathing_cyan")])
    r = build_report(kb, data, generated_at=WHEN)
    assert r["causes"][0]["cause"] != "user_firmware_blocks_connection"
    # Down from its base rate to under 5 %: still listed as possible, with what speaks against it, and so not
    # also "ruled out" (QA: it was both).
    out = next(c for c in r["causes"] if c["cause"] == "user_firmware_blocks_connection")
    assert not [c for c in r["ruled_out"] if c["cause"] == out["cause"]]
    assert (
        out["certainty"] < out["prior"]
        and out["against"][0]["rationale"] == "It connects, so the app lets it."
    )
    said = f"{likelihood(out['probability'])}. Against it: It connects, so the app lets it."
    assert said in to_markdown(r)


def test_session_without_actions_says_no_fix_was_carried_out(kb: KnowledgeBase) -> None:
    r = build_report(kb, session(), generated_at=WHEN)
    assert r["actions"] == [] and r["outcome"] is None
    assert "No fix was carried out" in to_markdown(r) and "No fix was carried out" in to_html(r)


def test_actions_are_taken_from_the_outcome_when_the_list_is_missing(kb: KnowledgeBase) -> None:
    data = session(
        outcome={
            "verified_connected": True,
            "fixed_by": "improve_signal",
            "actions": [action(fix="improve_signal", title="", result="manual-confirmed")],
        }
    )
    r = build_report(kb, data, generated_at=WHEN)
    assert [a["fix"] for a in r["actions"]] == ["improve_signal"]
    assert r["actions"][0]["title"] == kb.fixes["improve_signal"].title  # filled in from the knowledge
    assert r["outcome"]["fixed_by_title"] == kb.fixes["improve_signal"].title
    assert (
        "checked that the device reaches the Particle cloud after: " + kb.fixes["improve_signal"].title
        in r["summary"]
    )


def test_a_changed_knowledge_base_is_noted(kb: KnowledgeBase) -> None:
    ranked_now = [c["cause"] for c in build_report(kb, session(), generated_at=WHEN)["causes"]]
    same = session(diagnosis={"ranked_causes": [{"id": c} for c in ranked_now]})
    assert build_report(kb, same, generated_at=WHEN)["notes"] == []
    other = session(diagnosis={"ranked_causes": [{"id": "weak_signal"}]})
    assert "knowledge base has changed" in build_report(kb, other, generated_at=WHEN)["notes"][0]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"actions": {"fix": "x"}}, "field 'actions' is not a list"),
        ({"actions": ["flash_tinker_usb"]}, "actions[0] is not an object"),
        ({"actions": [action(commands=7)]}, "actions[0].commands is not a list"),
        ({"outcome": "fixed"}, "field 'outcome' is not an object"),
        ({"observations": [obs("led", "blinking_green")]}, "unknown observation 'led'"),
        (
            {"observations": [obs("visible_damage", True, confidence="high")]},  # type: ignore[arg-type]
            "observations[0].confidence must be a number from 0 to 1",
        ),
        (
            {"observations": [obs("visible_damage", True, confidence=None)]},  # type: ignore[arg-type]
            "observations[0].confidence must be a number from 0 to 1",
        ),
        ({"observations": [obs("visible_damage", True, confidence=7)]}, "observations[0].confidence must be"),
        (
            {"observations": [{"id": "visible_damage", "value": True, "provenance": "person"}]},
            "observations[0].provenance is not an object",
        ),
    ],
)
def test_malformed_sessions_are_session_errors(
    kb: KnowledgeBase, extra: dict[str, Any], message: str
) -> None:
    with pytest.raises(SessionError) as err:
        build_report(kb, session(**extra))
    assert message in err.value.message


# ------------------------------------------------------------------------------------------------ Markdown
def test_markdown_reads_as_a_forum_post(kb: KnowledgeBase) -> None:
    data = session(actions=[action()], outcome={"verified_connected": False, "fixed_by": None})
    md = to_markdown(build_report(kb, data, generated_at=WHEN))
    headings = [line for line in md.splitlines() if line.startswith("#")]
    assert headings[:4] == [
        "# photon-doctor report",
        "## What to do next",
        "## What was verified",
        "## Why: Damaged module",
    ]
    assert {"## The whole plan", "## Fixes tried", "## What was observed"} <= set(headings)
    assert md.splitlines()[2].startswith("**Most likely: Damaged module (") and " %).**" in md.splitlines()[2]
    assert "| What | Answer | How it was found | Evidence |" in md
    assert (
        "| What does the LED do | joining Wi-Fi | USB serial probe | `sent 'i', device said 'listening'` |"
        in md
    )
    assert "| Is the module dented | yes | answered by the person | `you answered: yes` |" in md
    assert (
        "**What points to it:**" in md
        and "- A dent can break the radio. (seen: Is the module dented: yes" in md
    )
    assert "| 1 | Flash Tinker | failed | no |" in md
    assert "**Outcome:** not verified connected to the cloud." in md
    assert "```\n   particle flash --usb tinker\n   ```" in md
    assert f"photon-doctor {__version__} on 2026-03-04 05:06:07 UTC" in md
    assert "Questions not answered: " in md
    for inner in ("physical_damage", "led_pattern", "flash_tinker_usb", "(+0.70)", "source: thread"):
        assert inner not in md, inner


def test_a_refused_fix_lists_no_commands(kb: KnowledgeBase) -> None:
    data = session(
        actions=[action(consent="refused", result="skipped", message="not run: the person said no")]
    )
    md = to_markdown(build_report(kb, data, generated_at=WHEN))
    tried = md.split("## Fixes tried")[1].split("## What was observed")[0]
    assert "not run: the person said no" in tried and "particle flash --usb tinker" not in tried
    page = to_html(build_report(kb, data, generated_at=WHEN))
    tried = page.split("id='tried'")[1].split("id='observed'")[0]
    assert "not run: the person said no" in tried and "particle flash --usb tinker" not in tried


def _cells(row: str) -> int:
    return len(re.findall(r"(?<!\\)\|", row))


def test_markdown_content_cannot_break_a_table_or_inject_markup(kb: KnowledgeBase) -> None:
    data = session(actions=[action(message="done <script>alert(1)</script> | *bold*")])
    data["observations"][1]["provenance"]["detail"] = "a | b `c` <script>x</script>\nsecond line"
    md = to_markdown(build_report(kb, data, generated_at=WHEN))
    table = [line for line in md.splitlines() if line.startswith("| ")]
    header = next(line for line in table if line.startswith("| What | Answer |"))
    rows = [
        line for line in table if line.startswith(("| What does the LED do |", "| Is the module dented |"))
    ]
    assert len(rows) == 2 and all(_cells(r) == _cells(header) for r in rows)
    assert "second line" in rows[0] + rows[1]
    # Raw HTML only inside code spans, where Markdown shows it as text; in prose it is escaped.
    prose = re.sub(r"(`+)(.+?)\1", "", md)
    assert "<script>" not in prose
    assert r"done \<script\>alert(1)\</script\> \| \*bold\*" in md


# ------------------------------------------------------------------------------------------------ HTML
class _Tags(HTMLParser):
    VOID = frozenset({"meta", "br", "hr", "link", "img", "input", "col"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs += attrs
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()


def test_html_is_one_self_contained_escaped_page(kb: KnowledgeBase) -> None:
    data = session(actions=[action(message="<script>alert('x')</script>", commands=["echo '<b>&</b>'"])])
    data["observations"][1]["provenance"]["detail"] = "<script src='https://evil.example/x.js'></script>"
    page = to_html(build_report(kb, data, generated_at=WHEN))
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "echo &#x27;&lt;b&gt;&amp;&lt;/b&gt;&#x27;" in page
    parser = _Tags()
    parser.feed(page)
    parser.close()
    assert parser.stack == []
    assert {"style", "table", "h1", "h2", "footer"} <= parser.tags and not {
        "script",
        "link",
        "img",
    } & parser.tags
    assert not [a for a in parser.attrs if a[0] in ("src", "href")]
    assert "url(" not in page and "@import" not in page
    assert "default-src 'none'" in page
    assert f"photon-doctor {__version__}" in page


def test_html_keeps_each_percentage_on_one_line(kb: KnowledgeBase) -> None:
    """QA: on a phone, "very unlikely, under 5" ended a line and "%" began the next: a no-break space joins them
    (the Markdown keeps its plain space)."""
    report = build_report(kb, session(), generated_at=WHEN)
    page = to_html(report)
    assert "&nbsp;%" in page
    assert not re.findall(r"\d %", page)
    assert re.search(r"\d %", to_markdown(report))


def test_a_session_stopped_at_a_question_says_so_beside_the_answer(kb: KnowledgeBase) -> None:
    """QA: a session stopped by Ctrl-C at its first question was reported as "Most likely: ..." with nothing to
    tell the reader that no question had been answered. The open question is named, in every format."""
    question = kb.observations["device_os_version"].question
    report = build_report(kb, session(pending_question="device_os_version"), generated_at=WHEN)
    assert report["session"]["stopped_at"] == question
    md, page = to_markdown(report), to_html(report)
    assert "The questions were not finished" in md and question in md
    assert "The questions were not finished" in page
    finished = build_report(kb, session(), generated_at=WHEN)
    assert finished["session"]["stopped_at"] is None
    assert "not finished" not in to_markdown(finished)


def test_a_lead_that_does_not_stand_out_is_not_called_most_likely() -> None:
    """QA: with nothing known yet the report opened "Most likely: ... (unlikely, about 10 %)", a sentence that
    contradicts itself. A cause that does not stand out is "the likeliest so far"."""
    full = load_knowledge(None)
    data = {"schema_version": 1, "id": "20260301T101112-abc123", "command": "diagnose", "observations": []}
    report = build_report(full, data, generated_at=WHEN)
    assert likelihood(report["causes"][0]["probability"]).startswith("unlikely")
    for text in (report["summary"], to_markdown(report), to_html(report)):
        assert "No cause stands out yet; the likeliest so far: " in text
        assert "Most likely" not in text


# ------------------------------------------------------------------------------------------------ formats, files
@pytest.mark.parametrize(
    ("fmt", "output", "expected"),
    [
        (None, None, "md"),
        (None, Path("r.html"), "html"),
        (None, Path("R.JSON"), "json"),
        (None, Path("r.txt"), "md"),
        ("markdown", None, "md"),
        ("HTML", Path("r.json"), "html"),
        ("json", None, "json"),
    ],
)
def test_format_name(fmt: str | None, output: Path | None, expected: str) -> None:
    assert format_name(fmt, output) == expected


def test_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as err:
        format_name("xml")
    assert err.value.message == "unknown report format 'xml'; valid: md, html, json"


def test_json_rendering_is_the_report(kb: KnowledgeBase) -> None:
    r = build_report(kb, session(), generated_at=WHEN)
    assert json.loads(render(r, "json")) == r


def test_write_private_makes_the_file_owner_only(tmp_path: Path) -> None:
    new = tmp_path / "new.md"
    write_private(new, "hello")
    assert new.read_text() == "hello" and stat.S_IMODE(new.stat().st_mode) == 0o600
    old = tmp_path / "old.md"
    old.write_text("a much longer previous content")
    os.chmod(old, 0o644)
    write_private(old, "short")
    assert old.read_text() == "short" and stat.S_IMODE(old.stat().st_mode) == 0o600
    with pytest.raises(UsageError) as err:
        write_private(tmp_path / "missing" / "r.md", "x")
    assert "cannot write the report to" in err.value.message


def test_a_fix_the_owner_saw_work_is_not_said_to_be_checked_by_photon_doctor(kb: KnowledgeBase) -> None:
    """QA finding: after the cloud failed every ping (or without a login) and the owner said the LED breathes
    cyan, the report said 'photon-doctor checked that the device reaches the Particle cloud'."""
    seen = action(
        fix="improve_signal",
        title="",
        result="done",
        verified_connected=True,
        commands=["PUT /v1/devices/x/ping (every 3 s, up to 60 s)", "asked: does the LED breathe cyan?"],
    )
    data = session(actions=[seen], outcome={"verified_connected": True, "fixed_by": "improve_signal"})
    r = build_report(kb, data, generated_at=WHEN)
    title = kb.fixes["improve_signal"].title
    for text in (r["summary"], to_markdown(r), to_html(r)):
        assert "photon-doctor checked that the device reaches" not in text
    said = f"You saw the status LED breathing cyan (on the cloud) after: {title}; the cloud itself did not confirm it."
    assert said in r["summary"] and said in to_markdown(r)


def test_a_last_fix_that_ran_unchecked_is_what_to_look_at_first(kb: KnowledgeBase) -> None:
    """QA finding: a session that stopped after a fix whose result could not be checked (the cloud answering
    every ping with an error, nobody to ask about the LED) went straight to the next fix under 'What to do next',
    though the fix that ran may have been the one."""
    ran = action(fix="improve_signal", title="", result="done", verified_connected=None, message="moved")
    r = build_report(kb, session(actions=[ran], outcome={"verified_connected": False}), generated_at=WHEN)
    title = kb.fixes["improve_signal"].title
    said = (
        f"The last fix, '{title}', was carried out, but whether the device reaches the cloud now was not "
        "checked: look at the status LED first (breathing cyan: it worked, and nothing below is needed)."
    )
    md = to_markdown(r)
    assert said in md and md.index(said) < md.index("Otherwise:"), md[:900]
    assert said in to_html(r).replace("&#x27;", "'")
