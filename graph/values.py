"""Candidate values for reasoning about conditions without solving them: one value from every region that
matters.

For a set of conditions on one observation, the candidates include a value from every region of the value
space in which all those conditions are constant (each threshold, each gap between thresholds, each end),
so "some value satisfies all of them" and "every value accepted by these is accepted by those" are decided
exactly by testing the candidates with :meth:`Condition.holds`:

- enum: the observation's choices; bool: yes and no;
- number: every constant, the midpoints between them, and one beyond each end;
- version: every constant, the next version after each (in ``version_key`` order) and the lowest version;
- fixes tried: every subset of the fixes the conditions name (with and without one more fix), and the exact
  lists of ``is`` conditions.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations, pairwise

from photon_doctor.foundation.evidence import ObsValue
from photon_doctor.knowledge.model import Condition, Kind, ObservationDef, Op, version_key

#: A fix id no knowledge base uses, standing for "some other fix" in the subsets of tried fixes.
OTHER_FIX = "\x00other-fix"
#: Above this many named fixes, subsets are limited to pairs (never reached by a sensible knowledge base).
MAX_SUBSET_FIXES = 10


def candidate_values(odef: ObservationDef, conditions: Iterable[Condition]) -> tuple[ObsValue, ...]:
    """Values of ``odef`` that represent every region in which ``conditions`` are all constant."""
    conds = [c for c in conditions if c.obs == odef.id]
    if odef.kind is Kind.ENUM:
        return tuple(odef.choices)
    if odef.kind is Kind.BOOL:
        return (True, False)
    if odef.kind is Kind.NUMBER:
        return _numbers(conds)
    if odef.kind is Kind.VERSION:
        return _versions(conds)
    return _fix_lists(conds)


def _numbers(conds: list[Condition]) -> tuple[ObsValue, ...]:
    points = sorted({float(c.value) for c in conds})
    if not points:
        return (0.0,)
    values = [points[0] - 1.0, *points, points[-1] + 1.0]
    values += [(a + b) / 2 for a, b in pairwise(points)]
    return tuple(values)


def _versions(conds: list[Condition]) -> tuple[ObsValue, ...]:
    texts = list(dict.fromkeys(str(c.value) for c in conds))
    keys = {version_key(t) for t in texts}
    # Each threshold, the next version after each (so every gap between thresholds is represented), the
    # lowest.
    regions = keys | {_successor(k) for k in keys} | {LOWEST_VERSION_KEY}
    values: list[ObsValue] = list(texts)
    for key in sorted(regions):
        values += spellings(key)
    return tuple(dict.fromkeys(values))


#: The smallest ``version_key`` there is ("0.0.0-0").
LOWEST_VERSION_KEY = (0, 0, 0, 0)


def spellings(key: tuple[int, ...]) -> list[str]:
    """Two version strings with the same ``key``: ``is``/``is_not`` compare the text, not the key."""
    canonical = key_to_version(key)
    return [canonical, canonical + "+lint" if key[-1] else canonical[:-1] + "1"]


def key_to_version(key: tuple[int, ...]) -> str:
    """A version string whose ``version_key`` is ``key`` (4 items: a.b.c[-pre]; 5 items: a.b.c.d[-pre])."""
    *nums, release = key
    text = ".".join(map(str, nums))
    return text if release else f"{text}-0"


def _successor(key: tuple[int, ...]) -> tuple[int, ...]:
    """The smallest ``version_key`` greater than ``key``: nothing lies between them."""
    if len(key) == 4:  # a.b.c (release flag r): a.b.c.r-pre extends it and is the next key up
        return (*key, 0)
    a, b, c, d, release = key
    if release == 0:
        return (a, b, c, d, 1)
    if d == 0:
        return (a, b, c, 1)  # a.b.c.0 sorts just before the release a.b.c (whose key ends in 1)
    return (a, b, c, d + 1, 0)


def _fix_lists(conds: list[Condition]) -> tuple[ObsValue, ...]:
    named: dict[str, None] = {}
    exact: list[tuple[str, ...]] = []
    for c in conds:
        if c.op is Op.IS:
            exact.append(tuple(c.value))
            named.update(dict.fromkeys(c.value))
        else:
            named[str(c.value)] = None
    ids = list(named)
    sizes = range(len(ids) + 1) if len(ids) <= MAX_SUBSET_FIXES else range(3)
    values: list[ObsValue] = list(exact)
    for n in sizes:
        for subset in combinations(ids, n):
            values += [subset, (*subset, OTHER_FIX)]
    return tuple(dict.fromkeys(values))


def satisfiable(odef: ObservationDef, conditions: Iterable[Condition]) -> bool:
    """True if some value of ``odef`` satisfies every one of ``conditions`` (all on ``odef``)."""
    conds = list(conditions)
    return any(all(c.holds(v) for c in conds) for v in candidate_values(odef, conds))


def implies(odef: ObservationDef, specific: Iterable[Condition], general: Iterable[Condition]) -> bool:
    """True if every value of ``odef`` satisfying all of ``specific`` also satisfies all of ``general``."""
    spec, gen = list(specific), list(general)
    return all(
        all(c.holds(v) for c in gen)
        for v in candidate_values(odef, spec + gen)
        if all(c.holds(v) for c in spec)
    )
