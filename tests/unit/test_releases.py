"""What `particle update` installs on a Photon, by particle-cli version (read from particle-cli's history at each
release tag: docs/protocols-serial.md, "What `particle update` installs"), and the decision not to downgrade."""

from __future__ import annotations

import pytest
from photon_doctor.actions.records import Go
from photon_doctor.actions.releases import (
    PHOTON_UPDATES,
    UPDATE_TARGET,
    bundle_for,
    device_runs,
    plan_update,
    release_key,
)
from photon_doctor.simulator import control, standin


@pytest.mark.parametrize(
    ("cli", "installs"),
    [
        ("2.0.0", "1.4.4"),
        ("2.2.0", "1.4.4"),
        ("2.3.0", "1.5.0"),
        ("2.4.1", "1.5.0"),
        ("2.5.0", "1.5.1"),
        ("2.8.2", "1.5.2"),
        ("2.9.1", "2.0.0"),
        ("2.10.1", "2.0.1"),
        ("2.15.0", "2.1.0"),
        ("2.16.0", "2.2.0"),
        ("3.0.0", "2.2.0"),
        ("3.5.0", "2.3.0"),
        ("3.6.0", "2.3.1"),
        ("3.13.0", "2.3.1"),
    ],
)
def test_the_release_each_bundling_cli_installs(cli: str, installs: str) -> None:
    bundle = bundle_for(cli)
    assert bundle is not None and bundle.installs == installs
    assert plan_update(cli, None).args == ("update",)


@pytest.mark.parametrize("cli", ["3.14.0", "3.49.2", "4.0.0"])
def test_a_downloading_cli_is_told_the_release(cli: str) -> None:
    plan = plan_update(cli, ("2.2.0", "the device runs"))
    assert plan.args == ("update", "--target", UPDATE_TARGET) and plan.installs == UPDATE_TARGET
    assert plan.check.go is Go.RUN


def test_the_table_is_in_order_and_never_goes_back() -> None:
    since = [release_key(b.since) for b in PHOTON_UPDATES]
    installs = [release_key(b.installs or UPDATE_TARGET) for b in PHOTON_UPDATES]
    assert since == sorted(since) and installs == sorted(installs)  # type: ignore[type-var]
    assert bundle_for("1.29.0") is None


def test_the_stand_in_installs_what_its_version_bundles() -> None:
    """The simulator's particle stands in for 2.16.0 and installs what the table says 2.16.0 installs."""
    bundle = bundle_for(standin.PARTICLE_VERSION)
    assert bundle is not None and bundle.installs == control.UPDATE_DEVICE_OS == "2.2.0"


@pytest.mark.parametrize(
    ("runs", "go"),
    [
        ("0.6.4", Go.RUN),
        ("1.5.2", Go.RUN),
        ("2.2.0-rc.2", Go.RUN),  # a pre-release comes before its release
        (
            "2.2.0",
            Go.RUN,
        ),  # reinstalled: the bootloader and system parts written again (a repair, no downgrade)
        ("2.3.1", Go.REFUSE),
        ("3.3.1", Go.REFUSE),
    ],
)
def test_never_a_downgrade(runs: str, go: Go) -> None:
    assert plan_update("2.16.0", (runs, "the device runs")).check.go is go


def test_what_to_do_instead() -> None:
    current = plan_update("3.13.0", ("2.3.1", "the device runs")).check
    assert current.go is Go.RUN and "reinstalls Device OS 2.3.1" in current.said
    behind = plan_update("2.16.0", ("2.3.0", "the device runs")).check.said
    assert "a downgrade" in behind and "particle-cli 3.6.0 or later installs 2.3.1" in behind
    newer = plan_update("3.13.0", ("3.3.1", "the device runs")).check
    assert (
        newer.go is Go.REFUSE
        and "To reinstall 3.3.1" in newer.said
        and "particle-cli 3.14.0 or later" in newer.said
    )


def test_a_downloading_cli_reinstalls_a_newer_release_than_the_last_lts() -> None:
    """Device OS 3.x still builds for the Photon: a CLI that downloads is told the release the device runs."""
    plan = plan_update("3.49.2", ("3.3.1", "the device runs"))
    assert plan.args == ("update", "--target", "3.3.1") and plan.check.go is Go.RUN


def test_where_the_device_s_release_is_read() -> None:
    assert device_runs({"device_os_version": "1.5.2"}, {"system_firmware_version": "2.3.1"}) == (
        "1.5.2",
        "the device runs",
    )
    heard = device_runs({"device_os_version": "not sure"}, {"system_firmware_version": "2.3.1"})
    assert heard == ("2.3.1", "the cloud last heard the device report")
    assert device_runs({}, {}) is None
    assert plan_update("2.16.0", None).check.go is Go.ASK
