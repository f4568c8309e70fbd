"""Two programs on one serial port: the second is told the port is in use, and never reads the first's replies;
and a device whose JSON line would crash a parser is a probe failure, not a crash."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import tty
from collections.abc import Iterator

import pytest
from photon_doctor.probes.base import ProbeContext, ProbeFailure
from photon_doctor.probes.serial_console import SerialConsole, SerialProbe
from photon_doctor.simulator.factory import healthy_world
from photon_doctor.simulator.serial_console import ConsoleFaults, SerialConsoleSimulator

from tests.conftest import REPO

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="ptys and flock are POSIX")


@pytest.fixture
def port() -> Iterator[str]:
    world = healthy_world()
    world.enter_listening()
    with SerialConsoleSimulator(world, ConsoleFaults(scan_seconds=0.05)) as sim:
        assert sim.port is not None
        yield sim.port


def test_a_second_console_on_the_same_port_is_told_it_is_in_use(port: str) -> None:
    with SerialConsole(port, timeout=1, idle=0.05) as first:
        with pytest.raises(ProbeFailure, match="in use by another program"):
            SerialConsole(port, timeout=1, idle=0.05).open()
        assert first.identity().device_id  # the first one still works
    with SerialConsole(port, timeout=1, idle=0.05) as again:  # released on close
        assert again.identity().device_id


def test_another_process_holding_the_port_makes_the_probe_say_so(port: str) -> None:
    holder = textwrap.dedent(
        """
        import sys
        from photon_doctor.probes.serial_console import SerialConsole
        with SerialConsole(sys.argv[1], timeout=1, idle=0.05):
            print("holding", flush=True)
            sys.stdin.readline()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", holder, port],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=str(REPO),
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
        report = SerialProbe().run(ProbeContext(serial_port=port, timeout=1, extra={"serial_idle": 0.05}))
        assert report.observations == ()
        assert any("in use by another program" in u.reason for u in report.unavailable), report.unavailable
    finally:
        proc.communicate("\n", timeout=30)


def _device_answering(answer: bytes) -> tuple[str, threading.Thread, int]:
    """A bare pty whose 'device' answers any command byte with ``answer`` (a hostile or broken device)."""
    master, slave = os.openpty()
    tty.setraw(slave)

    def serve() -> None:
        try:
            while os.read(master, 1):
                view = memoryview(answer)
                while view:
                    view = view[os.write(master, view[:4096]) :]
        except OSError:
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return os.ttyname(slave), thread, master


@pytest.mark.parametrize(
    "line",
    [
        b'{"p": 6, "m": ' + b"[" * 5000 + b"}\r\n",
        b'{"p": ' + b"9" * 5000 + b', "m": []}\r\n',
        b'{"p": NaN, "m": []}\r\n',
    ],
)
def test_a_device_json_line_that_would_crash_a_parser_is_a_probe_failure(line: bytes) -> None:
    port, thread, master = _device_answering(line)
    try:
        with (
            SerialConsole(port, timeout=2, idle=0.1) as console,
            pytest.raises(ProbeFailure, match="answer to 's'"),
        ):
            console.module_info()
    finally:
        os.close(master)
        thread.join(5)
