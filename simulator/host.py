"""The laptop's side of the simulated world: its Wi-Fi tool, a connectivity-check URL and the device cloud's port.

* :class:`SimulatedHostRunner` implements the host probe's ``CommandRunner`` port and answers ``nmcli`` the way
  NetworkManager does for the laptop's network in the world (``World.host_ssid``); other programs are "not found".
* :class:`InternetSimulator` serves, on 127.0.0.1, a connectivity check (``/generate_204``: 204, or a 302 to a
  login page behind a captive portal) and a TCP listener standing in for the device cloud on port 5683 (closed
  when a firewall blocks the port). The host probe is pointed at them with its ``HostNetworkConfig``.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from photon_doctor.probes.host_checks import CommandNotFound, CommandResult
from photon_doctor.simulator.world import AccessPoint, World


def _frequency(ap: AccessPoint) -> int:
    return 5000 + 5 * ap.channel if ap.is_5ghz else 2407 + 5 * ap.channel


def _nmcli_security(ap: AccessPoint) -> str:
    if ap.password is None:
        return ""
    if ap.wpa3:
        return "WPA3"
    if ap.mixed_wep:
        return "WEP WPA2"
    sec = ap.security
    if sec & 0x02000000:
        return "WPA2 802.1X"
    if sec & 0x0001:
        return "WEP"
    words = [w for bit, w in ((0x00200000, "WPA1"), (0x00400000, "WPA2")) if sec & bit]
    return " ".join(words)


def _terse(text: str) -> str:
    return text.replace("\\", "\\\\").replace(":", "\\:")


class SimulatedHostRunner:
    """A ``CommandRunner`` that answers ``nmcli -t -f active,ssid,freq,security dev wifi`` from the world."""

    def __init__(self, world: World) -> None:
        self.world = world

    def run(self, argv: Sequence[str], timeout: float) -> CommandResult:
        if not argv or argv[0] != "nmcli":
            raise CommandNotFound(f"{argv[0] if argv else '?'} not found")
        with self.world.lock:
            lines = []
            for ap in self.world.networks:
                if ap.hidden and ap.ssid != self.world.host_ssid:
                    continue
                active = "yes" if ap.ssid == self.world.host_ssid else "no"
                lines.append(f"{active}:{_terse(ap.ssid)}:{_frequency(ap)} MHz:{_nmcli_security(ap)}")
        return CommandResult(0, "\n".join(lines) + "\n", "")


class _PortalHandler(BaseHTTPRequestHandler):
    server: _PortalServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests and the demo own the terminal
        pass

    def do_GET(self) -> None:
        world = self.server.world
        with world.lock:
            ap = next((a for a in world.networks if a.ssid == world.host_ssid), None)
            portal = ap is not None and ap.captive_portal
        if self.path.startswith("/generate_204") and not portal:
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if portal and not self.path.startswith("/login"):
            self.send_response(302)
            self.send_header("Location", "/login")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"<html><body>Please accept the terms to use this network.</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _PortalServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, world: World) -> None:
        super().__init__(("127.0.0.1", 0), _PortalHandler)
        self.world = world


class InternetSimulator:
    """The connectivity check and the device cloud's TCP port, as seen from the laptop."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._http: _PortalServer | None = None
        self._http_thread: threading.Thread | None = None
        self._cloud: socket.socket | None = None
        self._cloud_thread: threading.Thread | None = None
        self._cloud_port = 0
        self._stop = threading.Event()

    @property
    def connectivity_url(self) -> str:
        assert self._http is not None, "not started"
        return f"http://127.0.0.1:{self._http.server_address[1]}/generate_204"

    @property
    def cloud_address(self) -> tuple[str, int]:
        """Where the device cloud listens; a closed port when the world blocks 5683."""
        return "127.0.0.1", self._cloud_port

    def start(self) -> InternetSimulator:
        self._http = _PortalServer(self.world)
        self._http_thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, name="sim-internet", daemon=True
        )
        self._http_thread.start()
        with self.world.lock:
            ap = next((a for a in self.world.networks if a.ssid == self.world.host_ssid), None)
            blocked = ap is not None and not ap.port_5683_open
        if blocked:
            # A closed port: bind to learn a free number, then close it so connecting is refused.
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            self._cloud_port = probe.getsockname()[1]
            probe.close()
        else:
            self._cloud = socket.socket()
            self._cloud.bind(("127.0.0.1", 0))
            self._cloud.listen(8)
            self._cloud.settimeout(0.05)
            self._cloud_port = self._cloud.getsockname()[1]
            self._cloud_thread = threading.Thread(target=self._accept, name="sim-cloud-5683", daemon=True)
            self._cloud_thread.start()
        return self

    def _accept(self) -> None:
        assert self._cloud is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._cloud.accept()
            except (TimeoutError, OSError):
                continue
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self._http_thread is not None:
            self._http_thread.join(timeout=2)
        if self._cloud_thread is not None:
            self._cloud_thread.join(timeout=2)
        if self._cloud is not None:
            self._cloud.close()
            self._cloud = None

    def __enter__(self) -> InternetSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
