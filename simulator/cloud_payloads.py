"""The JSON bodies the simulated Particle cloud API returns, built from the shared :class:`World`.

Pure functions of the world (the caller holds ``world.lock``); the HTTP plumbing is in
:mod:`photon_doctor.simulator.cloud_api`. Field names follow reference §4 (PAJS ``DeviceInfo``, the CLI's Photon
fixture, the docs' device-vitals example). Choices where the reference is UNCONFIRMED are documented on each
function and in ``docs/protocols-cloud.md``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from photon_doctor.simulator.world import Account, CloudDevice, World

T = TypeVar("T")

#: The Photon's platform id; the cloud also reports it as ``product_id`` for devices outside a product.
PHOTON_PLATFORM_ID = 6

#: Tinker's cloud functions, as the device registers them when it runs the factory app.
TINKER_FUNCTIONS = ("digitalread", "digitalwrite", "analogread", "analogwrite")

#: Error bodies. The 401 body is the brief's (reference §4 evidences its two strings, not the whole body).
INVALID_TOKEN = {"error": "invalid_token", "error_description": "The access token provided is invalid."}
#: No token at all: status 400 and the real words (particle-cli v3.9.0 test/e2e/library.e2e.js expects "HTTP error
#: 400" and them; usb.e2e.js the words for GET /v1/devices), ``invalid_request`` per particle-cli commit b23523c1.
NO_TOKEN = {"error": "invalid_request", "error_description": "The access token was not found"}
#: Signal, variable or claim of a device that is offline (the words are this simulator's, UNCONFIRMED).
NOT_CONNECTED = {"ok": False, "error": "Device is not connected"}
CLAIM_OFFLINE = {"ok": False, "errors": ["Device is not connected"]}
#: Claim of an id the cloud has never seen: the real words are "device not found" (particle-cli v3.9.0
#: test/e2e/cloud.e2e.js "Fails to claim an unknown device" expects "Failed to claim device: device not found",
#: the message src/cmd/cloud.js formatAPIErrorMessage() takes from the body's ``error`` or single ``errors``).
CLAIM_UNKNOWN = {"ok": False, "errors": ["device not found"]}


def iso8601(timestamp: float | None) -> str | None:
    """``1700000000.5`` -> ``'2023-11-14T22:13:20.500Z'`` (the cloud's UTC, millisecond form); None stays None."""
    if timestamp is None:
        return None
    moment = _dt.datetime.fromtimestamp(timestamp, tz=_dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def serial_number(device_id: str) -> str:
    """A stable, Photon-looking serial number (``PH`` prefix) derived from the device id.

    The real one is printed on the sticker; the simulated device has none, so it is made up here.
    """
    return "PHH" + device_id[-12:].upper()


def device_summary(world: World, cd: CloudDevice) -> dict[str, Any]:
    """One element of ``GET /v1/devices``: the list fields of a Photon (reference §4, CLI fixture)."""
    version = cd.system_firmware_version
    return {
        "id": cd.device_id,
        "name": cd.name,
        "last_app": None,
        "last_ip_address": cd.last_ip_address,
        "last_heard": iso8601(cd.last_heard),
        # The simulator does not track handshakes separately: a device is heard right after its handshake.
        "last_handshake_at": iso8601(cd.last_heard),
        "product_id": cd.product_id if cd.product_id is not None else PHOTON_PLATFORM_ID,
        "online": cd.online,
        "connected": cd.online,
        "platform_id": PHOTON_PLATFORM_ID,
        "cellular": False,
        "notes": cd.notes,
        "status": "normal",
        "serial_number": serial_number(cd.device_id),
        "current_build_target": version,
        "system_firmware_version": version,
        "default_build_target": version,
    }


def device_detail(world: World, cd: CloudDevice) -> dict[str, Any]:
    """``GET /v1/devices/:id``: the list fields plus functions, variables, owner and Wi-Fi MAC."""
    body = device_summary(world, cd)
    device = world.device if world.device.device_id == cd.device_id else None
    tinker = device is not None and device.firmware.app == "tinker" and cd.online
    body.update(
        {
            "functions": list(TINKER_FUNCTIONS) if tinker else [],
            "variables": {k: _variable_type(v) for k, v in cd.variables.items()} if cd.online else {},
            "owner": cd.owner,
            "mac_wifi": device.mac if device is not None else None,
            "firmware_updates_enabled": True,
            "firmware_updates_forced": False,
        }
    )
    return body


def _variable_type(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    return {int: "int32", float: "double"}.get(type(value), "string")


def variable(cd: CloudDevice, name: str) -> tuple[int, dict[str, Any]]:
    """``GET /v1/devices/:id/:name``: a cloud variable of an online device (404 when offline or unknown)."""
    if not cd.online:
        return 404, NOT_CONNECTED
    if name not in cd.variables:
        # particle-cli v3.9.0 test/e2e/variable.e2e.js: `particle get <device> NOPE` prints
        # "Error: Unknown Variable: NOPE", the body's ``error`` (src/cmd/variable.js _getValue()).
        return 404, {"ok": False, "error": f"Unknown Variable: {name}"}
    # coreInfo's fields: PAJS 12.0.2 src/types/responses.ts DeviceVariableResponse (plus last_heard).
    info = {
        "name": cd.name,
        "deviceID": cd.device_id,
        "connected": True,
        "last_handshake_at": iso8601(cd.last_heard),
        "last_heard": iso8601(cd.last_heard),
    }
    return 200, {"cmd": "VarReturn", "name": name, "result": cd.variables[name], "coreInfo": info}


def user_info(account: Account, owned: list[CloudDevice]) -> dict[str, Any]:
    """``GET /v1/user`` (PAJS ``getUserInfo``): the fields of PAJS 12.0.2 ``src/types/responses.ts``
    ``UserInfo``; the values other than ``username`` and the device counts are this simulator's."""
    return {
        "username": account.username,
        "tos": 1,
        "account_info": {"first_name": "", "last_name": "", "business_account": False},
        "mfa": {"enabled": False},
        "memberships": [],
        "scim_provisioned": False,
        "no_password": False,
        "wifi_device_count": len(owned),
        "cellular_device_count": 0,
    }


#: A product the caller cannot reach (unknown, or not theirs). particle-cli's e2e tests expected "HTTP error 404"
#: until the real cloud changed; since particle-cli commit 60347576 (2026-05-18, test/e2e/product.e2e.js) listing,
#: adding to and removing from an unknown product say "Permission denied" and no longer "HTTP error 404". PAJS puts
#: only ``error_description`` in that message (src/Agent.ts), so the words are there; the status (403) and the
#: absence of other fields are this simulator's reading.
PRODUCT_DENIED = {"error_description": "Permission denied"}
#: Device list pages: ``per_page`` default and cap (this simulator's; the real values are not in the sources).
DEFAULT_PER_PAGE, MAX_PER_PAGE = 25, 100


def device_page(
    devices: Sequence[T], query: dict[str, str], render: Callable[[T], dict[str, Any]]
) -> tuple[int, dict[str, Any]]:
    """One page of a product's device list, ``?page=&per_page=`` (PAJS ``listDevices({product, page,
    perPage})``): ``{devices, meta}`` with PAJS ``PaginationMeta``'s ``page, per_page, total_pages, total``;
    only the page's devices are rendered. A page or size that is not a whole number from 1 is a 400."""
    try:
        page = int(query.get("page", "1"))
        per_page = min(MAX_PER_PAGE, int(query.get("per_page", str(DEFAULT_PER_PAGE))))
    except ValueError:
        return 400, {"error": "bad_request", "error_description": "page and per_page must be numbers"}
    if page < 1 or per_page < 1:
        return 400, {"error": "bad_request", "error_description": "page and per_page start at 1"}
    meta = {
        "page": page,
        "per_page": per_page,
        "total_pages": max(1, -(-len(devices) // per_page)),
        "total": len(devices),
    }
    chunk = devices[(page - 1) * per_page : page * per_page]
    return 200, {"devices": [render(d) for d in chunk], "meta": meta}


def product_devices(
    world: World, owned: list[CloudDevice], product: str, query: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    """``GET /v1/products/:product/devices`` (PAJS ``listDevices({product})``): :func:`device_page`.

    The simulated account reaches a product through its own devices in it: no such device means a product it
    cannot reach (403 :data:`PRODUCT_DENIED`).
    """
    members = [cd for cd in owned if cd.product_id is not None and str(cd.product_id) == product]
    if not members:
        return 403, PRODUCT_DENIED
    return device_page(members, query, lambda cd: device_summary(world, cd))


def current_rssi(world: World) -> int | None:
    """The RSSI of the network the device uses: the first stored network it can see (as ``boot()`` tries them)."""
    d = world.device
    visible = {ap.ssid: ap for ap in world.visible_networks()}
    for cred in d.credentials:
        ap = visible.get(cred.ssid)
        if ap is not None:
            return world.effective_rssi(ap)
    return None


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def signal_block(rssi: int) -> dict[str, Any]:
    """``device.network.signal`` for a Wi-Fi device.

    UNCONFIRMED in the reference (§4, uncertainty 4); chosen here: ``at`` = ``"Wi-Fi"``, ``strengthv`` = the RSSI
    in dBm with ``strengthv_type`` = ``"RSSI"``, ``strength`` = the RSSI mapped linearly from [-90, 0] dBm to
    [0, 100] %, ``qualityv`` = SNR in dB against an assumed -95 dBm noise floor, clamped to [0, 90] (WiFiSignal
    docs' range), with ``qualityv_type`` = ``"SNR"`` and ``quality`` = SNR mapped from [0, 90] dB to [0, 100] %.
    """
    snr = _clamp(rssi + 95, 0, 90)
    return {
        "at": "Wi-Fi",
        "strength": round(_clamp((rssi + 90) / 90 * 100, 0, 100), 2),
        "strength_units": "%",
        "strengthv": rssi,
        "strengthv_units": "dBm",
        "strengthv_type": "RSSI",
        "quality": round(snr / 90 * 100, 2),
        "quality_units": "%",
        "qualityv": snr,
        "qualityv_units": "dB",
        "qualityv_type": "SNR",
    }


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``override`` into a copy of ``base`` (scenarios override single vitals fields)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def diagnostics_last(world: World, cd: CloudDevice) -> dict[str, Any]:
    """``GET /v1/diagnostics/:id/last``: the last vitals the device published (reference §4 payload shape).

    ``cd.vitals`` (a scenario's overrides) is deep-merged over the computed payload. ``updated_at`` is the time
    the device was last heard; the caller answers 404 when it was never heard.
    """
    device = world.device if world.device.device_id == cd.device_id else None
    connected = "connected" if cd.online else "disconnected"
    network: dict[str, Any] = {
        "connection": {
            "status": connected,
            "error": 0,
            "disconnects": 0,
            "attempts": 1,
            "disconnect_reason": "none",
        }
    }
    rssi = current_rssi(world) if device is not None else None
    if rssi is not None:
        network["signal"] = signal_block(rssi)
    cloud_errors = device.cloud_errors if device is not None else 0
    payload: dict[str, Any] = {
        "device": {
            "network": network,
            "cloud": {
                "connection": {
                    "status": connected,
                    "error": 0,
                    "attempts": 1 + cloud_errors,
                    "disconnects": cloud_errors,
                    "disconnect_reason": "none",
                },
                "coap": {"transmit": 12, "retransmit": 0, "unack": 0, "round_trip": 180},
                "publish": {"rate_limited": 0},
            },
            "system": {"uptime": 3600, "memory": {"used": 36000, "total": 82944}},
        },
        "service": {
            "device": {"status": "ok"},
            "cloud": {"uptime": 3600, "publish": {"sent": 4}},
            "coap": {"round_trip": 180},
        },
    }
    if cd.vitals:
        payload = _merge(payload, dict(cd.vitals))
    return {
        "diagnostics": {
            "updated_at": iso8601(cd.last_heard),
            "deviceID": cd.device_id,
            "payload": payload,
        }
    }
