"""Run mypy --strict over every module of the installed layout, from the source tree.

The project's folders (engine/, probes/, ...) are installed under one import package, ``photon_doctor``, through
setuptools' ``package-dir``. mypy cannot follow that mapping from the source tree: run on the folders directly it
either cannot find ``photon_doctor.engine`` or, with ``ignore_missing_imports``, silently turns every such import
into ``Any``. This script lays the package out as it is installed — a temporary folder of symbolic links built from
pyproject.toml's ``package-dir`` — runs mypy on it, and prints mypy's findings with the real source paths.

Usage: ``python scripts/typecheck.py`` (exit status: mypy's). The check also runs in the test suite
(``tests/static/test_static_checks.py``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent


def package_dirs(repo: Path = REPO) -> dict[str, Path]:
    """The import package -> source folder mapping, as pyproject.toml gives it to setuptools."""
    config = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
    mapping = config["tool"]["setuptools"]["package-dir"]
    return {package: (repo / folder).resolve() for package, folder in mapping.items()}


def stage(target: Path, repo: Path = REPO) -> dict[Path, Path]:
    """Lay the packages out under ``target`` as installed; return staged path -> source path for each module."""
    staged: dict[Path, Path] = {}
    for package, source in sorted(package_dirs(repo).items()):
        folder = target.joinpath(*package.split("."))
        folder.mkdir(parents=True, exist_ok=True)
        for module in sorted(source.glob("*.py")) + sorted(source.glob("py.typed")):
            link = folder / module.name
            link.symlink_to(module)
            staged[link.relative_to(target)] = module
    return staged


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="photon-doctor-typecheck-") as tmp:
        root = Path(tmp)
        staged = stage(root)
        modules = sum(1 for p in staged if p.suffix == ".py")
        cache = REPO / ".mypy_cache"
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "mypy",
                "--config-file",
                str(REPO / "pyproject.toml"),
                "--cache-dir",
                str(cache),
                "-p",
                "photon_doctor",
            ],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "MYPY_FORCE_COLOR": "0"},
        )
        real = {str(k): str(v.relative_to(REPO)) for k, v in staged.items()}
        pattern = re.compile(r"^(photon_doctor/[^:]+\.py)")
        out = "\n".join(
            pattern.sub(lambda m: real.get(m.group(1), m.group(1)), line) for line in proc.stdout.splitlines()
        )
        print(out)
        if proc.stderr:
            print(proc.stderr, file=sys.stderr)
        print(f"typecheck: {modules} modules staged from pyproject.toml's package-dir")
        return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main())
