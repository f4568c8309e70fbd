"""photon-doctor: find out why a Particle Photon will not reach the cloud, and fix it.

The import package maps the project's top-level folders: ``photon_doctor.knowledge`` (knowledge/),
``photon_doctor.engine`` (engine/, the pure diagnosis core), ``photon_doctor.probes`` (probes/),
``photon_doctor.simulator`` (simulator/), ``photon_doctor.actions`` (actions/) and
``photon_doctor.graph`` (graph/). This module itself is the shell: the CLI and its composition root.
"""

from __future__ import annotations

__version__ = "0.1.0"
