"""Keeping secrets out of output: access tokens, Wi-Fi passwords, claim codes, device secrets.

Every place that turns data into text for a person, a log, a trace or a report goes through
:func:`redact` (for strings) or :func:`redact_obj` (for JSON-like data). Secrets are registered once, where
they enter the program (the token loader, the password prompt, the claim-code request), and are then scrubbed
wherever they appear.
"""

from __future__ import annotations

import re
import threading
from typing import Any

MASK = "[redacted]"
_lock = threading.Lock()
_secrets: set[str] = set()

#: Keys whose values are always secret, whatever they hold.
SECRET_KEYS = frozenset(
    {
        "access_token",
        "token",
        "password",
        "pwd",
        "passphrase",
        "claim_code",
        "cc",
        "device_secret",
        "mobile_secret",
    }
)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+")
_QUERY = re.compile(r"((?:access_token|token|claim_code)=)[^&\s\"']+")


def register_secret(value: str | None) -> None:
    """Remember a secret so that :func:`redact` removes it from any text later. Short values are ignored."""
    if value and len(value) >= 4:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """Return ``text`` with every registered secret, bearer token and secret query parameter masked."""
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for s in known:
        if s in text:
            text = text.replace(s, MASK)
    text = _BEARER.sub(r"\1" + MASK, text)
    return _QUERY.sub(r"\1" + MASK, text)


def redact_obj(obj: Any) -> Any:
    """Redact a JSON-like structure: values under secret keys are masked, every string is scrubbed."""
    if isinstance(obj, dict):
        return {
            k: (MASK if str(k).lower() in SECRET_KEYS and v not in (None, "") else redact_obj(v))
            for k, v in obj.items()
        }
    if isinstance(obj, (list, tuple)):
        return [redact_obj(v) for v in obj]
    if isinstance(obj, str):
        return redact(obj)
    return obj
