"""Every JSON file reader: only regular files, a size limit, no deep nesting, no huge integers, no NaN."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from photon_doctor.foundation.errors import SessionError, UsageError
from photon_doctor.foundation.jsonfile import MAX_DEPTH, read_json


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "f.json"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_a_normal_file(tmp_path: Path) -> None:
    assert read_json(_write(tmp_path, '{"a": [1, 2.5, "x", null, true]}'), UsageError) == {
        "a": [1, 2.5, "x", None, True]
    }


def test_deep_nesting_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="nested too deeply"):
        read_json(_write(tmp_path, "[" * 200_000), UsageError)


def test_moderate_nesting_over_the_limit_is_a_clear_error(tmp_path: Path) -> None:
    text = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    with pytest.raises(UsageError, match="nested too deeply"):
        read_json(_write(tmp_path, text), UsageError)


def test_nesting_at_the_limit_is_read(tmp_path: Path) -> None:
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert read_json(_write(tmp_path, text), UsageError) is not None


def test_a_5000_digit_integer_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SessionError, match="too many digits"):
        read_json(_write(tmp_path, '{"n": ' + "9" * 5000 + "}"), SessionError)


@pytest.mark.parametrize("word", ["NaN", "Infinity", "-Infinity"])
def test_nan_is_not_json(tmp_path: Path, word: str) -> None:
    with pytest.raises(UsageError, match="not valid JSON"):
        read_json(_write(tmp_path, '{"n": ' + word + "}"), UsageError)


def test_a_fifo_does_not_block(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    result: list[BaseException | None] = []

    def read() -> None:
        try:
            read_json(fifo, UsageError)
            result.append(None)
        except BaseException as exc:
            result.append(exc)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():  # unblock the reader so the test run can end, then fail
        with open(fifo, "w"):
            pass
        pytest.fail("reading a FIFO blocked")
    assert isinstance(result[0], UsageError) and "not a regular file" in str(result[0])


def test_dev_zero_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a regular file"):
        read_json(Path("/dev/zero"), UsageError)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read: it is a directory"):
        read_json(tmp_path, UsageError)


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, '"' + "x" * 2000 + '"')
    with pytest.raises(UsageError, match="larger than"):
        read_json(path, UsageError, limit=1000)


def test_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(UsageError, match="not UTF-8"):
        read_json(path, UsageError)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not found"):
        read_json(tmp_path / "nope.json", UsageError)
