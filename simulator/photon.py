"""A whole simulated Photon: one world behind its USB serial console (a pty), its SoftAP (HTTP and TCP),
the Particle cloud API, and the laptop's network (connectivity check, the cloud's port 5683, nmcli).

``with SimulatedPhoton(get_scenario("static-ip")) as sim:`` starts everything on 127.0.0.1 and a pty;
``sim.endpoints()`` says where each listens. The real probes are pointed at these endpoints unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from photon_doctor.foundation.redact import register_secret
from photon_doctor.simulator.cloud_api import CloudApiSimulator
from photon_doctor.simulator.factory import account_token
from photon_doctor.simulator.host import InternetSimulator, SimulatedHostRunner
from photon_doctor.simulator.scenarios import Scenario
from photon_doctor.simulator.serial_console import SerialConsoleSimulator
from photon_doctor.simulator.softap import SoftAPSimulator

#: The stale token of the "invalid-token" scenario: well-formed, but the simulated cloud does not know it.
STALE_TOKEN = "0123456789abcdef0123456789abcdef01234567"


@dataclass(frozen=True)
class Endpoints:
    """Where the simulated parts listen. ``token`` is a secret: never print it."""

    serial_port: str | None
    softap_url: str
    softap_tcp: tuple[str, int]
    api_url: str
    token: str
    connectivity_url: str
    cloud_host: str
    cloud_port: int
    device_id: str
    softap_ssid: str


class SimulatedPhoton:
    """Starts and stops the simulators of one scenario together."""

    def __init__(self, scenario: Scenario, seed: int = 6) -> None:
        self.scenario = scenario
        self.world = scenario.build(seed)
        self.serial = SerialConsoleSimulator(self.world, scenario.console)
        self.softap = SoftAPSimulator(self.world)
        self.cloud = CloudApiSimulator(self.world)
        self.internet = InternetSimulator(self.world)
        self.host_runner = SimulatedHostRunner(self.world)
        self.token = STALE_TOKEN if scenario.token == "invalid" else account_token(self.world)
        register_secret(self.token)
        register_secret(scenario.wifi_password)
        self._started: list[Any] = []

    def start(self) -> SimulatedPhoton:
        try:
            for part in (self.serial, self.softap, self.cloud, self.internet):
                part.start()
                self._started.append(part)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        while self._started:
            self._started.pop().stop()

    def __enter__(self) -> SimulatedPhoton:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def endpoints(self) -> Endpoints:
        host, port = self.internet.cloud_address
        return Endpoints(
            serial_port=self.serial.port,
            softap_url=self.softap.url,
            softap_tcp=self.softap.tcp_address,
            api_url=self.cloud.url,
            token=self.token,
            connectivity_url=self.internet.connectivity_url,
            cloud_host=host,
            cloud_port=port,
            device_id=self.world.device.device_id,
            softap_ssid=self.softap.ssid,
        )

    def person_answers(self) -> dict[str, Any]:
        """What the person would answer to questions no probe sees: the scenario's answers and the LED as it is."""
        answers = dict(self.scenario.answers)
        w = self.world
        with w.lock:
            answers.setdefault("led_pattern", w.device.led)
            home = next((ap for ap in w.networks if ap.ssid == self.scenario.ssid), None)
            if home is not None:
                # What the owner can see from a phone or a laptop on that network, or in the router's settings.
                answers.setdefault("internet_works_on_network", home.internet)
                answers.setdefault("network_hidden", home.hidden)
                answers.setdefault("network_n_only", home.n_only)
            answers.setdefault("many_devices_failed_at_once", w.cloud.outage)
            answers.setdefault("external_antenna_fitted", w.device.external_antenna_fitted)
            answers.setdefault("power_source", "usb_computer")
        return answers

    def state(self) -> dict[str, Any]:
        """The device state a fix can change, for before/after comparisons (no secrets)."""
        w = self.world
        with w.lock:
            d = w.device
            cd = w.cloud.devices.get(d.device_id)
            return {
                "mode": d.mode.value,
                "led": d.led,
                "credentials": [(c.ssid, c.security, c.cipher) for c in d.credentials],
                "antenna": d.antenna,
                "ip_mode": d.ip_mode,
                "claimed_flag": d.claimed_flag,
                "has_claim_code": d.claim_code is not None,
                "server_key_ok": d.server_key_ok,
                "modules_ok": d.modules_ok,
                "device_os": d.device_os,
                "app": d.firmware.app,
                "owner": cd.owner if cd else None,
                "online": cd.online if cd else False,
            }
