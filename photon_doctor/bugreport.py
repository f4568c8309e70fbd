"""The last line of defence: an unexpected exception becomes a private bug-report file and one line of text.

Called only by :func:`photon_doctor.cli.main` for exceptions that are not :class:`PhotonDoctorError` (those are
expected and carry their own message). The report holds the version, the platform, the command line and the
traceback, scrubbed of secrets (registered ones, and anything shaped like a token, password or claim code),
and is written 0600 to ``<data dir>/bug-reports/`` (or the temporary folder if the data folder is unusable).
"""

from __future__ import annotations

import platform
import sys
import tempfile
import time
import traceback
import uuid
from pathlib import Path

from photon_doctor import __version__
from photon_doctor.foundation.errors import PhotonDoctorError
from photon_doctor.report_scrub import scrub_text


def report_text(exc: BaseException, argv: list[str]) -> str:
    """The report's content, secrets scrubbed."""
    lines = [
        "photon-doctor bug report",
        f"version:  {__version__}",
        f"python:   {platform.python_version()} ({sys.executable})",
        f"platform: {platform.platform()}",
        f"command:  photon-doctor {' '.join(argv)}",
        f"error:    {type(exc).__name__}",
        "",
        "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    ]
    return scrub_text("\n".join(lines))


def write_bug_report(exc: BaseException, argv: list[str]) -> Path | None:
    """Write the report; returns its path, or None if no folder would take it."""
    from photon_doctor.sessions import data_dir, private_folder, write_private

    name = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:6]}.txt"
    text = report_text(exc, argv)
    for folder in (data_dir() / "bug-reports", Path(tempfile.gettempdir()) / "photon-doctor-bug-reports"):
        try:
            path = private_folder(folder) / name
            write_private(path, text)
            return path
        except (PhotonDoctorError, OSError):
            continue
    return None


def crash_message(exc: BaseException, report: Path | None, session: Path | None) -> str:
    """One line: what happened, where the report is, where the session is."""
    where = f"a bug report is in {report}" if report else "no bug report could be written"
    kept = f"; the session so far is saved in {session}" if session else ""
    return (
        f"internal error ({type(exc).__name__}): this is a bug in photon-doctor; {where}{kept}. "
        "Please send the report with an issue (--traceback shows the details)."
    )
