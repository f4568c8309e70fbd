"""The report's own defence against secrets (photon_doctor/report_scrub.py): secret-looking keys and the last pass
over a rendered page.

Written after mutation testing: dropping any one of the secret-looking key fragments, the ``-`` to ``_`` folding,
``psk``, the scrubbing of keys, or scrubbing the markup instead of the text between it left every test passing.
"""

from __future__ import annotations

import pytest
from photon_doctor.foundation.redact import MASK, register_secret

from photon_doctor.report_scrub import scrub, scrub_page, scrub_text, secret_key

#: Field names as they appear in HTTP headers, JSON bodies, CLI configs and router pages.
SECRET_NAMES = [
    "access_token",
    "refresh_token",
    "Token",
    "password",
    "wifi_passwd",
    "wifi_passphrase",
    "client_secret",
    "device_claim_code",
    "claim-code",
    "claimCode",
    "Authorization",
    "X-Api-Key",
    "apikey",
    "Cookie",
    "credentials",
    "psk",
]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_a_secret_looking_field_is_masked_whatever_it_holds(name: str) -> None:
    assert secret_key(name)
    assert scrub({name: "plain-value-81", "ssid": "HomeNet"}) == {name: MASK, "ssid": "HomeNet"}


@pytest.mark.parametrize("name", ["ssid", "device_id", "security", "channel", "led_pattern"])
def test_an_ordinary_field_is_kept(name: str) -> None:
    assert not secret_key(name)
    assert scrub({name: "HomeNet"}) == {name: "HomeNet"}


def test_a_yes_or_no_under_a_secret_looking_key_is_kept_it_says_whether_there_is_one() -> None:
    assert scrub({"has_password": True, "token": False}) == {"has_password": True, "token": False}


def test_a_secret_in_a_key_is_masked_too() -> None:
    secret = "Kh-Private-2290"  # registered, but not secret-looking by its name
    register_secret(secret)
    assert scrub({f"notes {secret}": 1}) == {f"notes {MASK}": 1}


def test_a_psk_pair_in_text_is_masked() -> None:
    assert scrub_text("wpa psk=hunter2-long-77 ok") == f"wpa psk={MASK} ok"


def test_the_page_pass_masks_token_shapes_between_the_markup_and_leaves_the_markup_alone() -> None:
    token = "0123456789abcdef0123456789abcdef01234567"  # 40 hex digits: a Particle access token's shape
    page = f'<p class="n">token {token}</p>\n| {token} |\n`{token}`'
    assert scrub_page(page) == f'<p class="n">token {MASK}</p>\n| {MASK} |\n`{MASK}`'
    plain = '<a href="https://docs.particle.io/x?y=1">docs</a>'
    assert scrub_page(plain) == plain
