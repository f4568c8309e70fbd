"""Finding the Particle access token and API URL the way the particle CLI does (reference §4, "CLI token storage").

Order: an explicit ``--token`` value, then the environment variable ``PARTICLE_ACCESS_TOKEN`` (photon-doctor's
own addition: the reference found no token variable in the CLI), then the CLI's files: ``~/.particle/profile.json``
names the profile (default ``particle``), and ``~/.particle/<profile>.config.json`` holds ``access_token``,
``apiUrl`` and ``username``. The home directory is the first of the environment variables ``home``, ``HOME``,
``HOMEPATH``, ``USERPROFILE`` that names an existing directory, as the CLI's ``findHomePath()`` does.

The environment is a parameter (a mapping), so tests and the composition root pass their own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from photon_doctor.foundation.jsonfile import JsonProblem, parse_json, read_regular
from photon_doctor.foundation.redact import register_secret
from photon_doctor.probes.base import ProbeFailure
from photon_doctor.probes.cloud_client import DEFAULT_API_URL

TOKEN_ENV = "PARTICLE_ACCESS_TOKEN"
HOME_ENVS = ("home", "HOME", "HOMEPATH", "USERPROFILE")
DEFAULT_PROFILE = "particle"
HOW_TO = "use --token, set PARTICLE_ACCESS_TOKEN or run particle login"
# A profile name becomes part of a file name: keep it to one plain path component.
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


class TokenNotFound(ProbeFailure):
    """Raised by :func:`discover_token` when no usable token is found; the message says what was tried and why
    it failed (a missing, unreadable or malformed file), in one line, without any token."""


@dataclass(frozen=True)
class CloudCredentials:
    """The access token (a secret: hidden from ``repr``), the API URL, where the token came from, the username.

    ``notes`` records harmless oddities met on the way (an unreadable profile.json that fell back to the default
    profile, a malformed config file ignored because the token came from elsewhere).
    """

    token: str = field(repr=False)
    api_url: str
    source: str
    username: str | None = None
    notes: tuple[str, ...] = ()


def find_home(env: Mapping[str, str]) -> Path | None:
    """The home directory per the CLI: the first of ``home``, ``HOME``, ``HOMEPATH``, ``USERPROFILE`` that is
    set and names an existing directory; None if there is none."""
    for name in HOME_ENVS:
        value = env.get(name)
        if value and Path(value).is_dir():
            return Path(value)
    return None


def _read_json(path: Path) -> dict[str, Any]:
    """Read a JSON object; raise ``TokenNotFound`` with a clear one-line reason otherwise (never the content)."""
    try:
        raw = read_regular(path)
    except FileNotFoundError:
        raise TokenNotFound(f"{path} does not exist") from None
    except IsADirectoryError:
        raise TokenNotFound(f"cannot read {path}: it is a directory") from None
    except PermissionError:
        raise TokenNotFound(f"cannot read {path}: permission denied") from None
    except JsonProblem as exc:
        raise TokenNotFound(f"cannot read {path}: {exc}") from None
    except OSError as exc:
        raise TokenNotFound(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    try:
        data = parse_json(raw)
    except JsonProblem as exc:
        # The parser's words and position only: the message must not quote the file, which holds the token.
        raise TokenNotFound(f"{path} is {exc}") from None
    if not isinstance(data, dict):
        raise TokenNotFound(f"{path} does not hold a JSON object")
    return data


def profile_name(particle_dir: Path) -> tuple[str, tuple[str, ...]]:
    """The active profile from ``profile.json``, and notes. Like the CLI, any problem falls back to
    ``particle``; the problem is noted rather than raised (a missing file is normal and not noted)."""
    path = particle_dir / "profile.json"
    if not path.exists():
        return DEFAULT_PROFILE, ()
    try:
        data = _read_json(path)
    except TokenNotFound as exc:
        return DEFAULT_PROFILE, (f"{exc}; using the profile '{DEFAULT_PROFILE}'",)
    name = data.get("name")
    if name is None:
        return DEFAULT_PROFILE, ()
    if not isinstance(name, str) or not _PROFILE_NAME.match(name):
        return DEFAULT_PROFILE, (f"{path} names an unusable profile; using the profile '{DEFAULT_PROFILE}'",)
    return name, ()


def config_path(env: Mapping[str, str]) -> tuple[Path, tuple[str, ...]]:
    """The active CLI config file (``~/.particle/<profile>.config.json``) and notes; ``TokenNotFound`` if there
    is no home directory."""
    home = find_home(env)
    if home is None:
        raise TokenNotFound(
            "cannot find the home directory: none of home, HOME, HOMEPATH, USERPROFILE is set "
            "to an existing directory"
        )
    particle_dir = home / ".particle"
    name, notes = profile_name(particle_dir)
    return particle_dir / f"{name}.config.json", notes


def _api_url(config: Mapping[str, Any], path: Path, notes: list[str]) -> str:
    url = config.get("apiUrl")
    if url is None:
        return DEFAULT_API_URL
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        return url.rstrip("/")
    notes.append(f"{path} has an unusable apiUrl; using {DEFAULT_API_URL}")
    return DEFAULT_API_URL


def discover_token(
    env: Mapping[str, str], explicit_token: str | None = None, explicit_api_url: str | None = None
) -> CloudCredentials:
    """Find the token and API URL; register the token as a secret.

    Raises :class:`TokenNotFound` when no token is found; its message starts with ``no access token`` and
    names the file problem, if any.
    """
    notes: list[str] = []
    config: dict[str, Any] = {}
    path: Path | None = None
    file_problem: str | None = None
    try:
        path, profile_notes = config_path(env)
        notes.extend(profile_notes)
        config = _read_json(path)
    except TokenNotFound as exc:
        file_problem = str(exc)

    username = config.get("username") if isinstance(config.get("username"), str) else None
    api_url = (
        explicit_api_url.rstrip("/")
        if explicit_api_url
        else (_api_url(config, path, notes) if path is not None and config else DEFAULT_API_URL)
    )

    for token, source in (
        (explicit_token, "--token"),
        (env.get(TOKEN_ENV), f"environment variable {TOKEN_ENV}"),
    ):
        token = (token or "").strip()
        if token:
            register_secret(token)
            if file_problem and path is not None and path.exists():
                notes.append(f"ignored the CLI settings: {file_problem}")
            # The file's username belongs to the CLI's login, not necessarily to this token: not reported.
            return CloudCredentials(token, api_url, source, None, tuple(notes))

    if file_problem is not None or path is None:
        raise TokenNotFound(f"no access token: {HOW_TO} ({file_problem})")
    token = config.get("access_token")
    if not isinstance(token, str) or not token.strip():
        raise TokenNotFound(f"no access token: {HOW_TO} ({path} has no access_token)")
    token = token.strip()
    register_secret(token)
    return CloudCredentials(token, api_url, str(path), username, tuple(notes))
