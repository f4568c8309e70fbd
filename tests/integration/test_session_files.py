"""Sessions are replaced atomically: a write cut short by a real file-size limit leaves the old session whole."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from photon_doctor.foundation.errors import SessionError

from photon_doctor.session import Session
from photon_doctor.sessions import load_session, save_session, writable_folder
from tests.conftest import REPO

CHILD = textwrap.dedent(
    """
    import resource, signal, sys
    from pathlib import Path
    from photon_doctor.foundation.errors import SessionError
    from photon_doctor.session import Session
    from photon_doctor.sessions import save_session

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
    try:
        save_session(Session(diagnosis={"padding": "y" * 50_000}), Path(sys.argv[1]))
    except SessionError as exc:
        print(exc.message)
        sys.exit(5)
    sys.exit(0)
    """
)


@pytest.mark.skipif(not hasattr(os, "setrlimit") and sys.platform == "win32", reason="POSIX resource limits")
def test_a_write_cut_short_by_a_file_size_limit_keeps_the_old_session(tmp_path: Path) -> None:
    path = save_session(Session(diagnosis={"padding": "x" * 3000}), tmp_path / "s.json")
    before = path.read_bytes()
    r = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=str(REPO),
        check=False,
    )
    assert r.returncode == 5, r.stderr
    assert "cannot write" in r.stdout and str(path) in r.stdout
    assert path.read_bytes() == before
    assert load_session(path)[1] == json.loads(before)  # (not "x" * 3000: other tests register secrets)
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]  # no temporary file left behind


def test_a_saved_session_is_private_and_valid_json(tmp_path: Path) -> None:
    path = save_session(Session(diagnosis={"n": 1}), tmp_path / "s.json")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert json.loads(path.read_text())["diagnosis"]["n"] == 1


def test_a_session_cannot_hold_a_bare_nan(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        save_session(Session(diagnosis={"x": float("nan")}), tmp_path / "s.json")
    assert not (tmp_path / "s.json").exists()


def test_home_that_is_a_file_is_a_session_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "file"
    home.write_text("")
    monkeypatch.setenv("PHOTON_DOCTOR_HOME", str(home))
    with pytest.raises(SessionError, match="PHOTON_DOCTOR_HOME"):
        save_session(Session())


def test_the_data_folder_and_the_folders_above_it_are_created_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    os.chmod(tmp_path, 0o755)
    home = tmp_path / "a" / "home"
    monkeypatch.setenv("PHOTON_DOCTOR_HOME", str(home))
    path = save_session(Session())
    made = (tmp_path / "a", home, home / "sessions")
    assert [oct(p.stat().st_mode & 0o777) for p in made] == ["0o700"] * 3
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(tmp_path.stat().st_mode & 0o777) == "0o755"  # a folder that was there is left alone


def test_the_last_session_is_the_one_saved_last_even_within_one_second(tmp_path: Path) -> None:
    """QA: two sessions saved in the same second are named by that second and a random suffix; `report`, `why`
    and `--resume` took the one whose suffix sorts last, not the one saved last (a quick `demo` then `diagnose`
    reported on the demo)."""
    from tests.conftest import run_cli

    folder = tmp_path / "sessions"
    first = save_session(
        Session(command="demo", scenario="static-ip"), folder / "20260301T101112-ffffff.json"
    )
    last = save_session(Session(command="diagnose"), folder / "20260301T101112-000000.json")
    os.utime(first, ns=(1_000_000_000, 1_000_000_000))
    os.utime(last, ns=(2_000_000_000, 2_000_000_000))
    r = run_cli("report", "-f", "json", env={"PHOTON_DOCTOR_HOME": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["session"]["id"] == "20260301T101112-000000"
    assert str(last) in r.stderr


def test_a_saved_session_holds_no_secret_in_any_field(tmp_path: Path) -> None:
    """Mutation testing: without the dict branch of redact_obj nothing in a saved session was scrubbed, and no test
    failed (the demo's sessions hold no secret by the time they are saved)."""
    from photon_doctor.foundation.evidence import Observation, Provenance, Source
    from photon_doctor.foundation.redact import MASK, register_secret

    token, password = "Session-Tok-6c2e91", "Unregistered-Pw-4471"
    register_secret(token)
    session = Session(
        observations=(
            Observation("cloud_online", False, 1.0, Provenance(Source.PROBE_CLOUD, f"token {token}")),
        ),
        diagnosis={"notes": [f"Authorization: Bearer {token}"]},
        actions=({"commands": [f"particle login --token {token}"], "network": {"password": password}},),
        outcome={"stop_reason": f"GET /v1/devices?access_token={token}"},
    )
    path = save_session(session, tmp_path / "s.json")
    text = path.read_text()
    assert token not in text and password not in text
    saved = json.loads(text)
    assert saved["observations"][0]["provenance"]["detail"] == f"token {MASK}"
    assert saved["actions"][0] == {
        "commands": [f"particle login --token {MASK}"],
        "network": {"password": MASK},
    }
    assert saved["outcome"]["stop_reason"] == f"GET /v1/devices?access_token={MASK}"


# Second round of mutation testing (docs/reliability.md).


def test_a_file_above_the_home_is_named_as_a_part_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "file").write_text("")
    home = tmp_path / "file" / "home"
    monkeypatch.setenv("PHOTON_DOCTOR_HOME", str(home))
    with pytest.raises(SessionError) as err:
        save_session(Session())
    assert str(err.value).startswith(f"cannot use {home / 'sessions'} as a folder: a part of it is a file")


def test_no_last_session_where_the_home_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "file"
    home.write_text("")
    monkeypatch.setenv("PHOTON_DOCTOR_HOME", str(home))
    with pytest.raises(SessionError) as err:
        load_session()
    assert str(err.value).startswith(f"cannot use {home} as a folder: it is a file")


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts open files through /proc")
def test_checking_that_a_folder_is_writable_leaves_no_file_open(tmp_path: Path) -> None:
    before = len(os.listdir("/proc/self/fd"))
    for n in range(5):
        writable_folder(tmp_path / str(n))
    assert len(os.listdir("/proc/self/fd")) == before
    assert [list(p.iterdir()) for p in sorted(tmp_path.iterdir())] == [[]] * 5  # and no file behind
