"""Saved sessions: JSON files under the user's data directory, private (0600 files in a 0700 folder).

The folder is ``$PHOTON_DOCTOR_HOME/sessions`` if that variable is set, else the platform's data directory:
``$XDG_DATA_HOME/photon-doctor`` (default ``~/.local/share/photon-doctor``) on Linux,
``~/Library/Application Support/photon-doctor`` on macOS, ``%APPDATA%\\photon-doctor`` on Windows.
Secrets are redacted before anything is written. What a session holds is :class:`photon_doctor.session.Session`.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from photon_doctor.foundation.errors import PhotonDoctorError, SessionError
from photon_doctor.foundation.jsonfile import read_json
from photon_doctor.foundation.redact import redact_obj
from photon_doctor.knowledge.model import KnowledgeBase
from photon_doctor.session import READABLE_VERSIONS, SESSION_SCHEMA_VERSION, Session


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The folder photon-doctor keeps its data in."""
    env = os.environ if env is None else env
    if env.get("PHOTON_DOCTOR_HOME"):
        return Path(env["PHOTON_DOCTOR_HOME"])
    home = Path(env.get("HOME") or Path.home())
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "photon-doctor"
    if sys.platform == "win32":
        return Path(env.get("APPDATA") or home) / "photon-doctor"
    return Path(env.get("XDG_DATA_HOME") or home / ".local" / "share") / "photon-doctor"


def sessions_dir(env: Mapping[str, str] | None = None) -> Path:
    return data_dir(env) / "sessions"


#: The session this process saved last (the crash handler names it). None until a session is saved.
last_saved: Path | None = None


def make_private_dirs(folder: Path) -> None:
    """Create ``folder`` and the folders missing above it, each 0700 (as the XDG base directory rules ask of a
    program's data folders): sessions and fleet checkpoints hold device ids. A folder that exists keeps its mode.
    Raises FileExistsError (``folder`` is a file), NotADirectoryError (a part of it is) or another OSError."""
    missing = []
    for level in (folder, *folder.parents):
        if os.path.lexists(level):
            break
        missing.append(level)
    for level in reversed(missing[1:]):  # the folders above it, top down
        level.mkdir(mode=0o700, exist_ok=True)
    folder.mkdir(mode=0o700, exist_ok=True)


def private_folder(folder: Path) -> Path:
    """Create ``folder`` (0700, and the folders missing above it too) if needed. Raises SessionError when it
    cannot be a folder (for instance because ``PHOTON_DOCTOR_HOME`` names a file or ``/dev/null``)."""
    try:
        make_private_dirs(folder)
    except FileExistsError:
        raise SessionError(_not_a_folder(folder, "it is a file")) from None
    except NotADirectoryError:
        raise SessionError(_not_a_folder(folder, "a part of it is a file")) from None
    except OSError as exc:
        raise SessionError(_not_a_folder(folder, exc.strerror or type(exc).__name__)) from None
    try:
        os.chmod(folder, 0o700)
    except OSError:
        pass
    return folder


def writable_folder(folder: Path) -> Path:
    """``folder``, made (0700) if needed and shown to be writable by making and removing a file in it: a run
    checks where its session will go before it probes or asks anything. Raises SessionError, one line."""
    private_folder(folder)
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".writable.", suffix=".tmp")
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        why = f"cannot write in it: {exc.strerror or type(exc).__name__}"
        raise SessionError(_not_a_folder(folder, why)) from None
    return folder


def _not_a_folder(folder: Path, why: str) -> str:
    home = os.environ.get("PHOTON_DOCTOR_HOME")
    hint = (
        f" (PHOTON_DOCTOR_HOME={home} must name a folder you can write in)"
        if home
        else " (set PHOTON_DOCTOR_HOME to a folder you can write in)"
    )
    return f"cannot use {folder} as a folder: {why}{hint}"


def write_private(
    path: Path, text: str | bytes, error: type[PhotonDoctorError] = SessionError, what: str | None = None
) -> None:
    """Replace ``path`` atomically with ``text``, private (0600): a temporary file in the same folder, fsync,
    rename. A write cut short (a full disk, a file-size limit) leaves the old file intact and raises ``error``,
    one line naming the file (``what``, say "the report": "cannot write the report to PATH: ..."). A symbolic link
    keeps pointing where it did (the file it names is replaced); a device or a pipe (``/dev/stdout``) is written
    to as it is, as there is nothing there to keep whole."""
    where = f"{what} to {path}" if what else str(path)
    if path.exists() and not path.is_dir() and not path.is_file():
        try:
            with open(path, "wb") as fh:
                fh.write(text.encode("utf-8") if isinstance(text, str) else text)
        except OSError as exc:
            raise error(f"cannot write {where}: {exc.strerror or type(exc).__name__}") from None
        return
    target = Path(os.path.realpath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise error(f"cannot write {where}: {exc.strerror or type(exc).__name__}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o600)
            fh.write(text.encode("utf-8") if isinstance(text, str) else text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise error(f"cannot write {where}: {exc.strerror or type(exc).__name__}") from None
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def save_session(session: Session, path: Path | None = None) -> Path:
    """Write a session (redacted) with private permissions, atomically; returns its path. A session saved for the
    first time gets a new file, named by the time, and that name as its ``id``.

    Raises SessionError if the folder or the file cannot be written (the previous file is then kept whole).
    """
    global last_saved
    folder = private_folder(sessions_dir() if path is None else path.parent)
    if path is None:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        path = folder / f"{stamp}-{uuid.uuid4().hex[:6]}.json"
    record = session.to_json()
    record["id"] = session.id or path.stem
    data = json.dumps(redact_obj(record), indent=2, sort_keys=False, allow_nan=False)
    write_private(path, data)
    last_saved = path
    return path


def last_session_path() -> Path:
    """The session saved last (by the time its file was written; a resumed session is saved again), the file name
    breaking a tie. Names alone cannot tell two sessions saved within the same second apart (their suffix is
    random). Raises SessionError if there is none."""
    folder = sessions_dir()
    if folder.parent.exists() and not folder.parent.is_dir():
        raise SessionError(_not_a_folder(folder.parent, "it is a file"))
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not files:
        raise SessionError(f"no saved session in {folder}: run 'photon-doctor diagnose' first")
    return max(files, key=_saved_when)


def _saved_when(path: Path) -> tuple[int, str]:
    try:
        return path.stat().st_mtime_ns, path.name
    except OSError:  # gone meanwhile: the oldest
        return 0, path.name


def load_session(path: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """Read a session file (the last one by default) as JSON, of a schema this version reads. Raises SessionError
    with the reason. :func:`read_session` gives the :class:`Session`."""
    path = last_session_path() if path is None else path
    data = read_json(path, SessionError, "session file")
    if not isinstance(data, dict) or data.get("schema_version") not in READABLE_VERSIONS:
        raise SessionError(f"{path}: not a photon-doctor session (schema_version {SESSION_SCHEMA_VERSION})")
    if not isinstance(data.get("observations"), list):
        raise SessionError(f"{path}: field 'observations' missing or not a list")
    return path, data


def read_session(kb: KnowledgeBase | None, path: Path | None = None) -> tuple[Path, Session]:
    """The session saved in ``path`` (the last one by default), checked against ``kb`` (see
    :meth:`Session.from_json`). Raises SessionError with the reason."""
    path, data = load_session(path)
    return path, Session.from_json(kb, data, str(path))
