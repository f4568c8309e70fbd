"""Reading a JSON file a person gave us, with one-line errors of the caller's own error class.

Files come from people and from disks that fill up, so the reader is defensive: it reads only regular files
(a FIFO would block forever, ``/dev/zero`` would never end), at most ``limit`` bytes, and it refuses JSON nested
more than :data:`MAX_DEPTH` deep, integers longer than :data:`MAX_INT_DIGITS` digits and the non-standard
``NaN``/``Infinity``. :func:`parse_json` applies the same rules to JSON text from elsewhere (a device, a cloud).
"""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path
from typing import Any

from photon_doctor.foundation.errors import PhotonDoctorError

#: Sessions, answers, cases and CLI settings are kilobytes; a few megabytes is already absurd.
MAX_BYTES = 8 * 1024 * 1024
#: Deeper than anything photon-doctor writes (sessions nest about 6 deep).
MAX_DEPTH = 64
#: Longer integers are not counts or readings (Python refuses over 4,300 digits, floats overflow past 308).
MAX_INT_DIGITS = 100


class JsonProblem(ValueError):
    """Raised by :func:`parse_json` (and :func:`read_regular`) with a one-line reason in words."""


def read_regular(path: Path, limit: int = MAX_BYTES) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes.

    Raises FileNotFoundError, PermissionError, IsADirectoryError or another OSError, or :class:`JsonProblem`
    for a FIFO, a device or a file that is too large. Opening never blocks (O_NONBLOCK, checked by fstat).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "it is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise JsonProblem("not a regular file (it is a pipe or a device)")
        if info.st_size > limit:
            raise JsonProblem(f"larger than {_size(limit)} ({_size(info.st_size)})")
        chunks, total = [], 0
        while True:  # read to the end, but never past the limit (the file may grow while we read)
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise JsonProblem(f"larger than {_size(limit)}")
        return b"".join(chunks)
    finally:
        os.close(fd)


def parse_json(text: str | bytes) -> Any:
    """Decode JSON text with the limits above. Raises :class:`JsonProblem` with the reason in words."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonProblem(f"not UTF-8 text (byte {exc.start})") from None
    try:
        data = json.loads(text, parse_int=_bounded_int, parse_constant=_no_constant)
    except RecursionError:
        raise JsonProblem(f"not valid JSON: nested too deeply (more than {MAX_DEPTH} levels)") from None
    except json.JSONDecodeError as exc:
        raise JsonProblem(f"not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None
    _check_depth(data)
    return data


def read_json(path: Path, error: type[PhotonDoctorError], what: str = "file", limit: int = MAX_BYTES) -> Any:
    """Parse ``path`` as JSON. Raises ``error`` naming the path: not found, unreadable, not a regular file,
    too large, or not valid JSON within the limits."""
    try:
        return parse_json(read_regular(path, limit))
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except PermissionError:
        raise error(f"{path}: cannot read: permission denied") from None
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or type(exc).__name__}") from None
    except JsonProblem as exc:
        raise error(f"{path}: {exc}") from None


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise JsonProblem(f"not valid JSON for photon-doctor: a number with too many digits ({len(digits)})")
    return int(digits)


def _no_constant(word: str) -> Any:
    raise JsonProblem(f"not valid JSON: {word} is not a JSON number")


def _check_depth(data: Any) -> None:
    """Refuse nesting deeper than MAX_DEPTH (iteratively: the check itself must not recurse)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > MAX_DEPTH:
                raise JsonProblem(
                    f"not valid JSON for photon-doctor: nested too deeply (more than {MAX_DEPTH} levels)"
                )
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n} bytes"
