"""A small client for the Particle cloud REST API (reference §4), and the errors it raises.

requests' exceptions and HTTP error statuses are translated here, where they enter, into :class:`CloudError`
subclasses with one-line messages that never contain the token or a claim code. :class:`CloudError` is a
:class:`~photon_doctor.probes.base.ProbeFailure` (so probes turn it into ``Unavailable``), itself a
:class:`~photon_doctor.foundation.errors.DeviceError` (so an action that calls the cloud can let it reach the CLI's
one catch site, exit code 6).
"""

from __future__ import annotations

import ipaddress
import time
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit

import requests
import urllib3
from photon_doctor.foundation.jsonfile import JsonProblem, parse_json
from photon_doctor.foundation.redact import redact, register_secret
from photon_doctor.probes.base import ProbeFailure

DEFAULT_API_URL = "https://api.particle.io"
#: The largest answer read: the API's answers are kilobytes; a bigger body is a fault, not data.
MAX_BODY_BYTES = 4 * 1024 * 1024


class CloudError(ProbeFailure):
    """Raised when a cloud API call fails; ``status`` is the HTTP status, or None if there was no answer."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(redact(message))
        self.status = status


class BadToken(CloudError):
    """Raised on 401: the access token is missing, expired or invalid."""


class NotYourDevice(CloudError):
    """Raised on 403: the device is not on this account. The real cloud says so for someone else's device, an
    unclaimed one and an unknown id alike (docs/protocols-cloud.md)."""


class NotFound(CloudError):
    """Raised on 404: no such device, or a device nobody has claimed."""


class RateLimited(CloudError):
    """Raised on 429; ``retry_after`` holds the server's Retry-After in seconds, if it sent one."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message, 429)
        self.retry_after = retry_after


class CloudServerError(CloudError):
    """Raised on a 5xx answer: the cloud itself failed."""


class CloudUnreachable(CloudError):
    """Raised when no answer came: connection refused, DNS failure, reset, or the timeout passed."""


class MalformedResponse(CloudError):
    """Raised when the answer is not the JSON shape the endpoint promises, or is too large to be an answer."""


class InsecureApiUrl(CloudError):
    """Raised (before any request) for an API URL that would send the token in clear: plain ``http://`` to a host
    that is not this computer, or a scheme other than http/https."""


def check_api_url(url: str) -> str:
    """``url`` if the token may be sent to it: ``https://`` anywhere, ``http://`` only to a loopback host
    (a local simulator or proxy). Raises :class:`InsecureApiUrl` naming the host, never the token."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return url
    if parts.scheme == "http" and host and _loopback(host):
        return url
    if parts.scheme == "http" and host:
        raise InsecureApiUrl(
            f"refusing the API URL {parts.scheme}://{parts.netloc}: plain http:// would send the access token in "
            "clear over the network (use https://, or http:// only to this computer)"
        )
    raise InsecureApiUrl(f"the API URL {url[:80]!r} is not an https:// URL")


def _loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _error_text(body: Any) -> str:
    """The cloud's own words from an error body (``error_description``, ``error``, ``errors``), one line.

    ``info`` is deliberately not used: the real service echoes the access token in it.
    """
    if not isinstance(body, dict):
        return ""
    parts: list[str] = []
    for key in ("error", "error_description"):
        if isinstance(body.get(key), str) and body[key]:
            parts.append(body[key])
    errors = body.get("errors")
    if isinstance(errors, list):
        parts.extend(str(e) for e in errors if isinstance(e, (str, int, float)))
    text = ": ".join(parts)
    return " ".join(text.split())[:200]


class CloudClient:
    """Calls the Particle cloud API with one token. Use as a context manager (or call :meth:`close`).

    Every method raises a :class:`CloudError` subclass on failure (see each class for when). ``timeout`` is in
    seconds, for connecting, for each read and for reading a whole answer (at most :data:`MAX_BODY_BYTES`). The
    token is registered as a secret on construction; :class:`InsecureApiUrl` is raised there for a URL that
    would send it in clear.
    """

    def __init__(self, api_url: str, token: str, timeout: float = 10.0) -> None:
        register_secret(token)
        self.api_url = check_api_url(api_url).rstrip("/")
        self.timeout = timeout
        self._token = token
        self._session = requests.Session()
        #: One line per request made: ``GET /v1/devices -> 200`` (no token), for provenance.
        self.trace: list[str] = []

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    def __enter__(self) -> CloudClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- endpoints -----------------------------------------------------------------------------------------
    def list_devices(self) -> list[dict[str, Any]]:
        """``GET /v1/devices``: the account's devices (each a dict with ``id``, ``name``, ``online``...)."""
        body = self._call("GET", "/v1/devices")
        if not isinstance(body, list) or not all(isinstance(d, dict) and "id" in d for d in body):
            raise MalformedResponse("the Particle cloud sent a device list of the wrong shape")
        return body

    def get_device(self, device_id: str) -> dict[str, Any]:
        """``GET /v1/devices/:id``: one device; :class:`NotYourDevice` (403) or :class:`NotFound` (404)."""
        body = self._call("GET", f"/v1/devices/{_segment(device_id)}", device_id=device_id)
        return self._object(body, "device")

    def claim_device(self, device_id: str, request_transfer: bool = False) -> dict[str, Any]:
        """``POST /v1/devices``: claim a device by id (lowercased, as the CLI does).

        Raises :class:`NotYourDevice` when another account owns it, or :class:`CloudError` when the cloud
        answers 200 with ``ok: false`` / ``errors`` (the CLI treats those as failure too).
        """
        data = {"id": device_id.lower(), "request_transfer": request_transfer}
        body = self._object(self._call("POST", "/v1/devices", json=data, device_id=device_id), "claim")
        if body.get("ok") is False or body.get("error") or body.get("errors"):
            raise CloudError(f"the Particle cloud refused to claim {device_id}: {_error_text(body)}", 200)
        return body

    def unclaim(self, device_id: str) -> None:
        """``DELETE /v1/devices/:id``: release the device from this account."""
        body = self._object(
            self._call("DELETE", f"/v1/devices/{_segment(device_id)}", device_id=device_id), "unclaim"
        )
        if body.get("ok") is not True:
            raise CloudError(f"the Particle cloud did not unclaim {device_id}: {_error_text(body)}", 200)

    def create_claim_code(self) -> str:
        """``POST /v1/device_claims``: a new 63-character claim code (registered as a secret before returning)."""
        body = self._object(self._call("POST", "/v1/device_claims", json={}), "claim code")
        code = body.get("claim_code")
        if not isinstance(code, str) or not code:
            raise MalformedResponse("the Particle cloud sent no claim_code")
        register_secret(code)
        return code

    def send_public_key(self, device_id: str, pem: str) -> None:
        """``POST /v1/provisioning/:id``: the device's new RSA public key (PEM), the body particle-api-js 12.0.2
        ``sendPublicKey()`` sends (``deviceID, publicKey, filename, order, algorithm``; reply ``{ok}``)."""
        data = {
            "deviceID": device_id.lower(),
            "publicKey": pem,
            "filename": "photon-doctor",
            "order": f"manual_{int(time.time() * 1000)}",
            "algorithm": "rsa",
        }
        path = f"/v1/provisioning/{_segment(device_id.lower())}"
        body = self._object(self._call("POST", path, json=data, device_id=device_id), "public key")
        if body.get("ok") is False or body.get("error"):
            raise CloudError(
                f"the Particle cloud refused the public key of {device_id}: {_error_text(body)}", 200
            )

    def ping(self, device_id: str) -> bool:
        """``PUT /v1/devices/:id/ping``: whether the device answered (``online``)."""
        body = self._object(
            self._call("PUT", f"/v1/devices/{_segment(device_id)}/ping", device_id=device_id), "ping"
        )
        online = body.get("online")
        if not isinstance(online, bool):
            raise MalformedResponse("the Particle cloud's ping answer has no 'online' flag")
        return online

    def vitals(self, device_id: str) -> dict[str, Any]:
        """``GET /v1/diagnostics/:id/last``: the device's last vitals, the ``diagnostics`` object
        (``updated_at``, ``deviceID``, ``payload``). :class:`NotFound` if it never sent any."""
        body = self._call("GET", f"/v1/diagnostics/{_segment(device_id)}/last", device_id=device_id)
        diagnostics = self._object(body, "vitals").get("diagnostics")
        if not isinstance(diagnostics, dict) or not isinstance(diagnostics.get("payload"), dict):
            raise MalformedResponse("the Particle cloud's vitals answer has no diagnostics payload")
        return diagnostics

    # --- plumbing ------------------------------------------------------------------------------------------
    @staticmethod
    def _object(body: Any, what: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise MalformedResponse(f"the Particle cloud's {what} answer is not a JSON object")
        return body

    def _call(self, method: str, path: str, *, json: Any = None, device_id: str | None = None) -> Any:
        """Make one request and return the decoded JSON; translate every failure into a CloudError."""
        line = f"{method} {path}"
        host = urlsplit(self.api_url).netloc or self.api_url
        try:
            response = self._session.request(
                method,
                self.api_url + path,
                json=json,
                headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,  # the body is read by _body, with a size cap and an overall deadline
            )
        except requests.Timeout:
            self.trace.append(f"{line} -> timeout")
            raise CloudUnreachable(
                f"the Particle cloud at {host} did not answer {line} within {self.timeout:g} s"
            ) from None
        except requests.ConnectionError as exc:
            self.trace.append(f"{line} -> no connection")
            raise CloudUnreachable(f"cannot connect to the Particle cloud at {host}: {_why(exc)}") from None
        except requests.RequestException as exc:
            self.trace.append(f"{line} -> failed")
            raise CloudUnreachable(f"request {line} to {host} failed: {type(exc).__name__}") from None
        with response:
            status = response.status_code
            raw = self._body(response, line, host)
            self.trace.append(f"{line} -> {status}")
            try:
                body = parse_json(raw)
            except JsonProblem:
                if status < 400:
                    raise MalformedResponse(
                        f"the Particle cloud answered {line} with {status} but the body is not JSON", status
                    ) from None
                body = None
        if status >= 400:
            raise _http_error(status, line, body, response.headers.get("Retry-After"), device_id)
        if status >= 300:
            raise CloudError(
                f"the Particle cloud answered {line} with an unexpected redirect ({status})", status
            )
        return body

    def _body(self, response: requests.Response, line: str, host: str) -> bytes:
        """Read the body: at most MAX_BODY_BYTES, within ``timeout`` seconds overall (a server that drips one byte
        at a time never trips the per-read timeout). Raises CloudUnreachable or MalformedResponse in words."""
        deadline = time.monotonic() + self.timeout
        raw = response.raw
        # read1 returns after one receive, so the deadline is checked between the drips of a slow server.
        read = getattr(raw, "read1", None) or raw.read
        chunks: list[bytes] = []
        size = 0
        try:
            while chunk := read(65536, decode_content=True):
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    self.trace.append(f"{line} -> body too large")
                    raise MalformedResponse(
                        f"the Particle cloud's answer to {line} is larger than {MAX_BODY_BYTES // (1024 * 1024)} "
                        "MB: not read (an API answer is a few kilobytes)",
                        response.status_code,
                    )
                if time.monotonic() > deadline:
                    self.trace.append(f"{line} -> too slow")
                    raise CloudUnreachable(
                        f"the Particle cloud at {host} sent its answer to {line} too slowly "
                        f"({size} bytes in {self.timeout:g} s): gave up"
                    )
        except urllib3.exceptions.ReadTimeoutError:
            self.trace.append(f"{line} -> timeout")
            raise CloudUnreachable(
                f"the Particle cloud at {host} stopped sending its answer to {line} "
                f"(nothing for {self.timeout:g} s after {size} bytes)"
            ) from None
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.DecodeError):
            self.trace.append(f"{line} -> cut short")
            raise CloudUnreachable(
                f"the Particle cloud's answer to {line} broke off after {size} bytes: the connection closed "
                "before the whole answer arrived"
            ) from None
        except (urllib3.exceptions.HTTPError, OSError):
            self.trace.append(f"{line} -> dropped")
            raise CloudUnreachable(
                f"the connection to the Particle cloud at {host} failed while reading the answer to {line}"
            ) from None
        return b"".join(chunks)


def _segment(device_id: str) -> str:
    """The device id as one URL path segment (an id or a name must not change the path)."""
    return quote(device_id.strip(), safe="")


def _why(exc: requests.ConnectionError) -> str:
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if "name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        return "the host name does not resolve"
    if "reset" in text or "aborted" in text or "remotedisconnected" in text:
        return "the connection was dropped"
    return "no connection"


def _http_error(
    status: int, line: str, body: Any, retry_after: str | None, device_id: str | None
) -> CloudError:
    said = _error_text(body)
    said = f" {said}" if said else ""
    what = f"device {device_id}" if device_id else "the request"
    if status == 401:
        return BadToken(f"the access token was rejected (401{said}): run particle login or pass --token", 401)
    if status == 403 and device_id is None:  # e.g. a product this account cannot reach
        return NotYourDevice(
            f"the Particle cloud denied {line} (403{said}): this account cannot reach it", 403
        )
    if status == 403:
        return NotYourDevice(f"{what} is not on this account: the cloud denied {line} (403{said})", 403)
    if status == 404:
        return NotFound(f"{what} was not found in the Particle cloud (404{said})", 404)
    if status == 429:
        seconds = _seconds(retry_after)
        if seconds is not None:
            wait = f"; retry after {seconds:g} s"
        else:
            wait = f"; retry after {' '.join(retry_after.split())[:40]}" if retry_after else ""
        return RateLimited(f"rate limited by the Particle cloud on {line} (429){wait}", seconds)
    if status >= 500:
        return CloudServerError(f"the Particle cloud failed on {line} ({status}{said})", status)
    return CloudError(f"the Particle cloud rejected {line} ({status}{said})", status)


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
