"""The port every probe implements, and the report it returns.

A probe is an adapter: it talks to one thing (the USB serial console, the SoftAP, the cloud API, the host
network) and answers in the contract's terms. pyserial and requests errors are translated into
:class:`ProbeFailure` where they enter; a probe never raises anything else out of ``run``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from photon_doctor.foundation.errors import DeviceError
from photon_doctor.foundation.evidence import Observation, Unavailable


class ProbeFailure(DeviceError):
    """Raised inside a probe when the thing it talks to misbehaves (timeout, garbage, HTTP error, vanished port).

    The message is one line, meant for the person, and never contains a secret. A probe catches it in ``run``;
    one that escapes a command (a probe used directly, the cloud client) ends it with the device exit code.
    """


@dataclass(frozen=True)
class ProbeContext:
    """What a probe may need to know; everything optional.

    ``serial_port``: a port name or a pyserial URL (``/dev/ttyACM0``, ``/dev/pts/7``, ``loop://``).
    ``softap_url``: base URL of the device's SoftAP HTTP server (``http://192.168.0.1``).
    ``api_url``/``token``: the Particle cloud API and the access token (never printed).
    ``device_id``: the device of interest, if known.
    ``target_ssid``: the Wi-Fi network the device should join, if known.
    ``timeout``: per-operation timeout in seconds.
    """

    serial_port: str | None = None
    softap_url: str | None = None
    softap_tcp: tuple[str, int] | None = None
    api_url: str | None = None
    token: str | None = None
    device_id: str | None = None
    target_ssid: str | None = None
    timeout: float = 5.0
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProbeReport:
    """What one probe found: observations in the contract's terms, what it could not find and why, and
    ``facts``: other plain data it learned (device id, MAC, the scan list...) for the shell to use."""

    probe: str
    observations: tuple[Observation, ...] = ()
    unavailable: tuple[Unavailable, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)


class Probe(Protocol):
    """A source of observations. ``run`` never raises: failures end up in ``ProbeReport.unavailable``."""

    name: str

    def run(self, ctx: ProbeContext) -> ProbeReport:
        """Gather what this probe can see."""
        ...
