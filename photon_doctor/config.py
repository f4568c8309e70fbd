"""What a run of `diagnose` (or `demo`) was asked to do, as the command line parsed it: frozen, made once by the
CLI and never changed (a derived setting, such as ``--dry-run`` implying ``--fix``, is a new value).

The shell (:mod:`photon_doctor.shell`), the probe wiring (:mod:`photon_doctor.wiring`) and the fix wiring
(:mod:`photon_doctor.fixing`) all read it; it imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photon_doctor.actions.consent import Policy

if TYPE_CHECKING:
    from photon_doctor.autoprobe import AutoTargets
    from photon_doctor.simulator.photon import SimulatedPhoton


@dataclass(frozen=True)
class DiagnoseOptions:
    """The options of one run. ``targets`` is None for a real Photon (the probes are built from the options) or
    the simulated Photon's probes (``demo``), with ``simulation`` the running simulator the fixes act on."""

    answers: tuple[str, ...] = ()
    answers_file: Path | None = None
    no_input: bool = False
    as_json: bool = False
    auto: bool = False
    no_probe: bool = False  # --no-probe: not even the default look at what is at hand
    port: str | None = None
    softap_url: str | None = None
    api_url: str | None = None
    token: str | None = None
    device_id: str | None = None
    ssid: str | None = None
    probe_timeout: float = 8.0
    connectivity_url: str | None = None
    cloud_endpoint: str | None = None
    fix: bool = False
    yes: bool = False
    allow_erase: bool = False
    allow_irreversible: bool = False
    dry_run: bool = False
    resume: bool = False
    title: str = "diagnose"
    # Set by `demo`: the probes point at the simulated Photon, and the scenario knows what a person would answer.
    targets: AutoTargets | None = None
    simulation: SimulatedPhoton | None = None  # the running SimulatedPhoton (demo): the executor's tools act on it
    scenario_answers: dict[str, Any] | None = None
    scenario: str | None = None
    verbose: bool = False  # ids beside the titles
    quiet: bool = False  # no progress or "saved" remarks
    session_path: Path | None = None  # --resume of a given session (the demo's resume)

    @property
    def fixing(self) -> bool:
        """Whether fixes follow the diagnosis: ``--fix``, or ``--dry-run`` (which shows what ``--fix`` would do)."""
        return self.fix or self.dry_run

    def policy(self) -> Policy:
        """What the consent flags allow."""
        return Policy(yes=self.yes, allow_erase=self.allow_erase, allow_irreversible=self.allow_irreversible,
                      dry_run=self.dry_run)
