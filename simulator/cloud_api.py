"""The Particle cloud REST API (the subset photon-doctor uses), served on 127.0.0.1 over the shared :class:`World`.

Endpoints (reference §4): ``GET /v1/devices``, ``GET /v1/devices/:id``, ``PUT /v1/devices/:id`` (rename,
signal), ``GET /v1/devices/:id/:variable``, ``POST /v1/devices`` (claim), ``DELETE /v1/devices/:id``
(unclaim), ``POST /v1/device_claims``, ``PUT /v1/devices/:id/ping``, ``GET /v1/diagnostics/:id/last``,
``GET /v1/user``, ``GET /v1/products/:product/devices`` and ``POST /v1/provisioning/:id`` (a device's new public
key, what ``particle keys doctor`` / ``keys send`` upload). A device that is not the caller's (unknown,
unclaimed or someone else's) gets one answer, 403 Permission Denied, as on the real cloud (see
docs/protocols-cloud.md). The token goes in ``Authorization: Bearer <token>`` or in an ``access_token``
query, form or JSON parameter. Bodies may be JSON or form-encoded; answers are JSON.

Faults for tests and scenarios: :meth:`CloudApiSimulator.inject` a :class:`Fault` (a forced status such as 429 or
500, a hang, a malformed body); ``world.cloud.outage`` makes every endpoint answer 503.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from photon_doctor.foundation.redact import redact
from photon_doctor.simulator import cloud_payloads as payloads
from photon_doctor.simulator.world import Account, CloudDevice, World

#: Longest a hung request is held, so a forgotten ``stop()`` cannot keep a test process alive for ever.
MAX_HANG_SECONDS = 30.0

# Error bodies. The 401 body is fixed by the brief; the others are this simulator's choices (see docs).
RATE_LIMITED = {"ok": False, "error": "Too many requests", "error_description": "Rate limit exceeded."}
SERVER_ERROR = {"error": "server_error", "error_description": "Internal server error."}
OUTAGE = {"error": "service_unavailable", "error_description": "The Particle cloud is having an incident."}
BELONGS_TO_SOMEONE_ELSE = {"ok": False, "errors": ["That belongs to someone else."]}


#: The 403 body for any device id that is not the caller's: unknown, unclaimed or someone else's alike.
#: The real cloud's recorded reply to a Bearer request; its ``info`` says ``access_token=undefined``, never the token.
PERMISSION_DENIED = {
    "error": "Permission Denied",
    "info": "I didn't recognize that device name or ID, try opening "
    "https://api.particle.io/v1/devices?access_token=undefined",
}


@dataclass(frozen=True)
class Fault:
    """A misbehaviour to inject, for requests whose path starts with ``path_prefix``.

    ``status``: answer with this HTTP status (429 gets a rate-limit body and ``Retry-After`` if ``retry_after``
    is set; other statuses a server-error body). ``hang``: never answer (until ``stop()``). ``malformed``: answer
    200 with a body that is not JSON. ``times``: how many requests to affect; None means until cleared.
    """

    status: int | None = None
    retry_after: int | None = None
    hang: bool = False
    malformed: bool = False
    path_prefix: str = "/"
    times: int | None = None
    #: Writes the whole reply itself (photon_doctor.simulator.faults: truncated, dripping or huge bodies).
    write: Callable[[BaseHTTPRequestHandler], None] | None = None


class _Server(ThreadingHTTPServer):
    # Handler threads are joined on close (no thread outlives the fixture); hung ones are released by stop().
    daemon_threads = False
    block_on_close = True
    sim: CloudApiSimulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a timed-out test client) is normal here, not an error to print."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 5.0  # an idle or half-sent request cannot hold a handler thread for long
    error_content_type = "application/json"

    def log_message(self, format: str, *args: Any) -> None:
        """Record instead of printing to stderr; tokens in query strings are masked."""
        self.server.sim.log.append(redact(format % args))

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (a bad request line, an unknown method) as JSON, not HTML labelled JSON."""
        self.close_connection = True
        self._send(code, {"error": message or self.responses.get(code, ("error",))[0]})

    # --- plumbing ------------------------------------------------------------------------------------------
    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def _read_body(self) -> dict[str, Any] | None:
        """The request parameters from a JSON or form body; None if the JSON is malformed."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        if not raw:
            return {}
        if "json" in (self.headers.get("Content-Type") or ""):
            try:
                parsed = json.loads(raw)
            except ValueError:
                return None
            return parsed if isinstance(parsed, dict) else None
        return {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}

    def _dispatch(self, method: str) -> None:
        sim = self.server.sim
        split = urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        # Read the body before anything else: closing a socket with unread input resets the connection, and the
        # client would see a reset instead of the answer.
        body = self._read_body()
        fault = sim._take_fault(path)
        if fault is not None and self._apply_fault(fault):
            return
        with sim.world.lock:
            outage = sim.world.cloud.outage
        if outage:
            self._send(503, OUTAGE)
            return
        if body is None:
            self._send(
                400, {"error": "bad_request", "error_description": "The request body is not valid JSON."}
            )
            return
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        token = self._token(query, body)
        for extra in sim.extra_routes:  # e.g. the simulated fleet (simulator/fleet.py)
            answer = extra(method, path, query, token)
            if answer is not None:
                self._send(*answer)
                return
        with sim.world.lock:
            account = sim.world.cloud.account_for_token(token) if token else None
            if account is None:
                self._send(*((401, payloads.INVALID_TOKEN) if token else (400, payloads.NO_TOKEN)))
                return
            status, answer = _route(sim.world, account, method, path, body, query)
        self._send(status, answer)

    def _token(self, query: dict[str, str], body: dict[str, Any]) -> str | None:
        auth = self.headers.get("Authorization") or ""
        if auth.lower().startswith("bearer "):
            return auth[7:].strip() or None
        value = query.get("access_token") or body.get("access_token")
        return str(value) if value else None

    def _apply_fault(self, fault: Fault) -> bool:
        """Answer according to ``fault``; return False if it does not decide the answer."""
        if fault.write is not None:
            fault.write(self)
            return True
        if fault.hang:
            self.server.sim._release.wait(MAX_HANG_SECONDS)
            self.close_connection = True
            return True
        if fault.malformed:
            self._send(200, b'{"ok": true, "devices": [')
            return True
        if fault.status is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            body = RATE_LIMITED if fault.status == 429 else SERVER_ERROR
            self._send(fault.status, body, headers)
            return True
        return False


_DEVICE = re.compile(r"^/v1/devices/([^/]+)$")
_PING = re.compile(r"^/v1/devices/([^/]+)/ping$")
_VARIABLE = re.compile(r"^/v1/devices/([^/]+)/([^/]+)$")
_VITALS = re.compile(r"^/v1/diagnostics/([^/]+)/last$")
_PRODUCT_DEVICES = re.compile(r"^/v1/products/([^/]+)/devices$")
_PROVISIONING = re.compile(r"^/v1/provisioning/([^/]+)$")
#: (pattern, method, action) for the per-device endpoints; the first match wins (``ping`` before variables).
_DEVICE_ROUTES = (
    (_DEVICE, "GET", "info"),
    (_DEVICE, "PUT", "update"),
    (_DEVICE, "DELETE", "unclaim"),
    (_PING, "PUT", "ping"),
    (_VITALS, "GET", "vitals"),
    (_PROVISIONING, "POST", "public_key"),
    (_VARIABLE, "GET", "variable"),
)


def _route(
    world: World, account: Account, method: str, path: str, body: dict[str, Any], query: dict[str, str]
) -> tuple[int, Any]:
    """Answer one authenticated request (the caller holds ``world.lock``)."""
    cloud = world.cloud
    owned = [cd for cd in cloud.devices.values() if cd.owner == account.username]
    if path == "/v1/devices" and method == "GET":
        return 200, [payloads.device_summary(world, cd) for cd in owned]
    if path == "/v1/devices" and method == "POST":
        return _claim(world, account, body)
    if path == "/v1/device_claims" and method == "POST":
        code = cloud.new_claim_code(account.username)
        world.events.append(f"claim code issued to {account.username}")
        return 200, {"claim_code": code, "device_ids": [cd.device_id for cd in owned]}
    if path == "/v1/user" and method == "GET":
        return 200, payloads.user_info(account, owned)
    product = _PRODUCT_DEVICES.match(path)
    if product and method == "GET":
        return payloads.product_devices(world, owned, product.group(1), query)
    for pattern, verb, action in _DEVICE_ROUTES:
        match = pattern.match(path)
        if match and method == verb:
            found = _owned_device(world, account, match.group(1))
            if found is None:
                return 403, PERMISSION_DENIED
            if action == "variable":
                return payloads.variable(found, match.group(2))
            return _device_action(world, found, action, body)
    return 404, {"ok": False, "error": "Not found."}


def _owned_device(world: World, account: Account, id_or_name: str) -> CloudDevice | None:
    """The caller's device by id (any case) or by name; None for any other id (the cloud's 403 for all)."""
    cd = world.cloud.devices.get(id_or_name.lower())
    if cd is None:
        cd = next(
            (c for c in world.cloud.devices.values() if c.owner == account.username and c.name == id_or_name),
            None,
        )
    return cd if cd is not None and cd.owner == account.username else None


def _device_action(world: World, cd: CloudDevice, action: str, body: dict[str, Any]) -> tuple[int, Any]:
    if action == "info":
        return 200, payloads.device_detail(world, cd)
    if action == "update":
        return _update(world, cd, body)
    if action == "unclaim":
        world.events.append(f"device {cd.device_id} unclaimed by {cd.owner}")
        cd.owner = None
        if world.device.device_id == cd.device_id:
            world.device.claimed_flag = False
        return 200, {"ok": True}
    if action == "public_key":
        return _public_key(world, cd, body)
    if action == "ping":
        if cd.online:
            cd.last_heard = time.time()  # a device that answers a ping has just been heard
        return 200, {"online": cd.online, "ok": True}
    if cd.last_heard is None:
        return 404, {"ok": False, "error": "No diagnostics found for this device."}
    return 200, payloads.diagnostics_last(world, cd)


def _update(world: World, cd: CloudDevice, body: dict[str, Any]) -> tuple[int, Any]:
    """``PUT /v1/devices/:id``: ``signal`` ("1"/"0", PAJS ``updateDevice``), ``name`` (rename) or ``notes``."""
    if "signal" in body:
        if not cd.online:
            return 404, payloads.NOT_CONNECTED
        on = _truthy(body["signal"])
        world.events.append(f"device {cd.device_id} signaling {'on' if on else 'off'}")
        return 200, {"id": cd.device_id, "connected": True, "signaling": on}
    name = body.get("name")
    if isinstance(name, str) and name.strip():
        cd.name = name.strip()
        world.events.append(f"device {cd.device_id} renamed")
        return 200, {"id": cd.device_id, "name": cd.name, "updated_at": payloads.iso8601(time.time())}
    if "notes" in body:  # PAJS setDeviceNotes() -> updateDevice({notes}); an empty or null note clears it
        notes = body["notes"]
        cd.notes = str(notes) if notes else None
        return 200, {"id": cd.device_id, "notes": cd.notes, "updated_at": payloads.iso8601(time.time())}
    return 400, {"ok": False, "errors": ["Nothing to update: give name, signal or notes."]}


def _public_key(world: World, cd: CloudDevice, body: dict[str, Any]) -> tuple[int, Any]:
    """``POST /v1/provisioning/:id``: the device's new public key. particle-cli (v2.16.0
    ``src/lib/api-client.js``, HEAD ``src/cmd/api.js`` ``sendPublicKey()``) posts the form ``deviceID, publicKey``
    (PEM), ``filename, order, algorithm``; particle-api-js 12.0.2 the same as JSON and types the reply
    ``OKResponse``. The cloud then expects the device to hand-shake with that key."""
    from cryptography.hazmat.primitives import serialization

    pem = body.get("publicKey")
    try:
        key = serialization.load_pem_public_key(str(pem or "").encode("ascii", "replace"))
    except ValueError:
        return 400, {"ok": False, "error": "publicKey is not a PEM public key"}
    cd.public_key_der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    world.events.append(f"new public key for device {cd.device_id} received")
    if world.device.device_id == cd.device_id:
        world.retry_cloud()
    return 200, {"ok": True}


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1", "yes")


def _claim(world: World, account: Account, body: dict[str, Any]) -> tuple[int, Any]:
    """``POST /v1/devices``: claim by id. Someone else's device answers "That belongs to someone else." (the
    words particle-cli looks for to offer a transfer); an unowned device must be online to be claimed, as
    on the real cloud; an online device gets its DCT ``claimed`` flag set at once."""
    device_id = str(body.get("id") or "").strip().lower()
    if not device_id:
        return 400, {"ok": False, "errors": ["A device ID is required (parameter 'id')."]}
    cd = world.cloud.devices.get(device_id)
    if cd is None:
        return 404, payloads.CLAIM_UNKNOWN
    if cd.owner is not None and cd.owner != account.username:
        if _truthy(body.get("request_transfer")):
            world.events.append(f"transfer of {device_id} requested by {account.username}")
            return 200, {
                "ok": True,
                "deviceID": device_id,
                "claimed": False,
                "transfer_id": secrets.token_hex(12),
            }
        return 403, BELONGS_TO_SOMEONE_ELSE
    if cd.owner is None and not cd.online:
        return 400, payloads.CLAIM_OFFLINE
    cd.owner = account.username
    if world.device.device_id == device_id and cd.online:
        world.device.claimed_flag = True
    world.events.append(f"device {device_id} claimed by {account.username}")
    return 200, {"ok": True, "deviceID": device_id, "claimed": True}


class CloudApiSimulator:
    """The simulated cloud API server. Use as a context manager, or call :meth:`start` and :meth:`stop`.

    ``url`` is the base URL (``http://127.0.0.1:<port>``) once started. ``log`` holds one redacted line per
    request. :meth:`start` raises ``OSError`` if the address cannot be bound.
    """

    def __init__(self, world: World, host: str = "127.0.0.1", port: int = 0) -> None:
        self.world = world
        self.log: list[str] = []
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._release = threading.Event()
        self._faults_lock = threading.Lock()
        self._faults: list[list[Any]] = []  # [Fault, remaining count or None]
        #: Extra endpoints tried before the built-in ones: (method, path, query, token) -> (status, body,
        #: headers), or None to pass.
        self.extra_routes: list[
            Callable[[str, str, dict[str, str], str | None], tuple[int, Any, dict[str, str]] | None]
        ] = []

    @property
    def url(self) -> str:
        """The base URL; raises ``RuntimeError`` before :meth:`start`."""
        if self._server is None:
            raise RuntimeError("the cloud API simulator is not running")
        return f"http://{self._address[0]}:{self._server.server_address[1]}"

    def start(self) -> CloudApiSimulator:
        """Bind and serve in a background thread."""
        server = _Server(self._address, _Handler)
        server.sim = self
        self._release.clear()
        self._server = server
        # A short poll interval keeps stop() quick (shutdown waits for the serve loop's next poll).
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="cloud-api-sim", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release hung requests, stop serving, join every thread and close the socket. Safe to call twice."""
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> CloudApiSimulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def inject(self, fault: Fault) -> None:
        """Add a fault; the first matching fault answers a request."""
        with self._faults_lock:
            self._faults.append([fault, fault.times])

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self._faults_lock:
            self._faults.clear()

    def _take_fault(self, path: str) -> Fault | None:
        with self._faults_lock:
            for entry in self._faults:
                fault, remaining = entry
                if path.startswith(fault.path_prefix):
                    if remaining is not None:
                        entry[1] = remaining - 1
                        if entry[1] <= 0:
                            self._faults.remove(entry)
                    return fault  # type: ignore[no-any-return]
        return None
