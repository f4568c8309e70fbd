"""One error root: every error photon-doctor raises on purpose is a PhotonDoctorError and owns its exit code."""

from __future__ import annotations

import importlib
import inspect

import pytest
from photon_doctor.foundation.errors import ExitCode, PhotonDoctorError

from tests.static.test_layers import modules


def _error_classes() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for name in modules():
        # The simulator's stand-in tools are other programs (a fake `particle`), with their own errors.
        if name.endswith("__main__") or name.startswith("photon_doctor.simulator."):
            continue
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == name:
                found[f"{name}.{cls.__qualname__}"] = cls
    return [found[k] for k in sorted(found)]


ERRORS = _error_classes()


def test_the_known_roots_are_found() -> None:
    names = {cls.__name__ for cls in ERRORS}
    assert {"PhotonDoctorError", "ProbeFailure", "ActionFailed", "CloudError"} <= names


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_every_error_has_one_root_and_an_exit_code(cls: type[BaseException]) -> None:
    if issubclass(cls, PhotonDoctorError):
        assert isinstance(cls.exit_code, ExitCode)
        # Only one path up to the root: no class inherits from two of the project's error classes.
        ours = [b for b in cls.__bases__ if b.__module__.startswith("photon_doctor")]
        assert len(ours) == (0 if cls is PhotonDoctorError else 1)
    else:
        # The few ValueErrors are parse signals, caught where they are raised and turned into one of ours.
        assert issubclass(cls, ValueError), (
            f"{cls.__qualname__} is neither a PhotonDoctorError nor a ValueError"
        )
