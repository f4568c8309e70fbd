"""The SoftAP probe: what a Photon in listening mode says over its own access point (reference §3).

It asks the device for its id, protocol version and its own Wi-Fi scan, and answers in the contract's
terms: ``softap_visible``, ``device_scan_lists_networks``, and, when the target network is known,
``target_network_in_scan``, ``signal_rssi_dbm`` and ``network_security`` of that network as the device
sees it.

The clients and the pure helpers live in :mod:`~photon_doctor.probes.softap_client` and
:mod:`~photon_doctor.probes.softap_data`; they are re-exported here so callers need one import.
"""

from __future__ import annotations

import time
from typing import Any

from photon_doctor.foundation.evidence import Observation, ObsValue, Provenance, Source, Unavailable
from photon_doctor.foundation.redact import redact
from photon_doctor.probes.base import ProbeContext, ProbeFailure, ProbeReport
from photon_doctor.probes.softap_client import (
    DEFAULT_TCP,
    DEFAULT_TIMEOUT,
    DEFAULT_URL,
    SoftAPClient,
    SoftAPTcpClient,
    SoftAPUnreachable,
    encrypt_password,
)
from photon_doctor.probes.softap_data import (
    ScanResult,
    channel_band,
    parse_public_key_blob,
    wiced_to_network_security,
)

SOURCE = Source.PROBE_SOFTAP
_TARGET_IDS = ("target_network_in_scan", "signal_rssi_dbm", "network_security")
_RETRY_SECONDS = 0.05


def _first_contact(client: SoftAPClient | SoftAPTcpClient, timeout: float) -> tuple[str, bool]:
    """``device-id``, asked again while the connection is refused, for at most ``timeout`` seconds: right
    after the switch to listening mode the device is still bringing its access point up. Raises
    ProbeFailure."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return client.device_id()
        except SoftAPUnreachable as exc:
            if not exc.refused or time.monotonic() >= deadline:
                raise
            time.sleep(_RETRY_SECONDS)


class SoftAPProbe:
    """Probe the device's SoftAP at ``ctx.softap_url`` (HTTP) or, failing that, ``ctx.softap_tcp`` (raw TCP).

    ``run`` never raises: an unreachable SoftAP, a timeout or a garbled reply ends up in ``unavailable``.
    """

    name = "softap"

    def run(self, ctx: ProbeContext) -> ProbeReport:
        """Ask for device-id, version and scan-ap; report observations, facts and what could not be seen."""
        try:
            return self._run(ctx)
        except Exception as exc:  # the Probe contract: nothing escapes run(); say what broke in one line
            reason = redact(f"SoftAP probe failed unexpectedly: {type(exc).__name__}: {exc}").splitlines()[0]
            return ProbeReport(self.name, unavailable=(Unavailable(self.name, reason),))

    def _run(self, ctx: ProbeContext) -> ProbeReport:
        client: SoftAPClient | SoftAPTcpClient
        if ctx.softap_url:
            client = SoftAPClient(ctx.softap_url, timeout=ctx.timeout)
        elif ctx.softap_tcp:
            client = SoftAPTcpClient(ctx.softap_tcp, timeout=ctx.timeout)
        else:
            return ProbeReport(
                self.name,
                unavailable=(
                    Unavailable(self.name, f"no SoftAP address given (the device's SoftAP is {DEFAULT_URL})"),
                ),
            )
        observations: list[Observation] = []
        unavailable: list[Unavailable] = []
        facts: dict[str, Any] = {"softap": client.where}

        try:
            device_id, claimed = _first_contact(client, ctx.timeout)
        except ProbeFailure as exc:
            # Nothing else can be learned if the first command fails; the reason says how to get on the AP.
            return ProbeReport(self.name, unavailable=(Unavailable(self.name, str(exc)),), facts=facts)
        facts.update(device_id=device_id, claimed=claimed)
        observations.append(
            self._obs(
                "softap_visible",
                True,
                f"{client.where} answered device-id: id {device_id}, claimed {'yes' if claimed else 'no'}",
            )
        )

        try:
            facts["version"] = client.version()
        except ProbeFailure as exc:
            unavailable.append(Unavailable(self.name, str(exc)))

        try:
            scan = client.scan()
        except ProbeFailure as exc:
            ids = ("device_scan_lists_networks", *(_TARGET_IDS if ctx.target_ssid else ()))
            unavailable.extend(Unavailable(self.name, str(exc), i) for i in ids)
            return ProbeReport(self.name, tuple(observations), tuple(unavailable), facts)
        facts["scan"] = [s.as_fact() for s in scan]
        names = ", ".join(repr(s.ssid) for s in scan[:8]) + (", ..." if len(scan) > 8 else "")
        observations.append(
            self._obs(
                "device_scan_lists_networks",
                bool(scan),
                f"scan-ap listed {len(scan)} network(s){': ' + names if scan else ''}",
            )
        )
        if ctx.target_ssid:
            self._target(ctx.target_ssid, scan, observations, unavailable)
        return ProbeReport(self.name, tuple(observations), tuple(unavailable), facts)

    def _target(
        self,
        target: str,
        scan: list[ScanResult],
        observations: list[Observation],
        unavailable: list[Unavailable],
    ) -> None:
        """Observations about the target network: present, its RSSI, its security (the strongest AP wins)."""
        matches = [s for s in scan if s.ssid == target]
        if not matches:
            observations.append(
                self._obs(
                    "target_network_in_scan",
                    False,
                    f"{target!r} is not among the {len(scan)} network(s) of scan-ap",
                )
            )
            why = f"{target!r} is not in the device's scan"
            unavailable.extend(Unavailable(self.name, why, i) for i in _TARGET_IDS[1:])
            return
        best = max(matches, key=lambda s: s.rssi)
        seen = f"scan-ap lists {target!r} on channel {best.channel}, rssi {best.rssi} dBm, sec {best.sec:#x}"
        observations.append(self._obs("target_network_in_scan", True, seen))
        observations.append(self._obs("signal_rssi_dbm", best.rssi, seen))
        if best.security is None:
            unavailable.append(
                Unavailable(
                    self.name,
                    f"scan-ap gives {target!r} an unknown security code ({best.sec})",
                    "network_security",
                )
            )
        else:
            observations.append(self._obs("network_security", best.security, seen))

    def _obs(self, obs_id: str, value: ObsValue, detail: str) -> Observation:
        return Observation(obs_id, value, provenance=Provenance(SOURCE, redact(detail)))


__all__ = [
    "DEFAULT_TCP",
    "DEFAULT_TIMEOUT",
    "DEFAULT_URL",
    "SOURCE",
    "ScanResult",
    "SoftAPClient",
    "SoftAPProbe",
    "SoftAPTcpClient",
    "SoftAPUnreachable",
    "channel_band",
    "encrypt_password",
    "parse_public_key_blob",
    "wiced_to_network_security",
]
