"""The only module that imports experta: it compiles the validated rules into a RETE network and matches.

Two repairs happen here, once, before and after the import:

* experta 1.9.4 pins ``frozendict==1.2``, which subclasses ``collections.Mapping`` — gone since Python 3.10.
  We alias ``collections.Mapping`` to ``collections.abc.Mapping`` before importing experta, so a plain
  ``pip install photon-doctor`` works on Python 3.10–3.13 (frozendict 2.x, if installed instead, needs nothing).
* experta calls ``logging.basicConfig()`` on import, which would configure the user's root logger; we remove
  the handler it added and restore the root level, so no engine chatter can reach the terminal.

No experta type crosses this module's border: :class:`RuleMatcher` takes the project's ``RuleDef`` objects and
observations and returns plain :class:`Firing` tuples.
"""

from __future__ import annotations

import collections
import collections.abc
import inspect
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import Any

from photon_doctor.foundation.evidence import Observation
from photon_doctor.knowledge.model import RuleDef


@dataclass(frozen=True)
class Firing:
    """One rule that matched: its id and the confidence of each observation it matched, by observation id."""

    rule_id: str
    strengths: tuple[tuple[str, float], ...]


@lru_cache(maxsize=1)
def experta_module() -> ModuleType:
    """Import experta with the frozendict and logging repairs applied (once per process)."""
    if not hasattr(collections, "Mapping"):
        # frozendict 1.2 (experta's pin) does `class frozendict(collections.Mapping)`.
        collections.Mapping = collections.abc.Mapping  # type: ignore[attr-defined]
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    import experta

    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    module: ModuleType = experta
    return module


class RuleMatcher:
    """The rules compiled into one experta ``KnowledgeEngine`` class, built once; ``match`` runs it.

    experta cannot add rules to a running engine, so a new knowledge base means a new matcher.
    ``match`` is serialised with a lock: one engine instance is reused and experta is not thread-safe.
    """

    def __init__(self, rules: Sequence[RuleDef]) -> None:
        experta = experta_module()
        fact_class = type("Obs", (experta.Fact,), {})
        attrs: dict[str, Any] = {}
        for index, rule in enumerate(rules):
            patterns = [
                fact_class(
                    id=cond.obs,
                    value=experta.P(_guard(cond.holds)),
                    confidence=getattr(experta.MATCH, f"c{j}"),
                )
                for j, cond in enumerate(rule.conditions)
            ]
            attrs[f"rule_{index}"] = experta.Rule(*patterns)(_make_rhs(rule))
        engine_class = type("PhotonRules", (experta.KnowledgeEngine,), attrs)
        self._fact_class = fact_class
        self._engine = engine_class()
        self._lock = threading.Lock()

    def match(self, observations: Mapping[str, Observation]) -> list[Firing]:
        """Declare the observations, run the network, return every rule that fired (in firing order)."""
        with self._lock:
            engine = self._engine
            engine.firings = []
            engine.reset()
            for obs in observations.values():
                engine.declare(self._fact_class(id=obs.id, value=obs.value, confidence=float(obs.confidence)))
            engine.run()
            return list(engine.firings)


def _guard(test: Callable[[Any], bool]) -> Callable[[Any], bool]:
    def predicate(value: Any) -> bool:
        # experta freezes lists into its own frozenlist; conditions expect plain tuples.
        if isinstance(value, list):
            value = tuple(value)
        return bool(test(value))

    return predicate


def _rhs_shape(self: Any, **context: float) -> None:
    """The signature every rule's action has (experta reads it to know which bindings to pass: all of them)."""


#: Given to each action up front: experta asks ``inspect.signature`` of the action again for every rewritten copy of
#: a rule while it builds the network (about ten per rule), which was a third of compiling the knowledge.
_RHS_SIGNATURE = inspect.signature(_rhs_shape)


def _make_rhs(rule: RuleDef) -> Callable[..., None]:
    obs_ids = [cond.obs for cond in rule.conditions]

    def rhs(self: Any, **context: float) -> None:
        strengths = tuple((obs_ids[j], float(context[f"c{j}"])) for j in range(len(obs_ids)))
        self.firings.append(Firing(rule.id, strengths))

    rhs.__name__ = rule.id
    rhs.__signature__ = _RHS_SIGNATURE  # type: ignore[attr-defined]
    return rhs
