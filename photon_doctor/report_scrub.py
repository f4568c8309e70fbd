"""The report's own defence against secrets, on top of :mod:`photon_doctor.foundation.redact`.

A report is made to be pasted into a forum, so it does not rely on secrets having been registered where they
entered the program (that happened in another process, maybe on another day). Three layers, each applied to
every string that reaches a report:

1. registered secrets, ``Bearer`` headers and secret query parameters (:func:`photon_doctor.foundation.redact.redact`);
2. values under secret-looking keys (``token``, ``password``, ``claim_code``, ``Authorization``...) are masked
   whatever they hold;
3. secret-looking text: ``--token X`` / ``--password X`` options, ``password=X`` / ``"token": "X"`` pairs,
   ``Authorization: Basic X`` headers, 40-hex-digit strings (the shape of a Particle access token) and
   63-character runs of base64 letters (the shape of a Particle claim code).

:func:`scrub` and :func:`scrub_text` work on content, before it is rendered; :func:`scrub_page` is the last pass
over a whole rendered page, limited to what cannot eat into markup.
"""

from __future__ import annotations

import re
from typing import Any

from photon_doctor.foundation.redact import MASK, SECRET_KEYS, redact

#: Fragments that make a key secret-looking (matched against the lower-cased key).
_SECRET_KEY_PARTS = (
    "token",
    "password",
    "passwd",
    "passphrase",
    "secret",
    "claim_code",
    "claimcode",
    "authorization",
    "api_key",
    "apikey",
    "cookie",
    "credential",
)
_SECRET_WORDS = (
    r"(?:access_token|refresh_token|token|password|passwd|pwd|passphrase|psk|claim_code|claimcode|"
    r"device_secret|mobile_secret)"
)
_NOT_MASKED = r"(?!" + re.escape(MASK) + r")"  # so that scrubbing twice changes nothing
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Command-line options: --token X, --password=X, --claim-code X (-p X is too ambiguous to guess at).
    (
        re.compile(
            r"(--(?:access-)?(?:token|password|passphrase|claim-code)(?:=|\s+))"
            + _NOT_MASKED
            + r"(\"[^\"]*\"|'[^']*'|\S+)",
            re.IGNORECASE,
        ),
        r"\1" + MASK,
    ),
    # key=value and "key": "value" pairs (JSON, form bodies, log lines).
    (
        re.compile(
            r"(\b" + _SECRET_WORDS + r"[\"']?\s*[:=]\s*[\"']?)" + _NOT_MASKED + r"([^\s\"'&,;}\]]+)",
            re.IGNORECASE,
        ),
        r"\1" + MASK,
    ),
    (
        re.compile(
            r"(Authorization:\s*(?:(?:Basic|Bearer|Token)\s+)?)"
            + _NOT_MASKED
            + r"(?!(?:Basic|Bearer|Token)\b)[^\s\"']+",
            re.IGNORECASE,
        ),
        r"\1" + MASK,
    ),
)
#: Shapes that cannot reach into markup, so they are also safe on a rendered page: a Particle access token is
#: 40 hex digits, a claim code 63 characters of the base64 alphabet.
_SHAPES: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?<![0-9A-Fa-f])[0-9a-f]{40}(?![0-9A-Fa-f])"),
    re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{63}(?![A-Za-z0-9+/=])"),
)


def secret_key(key: object) -> bool:
    """True when a field named ``key`` holds a secret, by name alone."""
    k = str(key).lower().replace("-", "_")
    return k in SECRET_KEYS or k == "psk" or any(part in k for part in _SECRET_KEY_PARTS)


#: What a rendered page is split on before its last pass: HTML tags, Markdown code fences and table borders.
_MARKUP = re.compile(r"(<[^>]*>|`+|\|)")


def _scrub_shapes(text: str) -> str:
    text = redact(text)
    for shape in _SHAPES:
        text = shape.sub(MASK, text)
    return text


def scrub_page(text: str) -> str:
    """The last pass over a rendered page: registered secrets, bearer tokens, secret query parameters and token
    or claim-code shapes, in the text between the markup (a masked value must not swallow a closing tag)."""
    parts = _MARKUP.split(text)
    return "".join(p if i % 2 else _scrub_shapes(p) for i, p in enumerate(parts))


def scrub_text(text: str) -> str:
    """Mask registered secrets and secret-looking text in one piece of content."""
    text = _scrub_shapes(text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def scrub(obj: Any) -> Any:
    """Scrub JSON-like data: mask values under secret-looking keys, scrub every string (keys included)."""
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for k, v in obj.items():
            masked = secret_key(k) and v not in (None, "") and not isinstance(v, bool)
            out[scrub_text(str(k))] = MASK if masked else scrub(v)
        return out
    if isinstance(obj, (list, tuple)):
        return [scrub(v) for v in obj]
    if isinstance(obj, str):
        return scrub_text(obj)
    return obj
