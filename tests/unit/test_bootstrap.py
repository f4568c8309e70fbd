"""The one composition root: what a run acts through, built once, the demo's simulated Photon only for the run."""

from __future__ import annotations

import socket

import pytest
from photon_doctor.foundation.errors import UsageError
from photon_doctor.knowledge.loader import load_knowledge
from photon_doctor.knowledge.model import KnowledgeBase

from photon_doctor.bootstrap import Built, wired
from photon_doctor.config import DiagnoseOptions, Simulated


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


def test_a_real_photons_probes_are_built_once_with_the_login_given(kb: KnowledgeBase) -> None:
    built = Built(kb, DiagnoseOptions(token="a" * 40, softap_url="http://127.0.0.1:9"))
    first = built.targets()
    assert built.targets() is first
    assert first.context.token == "a" * 40 and set(first.probes) == {
        "usb",
        "serial",
        "cloud",
        "host",
        "softap",
    }
    assert built.photon is None and built.answers is None


def test_the_demo_photon_runs_for_the_run_only(kb: KnowledgeBase) -> None:
    with wired(kb, DiagnoseOptions(auto=True, target=Simulated("thread-dented-photon"))) as built:
        assert built.photon is not None and built.answers
        assert built.targets() is built.probes is not None
        ep = built.photon.endpoints()
        assert built.targets().context.api_url == ep.api_url
        with socket.create_connection((ep.cloud_host, ep.cloud_port), timeout=5):
            pass  # its cloud endpoint is listening
    with pytest.raises(OSError):
        socket.create_connection((ep.cloud_host, ep.cloud_port), timeout=5).close()


def test_an_unknown_scenario_is_a_usage_error(kb: KnowledgeBase) -> None:
    with pytest.raises(UsageError, match="no-such-scenario"):
        with wired(kb, DiagnoseOptions(target=Simulated("no-such-scenario"))):
            pass
