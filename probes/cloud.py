"""The cloud probe: what the Particle cloud says about the login, the device's ownership and whether it is online.

Observations (contract vocabulary): ``cli_login_ok``, ``cloud_lists_device``, ``cloud_ownership``,
``cloud_online`` and ``signal_rssi_dbm`` (from the device vitals). The client and its errors live in
:mod:`photon_doctor.probes.cloud_client` and are re-exported here.
"""

from __future__ import annotations

from typing import Any

from photon_doctor.foundation.evidence import Observation, Provenance, Source, Unavailable
from photon_doctor.foundation.redact import redact, redact_obj, register_secret
from photon_doctor.probes.base import ProbeContext, ProbeReport
from photon_doctor.probes.cloud_client import (
    DEFAULT_API_URL,
    BadToken,
    CloudClient,
    CloudError,
    CloudServerError,
    CloudUnreachable,
    MalformedResponse,
    NotFound,
    NotYourDevice,
    RateLimited,
)

__all__ = [
    "DEFAULT_API_URL",
    "BadToken",
    "CloudClient",
    "CloudError",
    "CloudProbe",
    "CloudServerError",
    "CloudUnreachable",
    "MalformedResponse",
    "NotFound",
    "NotYourDevice",
    "RateLimited",
    "rssi_from_vitals",
]

NAME = "cloud"
SOURCE = Source.PROBE_CLOUD
NO_TOKEN = "no access token: use --token, set PARTICLE_ACCESS_TOKEN or run particle login"
#: Observations that need a device id and a working login.
DEVICE_OBSERVATIONS = ("cloud_lists_device", "cloud_ownership", "cloud_online", "signal_rssi_dbm")


def rssi_from_vitals(diagnostics: dict[str, Any]) -> int | float | None:
    """The Wi-Fi RSSI in dBm from a vitals ``diagnostics`` object, or None if it carries none.

    Reads ``payload.device.network.signal.strengthv`` when its units are dBm (see docs/protocols-cloud.md).
    """
    node: Any = diagnostics.get("payload")
    for key in ("device", "network", "signal"):
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict) or node.get("strengthv_units") != "dBm":
        return None
    value = node.get("strengthv")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


class CloudProbe:
    """Asks the Particle cloud API about the login and ``ctx.device_id``. ``run`` never raises.

    ``ctx.api_url`` defaults to :data:`DEFAULT_API_URL`; ``ctx.extra["username"]`` (from token discovery), when
    given, is copied into the facts. Without ``ctx.token`` the whole probe is unavailable.
    """

    name = NAME

    def run(self, ctx: ProbeContext) -> ProbeReport:
        """Gather the cloud observations; every failure becomes an ``Unavailable`` entry."""
        try:
            return self._run(ctx)
        except Exception as exc:
            reason = redact(f"cloud probe failed unexpectedly ({type(exc).__name__})")
            return ProbeReport(NAME, unavailable=(Unavailable(NAME, reason),))

    def _run(self, ctx: ProbeContext) -> ProbeReport:
        token = (ctx.token or "").strip()
        if not token:
            return ProbeReport(NAME, unavailable=(Unavailable(NAME, NO_TOKEN),))
        register_secret(token)
        found = _Findings()
        username = ctx.extra.get("username")
        if isinstance(username, str) and username:
            found.facts["username"] = username
        try:
            client = CloudClient(ctx.api_url or DEFAULT_API_URL, token, ctx.timeout)
        except CloudError as exc:  # an http:// API URL: the token must not go in clear
            return ProbeReport(NAME, unavailable=(Unavailable(NAME, str(exc)),))
        with client:
            self._gather(client, ctx, found)
        return ProbeReport(
            NAME, tuple(found.observations), tuple(found.unavailable), redact_facts(found.facts)
        )

    def _gather(self, client: CloudClient, ctx: ProbeContext, found: _Findings) -> None:
        try:
            devices = client.list_devices()
        except BadToken as exc:
            # A rejected token is a finding about the login, not a failure to look.
            found.add("cli_login_ok", False, client, str(exc))
            found.skip(DEVICE_OBSERVATIONS, "the access token was rejected, so the cloud cannot be asked")
            return
        except CloudError as exc:
            found.unavailable.append(Unavailable(NAME, str(exc)))
            return
        found.add("cli_login_ok", True, client, f"{len(devices)} device(s) listed")
        found.facts["devices"] = [_summary(d) for d in devices]
        if not ctx.device_id:
            if len(devices) == 1:
                found.facts["sole_device_id"] = str(devices[0]["id"])
                found.facts["note"] = (
                    "no device id given; the account has exactly one device (not assumed to be it)"
                )
            found.skip(DEVICE_OBSERVATIONS, "no device id given: cannot tell which device to look up")
            return
        claimed = ctx.extra.get("device_claimed")
        self._device(client, ctx.device_id.strip().lower(), devices, claimed, found)

    def _device(
        self,
        client: CloudClient,
        device_id: str,
        devices: list[dict[str, Any]],
        claimed: object,
        found: _Findings,
    ) -> None:
        entry = next((d for d in devices if str(d.get("id", "")).lower() == device_id), None)
        found.add(
            "cloud_lists_device",
            entry is not None,
            client,
            f"device {device_id} {'is' if entry else 'is not'} in the account's list",
        )
        try:
            info = client.get_device(device_id)
        except NotYourDevice:
            self._denied(client, claimed, found)
            return
        except NotFound:
            # The real cloud answers 403 for every device that is not yours; a 404 comes from other servers.
            found.add(
                "cloud_ownership", "unclaimed", client, "no account owns this device id", confidence=0.8
            )
            found.skip(("cloud_online", "signal_rssi_dbm"), "the cloud has no owned device with this id")
            return
        except CloudError as exc:
            if entry is None:
                found.skip(("cloud_ownership", "cloud_online", "signal_rssi_dbm"), str(exc))
                return
            info = entry  # the list already proves ownership and carries online/last_heard
            found.unavailable.append(Unavailable(NAME, f"device details unavailable: {exc}"))
        found.add("cloud_ownership", "yours", client, "the device is on this account")
        online = info.get("online")
        if isinstance(online, bool):
            # The docs call `online` "probably currently online": not quite certain.
            found.add("cloud_online", online, client, f"online={str(online).lower()}", confidence=0.9)
        else:
            found.skip(("cloud_online",), "the cloud's device record has no 'online' flag")
        found.facts.update(
            {
                "device_id": device_id,
                "name": info.get("name"),
                "online": online,
                "last_heard": info.get("last_heard"),
                "system_firmware_version": info.get("system_firmware_version"),
            }
        )
        self._signal(client, device_id, found)

    @staticmethod
    def _denied(client: CloudClient, claimed: object, found: _Findings) -> None:
        """403 Permission Denied: the real cloud's answer for an unknown id, an unclaimed device and someone
        else's device alike. Which one it is comes from the device's own claimed flag
        (``ctx.extra["device_claimed"]``, read over serial ``c`` or SoftAP ``device-id``), not the cloud."""
        after: tuple[str, ...] = ("cloud_online", "signal_rssi_dbm")
        found.facts["cloud_access_denied"] = True
        if claimed is True:
            why = "the cloud denies access to the device, and the device says it is claimed: another account"
            found.add("cloud_ownership", "someone_else", client, why, confidence=0.8)
        elif claimed is False:
            why = "the cloud denies access to the device, and the device says it is not claimed"
            found.add("cloud_ownership", "unclaimed", client, why, confidence=0.8)
        else:
            after = ("cloud_ownership", *after)
        found.skip(
            after,
            "the cloud denies access to this device id (not on this account: someone else's, unclaimed, or a "
            "wrong id); the device's own claimed flag, read in listening mode, tells which",
        )

    def _signal(self, client: CloudClient, device_id: str, found: _Findings) -> None:
        try:
            diagnostics = client.vitals(device_id)
        except CloudError as exc:
            found.skip(("signal_rssi_dbm",), f"no device vitals: {exc}")
            return
        rssi = rssi_from_vitals(diagnostics)
        if rssi is None:
            found.skip(("signal_rssi_dbm",), "the device vitals carry no Wi-Fi signal in dBm")
            return
        # Vitals are the last ones the device published, possibly old: less than certain.
        found.add(
            "signal_rssi_dbm",
            rssi,
            client,
            f"vitals of {diagnostics.get('updated_at')}: strengthv {rssi} dBm",
            confidence=0.8,
        )


class _Findings:
    """What the probe has found so far (mutable while gathering; frozen into the ProbeReport at the end)."""

    def __init__(self) -> None:
        self.observations: list[Observation] = []
        self.unavailable: list[Unavailable] = []
        self.facts: dict[str, Any] = {}

    def add(self, obs_id: str, value: Any, client: CloudClient, why: str, confidence: float = 1.0) -> None:
        request = client.trace[-1] if client.trace else "no request"
        detail = redact(f"{request}: {why}")
        self.observations.append(Observation(obs_id, value, confidence, Provenance(SOURCE, detail)))

    def skip(self, obs_ids: tuple[str, ...], reason: str) -> None:
        for obs_id in obs_ids:
            self.unavailable.append(Unavailable(NAME, redact(reason), obs_id))


def _summary(device: dict[str, Any]) -> dict[str, Any]:
    """The non-secret fields of one listed device."""
    keys = ("id", "name", "online", "last_heard", "platform_id", "system_firmware_version")
    return {k: device.get(k) for k in keys}


def redact_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """Facts with every registered secret scrubbed (a device name could, in theory, hold one)."""
    cleaned = redact_obj(facts)
    return cleaned if isinstance(cleaned, dict) else {}
