"""Diagnose each distinct observation set once, in this process, on local processes, or on a Dask cluster.

The work unit is a chunk of distinct keys (:mod:`photon_doctor.fleet_observe`); the worker function
:func:`diagnose_chunk` is a plain top-level function that loads the knowledge base once per worker process and
calls the project's core, :func:`photon_doctor.engine.diagnosis.diagnose`. Local processes and Dask run it the
same way: through a ``concurrent.futures.Executor`` (``ProcessPoolExecutor``, or Dask's
``Client.get_executor()``), so there is one code path.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from photon_doctor.engine.diagnosis import diagnose
from photon_doctor.fleet_observe import Key, observations_of
from photon_doctor.foundation.errors import DeviceError, UsageError
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.knowledge.model import KnowledgeBase

#: Below this many distinct sets, starting worker processes costs more than it saves: diagnose in-process.
INLINE_BELOW = 64
#: Keys per task sent to a worker.
CHUNK = 32
#: How many causes are kept per verdict.
TOP = 3
#: How many times its base rate the evidence must make a cause before it counts as a device's likely cause.
SUPPORT = 2.0


@dataclass(frozen=True)
class Verdict:
    """The diagnosis of one observation set, reduced to what the fleet report needs: (cause id, certainty)."""

    causes: tuple[tuple[str, float], ...]  # supported causes with positive certainty, best first, at most TOP
    clear: bool  # the leading cause is clear (certain enough and well ahead)

    @property
    def leading(self) -> str | None:
        return self.causes[0][0] if self.causes else None


@lru_cache(maxsize=4)
def _worker_kb(knowledge_dir: str | None) -> KnowledgeBase:
    return load_knowledge(knowledge_dir)


def verdict_of(kb: KnowledgeBase, key: Key) -> Verdict:
    """Diagnose one key with the core. Only causes the evidence supports count (at least SUPPORT times their
    base rate): a device the cloud tells nothing about has no likely cause, not the likeliest base rate."""
    d = diagnose(kb, observations_of(key))
    ranked = [c for c in d.ranked if c.probability >= SUPPORT * c.prior][:TOP]
    return Verdict(tuple((c.id, c.certainty) for c in ranked), d.leading_clear)


def diagnose_chunk(knowledge_dir: str | None, keys: Sequence[Key]) -> list[Verdict]:
    """The worker: load the knowledge (once per process) and diagnose each key."""
    kb = _worker_kb(knowledge_dir)
    return [verdict_of(kb, key) for key in keys]


def executor_for(dask: str | None, workers: int | None = None) -> AbstractContextManager[Executor]:
    """A context manager giving the executor: Dask's (``dask`` = scheduler address) or a local process pool.

    Raises :class:`UsageError` when Dask is asked for but not installed, :class:`DeviceError` when the scheduler
    cannot be reached.
    """
    if dask is None:
        return ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1)
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--dask needs Dask: pip install 'photon-doctor[dask]'") from None
    try:
        client = Client(dask, timeout=10, set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as exc:
        raise DeviceError(f"cannot reach the Dask scheduler at {dask}: {type(exc).__name__}") from None
    return _DaskExecutor(client)


class _DaskExecutor(AbstractContextManager[Executor]):
    """Dask's concurrent.futures executor; closes the client on exit."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __enter__(self) -> Executor:
        executor: Executor = self._client.get_executor()
        return executor

    def __exit__(self, *exc: object) -> None:
        self._client.close()


def diagnose_distinct(
    keys: Sequence[Key],
    knowledge_dir: str | Path | None,
    kb: KnowledgeBase,
    executor: Callable[[], AbstractContextManager[Executor]] | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[Key, Verdict]:
    """A verdict for every distinct key.

    ``executor`` makes the executor (see :func:`executor_for`); None, or fewer than :data:`INLINE_BELOW` keys with
    no executor forced, diagnoses in this process with ``kb``. ``progress`` is called with the number of keys done.
    """
    verdicts: dict[Key, Verdict] = {}
    if executor is None or not keys:
        for key in keys:
            verdicts[key] = verdict_of(kb, key)
            if progress is not None:
                progress(1)
        return verdicts
    where = None if knowledge_dir is None else str(knowledge_dir)
    chunks = [list(keys[i : i + CHUNK]) for i in range(0, len(keys), CHUNK)]
    with executor() as pool:
        for chunk, results in zip(chunks, pool.map(diagnose_chunk, [where] * len(chunks), chunks)):
            verdicts.update(zip(chunk, results))
            if progress is not None:
                progress(len(chunk))
    return verdicts


def local_or_inline(
    count: int, dask: str | None, workers: int | None
) -> Callable[[], AbstractContextManager[Executor]] | None:
    """The executor factory to use for ``count`` distinct keys: Dask if asked, processes if worth it, else None."""
    if dask is not None:
        return lambda: executor_for(dask, workers)
    if count < INLINE_BELOW or (workers or os.cpu_count() or 1) <= 1:
        return None
    return lambda: executor_for(None, workers)


__all__ = ["Verdict", "diagnose_chunk", "diagnose_distinct", "executor_for", "local_or_inline"]
