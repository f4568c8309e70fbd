"""From device facts to observations, with what only the whole fleet can tell (pure; no I/O).

Two steps make a fleet cheap to diagnose:

* :func:`fleet_context` looks at all devices at once: which went offline together (within
  :data:`TOGETHER_SECONDS`), at one site or at many, and whether one product firmware version fails more than the
  others.
* :func:`observation_key` turns one device into a hashable key of (observation id, value) pairs in which every
  number is replaced by a representative of its interval between the thresholds the rules test
  (:class:`Canon`). Two devices with the same key get the same diagnosis, so each distinct key is diagnosed once.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from photon_doctor.fleet_records import DeviceFacts
from photon_doctor.foundation.evidence import Observation, ObsValue, Provenance, Source
from photon_doctor.knowledge.model import Kind, KnowledgeBase, Op, version_key

#: Devices "went offline together" when the cloud last heard them within this many seconds of each other.
TOGETHER_SECONDS = 1800.0
#: Distinct sites are counted up to this many (the rules test far lower thresholds).
SITES_CAP = 20
#: A firmware version "was followed by failures" when at least this many devices run it, at least this share of
#: them went offline on their own (not with their whole site, nor in a fleet-wide burst), and that share is at least
#: FIRMWARE_RATIO times the same share on the product's other versions.
FIRMWARE_MIN_DEVICES, FIRMWARE_MIN_SHARE, FIRMWARE_RATIO = 5, 0.2, 2.0
#: An online device is diagnosed only when its vitals show trouble (else it is healthy).
TROUBLE_NETWORK_DISCONNECTS, TROUBLE_CLOUD_DISCONNECTS = 10, 5
#: How far each kind of observation is trusted (as the single-device cloud probe does; fleet facts are derived).
CONFIDENCE = {"cloud_online": 0.9, "signal_rssi_dbm": 0.8}
PROVENANCE = Provenance(
    Source.PROBE_CLOUD, "fleet: the cloud's device list and vitals, and the fleet around it"
)

Key = tuple[tuple[str, ObsValue], ...]


@dataclass(frozen=True)
class Together:
    """The fleet-level facts of one offline device."""

    site_pct: float | None  # share of its site's devices offline together with it (None: alone at its site)
    sites: int  # distinct sites with a device offline together with it, itself included (capped)
    fleet_pct: float  # share of its product's devices offline together with it


@dataclass(frozen=True)
class FleetContext:
    """Fleet-level facts by device id (offline devices only), and the firmware versions followed by failures."""

    together: dict[str, Together]
    failing_firmware: frozenset[tuple[int | None, int]]  # (product id, firmware version)
    multi_version_products: frozenset[int | None]


def needs_diagnosis(d: DeviceFacts) -> bool:
    """Offline, or online with vitals that show a struggling connection."""
    if not d.online:
        return True
    return (d.network_disconnects or 0) >= TROUBLE_NETWORK_DISCONNECTS or (
        d.cloud_disconnects or 0
    ) >= TROUBLE_CLOUD_DISCONNECTS


def fleet_context(devices: Sequence[DeviceFacts]) -> FleetContext:
    """Compute the fleet-level facts (O(n log n))."""
    product_total: dict[int | None, int] = defaultdict(int)
    site_total: dict[str, int] = defaultdict(int)
    offline_by_product: dict[int | None, list[tuple[float, str, str | None]]] = defaultdict(list)
    versions: dict[tuple[int | None, int], list[int]] = defaultdict(lambda: [0, 0])  # [devices, offline]
    for d in devices:
        product_total[d.product_id] += 1
        if d.site is not None:
            site_total[d.site] += 1
        if not d.online and d.last_heard is not None:
            offline_by_product[d.product_id].append((d.last_heard, d.id, d.site))
    together: dict[str, Together] = {}
    for product, offline in offline_by_product.items():
        offline.sort()
        times = [t for t, _, _ in offline]
        by_site: dict[str, list[float]] = defaultdict(list)
        for t, _, site in offline:
            if site is not None:
                by_site[site].append(t)  # already in time order
        for i, (t, device_id, site) in enumerate(offline):
            lo = bisect.bisect_left(times, t - TOGETHER_SECONDS)
            hi = bisect.bisect_right(times, t + TOGETHER_SECONDS)
            site_pct = None
            if site is not None and site_total[site] >= 2:
                near = by_site[site]
                count = bisect.bisect_right(near, t + TOGETHER_SECONDS) - bisect.bisect_left(
                    near, t - TOGETHER_SECONDS
                )
                site_pct = 100.0 * count / site_total[site]
            together[device_id] = Together(
                site_pct, _distinct_sites(offline, i, lo, hi), 100.0 * (hi - lo) / product_total[product]
            )
    for d in devices:
        if d.firmware_version is not None:
            counts = versions[(d.product_id, d.firmware_version)]
            counts[0] += 1
            counts[1] += not d.online and _alone(together.get(d.id))
    failing, multi = _firmware(versions)
    return FleetContext(together, failing, multi)


def _alone(t: Together | None) -> bool:
    """Offline on its own: not with most of its site, nor in a fleet-wide burst (those have their own causes)."""
    return t is None or ((t.site_pct is None or t.site_pct < 50) and t.fleet_pct < 2)


def _distinct_sites(offline: list[tuple[float, str, str | None]], i: int, lo: int, hi: int) -> int:
    """Distinct sites in ``offline[lo:hi]``, nearest first from ``i``, counted up to :data:`SITES_CAP`."""
    seen: set[str] = set()
    unknown = 0
    left, right = i, i + 1
    while (left >= lo or right < hi) and len(seen) + unknown < SITES_CAP:
        for j in (left, right):
            if lo <= j < hi:
                site = offline[j][2]
                if site is None:
                    unknown += 1  # a device without a known address counts as a site of its own
                else:
                    seen.add(site)
        left, right = left - 1, right + 1
    return min(SITES_CAP, len(seen) + unknown)


def _firmware(
    versions: dict[tuple[int | None, int], list[int]],
) -> tuple[frozenset[tuple[int | None, int]], frozenset[int | None]]:
    per_product: dict[int | None, list[tuple[int, int, int]]] = defaultdict(list)
    for (product, version), (count, offline) in versions.items():
        per_product[product].append((version, count, offline))
    failing: set[tuple[int | None, int]] = set()
    multi: set[int | None] = set()
    for product, rows in per_product.items():
        if len(rows) < 2:
            continue
        multi.add(product)
        all_count = sum(c for _, c, _ in rows)
        all_offline = sum(o for _, _, o in rows)
        for version, count, offline in rows:
            share = offline / count
            rest = (all_offline - offline) / max(1, all_count - count)
            if (
                count >= FIRMWARE_MIN_DEVICES
                and share >= FIRMWARE_MIN_SHARE
                and share >= FIRMWARE_RATIO * rest
            ):
                failing.add((product, version))
    return frozenset(failing), frozenset(multi)


class Canon:
    """Maps each number to a representative of its interval between the thresholds the rules test on it.

    Every rule condition on a number compares it with a constant, so all values strictly between two adjacent
    constants (or beyond the last) satisfy exactly the same conditions: diagnosing the representative is
    diagnosing the value. The constants themselves are kept as they are.
    """

    def __init__(self, kb: KnowledgeBase) -> None:
        cuts: dict[str, set[float]] = defaultdict(set)
        for rule in kb.rules:
            for cond in rule.conditions:
                if kb.observations[cond.obs].kind is Kind.NUMBER and cond.op in (
                    Op.LT,
                    Op.LE,
                    Op.GT,
                    Op.GE,
                    Op.IS,
                    Op.IS_NOT,
                ):
                    cuts[cond.obs].add(float(cond.value))
        self._cuts = {obs: sorted(values) for obs, values in cuts.items()}

    def number(self, obs_id: str, value: float) -> float:
        cuts = self._cuts.get(obs_id)
        if not cuts:
            return 0.0  # no rule tests it: every value is alike
        i = bisect.bisect_left(cuts, value)
        if i < len(cuts) and cuts[i] == value:
            return value
        if i == 0:
            return cuts[0] - 1.0
        if i == len(cuts):
            return cuts[-1] + 1.0
        return (cuts[i - 1] + cuts[i]) / 2


def _version(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        version_key(text)
    except ValueError:
        return None
    return text.lstrip("vV")


def observation_key(d: DeviceFacts, ctx: FleetContext, canon: Canon, now: float) -> Key:
    """The device's observations as a sorted, hashable key of (id, value) with numbers canonicalised."""
    pairs: list[tuple[str, ObsValue]] = [
        ("cli_login_ok", True),
        ("cloud_lists_device", True),
        ("cloud_online", d.online),
    ]
    num = canon.number
    if d.last_heard is not None:
        hours = 0.0 if d.online else max(0.0, (now - d.last_heard) / 3600)
        pairs.append(("cloud_offline_hours", num("cloud_offline_hours", hours)))
    version = _version(d.system_firmware_version)
    if version is not None:
        pairs.append(("device_os_version", version))
    if d.rssi is not None:
        pairs.append(("signal_rssi_dbm", num("signal_rssi_dbm", d.rssi)))
    if d.network_disconnects is not None:
        pairs.append(("network_disconnects", num("network_disconnects", d.network_disconnects)))
    if d.cloud_disconnects is not None:
        pairs.append(("cloud_disconnects", num("cloud_disconnects", d.cloud_disconnects)))
    if d.cloud_reason is not None:
        pairs.append(("cloud_disconnect_reason", d.cloud_reason))
    if d.firmware_version is not None and d.product_id in ctx.multi_version_products:
        pairs.append(
            (
                "firmware_release_followed_by_failures",
                (d.product_id, d.firmware_version) in ctx.failing_firmware,
            )
        )
    together = ctx.together.get(d.id)
    if together is not None:
        if together.site_pct is not None:
            pairs.append(("site_offline_together_pct", num("site_offline_together_pct", together.site_pct)))
        pairs.append(("sites_offline_together", num("sites_offline_together", together.sites)))
        pairs.append(("fleet_offline_together_pct", num("fleet_offline_together_pct", together.fleet_pct)))
    pairs.sort()
    return tuple(pairs)


def observations_of(key: Key) -> dict[str, Observation]:
    """The observations a key stands for (every device with this key has these)."""
    return {
        obs_id: Observation(obs_id, value, CONFIDENCE.get(obs_id, 1.0), PROVENANCE) for obs_id, value in key
    }


def distinct(keys: Iterable[Key]) -> list[Key]:
    """The distinct keys, in first-seen order."""
    return list(dict.fromkeys(keys))
