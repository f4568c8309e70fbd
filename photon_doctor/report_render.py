"""Rendering a report (the dictionary of :func:`photon_doctor.report.build_report`) as Markdown or as HTML.

Both open with the answer: the likely cause in a sentence, what to do next, and what was verified; then the
evidence in plain words, the other causes, the whole plan, what was observed and the fixes tried. They speak in
titles, sentences and percentages: the knowledge's ids, raw certainty factors and the sources of the rules (files an
owner does not have) stay in the JSON report.

Markdown is for pasting into a forum post or a support ticket: headings, tables, lists; ``|`` and ``<``/``>`` in
content are escaped so that content cannot break a table or inject markup. HTML is one self-contained page: inline
CSS, no scripts, no external resources (a Content-Security-Policy forbids loading any), every piece of content
escaped, readable from 375 px to a desktop width without scrolling sideways, and printable. Both scrub the report
first and the rendered page last (:mod:`photon_doctor.report_scrub`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

from photon_doctor.plain import (
    ORDER_RULE,
    PROBE_WORDS,
    counted,
    likelihood,
    percent,
    question_label,
    stands_out,
)
from photon_doctor.report_scrub import scrub, scrub_page

#: How many fixes of the plan the Markdown report spells out step by step (a forum post should stay short).
MD_PLAN_STEPS = 3

_CSS = """
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:56rem;margin:1.5rem auto;padding:0 1rem;
color:#1d1d1f;background:#fff;overflow-wrap:anywhere}
h1{font-size:1.5rem;margin:.2rem 0 .8rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd;
padding-bottom:.2rem}h3{font-size:1.05rem;margin:1rem 0 .3rem}
.answer{background:#eef6fb;border-left:5px solid #1b8ccb;padding:.8rem 1rem;margin:0 0 1rem}
.answer h2{border:0;margin:1rem 0 .2rem;font-size:1.1rem}.answer p{margin:.3rem 0}
.lead{font-size:1.2rem}.likely{font-weight:600}
table{border-collapse:collapse;width:100%;margin:.6rem 0;table-layout:fixed}
th,td{border:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f4f6f8}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.88em;background:#f4f6f8;border-radius:3px}
pre{padding:.5rem;white-space:pre-wrap;overflow-wrap:anywhere;margin:.3rem 0}code{padding:0 .2rem}
.for{color:#0a6b2d}.against{color:#a4262c}.risky{color:#a4262c;font-weight:600}
.meta,footer,small{color:#555;font-size:.9rem}details{margin:.2rem 0}summary{cursor:pointer;color:#1b6ca8}
@media (max-width:640px){
 body{margin:.8rem auto;font-size:15px}
 table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
 table.stack thead{display:none}table.stack tr{border:1px solid #ddd;margin:.5rem 0;padding:.2rem 0}
 table.stack td{border:0;padding:.15rem .5rem}
 table.stack td[data-label]::before{content:attr(data-label) ": ";font-weight:600}
}
@media print{
 body{max-width:none;margin:0;font-size:11pt}.answer{border:1px solid #999}
 details>summary{display:none}details>*{display:block}
 details::details-content{content-visibility:visible;display:block}
 a{color:inherit;text-decoration:none}
}
"""


# ------------------------------------------------------------------------------------------------ shared words
#: The risk levels of the knowledge, as an owner reads them.
RISK_WORDS = {
    "harmless": "harmless",
    "changes_settings": "changes settings",
    "erases_data": "erases data",
    "irreversible": "cannot be undone",
}
RESULT_WORDS = {
    "done": "done",
    "failed": "failed",
    "skipped": "not run",
    "manual-confirmed": "done by hand",
    "manual-unconfirmed": "shown, to be done by hand",
    "planned": "planned (dry run)",
}


def _num(x: Any, spec: str = ".2f") -> str:
    return format(x, spec) if isinstance(x, (int, float)) and not isinstance(x, bool) else "?"


def _chance(x: Any) -> str:
    return percent(float(x)) if isinstance(x, (int, float)) else "unknown"


def _yes_no(x: Any) -> str:
    if isinstance(x, bool):
        return "yes" if x else "no"
    return "not checked" if x is None else str(x)


def _when(iso: Any) -> str:
    return str(iso).replace("T", " ").replace("Z", " UTC") if iso else "unknown"


def _risk(step: Mapping[str, Any]) -> str:
    words = RISK_WORDS.get(str(step.get("risk")), str(step.get("risk")))
    if step.get("risk") in ("harmless", "changes_settings") and step.get("reversible") is False:
        words += ", cannot be undone"
    return words


def _questions(report: Mapping[str, Any]) -> dict[str, str]:
    """Observation id -> the question, shortened to a label."""
    return {o["id"]: _label(o.get("question") or o["id"]) for o in report["observations"]}


def _label(question: str) -> str:
    return question_label(question, 80)


def _answer_words(o: Mapping[str, Any]) -> str:
    """An observation's value as its meaning when it has one ("joining Wi-Fi"), else its text."""
    return str(o.get("meaning") or o.get("value_text", o.get("value")))


def _seen_words(o: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    how = o.get("obtained_by") or o.get("source") or ""
    value = o.get("value_text", o.get("value"))
    return f"{labels.get(o['id'], 'an observation')}: {value} ({how})"


def _probability(c: Mapping[str, Any]) -> float:
    p = c.get("probability")
    return float(p) if isinstance(p, (int, float)) else 0.0


def _open_steps(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The plan's steps not yet tried in this session, in order (a step shown to be done by hand that nobody
    confirmed is still to do: after a fix session with only that step, the page said "No fix is proposed yet")."""
    open_results = ("skipped", "planned", "manual-unconfirmed")
    tried = {a["fix"] for a in report["actions"] if a.get("result") not in open_results}
    return [s for s in report["plan"] if s["fix"] not in tried]


def _answer(report: Mapping[str, Any]) -> dict[str, Any]:
    """What the top of both pages says: the cause in a sentence, what to do next, what was verified."""
    causes, outcome, actions = report["causes"], report["outcome"], report["actions"]
    if causes and stands_out(_probability(causes[0])):
        top = causes[0]
        lead = f"Most likely: {top['title']} ({likelihood(_probability(top))})."
    elif causes:  # "Most likely: ... (unlikely, about 10 %)" would contradict itself
        top = causes[0]
        lead = f"No cause stands out yet; the likeliest so far: {top['title']} ({likelihood(_probability(top))})."
    else:
        lead = "No cause stands out yet: answer more questions, or let photon-doctor probe the device."
    verified_ok = bool(outcome and outcome.get("verified_connected"))
    steps = _open_steps(report)
    if verified_ok:
        next_step = None
        then: list[str] = []
    else:
        next_step = steps[0] if steps else None
        then = [s["title"] for s in steps[1:3]]
    ran = [a for a in actions if a.get("result") in ("done", "failed", "manual-confirmed")]
    if verified_ok:
        verified = verified_sentence(outcome or {}, actions)
    elif ran:
        verified = (
            f"{len(ran)} fix{'es' if len(ran) != 1 else ''} carried out; the device was not verified "
            "connected to the cloud at the end."
        )
    else:
        probed = sum(1 for o in report["observations"] if str(o.get("source", "")).startswith("probe:"))
        told = len(report["observations"]) - probed
        if not probed:
            basis = (
                ("your one answer alone" if told == 1 else f"your {counted(told, 'answer')} alone")
                if told
                else "no facts at all (nothing checked or answered)"
            )
        elif not told:
            basis = f"{counted(probed, 'thing')} photon-doctor checked itself, without answers from you"
        else:
            basis = f"{counted(probed, 'thing')} photon-doctor checked itself and {counted(told, 'answer')}"
        verified = f"Nothing was changed on the device. This is a diagnosis from {basis}."
    # A session that ended on a failed fix (a claim that now waits on the other owner, a tool that is missing)
    # stopped there: what that fix said is the first thing to act on, before the next step of the plan.
    last = actions[-1] if actions and not verified_ok else None
    left = (
        f"The last fix tried, '{last.get('title') or last.get('fix')}', did not get through: {last['message']}."
        if last is not None and last.get("result") == "failed" and last.get("message")
        else f"The last fix, '{last.get('title') or last.get('fix')}', was carried out, but whether the device "
        "reaches the cloud now was not checked: look at the status LED first (breathing cyan: it worked, and "
        "nothing below is needed)."
        if last is not None
        and last.get("result") in ("done", "manual-confirmed")
        and last.get("verified_connected") is None
        else None
    )
    still = (outcome or {}).get("still_to_do") if verified_ok else None
    still = (
        still
        if isinstance(still, Mapping) and {"title", "why", "steps", "cost_minutes"} <= set(still)
        else None
    )
    # The check the plan puts before its first fix (observe-repair), as the terminal shows it: only while that
    # fix is still the next step.
    plan = report["plan"]
    check = plan[0].get("check_first") if plan and next_step is not None and next_step is plan[0] else None
    return {
        "lead": lead,
        "next": next_step,
        "then": then,
        "verified": verified,
        "left": left,
        "still": still,
        "check": check if isinstance(check, Mapping) else None,
    }


def _check_words(check: Mapping[str, Any]) -> str:
    return (
        f"Check first (about {_num(check.get('cost_minutes'), 'g')} min, it decides which fix comes first): "
        f"{check.get('question')}"
    )


def _session_line(report: Mapping[str, Any]) -> str:
    s = report["session"]
    parts = []
    if s.get("scenario"):
        parts.append(f"A demo on a simulated Photon (scenario {s['scenario']})")
    if s.get("saved_at"):
        parts.append(f"saved {_when(s['saved_at'])}")
    if s.get("questions_asked") is not None:
        parts.append(f"{counted(s['questions_asked'], 'question')} asked")
    if s.get("id"):
        parts.append(f"session {s['id']}")
    line = (", ".join(parts) or "A saved session") + "."
    line = line[0].upper() + line[1:]  # "Saved 2026-12-01 ...", when no demo scenario comes first
    if s.get("stopped_at"):
        line += (
            f' The questions were not finished: the session stopped at "{s["stopped_at"]}", so the causes '
            "below rest on what was known then (photon-doctor diagnose --resume goes on from there)."
        )
    return line


def _footer(report: Mapping[str, Any]) -> str:
    g = report["generator"]
    return (
        f"Generated by {g['name']} {g['version']} on {_when(g['generated_at'])} (report schema "
        f"{report['schema_version']}). Access tokens, Wi-Fi passwords and claim codes are redacted."
    )


def _not_probed(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for u in report["unavailable"]:
        seen.setdefault(PROBE_WORDS.get(u["probe"], u["probe"]), u["reason"])
    return list(seen.items())


# ------------------------------------------------------------------------------------------------ Markdown
def _md(text: Any) -> str:
    """Escape content for Markdown prose and table cells: no markup, no table breaks, one line."""
    s = re.sub(r"\s*\n\s*", " ", str(text))
    return re.sub(r"([\\`*<>|])", r"\\\1", s)


def _code(text: Any) -> str:
    """Inline code that survives backticks in the content."""
    s = re.sub(r"\s*\n\s*", " ", str(text)).replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def _fenced(lines: Iterable[str]) -> list[str]:
    body = list(lines)
    longest = max((len(m) for line in body for m in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, *body, fence]


def _md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
        *("| " + " | ".join(r) + " |" for r in rows),
    ]


def _md_evidence(c: Mapping[str, Any], labels: Mapping[str, str]) -> list[str]:
    out: list[str] = []
    for label, key in (("What points to it", "for"), ("What speaks against it", "against")):
        if not c[key]:
            continue
        out += [f"**{label}:**", ""]
        for e in c[key]:
            seen = "; ".join(_seen_words(o, labels) for o in e["observations"])
            out.append(f"- {_md(e['rationale'])}" + (f" (seen: {_md(seen)})" if seen else ""))
        out.append("")
    return out


def _md_actions(report: Mapping[str, Any]) -> list[str]:
    actions, outcome = report["actions"], report["outcome"]
    out = ["## Fixes tried", ""]
    if not actions and outcome is None:
        return out + ["No fix was carried out with photon-doctor in this session.", ""]
    if actions:
        rows = [
            [
                str(i),
                _md(a["title"]),
                _md(RESULT_WORDS.get(str(a.get("result")), a.get("result") or "")),
                _yes_no(a.get("verified_connected")),
            ]
            for i, a in enumerate(actions, 1)
        ]
        out += _md_table(["#", "Fix", "Result", "Connected afterwards"], rows) + [""]
        for i, a in enumerate(actions, 1):
            ran = a.get("result") not in ("skipped",) or a.get("automation") == "manual"
            if a["message"] or (a["commands"] and ran):
                out.append(f"{i}. {_md(a['title'])}" + (f": {_md(a['message'])}" if a["message"] else ""))
                if a["commands"] and ran:
                    out += ["", *("   " + line for line in _fenced(a["commands"]))]
                out.append("")
    if outcome is not None:
        fixed = outcome.get("fixed_by_title") or outcome.get("fixed_by")
        if outcome.get("verified_connected"):
            state = "verified connected to the cloud" + (f"; fixed by: {_md(fixed)}" if fixed else "")
        else:
            state = "not verified connected to the cloud"
        out += [f"**Outcome:** {state}.", ""]
    return out


def verified_sentence(outcome: Mapping[str, Any], actions: Iterable[Mapping[str, Any]]) -> str:
    """Who saw the device reach the cloud, in a sentence: the cloud's ping, or the owner's eyes (the status LED,
    when the cloud could not be asked or answered only with errors: the record's steps say so)."""
    from photon_doctor.actions.verify import LED_ASKED

    fixed = outcome.get("fixed_by_title") or outcome.get("fixed_by")
    after = f" after: {fixed}" if fixed else ""
    last = next(
        (
            a
            for a in reversed(list(actions))
            if a.get("verified_connected") is True and a.get("result") != "skipped"
        ),
        None,
    )
    commands = last.get("commands") if last is not None else None
    if isinstance(commands, list) and LED_ASKED in commands:
        return f"You saw the status LED breathing cyan (on the cloud){after}; the cloud itself did not confirm it."
    return f"photon-doctor checked that the device reaches the Particle cloud{after}."


def to_markdown(report: Mapping[str, Any]) -> str:
    """The report as Markdown, readable when pasted into a forum post: the answer first, then the evidence."""
    report = scrub(report)
    labels = _questions(report)
    ans = _answer(report)
    out = ["# photon-doctor report", "", f"**{_md(ans['lead'])}**", ""]
    out += ["## What to do next", ""]
    if ans["left"]:
        out += [_md(ans["left"]), ""]
    nxt = ans["next"]
    if ans["check"]:
        out += [_md(_check_words(ans["check"])), ""]
    if nxt is not None:
        out += [
            (
                ("Otherwise: " if ans["left"] else "")
                + f"**{_md(nxt['title'])}**: {_chance(nxt.get('p_success'))} chance it solves the problem, about "
                f"{_num(nxt['cost_minutes'], 'g')} min, {_md(_risk(nxt))}."
            ),
            "",
        ]
        out += [f"{n}. {_md(step)}" for n, step in enumerate(nxt["steps"], 1)] + [""]
        if ans["then"]:
            out += ["If that does not help: " + "; then ".join(_md(t) for t in ans["then"]) + ".", ""]
    elif ans["still"] is not None:
        still = ans["still"]
        out += [
            f"The device reaches the cloud again, but not for good: **{_md(still['title'])}**, about "
            f"{_num(still['cost_minutes'], 'g')} min, {_md(_risk(still))}. {_md(still['why'])}",
            "",
        ]
        out += [f"{n}. {_md(step)}" for n, step in enumerate(still["steps"], 1)] + [""]
    elif report["outcome"] and report["outcome"].get("verified_connected"):
        out += ["Nothing: the device reaches the cloud again.", ""]
    else:
        out += ["No fix is proposed yet.", ""]
    out += ["## What was verified", "", _md(ans["verified"]), "", _md(_session_line(report)), ""]
    if report["causes"]:
        top = report["causes"][0]
        out += [f"## Why: {_md(top['title'])}", "", _md(top["description"]), ""]
        out += _md_evidence(top, labels)
    others = report["causes"][1:]
    if others:
        out += ["## Other possible causes", ""]
        for c in others:  # what speaks against a cause still possible is said here (it is not "ruled out")
            against = f" Against it: {_md(c['against'][0]['rationale'])}" if c["against"] else ""
            out.append(f"- {_md(c['title'])}: {_md(likelihood(_probability(c)))}.{against}")
        out.append("")
    if report["ruled_out"]:
        out += ["## Ruled out", ""]
        for c in report["ruled_out"]:
            why = " ".join(_md(e["rationale"]) for e in c["against"][:2])
            out.append(f"- {_md(c['title'])}: {why}")
        out.append("")
    out += ["## The whole plan", ""]
    if report["plan"]:
        out += [
            (f"In this order: {ORDER_RULE} (about {_num(report['ecr_minutes'], '.0f')} min expected)."),
            "",
        ]
        rows = [
            [
                str(s["position"]),
                _md(s["title"]),
                _chance(s.get("p_success")),
                _num(s["cost_minutes"], "g"),
                _md(_risk(s)),
                "by hand" if s["automation"] == "manual" else "photon-doctor can do it",
            ]
            for s in report["plan"]
        ]
        out += _md_table(["#", "What to do", "Chance", "Minutes", "Risk", "How"], rows) + [""]
    else:
        out += ["No fix is proposed yet.", ""]
    out += _md_actions(report)
    out += ["## What was observed", ""]
    rows = [
        [
            _md(labels[o["id"]]),
            _md(_answer_words(o)),
            _md(o["obtained_by"]),
            _code(o["evidence"]) if o["evidence"] else "",
        ]
        for o in report["observations"]
    ]
    out += _md_table(["What", "Answer", "How it was found", "Evidence"], rows) + [""]
    missing = _not_probed(report)
    if missing:
        out += ["**Not probed:**", "", *(f"- {_md(name)}: {_md(reason)}" for name, reason in missing), ""]
    if report["session"]["skipped"]:
        out += [
            "Questions not answered: "
            + "; ".join(_md(labels.get(s, s)) for s in report["session"]["skipped"])
            + ".",
            "",
        ]
    if report["notes"]:
        out += ["## Notes", "", *(f"- {_md(n)}" for n in report["notes"]), ""]
    out += ["---", "", f"_{_md(_footer(report))}_", ""]
    return scrub_page("\n".join(out))


# ------------------------------------------------------------------------------------------------ HTML
def _h(text: Any) -> str:
    """Escaped text; a percentage keeps its sign on its line ("about 65 %" never wraps before the "%")."""
    return html.escape(str(text), quote=True).replace(" %", "&nbsp;%")


def _html_table(
    head: list[str], rows: list[list[str]], widths: list[str] | None = None, name: str | None = None
) -> str:
    """A table that stacks into labelled blocks on a narrow screen (class ``stack``, and ``name`` if given)."""
    cols = "".join(f"<col style='width:{w}'>" for w in widths) if widths else ""
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td data-label='{_h(head[i])}'>{c}</td>" for i, c in enumerate(r)) + "</tr>"
        for r in rows
    )
    return (
        f"<table class='stack{f' {name}' if name else ''}'>{f'<colgroup>{cols}</colgroup>' if cols else ''}"
        f"<thead><tr>{th}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _html_evidence(c: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    parts = []
    for label, key in (("What points to it", "for"), ("What speaks against it", "against")):
        if not c[key]:
            continue
        items = []
        for e in c[key]:
            seen = "; ".join(_seen_words(o, labels) for o in e["observations"])
            items.append(
                f"<li class='{key}'>{_h(e['rationale'])}"
                + (f"<br><small>seen: {_h(seen)}</small>" if seen else "")
                + "</li>"
            )
        parts.append(f"<h3>{label}</h3><ul>{''.join(items)}</ul>")
    return "\n".join(parts)


def _html_actions(report: Mapping[str, Any]) -> str:
    actions, outcome = report["actions"], report["outcome"]
    parts = ["<h2 id='tried'>Fixes tried</h2>"]
    if not actions and outcome is None:
        return parts[0] + "<p>No fix was carried out with photon-doctor in this session.</p>"
    if actions:
        rows = []
        for i, a in enumerate(actions, 1):
            ran = a.get("result") != "skipped" or a.get("automation") == "manual"
            cmds = "".join(f"<pre>{_h(c)}</pre>" for c in a["commands"]) if ran else ""
            detail = f"<details><summary>commands</summary>{cmds}</details>" if cmds else ""
            rows.append(
                [
                    str(i),
                    _h(a["title"]),
                    _h(RESULT_WORDS.get(str(a.get("result")), a.get("result") or "")),
                    _yes_no(a.get("verified_connected")),
                    _h(a["message"]) + detail,
                ]
            )
        parts.append(
            _html_table(
                ["#", "Fix", "Result", "Connected afterwards", "What happened"],
                rows,
                ["2.5rem", "25%", "14%", "14%", "auto"],
            )
        )
    if outcome is not None:
        fixed = outcome.get("fixed_by_title") or outcome.get("fixed_by")
        state = (
            "verified connected to the cloud" + (f"; fixed by: {_h(fixed)}" if fixed else "")
            if outcome.get("verified_connected")
            else "not verified connected to the cloud"
        )
        parts.append(f"<p><strong>Outcome:</strong> {state}.</p>")
    return "\n".join(parts)


def to_html(report: Mapping[str, Any]) -> str:
    """The report as one self-contained HTML page (inline CSS, no scripts, no external resources) that opens with
    the answer: the likely cause, what to do next, what was verified."""
    report = scrub(report)
    labels = _questions(report)
    ans = _answer(report)
    nxt = ans["next"]
    answer = [
        f"<p class='lead' id='cause'><span class='likely'>{_h(ans['lead'])}</span></p>",
        "<h2>What to do next</h2>",
    ]
    if ans["left"]:
        answer.append(f"<p>{_h(ans['left'])}</p>")
    if ans["check"]:
        answer.append(f"<p>{_h(_check_words(ans['check']))}</p>")
    if nxt is not None:
        risky = " class='risky'" if nxt.get("risk") in ("erases_data", "irreversible") else ""
        answer.append(
            f"<p>{'Otherwise: ' if ans['left'] else ''}<strong>{_h(nxt['title'])}</strong>: "
            f"{_h(_chance(nxt.get('p_success')))} chance it "
            f"solves the problem, about {_num(nxt['cost_minutes'], 'g')} min, "
            f"<span{risky}>{_h(_risk(nxt))}</span>.</p>"
        )
        answer.append("<ol>" + "".join(f"<li>{_h(step)}</li>" for step in nxt["steps"]) + "</ol>")
        if ans["then"]:
            answer.append("<p>If that does not help: " + "; then ".join(_h(t) for t in ans["then"]) + ".</p>")
    elif ans["still"] is not None:
        still = ans["still"]
        answer.append(
            f"<p>The device reaches the cloud again, but not for good: <strong>{_h(still['title'])}</strong>, "
            f"about {_num(still['cost_minutes'], 'g')} min, {_h(_risk(still))}. {_h(still['why'])}</p>"
        )
        answer.append("<ol>" + "".join(f"<li>{_h(step)}</li>" for step in still["steps"]) + "</ol>")
    elif report["outcome"] and report["outcome"].get("verified_connected"):
        answer.append("<p>Nothing: the device reaches the cloud again.</p>")
    else:
        answer.append("<p>No fix is proposed yet.</p>")
    answer += ["<h2>What was verified</h2>", f"<p>{_h(ans['verified'])}</p>"]
    body = [
        "<h1>Why the Photon does not reach the cloud</h1>",
        "<section class='answer'>" + "\n".join(answer) + "</section>",
        f"<p class='meta'>{_h(_session_line(report))}</p>",
    ]
    if report["causes"]:
        top = report["causes"][0]
        body += [
            f"<h2 id='why'>Why: {_h(top['title'])}</h2>",
            f"<p>{_h(top['description'])}</p>",
            _html_evidence(top, labels),
        ]
    if report["causes"][1:]:
        body.append(
            "<h2>Other possible causes</h2><ul>"
            + "".join(
                f"<li>{_h(c['title'])}: {_h(likelihood(_probability(c)))}"
                f"<details><summary>why</summary>{_html_evidence(c, labels)}</details></li>"
                for c in report["causes"][1:]
            )
            + "</ul>"
        )
    if report["ruled_out"]:
        items = "".join(
            f"<li>{_h(c['title'])}: {_h(' '.join(e['rationale'] for e in c['against'][:2]))}</li>"
            for c in report["ruled_out"]
        )
        body.append(f"<h2>Ruled out</h2><ul>{items}</ul>")
    body.append("<h2 id='plan'>The whole plan</h2>")
    if report["plan"]:
        body.append(
            f"<p>In this order: {_h(ORDER_RULE)} (about {_num(report['ecr_minutes'], '.0f')} min expected).</p>"
        )
        rows = [
            [
                str(s["position"]),
                _h(s["title"])
                + "<details><summary>steps</summary><ol>"
                + "".join(f"<li>{_h(step)}</li>" for step in s["steps"])
                + "</ol></details>",
                _h(_chance(s.get("p_success"))),
                _num(s["cost_minutes"], "g"),
                _h(_risk(s)),
                "by hand" if s["automation"] == "manual" else "photon-doctor can do it",
            ]
            for s in report["plan"]
        ]
        body.append(
            _html_table(
                ["#", "What to do", "Chance", "Minutes", "Risk", "How"],
                rows,
                ["2.5rem", "auto", "7rem", "6rem", "8rem", "9.5rem"],
                "plan",
            )
        )
    else:
        body.append("<p>No fix is proposed yet.</p>")
    body.append(_html_actions(report))
    obs_rows = [
        [
            _h(labels[o["id"]]),
            _h(_answer_words(o)),
            _h(o["obtained_by"]),
            f"<code>{_h(o['evidence'])}</code>" if o["evidence"] else "",
        ]
        for o in report["observations"]
    ]
    body += [
        "<h2 id='observed'>What was observed</h2>",
        _html_table(
            ["What", "Answer", "How it was found", "Evidence"], obs_rows, ["30%", "22%", "18%", "30%"]
        ),
    ]
    missing = _not_probed(report)
    if missing:
        items = "".join(f"<li>{_h(name)}: {_h(reason)}</li>" for name, reason in missing)
        body.append(f"<p><strong>Not probed:</strong></p><ul>{items}</ul>")
    if report["session"]["skipped"]:
        body.append(
            "<p>Questions not answered: "
            + _h("; ".join(labels.get(s, s) for s in report["session"]["skipped"]))
            + ".</p>"
        )
    if report["notes"]:
        body.append("<h2>Notes</h2><ul>" + "".join(f"<li>{_h(n)}</li>" for n in report["notes"]) + "</ul>")
    body.append(f"<footer><hr><p>{_h(_footer(report))}</p></footer>")
    page = (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>photon-doctor report {_h(report['session'].get('id') or '')}</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )
    return scrub_page(page)
