"""Finding the access token like the particle CLI: --token, PARTICLE_ACCESS_TOKEN, ~/.particle files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from photon_doctor.foundation.redact import MASK, redact
from photon_doctor.probes.cloud_client import DEFAULT_API_URL
from photon_doctor.probes.token import CloudCredentials, TokenNotFound, discover_token, find_home

FILE_TOKEN = "f11ef11ef11ef11ef11ef11ef11ef11ef11ef11e"
ENV_TOKEN = "e4ve4ve4ve4ve4ve4ve4ve4ve4ve4ve4ve4ve4ve"
FLAG_TOKEN = "f1a9f1a9f1a9f1a9f1a9f1a9f1a9f1a9f1a9f1a9"


def _particle_dir(home: Path) -> Path:
    folder = home / ".particle"
    folder.mkdir(exist_ok=True)
    return folder


def _config(home: Path, data: object, profile: str = "particle") -> Path:
    path = _particle_dir(home) / f"{profile}.config.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_config_file_default_profile(tmp_path: Path) -> None:
    path = _config(tmp_path, {"access_token": FILE_TOKEN, "username": "me@example.com"})
    found = discover_token({"HOME": str(tmp_path)})
    assert found == CloudCredentials(FILE_TOKEN, DEFAULT_API_URL, str(path), "me@example.com")
    assert redact(FILE_TOKEN) == MASK  # registered as a secret
    assert FILE_TOKEN not in repr(found)  # the token is hidden from repr


def test_named_profile_and_api_url(tmp_path: Path) -> None:
    (_particle_dir(tmp_path) / "profile.json").write_text('{"name": "staging"}', encoding="utf-8")
    _config(tmp_path, {"access_token": "wrong-profile-token"})
    _config(tmp_path, {"access_token": FILE_TOKEN, "apiUrl": "http://127.0.0.1:8080/"}, profile="staging")
    found = discover_token({"HOME": str(tmp_path)})
    assert found.token == FILE_TOKEN and found.api_url == "http://127.0.0.1:8080"
    assert found.source.endswith("staging.config.json")


def test_precedence_flag_then_env_then_file(tmp_path: Path) -> None:
    _config(
        tmp_path, {"access_token": FILE_TOKEN, "username": "me@example.com", "apiUrl": "http://127.0.0.1:1"}
    )
    env = {"HOME": str(tmp_path), "PARTICLE_ACCESS_TOKEN": ENV_TOKEN}
    by_flag = discover_token(env, explicit_token=FLAG_TOKEN)
    assert (by_flag.token, by_flag.source) == (FLAG_TOKEN, "--token")
    assert by_flag.api_url == "http://127.0.0.1:1"  # the CLI's apiUrl still applies
    assert by_flag.username is None  # the file's username belongs to the file's token
    by_env = discover_token(env)
    assert (by_env.token, by_env.source) == (ENV_TOKEN, "environment variable PARTICLE_ACCESS_TOKEN")
    assert discover_token({"HOME": str(tmp_path), "PARTICLE_ACCESS_TOKEN": "  "}).token == FILE_TOKEN
    assert (
        discover_token(env, explicit_token="", explicit_api_url="http://127.0.0.1:2/").api_url
        == "http://127.0.0.1:2"
    )


def test_home_lookup_order(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    second.mkdir()
    # `home` names a directory that does not exist: skipped, like the CLI's findHomePath().
    assert find_home({"home": str(first), "HOME": "", "HOMEPATH": str(second), "USERPROFILE": "/x"}) == second
    first.mkdir()
    assert find_home({"home": str(first), "HOME": str(second)}) == first
    assert find_home({}) is None


def test_env_token_works_without_home() -> None:
    assert discover_token({"PARTICLE_ACCESS_TOKEN": ENV_TOKEN}).api_url == DEFAULT_API_URL


def test_no_home_directory() -> None:
    with pytest.raises(TokenNotFound, match="^no access token: .*cannot find the home directory"):
        discover_token({})


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(
        TokenNotFound, match=r"run particle login \(.*particle\.config\.json does not exist\)$"
    ):
        discover_token({"USERPROFILE": str(tmp_path)})


def test_unreadable_config_file(tmp_path: Path) -> None:
    # Tests may run as root, for whom permissions do not bite: a directory in the file's place cannot be read.
    (_particle_dir(tmp_path) / "particle.config.json").mkdir()
    with pytest.raises(TokenNotFound, match="cannot read .*particle.config.json: it is a directory"):
        discover_token({"HOME": str(tmp_path)})


def test_config_file_not_utf8(tmp_path: Path) -> None:
    (_particle_dir(tmp_path) / "particle.config.json").write_bytes(b'{"access_token": "\xff\xfe"}')
    with pytest.raises(TokenNotFound, match="not UTF-8"):
        discover_token({"HOME": str(tmp_path)})


def test_malformed_config_file_never_quotes_the_token(tmp_path: Path) -> None:
    (_particle_dir(tmp_path) / "particle.config.json").write_text(
        '{\n  "access_token": "' + FILE_TOKEN + '",\n  "username": oops\n}', encoding="utf-8"
    )
    with pytest.raises(TokenNotFound) as caught:
        discover_token({"HOME": str(tmp_path)})
    message = str(caught.value)
    assert "is not valid JSON (line 3, column 15)" in message and FILE_TOKEN not in message


@pytest.mark.parametrize(
    "data", [[FILE_TOKEN], {"username": "me"}, {"access_token": ""}, {"access_token": 7}]
)
def test_config_without_a_usable_token(tmp_path: Path, data: object) -> None:
    _config(tmp_path, data)
    with pytest.raises(TokenNotFound, match="(has no access_token|does not hold a JSON object)"):
        discover_token({"HOME": str(tmp_path)})


def test_malformed_profile_falls_back_to_default(tmp_path: Path) -> None:
    (_particle_dir(tmp_path) / "profile.json").write_text("{nope", encoding="utf-8")
    _config(tmp_path, {"access_token": FILE_TOKEN})
    found = discover_token({"HOME": str(tmp_path)})
    assert found.token == FILE_TOKEN
    assert len(found.notes) == 1 and "profile.json is not valid JSON" in found.notes[0]


def test_profile_name_cannot_escape_the_folder(tmp_path: Path) -> None:
    (_particle_dir(tmp_path) / "profile.json").write_text('{"name": "../../etc/x"}', encoding="utf-8")
    _config(tmp_path, {"access_token": FILE_TOKEN})
    found = discover_token({"HOME": str(tmp_path)})
    assert found.token == FILE_TOKEN and "unusable profile" in found.notes[0]


def test_bad_file_is_noted_when_the_token_comes_from_elsewhere(tmp_path: Path) -> None:
    (_particle_dir(tmp_path) / "particle.config.json").write_text("garbage", encoding="utf-8")
    found = discover_token({"HOME": str(tmp_path), "PARTICLE_ACCESS_TOKEN": ENV_TOKEN})
    assert found.token == ENV_TOKEN and found.api_url == DEFAULT_API_URL
    assert any("not valid JSON" in note for note in found.notes)


def test_unusable_api_url_falls_back(tmp_path: Path) -> None:
    _config(tmp_path, {"access_token": FILE_TOKEN, "apiUrl": "ftp://nope"})
    found = discover_token({"HOME": str(tmp_path)})
    assert found.api_url == DEFAULT_API_URL and "unusable apiUrl" in found.notes[0]
