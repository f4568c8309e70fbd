"""The probe sets: which probe instances, pointed where, for real hardware or the simulator. The composition root
(:mod:`photon_doctor.bootstrap`) builds one of them once per run."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from photon_doctor.autoprobe import AutoTargets
from photon_doctor.foundation.evidence import Unavailable
from photon_doctor.probes.base import Probe, ProbeContext

if TYPE_CHECKING:
    from photon_doctor.config import DiagnoseOptions
    from photon_doctor.simulator.photon import SimulatedPhoton

DEFAULT_SOFTAP_URL = "http://192.168.0.1"
#: Longer than any probe needs; larger values (and NaN, infinity) break socket timeouts.
MAX_PROBE_TIMEOUT = 600.0


def _switch(port: str, within: float) -> None:
    """28800 baud, held until the console answers (at most ``within`` seconds): the serial and SoftAP probes that
    follow find the device in listening mode, not on its way there. If it never answers, they say so."""
    from photon_doctor.probes.serial_console import enter_listening

    enter_listening(port, answer_within=within)


def _leave(port: str) -> None:
    from photon_doctor.probes.serial_console import SerialConsole

    console = SerialConsole(port, timeout=2.0)
    try:
        console.open()
        console.exit_listening()
    finally:
        console.close()


def host_config(options: DiagnoseOptions) -> Any:
    """Where the host-network checks go: the defaults, or `--connectivity-url` / `--cloud-endpoint HOST:PORT`
    (to test against another endpoint, such as a simulator's)."""
    from photon_doctor.probes.host_network import HostNetworkConfig

    changes: dict[str, Any] = {}
    if options.connectivity_url:
        changes["connectivity_url"] = options.connectivity_url
    endpoint = _cloud_endpoint(options)
    if endpoint is not None:
        changes["cloud_host"], changes["cloud_port"] = endpoint
    return HostNetworkConfig(**changes)


def _cloud_endpoint(options: DiagnoseOptions) -> tuple[str, int] | None:
    """`--cloud-endpoint HOST:PORT` as (host, port), None without it; a bad one is a :class:`UsageError`."""
    from photon_doctor.foundation.errors import UsageError
    from photon_doctor.foundation.numbers import ascii_int

    if not options.cloud_endpoint:
        return None
    host, _, port_text = options.cloud_endpoint.rpartition(":")
    port = ascii_int(port_text)
    if not host or port is None or not 0 < port < 65536:
        raise UsageError(
            f"--cloud-endpoint expects HOST:PORT (a port from 1 to 65535), got '{options.cloud_endpoint}'"
        )
    return host, port


def check_flags(options: DiagnoseOptions) -> None:
    """Raise :class:`UsageError` for a consent flag without ``--fix`` and for a probe option with a bad value
    (``--probe-timeout``, ``--api-url``, ``--cloud-endpoint``), whether or not this run probes: a bad flag is
    never silently ignored. Called before anything is started (the demo's simulated Photon too)."""
    from photon_doctor.foundation.errors import UsageError

    if (options.yes or options.allow_erase or options.allow_irreversible) and not options.fixing:
        raise UsageError("--yes, --allow-erase and --allow-irreversible go with --fix (or --dry-run)")

    if not 0 < options.probe_timeout <= MAX_PROBE_TIMEOUT:  # also False for NaN; infinity is out of range
        raise UsageError(
            f"--probe-timeout must be a number of seconds above 0 and at most {MAX_PROBE_TIMEOUT:g}, "
            f"not {options.probe_timeout:g}"
        )
    if options.api_url:
        from photon_doctor.probes.cloud_client import (
            CloudError,
            check_api_url,
        )  # only then: it brings requests

        try:
            check_api_url(options.api_url)
        except CloudError as exc:
            raise UsageError(f"--api-url: {exc.message}") from None
    _cloud_endpoint(options)


def real_targets(options: DiagnoseOptions) -> AutoTargets:
    """Probes for a real Photon on USB, its SoftAP, the real cloud and this computer's network."""
    from photon_doctor.probes.cloud import CloudProbe
    from photon_doctor.probes.host_network import HostNetworkProbe
    from photon_doctor.probes.serial_console import SerialProbe
    from photon_doctor.probes.softap import SoftAPProbe
    from photon_doctor.probes.token import TokenNotFound, discover_token
    from photon_doctor.probes.usb import UsbProbe

    check_flags(options)
    token = api_url = None
    extra: dict[str, Any] = {"enter_listening": False}
    try:
        creds = discover_token(os.environ, options.token, options.api_url)
        token, api_url = creds.token, creds.api_url
        if creds.username:
            extra["username"] = creds.username
    except TokenNotFound:
        api_url = options.api_url  # the cloud probe will say that there is no token
    probes: dict[str, Probe] = {
        "usb": UsbProbe(),
        "serial": SerialProbe(),
        "cloud": CloudProbe(),
        "host": HostNetworkProbe(host_config(options)),
    }
    notes = []
    if options.softap_url:
        # Only on request: 192.168.0.1 is the device's address on its own access point, but on a home network it
        # is usually the router, which must not be sent setup commands.
        probes["softap"] = SoftAPProbe()
    else:
        notes.append(
            Unavailable(
                "softap",
                "not probed: join the device's Photon-XXXXXX Wi-Fi while it blinks dark "
                f"blue, then add --softap-url {DEFAULT_SOFTAP_URL}",
            )
        )
    ctx = ProbeContext(
        serial_port=options.port,
        softap_url=options.softap_url,
        api_url=api_url,
        token=token,
        device_id=options.device_id,
        target_ssid=options.ssid,
        timeout=options.probe_timeout,
        extra=extra,
    )
    switch = functools.partial(_switch, within=options.probe_timeout)
    return AutoTargets(probes, ctx, switch_listening=switch, leave_listening=_leave, settle=2.0, notes=notes)


def simulated_targets(sim: SimulatedPhoton, timeout: float = 3.0) -> AutoTargets:
    """The same probes, pointed at a running simulated Photon."""
    from photon_doctor.probes.cloud import CloudProbe
    from photon_doctor.probes.host_network import HostNetworkConfig, HostNetworkProbe
    from photon_doctor.probes.serial_console import SerialProbe
    from photon_doctor.probes.softap import SoftAPProbe

    ep = sim.endpoints()
    host = HostNetworkProbe(
        HostNetworkConfig(
            connectivity_url=ep.connectivity_url,
            cloud_host=ep.cloud_host,
            cloud_port=ep.cloud_port,
            platform="linux",
        ),
        runner=sim.host_runner,
    )
    probes: dict[str, Probe] = {
        "serial": SerialProbe(),
        "softap": SoftAPProbe(),
        "cloud": CloudProbe(),
        "host": host,
    }
    ctx = ProbeContext(
        serial_port=ep.serial_port,
        softap_url=ep.softap_url,
        softap_tcp=ep.softap_tcp,
        api_url=ep.api_url,
        token=ep.token,
        target_ssid=sim.scenario.ssid,
        timeout=timeout,
        extra={"serial_idle": 0.05, "listen_hold": 0.05},
    )
    switch = functools.partial(_switch, within=timeout)
    return AutoTargets(probes, ctx, switch_listening=switch, leave_listening=_leave, settle=0.05)
