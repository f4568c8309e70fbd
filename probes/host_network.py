"""The host-network probe: what this computer can tell about the Wi-Fi network the device should join.

Observations: ``network_band``, ``network_security`` (from nmcli or iw on Linux, airport or wdutil on macOS,
netsh on Windows), ``captive_portal`` (a connectivity-check URL) and ``port_5683_reachable`` (DNS and a TCP
connect to the device cloud). Provenance source ``probe:host``. Everything is about *this computer's* network,
which is only evidence about the device's network when both are the same; when ``ctx.target_ssid`` names another
network the observations are withheld, and when it is unknown they carry less confidence.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from typing import Any

from photon_doctor.foundation.evidence import Observation, Provenance, Source, Unavailable
from photon_doctor.foundation.redact import redact
from photon_doctor.probes.base import ProbeContext, ProbeFailure, ProbeReport
from photon_doctor.probes.host_checks import (
    DEFAULT_CLOUD_HOST,
    DEFAULT_CLOUD_PORT,
    DEFAULT_CONNECTIVITY_URL,
    CommandNotFound,
    CommandRunner,
    SubprocessRunner,
    check_captive_portal,
    check_tcp,
    resolve,
)
from photon_doctor.probes.wifi_parsers import (
    BAND_2_4,
    BAND_5,
    WifiLink,
    bands_seen,
    link_from_nmcli,
    parse_airport,
    parse_iw_interfaces,
    parse_iw_link,
    parse_netsh,
    parse_nmcli_scan,
    parse_wdutil,
)

NAME = "host"
SOURCE = Source.PROBE_HOST
AIRPORT = "/System/Library/PrivateFrameworks/Apple80211.framework/Versions/Current/Resources/airport"
NO_BAND = "cannot tell the Wi-Fi band"


@dataclass(frozen=True)
class HostNetworkConfig:
    """Where the checks go. ``platform`` is a ``sys.platform`` value; None means this computer's."""

    connectivity_url: str = DEFAULT_CONNECTIVITY_URL
    cloud_host: str = DEFAULT_CLOUD_HOST
    cloud_port: int = DEFAULT_CLOUD_PORT
    platform: str | None = None


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0][:160] if lines else "no message"


def _checked(runner: CommandRunner, argv: list[str], timeout: float) -> str:
    """Run ``argv``; a non-zero exit becomes a ProbeFailure naming the tool and its first error line."""
    result = runner.run(argv, timeout)
    if result.returncode != 0:
        raise ProbeFailure(f"{argv[0]} failed ({_first_line(result.stderr or result.stdout)}): {NO_BAND}")
    return result.stdout


def read_wifi_link(
    platform: str, runner: CommandRunner, timeout: float
) -> tuple[WifiLink | None, frozenset[str]]:
    """The host's current Wi-Fi link (None if it has none) and the bands on which its SSID was seen.

    Raises :class:`ProbeFailure` when no tool can be run or a tool fails, e.g. ``nmcli not found and iw not
    found: cannot tell the Wi-Fi band``.
    """
    if platform.startswith("linux"):
        try:
            entries = parse_nmcli_scan(
                _checked(runner, ["nmcli", "-t", "-f", "active,ssid,freq,security", "dev", "wifi"], timeout)
            )
        except CommandNotFound:
            return _read_iw(runner, timeout), frozenset()
        link = link_from_nmcli(entries)
        return link, bands_seen(entries, link.ssid) if link else frozenset()
    if platform == "darwin":
        try:
            return parse_airport(_checked(runner, [AIRPORT, "-I"], timeout)), frozenset()
        except CommandNotFound:
            pass  # airport was removed in macOS 14.4: wdutil (which needs root) is the fallback
        try:
            return parse_wdutil(_checked(runner, ["wdutil", "info"], timeout)), frozenset()
        except CommandNotFound:
            raise ProbeFailure(f"airport not found and wdutil not found: {NO_BAND}") from None
    if platform in ("win32", "cygwin"):
        try:
            return parse_netsh(
                _checked(runner, ["netsh", "wlan", "show", "interfaces"], timeout)
            ), frozenset()
        except CommandNotFound:
            raise ProbeFailure(f"netsh not found: {NO_BAND}") from None
    raise ProbeFailure(f"no Wi-Fi tool known for platform {platform!r}: {NO_BAND}")


def _read_iw(runner: CommandRunner, timeout: float) -> WifiLink | None:
    try:
        interfaces = parse_iw_interfaces(_checked(runner, ["iw", "dev"], timeout))
        for interface in interfaces:
            link = parse_iw_link(_checked(runner, ["iw", "dev", interface, "link"], timeout))
            if link is not None:
                return link
    except CommandNotFound:
        raise ProbeFailure(f"nmcli not found and iw not found: {NO_BAND}") from None
    return None


class HostNetworkProbe:
    """Looks at this computer's Wi-Fi and internet path. ``run`` never raises.

    ``runner`` runs the Wi-Fi tools (a fake implementing :class:`CommandRunner` in tests); ``config`` says where
    the captive-portal and cloud checks go.
    """

    name = NAME

    def __init__(self, config: HostNetworkConfig | None = None, runner: CommandRunner | None = None) -> None:
        self.config = config or HostNetworkConfig()
        self.runner: CommandRunner = runner or SubprocessRunner()

    def run(self, ctx: ProbeContext) -> ProbeReport:
        """Gather the host-network observations; every failure becomes an ``Unavailable`` entry."""
        try:
            return self._run(ctx)
        except Exception as exc:
            reason = redact(f"host-network probe failed unexpectedly ({type(exc).__name__})")
            return ProbeReport(NAME, unavailable=(Unavailable(NAME, reason),))

    def _run(self, ctx: ProbeContext) -> ProbeReport:
        observations: list[Observation] = []
        unavailable: list[Unavailable] = []
        facts: dict[str, Any] = {}
        platform = self.config.platform or sys.platform

        link: WifiLink | None = None
        seen: frozenset[str] = frozenset()
        link_known = False
        try:
            link, seen = read_wifi_link(platform, self.runner, ctx.timeout)
            link_known = True
        except ProbeFailure as exc:
            unavailable += [Unavailable(NAME, str(exc), i) for i in ("network_band", "network_security")]
        except Exception as exc:
            why = redact(f"could not read this computer's Wi-Fi connection ({_kind(exc)}): {NO_BAND}")
            unavailable += [Unavailable(NAME, why, i) for i in ("network_band", "network_security")]
        if link_known and link is None:
            reason = "this computer has no active Wi-Fi connection"
            unavailable += [
                Unavailable(NAME, f"{reason}: {NO_BAND}", "network_band"),
                Unavailable(NAME, f"{reason}: cannot tell the Wi-Fi security", "network_security"),
            ]
        facts["wifi"] = {**asdict(link), "bands_seen": sorted(seen)} if link else None

        elsewhere = bool(link and ctx.target_ssid and link.ssid != ctx.target_ssid)
        if link is not None and elsewhere:
            why = f"this computer is on {link.ssid!r}, not on the device's network {ctx.target_ssid!r}"
            unavailable += [Unavailable(NAME, why, i) for i in ("network_band", "network_security")]
        elif link is not None:
            self._band(link, seen, observations, unavailable)
            self._security(link, observations, unavailable)

        # The internet path: evidence about the device's network only if this computer shares it.
        same = (
            link is not None and not elsewhere and (ctx.target_ssid is None or link.ssid == ctx.target_ssid)
        )
        scale = 1.0 if same and ctx.target_ssid else 0.9 if same else 0.8
        note = "" if same else "; assuming this computer shares the device's network"
        path_obs: list[Observation] = []
        self._portal(ctx, scale, note, path_obs, unavailable, facts)
        self._port(ctx, scale, note, path_obs, unavailable, facts)
        if elsewhere:
            unavailable += [
                Unavailable(NAME, f"this computer is on another network ({facts['wifi']['ssid']!r})", o.id)
                for o in path_obs
            ]
        else:
            observations += path_obs
        return ProbeReport(NAME, tuple(observations), tuple(unavailable), facts)

    @staticmethod
    def _band(
        link: WifiLink, seen: frozenset[str], obs: list[Observation], unavailable: list[Unavailable]
    ) -> None:
        where = f"{link.tool}: {link.ssid!r} on {link.band or '?'} GHz"
        if link.freq_mhz:
            where += f" ({link.freq_mhz} MHz)"
        elif link.channel:
            where += f" (channel {link.channel})"
        if link.band in (BAND_2_4, BAND_5) and {BAND_2_4, BAND_5} <= (seen | {link.band}):
            obs.append(
                _obs(
                    "network_band",
                    "dual_band_same_name",
                    0.8,
                    f"{where}; the host's scan sees the same name on 2.4 and 5 GHz",
                )
            )
        elif link.band == BAND_2_4:
            scan = (
                "the host's scan sees it on 2.4 GHz only"
                if seen
                else "a 5 GHz twin with the same name cannot be seen from one host"
            )
            obs.append(_obs("network_band", "band_2_4ghz", 0.9 if seen else 0.8, f"{where}; {scan}"))
        elif link.band == BAND_5:
            scan = (
                "the host's scan sees no 2.4 GHz access point with this name"
                if seen
                else "a 2.4 GHz radio with the same name cannot be ruled out from one host"
            )
            obs.append(_obs("network_band", "band_5ghz_only", 0.8 if seen else 0.7, f"{where}; {scan}"))
        elif link.band is None:
            unavailable.append(
                Unavailable(NAME, f"{link.tool} did not report the frequency: {NO_BAND}", "network_band")
            )
        else:
            unavailable.append(
                Unavailable(
                    NAME,
                    f"this computer is on {link.band} GHz: the network's 2.4 GHz "
                    "radio, if any, is out of its view",
                    "network_band",
                )
            )

    @staticmethod
    def _security(link: WifiLink, obs: list[Observation], unavailable: list[Unavailable]) -> None:
        if link.security is not None:
            obs.append(
                _obs(
                    "network_security",
                    link.security,
                    0.9,
                    f"{link.tool}: {link.ssid!r} security {link.raw_security or 'none'!r}",
                )
            )
        elif link.tool == "iw":
            unavailable.append(
                Unavailable(NAME, "iw does not report the Wi-Fi security (nmcli would)", "network_security")
            )
        else:
            unavailable.append(
                Unavailable(
                    NAME,
                    f"{link.tool} reported an unrecognised security {link.raw_security[:60]!r}",
                    "network_security",
                )
            )

    def _portal(
        self,
        ctx: ProbeContext,
        scale: float,
        note: str,
        obs: list[Observation],
        unavailable: list[Unavailable],
        facts: dict[str, Any],
    ) -> None:
        try:
            check = check_captive_portal(self.config.connectivity_url, ctx.timeout)
        except ProbeFailure as exc:
            unavailable.append(Unavailable(NAME, str(exc), "captive_portal"))
            return
        facts["connectivity_check"] = check.detail
        obs.append(_obs("captive_portal", check.portal, round(0.9 * scale, 3), check.detail + note))

    def _port(
        self,
        ctx: ProbeContext,
        scale: float,
        note: str,
        obs: list[Observation],
        unavailable: list[Unavailable],
        facts: dict[str, Any],
    ) -> None:
        host, port = self.config.cloud_host, self.config.cloud_port
        try:
            addresses = resolve(host, port, ctx.timeout)
        except ProbeFailure as exc:
            facts["cloud_dns_ok"] = False
            unavailable.append(Unavailable(NAME, f"{exc}: cannot test port {port}", "port_5683_reachable"))
            return
        facts["cloud_dns_ok"] = True
        facts["cloud_addresses"] = [a for _, a in addresses]
        check = check_tcp(addresses, host, port, ctx.timeout)
        facts["cloud_tcp"] = check.outcome
        if check.outcome == "unreachable":
            # No route at all says nothing about a firewall on port 5683.
            unavailable.append(Unavailable(NAME, check.detail, "port_5683_reachable"))
            return
        # A silent drop (timeout) is likelier a firewall than a refusal is certain proof of one: both are "no".
        confidence = {"connected": 0.9, "refused": 0.9, "timeout": 0.8}[check.outcome]
        obs.append(
            _obs("port_5683_reachable", check.reachable, round(confidence * scale, 3), check.detail + note)
        )


def _kind(exc: Exception) -> str:
    """What went wrong, in words rather than an exception class name."""
    if isinstance(exc, UnicodeError):
        return "the tool's output is not text"
    if isinstance(exc, (ValueError, OverflowError)):
        return "the tool's output has a value out of range"
    return "the tool's output could not be understood"


def _obs(obs_id: str, value: Any, confidence: float, detail: str) -> Observation:
    return Observation(obs_id, value, confidence, Provenance(SOURCE, redact(detail)))
