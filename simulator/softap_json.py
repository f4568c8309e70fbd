"""How the Photon's SoftAP reads a JSON request: jsmn tokens, values kept raw (``hal/src/photon/softap.cpp``).

The device does not decode JSON the way a JSON library does (docs/protocols-softap.md, Device OS v2.3.1):

* ``json_tokenise`` ignores jsmn's "partial" result, so a body cut short before its closing ``}`` still
  parses. softap-setup-js declares the body length in JavaScript characters, one short in bytes per
  2-byte UTF-8 character, so a non-ASCII SSID arrives without its ``}`` and is accepted.
* ``json_token_tostr`` only cuts the string out: escapes are not decoded (``\\"`` keeps its backslash).
* ``parse_json_request`` fails (no reply at all) on a key the command does not know or a value of the wrong
  kind (a string where a primitive is expected, or the reverse; an object or array anywhere).
"""

from __future__ import annotations

from dataclasses import dataclass

_WHITESPACE = " \t\r\n"
_ESCAPES = '"/\\bfrnt'


@dataclass(frozen=True)
class Token:
    """One value: ``text`` is the raw characters between the quotes (strings) or the primitive as written."""

    text: str
    is_string: bool


def parse_request(body: bytes, types: dict[str, bool]) -> dict[str, Token] | None:
    """The request's keys and raw values, or None where the device answers nothing (result -1 in
    ``parse_json_request``). ``types`` maps each key the command knows to True (string) or False
    (primitive)."""
    tokens = _tokenise(body.decode("utf-8", "replace"))
    if tokens is None or len(tokens) % 2:
        return None
    request: dict[str, Token] = {}
    for key, value in zip(tokens[::2], tokens[1::2]):
        if not key.is_string or key.text not in types or types[key.text] != value.is_string:
            return None
        request[key.text] = value
    return request


def _tokenise(text: str) -> list[Token] | None:
    """The tokens inside one top-level object; None for what jsmn rejects or the device cannot use."""
    i = _skip(text, 0)
    if i >= len(text) or text[i] != "{":
        return None
    tokens: list[Token] = []
    i += 1
    while True:
        i = _skip(text, i, ",:")
        if i >= len(text) or text[i] == "}":
            return tokens  # the closing brace, or a body cut short before it (jsmn's ignored "partial")
        if text[i] in "{[]":
            return None  # nested values: no key of any command takes one
        if text[i] == '"':
            end = _string_end(text, i + 1)
            if end is None:
                return None  # a string cut short: its token never existed
            tokens.append(Token(text[i + 1 : end], True))
            i = end + 1
        else:
            start = i
            while i < len(text) and text[i] not in _WHITESPACE + ",:}]":
                i += 1
            tokens.append(Token(text[start:i], False))


def _skip(text: str, i: int, also: str = "") -> int:
    while i < len(text) and text[i] in _WHITESPACE + also:
        i += 1
    return i


def _string_end(text: str, i: int) -> int | None:
    """Index of the closing quote of a string starting at ``i``; None if cut short or badly escaped (jsmn)."""
    while i < len(text):
        c = text[i]
        if c == '"':
            return i
        if c == "\\":
            if i + 1 >= len(text):
                return None
            nxt = text[i + 1]
            if nxt == "u":
                digits = text[i + 2 : i + 6]
                if len(digits) < 4 or any(d not in "0123456789abcdefABCDEF" for d in digits):
                    return None
                i += 6
                continue
            if nxt not in _ESCAPES:
                return None
            i += 2
            continue
        i += 1
    return None


def atoi(text: str) -> int:
    """C's ``atoi``: optional sign and leading digits, else 0 (``"6x"`` -> 6, ``"true"`` -> 0)."""
    s = text.lstrip()
    sign, digits = (-1, s[1:]) if s[:1] == "-" else (1, s[1:] if s[:1] == "+" else s)
    n = 0
    for c in digits:
        if not c.isascii() or not c.isdigit():
            break
        n = n * 10 + int(c)
    return sign * n


__all__ = ["Token", "atoi", "parse_request"]
