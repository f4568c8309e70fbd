"""The USB serial probe: what a Photon says on its listening-mode console (reference §2.1).

It asks for the device id (`i`), MAC (`m`), Device OS version (`v`), claim flag (`c`), module info (`s`) and,
from Device OS 1.0.1, diagnostics (`d`), and answers in the contract's terms: ``usb_serial_responds``,
``listening_mode_enters``, ``device_os_version`` and ``module_dependencies_ok``. When the console is silent
and ``ctx.extra["enter_listening"]`` is true, it puts the device in listening mode with the 28800-baud trick
and takes it out again with `x` afterwards, so the device is left as found.

The client lives in :mod:`~photon_doctor.probes.serial_client` and the dependency check in
:mod:`~photon_doctor.probes.module_check`; they are re-exported here so callers need one import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from photon_doctor.foundation.evidence import Observation, ObsValue, Provenance, Source, Unavailable
from photon_doctor.foundation.ids import SERIAL_DETAIL_IDS
from photon_doctor.foundation.redact import redact
from photon_doctor.probes.base import ProbeContext, ProbeFailure, ProbeReport
from photon_doctor.probes.module_check import DependencyProblem, ModuleCheck, ModuleRef, check_modules
from photon_doctor.probes.serial_client import (
    DFU_BAUD,
    LISTEN_BAUD,
    Identity,
    NoAnswer,
    NotUnderstood,
    PortGone,
    SerialConsole,
    WifiResult,
    enter_dfu,
    enter_listening,
    open_port,
)

SOURCE = Source.PROBE_SERIAL
DEFAULT_IDLE = 0.25  # the CLI's quiet gap that ends an answer
#: What the commands after 'i' observe, in the order they are sent.
DETAIL_IDS = SERIAL_DETAIL_IDS


def rssi_from_diagnostics(diag: Mapping[str, Any]) -> int | float | None:
    """The Wi-Fi RSSI in dBm from a `d` document of any Device OS generation, or None when it has none.

    1.5.1 and later: ``net:sigstrv``, signed Q16.16 (dBm x 65536). 1.0.1 to 1.5.0 also print ``net:rssi``,
    signed Q8.8 (dBm x 256). A source that failed is ``{"err": N}`` (no link, e.g. in listening mode).
    See docs/protocols-serial.md for the Device OS source.
    """
    for key, scale in (("net:sigstrv", 65536), ("net:rssi", 256)):
        value = diag.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            dbm = value / scale
            if -127 <= dbm <= -1:  # a plain, unscaled dBm value would land near 0: not a reading
                return int(dbm) if dbm.is_integer() else round(dbm, 1)
    return None


def _version_tuple(version: str) -> tuple[int, ...]:
    """'1.5.2-rc.1' -> (1, 5, 2)."""
    return tuple(int(p) for p in re.findall(r"\d+", version.split("-", 1)[0].split("+", 1)[0])[:3])


class SerialProbe:
    """Probe the listening-mode console on ``ctx.serial_port`` (a port name or a pyserial URL).

    ``ctx.timeout`` bounds each answer; ``ctx.extra`` may hold ``enter_listening`` (bool), ``serial_idle``
    (seconds) and ``listen_hold`` (how long the port stays at 28800 baud). ``run`` never raises.
    """

    name = "serial"

    def run(self, ctx: ProbeContext) -> ProbeReport:
        """Identify the device and read what the console offers; failures end up in ``unavailable``."""
        try:
            return self._run(ctx)
        except Exception as exc:  # the Probe contract: nothing escapes run(); say what broke in one line
            reason = redact(f"serial probe failed unexpectedly: {type(exc).__name__}: {exc}").splitlines()[0]
            return ProbeReport(self.name, unavailable=(Unavailable(self.name, reason),))

    def _run(self, ctx: ProbeContext) -> ProbeReport:
        port = ctx.serial_port
        if not port:
            return self._fail("not tried: no serial port to open (none found on USB; --port names one)")
        idle = float(ctx.extra.get("serial_idle", DEFAULT_IDLE))
        console = SerialConsole(port, timeout=ctx.timeout, idle=idle)
        entered = False
        obs: list[Observation] = []
        unavailable: list[Unavailable] = []
        facts: dict[str, Any] = {"port": port}
        try:
            try:
                console.open()
                ident = console.identity()
                how = "found it in listening mode: it answered 'i' at 9600 baud"
            except NoAnswer:
                silent = f"device did not answer in listening mode within {ctx.timeout:.1f} s"
                if not ctx.extra.get("enter_listening"):
                    return self._fail(silent + " (is it blinking dark blue?)", facts)
                console.close()
                enter_listening(port, float(ctx.extra.get("listen_hold", 0.1)), answer_within=ctx.timeout)
                entered = True
                console.open()
                try:
                    ident = console.identity()
                except NoAnswer:
                    detail = f"silent at 9600 baud, still silent after switching to {LISTEN_BAUD} baud"
                    obs.append(self._obs("usb_serial_responds", False, detail, confidence=0.6))
                    unavailable.append(
                        Unavailable(
                            self.name, silent + " even after the 28800-baud switch", "listening_mode_enters"
                        )
                    )
                    return ProbeReport(self.name, tuple(obs), tuple(unavailable), facts)
                how = f"silent at first; after switching the port to {LISTEN_BAUD} baud it answered 'i'"
            facts["device_id"] = ident.device_id
            if ident.serial_number:
                facts["serial_number"] = ident.serial_number
            facts["entered_listening"] = entered
            said = (
                f"Your device id is {ident.device_id}"
                if ident.serial_number is None and not ident.has_device_secret
                else f"Device ID: {ident.device_id} (+ key/values)"
            )
            obs.append(self._obs("usb_serial_responds", True, f"sent 'i', device said '{said}'"))
            obs.append(self._obs("listening_mode_enters", True, how))
            self._details(console, obs, unavailable, facts)
        except ProbeFailure as exc:
            reason = str(exc)
            if isinstance(exc, NotUnderstood) and not obs:
                # Not what a Photon in listening mode says: the port may not be the Photon's at all.
                facts["port_answered"] = True
                reason = (
                    f"opened {port}, but what came back was not a Photon's listening-mode answer "
                    f"({exc.detail}): is this the Photon's port?"
                )
            # Name the first fact lost (a port that vanished after 'i' costs the Device OS version and the
            # module check), so "Not probed" keeps the reason even though the probe observed something.
            got = {o.id for o in obs}
            lost = next((i for i in DETAIL_IDS if i not in got), None) if got else None
            unavailable.append(Unavailable(self.name, redact(reason), lost))
        finally:
            if entered:
                self._leave(console, unavailable)
            console.close()
        return ProbeReport(self.name, tuple(obs), tuple(unavailable), facts)

    def _details(
        self,
        console: SerialConsole,
        obs: list[Observation],
        unavailable: list[Unavailable],
        facts: dict[str, Any],
    ) -> None:
        """The commands after `i`: each failure is recorded and the next tried, unless the port is gone."""
        try:
            facts["mac"] = console.mac()
        except PortGone:
            raise
        except ProbeFailure as exc:
            unavailable.append(Unavailable(self.name, str(exc)))
        version: str | None = None
        try:
            version = console.system_version()
            facts["device_os_version"] = version
            obs.append(
                self._obs(
                    "device_os_version",
                    version,
                    f"sent 'v', device said 'system firmware version: {version}'",
                )
            )
        except PortGone:
            raise
        except ProbeFailure as exc:
            unavailable.append(Unavailable(self.name, str(exc), "device_os_version"))
        try:
            facts["claimed"] = console.claimed()
        except PortGone:
            raise
        except ProbeFailure as exc:
            unavailable.append(Unavailable(self.name, str(exc)))
        try:
            info = console.module_info()
            check = check_modules(info)
            facts["modules"] = info.get("m")
            obs.append(self._obs("module_dependencies_ok", check.ok, f"sent 's': {check.describe()}"))
        except PortGone:
            raise
        except (ProbeFailure, ValueError) as exc:
            unavailable.append(Unavailable(self.name, str(exc), "module_dependencies_ok"))
        if version is not None and _version_tuple(version) < (1, 0, 1):
            unavailable.append(
                Unavailable(self.name, f"Device OS {version} has no 'd' (diagnostics) command")
            )
            return
        try:
            facts["diagnostics"] = diag = console.diagnostics()
        except PortGone:
            raise
        except ProbeFailure as exc:
            unavailable.append(Unavailable(self.name, str(exc)))
            return
        rssi = rssi_from_diagnostics(diag)
        # In listening mode the device has left its network, so its signal sources usually report an error:
        # then the signal comes from the SoftAP scan or the cloud's vitals instead.
        if rssi is not None:
            obs.append(self._obs("signal_rssi_dbm", rssi, f"sent 'd': {rssi} dBm", confidence=0.8))

    def _leave(self, console: SerialConsole, unavailable: list[Unavailable]) -> None:
        """Leave listening mode again (`x`): the probe put the device there, so it takes it out."""
        try:
            console.exit_listening()
        except ProbeFailure as exc:
            unavailable.append(
                Unavailable(self.name, f"could not take the device out of listening mode: {exc}")
            )

    def _fail(self, reason: str, facts: dict[str, Any] | None = None) -> ProbeReport:
        return ProbeReport(
            self.name, unavailable=(Unavailable(self.name, redact(reason)),), facts=facts or {}
        )

    def _obs(self, obs_id: str, value: ObsValue, detail: str, confidence: float = 1.0) -> Observation:
        return Observation(obs_id, value, confidence, Provenance(SOURCE, redact(detail)))


__all__ = [
    "DFU_BAUD",
    "LISTEN_BAUD",
    "SOURCE",
    "DependencyProblem",
    "Identity",
    "ModuleCheck",
    "ModuleRef",
    "NoAnswer",
    "PortGone",
    "SerialConsole",
    "SerialProbe",
    "WifiResult",
    "check_modules",
    "enter_dfu",
    "enter_listening",
    "open_port",
    "rssi_from_diagnostics",
]
