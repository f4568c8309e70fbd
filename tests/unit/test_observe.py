"""Observe-repair (engine/observe.py): a cheap check before the fixes only where ECO < ECR and an answer changes
the first fix; never a remembered fact; the figures it reports are the planner's own."""

from __future__ import annotations

import dataclasses

import pytest
from photon_doctor.engine.diagnosis import diagnose
from photon_doctor.engine.observe import MIN_SAVING, MIN_SWITCH, check_first, settled_observations
from photon_doctor.engine.planning import plan_fixes
from photon_doctor.engine.questions import value_of
from photon_doctor.foundation.evidence import Observation, ObsValue, Provenance, Source
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.knowledge.model import Kind

KB = load_knowledge()


def _obs(**values: ObsValue) -> dict[str, Observation]:
    return {k: Observation(k, v, 1.0, Provenance(Source.PERSON)) for k, v in values.items()}


THIN = [
    _obs(led_pattern="blinking_green"),
    _obs(led_pattern="breathing_white", recent_device_os_update=True),
    _obs(power_source="battery"),
    _obs(),
]


@pytest.mark.parametrize("observations", THIN)
def test_a_check_is_shown_only_when_it_pays_and_separates(observations: dict[str, Observation]) -> None:
    d = diagnose(KB, observations)
    check = check_first(KB, observations, d)
    if check is None:
        return
    assert check.obs not in observations and check.obs not in settled_observations(KB)
    assert KB.observations[check.obs].cost < d.plan[0].cost
    assert check.eco <= check.ecr - MIN_SAVING and check.ecr == d.ecr
    assert any(p >= MIN_SWITCH and first != d.plan[0].fix for _, p, first in check.outcomes)
    # ECO is the check's cost plus the planner's ECR after each answer, weighted by the answer's chance.
    qv = value_of(KB, observations, d, check.obs)
    assert qv is not None
    total = sum(o.probability for o in qv.outcomes)
    # (each plan with the fixes' chances in the situation the answer makes: a fleet's site visit is for none of these)
    now = {k: o.value for k, o in observations.items()}
    eco = check.cost + sum(
        o.probability
        / total
        * plan_fixes(KB, o.posterior, resolves=KB.resolves_given({**now, check.obs: o.value}))[1]
        for o in qv.outcomes
    )
    assert check.eco == pytest.approx(eco)


@pytest.mark.parametrize("observations", THIN)
def test_thin_evidence_gets_the_check_with_the_least_eco_and_it_saves_ecr_minus_eco(
    observations: dict[str, Observation],
) -> None:
    # Mutation testing: the test above returns early without a check, and never compares the check shown with the
    # others; sorting the candidates or the saving's sign could be broken with every test passing.
    d = diagnose(KB, observations)
    check = check_first(KB, observations, d)
    assert check is not None
    assert check.saving == pytest.approx(check.ecr - check.eco) and check.saving >= MIN_SAVING
    other = check_first(KB, observations, d, {check.obs})
    assert other is None or other.eco >= check.eco


def test_thin_evidence_gets_a_check_that_can_bring_the_device_os_update_first() -> None:
    observations = _obs(led_pattern="blinking_green")  # real-d11: a Device OS update was the fix
    d = diagnose(KB, observations)
    check = check_first(KB, observations, d)
    assert check is not None
    # The dependency check, not the port check: a device still joining Wi-Fi never reaches the cloud connection, so
    # a firewall cannot be what stops it (round 4 chose the port check here, 0.07 min ahead).
    deps = check if check.obs == "module_dependencies_ok" else check_first(KB, observations, d, {check.obs})
    assert deps is not None and deps.obs == "module_dependencies_ok" and check.obs == "module_dependencies_ok"
    firsts = {v: f for v, _, f in deps.outcomes}
    assert firsts[False] == "update_device_os_usb" and d.plan[0].fix != "update_device_os_usb"


def test_no_check_when_the_evidence_already_decides() -> None:
    observations = _obs(
        led_pattern="breathing_white",
        app_blocks_loop=True,
        history_non_automatic_mode=True,
        safe_mode_connects=True,
    )
    d = diagnose(KB, observations)
    assert check_first(KB, observations, d) is None


#: The cloud path's checks: they test what happens after the device joined Wi-Fi and got an address.
CLOUD_PATH_CHECKS = {"port_5683_reachable", "internet_works_on_network"}


@pytest.mark.parametrize(
    ("led", "more"),
    [
        ("blinking_green", {}),
        ("blinking_green", {"other_network_works": True}),
        ("green_then_blinking_blue", {}),
        ("blinking_blue", {}),
        ("fast_blinking_green", {}),
    ],
)
def test_a_device_not_yet_at_the_cloud_connection_gets_no_cloud_path_check(
    led: str, more: dict[str, ObsValue]
) -> None:
    """Device OS connects to the cloud (blinking cyan) only after Wi-Fi and an address; a port check answers a
    question this device never got to ask."""
    observations = _obs(led_pattern=led, **more)
    d = diagnose(KB, observations)
    check = check_first(KB, observations, d)
    assert check is None or check.obs not in CLOUD_PATH_CHECKS
    # ... because the LED itself argues against the causes that act on the cloud path
    none = diagnose(KB, {})
    for cause in ("port_blocked", "network_no_internet", "cloud_outage"):
        assert d.cause(cause).probability < none.cause(cause).probability / 2


def test_a_check_that_would_save_minutes_but_changes_no_first_fix_is_not_shown() -> None:
    """Breathing cyan: asking the cloud whether the device is online would lower the expected minutes (the plan's
    tail reorders after either answer), but both answers leave the same first fix, so the owner has nothing to
    decide on: no check is shown."""
    observations = _obs(led_pattern="breathing_cyan")
    d = diagnose(KB, observations)
    qv = value_of(KB, observations, d, "cloud_online")
    assert qv is not None
    total = sum(o.probability for o in qv.outcomes)
    eco = KB.observations["cloud_online"].cost
    firsts = set()
    for o in qv.outcomes:
        plan, ecr, _ = plan_fixes(
            KB,
            o.posterior,
            set(),
            KB.resolves_given({"led_pattern": "breathing_cyan", "cloud_online": o.value}),
        )
        eco += o.probability / total * ecr
        firsts.add(plan[0].fix)
    assert eco <= d.ecr - MIN_SAVING  # it would pay ...
    assert firsts == {d.plan[0].fix}  # ... but decides nothing
    assert check_first(KB, observations, d) is None


# Second round of mutation testing (docs/reliability.md): inputs on which a broken candidate filter shows a
# different check. Each was found by trying every single answer (and every LED pattern with every yes/no answer).


def test_no_plan_no_check() -> None:
    """Without a fix left to try there is nothing for a check to come before (and no first fix to index)."""
    observations = _obs(led_pattern="blinking_green")
    d = dataclasses.replace(diagnose(KB, observations), plan=())
    assert check_first(KB, observations, d) is None


@pytest.mark.parametrize(
    "values",
    [
        {"port_5683_reachable": False},
        {"led_pattern": "blinking_green", "port_5683_reachable": False},
        {"led_pattern": "breathing_cyan", "module_dependencies_ok": False},
    ],
)
def test_an_answered_check_is_not_proposed_again(values: dict[str, ObsValue]) -> None:
    """Once the port or dependency check was answered, asking it again teaches nothing: never the check shown."""
    observations = _obs(**values)
    check = check_first(KB, observations, diagnose(KB, observations))
    assert check is None or check.obs not in observations


@pytest.mark.parametrize("observations", THIN)
def test_a_check_skipped_is_not_shown(observations: dict[str, Observation]) -> None:
    d = diagnose(KB, observations)
    check = check_first(KB, observations, d)
    assert check is not None
    other = check_first(KB, observations, d, {check.obs})
    assert other is None or other.obs != check.obs


def test_a_check_only_the_owner_can_do_is_shown() -> None:
    """Blinking green, and an external antenna was used before: whether the antenna is still fitted is a look at
    the board (no probe can tell), a minute's work, and a "no" puts selecting the internal antenna first."""
    observations = _obs(led_pattern="blinking_green", history_external_antenna=True)
    d = diagnose(KB, observations)
    check = check_first(KB, observations, d)
    assert check is not None and check.obs == "external_antenna_fitted"
    odef = KB.observations[check.obs]
    assert odef.askable and not odef.probes
    firsts = {v: f for v, _, f in check.outcomes}
    assert firsts[False] == "select_internal_antenna" != d.plan[0].fix


@pytest.mark.parametrize(
    "values",
    [
        {"cloud_online": False},
        {"led_pattern": "blinking_blue", "cloud_online": False},
        {"led_pattern": "fast_blinking_blue", "cloud_online": False},
    ],
)
def test_a_check_as_dear_as_the_first_fix_is_not_shown(values: dict[str, ObsValue]) -> None:
    """The cloud says the device is offline: checks exist that cost as many minutes as the first fix (asking
    whether a firmware release came before the failures); they are not cheap, so never shown."""
    observations = _obs(**values)
    d = diagnose(KB, observations)
    first_cost = d.plan[0].cost
    assert any(
        o.cost == first_cost and o.kind is Kind.BOOL and o.askable and o.id not in observations
        for o in KB.observations.values()
    )
    check = check_first(KB, observations, d)
    assert check is not None and check.cost < first_cost


@pytest.mark.parametrize("led", ["solid_white", "solid_color"])
def test_an_answer_one_time_in_ten_that_changes_the_first_fix_is_enough(led: str) -> None:
    """docs/knowledge-format.md: a check is shown when one answer "at 10 % or more" changes the first fix. Here
    the port check's "blocked" answer comes about one time in nine (between 10 % and 12.5 %) and puts another
    network first: the check is shown."""
    observations = _obs(led_pattern=led)
    d = diagnose(KB, observations)
    qv = value_of(KB, observations, d, "port_5683_reachable")
    assert qv is not None
    total = sum(o.probability for o in qv.outcomes)
    blocked = next(o.probability / total for o in qv.outcomes if o.value is False)
    assert 0.10 <= blocked < 0.125
    check = check_first(KB, observations, d)
    assert check is not None and check.obs == "port_5683_reachable"
    switching = [p for _, p, first in check.outcomes if first != d.plan[0].fix]
    assert switching == [pytest.approx(blocked)]
