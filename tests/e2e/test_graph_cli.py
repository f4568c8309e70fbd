"""`photon-doctor graph` and `kb check` as a person runs them: the installed script, in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from photon_doctor.foundation.errors import ExitCode
from photon_doctor.graph.render import matplotlib_available

from tests.conftest import KB_MINI, REPO

SCRIPT = Path(sys.executable).with_name("photon-doctor")
ANSWERS = ["-a", "visible_damage=yes", "-a", "led_pattern=blinking_green", "-a", "signal_rssi_dbm=-85"]


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def cli(
    home: Path, *args: str, knowledge: Path = KB_MINI, path: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PHOTON_DOCTOR_HOME=str(home), NO_COLOR="1")
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [str(SCRIPT), "--knowledge", str(knowledge), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def graph_json(text: str) -> nx.DiGraph:
    return nx.node_link_graph(json.loads(text), directed=True, multigraph=False, edges="edges")


# ---------------------------------------------------------------------------------------------- kb check
def test_kb_check_exit_codes_on_kb_mini(home: Path) -> None:
    done = cli(home, "kb", "check")
    assert done.returncode == 0, done.stderr
    assert "rule-subsumed" in done.stdout and "0 errors, 1 warning" in done.stdout
    strict = cli(home, "kb", "check", "--strict")
    assert strict.returncode == 9 and "1 error, 0 warnings (strict)" in strict.stdout


def test_kb_check_json(home: Path) -> None:
    data = json.loads(cli(home, "kb", "check", "--json").stdout)
    assert data["schema_version"] == 1 and data["errors"] == []
    assert [w["code"] for w in data["warnings"]] == ["rule-subsumed"]
    strict = cli(home, "kb", "check", "--json", "--strict")
    assert strict.returncode == 9
    assert [e["code"] for e in json.loads(strict.stdout)["errors"]] == ["rule-subsumed"]


def test_kb_check_errors_exit_9(home: Path, tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(KB_MINI, kb)
    with (kb / "causes.toml").open("a", encoding="utf-8") as fh:
        fh.write(
            '\n[[cause]]\nid = "lonely"\ntitle = "T"\ndescription = "D."\nprior = 0.1\nsources = ["t"]\n'
        )
    done = cli(home, "kb", "check", "--json", knowledge=kb)
    assert done.returncode == 9
    errors = json.loads(done.stdout)["errors"]
    assert {(e["code"], tuple(e["nodes"])) for e in errors} == {
        ("cause-unconcluded", ("cause:lonely",)),
        ("cause-unfixable", ("cause:lonely",)),
    }


def test_kb_check_on_a_broken_knowledge_dir_is_a_knowledge_error(home: Path, tmp_path: Path) -> None:
    done = cli(home, "kb", "check", knowledge=tmp_path / "missing")
    assert done.returncode == 3 and "knowledge directory not found" in done.stderr


# ---------------------------------------------------------------------------------------------- graph
@pytest.mark.parametrize("fmt", ["dot", "json", "mermaid", "graphml"])
def test_text_formats_go_to_stdout(home: Path, fmt: str) -> None:
    done = cli(home, "graph", "--format", fmt)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    if fmt == "json":
        assert graph_json(done.stdout).number_of_nodes() == 23
    elif fmt == "dot":
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pydot\.")
            import pydot

            assert pydot.graph_from_dot_data(done.stdout) is not None
    elif fmt == "mermaid":
        assert done.stdout.startswith("flowchart LR")
    else:
        assert "<graphml" in done.stdout


def test_output_file_and_format_from_suffix(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "rules.html"
    done = cli(home, "graph", "--output", str(out))
    assert done.returncode == 0 and done.stdout == ""
    assert f"wrote {out} (html: 23 nodes" in done.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'data-id="cause:weak_signal"' in page


def test_output_is_the_same_on_every_run(home: Path) -> None:
    # Each subprocess has its own string-hash seed: nothing may depend on set order.
    runs = {cli(home, "graph", "-f", "mermaid", "--cause", "physical_damage").stdout for _ in range(3)}
    assert len(runs) == 1


def test_filter_by_cause_fix_and_observation(home: Path) -> None:
    by_cause = graph_json(cli(home, "graph", "-f", "json", "--cause", "weak_signal").stdout)
    assert {n for n in by_cause if n.startswith("rule:")} == {"rule:weak"}
    by_fix = graph_json(cli(home, "graph", "-f", "json", "--fix", "contact_support_replace").stdout)
    assert {n for n in by_fix if n.startswith("cause:")} == {"cause:physical_damage"}
    by_obs = graph_json(cli(home, "graph", "-f", "json", "--observation", "device_os_version").stdout)
    assert {n for n in by_obs if n.startswith("rule:")} == {"rule:old_os"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--cause", "nope"],
            "unknown cause id 'nope'; valid cause ids: physical_damage, "
            "user_firmware_blocks_connection, weak_signal",
        ),
        (["--fix", "nope"], "valid fix ids: contact_support_replace, flash_tinker_usb, improve_signal"),
        (["--observation", "nope"], "unknown observation id 'nope'"),
        (
            ["--cause", "weak_signal", "--fix", "improve_signal"],
            "give at most one of --cause, --fix, --observation",
        ),
        (["--format", "png"], "--format png writes binary data: give a file with --output"),
        (["--format", "pdf"], "unknown graph format 'pdf'"),
        (["--session", "x.json", "--last-session"], "not both"),
    ],
)
def test_usage_errors(home: Path, args: list[str], message: str) -> None:
    done = cli(home, "graph", *args)
    assert done.returncode == 2 and message in done.stderr and done.stdout == ""


def test_last_session_without_sessions(home: Path) -> None:
    done = cli(home, "graph", "--last-session")
    assert done.returncode == 5 and "no saved session" in done.stderr


def _saved_session(home: Path) -> tuple[Path, dict[str, Any]]:
    done = cli(home, "diagnose", "--no-input", "--json", *ANSWERS)
    assert done.returncode == 0, done.stderr
    (path,) = (home / "sessions").glob("*.json")
    return path, json.loads(path.read_text(encoding="utf-8"))


def test_session_highlight_marks_exactly_the_fired_rules(home: Path) -> None:
    path, session = _saved_session(home)
    traced = {f"rule:{e['id']}" for e in session["diagnosis"]["trace"] if e["kind"] == "rule"}
    assert traced == {"rule:dent", "rule:dent_and_green", "rule:weak"}
    for args in (["--last-session"], ["--session", str(path)]):
        g = graph_json(cli(home, "graph", "-f", "json", *args).stdout)
        assert {n for n, d in g.nodes(data=True) if d["role"] == "fired"} == traced
        assert {n for n, d in g.nodes(data=True) if d["role"] == "ranked"} == {
            f"cause:{c['id']}" for c in session["diagnosis"]["ranked_causes"]
        }
        assert g.graph["session"] == str(path)
    focused = graph_json(cli(home, "graph", "-f", "json", "--last-session", "--cause", "weak_signal").stdout)
    assert {n for n, d in focused.nodes(data=True) if d["role"] == "fired"} == {"rule:weak"}


def test_png_without_any_renderer_is_a_clear_error(home: Path, tmp_path: Path) -> None:
    if matplotlib_available():
        pytest.skip("matplotlib is installed, so there is always a renderer")
    done = cli(home, "graph", "-o", str(tmp_path / "g.png"), path=str(tmp_path))
    assert done.returncode == 6
    assert "install Graphviz" in done.stderr and "pip install 'photon-doctor[draw]'" in done.stderr
    assert not (tmp_path / "g.png").exists()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
def test_svg_and_png_with_graphviz(home: Path, tmp_path: Path) -> None:
    assert cli(home, "graph", "-o", str(tmp_path / "g.png")).returncode == 0
    assert (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    done = cli(home, "graph", "-f", "svg", "--cause", "weak_signal")
    assert done.returncode == 0 and "<svg" in done.stdout and "improve_signal" in done.stdout


def test_an_output_file_named_for_a_format_it_cannot_draw_is_refused(home: Path, tmp_path: Path) -> None:
    """QA finding: `graph -o graph.pdf` wrote dot text into graph.pdf (exit 0)."""
    out = tmp_path / "graph.pdf"
    r = cli(home, "graph", "-o", str(out))
    assert r.returncode == 2, r.stderr
    assert not out.exists() and len(r.stderr.strip().splitlines()) == 1 and "--format" in r.stderr, r.stderr
    assert cli(home, "graph", "-o", str(tmp_path / "graph.txt")).returncode == 0


def _small_file_limit() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))  # Python ignores SIGXFSZ: a write past it fails


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX resource limits")
def test_a_graph_cut_short_leaves_the_previous_file_whole(tmp_path: Path) -> None:
    """A graph written over an older one is whole or not written (a full disk or a Ctrl-C halfway left the first
    kilobytes of the new one)."""
    out = tmp_path / "g.html"
    env = {**os.environ, "PHOTON_DOCTOR_HOME": str(tmp_path / "home")}

    def graph(*args: str, limit: Any = None) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "photon_doctor", "graph", *args, "-o", str(out)]
        return subprocess.run(
            command, capture_output=True, text=True, timeout=120, cwd=str(REPO), env=env, preexec_fn=limit
        )

    first = graph()
    assert first.returncode == ExitCode.OK, first.stderr
    before = out.read_bytes()
    assert len(before) > 4096
    r = graph("--cause", "physical_damage", limit=_small_file_limit)
    assert r.returncode == ExitCode.USAGE, r.stderr
    assert (
        r.stderr.strip().splitlines()[-1] == f"photon-doctor: cannot write the graph to {out}: File too large"
    )
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == [
        "g.html"
    ]  # no temporary file left
