"""One automation per ``automation`` id of the knowledge base's fixes: what it runs, and what it would run.

``run(workbench)`` carries the fix out and returns a one-line message, or raises
:class:`~photon_doctor.actions.errors.ActionFailed`; ``preview(rig)`` lists the exact commands and protocol steps
without touching anything (``--dry-run`` and the consent prompt). ``requires`` names the programs it drives: when
one is not installed the executor guides the person through the fix's manual steps instead. ``verifies`` is False
for an automation whose success cannot mean "reaches the cloud" (entering listening mode). ``check(rig)`` looks at
the device before consent is asked: the executor does not offer a fix it refuses (a Device OS downgrade), and asks
at a terminal, naming the risk, when it cannot tell.

``clear_claim_code`` and ``ping_device`` are offered for fixes the knowledge base may add.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from photon_doctor.actions import dct, fix_cloud, fix_device, fix_network
from photon_doctor.actions.records import Precheck
from photon_doctor.actions.rig import Rig, Workbench
from photon_doctor.actions.tools import DFU_UTIL, PARTICLE

DFU = (DFU_UTIL,)
CLI = (PARTICLE,)

MANUAL = "manual"


@dataclass(frozen=True)
class Automation:
    """The effects of one automation id."""

    id: str
    run: Callable[[Workbench], str]
    preview: Callable[[Rig], list[str]]
    requires: tuple[str, ...] = ()
    verifies: bool = True
    #: Looks at the device before consent is asked (never a downgrade); None: nothing to check.
    check: Callable[[Rig], Precheck] | None = None


AUTOMATIONS: dict[str, Automation] = {
    a.id: a
    for a in (
        Automation("check_login", fix_cloud.check_login, fix_cloud.preview_check_login),
        Automation(
            "enter_listening",
            fix_network.enter_listening,
            fix_network.preview_enter_listening,
            verifies=False,
        ),
        Automation("set_wifi_credentials", fix_network.set_wifi_credentials, fix_network.preview_set_wifi),
        Automation("flash_tinker", fix_device.flash_tinker, fix_device.preview_flash_tinker, CLI),
        Automation(
            "flash_reset_settings",
            fix_device.flash_reset_settings,
            fix_device.preview_flash_reset_settings,
            CLI,
        ),
        Automation(
            "select_internal_antenna",
            fix_device.select_internal_antenna,
            lambda rig: fix_device.preview_dct(rig, dct.ANTENNA_INTERNAL),
            DFU,
        ),
        Automation(
            "use_dynamic_ip",
            fix_device.use_dynamic_ip,
            lambda rig: fix_device.preview_dct(rig, dct.USE_DYNAMIC_IP),
            DFU,
        ),
        Automation(
            "clear_claim_code",
            fix_device.clear_claim_code,
            lambda rig: fix_device.preview_dct(rig, dct.CLEAR_CLAIM_CODE),
            DFU,
        ),
        Automation("claim_device", fix_cloud.claim_device, fix_cloud.preview_claim_device),
        Automation("reset_keys", fix_device.reset_keys, fix_device.preview_reset_keys, CLI),
        Automation(
            "update_device_os",
            fix_device.update_device_os,
            fix_device.preview_update_device_os,
            CLI,
            check=fix_device.check_update_device_os,
        ),
        Automation("ping_device", fix_cloud.ping_device, fix_cloud.preview_ping),
    )
}


def automation_for(automation_id: str) -> Automation | None:
    """The automation for an id, or None for ``manual`` and for ids this version does not know."""
    return AUTOMATIONS.get(automation_id)
