"""The one composition root of `diagnose` and `demo`: from the frozen options to what a run acts through.

cli (parsing only) → config (frozen) → **bootstrap** → shell.run_diagnose (probe → interview → core → executor →
verify → Session → render). Here, and only here, the run's effects are built, each once:

- the target: ``Real()`` is this computer's USB, network and the Particle cloud; ``Simulated(scenario)`` starts the
  demo's simulated Photon (and stops it when the run ends);
- the probes (:mod:`photon_doctor.wiring`), built on first use, with the Particle login looked up once;
- for ``--fix``, the rig, the person and the executor (:mod:`photon_doctor.fixing` holds their parts), the rig
  reusing the probes' login.

The shell sees the result through its :class:`~photon_doctor.shell.Wiring` port and builds none of it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photon_doctor.config import DiagnoseOptions, Simulated
from photon_doctor.environment import current, say
from photon_doctor.foundation.errors import UsageError
from photon_doctor.foundation.evidence import Observation
from photon_doctor.knowledge.model import KnowledgeBase

if TYPE_CHECKING:
    from photon_doctor.actions.executor import FixSession
    from photon_doctor.autoprobe import AutoTargets
    from photon_doctor.simulator.photon import SimulatedPhoton


def run(kb: KnowledgeBase, options: DiagnoseOptions) -> int:
    """Wire one run of `diagnose` (or `demo`) from ``options``, run it, and return its exit code."""
    from photon_doctor.sessions import sessions_dir, writable_folder
    from photon_doctor.shell import run_diagnose
    from photon_doctor.wiring import check_flags

    check_flags(options)  # a bad flag is an error even when this run does not probe
    # Where the session will be saved must work before anything is started, probed or asked.
    writable_folder(sessions_dir() if options.session_path is None else options.session_path.parent)
    with wired(kb, options) as wiring:
        return run_diagnose(kb, options, wiring)


@contextmanager
def wired(kb: KnowledgeBase, options: DiagnoseOptions) -> Iterator[Built]:
    """What ``options``' target needs, started for the length of the run: nothing for a real Photon, the simulated
    Photon (a pty and servers on 127.0.0.1) for the demo."""
    target = options.target
    if not isinstance(target, Simulated):
        yield Built(kb, options)
        return
    from photon_doctor.simulator.photon import SimulatedPhoton
    from photon_doctor.simulator.scenarios import get_scenario
    from photon_doctor.wiring import simulated_targets

    try:
        chosen = get_scenario(target.scenario)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    with SimulatedPhoton(chosen) as sim:
        fresh = " (a fresh one: the demo session goes on against it)" if options.resume else ""
        say(f"Simulated Photon '{chosen.name}'{fresh}: {chosen.description}")
        yield Built(kb, options, sim, simulated_targets(sim), sim.person_answers())


@dataclass(frozen=True)
class Built:
    """The run's wiring (the shell's ``Wiring`` port): the demo's simulated Photon, if any, and the probes, each
    built once."""

    kb: KnowledgeBase
    options: DiagnoseOptions
    photon: SimulatedPhoton | None = None
    probes: AutoTargets | None = None  # the demo's, pointed at its simulated Photon
    answers: Mapping[str, Any] | None = None  # what the demo's owner would answer
    _real: list[AutoTargets] = field(default_factory=list, repr=False, compare=False)  # built on first use

    def targets(self) -> AutoTargets:
        """The probes: the demo's, or a real Photon's, built (and the login looked up) on first use only."""
        if self.probes is not None:
            return self.probes
        if not self._real:
            from photon_doctor.wiring import real_targets

            self._real.append(real_targets(self.options))
        return self._real[0]

    def fix(
        self, observations: Mapping[str, Observation], facts: Mapping[str, Any], targets: AutoTargets | None
    ) -> FixSession:
        """``--fix``: build the rig, the person and the executor once and run it. ``targets`` are the probes the
        diagnosis ran, used again to verify and re-plan (their login reused); None when it was not probed."""
        from photon_doctor.actions.executor import Executor
        from photon_doctor.actions.person import Person, SilentPerson, TerminalPerson
        from photon_doctor.actions.tools import Toolbox
        from photon_doctor.fixing import demo_person, real_rig, refresher, simulated_changes, simulated_rig

        options, sim, env = self.options, self.photon, current()
        inner: Person = SilentPerson(env.err) if options.no_input else TerminalPerson.of(env)
        with ExitStack() as stack:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="photon-doctor-fix-")))
            if sim is not None:
                from photon_doctor.simulator.control import SimulatedTools

                ep = sim.endpoints()  # the person's CLI is logged in as the demo's login is
                tools = stack.enter_context(SimulatedTools(sim.world, cli_login=(ep.api_url, ep.token)))
                rig = simulated_rig(sim, Toolbox(path=tools.path, env=tools.env()), facts, workdir)
                person = demo_person(sim, inner)
            else:
                rig = real_rig(options, facts, workdir, targets.context if targets is not None else None)
                person = inner
            refresh = refresher(self.kb, targets, rig, person) if targets is not None else None
            before = sim.state() if sim is not None else None
            session = Executor(self.kb, rig, person, options.policy(), refresh).run(observations)
            if sim is not None and before is not None:
                session.notes["simulated_device"] = simulated_changes(before, sim.state())
            return session
        raise AssertionError("unreachable")  # pragma: no cover - the with block returns
