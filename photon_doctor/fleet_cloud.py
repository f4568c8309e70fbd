"""Reading a whole fleet from the Particle cloud API: every page, every device's vitals, politely and resumably.

* Paging: ``GET /v1/products/:product/devices?page=N&per_page=100`` answers ``{devices, meta: {total_pages}}``
  (PAJS 12.0.2 ``listDevices``, ``DeviceListResponse``, ``PaginationMeta``); the account list ``GET /v1/devices``
  is one array.
* Vitals: ``GET /v1/diagnostics/:id/last`` (product: ``/v1/products/:product/diagnostics/:id/last``), reference §4.
* At most ``in_flight`` requests at a time (one thread each). A 429 pauses every thread for ``Retry-After``
  seconds (or an exponential backoff when the header is missing); 5xx and lost connections are retried the same way.
* Every device fetched is appended at once to a checkpoint file (JSONL, the API's device shape with its
  ``diagnostics``; never the token). After an interruption, ``resume`` reads it back and fetches only the rest.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from photon_doctor.foundation.errors import DeviceError, Interrupted
from photon_doctor.probes.cloud_client import (
    CloudClient,
    CloudError,
    CloudServerError,
    CloudUnreachable,
    MalformedResponse,
    NotFound,
    RateLimited,
    _segment,
)
from photon_doctor.sessions import make_private_dirs

T = TypeVar("T")
PER_PAGE = 100
#: Retries of one request after a 429, a 5xx or a lost connection, and the backoff when no Retry-After is sent
#: (0.5 + 1 + 2 + 4 + 8 + 10 s: a cloud that stays unreachable for about 25 s ends the fetch).
RETRIES = 6
BACKOFF_START, BACKOFF_MAX = 0.5, 10.0
#: Pacing after a 429 (additive-increase/multiplicative-decrease of the request rate, as TCP does): the gap between
#: request starts doubles at each 429 (from PACE_START, at most PACE_MAX) and shrinks by PACE_RECOVERY per success.
PACE_START, PACE_MAX, PACE_RECOVERY = 0.002, 1.0, 0.999
#: Devices in a row whose vitals failed after every retry (5xx, 429, a malformed answer) before the fetch stops
#: asking for vitals: each failure costs about 25 s of retries, so an outage of the vitals endpoint alone kept a
#: fleet of 1,000 devices waiting for about 50 minutes. The devices after that are listed without vitals.
VITALS_GIVE_UP = 8


class FetchStopped(DeviceError):
    """Raised when the cloud fails for good (unreachable after every retry, token rejected) after some devices
    were fetched; the message names the checkpoint that keeps them."""


class FleetClient(CloudClient):
    """The cloud client with the fleet's endpoints (product pages, product-scoped vitals)."""

    def product_page(
        self, product: str, page: int, per_page: int = PER_PAGE
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of a product's devices and the number of pages."""
        body = self._call("GET", f"/v1/products/{_segment(product)}/devices?page={page}&per_page={per_page}")
        devices = body.get("devices") if isinstance(body, dict) else None
        if not isinstance(devices, list) or not all(isinstance(d, dict) and "id" in d for d in devices):
            raise MalformedResponse("the Particle cloud sent a product device page of the wrong shape")
        meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
        pages = meta.get("total_pages", 1)
        return devices, pages if isinstance(pages, int) and pages >= 1 else 1

    def device_vitals(self, device_id: str, product: str | None) -> dict[str, Any]:
        """The ``diagnostics`` object of the device's last vitals (product-scoped when ``product`` is given)."""
        if product is None:
            return self.vitals(device_id)
        body = self._call(
            "GET",
            f"/v1/products/{_segment(product)}/diagnostics/{_segment(device_id)}/last",
            device_id=device_id,
        )
        diagnostics = body.get("diagnostics") if isinstance(body, dict) else None
        if not isinstance(diagnostics, dict) or not isinstance(diagnostics.get("payload"), dict):
            raise MalformedResponse("the Particle cloud's vitals answer has no diagnostics payload")
        return diagnostics


@dataclass
class FetchStats:
    """What the fetch met: requests made, 429s and the waits honoured, vitals that could not be read."""

    requests: int = 0
    rate_limited: int = 0
    waits: list[float] = field(default_factory=list)
    vitals_missing: int = 0
    #: of vitals_missing, the devices whose vitals were not asked for at all (after VITALS_GIVE_UP failures in a row)
    vitals_skipped: int = 0
    resumed: int = 0


class Checkpoint:
    """The JSONL file of devices fetched so far; appends are whole lines, under a lock."""

    def __init__(self, path: Path, resume: bool) -> None:
        self.path = path
        self.done: dict[str, dict[str, Any]] = {}
        make_private_dirs(path.parent)
        self._fresh = not (resume and path.exists())
        self._created = not path.exists()  # made by this run: removed again if the run kept nothing in it
        if not self._fresh:
            self._load()
        else:  # created private (0600) from the start; one that was there is made private, emptied by begin()
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            path.chmod(0o600)
        self._fh = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()
        self.added = 0

    def begin(self) -> None:
        """The cloud listed the devices: a fresh run empties what an earlier one kept only now, so a run that
        fails at once (a rejected token, no cloud) leaves an interrupted fetch's devices for ``--resume``."""
        with self._lock:
            if self._fresh:
                self._fh.truncate(0)
                self._fresh = False

    def _load(self) -> None:
        raw = self.path.read_bytes()
        if raw and not raw.endswith(b"\n"):  # a line cut short by a kill: drop it, it is fetched again
            raw = raw[: raw.rfind(b"\n") + 1]
            self.path.write_bytes(raw)
        for line in raw.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(record.get("id"), str):
                self.done[record["id"]] = record

    def add(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, separators=(",", ":")) + "\n"
        with self._lock:
            self._fh.write(line)
            self._fh.flush()
            self.added += 1

    def close(self) -> None:
        """Close the file; one this run created and never wrote (the token or the product refused at once) is
        removed, so a failed run leaves no empty checkpoint behind."""
        self._fh.close()
        if self._created and self.added == 0:
            try:
                if self.path.stat().st_size == 0:
                    self.path.unlink()
            except OSError:
                pass


class FleetFetcher:
    """Fetches every device of the account (``product`` None) or of a product, with their vitals.

    ``make_client`` makes one client per worker thread. ``sleep`` is how a backoff waits (``time.sleep``).
    """

    def __init__(
        self,
        make_client: Callable[[], FleetClient],
        product: str | None,
        in_flight: int = 8,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._make_client = make_client
        self.product = product
        self.in_flight = max(1, in_flight)
        self.stats = FetchStats()
        self._sleep = sleep
        self._local = threading.local()
        self._clients: list[FleetClient] = []
        self._gate = threading.Lock()
        self._resume_at = 0.0
        self._interval = 0.0  # seconds between request starts, across threads (adaptive: see _polite)
        self._next_at = 0.0
        self._slowed_at = 0.0  # when the request rate was last halved
        self._vitals_failed_in_row = 0  # devices whose vitals failed since the last that answered

    @property
    def pace(self) -> float:
        """Seconds kept between request starts now (0 until the cloud first answers 429)."""
        return self._interval

    # --- one request, politely ----------------------------------------------------------------------------
    def _wait_turn(self) -> float:
        """Wait out a Retry-After pause, and keep request starts ``_interval`` apart (0 until the first 429).

        A pause that began while this request waited for its turn is waited out too. Returns when the turn was
        given: a 429 to a request given its turn before the last slowdown does not slow down again."""
        while True:
            with self._gate:
                now = time.monotonic()
                start = max(now, self._resume_at, self._next_at)
                self._next_at = start + self._interval
            if start > now:
                self._sleep(start - now)
            with self._gate:
                if self._resume_at <= start or self._resume_at <= time.monotonic():
                    return now

    def _client(self) -> FleetClient:
        client: FleetClient | None = getattr(self._local, "client", None)
        if client is None:
            client = self._make_client()
            self._local.client = client
            with self._gate:
                self._clients.append(client)
        return client

    def _polite(self, call: Callable[[FleetClient], T]) -> T:
        """Make one request: paced, paused while a Retry-After runs, retried after a 429, a 5xx or no answer."""
        backoff = BACKOFF_START
        for attempt in range(RETRIES + 1):
            started = self._wait_turn()
            try:
                with self._gate:
                    self.stats.requests += 1
                result = call(self._client())
            except RateLimited as exc:
                wait_for = exc.retry_after if exc.retry_after is not None else backoff
                with self._gate:
                    self.stats.rate_limited += 1
                    self.stats.waits.append(wait_for)
                    self._resume_at = max(self._resume_at, time.monotonic() + wait_for)
                    # Slow down for good, not just for the pause: the request rate halves at each 429 -- once
                    # per burst, as TCP halves once per window: the other requests in flight when the rate was
                    # halved met the same limit (8 of them halved it 8 times, to a tenth of the limit or less).
                    if started >= self._slowed_at:
                        self._interval = min(PACE_MAX, max(PACE_START, self._interval * 2))
                        self._slowed_at = time.monotonic()
                if attempt == RETRIES:
                    raise
            except (CloudServerError, CloudUnreachable):
                if attempt == RETRIES:
                    raise
                self._sleep(backoff)
            else:
                with self._gate:  # and speeds up again slowly while the cloud answers
                    self._interval = (
                        self._interval * PACE_RECOVERY if self._interval > PACE_START / 8 else 0.0
                    )
                return result
            backoff = min(BACKOFF_MAX, backoff * 2)
        raise AssertionError("unreachable")

    # --- the fleet ----------------------------------------------------------------------------------------
    def list_devices(self) -> list[dict[str, Any]]:
        """Every device record (all pages); ids are unique (a device met twice across pages is kept once)."""
        if self.product is None:
            return _unique(self._polite(lambda c: c.list_devices()))
        product = self.product
        first, pages = self._polite(lambda c: c.product_page(product, 1))
        devices = list(first)
        if pages > 1:
            with ThreadPoolExecutor(self.in_flight, thread_name_prefix="fleet-page") as pool:
                rest = pool.map(
                    lambda n: self._polite(lambda c: c.product_page(product, n))[0], range(2, pages + 1)
                )
                for page in rest:
                    devices.extend(page)
        return _unique(devices)

    def _with_vitals(self, device: dict[str, Any]) -> dict[str, Any]:
        device_id = str(device["id"])
        with self._gate:
            if self._vitals_failed_in_row >= VITALS_GIVE_UP:  # the vitals endpoint is down: stop asking
                self.stats.vitals_missing += 1
                self.stats.vitals_skipped += 1
                return device
        try:
            vitals = self._polite(lambda c: c.device_vitals(device_id, self.product))
        except NotFound:
            return device  # the device never sent vitals
        except (RateLimited, CloudServerError, MalformedResponse):
            with self._gate:
                self.stats.vitals_missing += 1
                self._vitals_failed_in_row += 1
            return device
        # CloudUnreachable after every retry, BadToken and the rest end the fetch (see fetch()).
        with self._gate:
            self._vitals_failed_in_row = 0
        return {**device, "diagnostics": vitals}

    def fetch(
        self, checkpoint: Checkpoint, progress: Callable[[int, int], None] | None = None
    ) -> list[dict[str, Any]]:
        """Every device with its vitals: those in ``checkpoint`` are reused, the rest fetched and appended.

        ``progress(done, total)`` is called as devices complete. Ctrl-C stops the fetch and raises
        :class:`~photon_doctor.foundation.errors.Interrupted` naming the checkpoint (what was fetched is kept there).
        """
        try:
            devices = self.list_devices()
            checkpoint.begin()
            ids = [str(d["id"]) for d in devices]
            todo = [d for d in devices if str(d["id"]) not in checkpoint.done]
            self.stats.resumed = len(devices) - len(todo)
            done = self.stats.resumed
            if progress is not None:
                progress(done, len(devices))
            fetched: dict[str, dict[str, Any]] = {}
            pool = ThreadPoolExecutor(self.in_flight, thread_name_prefix="fleet-vitals")
            try:
                pending: set[Future[dict[str, Any]]] = set()
                queue = iter(todo)
                for device in _take(queue, self.in_flight * 2):
                    pending.add(pool.submit(self._with_vitals, device))
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        record = future.result()
                        checkpoint.add(record)
                        fetched[str(record["id"])] = record
                        done += 1
                    for device in _take(queue, len(finished)):
                        pending.add(pool.submit(self._with_vitals, device))
                    if progress is not None:
                        progress(done, len(devices))
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
        except KeyboardInterrupt:
            raise Interrupted(
                f"interrupted: the devices fetched so far are kept in {checkpoint.path}; "
                "run the same command with --resume to fetch only the rest"
            ) from None
        except CloudError as exc:
            if not (checkpoint.done or checkpoint.added):
                raise
            raise FetchStopped(
                f"{exc.message}; the devices fetched so far are kept in {checkpoint.path}: "
                "run the same command with --resume to fetch only the rest"
            ) from None
        finally:
            for client in self._clients:
                client.close()
        return [fetched.get(i) or checkpoint.done[i] for i in ids]


def _take(queue: Iterable[T], n: int) -> list[T]:
    out: list[T] = []
    if n <= 0:
        return out
    for item in queue:
        out.append(item)
        if len(out) >= n:
            break
    return out


def _unique(devices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({str(d["id"]): d for d in devices}.values())
