"""What a run of `diagnose` (or `demo`) was asked to do, as the command line parsed it.

The shell (:mod:`photon_doctor.shell`), the probe wiring (:mod:`photon_doctor.wiring`) and the fix wiring
(:mod:`photon_doctor.fixing`) all read it; it imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class DiagnoseOptions:
    answers: list[str] = field(default_factory=list)
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
    targets: Any = None
    simulation: Any = None  # the running SimulatedPhoton (demo): the executor's tools act on it
    scenario_answers: dict[str, Any] | None = None
    scenario: str | None = None
    verbose: bool = False  # ids beside the titles
    quiet: bool = False  # no progress or "saved" remarks
    session_path: Path | None = None  # --resume of a given session (the demo's resume)
