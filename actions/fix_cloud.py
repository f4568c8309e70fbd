"""Fixes through the Particle cloud API: check the login (and log in again), claim the device, ping it (§4).

A claim goes by device id (``POST /v1/devices``); when another account owns the device a transfer is requested
and the step fails honestly (its owner must accept). When the cloud cannot claim by id, a claim code is made and
handed to the device (serial ``C``, or SoftAP ``set``), which the cloud claims when the device next connects.
"""

from __future__ import annotations

from photon_doctor.actions.errors import ActionFailed, DeviceGone, NeedsPerson, Pending
from photon_doctor.actions.rig import Rig, Workbench
from photon_doctor.foundation.redact import MASK, register_secret
from photon_doctor.probes.base import ProbeFailure
from photon_doctor.probes.cloud_client import (
    DEFAULT_API_URL,
    BadToken,
    CloudClient,
    CloudError,
    NotYourDevice,
)

from photon_doctor.plain import counted


def client(rig: Rig, token: str | None = None) -> CloudClient:
    """A cloud client with the rig's (or the given) token. Raises NeedsPerson without one."""
    token = token or rig.token
    if not token:
        raise NeedsPerson("no Particle login: run particle login (or pass --token)")
    return CloudClient(rig.api_url or DEFAULT_API_URL, token, rig.timing.network_timeout)


def _device_id(rig: Rig) -> str:
    if not rig.device_id:
        raise DeviceGone("the device id is unknown: pass --device, or connect the device by USB")
    return str(rig.device_id)


# --- the login --------------------------------------------------------------------------------------------
def _works(wb: Workbench, token: str) -> bool | int:
    """The number of devices listed with ``token``, or False if the token is rejected. Raises ActionFailed."""
    wb.note("GET /v1/devices (is the access token accepted?)")
    try:
        with client(wb.rig, token) as c:
            return len(c.list_devices())
    except BadToken:
        return False
    except CloudError as exc:
        raise ActionFailed(str(exc)) from None


def _new_login(wb: Workbench) -> str:
    answer = wb.person.secret(
        "access_token",
        "Log in again: run 'particle login' in another terminal and press Enter here, or paste a new access token",
    )
    if answer is None:
        raise NeedsPerson("the access token is rejected: run particle login, then run photon-doctor again")
    token = answer.strip()
    if not token and wb.rig.relogin is not None:
        wb.note("read the Particle CLI's login again (~/.particle/particle.config.json)")
        token = wb.rig.relogin() or ""
    if not token:
        raise ActionFailed("no new login was found: run particle login, then run photon-doctor again")
    register_secret(token)
    return str(token)


def check_login(wb: Workbench) -> str:
    """Check that the cloud accepts the access token; if not, have the person log in again and check that."""
    token = wb.rig.token
    if token:
        listed = _works(wb, token)
        if listed is not False:
            return f"the access token works ({counted(int(listed), 'device')} on the account)"
        wb.say("the cloud rejects the access token (401)")
    token = _new_login(wb)
    listed = _works(wb, token)
    if listed is False:
        raise ActionFailed(
            "the new access token is rejected too: log in with the account that owns the device"
        )
    wb.rig.token = token
    return f"logged in again: the new access token works ({counted(int(listed), 'device')} on the account)"


def preview_check_login(rig: Rig) -> list[str]:
    """The steps of :func:`check_login`."""
    return [
        "GET /v1/devices (is the access token accepted?)",
        "if it is rejected: ask for a new login (particle login), then GET /v1/devices again",
    ]


# --- claiming ---------------------------------------------------------------------------------------------
def claim_device(wb: Workbench) -> str:
    """Claim by id; another owner: request a transfer (and fail); the cloud cannot: hand over a claim code."""
    rig = wb.rig
    device_id = _device_id(rig)
    with client(rig) as c:
        wb.note(f'POST /v1/devices {{"id": "{device_id}"}} (claim it for this account)')
        try:
            c.claim_device(device_id)
            return "the device is now claimed by this account"
        except NotYourDevice:
            wb.note(
                f'POST /v1/devices {{"id": "{device_id}", "request_transfer": true}} (ask its owner to transfer it)'
            )
            try:
                c.claim_device(device_id, request_transfer=True)
            except CloudError as exc:
                raise ActionFailed(
                    f"another account owns the device and the transfer request failed: {exc}"
                ) from None
            raise Pending(
                "another account owns the device: a transfer was requested and its owner must accept it "
                "(or release it with particle device remove); then run photon-doctor again"
            ) from None
        except BadToken:
            raise ActionFailed("the access token is rejected: log in again (particle login)") from None
        except CloudError as exc:
            wb.say(f"the cloud did not claim it by id ({exc}): handing the device a claim code instead")
        wb.note("POST /v1/device_claims (a new claim code)")
        try:
            code = c.create_claim_code()
        except CloudError as exc:
            raise ActionFailed(str(exc)) from None
    return _hand_over(wb, code)


def _hand_over(wb: Workbench, code: str) -> str:
    """Give the device the claim code (serial `C` in listening mode, then `x`; else SoftAP ``set``)."""
    from photon_doctor.probes.softap import SoftAPClient

    try:
        port = wb.port()
    except DeviceGone:
        port = None
    try:
        if port is not None:
            wb.enter_listening()
            wb.note(f"serial {port}: C -> claim code {MASK}")
            console = wb.console()
            try:
                console.open()
                wb.in_dialog = True
                console.set_claim_code(code)
                wb.in_dialog = False
            finally:
                console.close()
            wb.exit_listening()
        elif wb.rig.softap_url:
            sap = SoftAPClient(wb.rig.softap_url, timeout=wb.rig.timing.network_timeout)
            wb.note(f'SoftAP {wb.rig.softap_url}: POST /set {{"k": "cc", "v": "{MASK}"}}')
            sap.set_claim_code(code)
            wb.note(f'SoftAP {wb.rig.softap_url}: POST /connect-ap {{"idx": 0}}')
            sap.connect_ap()
        else:
            raise DeviceGone(
                "no way to reach the device to hand it the claim code (no serial port, no SoftAP)"
            )
    except (ProbeFailure, ValueError) as exc:
        raise ActionFailed(f"could not hand the claim code to the device: {exc}") from None
    return "claim code handed to the device; the cloud claims it for this account when it connects"


def preview_claim_device(rig: Rig) -> list[str]:
    """The steps of :func:`claim_device`."""
    device_id = rig.device_id or "<device id>"
    return [
        f'POST /v1/devices {{"id": "{device_id}"}} (claim it for this account)',
        'if another account owns it: the same with "request_transfer": true (its owner must accept)',
        f"if the cloud cannot claim it by id: POST /v1/device_claims, then serial C -> claim code {MASK}",
    ]


# --- ping -------------------------------------------------------------------------------------------------
def ping_device(wb: Workbench) -> str:
    """``PUT /v1/devices/:id/ping``: does the device answer through the cloud?"""
    device_id = _device_id(wb.rig)
    wb.note(f"PUT /v1/devices/{device_id}/ping")
    try:
        with client(wb.rig) as c:
            online = c.ping(device_id)
    except CloudError as exc:
        raise ActionFailed(str(exc)) from None
    if not online:
        raise ActionFailed("the device did not answer the cloud's ping")
    return "the device answered the cloud's ping"


def preview_ping(rig: Rig) -> list[str]:
    """The step of :func:`ping_device`."""
    return [f"PUT /v1/devices/{rig.device_id or '<device id>'}/ping"]
