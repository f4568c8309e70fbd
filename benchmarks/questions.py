"""Interview speed (issue 8): answer -> next question on the shipped knowledge, and question choice at scale.

    .venv/bin/python benchmarks/questions.py [RUNS]

1. Every interactive evaluation of tests/cases/*.json through the real interview loop, timing each step from an
   answer to the next question (diagnose with the new answer + choose the next question): median and p95 in ms.
   Uses only interfaces that main a9ba474 also has, so the same file measures the code before issue 8.
2. Question choice on synthetic knowledge bases of 100, 1,000 and 5,000 rules (random single- and two-condition
   rules over the shipped observations and causes, fixed seed): ms per choice, and ms per 1,000 rules.
3. Choosing the check shown before the plan (observe-repair), once per batch diagnosis of tests/cases/*.json.
"""

from __future__ import annotations

import dataclasses
import random
import statistics
import sys
import time
from pathlib import Path

from photon_doctor.engine.diagnosis import assess
from photon_doctor.engine.questions import candidate_values, next_question
from photon_doctor.foundation.evidence import Observation, Source
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.knowledge.model import Condition, Kind, KnowledgeBase, ObservationDef, Op, RuleDef

from photon_doctor.evaluate import Case, Oracle, load_cases
from photon_doctor.interview import Interview, run

REPO = Path(__file__).resolve().parent.parent


class TimingOracle(Oracle):
    """The evaluate oracle, noting the time from each answer it gives to the next question it is asked."""

    def __init__(self, kb: KnowledgeBase, case: Case, times: list[float]) -> None:
        super().__init__(kb, case)
        self.times = times
        self.answered_at: float | None = None

    def answer(self, odef: ObservationDef, number: int) -> str:
        if self.answered_at is not None:
            self.times.append((time.perf_counter() - self.answered_at) * 1000)
        reply = super().answer(odef, number)
        self.answered_at = time.perf_counter()
        return reply


def step_times(kb: KnowledgeBase) -> list[float]:
    """Answer -> next question, through the real interview loop, for every interactive evaluation step."""
    cases = load_cases(kb, sorted((REPO / "tests" / "cases").glob("*.json")))
    times: list[float] = []
    for case in cases:
        run(Interview(kb), TimingOracle(kb, case, times), source=Source.CASE)
    return times


def synthetic(kb: KnowledgeBase, n: int, seed: int = 8) -> KnowledgeBase:
    rnd = random.Random(seed)
    obs = [o for o in kb.observations.values() if o.kind in (Kind.ENUM, Kind.BOOL)]
    causes = list(kb.causes)
    rules = []
    for i in range(n):
        conds = []
        for o in rnd.sample(obs, rnd.choice((1, 2))):
            conds.append(Condition(o.id, Op.IS, rnd.choice(candidate_values(kb, o))))
        rules.append(
            RuleDef(f"syn{i}", rnd.choice(causes), rnd.choice((-0.6, 0.3, 0.5, 0.8)), tuple(conds), "x", "x")
        )
    return dataclasses.replace(kb, rules=tuple(rules))


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    kb = load_knowledge()
    times = sorted(step_times(kb))
    p95 = times[int(0.95 * (len(times) - 1))]
    print(
        f"answer -> next question, shipped knowledge ({len(kb.rules)} rules), {len(times)} steps: "
        f"median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms"
    )
    print(f"| rules | ms per question choice (median of {runs}) | ms per 1,000 rules |")
    print("|---:|---:|---:|")
    for n in (100, 1000, 5000):
        big = synthetic(kb, n)
        known = {"power_source": Observation("power_source", "battery")}
        d = assess(big, known, [])
        samples = []
        for _ in range(runs):
            t0 = time.perf_counter()
            next_question(big, known, d)
            samples.append((time.perf_counter() - t0) * 1000)
        ms = statistics.median(samples)
        print(f"| {n:,} | {ms:.1f} | {ms / n * 1000:.1f} |")
    check_times(kb)


def check_times(kb: KnowledgeBase) -> None:
    """3. Observe-repair (engine/observe.py, round 2 of issue 8): the time to choose the check shown before the plan,
    once per batch diagnosis of tests/cases/*.json. Skipped on code that has no engine/observe.py."""
    try:
        from photon_doctor.engine.observe import check_first
    except ImportError:
        return
    from photon_doctor.engine.diagnosis import diagnose

    times = []
    for case in load_cases(kb, sorted((REPO / "tests" / "cases").glob("*.json"))):
        d = diagnose(kb, case.observations)
        t0 = time.perf_counter()
        check_first(kb, case.observations, d)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print(
        f"check before the plan (observe-repair), {len(times)} diagnoses: median {statistics.median(times):.1f} ms, "
        f"max {times[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
