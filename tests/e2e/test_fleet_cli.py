"""`photon-doctor fleet` end to end: a subprocess against the simulated fleet over real HTTP, and from JSONL files;
the --json schema, the planted causes found, bad input, and the Dask path on a LocalCluster."""

from __future__ import annotations

import csv
import io
import json
import stat
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from photon_doctor.foundation.errors import ExitCode
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.simulator import cloud_api
from photon_doctor.simulator.fleet import FleetSimulator

from photon_doctor.fleet import FleetOptions, run_fleet
from tests.conftest import FLEET_NOW as NOW
from tests.conftest import run_cli
from tests.conftest import write_fleet_export as write_export


def check_schema(data: dict[str, Any]) -> None:
    assert data["schema_version"] == 1
    assert {
        "total",
        "online",
        "offline",
        "online_pct",
        "offline_pct",
        "diagnosed",
        "distinct_observation_sets",
    } <= set(data["devices"])
    for row in data["offline_for"]:
        assert set(row) == {"range", "devices", "share_pct"}
    for cause in data["causes"]:
        assert set(cause) == {"cause", "title", "devices", "share_pct", "examples", "device_ids"}
        assert cause["devices"] == len(cause["device_ids"])
    assert data["needs_visit"]["devices"] == len(data["needs_visit"]["list"])
    for r in data["results"]:
        assert {
            "id",
            "name",
            "online",
            "offline_hours",
            "site",
            "product_id",
            "firmware_version",
            "system_firmware_version",
            "diagnosed",
            "causes",
            "needs_visit",
        } == set(r)


def test_fleet_json_from_the_simulated_cloud_finds_the_planted_causes() -> None:
    with FleetSimulator(600, seed=7) as sim:
        r = run_cli("fleet", "--product", "4242", "--api-url", sim.url, "--token", sim.token, "--json")
        planted = {d.device_id: d.planted for d in sim.cloud.devices}
    assert r.returncode == 0, r.stderr
    assert sim.token not in r.stdout and sim.token not in r.stderr
    data = json.loads(r.stdout)
    check_schema(data)
    assert data["devices"]["total"] == 600
    assert data["source"]["kind"] == "api"
    leading = {row["id"]: (row["causes"][0]["cause"] if row["causes"] else None) for row in data["results"]}
    hits = Counter(planted[i] == leading[i] for i in planted if planted[i] is not None)
    share = hits[True] / sum(hits.values())
    print(f"planted cause ranked first for {share:.1%} of {sum(hits.values())} devices with a planted cause")
    assert share >= 0.85
    healthy_flagged = [i for i in planted if planted[i] is None and leading[i] is not None]
    assert len(healthy_flagged) <= 0.01 * 600


def test_the_folders_fleet_creates_in_the_data_folder_are_private(tmp_path: Path) -> None:
    home = tmp_path / "new" / "home"  # neither exists yet
    with FleetSimulator(20, seed=1) as sim:
        r = run_cli(
            "fleet", "--product", "4242", "--api-url", sim.url, "--token", sim.token, "--json",
            env={"PHOTON_DOCTOR_HOME": str(home)},
        )  # fmt: skip
    assert r.returncode == 0, r.stderr
    checkpoint = Path(json.loads(r.stdout)["source"]["checkpoint"])
    assert checkpoint.parent == home / "fleet"
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "new", home, home / "fleet", checkpoint)}
    assert modes == {tmp_path / "new": 0o700, home: 0o700, home / "fleet": 0o700, checkpoint: 0o600}


def test_a_home_that_is_not_a_folder_stops_fleet_before_fetching() -> None:
    with FleetSimulator(20, seed=1) as sim:
        r = run_cli(
            "fleet", "--product", "4242", "--api-url", sim.url, "--token", sim.token,
            env={"PHOTON_DOCTOR_HOME": "/dev/null"},
        )  # fmt: skip
        requests = sim.cloud.requests
    assert r.returncode == ExitCode.SESSION, r.stderr
    assert r.stderr.strip().splitlines() == [
        "photon-doctor: cannot use /dev/null/fleet as a folder: a part of it is a file "
        "(PHOTON_DOCTOR_HOME=/dev/null must name a folder you can write in)"
    ]
    assert requests == 0


def test_fleet_text_speaks_in_titles_and_percentages(tmp_path: Path) -> None:
    export = tmp_path / "fleet.jsonl"
    write_export(export, 300, seed=2)
    r = run_cli("fleet", "--from", str(export))
    assert r.returncode == 0, r.stderr
    assert "%" in r.stdout and "Likely causes" in r.stdout
    assert "site_outage" not in r.stdout  # titles, not ids
    assert "The site lost power or its internet connection" in r.stdout


def test_from_file_counts_and_names_bad_lines(tmp_path: Path) -> None:
    export = tmp_path / "fleet.jsonl"
    write_export(export, 50, seed=3, extra=["{not json", '{"name": "no id", "online": true}'])
    r = run_cli("fleet", "--from", str(export), "--csv")
    assert r.returncode == 0, r.stderr
    assert "skipped 2 bad lines; the first is line 6: not valid JSON" in r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 50
    assert set(rows[0]) >= {"id", "cause", "cause_title", "needs_visit"}


@pytest.mark.parametrize(
    "content, words",
    [
        (None, "no such file"),
        ("garbage\n[1, 2]\n", "no device records; line 1: not valid JSON"),
    ],
)
def test_unusable_files_are_one_line_usage_errors(tmp_path: Path, content: str | None, words: str) -> None:
    path = tmp_path / "fleet.jsonl"
    if content is not None:
        path.write_text(content)
    r = run_cli("fleet", "--from", str(path))
    assert r.returncode == ExitCode.USAGE
    assert words in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_no_token_is_a_usage_error(tmp_path: Path) -> None:
    r = run_cli("fleet", "--api-url", "http://127.0.0.1:9", env={"HOME": str(tmp_path)})
    assert r.returncode == ExitCode.USAGE
    assert "no access token" in r.stderr


def test_dask_gives_the_same_report_as_local_processes(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    export = tmp_path / "fleet.jsonl"
    write_export(export, 1500, seed=11)
    kb = load_knowledge()
    local = run_fleet(kb, FleetOptions(from_file=export, now=NOW, workers=2), {})
    assert local.report["source"]["diagnosed_on"] == "processes"
    # The scheduler's HTTP server listens on 8787 even without a dashboard: any other Dask on the machine made the
    # test fail ("Port 8787 is already in use", an error under filterwarnings); ':0' takes a free port.
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
    ) as cluster:
        remote = run_fleet(kb, FleetOptions(from_file=export, now=NOW, dask=cluster.scheduler_address), {})
    assert remote.report["source"]["diagnosed_on"] == "dask"
    for part in ("devices", "offline_for", "causes", "needs_visit"):
        assert remote.report[part] == local.report[part]
    assert list(remote.rows()) == list(local.rows())


def test_html_report_and_conflicting_formats(tmp_path: Path) -> None:
    export = tmp_path / "fleet.jsonl"
    write_export(
        export,
        200,
        seed=5,
        extra=[
            json.dumps({"id": "ab" * 12, "name": "<script>x</script>", "online": False, "last_heard": None})
        ],
    )
    page = tmp_path / "fleet.html"
    r = run_cli("fleet", "--from", str(export), "--html", str(page), "--as-of", "2026-05-28T20:26:40Z")
    assert r.returncode == 0, r.stderr
    assert f"HTML report written to {page}" in r.stderr
    text = page.read_text()
    assert text.startswith("<!doctype html>") and "Likely causes" in text
    assert stat.S_IMODE(page.stat().st_mode) == 0o600  # device names and ids: private, as `report -o` is
    assert "&lt;script&gt;x&lt;/script&gt;" in text and "<script>" not in text
    r = run_cli("fleet", "--from", str(export), "--json", "--csv")
    assert r.returncode == ExitCode.USAGE and "choose one of --json and --csv" in r.stderr
    r = run_cli("fleet", "--from", str(export), "--as-of", "yesterday")
    assert r.returncode == ExitCode.USAGE and "--as-of expects an ISO 8601 time" in r.stderr


def test_the_html_says_why_each_device_needs_a_visit(tmp_path: Path) -> None:
    """QA: the page's "Need a person on site" listed device, hours and site, but not what the person goes there
    for (the leading cause), and printed hours as 455.0, 4.8 and 53.81 side by side."""
    from html.parser import HTMLParser

    from photon_doctor.fleet_summary import offline_words

    export = tmp_path / "fleet.jsonl"
    write_export(export, 200, seed=5)
    page = tmp_path / "fleet.html"
    r = run_cli(
        "fleet", "--from", str(export), "--json", "--html", str(page), "--as-of", "2026-05-28T20:26:40Z"
    )
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    titles = {c["cause"]: c["title"] for c in data["causes"]}
    names = {row["id"]: row["name"] for row in data["results"]}

    class Rows(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.section = ""
            self.rows: list[list[str]] = []
            self.cell: str | None = None

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            if tag == "tr":
                self.rows.append([self.section])
            elif tag in ("td", "th"):
                self.cell = ""

        def handle_endtag(self, tag: str) -> None:
            if tag in ("td", "th") and self.cell is not None:
                self.rows[-1].append(self.cell)
                self.cell = None

        def handle_data(self, data: str) -> None:
            if self.cell is not None:
                self.cell += data
            elif self.lasttag == "h2":
                self.section = data

    parsed = Rows()
    parsed.feed(page.read_text(encoding="utf-8"))
    table = [row[1:] for row in parsed.rows if row[0].startswith("Need a person on site")]
    assert table[0] == ["Device", "Likely cause", "Offline for", "Site"]
    visits = data["needs_visit"]["list"]
    assert visits and len(table) == len(visits) + 1
    for row, v in zip(table[1:], visits):
        assert row[:2] == [names[v["id"]], titles[v["cause"]]]
        # In words (QA, round 6: "1,684.7" hours read poorly): "7 days", "10 weeks".
        assert row[2] == offline_words(v["offline_hours"]).replace("&nbsp;", "\u00a0"), row


def test_a_fleet_of_one_device_says_device(tmp_path: Path) -> None:
    export = tmp_path / "one.jsonl"
    write_export(export, 1, seed=5)
    r = run_cli("fleet", "--from", str(export), "--as-of", "2026-05-28T20:26:40Z")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Fleet: 1 device;"), r.stdout


def test_a_run_that_fails_at_once_keeps_an_interrupted_fetch_for_resume(tmp_path: Path) -> None:
    """QA finding: `fleet --product 4242` with a rejected token (exit 6) emptied the checkpoint an interrupted
    fetch had left, so the `--resume` it had named fetched everything again. A fresh run empties it only once the
    cloud has listed the devices."""
    checkpoint = tmp_path / "fleet.jsonl"
    with FleetSimulator(30, seed=2) as sim:
        api = ["--product", "4242", "--api-url", sim.url, "--checkpoint", str(checkpoint)]
        first = run_cli("fleet", *api, "--token", sim.token, "--json")
        assert first.returncode == ExitCode.OK, first.stderr
        kept = checkpoint.read_text(encoding="utf-8")
        assert kept.count("\n") == 30
        rejected = run_cli("fleet", *api, "--token", "not-the-token")
        assert rejected.returncode == ExitCode.DEVICE, rejected.stderr
        assert checkpoint.read_text(encoding="utf-8") == kept
        resumed = run_cli("fleet", *api, "--token", sim.token, "--resume", "--json")
        again = run_cli("fleet", *api, "--token", sim.token, "--json")
    assert resumed.returncode == ExitCode.OK, resumed.stderr
    assert json.loads(resumed.stdout)["devices"]["total"] == 30
    assert again.returncode == ExitCode.OK, again.stderr
    assert (
        checkpoint.read_text(encoding="utf-8").count("\n") == 30
    )  # a fresh run starts afresh: no line twice


def test_an_as_of_before_the_export_says_so(tmp_path: Path) -> None:
    """QA finding: `--as-of 2020-01-01` (a wrong year) on an export taken in 2026 said "Offline for: under an hour
    43 (100.0 %)" with nothing to say that the date was before every device was last heard."""
    export = tmp_path / "fleet.jsonl"
    write_export(export, 50, seed=5)
    r = run_cli("fleet", "--from", str(export), "--as-of", "2020-01-01")
    assert r.returncode == 0, r.stderr
    assert "50 devices were last heard after --as-of 2020-01-01" in r.stderr, r.stderr
    r = run_cli("fleet", "--from", str(export), "--as-of", "2026-05-28T20:26:40Z")  # after: nothing to say
    assert r.returncode == 0 and "last heard after" not in r.stderr, r.stderr


def test_devices_diagnosed_without_their_vitals_are_counted_on_stderr(tmp_path: Path) -> None:
    """QA finding: when the cloud failed every vitals request (after the retries), `fleet` diagnosed the devices
    without their signal and disconnect counts and said nothing outside `--json`'s `source.vitals_missing`: the
    text and the CSV read as if the vitals had been there."""
    with FleetSimulator(6, seed=3) as sim:
        sim.api.inject(cloud_api.Fault(malformed=True, path_prefix="/v1/products/4242/diagnostics/"))
        api = ["--product", "4242", "--api-url", sim.url, "--token", sim.token]
        text = run_cli("fleet", *api, "--checkpoint", str(tmp_path / "a.jsonl"))
        table = run_cli("fleet", *api, "--checkpoint", str(tmp_path / "b.jsonl"), "--csv")
        sim.api.clear_faults()
        fine = run_cli("fleet", *api, "--checkpoint", str(tmp_path / "c.jsonl"), "--json")
    said = (
        "no vitals for 6 of 6 devices (the cloud answered with an error or 429 every time it was asked): "
        "they are diagnosed from whether they are online and when they were last heard only"
    )
    for r in (text, table):
        assert r.returncode == ExitCode.OK, r.stderr
        assert r.stderr.strip().splitlines() == [said], r.stderr
    assert fine.returncode == ExitCode.OK and json.loads(fine.stdout)["source"]["vitals_missing"] == 0
    assert "no vitals" not in fine.stderr
