"""The simulated Photon's USB side for programs in other processes: a small control endpoint, and stand-ins.

The demo puts SIMULATED ``dfu-util`` and ``particle`` programs on the PATH it gives the executor (tiny wrapper
scripts in a temporary folder that run :mod:`photon_doctor.simulator.standin`). They run in their own process,
so they reach the in-process :class:`~photon_doctor.simulator.world.World` through :class:`ControlServer`: HTTP on
127.0.0.1, under a random path prefix, its URL in the ``PHOTON_DOCTOR_SIM_CONTROL`` environment variable.

Endpoints (JSON in and out; every device operation but ``usb``, ``dfu/enter`` and ``reset`` needs DFU mode and
answers 409 otherwise, as a real device that is not in DFU mode cannot be found by dfu-util):

* ``GET usb``: how the device shows up on USB (``dfu``, ``serial`` or ``off``), its id and platform.
* ``POST dfu/enter`` (``particle usb dfu``), ``POST reset`` (``particle usb reset``, also leaves DFU).
* ``POST dfu/read`` ``{alt, address, length, leave}`` and ``POST dfu/write`` ``{alt, address, data, leave}``:
  alt 1 is the DCT (antenna 2976, ip_config 1634, claim code 1762 and claimed 1825 are modelled; other bytes
  are kept as written), alt 0 at 0x080A0000 is the user application (a simulated binary names its app).
* ``POST flash`` ``{app, leave, requires}`` (``requires``: the Device OS the app was built for, if known), ``POST keys/server``, ``POST keys/doctor`` ``{device_id}`` (answers the new public key, which the stand-in
  uploads to the cloud with the CLI's login, as the real CLI does), ``POST update`` ``{version}`` (none: what
  particle-cli 2.16.0 bundles).

:meth:`ControlServer.fail_next` makes the next operations of a kind fail (a write that breaks off), for tests.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from photon_doctor.simulator import standin
from photon_doctor.simulator.standin import CONTROL_ENV, app_of, target_of
from photon_doctor.simulator.world import Firmware, Mode, World, new_device_key, version_tuple

#: What ``particle update`` installs: particle-cli v2.16.0 (the stand-in's version) bundles Device OS 2.2.0 for the
#: Photon (``settings.js`` ``updates['2b04:d006']``: photon-bootloader@2.2.0+lto.bin, ota-flag-a5.bin,
#: photon-system-part1@2.2.0.bin, photon-system-part2@2.2.0.bin).
UPDATE_DEVICE_OS = "2.2.0"
USER_FIRMWARE_ADDRESS = 0x080A0000
DCT_SIZE = 16 * 1024
ANTENNA, IP_CONFIG, CLAIM_CODE, CLAIMED = 2976, 1634, 1762, 1825
#: The DCT ``claimed`` byte of a claimed device is the character "1": ``HAL_IsDeviceClaimed()`` compares it
#: with '1' and ``HAL_Set_Claim_Code(NULL)`` writes '1' (Device OS hal/src/stm32f2xx/ota_flash_hal_stm32f2xx.cpp,
#: v1.4.4 to v2.3.1); any other byte (0x00, 0x01, erased 0xFF) is not claimed.
CLAIMED_YES = ord("1")
_ANTENNA_BYTE = {"internal": 0, "external": 1, "auto": 3}
_ANTENNA_NAME = {0: "internal", 1: "external", 3: "auto", 0xFF: "internal"}


def _claim_code_of(raw: bytes) -> str | None:
    """The claim code the DCT's 63 bytes hold: none when the first byte is 0x00 or 0xFF (Device OS publishes none)."""
    return None if raw[0] in (0x00, 0xFF) else raw.split(b"\xff", 1)[0].decode("ascii", "replace")


class DeviceOps:
    """What the stand-ins can do to the world (under its lock). Raises LookupError when not in DFU mode."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.extra_dct: dict[int, int] = {}  # DCT bytes written outside the modelled fields
        self.claim_bytes: dict[int, int] = {}  # the claim code and claimed bytes as last written
        self.failures: dict[str, int] = {}

    def _need_dfu(self) -> None:
        if self.world.device.mode is not Mode.DFU:
            raise LookupError("no Photon in DFU mode")

    def usb(self) -> dict[str, Any]:
        """How the device shows up on USB."""
        d = self.world.device
        mode = "dfu" if d.mode is Mode.DFU else "off" if d.mode is Mode.OFF else "serial"
        return {
            "mode": mode,
            "device_id": d.device_id,
            "platform_id": d.platform_id,
            "device_os": d.device_os,
        }

    def enter_dfu(self) -> None:
        """``particle usb dfu``: reboot into DFU mode."""
        if self.world.device.mode is Mode.OFF:
            raise LookupError("no Photon on USB")
        if self.world.device.mode is not Mode.DFU:
            self.world.enter_dfu()

    def reset(self) -> None:
        """``particle usb reset``: restart (from DFU mode too)."""
        if self.world.device.mode is Mode.OFF:
            raise LookupError("no Photon on USB")
        self.world.boot()

    # --- the DCT ---------------------------------------------------------------------------------------------
    def dct_image(self) -> bytearray:
        """The DCT as bytes, made from the world's fields and the bytes written elsewhere."""
        d = self.world.device
        img = bytearray(b"\xff" * DCT_SIZE)
        for offset, value in self.extra_dct.items():
            img[offset] = value
        img[ANTENNA] = _ANTENNA_BYTE.get(d.antenna, 0)
        img[IP_CONFIG] = 1 if d.ip_mode == "static" else 0
        code = (d.claim_code or "").encode("ascii", "replace")[:63]
        img[CLAIM_CODE : CLAIM_CODE + len(code)] = code
        img[CLAIMED] = CLAIMED_YES if d.claimed_flag else 0
        claim = bytearray(img[CLAIM_CODE : CLAIMED + 1])
        for offset, value in self.claim_bytes.items():
            claim[offset - CLAIM_CODE] = value
        if _claim_code_of(bytes(claim[:-1])) == d.claim_code and (claim[-1] == CLAIMED_YES) == d.claimed_flag:
            img[CLAIM_CODE : CLAIMED + 1] = claim  # the bytes as written, while they say what the world says
        return img

    def dct_write(self, offset: int, data: bytes) -> None:
        """Write DCT bytes; the modelled fields change the world."""
        d = self.world.device
        if offset < 0 or offset + len(data) > DCT_SIZE:
            raise ValueError(f"address {offset} + {len(data)} is outside the DCT")
        img = self.dct_image()
        img[offset : offset + len(data)] = data
        touched = range(offset, offset + len(data))
        if ANTENNA in touched:
            d.antenna = _ANTENNA_NAME.get(img[ANTENNA], "internal")
        if IP_CONFIG in touched:
            d.ip_mode = "static" if img[IP_CONFIG] == 1 else "dynamic"
        if any(i in touched for i in range(CLAIM_CODE, CLAIMED)):
            d.claim_code = _claim_code_of(bytes(img[CLAIM_CODE:CLAIMED]))
        if CLAIMED in touched:
            d.claimed_flag = img[CLAIMED] == CLAIMED_YES
        claim_area = range(CLAIM_CODE, CLAIMED + 1)
        modelled = {ANTENNA, IP_CONFIG, *claim_area}
        for i in touched:
            if i in claim_area:
                self.claim_bytes[i] = img[i]
            elif i not in modelled:
                self.extra_dct[i] = img[i]
        self.world.events.append(f"DCT written at {offset} ({len(data)} bytes)")

    # --- operations --------------------------------------------------------------------------------------------
    def read(self, alt: int, address: int, length: int, leave: bool) -> bytes:
        """A DFU upload (alt 1: the DCT)."""
        self._need_dfu()
        data = bytes(self.dct_image()[address : address + length]) if alt == 1 else b"\xff" * length
        if leave:
            self.world.boot()
        return data

    def write(self, alt: int, address: int, data: bytes, leave: bool) -> None:
        """A DFU download: the DCT (alt 1) or the user application (alt 0)."""
        self._need_dfu()
        if alt == 1:
            self.dct_write(address, data)
        elif alt == 0 and address == USER_FIRMWARE_ADDRESS:
            self._install(app_of(data), target_of(data))
        else:
            raise ValueError(f"the simulation does not model writes to alt {alt} at {address:#x}")
        if leave:
            self.world.boot()

    def flash(self, app: str, leave: bool, requires: str | None = None) -> None:
        """``particle flash --usb``: install an application."""
        self._need_dfu()
        self._install(app, requires)
        if leave:
            self.world.boot()

    def _install(self, app: str, requires: str | None = None) -> None:
        """Install ``app``, built for Device OS ``requires`` (None: not known, the dependencies are left as they
        were). A user part built for a newer Device OS than the device has fails its dependency check: the
        device starts in safe mode and the application never runs (reference §6, breathing magenta)."""
        d = self.world.device
        runs = True
        if requires is not None:
            runs = d.modules_ok = version_tuple(d.device_os) >= version_tuple(requires)
        if app == "reset_settings" and runs:
            # What the firmware does at its first start (reference §8); it runs SEMI_AUTOMATIC.
            d.antenna, d.ip_mode, d.eeprom_clear = "internal", "dynamic", True
            self.world.clear_credentials()
        mode = "SEMI_AUTOMATIC" if app == "reset_settings" else "AUTOMATIC"
        d.firmware = Firmware(app=app, system_mode=mode, requires_device_os=requires or "0.4.9")
        self.world.events.append(
            f"application flashed over USB: {app}"
            + ("" if runs else " (built for a newer Device OS: safe mode)")
        )

    def keys_server(self) -> None:
        """``particle keys server``: the server public key."""
        self._need_dfu()
        self.world.device.server_key_ok = True
        self.world.events.append("server public key written (DCT 2082)")

    def keys_doctor(self, device_id: str) -> str:
        """``particle keys doctor``: a new device key written into the DCT with ``:leave`` (the device restarts
        with it). Returns its public key (PEM), which the CLI then uploads itself: the cloud learns of it only
        then (particle-cli v2.16.0 and HEAD ``src/cmd/keys.js`` ``keyDoctor()``: write, then send)."""
        from cryptography.hazmat.primitives import serialization

        self._need_dfu()
        if device_id.lower() != self.world.device.device_id:
            raise ValueError(f"the device in DFU mode is not {device_id}")
        key = new_device_key()
        self.world.device.private_key = key
        self.world.events.append("new device key written (DCT 34)")
        self.world.boot()
        pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return pem.decode("ascii")

    def update(self, version: str | None = None) -> str:
        """``particle update``: the Device OS the CLI bundles (2.16.0: :data:`UPDATE_DEVICE_OS`), or the release a
        downloading CLI was given, whatever the device runs; leaves DFU. Returns the version. The application is
        not touched: it runs only if it was built for this Device OS or an older one."""
        self._need_dfu()
        release = version or UPDATE_DEVICE_OS
        d = self.world.device
        d.device_os, d.ota_stuck = release, False
        d.modules_ok = version_tuple(release) >= version_tuple(d.firmware.requires_device_os)
        if version_tuple(release) >= version_tuple(d.fixed_os_version):
            d.os_bug = False
        self.world.events.append(f"Device OS updated to {release} over USB")
        self.world.boot()
        return release


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the stand-ins print what the real tools print."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _dispatch(self, method: str) -> None:
        prefix = f"/{self.server.key}/"
        if not self.path.startswith(prefix):
            self._send(404, {"error": "not found"})
            return
        op = self.path[len(prefix) :]
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}") if method == "POST" else {}
        except ValueError:
            self._send(400, {"error": "bad JSON"})
            return
        if not isinstance(body, dict):
            self._send(400, {"error": "the body must be a JSON object"})
            return
        ops = self.server.ops
        with ops.world.lock:
            if ops.failures.get(op, 0) > 0:
                ops.failures[op] -= 1
                self._send(500, {"error": "the transfer broke off (simulated fault)"})
                return
            try:
                self._send(200, _run(ops, method, op, body))
            except LookupError as exc:
                self._send(409, {"error": str(exc.args[0])})
            except (ValueError, KeyError, TypeError) as exc:
                self._send(400, {"error": str(exc)})


def _run(ops: DeviceOps, method: str, op: str, body: dict[str, Any]) -> dict[str, Any]:
    if method == "GET" and op == "usb":
        return ops.usb()
    if method != "POST":
        raise KeyError(f"unknown operation {method} {op}")
    leave = bool(body.get("leave"))
    if op == "dfu/enter":
        ops.enter_dfu()
    elif op == "reset":
        ops.reset()
    elif op == "dfu/read":
        return {"data": ops.read(int(body["alt"]), int(body["address"]), int(body["length"]), leave).hex()}
    elif op == "dfu/write":
        ops.write(int(body["alt"]), int(body["address"]), bytes.fromhex(body["data"]), leave)
    elif op == "flash":
        requires = body.get("requires")
        ops.flash(str(body["app"]), leave, None if requires is None else str(requires))
    elif op == "keys/server":
        ops.keys_server()
    elif op == "keys/doctor":
        return {"public_key": ops.keys_doctor(str(body["device_id"]))}
    elif op == "update":
        version = body.get("version")
        return {"version": ops.update(None if version is None else str(version))}
    else:
        raise KeyError(f"unknown operation {op}")
    return {"ok": True}


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True

    def __init__(self, ops: DeviceOps) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.ops = ops
        self.key = secrets.token_hex(8)


class ControlServer:
    """The control endpoint. ``url`` (after :meth:`start`) goes to the stand-ins in ``PHOTON_DOCTOR_SIM_CONTROL``."""

    def __init__(self, world: World) -> None:
        self.ops = DeviceOps(world)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        return f"http://127.0.0.1:{self._server.server_port}/{self._server.key}"

    def start(self) -> ControlServer:
        """Serve on 127.0.0.1 (a free port) in a thread."""
        self._server = _Server(self.ops)
        # A short poll: stop() waits for serve_forever to notice, and the demo should not wait half a second.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="photon-control", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def fail_next(self, op: str, times: int = 1) -> None:
        """Make the next ``times`` requests for ``op`` (e.g. ``dfu/write``, ``flash``) fail."""
        with self.ops.world.lock:
            self.ops.failures[op] = self.ops.failures.get(op, 0) + times


def standin_script(program: str) -> str:
    """The wrapper script for one stand-in. It runs the installed ``standin.py`` by its absolute path in
    isolated mode (``-I``): the working directory is never on ``sys.path``, so a clone's ``photon_doctor/``
    folder cannot shadow the installed package (the stand-in itself needs only the standard library)."""
    return (
        "#!/bin/sh\n# photon-doctor demo: a simulated stand-in for the real program\n"
        f"exec {shlex.quote(sys.executable)} -I {shlex.quote(str(Path(standin.__file__).resolve()))} "
        f'{program} "$@"\n'
    )


class SimulatedTools:
    """Stand-in ``dfu-util`` and ``particle`` for a world: the control endpoint and a folder of wrapper scripts.

    ``with SimulatedTools(world) as tools:`` then run programs with ``tools.env()`` (PATH first searches
    ``tools.bindir``). ``tools.control`` is the :class:`ControlServer` (for faults in tests).
    """

    PROGRAMS = ("dfu-util", "particle")

    def __init__(self, world: World, cli_login: tuple[str, str] | None = None) -> None:
        self.control = ControlServer(world)
        self.bindir: Path | None = None
        #: (API URL, access token) the stand-in ``particle`` is logged in with, or None: not logged in. Kept
        #: where the real CLI keeps it, ``~/.particle/particle.config.json`` (``access_token``, ``apiUrl``),
        #: under a HOME of the stand-ins' own.
        self._cli_login = cli_login

    def start(self) -> SimulatedTools:
        """Start the control endpoint and write the wrapper scripts."""
        self.control.start()
        try:
            self.bindir = Path(tempfile.mkdtemp(prefix="photon-doctor-tools-"))
            for program in self.PROGRAMS:
                script = self.bindir / program
                script.write_text(standin_script(program), encoding="utf-8")
                script.chmod(0o755)
            settings = self.bindir / "home" / ".particle"
            settings.mkdir(parents=True)
            if self._cli_login is not None:
                api_url, token = self._cli_login
                config = settings / "particle.config.json"
                config.touch(mode=0o600)
                config.write_text(json.dumps({"access_token": token, "apiUrl": api_url}), encoding="utf-8")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the control endpoint and remove the wrapper scripts."""
        self.control.stop()
        if self.bindir is not None:
            shutil.rmtree(self.bindir, ignore_errors=True)
            self.bindir = None

    def __enter__(self) -> SimulatedTools:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def path(self) -> str:
        """The PATH with the stand-ins first."""
        assert self.bindir is not None, "not started"
        return str(self.bindir) + os.pathsep + os.environ.get("PATH", os.defpath)

    def env(self) -> dict[str, str]:
        """The environment for the stand-ins: this process's, with PATH, the control URL and HOME (where the
        stand-in ``particle`` keeps its login)."""
        assert self.bindir is not None, "not started"
        return {
            **os.environ,
            "PATH": self.path,
            CONTROL_ENV: self.control.url,
            "HOME": str(self.bindir / "home"),
        }
