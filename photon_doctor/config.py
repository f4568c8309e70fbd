"""What a run of `diagnose` (or `demo`) was asked to do, as the command line parsed it: frozen, made once by the
CLI and never changed (a derived setting, such as ``--dry-run`` implying ``--fix``, is a new value).

The composition root (:mod:`photon_doctor.bootstrap`) builds the run from it, and the shell
(:mod:`photon_doctor.shell`), the probe sets (:mod:`photon_doctor.wiring`) and the fix parts
(:mod:`photon_doctor.fixing`) read it; it imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from photon_doctor.actions.consent import Policy


@dataclass(frozen=True)
class Real:
    """A real Photon on USB, its SoftAP, the Particle cloud and this computer's network: the composition root builds
    the probes and the rig from the options (:func:`photon_doctor.wiring.real_targets`,
    :func:`photon_doctor.fixing.real_rig`)."""


@dataclass(frozen=True)
class Simulated:
    """The demo's simulated Photon running the scenario named ``scenario``: the composition root
    (:mod:`photon_doctor.bootstrap`) starts it for the run, points the probes at it, gives the fixes its stand-in
    tools and the interview its owner's answers, and stops it at the end."""

    scenario: str


#: What a run diagnoses.
Targets = Real | Simulated


class Output(Enum):
    """What the result is printed as on stdout: words or one JSON object.

    Words are rich tables on a colour terminal and plain text when piped: the environment decides that when it
    prints (:mod:`photon_doctor.environment`), not the command line. ``--quiet`` (no progress remarks on stderr)
    and ``--verbose`` (ids beside the titles) go with either, so they stay flags of their own.
    """

    TEXT = "text"  # the diagnosis, the plan and the outcome in words
    JSON = "json"  # --json: one JSON object (docs/json-output.md)


@dataclass(frozen=True)
class DiagnoseOptions:
    """The options of one run: the flags of ``diagnose`` (or ``demo``) and the ``target``."""

    answers: tuple[str, ...] = ()
    answers_file: Path | None = None
    no_input: bool = False
    output: Output = Output.TEXT
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
    target: Targets = Real()
    verbose: bool = False  # ids beside the titles
    quiet: bool = False  # no progress or "saved" remarks
    session_path: Path | None = None  # --resume of a given session (the demo's resume)

    @property
    def as_json(self) -> bool:
        """Whether the result is one JSON object on stdout (``--json``)."""
        return self.output is Output.JSON

    @property
    def simulated(self) -> Simulated | None:
        """The simulated Photon of the demo, or None for a real one."""
        return self.target if isinstance(self.target, Simulated) else None

    @property
    def scenario(self) -> str | None:
        """The demo's scenario (kept in the session, so that ``--resume`` starts a fresh simulator)."""
        return self.target.scenario if isinstance(self.target, Simulated) else None

    @property
    def fixing(self) -> bool:
        """Whether fixes follow the diagnosis: ``--fix``, or ``--dry-run`` (which shows what ``--fix`` would do)."""
        return self.fix or self.dry_run

    def policy(self) -> Policy:
        """What the consent flags allow."""
        return Policy(
            yes=self.yes,
            allow_erase=self.allow_erase,
            allow_irreversible=self.allow_irreversible,
            dry_run=self.dry_run,
        )
