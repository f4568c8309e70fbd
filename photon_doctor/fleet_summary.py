"""The fleet report (pure): counts, how long devices have been offline, causes with their devices, site visits.

:func:`summarise` builds the ``--json`` object (schema in docs/fleet.md); :func:`summary_text`, :func:`rows_csv`
and :func:`summary_html` render it for people, spreadsheets and browsers. Human output speaks in cause titles and
percentages; ids are in the JSON and CSV.
"""

from __future__ import annotations

import csv
import html
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TextIO

from photon_doctor.fleet_diagnose import Verdict
from photon_doctor.fleet_observe import Key
from photon_doctor.fleet_records import DeviceFacts
from photon_doctor.knowledge.model import KnowledgeBase

SCHEMA_VERSION = 1
#: Causes that clear without anyone going there: an offline device whose leading cause is one of these does not
#: need a visit. Every other offline device does (an offline device cannot be fixed over the air).
CLEARS_BY_ITSELF = frozenset({"cloud_outage"})
#: Offline-duration ranges: (upper bound in hours, label).
DURATIONS = (
    (1.0, "under an hour"),
    (24.0, "1 to 24 hours"),
    (168.0, "1 to 7 days"),
    (720.0, "1 to 4 weeks"),
    (float("inf"), "over 4 weeks"),
)
NO_CAUSE = "No likely cause found"
SHOWN = 5


def _offline_hours(d: DeviceFacts, now: float) -> float | None:
    if d.online or d.last_heard is None:
        return None
    return round(max(0.0, now - d.last_heard) / 3600, 2)


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def device_rows(
    devices: Sequence[DeviceFacts], keys: Mapping[str, Key], verdicts: Mapping[Key, Verdict], now: float
) -> Iterator[dict[str, Any]]:
    """One result per device (the ``results`` of the JSON, the rows of the CSV), in the order of ``devices``."""
    for d in devices:
        key = keys.get(d.id)
        verdict = verdicts[key] if key is not None else None
        causes = [{"cause": c, "certainty": round(cf, 3)} for c, cf in verdict.causes] if verdict else []
        leading = verdict.leading if verdict else None
        yield {
            "id": d.id,
            "name": d.name,
            "online": d.online,
            "offline_hours": _offline_hours(d, now),
            "site": d.site,
            "product_id": d.product_id,
            "firmware_version": d.firmware_version,
            "system_firmware_version": d.system_firmware_version,
            "diagnosed": verdict is not None,
            "causes": causes,
            "needs_visit": not d.online and leading not in CLEARS_BY_ITSELF,
        }


def summarise(
    kb: KnowledgeBase,
    devices: Sequence[DeviceFacts],
    keys: Mapping[str, Key],
    verdicts: Mapping[Key, Verdict],
    now: float,
    source: dict[str, Any],
) -> dict[str, Any]:
    """The fleet report as one JSON-ready object, without the per-device ``results`` (see :func:`device_rows`)."""
    total = len(devices)
    online = 0
    durations: Counter[str] = Counter()
    by_cause: dict[str, list[DeviceFacts]] = defaultdict(list)
    visits: list[dict[str, Any]] = []
    for d in devices:
        if d.online:
            online += 1
        else:
            hours = _offline_hours(d, now)
            label = "unknown" if hours is None else next(lab for top, lab in DURATIONS if hours < top)
            durations[label] += 1
        key = keys.get(d.id)
        if key is None:
            continue  # online and calm: healthy
        leading = verdicts[key].leading
        by_cause[leading or ""].append(d)
        if not d.online and leading not in CLEARS_BY_ITSELF:
            visits.append(
                {
                    "id": d.id,
                    "name": d.name,
                    "cause": leading,
                    "offline_hours": _offline_hours(d, now),
                    "site": d.site,
                }
            )
    diagnosed = sum(len(group) for group in by_cause.values())
    causes_out = [
        {
            "cause": cause or None,
            "title": kb.causes[cause].title if cause else NO_CAUSE,
            "devices": len(group),
            "share_pct": _pct(len(group), diagnosed),
            "examples": [d.name or d.id for d in group[:SHOWN]],
            "device_ids": [d.id for d in group],
        }
        for cause, group in sorted(by_cause.items(), key=lambda item: (-len(item[1]), item[0]))
    ]
    offline = total - online
    return {
        "schema_version": SCHEMA_VERSION,
        "source": source,
        "devices": {
            "total": total,
            "online": online,
            "offline": offline,
            "online_pct": _pct(online, total),
            "offline_pct": _pct(offline, total),
            "diagnosed": diagnosed,
            "distinct_observation_sets": len(verdicts),
        },
        "offline_for": [
            {"range": label, "devices": durations[label], "share_pct": _pct(durations[label], offline)}
            for label in [lab for _, lab in DURATIONS] + ["unknown"]
            if durations[label]
        ],
        "causes": causes_out,
        "needs_visit": {"devices": len(visits), "list": visits},
    }


def write_json(report: Mapping[str, Any], rows: Iterable[dict[str, Any]], out: TextIO) -> None:
    """The report as one JSON object with its ``results`` last, one device a line (streamed: a million devices
    never sit in memory as one string)."""
    head = json.dumps(report, indent=2, ensure_ascii=False)
    out.write(head[:-2] + ',\n  "results": [')
    sep = "\n    "
    batch: list[str] = []
    for row in rows:
        batch.append(sep + json.dumps(row, ensure_ascii=False))
        sep = ",\n    "
        if len(batch) >= 10_000:
            out.write("".join(batch))
            batch.clear()
    out.write("".join(batch) + "\n  ]\n}\n")


def _devices(n: int) -> str:
    return f"{n:,} device" + ("" if n == 1 else "s")


def offline_words(hours: float | None) -> str:
    """How long a device has been offline, for the HTML page, as a person says it ("3&nbsp;hours", "6&nbsp;days",
    "10&nbsp;weeks" rather than 1,684.7 hours); "not known" without a last-heard time."""
    if hours is None:
        return "not known"
    if hours < 1:
        return "under an hour"
    if hours < 48:
        n, unit = round(hours), "hour"
    elif hours < 14 * 24:
        n, unit = round(hours / 24), "day"
    else:
        n, unit = round(hours / (24 * 7)), "week"
    return f"{n:,}&nbsp;{unit}" + ("" if n == 1 else "s")


def summary_text(report: Mapping[str, Any]) -> str:
    """The report in plain words and percentages (device names, not ids; cause titles, not ids)."""
    dev = report["devices"]
    lines = [
        (
            f"Fleet: {_devices(dev['total'])}; {dev['online']:,} online ({dev['online_pct']} %), "
            f"{dev['offline']:,} offline ({dev['offline_pct']} %)."
        )
    ]
    if report["offline_for"]:
        lines.append(
            "Offline for: "
            + "; ".join(f"{o['range']} {o['devices']:,} ({o['share_pct']} %)" for o in report["offline_for"])
            + "."
        )
    if report["causes"]:
        lines += ["", f"Likely causes, for the {_devices(dev['diagnosed'])} offline or struggling:"]
        for c in report["causes"]:
            shown = c["examples"]
            more = c["devices"] - len(shown)
            who = ", ".join(shown) + (f" and {more:,} more" if more > 0 else "")
            lines.append(f"  {c['share_pct']:5.1f} %  {c['title']}: {_devices(c['devices'])} ({who})")
    else:
        lines += ["", "No device is offline or struggling."]
    visit = report["needs_visit"]
    if visit["devices"]:
        shown = [v["name"] or v["id"] for v in visit["list"][:SHOWN]]
        more = visit["devices"] - len(shown)
        lines += [
            "",
            f"Need a person on site: {_devices(visit['devices'])} ("
            + ", ".join(shown)
            + (f" and {more:,} more" if more > 0 else "")
            + "). "
            "The full list is in --csv, --html or --json.",
        ]
    lines += [
        "",
        (
            f"Diagnosed {_devices(dev['diagnosed'])} from {dev['distinct_observation_sets']:,} distinct "
            + ("set" if dev["distinct_observation_sets"] == 1 else "sets")
            + " of observations (each set once)."
        ),
    ]
    return "\n".join(lines)


CSV_FIELDS = (
    "id",
    "name",
    "online",
    "offline_hours",
    "site",
    "product_id",
    "firmware_version",
    "system_firmware_version",
    "cause",
    "cause_title",
    "certainty",
    "needs_visit",
)


def write_csv(kb: KnowledgeBase, rows: Iterable[dict[str, Any]], out: TextIO) -> None:
    """One CSV row per device, leading cause first (ids and titles both)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for r in rows:
        lead = r["causes"][0] if r["causes"] else None
        title = kb.causes[lead["cause"]].title if lead else (NO_CAUSE if r["diagnosed"] else "")
        writer.writerow(
            [
                r["id"],
                r["name"],
                r["online"],
                "" if r["offline_hours"] is None else r["offline_hours"],
                r["site"] or "",
                "" if r["product_id"] is None else r["product_id"],
                "" if r["firmware_version"] is None else r["firmware_version"],
                r["system_firmware_version"] or "",
                lead["cause"] if lead else "",
                title,
                lead["certainty"] if lead else "",
                r["needs_visit"],
            ]
        )


def summary_html(report: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """A self-contained HTML page: the summary, the causes with their devices, the devices to visit."""
    e = html.escape
    dev = report["devices"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>photon-doctor fleet report</title>",
        (
            # The padding keeps the text off the screen's edges where 60em is wider than the screen (a phone).
            "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
            "td,th{padding:.2em .6em;text-align:left;vertical-align:top}th{background:#eee}</style></head><body>"
        ),
        "<h1>Fleet report</h1>",
        (
            f"<p>{_devices(dev['total'])}: {dev['online']:,} online ({dev['online_pct']}&nbsp;%), "
            f"{dev['offline']:,} offline ({dev['offline_pct']}&nbsp;%).</p>"
        ),
    ]
    if report["offline_for"]:
        parts.append("<h2>Offline for</h2><table><tr><th>How long</th><th>Devices</th><th>Share</th></tr>")
        parts += [
            f"<tr><td>{e(o['range'])}</td><td>{o['devices']:,}</td><td>{o['share_pct']}&nbsp;%</td></tr>"
            for o in report["offline_for"]
        ]
        parts.append("</table>")
    if report["causes"]:
        # The shares are of the devices diagnosed (offline, or online and struggling), not of the offline ones:
        # the heading says so, as the text summary does, so that the devices add up to a number on the page.
        parts.append(
            f"<h2>Likely causes, for the {_devices(dev['diagnosed'])} offline or struggling</h2>"
            "<table><tr><th>Cause</th><th>Share</th><th>Devices</th></tr>"
        )
    else:
        parts.append("<h2>Likely causes</h2><p>No device is offline or struggling.</p>")
    for c in report["causes"]:
        who = ", ".join(e(names.get(i, i)) for i in c["device_ids"])
        parts.append(
            f"<tr><td>{e(c['title'])}</td><td>{c['share_pct']}&nbsp;%</td>"
            f"<td><details><summary>{c['devices']:,}</summary>{who}</details></td></tr>"
        )
    if report["causes"]:
        parts.append("</table>")
    visit = report["needs_visit"]
    if not visit["devices"]:
        parts.append("<h2>Need a person on site</h2><p>Nobody needs to go on site.</p></body></html>\n")
        return "\n".join(parts)
    parts.append(
        f"<h2>Need a person on site: {_devices(visit['devices'])}</h2><table><tr><th>Device</th>"
        "<th>Likely cause</th><th>Offline for</th><th>Site</th></tr>"
    )
    titles = {c["cause"]: c["title"] for c in report["causes"]}
    parts += [
        f"<tr><td>{e(names.get(v['id'], v['id']))}</td><td>{e(titles.get(v['cause'], NO_CAUSE))}</td>"
        f"<td>{offline_words(v['offline_hours'])}</td><td>{e(v['site'] or '')}</td></tr>"
        for v in visit["list"]
    ]
    parts.append("</table></body></html>\n")
    return "\n".join(parts)
