"""A Photon's USB CDC serial port, simulated on a pseudo-terminal (Linux).

The slave side of a pty stands in for ``/dev/ttyACM0``; a client opens :attr:`SerialConsoleSimulator.port`
with pyserial exactly as it would open the real device. One daemon thread owns the master side. It:

* offers the port while the device runs system firmware and hangs it up (closes the master, so a client sees
  the device vanish: reads and writes fail with EIO) when the device goes to DFU or drops off the bus. When
  the world later leaves DFU (``world.boot()``), a **new** pty is offered: read :attr:`port` again (or call
  :meth:`wait_for_port`), since its path usually differs; :attr:`generation` counts the ports offered.
* watches the baud rate the client sets (reference §1): 14400 reboots the device to DFU, 28800 enters
  listening mode (unless the application's loop() never returns: then it stays pending). pyserial sets such non-standard rates with the TCSETS2/BOTHER ioctl, so the speed is read
  back with TCGETS2 on the slave. After acting on a magic rate the simulator puts the line back to 9600, so
  that each setting of a magic rate is seen once. (A real Linux cdc-acm host only sends SET_LINE_CODING when
  the rate changes; the client helpers therefore open at 9600 and then switch, which works on both.)
* runs the listening-mode console (:mod:`photon_doctor.simulator.listening_console`) while the device is in
  listening mode; in any other mode whatever the host sends is read and ignored.
"""

from __future__ import annotations

import array
import fcntl
import os
import random
import select
import struct
import termios
import threading
import time
import tty
from collections import deque
from dataclasses import dataclass
from types import TracebackType

from photon_doctor.simulator.listening_console import (
    YMODEM_TIMEOUT,
    ConsoleHooks,
    ListeningConsole,
    Steps,
    Wait,
)
from photon_doctor.simulator.world import Mode, World

DFU_BAUD = 14400  # START_DFU_FLASHER_SERIAL_SPEED
LISTEN_BAUD = 28800  # START_YMODEM_FLASHER_SERIAL_SPEED
# TCGETS2 = _IOR('T', 0x2A, struct termios2) on x86/arm; struct termios2 is 44 bytes, c_ospeed at offset 40.
TCGETS2 = getattr(termios, "TCGETS2", 0x802C542A)
_OSPEED_OFFSET = 40
_POLL = 0.005


@dataclass(frozen=True)
class ConsoleFaults:
    """Ways the simulated USB console can misbehave, for tests and scenarios.

    ``garbage``: every byte the device sends is replaced by line noise. ``echo``: False makes a device that
    echoes nothing while reading a line (prompts still come). ``mute``: the console reads but never writes.
    ``truncate_json``: the `s`/`d` documents are cut off half way (no closing brace, no line end).
    ``corrupt_json``: the `s`/`d` documents lose their second half but still end in ``}\r\n`` (invalid JSON).
    ``hang_up_after``: the port disappears this many seconds after it appears (pulled cable; not re-offered).
    ``damaged_after``: with ``device.damaged``, the module drops off the bus this long after the port appears,
    or as soon as its radio is used (the silent scan of the `w` dialog), whichever comes first.
    ``hang_up_on``: the port vanishes as soon as the host sends this byte (a command that makes it drop).
    ``scan_seconds``: how long the device's silent scan in the `w` dialog takes.
    ``ymodem_seconds``: how long the YModem receiver of `f` waits for each byte (``NAK_TIMEOUT``, 5 s).
    ``listen_seconds``: how long the device takes to enter listening mode after 28800 baud (a Photon leaves the
    cloud and its network first); what the host sends meanwhile is dropped.
    ``line_seconds``: how often the simulator looks at the line's baud rate. A device is told of each change at
    once; a simulator thread that a busy computer leaves without the processor looks this late, and misses a
    rate set and changed back in between.
    """

    garbage: bool = False
    echo: bool = True
    mute: bool = False
    truncate_json: bool = False
    corrupt_json: bool = False
    hang_up_after: float | None = None
    damaged_after: float = 0.5
    hang_up_on: bytes | None = None
    scan_seconds: float = 0.1
    ymodem_seconds: float = YMODEM_TIMEOUT
    listen_seconds: float = 0.0
    line_seconds: float = 0.0


def read_speed(fd: int) -> int:
    """The output baud rate set on a tty, non-standard rates included (TCGETS2). Raises OSError on failure."""
    buf = array.array("i", [0] * 16)  # 64 bytes, more than struct termios2
    fcntl.ioctl(fd, TCGETS2, buf)
    return int(struct.unpack_from("I", buf.tobytes(), _OSPEED_OFFSET)[0])


def _set_speed_9600(fd: int) -> None:
    attrs = termios.tcgetattr(fd)
    attrs[2] = (attrs[2] & ~(termios.CBAUD | termios.CBAUDEX)) | termios.B9600
    attrs[4] = attrs[5] = termios.B9600
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


class SerialConsoleSimulator:
    """The device end of the USB serial port, on a pty. Use as a context manager or call start()/stop().

    :attr:`port` is the current slave path, or None while there is no CDC port (DFU mode, off the bus).
    """

    def __init__(self, world: World, faults: ConsoleFaults | None = None) -> None:
        self.world = world
        self.faults = faults or ConsoleFaults()
        self._master: int | None = None
        self._slave: int | None = None
        self._port: str | None = None
        self._generation = 0
        self._offered_at = 0.0
        self._unplugged = False
        self._inbuf: deque[int] = deque()
        self._steps: Steps | None = None
        self._wait: Wait = None
        self._dropping = False
        self._resetting = False  # the console asked for a reset: offer a new port once it has yielded
        self._listen_at: float | None = None  # 28800 baud was seen: listening mode from this time on
        self._line_at = 0.0  # when to look at the line's baud rate next
        self._noise = random.Random(14400)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- public -----------------------------------------------------------------------------------------
    @property
    def port(self) -> str | None:
        """The slave path a client should open (``/dev/pts/7``), or None while the device has no CDC port."""
        return self._port

    @property
    def generation(self) -> int:
        """How many CDC ports have been offered so far (a new one after each return from DFU)."""
        return self._generation

    def wait_for_port(self, timeout: float, newer_than: int = 0) -> str | None:
        """Wait until a port of a generation above ``newer_than`` is offered; return its path or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            port = self._port
            if port is not None and self._generation > newer_than:
                return port
            time.sleep(_POLL)
        return None

    def unplug(self) -> None:
        """Pull the cable: the port disappears (at the next poll) and is not offered again."""
        self._unplugged = True

    def start(self) -> SerialConsoleSimulator:
        """Start the thread; the port is offered at once if the device runs system firmware."""
        if self._thread is not None:
            raise RuntimeError("serial console simulator already started")
        self._supervise()
        self._thread = threading.Thread(target=self._run, name="photon-serial-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread and close the pty."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._hang_up()

    def __enter__(self) -> SerialConsoleSimulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- the thread ---------------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            self._supervise()
            master = self._master
            if master is None:
                time.sleep(_POLL)
                continue
            readable, _, _ = select.select([master], [], [], _POLL)
            if readable:
                try:
                    data = os.read(master, 4096)
                except OSError:
                    data = b""  # nothing there after all (EAGAIN) or the pty is going away
                if self.faults.hang_up_on and self.faults.hang_up_on in data:
                    self._unplugged = True
                    self._hang_up()
                    continue
                self._inbuf.extend(data)
            self._check_speed()
            self._enter_listening_when_due()
            self._drive_console()
            if self._resetting:
                self._resetting = False
                self._hang_up()  # the next _supervise() offers a new port (a new generation)

    def _present(self) -> bool:
        with self.world.lock:
            mode = self.world.device.mode
        return mode not in (Mode.DFU, Mode.OFF) and not self._unplugged

    def _supervise(self) -> None:
        """Offer or hang up the port to match the device's mode and the injected faults."""
        present = self._present()
        if present and self._master is None and not self._stop.is_set():
            self._open_pty()
        elif not present and self._master is not None:
            self._hang_up()
            return
        if self._master is None:
            return
        age = time.monotonic() - self._offered_at
        if self.faults.hang_up_after is not None and age >= self.faults.hang_up_after:
            self._unplugged = True
            self._hang_up()
            return
        with self.world.lock:
            damaged = self.world.device.damaged
        if damaged and age >= self.faults.damaged_after:
            self.world.drop_off_bus()
            self._hang_up()

    def _open_pty(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        self._port = os.ttyname(slave)
        self._generation += 1
        self._offered_at = time.monotonic()
        self._line_at = self._offered_at + self.faults.line_seconds  # the first look, too, comes that late
        self._reset_console()

    def _hang_up(self) -> None:
        # Closing the master is what the host sees as the device leaving the bus (EIO on the slave).
        master, slave = self._master, self._slave
        self._master = self._slave = None
        self._port = None
        self._listen_at = None
        self._reset_console()
        for fd in (master, slave):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass

    def _check_speed(self) -> None:
        slave = self._slave
        now = time.monotonic()
        if slave is None or now < self._line_at:
            return
        self._line_at = now + self.faults.line_seconds
        try:
            speed = read_speed(slave)
        except OSError:
            return
        if speed == DFU_BAUD:
            self.world.enter_dfu()  # reboots to the bootloader: the CDC port goes away at the next poll
        elif speed == LISTEN_BAUD:
            with self.world.lock:
                d = self.world.device
                listening = d.mode is Mode.LISTENING
                # network_listen() only marks listening mode pending (WLAN_SMART_CONFIG_START); the system loop
                # enters it (manage_smart_config() in Spark_Idle_Events(), Device OS v2.3.1 system_task.cpp),
                # which never runs while an application's loop() never returns ("This does mean the
                # application can block entering listening mode", system_update.cpp).
                blocked = d.mode is Mode.APP_OFFLINE and d.firmware.blocks_loop
                if blocked:
                    self.world.events.append("28800 baud: listening mode pending; loop() never returns")
            if not listening and not blocked and self._listen_at is None:
                self._listen_at = now + self.faults.listen_seconds
            try:
                _set_speed_9600(slave)
            except (OSError, termios.error):
                pass

    def _enter_listening_when_due(self) -> None:
        if self._listen_at is not None and time.monotonic() >= self._listen_at:
            self._listen_at = None
            self.world.enter_listening()

    # --- the console ----------------------------------------------------------------------------------------
    def _reset_console(self) -> None:
        self._steps = None
        self._wait = None
        self._inbuf.clear()
        self._dropping = False

    def _drive_console(self) -> None:
        with self.world.lock:
            listening = self.world.device.mode is Mode.LISTENING
        if not listening:
            self._reset_console()  # outside listening mode the console is silent: input is dropped
            return
        if self._steps is None:
            hooks = ConsoleHooks(
                write=self._write,
                discard_input=self._discard_input,
                radio_used=self._radio_used,
                reset=self._reenumerate,
            )
            console = ListeningConsole(
                self.world,
                self._inbuf,
                hooks,
                echo=self.faults.echo,
                scan_seconds=self.faults.scan_seconds,
                ymodem_seconds=self.faults.ymodem_seconds,
            )
            self._steps = console.run()
            self._wait = next(self._steps)
        while not self._dropping and not self._resetting:
            if self._wait is None and not self._inbuf:
                return
            if self._wait is not None and time.monotonic() < self._wait:
                return
            self._wait = self._steps.send(None)
            with self.world.lock:
                still = self.world.device.mode is Mode.LISTENING
            if not still:
                self._reset_console()
                return

    def _reenumerate(self) -> None:
        """The device resets: hang up once the console has yielded, then offer a new port."""
        self._resetting = True

    def _radio_used(self) -> bool:
        with self.world.lock:
            damaged = self.world.device.damaged
        if not damaged:
            return True
        self.world.drop_off_bus()  # the radio's current peak browns the damaged module out
        self._dropping = True
        return False

    def _discard_input(self) -> None:
        master = self._master
        if master is None:
            return
        try:
            while os.read(master, 4096):
                pass
        except OSError:
            pass  # EAGAIN: nothing more buffered

    def _write(self, data: bytes) -> None:
        if self.faults.mute:
            return
        if data.startswith(b"{") and data.endswith(b"}\r\n"):
            if self.faults.truncate_json:
                data = data[: len(data) // 2]
            elif self.faults.corrupt_json:
                data = data[: len(data) // 2] + b"}\r\n"
        if self.faults.garbage:
            data = bytes(self._noise.choice(b"\x00\x07\x1b\x80\x9f\xc3\xfe\xff") for _ in data)
        master = self._master
        if master is None:
            return
        view = memoryview(data)
        flushed = False
        while view:
            try:
                view = view[os.write(master, view) :]
            except BlockingIOError:
                if flushed or self._slave is None:
                    return  # nobody is reading: the bytes are lost, as on a USB CDC port with no host reader
                termios.tcflush(self._slave, termios.TCIFLUSH)
                flushed = True
            except OSError:
                return
