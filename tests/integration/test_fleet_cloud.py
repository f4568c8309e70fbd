"""Reading a fleet from the simulated cloud over real HTTP on 127.0.0.1: paging, 429 with Retry-After, resuming."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, cast

import pytest
import requests
from photon_doctor.foundation.errors import Interrupted
from photon_doctor.probes.cloud_client import NotYourDevice, RateLimited
from photon_doctor.simulator import cloud_api
from photon_doctor.simulator.fleet import FleetSimulator

from photon_doctor.fleet_cloud import (
    PACE_START,
    RETRIES,
    VITALS_GIVE_UP,
    Checkpoint,
    FetchStopped,
    FleetClient,
    FleetFetcher,
)


def fetcher(sim: FleetSimulator, product: str | None = "4242", in_flight: int = 4) -> FleetFetcher:
    return FleetFetcher(lambda: FleetClient(sim.url, sim.token), product, in_flight)


def test_product_pages_in_the_api_shape() -> None:
    with FleetSimulator(230, seed=3) as sim:
        body = requests.get(
            f"{sim.url}/v1/products/4242/devices",
            params={"page": 3, "per_page": 100},
            headers={"Authorization": f"Bearer {sim.token}"},
            timeout=5,
        ).json()
        assert body["meta"] == {"page": 3, "per_page": 100, "total_pages": 3, "total": 230}
        assert len(body["devices"]) == 30
        listed = fetcher(sim).list_devices()
    assert len(listed) == 230
    assert {d["id"] for d in listed} == {d.device_id for d in sim.cloud.devices}
    assert sim.cloud.requests == 1 + 3  # the request above, then three pages of 100


def test_a_product_out_of_reach_is_permission_denied() -> None:
    """The real cloud's words for a product the account cannot reach (particle-cli 60347576 product.e2e.js)."""
    with FleetSimulator(5, seed=3) as sim:
        r = requests.get(
            f"{sim.url}/v1/products/9999/devices", headers={"Authorization": f"Bearer {sim.token}"}, timeout=5
        )
        assert r.status_code == 403 and r.json() == {"error_description": "Permission denied"}
        with pytest.raises(NotYourDevice) as caught:
            fetcher(sim, product="9999").list_devices()
    message = str(caught.value)
    assert "Permission denied" in message and "this account cannot reach it" in message
    assert "the request is" not in message


def test_a_run_refused_at_once_leaves_no_empty_checkpoint_and_keeps_an_earlier_one(tmp_path: Path) -> None:
    """QA finding: `fleet --product 9999` (denied, exit 6) left an empty product-9999.jsonl behind. A checkpoint
    this run created and never wrote is removed; one an earlier, interrupted run left is kept for --resume."""
    path = tmp_path / "product-9999.jsonl"
    with FleetSimulator(5, seed=3) as sim:

        def refused_run() -> None:
            checkpoint = Checkpoint(path, resume=False)
            try:
                with pytest.raises(NotYourDevice):
                    fetcher(sim, product="9999").fetch(checkpoint)
            finally:
                checkpoint.close()

        refused_run()
        assert not path.exists()
        path.write_text('{"id": "kept"}\n', encoding="utf-8")
        refused_run()
    assert path.read_text(encoding="utf-8") == '{"id": "kept"}\n'


def test_the_account_list_and_a_wrong_token() -> None:
    with FleetSimulator(40, seed=3) as sim:
        assert len(fetcher(sim, product=None).list_devices()) == 40
        r = requests.get(
            f"{sim.url}/v1/products/4242/devices", headers={"Authorization": "Bearer nope"}, timeout=5
        )
        assert r.status_code == 401


def test_429_is_answered_by_waiting_retry_after(tmp_path: Path) -> None:
    # 60 devices need 61 requests; the bucket allows a burst of 10, then 20 per second: 429s are certain.
    with FleetSimulator(60, seed=4, rate=20, burst=10) as sim:
        f = fetcher(sim, in_flight=6)
        checkpoint = Checkpoint(tmp_path / "c.jsonl", resume=False)
        records = f.fetch(checkpoint)
        checkpoint.close()
        limited = sim.cloud.rate_limited
    assert len(records) == 60 and all("diagnostics" in r for r in records)
    assert limited > 0
    assert f.stats.rate_limited == limited
    assert f.stats.waits and all(
        w >= 1 for w in f.stats.waits
    )  # the simulator's Retry-After is whole seconds


def test_an_interrupted_fetch_resumes_without_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "fleet.jsonl"
    with FleetSimulator(120, seed=5) as sim:
        first = fetcher(sim, in_flight=2)
        checkpoint = Checkpoint(path, resume=False)

        def ctrl_c_after_50(done: int, total: int) -> None:
            if done >= 50:
                raise KeyboardInterrupt

        with pytest.raises(Interrupted, match="--resume"):
            first.fetch(checkpoint, ctrl_c_after_50)
        checkpoint.close()
        kept = [json.loads(line)["id"] for line in path.read_text().splitlines()]
        assert 50 <= len(kept) < 120
        with path.open("a") as fh:
            fh.write('{"id": "cut sho')  # a line cut short by a kill
        requests_before = sim.cloud.requests
        second = fetcher(sim)
        checkpoint = Checkpoint(path, resume=True)
        records = second.fetch(checkpoint)
        checkpoint.close()
        vitals_asked = sim.cloud.requests - requests_before - 2  # two product pages
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == 120
    lines = [json.loads(line)["id"] for line in path.read_text().splitlines()]
    assert len(lines) == len(set(lines)) == 120
    assert second.stats.resumed == len(set(kept))
    assert vitals_asked == 120 - len(set(kept))


def test_a_cloud_that_goes_away_ends_the_fetch_with_a_resume_hint(tmp_path: Path) -> None:
    path = tmp_path / "fleet.jsonl"
    slept: list[float] = []
    with FleetSimulator(200, seed=6) as sim:
        f = FleetFetcher(lambda: FleetClient(sim.url, sim.token, timeout=2), "4242", 2, sleep=slept.append)
        checkpoint = Checkpoint(path, resume=False)

        def cloud_gone_after_20(done: int, total: int) -> None:
            if done >= 20 and sim.api._server is not None:
                sim.api.stop()

        with pytest.raises(FetchStopped, match="connection refused.*--resume"):
            f.fetch(checkpoint, cloud_gone_after_20)
        checkpoint.close()
    assert 20 <= len(path.read_text().splitlines()) < 200
    assert sorted(set(slept)) == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0]  # each thread backed off, then gave up


class _BurstLimited:
    """A fleet client whose first wave of vitals requests, all in flight together, meets a 429 (Retry-After 0)."""

    def __init__(self, wave: threading.Barrier, seen: set[str]) -> None:
        self.wave, self.seen = wave, seen

    def list_devices(self) -> list[dict[str, Any]]:
        return [{"id": f"{i:024x}", "online": False} for i in range(8)]

    def device_vitals(self, device_id: str, product: str | None) -> dict[str, Any]:
        if device_id not in self.seen:
            self.seen.add(device_id)
            self.wave.wait(timeout=30)  # all eight requests are in flight before any answer comes
            raise RateLimited("rate limited", retry_after=0)
        return {"payload": {}}

    def close(self) -> None:
        pass


def test_a_burst_of_429s_halves_the_request_rate_once(tmp_path: Path) -> None:
    # QA finding: each 429 of one burst halved the rate again, so 8 requests in flight cut it to 1/128 of the
    # start, and 0.1 % of recovery per answer took thousands of answers: against a cloud allowing 100 requests a
    # second, `fleet` fetched about 6 devices a second.
    wave, seen = threading.Barrier(8), set()  # type: ignore[var-annotated]
    f = FleetFetcher(
        lambda: cast(FleetClient, _BurstLimited(wave, seen)), None, in_flight=8, sleep=lambda s: None
    )
    checkpoint = Checkpoint(tmp_path / "c.jsonl", resume=False)
    records = f.fetch(checkpoint)
    checkpoint.close()
    assert len(records) == 8 and f.stats.rate_limited == 8
    assert 0 < f.pace <= PACE_START


def test_a_vitals_outage_stops_the_vitals_requests_after_a_few_devices(tmp_path: Path) -> None:
    """QA finding: with the vitals endpoint answering 500 (and the device list fine), every device's vitals were
    retried six times with a backoff of about 25 s in all, so 50 devices took about 3 minutes and 1,000 about
    50; after VITALS_GIVE_UP devices in a row without vitals, the rest are listed without asking."""
    slept: list[float] = []
    with FleetSimulator(60, seed=4) as sim:
        sim.api.inject(cloud_api.Fault(status=500, path_prefix="/v1/products/4242/diagnostics/"))
        f = FleetFetcher(lambda: FleetClient(sim.url, sim.token), "4242", 4, sleep=slept.append)
        checkpoint = Checkpoint(tmp_path / "fleet.jsonl", resume=False)
        devices = f.fetch(checkpoint)
        checkpoint.close()
    assert len(devices) == 60 and not any("diagnostics" in d for d in devices)
    assert f.stats.vitals_missing == 60
    asked = 60 - f.stats.vitals_skipped
    assert VITALS_GIVE_UP <= asked < VITALS_GIVE_UP + 4  # the devices in flight when the eighth failed finish
    assert f.stats.requests == 1 + asked * (RETRIES + 1)  # the page, then every retry of the devices asked


def test_vitals_that_fail_now_and_then_are_still_asked_for(tmp_path: Path) -> None:
    """Failures that are not in a row do not stop the vitals requests: a device that answers starts the count
    again (every other device's vitals fail here, after every retry; one request in flight keeps the order)."""
    with FleetSimulator(40, seed=4) as sim:
        failing = [d.device_id for d in sim.cloud.devices[::2]]
        for device_id in failing:
            sim.api.inject(
                cloud_api.Fault(status=500, path_prefix=f"/v1/products/4242/diagnostics/{device_id}")
            )
        f = FleetFetcher(lambda: FleetClient(sim.url, sim.token), "4242", 1, sleep=lambda s: None)
        checkpoint = Checkpoint(tmp_path / "fleet.jsonl", resume=False)
        devices = f.fetch(checkpoint)
        checkpoint.close()
    assert f.stats.vitals_missing == 20 and f.stats.vitals_skipped == 0
    assert {d["id"] for d in devices if "diagnostics" not in d} == set(failing)
