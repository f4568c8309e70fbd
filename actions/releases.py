"""What ``particle update`` installs on a Photon, and whether running it would help or harm (a downgrade).

particle-cli 2.0.0 to 3.13.0 flash the Device OS release bundled with the CLI (``assets/updates/``), whatever the
device runs: their update command compares no versions. From 3.14.0 the command downloads the release ``--target``
names, else the cloud's "latest" for the platform, which no source says; photon-doctor then names the release.
:data:`PHOTON_UPDATES` is read from particle-cli's history at each release tag (docs/protocols-serial.md, "What
`particle update` installs"). A Photon says the release it runs on the serial console (``v``: "system firmware
version: 2.3.1", Device OS ``system/src/system_setup.cpp`` and ``system_info.cpp``, the same from v0.5.0 to
v2.3.1), and the cloud's device record keeps the one it last reported (``system_firmware_version``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from photon_doctor.actions.records import Go, Precheck


@dataclass(frozen=True)
class Bundle:
    """From particle-cli ``since`` on (until the next row), ``particle update`` installs ``installs`` on a Photon;
    None: it downloads the release named with ``--target``. ``source``: where it was read (file, tag, commit)."""

    since: str
    installs: str | None
    source: str


#: particle-cli version -> the Photon release its ``particle update`` installs (particle-iot/particle-cli at each tag;
#: ``settings.js`` ``updates['2b04:d006']`` (``systemFirmwareOne``), from v3.3.0 ``updates[PlatformId.PHOTON]``).
PHOTON_UPDATES: tuple[Bundle, ...] = (
    Bundle("2.0.0", "1.4.4", "settings.js, v2.0.0 (6df12ebf4a) to v2.2.0 (9983f19095)"),
    Bundle("2.3.0", "1.5.0", "settings.js, v2.3.0 (42225804b2) to v2.4.1 (136dee97c1)"),
    Bundle("2.5.0", "1.5.1", "settings.js, v2.5.0 (5659edf200)"),
    Bundle("2.6.0", "1.5.2", "settings.js, v2.6.0 (ef811bd647) to v2.8.2 (e049a9785c)"),
    Bundle("2.9.0", "2.0.0", "settings.js, v2.9.0 (ca253d8275) to v2.9.1 (a4eecd2b25)"),
    Bundle("2.10.0", "2.0.1", "settings.js, v2.10.0 (d2cede0561) to v2.10.1 (1760fc0eba)"),
    Bundle("2.11.0", "2.1.0", "settings.js, v2.11.0 (6617fdf7df) to v2.15.0 (63305befd7)"),
    Bundle("2.16.0", "2.2.0", "settings.js, v2.16.0 (7e642afda6) and v3.0.0 (329a14a4c9)"),
    Bundle("3.1.0", "2.3.0", "settings.js, v3.1.0 (aa860e6e28) to v3.5.0 (0224f39ea7)"),
    Bundle("3.6.0", "2.3.1", "settings.js, v3.6.0 (e5d1a8188d) to v3.13.0 (64aca50447)"),
    Bundle(
        "3.14.0",
        None,
        "src/cmd/update.js, v3.14.0 (376a909ee3) to v3.49.2 (e2e12294): downloads "
        "/v1/device-os/versions/<--target, else latest>?platform_id=6",
    ),
)

#: The release photon-doctor names with ``--target`` when the CLI downloads one: the Photon's last LTS release
#: (device-os v2.3.1, 5aa7c8e1c7), the one particle-cli 3.6.0 to 3.13.0 bundle. (Device OS 3.x still built for the
#: Photon, to v3.3.1; v4.0.0 dropped it: ``modules/photon``.)
UPDATE_TARGET = "2.3.1"

_RELEASE = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?(?:-([0-9A-Za-z.]+))?")


def release_key(version: str) -> tuple[int, int, int, int, str] | None:
    """A sortable key for a Device OS or CLI version ("2.3.1", "1.5.0-rc.1", "1.5"); a pre-release sorts before
    its release. None when the text is no version."""
    m = _RELEASE.fullmatch(version.strip())
    if m is None:
        return None
    major, minor, patch, pre = m.groups()
    return int(major), int(minor), int(patch or 0), 0 if pre else 1, pre or ""


def bundle_for(cli_version: str) -> Bundle | None:
    """The row of :data:`PHOTON_UPDATES` for a particle-cli version; None before 2.0.0 or for no version."""
    key = release_key(cli_version)
    if key is None:
        return None
    rows = [b for b in PHOTON_UPDATES if (release_key(b.since) or key) <= key]
    return rows[-1] if rows else None


def device_runs(observations: Mapping[str, Any], facts: Mapping[str, Any]) -> tuple[str, str] | None:
    """The Device OS the device runs and how that is known: the diagnosis' ``device_os_version`` (serial ``v``, or
    the person's answer), else the release the cloud last heard it report. None when neither says."""
    said = observations.get("device_os_version")
    if isinstance(said, str) and release_key(said) is not None:
        return said.strip(), "the device runs"
    heard = facts.get("system_firmware_version")
    if isinstance(heard, str) and release_key(heard) is not None:
        return heard.strip(), "the cloud last heard the device report"
    return None


@dataclass(frozen=True)
class UpdatePlan:
    """What ``particle update`` would do here: its arguments, the release it installs, and the decision."""

    args: tuple[str, ...]
    installs: str | None
    check: Precheck


def plan_update(cli_version: str, runs: tuple[str, str] | None) -> UpdatePlan:
    """Run (it installs a newer release, or reinstalls the one the device runs, which rewrites a corrupted or
    mismatched bootloader and system parts), refuse (it installs an older release: a downgrade) or ask (the
    device's release is not known: the update may be a downgrade)."""
    bundle = bundle_for(cli_version)
    cli = f"particle-cli {cli_version}'s update"
    if bundle is None:  # older than any CLI the fixes accept (tools.MIN_VERSION): said, never guessed
        said = f"which Device OS release {cli} installs is not known"
        return UpdatePlan(("update",), None, Precheck(Go.ASK, f"{said}; it may be a downgrade"))
    installs = bundle.installs or UPDATE_TARGET
    if bundle.installs is None and runs is not None:
        # A CLI that downloads is told the release: the last LTS, or what the device runs when that is newer
        # (Device OS 3.x still builds for the Photon), so that it is reinstalled rather than downgraded.
        ran = release_key(runs[0])
        if ran is not None and ran > (release_key(UPDATE_TARGET) or ran):
            installs = runs[0]
    args = ("update",) if bundle.installs else ("update", "--target", installs)
    if runs is None:
        said = (
            f"the device's Device OS version is not known, and {cli} installs {installs} whatever it runs: on a "
            f"device with a newer Device OS that is a downgrade, after which its application may start in safe mode"
        )
        return UpdatePlan(args, installs, Precheck(Go.ASK, said))
    version, how = runs
    new, old = release_key(installs), release_key(version)
    assert new is not None and old is not None  # both read with release_key before
    if new > old:
        return UpdatePlan(
            args,
            installs,
            Precheck(Go.RUN, f"{cli} installs Device OS {installs}, newer than the {version} {how}"),
        )
    if new == old:
        return UpdatePlan(
            args,
            installs,
            Precheck(
                Go.RUN,
                f"{cli} reinstalls Device OS {installs}, the release {how}: no newer release, but the bootloader and "
                "system parts are written again, which is what repairs corrupted or mismatched ones",
            ),
        )
    said = (
        f"{cli} installs Device OS {installs}, older than the {version} {how}: a downgrade, after which an "
        f"application built for {version} would start in safe mode"
    )
    return UpdatePlan(args, installs, Precheck(Go.REFUSE, f"{said}. {_instead(version)}"))


def _instead(runs: str) -> str:
    """What to do instead of a downgrade: a particle-cli that installs (or is told) the release the device runs."""
    downloads = next(b for b in PHOTON_UPDATES if b.installs is None)
    key = release_key(runs)
    if key is not None and key > (release_key(UPDATE_TARGET) or key):
        return (
            f"To reinstall {runs} (which repairs corrupted or mismatched system parts), use particle-cli "
            f"{downloads.since} or later (npm install -g particle-cli), then run the fix again"
        )
    first = next(b for b in PHOTON_UPDATES if b.installs == UPDATE_TARGET)
    return (
        f"particle-cli {first.since} or later installs {UPDATE_TARGET} (npm install -g particle-cli), the Photon's "
        "last LTS release; then run the fix again"
    )
