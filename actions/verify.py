"""Does the device reach the cloud now? (NDF's Validate, expert-systems.md §4.)

With a login and a device id the cloud is asked (``PUT /v1/devices/:id/ping``) until the device answers or
``verify_wait`` passes: a device needs a while to join Wi-Fi and shake hands with the cloud after a reset. Without
them, the person is asked about the LED; with nobody to ask the answer is None, "not known", never a guess.

A check must be able to fail: when the device already answered the cloud before the fix (safe mode, breathing
magenta, is online too), a ping proves nothing, so ``recheck`` (the probes, run again) must also find no sign
of trouble left; when it cannot look, the person's eyes decide (breathing cyan, not magenta).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from photon_doctor.actions.person import Person
from photon_doctor.actions.rig import Rig
from photon_doctor.probes.cloud_client import (
    DEFAULT_API_URL,
    BadToken,
    CloudClient,
    CloudError,
    CloudUnreachable,
    NotFound,
    NotYourDevice,
)

LED_QUESTION = "Does the status LED breathe cyan now (a slow cyan glow, fading in and out)?"
#: The step a record holds when the person's eyes, not the cloud, decided (the report says who saw it).
LED_ASKED = "asked: does the LED breathe cyan?"


@dataclass(frozen=True)
class Verdict:
    """``connected`` is None when it could not be found out; ``steps`` are the checks made (for the record)."""

    connected: bool | None
    detail: str
    steps: tuple[str, ...] = ()


def ask_led(person: Person, why: str) -> Verdict:
    """Ask the person about the LED, saying first why the cloud's word is not enough (``why``)."""
    if person.interactive:
        person.tell(f"  {why[:1].upper()}{why[1:]}.")
    answer = person.choose(LED_QUESTION, {"y": "yes", "n": "no"})
    if answer is None:
        return Verdict(None, f"not verified: {why}, and nobody can be asked about the LED")
    step = (LED_ASKED,)
    if answer == "y":
        return Verdict(True, "the person sees the LED breathing cyan", step)
    return Verdict(False, "the person does not see the LED breathing cyan", step)


def cloud_verdict(rig: Rig, wait: float | None = None) -> Verdict | None:
    """Ping through the cloud until online or ``wait`` passes; None when the cloud cannot be asked (no login or
    no device id, a rejected login, no cloud), and a verdict of None (with the reason) when it answered every
    ping with an error (429, 5xx) until ``wait`` passed: that says nothing about the device."""
    if not rig.token or not rig.device_id:
        return None
    wait = rig.timing.verify_wait if wait is None else wait
    step = (f"PUT /v1/devices/{rig.device_id}/ping (every {rig.timing.poll:g} s, up to {wait:g} s)",)
    deadline = time.monotonic() + wait
    # The cloud's last word about the device; None while it answered only with errors.
    why_not: str | None = None
    hiccup = "no answer"
    with CloudClient(rig.api_url or DEFAULT_API_URL, rig.token, rig.timing.network_timeout) as c:
        while True:
            try:
                if c.ping(rig.device_id):
                    return Verdict(True, "the cloud's ping reached the device: it is online", step)
                why_not = f"the device did not answer the cloud's ping within {wait:g} s"
            except NotYourDevice:
                # The real cloud's 403 covers unclaimed and someone else's devices alike; not yet, perhaps: a
                # device handed a claim code is claimed when it connects (docs/protocols-cloud.md).
                why_not = f"the cloud says the device is not on this account (still, after {wait:g} s)"
            except NotFound:
                why_not = f"the cloud says no account owns the device (still, after {wait:g} s)"
            except (BadToken, CloudUnreachable):
                return None
            except CloudError as exc:  # a hiccup (429, 5xx): try again until the deadline
                hiccup = exc.message
            if time.monotonic() >= deadline:
                if why_not is None:
                    said = f"the cloud answered every ping with an error for {wait:g} s ({hiccup})"
                    return Verdict(None, f"{said}, so it cannot say whether the device is online", step)
                return Verdict(False, why_not, step)
            time.sleep(min(rig.timing.poll, max(deadline - time.monotonic(), 0.0)))


#: Observation values that mean the device is still not right, even when it answers the cloud.
TROUBLE: dict[str, tuple[Any, str]] = {
    "module_dependencies_ok": (False, "its firmware modules' dependencies still fail (safe mode)"),
    "cloud_online": (False, "the cloud says it is offline"),
    "cli_login_ok": (False, "the login is rejected"),
    "cloud_ownership": ("someone_else", "another account owns it"),
}


def trouble(values: Mapping[str, Any]) -> list[str]:
    """The signs of trouble in freshly probed observation values (see :data:`TROUBLE`)."""
    signs = [why for obs, (bad, why) in TROUBLE.items() if obs in values and values[obs] == bad]
    if values.get("cloud_ownership") == "unclaimed":
        signs.append("no account owns it")
    return signs


def verify_connected(
    rig: Rig, person: Person, recheck: Callable[[], list[str] | None] | None = None
) -> Verdict:
    """The cloud's word if it can give one, else the person's. ``recheck`` (given when a ping alone proves
    nothing) returns the signs of trouble left, or None when it could not look."""
    verdict = cloud_verdict(rig)
    if verdict is None:
        why = (
            "no login or no device id to ask the cloud"
            if not (rig.token and rig.device_id)
            else "the cloud cannot say"
        )
        return ask_led(person, why)
    if verdict.connected is None:  # the cloud answered only with errors: the person's eyes decide
        led = ask_led(person, verdict.detail)
        detail = f"{verdict.detail}; {led.detail}" if led.steps else led.detail
        return Verdict(led.connected, detail, verdict.steps + led.steps)
    if not verdict.connected or recheck is None:
        return verdict
    signs = recheck()
    steps = verdict.steps + ("probed the device again (it already answered the cloud before the fix)",)
    if signs:
        return Verdict(False, f"it answers the cloud, but {'; '.join(signs)}", steps)
    if signs is None:
        led = ask_led(person, "it already answered the cloud before the fix, so a ping proves nothing")
        return Verdict(led.connected, f"online; {led.detail}", steps + led.steps)
    return Verdict(True, f"{verdict.detail}, and the probes find no sign of trouble left", steps)
