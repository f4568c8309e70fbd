"""The host-side checks behind the host-network probe: running a command, the captive-portal check, and DNS plus
a TCP connect to the device cloud. Each translates its failures into :class:`ProbeFailure` where they enter.
"""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import requests
from photon_doctor.foundation.redact import redact
from photon_doctor.probes.base import ProbeFailure

#: Android's connectivity check: 204 with no body when there is plain internet access.
DEFAULT_CONNECTIVITY_URL = "http://connectivitycheck.gstatic.com/generate_204"
#: The Photon's cloud endpoint (reference §6): TCP device.spark.io:5683.
DEFAULT_CLOUD_HOST = "device.spark.io"
DEFAULT_CLOUD_PORT = 5683


@dataclass(frozen=True)
class CommandResult:
    """What a finished command printed, and its exit status."""

    returncode: int
    stdout: str
    stderr: str


class CommandNotFound(ProbeFailure):
    """Raised by a runner when the program does not exist on this computer."""


class CommandRunner(Protocol):
    """Runs a program. Raises :class:`CommandNotFound` if it is missing and :class:`ProbeFailure` if it cannot
    be started or does not finish within ``timeout`` seconds; a non-zero exit is returned, not raised."""

    def run(self, argv: Sequence[str], timeout: float) -> CommandResult:
        """Run ``argv`` and return its output."""
        ...


class SubprocessRunner:
    """The real :class:`CommandRunner`: ``subprocess.run`` with captured text output and a timeout."""

    def run(self, argv: Sequence[str], timeout: float) -> CommandResult:
        """Run ``argv``; see :class:`CommandRunner` for the errors."""
        try:
            done = subprocess.run(
                list(argv),
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except FileNotFoundError:
            raise CommandNotFound(f"{argv[0]} not found") from None
        except PermissionError:
            raise ProbeFailure(f"{argv[0]} cannot be run: permission denied") from None
        except subprocess.TimeoutExpired:
            raise ProbeFailure(f"{argv[0]} did not finish within {timeout:g} s") from None
        except OSError as exc:
            raise ProbeFailure(f"{argv[0]} cannot be run: {exc.strerror or type(exc).__name__}") from None
        return CommandResult(done.returncode, done.stdout, done.stderr)


@dataclass(frozen=True)
class PortalCheck:
    """The captive-portal check's verdict: ``portal`` True/False, with the evidence in one line."""

    portal: bool
    detail: str


def check_captive_portal(url: str, timeout: float) -> PortalCheck:
    """GET ``url`` without following redirects: 204 means no portal; a redirect, or 200 with a body, means a
    portal answered instead. Raises :class:`ProbeFailure` when there is no answer or the answer proves nothing
    (another status)."""
    try:
        with requests.get(
            url, timeout=timeout, allow_redirects=False, stream=False, headers={"User-Agent": "photon-doctor"}
        ) as response:
            status = response.status_code
            location = response.headers.get("Location", "")
            body = response.content
    except requests.Timeout:
        raise ProbeFailure(f"the connectivity check {url} did not answer within {timeout:g} s") from None
    except requests.ConnectionError as exc:
        why = "connection refused" if "refused" in str(exc).lower() else "no connection"
        raise ProbeFailure(f"cannot reach the connectivity check {url}: {why}") from None
    except requests.RequestException as exc:
        raise ProbeFailure(f"cannot reach the connectivity check {url}: {type(exc).__name__}") from None
    if status == 204:
        return PortalCheck(False, f"GET {url} -> 204 (no portal)")
    if 300 <= status < 400:
        where = redact(location)[:120] or "nowhere"
        return PortalCheck(True, f"GET {url} -> {status} redirect to {where}")
    if status == 200 and body.strip():
        return PortalCheck(True, f"GET {url} -> 200 with a {len(body)}-byte page instead of 204")
    if status == 200:
        return PortalCheck(False, f"GET {url} -> 200 with an empty body (treated as 204)")
    raise ProbeFailure(
        f"the connectivity check {url} answered {status}: cannot tell whether there is a portal"
    )


def resolve(host: str, port: int, timeout: float) -> list[tuple[int, str]]:
    """DNS for ``host``: ``(family, address)`` pairs. Raises :class:`ProbeFailure` if the name does not resolve
    or the resolver takes longer than ``timeout`` (getaddrinfo has no timeout of its own, so it runs in a daemon
    thread that is abandoned on timeout; it holds no Python-level resources)."""
    result: list[object] = []

    def lookup() -> None:
        try:
            result.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (socket.gaierror, UnicodeError, OSError) as exc:
            result.append(exc)

    worker = threading.Thread(target=lookup, name="dns-lookup", daemon=True)
    worker.start()
    worker.join(timeout)
    if not result:
        raise ProbeFailure(f"DNS lookup of {host} did not finish within {timeout:g} s")
    outcome = result[0]
    if isinstance(outcome, BaseException):
        raise ProbeFailure(f"{host} does not resolve (DNS: {getattr(outcome, 'strerror', None) or outcome})")
    addresses: list[tuple[int, str]] = []
    for family, _type, _proto, _name, sockaddr in outcome:  # type: ignore[attr-defined]
        pair = (int(family), str(sockaddr[0]))
        if pair not in addresses:
            addresses.append(pair)
    return addresses


@dataclass(frozen=True)
class TcpCheck:
    """The TCP connect verdict: ``reachable``, how the last attempt ended (``connected``, ``refused``,
    ``timeout``, ``unreachable``), and the evidence in one line."""

    reachable: bool
    outcome: str
    detail: str


def check_tcp(addresses: list[tuple[int, str]], host: str, port: int, timeout: float) -> TcpCheck:
    """Try a TCP connect to each resolved address in turn; the first success wins."""
    outcome, detail = "unreachable", f"{host} has no address"
    for family, address in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect((address, port))
            return TcpCheck(True, "connected", f"TCP connect to {host} ({address}) port {port}: connected")
        except ConnectionRefusedError:
            outcome, detail = "refused", f"TCP connect to {host} ({address}) port {port}: refused"
        except TimeoutError:
            outcome, detail = (
                "timeout",
                f"TCP connect to {host} ({address}) port {port}: no answer in {timeout:g} s",
            )
        except OSError as exc:
            outcome = "unreachable"
            detail = f"TCP connect to {host} ({address}) port {port}: {exc.strerror or type(exc).__name__}"
        finally:
            sock.close()
    return TcpCheck(False, outcome, detail)
