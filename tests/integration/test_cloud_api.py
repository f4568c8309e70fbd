"""The cloud client and probe against the simulated Particle cloud API, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import socket
import time
from collections.abc import Iterator

import pytest
import requests
from photon_doctor.foundation.evidence import Observation
from photon_doctor.foundation.redact import MASK, redact
from photon_doctor.probes.base import ProbeContext, ProbeReport
from photon_doctor.probes.cloud import (
    NO_TOKEN,
    BadToken,
    CloudClient,
    CloudError,
    CloudProbe,
    CloudServerError,
    CloudUnreachable,
    MalformedResponse,
    NotFound,
    NotYourDevice,
    RateLimited,
)
from photon_doctor.simulator.cloud_api import CloudApiSimulator, Fault
from photon_doctor.simulator.factory import ACCOUNT, account_token, healthy_world
from photon_doctor.simulator.world import Account, CloudDevice, World

OTHER = "someone@example.org"
OTHER_TOKEN = "0ther0ther0ther0ther0ther0ther0ther0ther"
OTHER_DEVICE = "0123456789abcdef01234567"
UNOWNED_DEVICE = "fedcba9876543210fedcba98"
INVALID_TOKEN_BODY = {"error": "invalid_token", "error_description": "The access token provided is invalid."}
#: The real cloud's recorded 403 (docs/protocols-cloud.md): one body for unknown, unclaimed and foreign ids.
PERMISSION_DENIED_BODY = {
    "error": "Permission Denied",
    "info": "I didn't recognize that device name or ID, try opening "
    "https://api.particle.io/v1/devices?access_token=undefined",
}


def _world() -> World:
    world = healthy_world()
    world.cloud.accounts[OTHER] = Account(OTHER, {OTHER_TOKEN})
    world.cloud.devices[OTHER_DEVICE] = CloudDevice(OTHER_DEVICE, OTHER, "theirs", b"")
    world.cloud.devices[UNOWNED_DEVICE] = CloudDevice(UNOWNED_DEVICE, None, "nobodys", b"")
    return world


@pytest.fixture()
def world() -> World:
    return _world()


@pytest.fixture()
def sim(world: World) -> Iterator[CloudApiSimulator]:
    with CloudApiSimulator(world) as server:
        yield server


@pytest.fixture()
def token(world: World) -> str:
    return account_token(world)


@pytest.fixture()
def client(sim: CloudApiSimulator, token: str) -> Iterator[CloudClient]:
    with CloudClient(sim.url, token, timeout=2.0) as c:
        yield c


def _by_id(report: ProbeReport) -> dict[str, Observation]:
    return {o.id: o for o in report.observations}


def _unavailable_ids(report: ProbeReport) -> set[str | None]:
    return {u.id for u in report.unavailable}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the endpoints ------------------------------------------------------------------------------------------
def test_list_devices_has_the_real_photon_fields(client: CloudClient, world: World) -> None:
    devices = client.list_devices()
    assert [d["id"] for d in devices] == [world.device.device_id]  # only the caller's devices
    d = devices[0]
    assert d["platform_id"] == 6 and d["product_id"] == 6 and d["cellular"] is False
    assert d["status"] == "normal" and d["online"] is True and d["connected"] is True
    assert d["system_firmware_version"] == world.device.device_os
    assert d["serial_number"].startswith("PH")
    for key in ("name", "last_app", "last_heard", "last_handshake_at", "last_ip_address"):
        assert key in d
    heard = dt.datetime.strptime(d["last_heard"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)
    assert abs(heard.timestamp() - time.time()) < 60


def test_last_heard_is_null_for_a_device_never_heard(client: CloudClient, world: World) -> None:
    world.cloud.devices[world.device.device_id].last_heard = None
    assert client.list_devices()[0]["last_heard"] is None


def test_get_device_of_your_own(client: CloudClient, world: World) -> None:
    info = client.get_device(world.device.device_id.upper())  # ids are case-insensitive
    assert info["id"] == world.device.device_id
    assert info["owner"] == ACCOUNT and info["mac_wifi"] == world.device.mac
    assert "digitalwrite" in info["functions"]  # Tinker, online


def test_get_device_by_name(client: CloudClient, world: World) -> None:
    assert client.get_device("photon-on-the-desk")["id"] == world.device.device_id


@pytest.mark.parametrize("device_id", [OTHER_DEVICE, UNOWNED_DEVICE, "aaaaaaaaaaaaaaaaaaaaaaaa", "nobodys"])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_any_device_not_yours_is_the_same_403(
    sim: CloudApiSimulator, client: CloudClient, token: str, device_id: str, method: str
) -> None:
    """Someone else's, unclaimed and unknown ids get one answer, and its info never carries the token."""
    raw = requests.request(
        method, f"{sim.url}/v1/devices/{device_id}", headers={"Authorization": f"Bearer {token}"}, timeout=2
    )
    assert raw.status_code == 403 and raw.json() == PERMISSION_DENIED_BODY
    query = requests.get(f"{sim.url}/v1/devices/{device_id}", params={"access_token": token}, timeout=2)
    assert query.status_code == 403 and token not in query.text
    with pytest.raises(NotYourDevice) as caught:
        client.get_device(device_id)
    assert caught.value.status == 403
    assert "Permission Denied" in str(caught.value) and token not in str(caught.value)


def test_unclaim_then_claim_by_id(client: CloudClient, world: World) -> None:
    device_id = world.device.device_id
    client.unclaim(device_id)
    assert world.cloud.devices[device_id].owner is None and world.device.claimed_flag is False
    assert client.list_devices() == []
    with pytest.raises(NotYourDevice):
        client.get_device(device_id)
    answer = client.claim_device(device_id.upper())
    assert answer == {"ok": True, "deviceID": device_id, "claimed": True}
    assert world.cloud.devices[device_id].owner == ACCOUNT and world.device.claimed_flag is True


def test_claim_round_trip_with_a_claim_code(client: CloudClient, world: World) -> None:
    device_id = world.device.device_id
    client.unclaim(device_id)
    code = client.create_claim_code()
    assert len(code) == 63 and world.cloud.claim_codes[code] == ACCOUNT
    assert redact(f"code {code}") == f"code {MASK}"  # registered as a secret
    # The device gets the code (SoftAP `set cc` or serial `C`) and publishes it when it next connects.
    world.device.claim_code = code
    world.boot()
    assert world.cloud.devices[device_id].owner == ACCOUNT
    assert client.get_device(device_id)["owner"] == ACCOUNT


def test_claim_code_lists_your_device_ids(sim: CloudApiSimulator, token: str, world: World) -> None:
    raw = requests.post(f"{sim.url}/v1/device_claims", data={"access_token": token}, timeout=2)
    body = raw.json()
    assert raw.status_code == 200 and body["device_ids"] == [world.device.device_id]
    assert len(body["claim_code"]) == 63


def test_claiming_someone_elses_device_fails(client: CloudClient, world: World) -> None:
    with pytest.raises(NotYourDevice, match="That belongs to someone else"):
        client.claim_device(OTHER_DEVICE)
    assert world.cloud.devices[OTHER_DEVICE].owner == OTHER


def test_transfer_request_does_not_change_the_owner(client: CloudClient, world: World) -> None:
    answer = client.claim_device(OTHER_DEVICE, request_transfer=True)
    assert answer["ok"] is True and answer["claimed"] is False and answer["transfer_id"]
    assert world.cloud.devices[OTHER_DEVICE].owner == OTHER


def test_claiming_an_offline_unowned_device_fails(client: CloudClient, world: World) -> None:
    assert world.cloud.devices[UNOWNED_DEVICE].online is False
    with pytest.raises(CloudError, match="not connected") as caught:
        client.claim_device(UNOWNED_DEVICE)
    assert caught.value.status == 400 and world.cloud.devices[UNOWNED_DEVICE].owner is None


def test_claim_with_a_form_body_and_access_token_param(
    sim: CloudApiSimulator, token: str, world: World
) -> None:
    world.cloud.devices[UNOWNED_DEVICE].online = True
    raw = requests.post(
        f"{sim.url}/v1/devices", data={"id": UNOWNED_DEVICE.upper(), "access_token": token}, timeout=2
    )
    assert raw.json() == {"ok": True, "deviceID": UNOWNED_DEVICE, "claimed": True}
    assert world.cloud.devices[UNOWNED_DEVICE].owner == ACCOUNT


def test_claim_without_an_id_and_with_a_malformed_json_body(sim: CloudApiSimulator, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    missing = requests.post(f"{sim.url}/v1/devices", json={}, headers=auth, timeout=2)
    assert missing.status_code == 400 and missing.json()["ok"] is False and missing.json()["errors"]
    garbled = requests.post(
        f"{sim.url}/v1/devices",
        data=b"{not json",
        headers={**auth, "Content-Type": "application/json"},
        timeout=2,
    )
    assert garbled.status_code == 400 and garbled.json()["error"] == "bad_request"


def test_ping(client: CloudClient, world: World) -> None:
    assert client.ping(world.device.device_id) is True
    world.cloud.devices[world.device.device_id].online = False
    assert client.ping(world.device.device_id) is False
    with pytest.raises(NotYourDevice):
        client.ping(OTHER_DEVICE)


def test_vitals_carry_the_devices_rssi(client: CloudClient, world: World) -> None:
    diagnostics = client.vitals(world.device.device_id)
    assert diagnostics["deviceID"] == world.device.device_id and diagnostics["updated_at"].endswith("Z")
    signal = diagnostics["payload"]["device"]["network"]["signal"]
    assert signal["at"] == "Wi-Fi" and signal["strengthv_type"] == "RSSI"
    assert signal["strengthv"] == -52 and signal["strengthv_units"] == "dBm"
    world.device.interference = True  # busy 2.4 GHz transmitters nearby: about 12 dB lost
    assert client.vitals(world.device.device_id)["payload"]["device"]["network"]["signal"]["strengthv"] == -64


def test_vitals_of_a_device_never_heard_is_404(client: CloudClient, world: World) -> None:
    world.cloud.devices[world.device.device_id].last_heard = None
    with pytest.raises(NotFound):
        client.vitals(world.device.device_id)


def test_unknown_route_is_404(sim: CloudApiSimulator, token: str) -> None:
    raw = requests.get(f"{sim.url}/v1/nothing", headers={"Authorization": f"Bearer {token}"}, timeout=2)
    assert raw.status_code == 404


def test_patch_and_unknown_methods_answer_json(sim: CloudApiSimulator, token: str, world: World) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    patched = requests.patch(f"{sim.url}/v1/devices/{world.device.device_id}", headers=auth, timeout=2)
    assert patched.status_code == 404 and patched.json()["ok"] is False
    odd = requests.request("BREW", f"{sim.url}/v1/devices", headers=auth, timeout=2)
    assert odd.status_code == 501 and odd.headers["Content-Type"].startswith("application/json")
    assert odd.json()["error"]


def test_rename_and_signal(sim: CloudApiSimulator, token: str, world: World) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    url = f"{sim.url}/v1/devices/{world.device.device_id}"
    renamed = requests.put(url, json={"name": "bench-photon"}, headers=auth, timeout=2)
    assert renamed.status_code == 200 and renamed.json()["name"] == "bench-photon"
    assert world.cloud.devices[world.device.device_id].name == "bench-photon"
    signal = requests.put(url, data={"signal": "1"}, headers=auth, timeout=2)
    assert signal.json() == {"id": world.device.device_id, "connected": True, "signaling": True}
    world.cloud.devices[world.device.device_id].online = False
    offline = requests.put(url, data={"signal": "1"}, headers=auth, timeout=2)
    assert offline.status_code == 404 and offline.json()["error"] == "Device is not connected"


def test_user_products_and_variables(sim: CloudApiSimulator, token: str, world: World) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    user = requests.get(f"{sim.url}/v1/user", headers=auth, timeout=2).json()
    assert user["username"] == ACCOUNT and user["wifi_device_count"] == 1
    cd = world.cloud.devices[world.device.device_id]
    cd.product_id, cd.variables = 4242, {"temp": 21.5}
    listed = requests.get(f"{sim.url}/v1/products/4242/devices", headers=auth, timeout=2).json()
    assert [d["id"] for d in listed["devices"]] == [cd.device_id]
    assert listed["devices"][0]["product_id"] == 4242
    var = requests.get(f"{sim.url}/v1/devices/{cd.device_id}/temp", headers=auth, timeout=2).json()
    assert var["name"] == "temp" and var["result"] == 21.5
    missing = requests.get(f"{sim.url}/v1/devices/{cd.device_id}/nope", headers=auth, timeout=2)
    assert missing.status_code == 404
    foreign = requests.get(f"{sim.url}/v1/devices/{OTHER_DEVICE}/temp", headers=auth, timeout=2)
    assert foreign.status_code == 403


def test_notes_are_updated_and_listed(sim: CloudApiSimulator, token: str, world: World) -> None:
    """PAJS 12.0.2 setDeviceNotes() puts {notes} through updateDevice(); DeviceInfo has notes: string | null."""
    auth = {"Authorization": f"Bearer {token}"}
    url = f"{sim.url}/v1/devices/{world.device.device_id}"
    put = requests.put(url, json={"notes": "under the stairs"}, headers=auth, timeout=2)
    assert put.status_code == 200 and put.json()["notes"] == "under the stairs"
    assert requests.get(url, headers=auth, timeout=2).json()["notes"] == "under the stairs"
    listed = requests.get(f"{sim.url}/v1/devices", headers=auth, timeout=2).json()
    assert [d["notes"] for d in listed] == ["under the stairs"]
    requests.put(url, json={"notes": None}, headers=auth, timeout=2)
    assert requests.get(url, headers=auth, timeout=2).json()["notes"] is None


def test_product_device_list_pages_and_denies_a_product_out_of_reach(
    sim: CloudApiSimulator, token: str, world: World
) -> None:
    """PAJS 12.0.2 listDevices({product, page, perPage}) sends ?page=&per_page= and types the answer's meta as
    PaginationMeta {page, per_page, total_pages, total?}; an unknown product says "Permission denied" in its
    error_description, no longer 404 (particle-cli 60347576 test/e2e/product.e2e.js)."""
    auth = {"Authorization": f"Bearer {token}"}
    unknown = requests.get(f"{sim.url}/v1/products/LOLWUTNOPE/devices", headers=auth, timeout=2)
    assert unknown.status_code == 403 and "Permission denied" in unknown.json()["error_description"]
    ids = sorted(f"{n:024x}" for n in range(3))
    for device_id in ids:
        world.cloud.devices[device_id] = CloudDevice(
            device_id, ACCOUNT, f"p{device_id[-1]}", b"", product_id=4242
        )
    url = f"{sim.url}/v1/products/4242/devices"
    first = requests.get(url, params={"page": 1, "per_page": 2}, headers=auth, timeout=2).json()
    second = requests.get(url, params={"page": 2, "per_page": 2}, headers=auth, timeout=2).json()
    assert first["meta"] == {"page": 1, "per_page": 2, "total_pages": 2, "total": 3}
    assert second["meta"] == {"page": 2, "per_page": 2, "total_pages": 2, "total": 3}
    assert sorted(d["id"] for d in first["devices"] + second["devices"]) == ids
    bad = requests.get(url, params={"page": 0}, headers=auth, timeout=2)
    assert bad.status_code == 400


def test_field_names_follow_particle_api_js(sim: CloudApiSimulator, token: str, world: World) -> None:
    """PAJS 12.0.2 src/types/responses.ts: UserInfo and DeviceVariableResponse.coreInfo."""
    auth = {"Authorization": f"Bearer {token}"}
    user = requests.get(f"{sim.url}/v1/user", headers=auth, timeout=2).json()
    assert set(user) == {
        "username",
        "tos",
        "account_info",
        "mfa",
        "memberships",
        "scim_provisioned",
        "no_password",
        "wifi_device_count",
        "cellular_device_count",
    }
    cd = world.cloud.devices[world.device.device_id]
    cd.variables = {"temp": 21.5}
    var = requests.get(f"{sim.url}/v1/devices/{cd.device_id}/temp", headers=auth, timeout=2).json()
    assert {"name", "deviceID", "connected", "last_handshake_at"} <= set(var["coreInfo"])
    assert var["coreInfo"]["name"] == cd.name and var["coreInfo"]["deviceID"] == cd.device_id


def test_the_real_words_for_an_unknown_variable_and_an_unknown_device_to_claim(
    sim: CloudApiSimulator, token: str, client: CloudClient, world: World
) -> None:
    """particle-cli v3.9.0 e2e: "Error: Unknown Variable: NOPE" (variable.e2e.js) and "Failed to claim device:
    device not found" (cloud.e2e.js), each the body's own words."""
    auth = {"Authorization": f"Bearer {token}"}
    url = f"{sim.url}/v1/devices/{world.device.device_id}/NOPE"
    assert requests.get(url, headers=auth, timeout=2).json()["error"] == "Unknown Variable: NOPE"
    unknown = requests.post(f"{sim.url}/v1/devices", json={"id": "1234567890"}, headers=auth, timeout=2)
    assert unknown.status_code == 404 and unknown.json()["errors"] == ["device not found"]
    with pytest.raises(NotFound, match="device not found"):
        client.claim_device("1234567890")


# --- auth and failures --------------------------------------------------------------------------------------
def test_401_body_is_exact(sim: CloudApiSimulator) -> None:
    wrong = {"Authorization": "Bearer wrong-token-123"}
    raw = requests.get(f"{sim.url}/v1/devices", headers=wrong, timeout=2)
    assert raw.status_code == 401
    assert raw.json() == INVALID_TOKEN_BODY


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic x"}, {"Authorization": "Bearer "}])
def test_no_token_is_400_with_the_real_words(sim: CloudApiSimulator, headers: dict[str, str]) -> None:
    raw = requests.get(f"{sim.url}/v1/devices", headers=headers, timeout=2)
    assert raw.status_code == 400
    assert raw.json() == {"error": "invalid_request", "error_description": "The access token was not found"}


def test_token_in_query_param_is_accepted(sim: CloudApiSimulator, token: str) -> None:
    raw = requests.get(f"{sim.url}/v1/devices", params={"access_token": token}, timeout=2)
    assert raw.status_code == 200 and len(raw.json()) == 1
    assert all(token not in line for line in sim.log)


def test_bad_token_raises_bad_token(sim: CloudApiSimulator) -> None:
    secret = "badbadbadbadbadbadbadbadbadbadbadbadbad1"
    with CloudClient(sim.url, secret, timeout=2) as bad, pytest.raises(BadToken) as caught:
        bad.list_devices()
    message = str(caught.value)
    assert "access token was rejected" in message and "invalid_token" in message and secret not in message
    assert caught.value.status == 401


def test_429_mentions_retry_after(sim: CloudApiSimulator, client: CloudClient) -> None:
    sim.inject(Fault(status=429, retry_after=30, times=1))
    with pytest.raises(RateLimited, match="retry after 30 s") as caught:
        client.list_devices()
    assert caught.value.retry_after == 30
    assert client.list_devices()  # the fault was for one request only


@pytest.mark.parametrize("status", [500, 502])
def test_5xx_is_a_cloud_server_error(sim: CloudApiSimulator, client: CloudClient, status: int) -> None:
    sim.inject(Fault(status=status))
    with pytest.raises(CloudServerError, match=f"failed on GET /v1/devices \\({status}"):
        client.list_devices()


def test_outage_is_503(world: World, client: CloudClient) -> None:
    world.cloud.outage = True
    with pytest.raises(CloudServerError, match="503"):
        client.list_devices()


def test_hang_times_out_quickly(sim: CloudApiSimulator, token: str) -> None:
    sim.inject(Fault(hang=True))
    started = time.monotonic()
    with (
        CloudClient(sim.url, token, timeout=0.3) as c,
        pytest.raises(CloudUnreachable, match="did not answer"),
    ):
        c.list_devices()
    assert time.monotonic() - started < 10  # the hang lasts 30 s: a bound a busy computer does not reach


def test_malformed_json(sim: CloudApiSimulator, client: CloudClient, world: World) -> None:
    sim.inject(Fault(malformed=True))
    with pytest.raises(MalformedResponse, match="not JSON"):
        client.get_device(world.device.device_id)


def test_connection_refused(token: str) -> None:
    with (
        CloudClient(f"http://127.0.0.1:{_free_port()}", token, timeout=1) as c,
        pytest.raises(CloudUnreachable, match="connection refused"),
    ):
        c.list_devices()


def test_cloud_error_is_a_probe_failure_and_a_device_error() -> None:
    from photon_doctor.foundation.errors import DeviceError, ExitCode
    from photon_doctor.probes.base import ProbeFailure

    error = NotFound("x")
    assert isinstance(error, ProbeFailure) and isinstance(error, DeviceError)
    assert error.exit_code is ExitCode.DEVICE


# --- the probe ----------------------------------------------------------------------------------------------
def _probe(sim: CloudApiSimulator, token: str | None, device_id: str | None, **extra: str) -> ProbeReport:
    ctx = ProbeContext(api_url=sim.url, token=token, device_id=device_id, timeout=1.0, extra=extra)
    return CloudProbe().run(ctx)


def test_probe_healthy(sim: CloudApiSimulator, token: str, world: World) -> None:
    report = _probe(sim, token, world.device.device_id, username=ACCOUNT)
    obs = _by_id(report)
    assert {k: o.value for k, o in obs.items()} == {
        "cli_login_ok": True,
        "cloud_lists_device": True,
        "cloud_ownership": "yours",
        "cloud_online": True,
        "signal_rssi_dbm": -52,
    }
    assert all(o.provenance.source == "probe:cloud" for o in report.observations)
    assert obs["cloud_ownership"].provenance.detail.startswith(
        f"GET /v1/devices/{world.device.device_id} -> 200"
    )
    assert report.unavailable == ()
    assert report.facts["username"] == ACCOUNT and report.facts["online"] is True
    assert report.facts["last_heard"] and report.facts["devices"][0]["name"] == "photon-on-the-desk"


def test_probe_offline_device(sim: CloudApiSimulator, token: str, world: World) -> None:
    world.networks[0].port_5683_open = False
    world.boot()
    obs = _by_id(_probe(sim, token, world.device.device_id))
    assert obs["cloud_online"].value is False and obs["cloud_ownership"].value == "yours"


def test_probe_bad_token_is_a_finding(sim: CloudApiSimulator, world: World) -> None:
    report = _probe(sim, "not-a-real-token-at-all", world.device.device_id)
    assert [(o.id, o.value) for o in report.observations] == [("cli_login_ok", False)]
    assert _unavailable_ids(report) == {
        "cloud_lists_device",
        "cloud_ownership",
        "cloud_online",
        "signal_rssi_dbm",
    }


@pytest.mark.parametrize("token", [None, "", "   "])
def test_probe_without_token(sim: CloudApiSimulator, token: str | None) -> None:
    report = _probe(sim, token, None)
    assert report.observations == ()
    assert [(u.probe, u.reason, u.id) for u in report.unavailable] == [("cloud", NO_TOKEN, None)]


@pytest.mark.parametrize(
    ("device_id", "flag", "expected"),
    [(OTHER_DEVICE, True, "someone_else"), (UNOWNED_DEVICE, False, "unclaimed")],
)
def test_probe_tells_owner_from_the_devices_claimed_flag(
    sim: CloudApiSimulator, token: str, device_id: str, flag: bool, expected: str
) -> None:
    """The 403 is the same for both; the device's own flag (serial `c`, SoftAP `device-id`) decides."""
    extra = {"device_claimed": flag}
    report = CloudProbe().run(
        ProbeContext(api_url=sim.url, token=token, device_id=device_id, timeout=1.0, extra=extra)
    )
    obs = _by_id(report)
    assert obs["cloud_ownership"].value == expected and obs["cloud_lists_device"].value is False
    assert {"cloud_online", "signal_rssi_dbm"} <= _unavailable_ids(report)


@pytest.mark.parametrize("device_id", [OTHER_DEVICE, UNOWNED_DEVICE])
def test_probe_without_the_claimed_flag_does_not_guess(
    sim: CloudApiSimulator, token: str, device_id: str
) -> None:
    report = _probe(sim, token, device_id)
    assert "cloud_ownership" not in _by_id(report) and "cloud_ownership" in _unavailable_ids(report)
    assert report.facts["cloud_access_denied"] is True


def test_probe_without_device_id_notes_the_single_device(
    sim: CloudApiSimulator, token: str, world: World
) -> None:
    report = _probe(sim, token, None)
    assert [o.id for o in report.observations] == ["cli_login_ok"]
    assert report.facts["sole_device_id"] == world.device.device_id
    assert "cloud_ownership" in _unavailable_ids(report)


def test_probe_rate_limited_is_unavailable(sim: CloudApiSimulator, token: str, world: World) -> None:
    sim.inject(Fault(status=429, retry_after=12))
    report = _probe(sim, token, world.device.device_id)
    assert report.observations == ()
    assert len(report.unavailable) == 1 and "retry after 12 s" in report.unavailable[0].reason


def test_probe_keeps_going_when_only_vitals_fail(sim: CloudApiSimulator, token: str, world: World) -> None:
    sim.inject(Fault(status=500, path_prefix="/v1/diagnostics"))
    report = _probe(sim, token, world.device.device_id)
    assert _by_id(report)["cloud_online"].value is True
    assert [u.id for u in report.unavailable] == ["signal_rssi_dbm"]
    assert "500" in report.unavailable[0].reason


def test_probe_survives_a_hang_and_garbage(sim: CloudApiSimulator, token: str, world: World) -> None:
    sim.inject(Fault(hang=True, times=1))
    hung = _probe(sim, token, world.device.device_id)
    assert hung.observations == () and "did not answer" in hung.unavailable[0].reason
    sim.inject(Fault(malformed=True, times=1))
    garbled = _probe(sim, token, world.device.device_id)
    assert garbled.observations == () and "not JSON" in garbled.unavailable[0].reason


def test_token_never_leaks(world: World) -> None:
    """Every report, error text, trace and server log line across the failure paths is free of the token and
    of claim codes."""
    token = account_token(world)
    texts: list[str] = []
    with CloudApiSimulator(world) as sim:
        with CloudClient(sim.url, token, timeout=0.5) as c:
            code = c.create_claim_code()
            calls = (
                (c.get_device, OTHER_DEVICE),
                (c.claim_device, OTHER_DEVICE),
                (c.unclaim, OTHER_DEVICE),
                (c.ping, UNOWNED_DEVICE),
            )
            for call, device_id in calls:
                with pytest.raises(CloudError) as caught:
                    call(device_id)
                texts.append(str(caught.value))
            texts.extend(c.trace)
        requests.get(f"{sim.url}/v1/devices", params={"access_token": token, "claim_code": code}, timeout=2)
        faults = [
            None,
            Fault(status=429, retry_after=3),
            Fault(status=500),
            Fault(malformed=True),
            Fault(hang=True, times=1),
        ]
        for fault in faults:
            sim.clear_faults()
            if fault is not None:
                sim.inject(fault)
            for wanted in (world.device.device_id, OTHER_DEVICE, UNOWNED_DEVICE, None):
                report = _probe(sim, token, wanted, username=ACCOUNT)
                texts.append(repr(report))
                texts.extend(o.provenance.detail for o in report.observations)
        texts.extend(sim.log)
    joined = "\n".join(texts)
    assert "Permission Denied" in joined and "access_token=" in joined  # the risky paths were exercised
    assert token not in joined and code not in joined


# Second round of mutation testing (docs/reliability.md): a device record the cloud fails to give, and how sure
# the probe is of what it infers.


def test_probe_when_the_device_record_fails_for_a_device_not_listed(
    sim: CloudApiSimulator, token: str
) -> None:
    """Not in the account's list, and the device's own record answers 500: ownership, online and signal are
    each said to be unavailable, with the cloud's error."""
    sim.inject(Fault(status=500, path_prefix=f"/v1/devices/{UNOWNED_DEVICE}"))
    report = _probe(sim, token, UNOWNED_DEVICE)
    assert {k: o.value for k, o in _by_id(report).items()} == {
        "cli_login_ok": True,
        "cloud_lists_device": False,
    }
    skipped = {u.id: u.reason for u in report.unavailable}
    assert set(skipped) == {"cloud_ownership", "cloud_online", "signal_rssi_dbm"}
    assert all("500" in reason for reason in skipped.values())


def test_probe_when_the_device_record_fails_for_a_listed_device(
    sim: CloudApiSimulator, token: str, world: World
) -> None:
    """The list already proves ownership and carries the online flag: those are still observed."""
    device_id = world.device.device_id
    sim.inject(Fault(status=500, path_prefix=f"/v1/devices/{device_id}"))
    obs = _by_id(_probe(sim, token, device_id))
    assert obs["cloud_ownership"].value == "yours" and obs["cloud_online"].value is True


@pytest.mark.parametrize(("device_id", "flag"), [(OTHER_DEVICE, True), (UNOWNED_DEVICE, False)])
def test_ownership_inferred_from_the_claimed_flag_is_less_than_certain(
    sim: CloudApiSimulator, token: str, device_id: str, flag: bool
) -> None:
    """The 403 is the same for a wrong id as for someone else's device: the inference is not certain."""
    report = CloudProbe().run(
        ProbeContext(
            api_url=sim.url, token=token, device_id=device_id, timeout=1.0, extra={"device_claimed": flag}
        )
    )
    assert 0 < _by_id(report)["cloud_ownership"].confidence < 1


def test_a_signal_from_vitals_is_less_than_certain(sim: CloudApiSimulator, token: str, world: World) -> None:
    """Vitals are the last the device published, possibly old; the cloud's own record is certain."""
    obs = _by_id(_probe(sim, token, world.device.device_id))
    assert 0 < obs["signal_rssi_dbm"].confidence < 1 and obs["cloud_ownership"].confidence == 1.0


def test_a_403_without_a_device_says_the_account_cannot_reach_it(
    sim: CloudApiSimulator, client: CloudClient
) -> None:
    """A 403 on a request about no device (a product out of reach, or the list itself) is not "device X is not
    on this account"."""
    sim.inject(Fault(status=403, path_prefix="/v1/devices", times=1))
    with pytest.raises(NotYourDevice) as denied:
        client.list_devices()
    assert str(denied.value).startswith("the Particle cloud denied GET /v1/devices (403")
    assert str(denied.value).endswith("this account cannot reach it")
