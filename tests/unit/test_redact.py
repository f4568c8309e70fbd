"""`foundation.redact`: what every session, log line, trace and JSON output goes through before it is written.

Written after mutation testing: dropping any of the secret keys, the dict, list or string branch of ``redact_obj``,
the longest-first order of the registered secrets or the short-value cut-off left every test passing.
Secrets registered here are process-wide, so each one is a string no other test writes.
"""

from __future__ import annotations

from typing import Any

import pytest
from photon_doctor.foundation.redact import MASK, redact, redact_obj, register_secret

#: The fields that hold a secret whatever their value: the Particle login (access_token, and the CLI's `token`),
#: a Wi-Fi password as people name it and as the SoftAP configure-ap body names it (`pwd`, docs/protocols-softap.md),
#: the claim code (`claim_code`; SoftAP's `set` body calls it `cc`) and the device's own secrets.
SECRET_FIELDS = (
    "access_token",
    "token",
    "password",
    "pwd",
    "passphrase",
    "claim_code",
    "cc",
    "device_secret",
    "mobile_secret",
)


@pytest.mark.parametrize("key", SECRET_FIELDS)
def test_a_value_under_a_secret_key_is_masked_though_nobody_registered_it(key: str) -> None:
    value = f"unregistered-{key}-value-31"
    data = {"network": {key: value, "ssid": "HomeNet"}, "steps": [{key: value}]}
    out = redact_obj(data)
    assert out == {"network": {key: MASK, "ssid": "HomeNet"}, "steps": [{key: MASK}]}
    assert value not in str(out)


@pytest.mark.parametrize("key", ["Password", "ACCESS_TOKEN", "Claim_Code"])
def test_secret_keys_are_recognised_whatever_their_case(key: str) -> None:
    assert redact_obj({key: "mixed-case-secret-77"}) == {key: MASK}


@pytest.mark.parametrize("empty", [None, ""])
def test_an_empty_secret_field_stays_empty_so_the_output_still_says_none_was_given(empty: Any) -> None:
    assert redact_obj({"password": empty, "token": empty}) == {"password": empty, "token": empty}


def test_every_string_inside_lists_and_tuples_is_scrubbed_and_other_values_kept() -> None:
    secret = "Tuple-Held-Secret-5150"
    register_secret(secret)
    data = {"commands": [f"particle login --token {secret}", (f"echo {secret}", 3)], "n": 2.5, "ok": True}
    assert redact_obj(data) == {
        "commands": [f"particle login --token {MASK}", [f"echo {MASK}", 3]],
        "n": 2.5,
        "ok": True,
    }
    assert redact_obj(f"said {secret}") == f"said {MASK}"


def test_a_longer_secret_is_masked_whole_even_when_a_shorter_one_is_part_of_it() -> None:
    short, longer = "Nested-Pw-88", "Nested-Pw-88-and-more-19"
    register_secret(short)
    register_secret(longer)
    assert redact(f"a {longer} b {short} c") == f"a {MASK} b {MASK} c"


def test_values_under_four_characters_are_not_registered_four_and_more_are() -> None:
    # Too short to be a secret, and masking them would eat ordinary words ("abc") everywhere.
    register_secret("Q7z")
    register_secret(None)
    register_secret("")
    assert redact("code Q7z") == "code Q7z"
    register_secret("Q7zW")
    assert redact("code Q7zW") == f"code {MASK}"


@pytest.mark.parametrize(
    "token",
    ["abc123", "eyJhbGciOi.J9-_x~y+z/w=", "a.b.c"],
)
@pytest.mark.parametrize("space", [" ", "  ", "\t"])
def test_a_bearer_token_is_masked_whole_whatever_its_characters(token: str, space: str) -> None:
    assert redact(f"Authorization: Bearer{space}{token}\n") == f"Authorization: Bearer{space}{MASK}\n"


@pytest.mark.parametrize("name", ["access_token", "token", "claim_code"])
def test_a_secret_query_parameter_is_masked_up_to_the_next_parameter(name: str) -> None:
    url = f"https://api.particle.io/v1/devices?{name}=QvAl-903&x=1"
    assert redact(url) == f"https://api.particle.io/v1/devices?{name}={MASK}&x=1"
