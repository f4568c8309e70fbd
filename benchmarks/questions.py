"""Interview speed (issue 8): answer -> next question on the shipped knowledge, and question choice at scale.

    .venv/bin/python benchmarks/questions.py

1. Every interactive evaluation of tests/cases/*.json, timing each step from an answer to the next question
   (diagnose with the new answer + choose the next question): median and p95 in ms.
2. Question choice on synthetic knowledge bases of 100, 1,000 and 5,000 rules (random single- and two-condition
   rules over the shipped observations and causes, fixed seed): ms per choice, and ms per 1,000 rules.
"""

from __future__ import annotations

import dataclasses
import random
import statistics
import time
from pathlib import Path

from photon_doctor.engine.diagnosis import assess, diagnose
from photon_doctor.engine.evidence import Observation
from photon_doctor.engine.questions import candidate_values, next_question, question_def
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.knowledge.model import Condition, Kind, KnowledgeBase, Op, RuleDef

from photon_doctor.evaluate import Oracle, load_cases
from photon_doctor.interview import Interview, _ask

REPO = Path(__file__).resolve().parent.parent


def step_times(kb: KnowledgeBase) -> list[float]:
    cases = load_cases(kb, sorted((REPO / "tests" / "cases").glob("*.json")))
    times = []
    for case in cases:
        interview = Interview(kb)
        oracle = Oracle(kb, case)
        for _ in range(60):
            t0 = time.perf_counter()
            d = diagnose(kb, interview.observations)
            q = next_question(kb, interview.observations, d, interview.skipped)
            times.append((time.perf_counter() - t0) * 1000)
            if q is None:
                break
            _ask(interview, oracle, question_def(kb, interview.observations, q.obs), d, "case")
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
        rules.append(RuleDef(f"syn{i}", rnd.choice(causes), rnd.choice((-0.6, 0.3, 0.5, 0.8)), tuple(conds), "x", "x"))
    return dataclasses.replace(kb, rules=tuple(rules))


def main() -> None:
    kb = load_knowledge()
    times = sorted(step_times(kb))
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"answer -> next question, shipped knowledge ({len(kb.rules)} rules), {len(times)} steps: "
          f"median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms")
    print("| rules | ms per question choice (median of 5) | ms per 1,000 rules |")
    print("|---:|---:|---:|")
    for n in (100, 1000, 5000):
        big = synthetic(kb, n)
        known = {"power_source": Observation("power_source", "battery")}
        d = assess(big, known, [])
        runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            next_question(big, known, d)
            runs.append((time.perf_counter() - t0) * 1000)
        ms = statistics.median(runs)
        print(f"| {n:,} | {ms:.1f} | {ms / n * 1000:.1f} |")


if __name__ == "__main__":
    main()
