"""Where fixes act: the device's serial port, its SoftAP, the cloud, the tools and the time limits (a :class:`Rig`),
and :class:`Workbench`, the device-mode primitives every automation uses (listening mode, DFU mode, dfu-util
writes, running a tool) with the commands recorded as they are run.

The composition root builds the Rig (for real hardware or the simulator alike; nothing here knows which).
The Workbench remembers when it put the device in listening or DFU mode and :meth:`Workbench.restore` takes it
out again, so a fix that fails half way never leaves the device half-configured.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from photon_doctor.actions import dct
from photon_doctor.actions.errors import ActionFailed, CommandFailed, DeviceGone, ToolMissing
from photon_doctor.actions.person import Person
from photon_doctor.actions.tools import DFU_UTIL, PARTICLE, Toolbox, ToolRun
from photon_doctor.foundation.redact import redact, register_secret
from photon_doctor.probes.base import ProbeFailure


def listening_step(port: str) -> str:
    """The 28800-baud switch as a protocol step."""
    return f"serial {port}: set 28800 baud (listening mode, blinking dark blue)"


def identify_step(port: str) -> str:
    """The `i` check as a protocol step."""
    return f"serial {port}: i (the console answers only in listening mode)"


def exit_listening_step(port: str) -> str:
    """The `x` command as a protocol step."""
    return f"serial {port}: x (leave listening mode)"


def dfu_step(port: str) -> str:
    """The 14400-baud switch as a protocol step."""
    return f"serial {port}: set 14400 baud (DFU mode, blinking yellow)"


def dfu_wait_step() -> str:
    """Polling ``dfu-util -l`` as a step."""
    return f"{Toolbox.command_line(DFU_UTIL, dct.list_args())}   (until the Photon is listed)"


@dataclass
class Timing:
    """Time limits and pauses, in seconds (the demo uses short ones: its device answers at once)."""

    serial_timeout: float = 10.0  # one answer on the serial console (the `w` dialog's silent scan included)
    serial_idle: float = 0.25  # the quiet gap that ends an answer
    baud_hold: float = 0.1  # how long the port stays at a magic baud rate
    settle: float = 2.0  # after switching modes, before talking to the device again
    dfu_wait: float = 15.0  # for the device to show up in DFU mode
    port_wait: float = 20.0  # for the serial port to come back after a reset
    reboot_wait: float = 8.0  # for a freshly flashed application to run
    verify_wait: float = 60.0  # for the device to reach the cloud after a fix
    poll: float = 3.0  # between two checks
    network_timeout: float = 10.0  # one cloud or SoftAP request
    tool_timeout: float = 300.0  # one run of particle or dfu-util


@dataclass
class Rig:
    """Everything a fix may act on. ``token`` is a secret. ``facts`` are what the probes learned (the device's
    Wi-Fi scan, this computer's network) and ``observations`` the current diagnosis' values, for choices such as
    the network's security. ``locate_port(timeout)`` finds the serial port again after a reset (its name may
    change); ``relogin()`` re-reads the CLI's login after ``particle login`` and returns the new token or None."""

    tools: Toolbox
    workdir: Path
    timing: Timing = field(default_factory=Timing)
    device_id: str | None = None
    serial_port: str | None = None
    softap_url: str | None = None
    api_url: str | None = None
    token: str | None = field(default=None, repr=False)
    ssid: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    observations: dict[str, Any] = field(default_factory=dict)
    locate_port: Callable[[float], str | None] | None = None
    relogin: Callable[[], str | None] | None = None
    #: The demo only: carries out a manual step the person says is done, on the simulated world; returns what
    #: changed, or None when the simulation cannot carry it out (the executor then says so plainly).
    carry_out: Callable[[str], str | None] | None = None

    def __post_init__(self) -> None:
        register_secret(self.token)


class Workbench:
    """The primitives of one fix: each records the command or protocol step it carries out in ``commands``
    (shown to the person first), raises :class:`ActionFailed` subclasses, and tracks the device's mode."""

    def __init__(self, rig: Rig, person: Person) -> None:
        self.rig = rig
        self.person = person
        self.commands: list[str] = []
        self.in_listening = False  # we put it in listening mode and it is still there
        self.in_dfu = False  # we put it in DFU mode and it is still there
        self.in_dialog = (
            False  # a console dialog (`w`, `C`) may have been left half way: only a reset ends it
        )
        self.finished: list[str] = []  # the tools' command lines that ran to their end and reported success

    # --- talking ------------------------------------------------------------------------------------------
    def note(self, line: str) -> None:
        """Record a command or protocol step and show it before it is carried out."""
        line = redact(line)
        self.commands.append(line)
        self.person.tell(f"    $ {line}")

    def say(self, text: str) -> None:
        self.person.tell(f"    {redact(text)}")

    def pause(self, seconds: float) -> None:
        time.sleep(max(seconds, 0.0))

    # --- the serial port -------------------------------------------------------------------------------------
    def port(self) -> str:
        """The device's serial port now; after a reset it is looked for again. Raises DeviceGone."""
        if self.rig.serial_port is None and self.rig.locate_port is not None:
            self.rig.serial_port = self.rig.locate_port(self.rig.timing.port_wait)
        if self.rig.serial_port is None:
            raise DeviceGone(
                "no serial port for the device: is it plugged in with a data cable (pass --port)?"
            )
        return self.rig.serial_port

    def device_reset(self) -> None:
        """The device restarted: its serial port will be looked for again when needed."""
        self.in_dfu = self.in_listening = self.in_dialog = False
        if self.rig.locate_port is not None:
            self.rig.serial_port = None

    def console(self) -> Any:
        """A SerialConsole on the current port (not opened yet)."""
        from photon_doctor.probes.serial_console import SerialConsole

        t = self.rig.timing
        return SerialConsole(self.port(), timeout=t.serial_timeout, idle=t.serial_idle)

    def enter_listening(self) -> None:
        """28800 baud, then check that the console answers `i`. Raises DeviceGone."""
        from photon_doctor.probes.serial_console import enter_listening

        port = self.port()
        self.note(listening_step(port))
        try:
            enter_listening(port, self.rig.timing.baud_hold, answer_within=self.rig.timing.serial_timeout)
        except ProbeFailure as exc:
            raise DeviceGone(f"cannot switch the device to listening mode: {exc}") from None
        self.in_listening = True
        self.pause(self.rig.timing.settle)
        self.note(identify_step(port))
        console = self.console()
        try:
            console.open()
            device_id = console.identify()
        except ProbeFailure as exc:
            raise DeviceGone(f"the device did not answer in listening mode: {exc}") from None
        finally:
            console.close()
        if self.rig.device_id is None:
            self.rig.device_id = device_id

    def exit_listening(self) -> None:
        """`x`: back to normal operation (the device connects with what it has)."""
        port = self.port()
        self.note(exit_listening_step(port))
        console = self.console()
        try:
            console.open()
            console.exit_listening()
        except ProbeFailure as exc:
            raise DeviceGone(f"could not take the device out of listening mode: {exc}") from None
        finally:
            console.close()
        self.in_listening = False

    # --- DFU mode -----------------------------------------------------------------------------------------
    def enter_dfu(self) -> None:
        """14400 baud, then wait until the device shows up in DFU mode (blinking yellow). Raises DeviceGone."""
        from photon_doctor.probes.serial_console import enter_dfu

        port = self.port()
        self.note(dfu_step(port))
        try:
            enter_dfu(port, self.rig.timing.baud_hold)
        except ProbeFailure as exc:
            raise DeviceGone(f"cannot switch the device to DFU mode: {exc}") from None
        self.in_dfu = True
        self.in_listening = False
        if self.rig.locate_port is not None:
            self.rig.serial_port = None  # the serial port is gone in DFU mode; it is looked for again later
        self.wait_for_dfu()

    def wait_for_dfu(self) -> None:
        """Poll ``dfu-util -l`` until the Photon is listed (without dfu-util: wait ``settle``). Raises DeviceGone."""
        if self.rig.tools.available(DFU_UTIL) is None:
            self.pause(self.rig.timing.settle)
            return
        self.note(dfu_wait_step())
        deadline = time.monotonic() + self.rig.timing.dfu_wait
        while True:
            run = self.rig.tools.run(DFU_UTIL, dct.list_args(), timeout=self.rig.timing.network_timeout + 10)
            if dct.photon_in_dfu(run.output):
                return
            if time.monotonic() >= deadline:
                raise DeviceGone(
                    f"the device did not show up in DFU mode within {self.rig.timing.dfu_wait:g} s "
                    f"(dfu-util -l lists no {dct.PHOTON_DFU}; on Linux check the udev rules)"
                )
            self.pause(self.rig.timing.poll)

    def dct_write(self, write: dct.DctWrite) -> None:
        """Write ``write`` into the DCT with dfu-util and leave DFU (the device resets). Raises ActionFailed."""
        file = self.rig.workdir / write.filename
        file.write_bytes(write.data)
        self.say(f"{write.describe_file()}  ({write.what})")
        self.tool(DFU_UTIL, dct.dct_write_args(write, str(file)), ok_text=dct.DOWNLOAD_OK)
        self.device_reset()

    def leave_dfu(self) -> None:
        """Reset out of DFU without changing anything: dfu-util ``:leave``, else ``particle usb reset``."""
        if self.rig.tools.available(DFU_UTIL) is not None:
            file = self.rig.workdir / f"leave-{time.monotonic_ns()}.bin"
            self.tool(DFU_UTIL, dct.leave_args(str(file)))
        elif self.rig.tools.available(PARTICLE) is not None:
            self.tool(PARTICLE, ["usb", "reset"])
        else:
            raise ToolMissing("neither dfu-util nor particle is installed: press RESET to leave DFU mode")
        self.device_reset()

    # --- tools --------------------------------------------------------------------------------------------
    def require(self, name: str) -> None:
        """Raise ToolMissing unless the tool is installed and recent enough."""
        self.rig.tools.find(name)

    def tool(
        self,
        name: str,
        args: list[str],
        ok_text: str | None = None,
        timeout: float | None = None,
        *,
        check: bool = True,
        cwd: Path | None = None,
    ) -> ToolRun:
        """Show the command, run it (in ``cwd``, where it leaves its files), echo its output; raise CommandFailed
        if it fails (with ``check=False`` a failed run is returned for the caller to judge)."""
        self.note(self.rig.tools.command_line(name, args))
        run = self.rig.tools.run(
            name,
            args,
            timeout=self.rig.timing.tool_timeout if timeout is None else timeout,
            echo=lambda line: self.person.tell(f"      | {line}") if line.strip() else None,
            cwd=cwd,
        )
        if not check:
            return run
        if run.returncode != 0:
            raise CommandFailed(f"{run.command} failed (exit {run.returncode}): {run.last_line()}")
        if ok_text is not None and ok_text not in run.output:
            raise CommandFailed(f"{run.command} did not say '{ok_text}': {run.last_line()}")
        self.finished.append(self.commands[-1])
        return run

    # --- putting things back ----------------------------------------------------------------------------------
    def reset_through_dfu(self) -> None:
        """Reset the device without changing anything: into DFU and straight out again.

        A console dialog broken off half way waits for the rest of a line; anything sent would become part of
        the answer (and might be saved), so only a reset ends it safely. Raises ActionFailed.
        """
        if self.rig.tools.available(DFU_UTIL) is None and self.rig.tools.available(PARTICLE) is None:
            raise ToolMissing(
                "the console dialog was left half way and neither dfu-util nor particle is "
                "installed: press RESET on the device (nothing was saved)"
            )
        if not self.in_dfu:
            self.enter_dfu()
        self.leave_dfu()

    def restore(self) -> list[str]:
        """Take the device out of the mode we put it in (DFU: leave; listening: `x`; a dialog left half way: a
        reset). Returns what went wrong."""
        problems: list[str] = []
        if self.in_dialog:
            self.say("resetting the device: a console dialog was left half way (nothing was saved)")
            try:
                self.reset_through_dfu()
            except ActionFailed as exc:
                problems.append(exc.message)
            return problems
        if self.in_dfu:
            self.say("bringing the device back out of DFU mode")
            try:
                self.leave_dfu()
            except ActionFailed as exc:
                problems.append(exc.message)
        if self.in_listening:
            self.say("bringing the device back out of listening mode")
            try:
                self.exit_listening()
            except ActionFailed as exc:
                problems.append(exc.message)
        return problems
