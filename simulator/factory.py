"""Building a healthy simulated world; scenarios start from it and break one thing (or several)."""

from __future__ import annotations

import random

from photon_doctor.simulator.world import (
    AccessPoint,
    Account,
    Cloud,
    CloudDevice,
    Device,
    StoredCredential,
    World,
    new_device_key,
    public_key_der,
)

HOME_SSID = "HomeNet"
HOME_PASSWORD = "correct horse battery"
ACCOUNT = "owner@example.com"


def healthy_world(seed: int = 6) -> World:
    """A Photon with Tinker, good credentials for a WPA2 2.4 GHz network, claimed by ``ACCOUNT``, online.

    ``seed`` makes the device id, MAC, SoftAP code and the account token repeatable.
    """
    rng = random.Random(seed)
    device_id = "".join(rng.choice("0123456789abcdef") for _ in range(24))
    mac = ":".join(["6c", "0b", "84"] + [f"{rng.randrange(256):02x}" for _ in range(3)])
    token = "".join(rng.choice("0123456789abcdef") for _ in range(40))
    key = new_device_key()
    device = Device(
        device_id=device_id,
        mac=mac,
        private_key=key,
        credentials=[StoredCredential(HOME_SSID, HOME_PASSWORD)],
        claimed_flag=True,
        device_code="".join(rng.choice("23456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(6)),
    )
    cloud = Cloud(
        accounts={ACCOUNT: Account(ACCOUNT, {token})},
        devices={
            device_id: CloudDevice(
                device_id=device_id,
                owner=ACCOUNT,
                name="photon-on-the-desk",
                public_key_der=public_key_der(key),
            )
        },
    )
    networks = [
        AccessPoint(HOME_SSID, password=HOME_PASSWORD, channel=6, rssi=-52),
        AccessPoint("Neighbours-5G", password="x" * 12, channel=44, rssi=-60),
        AccessPoint("CoffeeShop", password=None, security=0, channel=1, rssi=-78),
    ]
    world = World(device=device, cloud=cloud, networks=networks, host_ssid=HOME_SSID)
    world.boot()
    return world


def account_token(world: World, username: str = ACCOUNT) -> str:
    """The (secret) access token of an account in the simulated cloud."""
    return next(iter(world.cloud.accounts[username].tokens))
