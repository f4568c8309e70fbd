"""The module dependency check over a Photon's module-info document (the `s` command), like the PASS/FAIL of
``particle serial inspect``: every dependency of every module must be met by an installed module with the same
function and index and a version at least the one required.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_FUNCTIONS = {
    "b": "bootloader",
    "s": "system part",
    "u": "user part",
    "m": "monolithic firmware",
    "r": "reserved",
    "a": "radio stack",
    "c": "NCP firmware",
}


@dataclass(frozen=True)
class ModuleRef:
    """A module (or a dependency on one): function letter, index and version."""

    function: str
    index: str
    version: int

    def describe(self) -> str:
        """E.g. ``system part 2 v2301``."""
        return f"{_FUNCTIONS.get(self.function, 'module ' + self.function)} {self.index} v{self.version}"


@dataclass(frozen=True)
class DependencyProblem:
    """A dependency that no installed module satisfies; ``found`` is the installed version, if any."""

    module: ModuleRef
    needs: ModuleRef
    found: int | None

    def describe(self) -> str:
        """One line, e.g. ``user part 1 v6 needs system part 2 v2401, found v2301``."""
        found = f"found v{self.found}" if self.found is not None else "none installed"
        return f"{self.module.describe()} needs {self.needs.describe()}, {found}"


@dataclass(frozen=True)
class ModuleCheck:
    """The installed modules and the dependencies they lack."""

    platform_id: int | None
    modules: tuple[ModuleRef, ...]
    problems: tuple[DependencyProblem, ...]

    @property
    def ok(self) -> bool:
        """True when every dependency is satisfied (``particle serial inspect`` would say PASS throughout)."""
        return not self.problems

    def describe(self) -> str:
        """One line for provenance: the verdict and the first problem."""
        if self.ok:
            return f"{len(self.modules)} modules, all dependencies satisfied"
        more = f" (+{len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        return f"{len(self.modules)} modules; {self.problems[0].describe()}{more}"


def _ref(raw: Any, where: str) -> ModuleRef | None:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where} is not an object")
    func, index, version = raw.get("f"), raw.get("n"), raw.get("v")
    if func is None or func == "n":
        return None  # an empty slot (e.g. the factory image area) or a "none" dependency
    if not isinstance(func, str) or isinstance(version, bool) or not isinstance(version, int):
        raise ValueError(f"{where} has a bad function or version ({func!r}, {version!r})")
    if not isinstance(index, (str, int)) or isinstance(index, bool):
        raise ValueError(f"{where} has a bad index ({index!r})")
    return ModuleRef(func, str(index), version)


def check_modules(info: Mapping[str, Any]) -> ModuleCheck:
    """Check the dependencies in a module-info document ``{"p": 6, "m": [...]}``.

    Raises ValueError (with a one-line message) when the document does not have that shape.
    """
    modules_raw = info.get("m")
    if not isinstance(modules_raw, list):
        raise ValueError("module info has no module list ('m')")
    platform = info.get("p")
    installed: list[ModuleRef] = []
    wanted: list[tuple[ModuleRef, ModuleRef]] = []
    for i, raw in enumerate(modules_raw):
        ref = _ref(raw, f"module {i}")
        if ref is None:
            continue
        installed.append(ref)
        deps = raw.get("d", [])
        if not isinstance(deps, list):
            raise ValueError(f"module {i} has a bad dependency list")
        for j, dep_raw in enumerate(deps):
            dep = _ref(dep_raw, f"module {i} dependency {j}")
            if dep is not None and dep.version > 0:
                wanted.append((ref, dep))
    problems = []
    for module, dep in wanted:
        same = [m.version for m in installed if (m.function, m.index) == (dep.function, dep.index)]
        if not any(v >= dep.version for v in same):
            problems.append(DependencyProblem(module, dep, max(same) if same else None))
    return ModuleCheck(platform if isinstance(platform, int) else None, tuple(installed), tuple(problems))
