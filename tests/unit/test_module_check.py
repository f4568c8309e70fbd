"""The module dependency check over `s` documents (like `particle serial inspect`)."""

from __future__ import annotations

from typing import Any

import pytest
from photon_doctor.probes.module_check import check_modules


def doc(user_needs: int, system2: int = 2301) -> dict[str, Any]:
    return {
        "p": 6,
        "m": [
            {"s": 16384, "l": "m", "f": "b", "n": "0", "v": 1150, "d": []},
            {"s": 262144, "l": "m", "f": "s", "n": "1", "v": 2301, "d": [{"f": "b", "n": "0", "v": 1150}]},
            {"s": 262144, "l": "m", "f": "s", "n": "2", "v": system2, "d": [{"f": "s", "n": 1, "v": 2301}]},
            {"s": 131072, "l": "m", "f": "u", "n": "1", "v": 6, "d": [{"f": "s", "n": "2", "v": user_needs}]},
            {"s": 131072, "l": "f", "vc": 30, "vv": 0, "d": []},  # an empty factory slot
        ],
    }


def test_all_satisfied() -> None:
    check = check_modules(doc(user_needs=1500))
    assert check.ok and check.platform_id == 6 and len(check.modules) == 4
    assert check.describe() == "4 modules, all dependencies satisfied"


def test_app_built_for_a_newer_device_os() -> None:
    check = check_modules(doc(user_needs=2401))
    assert not check.ok
    assert check.describe() == "4 modules; user part 1 v6 needs system part 2 v2401, found v2301"


def test_missing_module() -> None:
    info = doc(user_needs=0)
    del info["m"][2]
    check = check_modules(info)
    assert [p.describe() for p in check.problems] == []  # v 0 means "any": nothing needs part 2 here
    info["m"][2]["d"] = [{"f": "s", "n": "3", "v": 100}]
    assert (
        check_modules(info).problems[0].describe()
        == "user part 1 v6 needs system part 3 v100, none installed"
    )


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"m": "x"},
        {"m": [7]},
        {"m": [{"f": "s", "n": "1", "v": "2301"}]},
        {"m": [{"f": "s", "n": "1", "v": 1, "d": {}}]},
        {"m": [{"f": "s", "n": None, "v": 1}]},
    ],
)
def test_malformed_documents(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        check_modules(bad)


def test_several_problems_name_the_first_and_count_the_rest() -> None:
    """Mutation testing: the "(+N more)" of a check with several problems was never read."""
    info = doc(user_needs=2401)
    info["m"][2]["d"] = [{"f": "s", "n": "1", "v": 2400}]  # system part 2 wants a newer part 1 too
    check = check_modules(info)
    assert len(check.problems) == 2
    assert check.describe() == f"4 modules; {check.problems[0].describe()} (+1 more)"
    info["m"][1]["d"] = [{"f": "b", "n": "0", "v": 1200}]  # and part 1 a newer bootloader
    check = check_modules(info)
    assert len(check.problems) == 3
    assert check.describe() == f"4 modules; {check.problems[0].describe()} (+2 more)"
