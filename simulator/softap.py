"""The simulated SoftAP of a Photon in listening mode: an HTTP server and the raw TCP server (reference §3).

Both listen on 127.0.0.1, on ephemeral ports, and run :func:`run_command` over the shared :class:`World`.
On the wire, HTTP replies are ``200``, ``Content-Type: application/json``, ``Transfer-Encoding: chunked``,
caching disabled and CORS open with the WICED HTTP server's own header lines (``NO_CACHE_HEADER``,
``HTTP_HEADER_XHR`` in Device OS ``hal/src/photon/libraries/daemons/HTTP_server/http_server.h``), and
``Connection: close`` (one request per connection, like the device's small server). The 301 status line has no
reason phrase (``HTTP_HEADER_301``). TCP replies are ``"\\n\\n" + JSON``, then the socket
is closed.

The SoftAP exists only while the device is in listening mode. Otherwise nothing listens on either port, as no
access point exists (:mod:`photon_doctor.simulator.access_point`); a connection caught in the moment the
device leaves listening mode is read and closed without a word.

Fault injection for tests (:meth:`SoftAPSimulator.inject`): invalid JSON, a hang, an HTTP error status, a
reply cut off in the middle.
"""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from photon_doctor.simulator.access_point import ListeningOnly
from photon_doctor.simulator.softap_commands import (
    CommandResult,
    exit_listening,
    is_listening,
    run_command,
)
from photon_doctor.simulator.world import World

#: How long a server thread waits for a slow client before giving up on it (seconds).
_CONN_TIMEOUT = 5.0
_MAX_BODY = 64 * 1024
_GARBAGE = b'{"scans":[{"ssid":"Ho\xffme'  # truncated JSON with a stray non-UTF-8 byte


class Fault(str, Enum):
    """A misbehaviour the simulator can be told to show."""

    GARBAGE = "garbage"  # a 200 whose body is not valid JSON
    HANG = "hang"  # read the request, never answer (until the simulator stops)
    HTTP_STATUS = "http_status"  # HTTP: answer with the given status; TCP: close without a reply
    TRUNCATE = "truncate"  # start the reply, then drop the connection halfway
    CLOSE = "close"  # accept the request, then close without a word (no branch below: nothing is sent)


@dataclass(frozen=True)
class FaultPlan:
    """An injected fault: which one, for which command (``None``: every command), and the HTTP status."""

    fault: Fault
    command: str | None = None
    status: int = 500


class _State:
    """What both servers share: the world, the injected faults and the stop signal."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.stopping = threading.Event()
        self._faults: list[FaultPlan] = []
        self._lock = threading.Lock()

    def add_fault(self, plan: FaultPlan) -> None:
        with self._lock:
            self._faults.append(plan)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def fault_for(self, command: str) -> FaultPlan | None:
        with self._lock:
            for plan in self._faults:
                if plan.command in (None, command):
                    return plan
        return None


# --- HTTP ---------------------------------------------------------------------------------------------------


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = True  # server_close() joins the handler threads: nothing outlives stop()

    def __init__(self, state: _State) -> None:
        self.state = state
        super().__init__(("127.0.0.1", 0), _HTTPHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-reply is normal here; stay quiet instead of printing a traceback."""


#: NO_CACHE_HEADER of the WICED HTTP server (http_server.h), with its "Pragma: no-cache".
_NO_CACHE = "no-store, no-cache, must-revalidate, post-check=0, pre-check=0"


class _HTTPHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = _CONN_TIMEOUT
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default access log on stderr (it would also print request lines in tests)."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _read_body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = 0
        return self.rfile.read(min(max(length, 0), _MAX_BODY)) if length > 0 else b""

    def _dispatch(self) -> None:
        state = self.server.state
        self.close_connection = True
        body = self._read_body()
        if not is_listening(state.world):
            return  # no SoftAP: close without a reply
        path = self.path.split("?", 1)[0]
        command = path.lstrip("/")
        plan = state.fault_for(command)
        if plan is not None:
            self._fault(plan)
            return
        if path == "/":
            self._send(301, b"", "text/plain", location="/index")
        elif path == "/index":
            self._send(301, b"", "text/plain", location="/hello")
        elif path == "/hello":
            self._send(200, b"Soft AP Setup", "text/plain")
        else:
            result = run_command(state.world, command, body) if path.count("/") == 1 else None
            if result is None:
                self._send(404, b"", "text/plain")
            else:
                # The 200 header goes out before the command runs: an unparsable request gets an empty body.
                self._send(200, result.payload(), "application/json")
                self._after(result)

    def _after(self, result: CommandResult) -> None:
        if result.after == "exit_listening":
            self.wfile.flush()
            exit_listening(self.server.state.world)

    def _fault(self, plan: FaultPlan) -> None:
        if plan.fault is Fault.HANG:
            self.server.state.stopping.wait()
        elif plan.fault is Fault.GARBAGE:
            self._send(200, _GARBAGE, "application/json")
        elif plan.fault is Fault.HTTP_STATUS:
            self._send(plan.status, b'{"error":"injected"}', "application/json")
        elif plan.fault is Fault.TRUNCATE:
            self._headers(200, "application/json")
            self.wfile.write(b'40\r\n{"scans":[')  # promises 64 bytes, sends 10, then hangs up
            self.wfile.flush()

    def _headers(self, status: int, content_type: str, location: str | None = None) -> None:
        # send_response_only: no Server/Date headers, the device sends neither. WICED's status lines
        # (http_server.h): "HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found", and "HTTP/1.1 301" with no reason.
        if status == 301:
            self.wfile.write(b"HTTP/1.1 301\r\n")  # before the buffered headers, which end_headers() sends
        else:
            self.send_response_only(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", _NO_CACHE)
        self.send_header("Pragma", "no-cache")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Connection", "close")
        if location is not None:
            self.send_header("Location", location)
        self.end_headers()

    def _send(self, status: int, payload: bytes, content_type: str, location: str | None = None) -> None:
        self._headers(status, content_type, location)
        if payload:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(payload), payload))
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


# --- raw TCP ------------------------------------------------------------------------------------------------


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = True
    allow_reuse_address = True

    def __init__(self, state: _State) -> None:
        self.state = state
        super().__init__(("127.0.0.1", 0), _TCPHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet, as for HTTP: a client hanging up early is not a simulator error."""


class _TCPHandler(socketserver.StreamRequestHandler):
    timeout = _CONN_TIMEOUT
    server: _TCPServer

    def handle(self) -> None:
        state = self.server.state
        try:
            command, body = self._read_request()
        except (OSError, ValueError):
            return  # a request we cannot parse: the device just drops the connection
        if not is_listening(state.world):
            return
        plan = state.fault_for(command)
        if plan is not None:
            if plan.fault is Fault.HANG:
                state.stopping.wait()
            elif plan.fault is Fault.GARBAGE:
                self.wfile.write(b"\n\n" + _GARBAGE)
            elif plan.fault is Fault.TRUNCATE:
                self.wfile.write(b'\n\n{"scans":[')
            return  # HTTP_STATUS: no status line on TCP, so just close
        result = run_command(state.world, command, body, tcp=True)
        if result is None or result.silent:
            return
        # "\n\n" precedes every command the dispatcher runs, even one whose request does not parse.
        reply = b"\n\n" + result.payload()
        self.wfile.write(reply)
        self.wfile.flush()
        if result.after == "exit_listening":
            exit_listening(state.world)

    def _read_request(self) -> tuple[str, bytes]:
        """Parse ``"<command>\\n<decimal length>\\n\\n<body>"``; raises ValueError on anything else."""
        command = self.rfile.readline(256).decode("ascii").rstrip("\r\n")
        length = int(self.rfile.readline(32).decode("ascii").strip())
        if self.rfile.readline(8).strip() or not 0 <= length <= _MAX_BODY:
            raise ValueError("malformed request")
        body = self.rfile.read(length)
        if len(body) != length:
            raise ValueError("short body")
        return command, body


# --- the simulator ------------------------------------------------------------------------------------------


class SoftAPSimulator:
    """Both SoftAP servers over one world; use as a context manager or call :meth:`start`/:meth:`stop`.

    ``url`` and ``tcp_address`` are valid after :meth:`start`; reading them before raises ``RuntimeError``.
    """

    def __init__(self, world: World) -> None:
        self.world = world
        self._state = _State(world)
        self._http: _HTTPServer | None = None
        self._tcp: _TCPServer | None = None
        self._threads: list[threading.Thread] = []
        self._presence: list[ListeningOnly] = []

    def start(self) -> SoftAPSimulator:
        """Bind both servers to ephemeral ports on 127.0.0.1 and serve them from daemon threads while the
        device is in listening mode (the ports stay reserved to this simulator's addresses)."""
        self._state.stopping.clear()
        self._http = _HTTPServer(self._state)
        self._tcp = _TCPServer(self._state)
        for server, name in ((self._http, "softap-http"), (self._tcp, "softap-tcp")):
            presence = ListeningOnly(self.world, server, self._state.stopping)
            self._presence.append(presence)
            thread = threading.Thread(target=presence.serve, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Release hung handlers, stop serving, close both sockets and join every thread."""
        self._state.stopping.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        for presence in self._presence:
            presence.close()
        self._presence.clear()
        for server in (self._http, self._tcp):
            if server is not None:
                server.server_close()  # joins the handler threads (block_on_close)
        self._http = self._tcp = None

    def __enter__(self) -> SoftAPSimulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` of the HTTP server."""
        if self._http is None:
            raise RuntimeError("SoftAPSimulator is not started")
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    @property
    def tcp_address(self) -> tuple[str, int]:
        """``("127.0.0.1", PORT)`` of the raw TCP server."""
        if self._tcp is None:
            raise RuntimeError("SoftAPSimulator is not started")
        return ("127.0.0.1", int(self._tcp.server_address[1]))

    @property
    def ssid(self) -> str:
        """The SoftAP's network name, ``<prefix>-<device code>`` (``Photon-XXXXXX``)."""
        with self.world.lock:
            return f"{self.world.device.softap_prefix}-{self.world.device.device_code}"

    def inject(self, fault: Fault, command: str | None = None, status: int = 500) -> None:
        """Make ``command`` (or every command, including the HTML pages, when ``None``) misbehave."""
        self._state.add_fault(FaultPlan(fault, command, status))

    def clear_faults(self) -> None:
        """Back to normal behaviour."""
        self._state.clear_faults()


__all__ = ["Fault", "FaultPlan", "SoftAPSimulator"]
