"""A simulated fleet for ``photon-doctor fleet``: N seeded Photons with planted causes, served by the cloud API.

:func:`make_fleet` builds the devices (pure, seeded). :class:`FleetCloud` answers the fleet endpoints in the real
API's shapes (reference §4; PAJS 12.0.2 ``listDevices`` and ``DeviceListResponse``/``PaginationMeta``):

* ``GET /v1/devices``: the account's devices, one JSON array (the account list is not paged);
* ``GET /v1/products/:product/devices?page=&per_page=``: ``{"devices": [...], "meta": {page, per_page,
  total_pages, total}}``;
* ``GET /v1/diagnostics/:id/last`` and ``GET /v1/products/:product/diagnostics/:id/last``: the last vitals.

A token bucket limits requests per second; past it the answer is 429 with ``Retry-After`` (seconds). It is
plugged into :class:`~photon_doctor.simulator.cloud_api.CloudApiSimulator` as an extra route
(:class:`FleetSimulator` does both).
"""

from __future__ import annotations

import math
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from photon_doctor.simulator.cloud_api import RATE_LIMITED, CloudApiSimulator
from photon_doctor.simulator.cloud_payloads import (
    INVALID_TOKEN,
    PHOTON_PLATFORM_ID,
    PRODUCT_DENIED,
    device_page,
    iso8601,
    signal_block,
)

#: The planted causes and their share of a simulated fleet (the rest is healthy).
PLANTED_MIX: tuple[tuple[str, float], ...] = (
    ("weak_signal", 0.05),
    ("site_outage", 0.04),
    ("user_firmware_blocks_connection", 0.04),
    ("cloud_outage", 0.03),
    ("device_os_bug", 0.02),
    ("power_supply", 0.02),
)
DEFAULT_PRODUCT = 4242
#: Product firmware versions: the newest one is the release that broke devices (planted cause).
OLD_FIRMWARE, NEW_FIRMWARE = 7, 8

_PRODUCT_DEVICES = re.compile(r"^/v1/products/([^/]+)/devices$")
_VITALS = re.compile(r"^/v1/(?:products/([^/]+)/)?diagnostics/([0-9a-f]{24})/last$")


@dataclass(frozen=True)
class FleetDevice:
    """One simulated device as the cloud knows it, and the cause planted in it (None: healthy)."""

    device_id: str
    name: str
    site_ip: str
    online: bool
    last_heard: float
    firmware_version: int
    system_firmware_version: str
    rssi: int
    network_disconnects: int
    cloud_disconnects: int
    cloud_reason: str
    planted: str | None


def make_fleet(size: int, seed: int = 1, now: float = 1_780_000_000.0) -> list[FleetDevice]:
    """``size`` devices at sites of 1-8 devices, seeded; planted causes follow :data:`PLANTED_MIX`."""
    rng = random.Random(seed)
    outage_at = now - rng.uniform(1.0, 2.0) * 3600  # the cloud incident: one moment, many sites
    devices: list[FleetDevice] = []
    site_no = 0
    while len(devices) < size:
        site_no += 1
        site_ip = (
            f"10.{site_no >> 16 & 255}.{site_no >> 8 & 255}.{site_no & 255}"  # unique up to 16 million sites
        )
        members = min(size - len(devices), rng.randint(1, 8))
        site_dark = members >= 3 and rng.random() < 0.04 / 0.55  # ~4 % of devices sit at dark sites
        dark_at = now - rng.uniform(2, 72) * 3600
        for _ in range(members):
            index = len(devices)
            planted = "site_outage" if site_dark else _draw(rng)
            devices.append(_device(rng, index, site_ip, planted, now, dark_at, outage_at))
    return devices


def _draw(rng: random.Random) -> str | None:
    roll = rng.random()
    for cause, share in PLANTED_MIX:
        if cause == "site_outage":
            continue
        if roll < share:
            return cause
        roll -= share
    return None


def _device(
    rng: random.Random,
    index: int,
    site_ip: str,
    planted: str | None,
    now: float,
    dark_at: float,
    outage_at: float,
) -> FleetDevice:
    device_id = f"{rng.getrandbits(96):024x}"
    online, last_heard = True, now - rng.uniform(0, 120)
    firmware = NEW_FIRMWARE if rng.random() < 0.1 else OLD_FIRMWARE
    system = rng.choice(("2.3.1", "2.3.1", "2.2.0", "1.5.2"))
    rssi, net_dc, cloud_dc, reason = (
        rng.randint(-68, -45),
        rng.randint(0, 2),
        rng.randint(0, 2),
        "network_disconnect",
    )
    if planted == "weak_signal":
        online = rng.random() < 0.3
        rssi, net_dc, cloud_dc = rng.randint(-89, -82), rng.randint(12, 60), rng.randint(12, 60)
    elif planted == "site_outage":
        online, last_heard = False, dark_at - rng.uniform(0, 900)
    elif planted == "user_firmware_blocks_connection":
        online, firmware, reason = False, NEW_FIRMWARE, "error"
    elif planted == "cloud_outage":
        online, last_heard, reason = False, outage_at - rng.uniform(0, 600), "error"
    elif planted == "device_os_bug":
        online, system, reason = False, rng.choice(("0.6.3", "0.7.0", "0.5.3")), "error"
    elif planted == "power_supply":
        online = rng.random() < 0.5
        cloud_dc, reason = rng.randint(6, 40), "system_reset"
    if planted == "user_firmware_blocks_connection":
        last_heard = now - rng.uniform(3, 96) * 3600  # the days after the release reached them
    elif not online and planted in ("weak_signal", "device_os_bug", "power_supply"):
        # Three hours to a few months ago: before the planted cloud incident (failures that coincide with an
        # incident cannot be told apart by their timing).
        last_heard = now - math.exp(rng.uniform(1.1, 7.5)) * 3600
    return FleetDevice(
        device_id,
        f"photon-{index:06d}",
        site_ip,
        online,
        last_heard,
        firmware,
        system,
        rssi,
        net_dc,
        cloud_dc,
        reason,
        planted,
    )


def device_json(d: FleetDevice, product_id: int) -> dict[str, Any]:
    """The device's list entry (PAJS ``DeviceInfo`` plus the CLI fixture's Photon fields, reference §4)."""
    return {
        "id": d.device_id,
        "name": d.name,
        "last_app": None,
        "last_ip_address": d.site_ip,
        "last_heard": iso8601(d.last_heard),
        "last_handshake_at": iso8601(d.last_heard),
        "product_id": product_id,
        "online": d.online,
        "connected": d.online,
        "platform_id": PHOTON_PLATFORM_ID,
        "cellular": False,
        "notes": None,
        "firmware_version": d.firmware_version,
        "status": "normal",
        "serial_number": "PHH" + d.device_id[-12:].upper(),
        "system_firmware_version": d.system_firmware_version,
        "groups": [],
    }


def diagnostics_json(d: FleetDevice) -> dict[str, Any]:
    """``GET /v1/diagnostics/:id/last`` for the device (the payload shape of reference §4)."""
    status = "connected" if d.online else "disconnected"
    connection = {"status": status, "error": 0, "attempts": 1}
    payload = {
        "device": {
            "network": {
                "signal": signal_block(d.rssi),
                "connection": {
                    **connection,
                    "disconnects": d.network_disconnects,
                    "disconnect_reason": "error" if d.network_disconnects else "none",
                },
            },
            "cloud": {
                "connection": {
                    **connection,
                    "disconnects": d.cloud_disconnects,
                    "disconnect_reason": d.cloud_reason if d.cloud_disconnects or not d.online else "none",
                },
                "coap": {"transmit": 12, "retransmit": 0, "unack": 0, "round_trip": 180},
                "publish": {"rate_limited": 0},
            },
            "system": {"uptime": 3600, "memory": {"used": 36000, "total": 82944}},
        },
        "service": {"device": {"status": "ok"}, "cloud": {"uptime": 3600}},
    }
    return {"diagnostics": {"updated_at": iso8601(d.last_heard), "deviceID": d.device_id, "payload": payload}}


class TokenBucket:
    """``rate`` requests per second with bursts up to ``burst``; :meth:`take` returns the seconds to wait (0: go)."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self._clock = rate, float(burst), clock
        self._tokens, self._at = float(burst), clock()
        self._lock = threading.Lock()

    def take(self) -> float:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self.rate


class FleetCloud:
    """Answers the fleet endpoints for one token. ``requests`` counts every request, ``rate_limited`` the 429s."""

    def __init__(
        self,
        devices: list[FleetDevice],
        token: str,
        product_id: int = DEFAULT_PRODUCT,
        rate: float = 2000.0,
        burst: int = 200,
    ) -> None:
        self.devices = devices
        self.by_id = {d.device_id: d for d in devices}
        self.token = token
        self.product_id = product_id
        self.bucket = TokenBucket(rate, burst)
        self.requests = 0
        self.rate_limited = 0
        self._lock = threading.Lock()

    def route(
        self, method: str, path: str, query: dict[str, str], token: str | None
    ) -> tuple[int, Any, dict[str, str]] | None:
        """The answer to a fleet request, or None if the path is not a fleet endpoint (or not this token's)."""
        product = _PRODUCT_DEVICES.match(path)
        vitals = _VITALS.match(path)
        if method != "GET" or not (path == "/v1/devices" or product or vitals):
            return None
        if token != self.token:
            return None if path == "/v1/devices" else (401, INVALID_TOKEN, {})
        with self._lock:
            self.requests += 1
        wait = self.bucket.take()
        if wait > 0:
            with self._lock:
                self.rate_limited += 1
            return 429, RATE_LIMITED, {"Retry-After": str(max(1, math.ceil(wait)))}
        if path == "/v1/devices":
            return 200, [device_json(d, self.product_id) for d in self.devices], {}
        if product:
            return self._page(product.group(1), query)
        assert vitals is not None
        if vitals.group(1) is not None and vitals.group(1) != str(self.product_id):
            return 403, PRODUCT_DENIED, {}
        found = self.by_id.get(vitals.group(2))
        if found is None:
            return 404, {"ok": False, "error": "Device not found."}, {}
        return 200, diagnostics_json(found), {}

    def _page(self, product: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        if product != str(self.product_id):
            return 403, PRODUCT_DENIED, {}
        status, body = device_page(self.devices, query, lambda d: device_json(d, self.product_id))
        return status, body, {}


class FleetSimulator:
    """A cloud API simulator serving a seeded fleet on 127.0.0.1. Use as a context manager.

    ``url`` and ``token`` once started; ``cloud`` is the :class:`FleetCloud` (request counts, devices).
    """

    def __init__(
        self,
        size: int,
        seed: int = 1,
        *,
        rate: float = 2000.0,
        burst: int = 200,
        now: float | None = None,
        product_id: int = DEFAULT_PRODUCT,
    ) -> None:
        from photon_doctor.simulator.factory import account_token, healthy_world

        self.world = healthy_world()
        self.token = account_token(self.world)
        moment = time.time() if now is None else now
        self.cloud = FleetCloud(make_fleet(size, seed, moment), self.token, product_id, rate, burst)
        self.api = CloudApiSimulator(self.world)
        self.api.extra_routes.append(self.cloud.route)

    @property
    def url(self) -> str:
        return self.api.url

    def __enter__(self) -> FleetSimulator:
        self.api.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.api.stop()
