"""The host-network probe against real local servers: connectivity checks, TCP listeners, DNS, subprocesses."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from photon_doctor.probes.base import ProbeContext, ProbeFailure, ProbeReport
from photon_doctor.probes.host_checks import (
    CommandNotFound,
    CommandResult,
    SubprocessRunner,
    check_captive_portal,
    check_tcp,
    resolve,
)
from photon_doctor.probes.host_network import AIRPORT, HostNetworkConfig, HostNetworkProbe, read_wifi_link

Reply = tuple[int, dict[str, str], bytes]
NMCLI_24 = "yes:HomeNet:2437 MHz:WPA2\nno:Other:5180 MHz:WPA2\n"


class FakeRunner:
    """A CommandRunner that answers from a table; a program missing from it is 'not found'."""

    def __init__(self, outputs: dict[str, CommandResult | str]) -> None:
        self.outputs = outputs
        self.calls: list[list[str]] = []

    def run(self, argv: Sequence[str], timeout: float) -> CommandResult:
        self.calls.append(list(argv))
        key = " ".join(argv)
        answer = self.outputs.get(key, self.outputs.get(argv[0]))
        if answer is None:
            raise CommandNotFound(f"{argv[0]} not found")
        return answer if isinstance(answer, CommandResult) else CommandResult(0, answer, "")


@pytest.fixture()
def http_server() -> Iterator[Callable[[Reply], str]]:
    """Start local HTTP servers that give one fixed reply; yields a factory returning the server's URL."""
    servers: list[tuple[ThreadingHTTPServer, threading.Thread]] = []

    def start(reply: Reply) -> str:
        status, headers, body = reply

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_address[1]}/generate_204"

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture()
def listener() -> Iterator[int]:
    """A TCP listener on 127.0.0.1 (the stand-in for the device cloud's port 5683)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)
        yield int(sock.getsockname()[1])


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


NO_PORTAL: Reply = (204, {}, b"")
PORTAL_REDIRECT: Reply = (302, {"Location": "http://login.hotel.example/?token=abc123&room=7"}, b"")
PORTAL_PAGE: Reply = (200, {"Content-Type": "text/html"}, b"<html><body>Accept the terms</body></html>")


def _probe(
    url: str,
    port: int,
    runner: FakeRunner,
    host: str = "127.0.0.1",
    target: str | None = None,
    platform: str = "linux",
) -> ProbeReport:
    config = HostNetworkConfig(connectivity_url=url, cloud_host=host, cloud_port=port, platform=platform)
    # Every answer here is due (the local servers answer at once): a timeout a busy computer does not reach.
    return HostNetworkProbe(config, runner).run(ProbeContext(target_ssid=target, timeout=5.0))


def _values(report: ProbeReport) -> dict[str, object]:
    return {o.id: o.value for o in report.observations}


# --- captive portal -----------------------------------------------------------------------------------------
def test_204_means_no_portal(http_server: Callable[[Reply], str]) -> None:
    check = check_captive_portal(http_server(NO_PORTAL), timeout=1)
    assert check.portal is False and "204" in check.detail


def test_redirect_means_portal_and_hides_query_secrets(http_server: Callable[[Reply], str]) -> None:
    check = check_captive_portal(http_server(PORTAL_REDIRECT), timeout=1)
    assert check.portal is True and "302 redirect to http://login.hotel.example" in check.detail
    assert "abc123" not in check.detail


def test_login_page_means_portal(http_server: Callable[[Reply], str]) -> None:
    check = check_captive_portal(http_server(PORTAL_PAGE), timeout=1)
    assert check.portal is True and "200 with a" in check.detail


def test_other_status_is_inconclusive(http_server: Callable[[Reply], str]) -> None:
    with pytest.raises(ProbeFailure, match="answered 500: cannot tell"):
        check_captive_portal(http_server((500, {}, b"oops")), timeout=1)


def test_connectivity_check_refused() -> None:
    with pytest.raises(ProbeFailure, match="connection refused"):
        check_captive_portal(f"http://127.0.0.1:{_closed_port()}/generate_204", timeout=1)


def test_connectivity_check_hang(listener: int) -> None:
    # A listener that accepts (in the backlog) and never answers: the read times out.
    started = time.monotonic()
    with pytest.raises(ProbeFailure, match="did not answer within 0.3 s"):
        check_captive_portal(f"http://127.0.0.1:{listener}/generate_204", timeout=0.3)
    assert (
        time.monotonic() - started < 10
    )  # the listener never answers: a bound a busy computer does not reach


# --- DNS and TCP --------------------------------------------------------------------------------------------
def test_tcp_listener_vs_closed_port(listener: int) -> None:
    addresses = resolve("127.0.0.1", listener, timeout=1)
    assert addresses == [(socket.AF_INET, "127.0.0.1")]
    assert check_tcp(addresses, "127.0.0.1", listener, 1).reachable is True
    closed = check_tcp(addresses, "127.0.0.1", _closed_port(), 1)
    assert (closed.reachable, closed.outcome) == (False, "refused")


def test_name_that_does_not_resolve() -> None:
    with pytest.raises(ProbeFailure, match="nonexistent.invalid does not resolve"):
        resolve("nonexistent.invalid", 5683, timeout=2)


# --- command runner -----------------------------------------------------------------------------------------
def test_runner_missing_command() -> None:
    with pytest.raises(CommandNotFound, match="^photon-doctor-no-such-tool not found$"):
        SubprocessRunner().run(["photon-doctor-no-such-tool"], timeout=1)


def test_runner_timeout() -> None:
    started = time.monotonic()
    with pytest.raises(ProbeFailure, match="did not finish within 0.2 s"):
        SubprocessRunner().run([sys.executable, "-c", "import time; time.sleep(60)"], timeout=0.2)
    assert (
        time.monotonic() - started < 10
    )  # the command would take 60 s: a bound a busy computer does not reach


def test_runner_output_and_exit_status() -> None:
    done = SubprocessRunner().run([sys.executable, "-c", "import sys; print('hi'); sys.exit(3)"], timeout=5)
    assert done == CommandResult(3, "hi\n", "")


# --- which tool per platform --------------------------------------------------------------------------------
def test_linux_falls_back_to_iw() -> None:
    runner = FakeRunner(
        {
            "iw dev": "phy#0\n\tInterface wlan0\n",
            "iw dev wlan0 link": "Connected to aa:bb (on wlan0)\n\tSSID: Net\n\tfreq: 5745\n",
        }
    )
    link, seen = read_wifi_link("linux", runner, 1)
    assert link is not None and (link.tool, link.band) == ("iw", "5") and seen == frozenset()


@pytest.mark.parametrize(
    ("platform", "reason"),
    [
        ("linux", "nmcli not found and iw not found: cannot tell the Wi-Fi band"),
        ("darwin", "airport not found and wdutil not found: cannot tell the Wi-Fi band"),
        ("win32", "netsh not found: cannot tell the Wi-Fi band"),
        ("sunos5", "no Wi-Fi tool known for platform 'sunos5': cannot tell the Wi-Fi band"),
    ],
)
def test_missing_tools(platform: str, reason: str) -> None:
    with pytest.raises(ProbeFailure) as caught:
        read_wifi_link(platform, FakeRunner({}), 1)
    assert str(caught.value) == reason


def test_tool_failure_names_the_error() -> None:
    runner = FakeRunner({"nmcli": CommandResult(8, "", "Error: NetworkManager is not running.\n")})
    with pytest.raises(ProbeFailure, match=r"nmcli failed \(Error: NetworkManager is not running.\)"):
        read_wifi_link("linux", runner, 1)


def test_macos_prefers_airport_then_wdutil() -> None:
    airport = FakeRunner({AIRPORT: "  state: running\n   SSID: Net\n  link auth: wpa2-psk\n  channel: 11\n"})
    first = read_wifi_link("darwin", airport, 1)[0]
    assert first is not None and first.tool == "airport"
    wdutil = FakeRunner({"wdutil info": "WIFI\n    SSID : Net\n    Channel : 5g36/80\n    Security : None\n"})
    link = read_wifi_link("darwin", wdutil, 1)[0]
    assert link is not None and (link.tool, link.band, link.security) == ("wdutil", "5", "open")


# --- the probe ----------------------------------------------------------------------------------------------
def test_probe_healthy_network(http_server: Callable[[Reply], str], listener: int) -> None:
    report = _probe(http_server(NO_PORTAL), listener, FakeRunner({"nmcli": NMCLI_24}), target="HomeNet")
    assert _values(report) == {
        "network_band": "band_2_4ghz",
        "network_security": "wpa2_psk",
        "captive_portal": False,
        "port_5683_reachable": True,
    }
    assert report.unavailable == ()
    assert all(o.provenance.source == "probe:host" for o in report.observations)
    assert report.facts["wifi"]["ssid"] == "HomeNet" and report.facts["cloud_tcp"] == "connected"


def test_probe_portal_and_blocked_port(http_server: Callable[[Reply], str]) -> None:
    report = _probe(http_server(PORTAL_REDIRECT), _closed_port(), FakeRunner({"nmcli": NMCLI_24}))
    assert _values(report)["captive_portal"] is True and _values(report)["port_5683_reachable"] is False


def test_probe_five_gigahertz_only_says_what_it_cannot_know(
    http_server: Callable[[Reply], str], listener: int
) -> None:
    runner = FakeRunner({"nmcli": "yes:Fast:5180 MHz:WPA2 WPA3\n"})
    report = _probe(http_server(NO_PORTAL), listener, runner)
    band = next(o for o in report.observations if o.id == "network_band")
    assert band.value == "band_5ghz_only" and band.confidence < 1
    assert "no 2.4 GHz access point with this name" in band.provenance.detail
    assert _values(report)["network_security"] == "wpa3"


def test_probe_same_name_on_both_bands(http_server: Callable[[Reply], str], listener: int) -> None:
    runner = FakeRunner({"nmcli": "yes:Home:5180 MHz:WPA2\nno:Home:2412 MHz:WPA2\n"})
    assert _values(_probe(http_server(NO_PORTAL), listener, runner))["network_band"] == "dual_band_same_name"


def test_probe_iw_cannot_tell_security(http_server: Callable[[Reply], str], listener: int) -> None:
    runner = FakeRunner(
        {
            "iw dev": "\tInterface wlan0\n",
            "iw dev wlan0 link": "Connected to aa:bb (on wlan0)\n\tSSID: Net\n\tfreq: 2412\n",
        }
    )
    report = _probe(http_server(NO_PORTAL), listener, runner)
    assert _values(report)["network_band"] == "band_2_4ghz"
    assert [u.reason for u in report.unavailable if u.id == "network_security"] == [
        "iw does not report the Wi-Fi security (nmcli would)"
    ]


def test_probe_on_another_network_withholds_observations(
    http_server: Callable[[Reply], str], listener: int
) -> None:
    report = _probe(http_server(NO_PORTAL), listener, FakeRunner({"nmcli": NMCLI_24}), target="IoT-Net")
    assert report.observations == ()
    assert {u.id for u in report.unavailable} == {
        "network_band",
        "network_security",
        "captive_portal",
        "port_5683_reachable",
    }
    assert "not on the device's network 'IoT-Net'" in report.unavailable[0].reason


def test_probe_without_tools_or_wifi_still_checks_the_path(
    http_server: Callable[[Reply], str], listener: int
) -> None:
    report = _probe(http_server(NO_PORTAL), listener, FakeRunner({}))
    assert _values(report) == {"captive_portal": False, "port_5683_reachable": True}
    reasons = [u.reason for u in report.unavailable]
    assert reasons[0] == "nmcli not found and iw not found: cannot tell the Wi-Fi band"
    assert all("assuming this computer shares" in o.provenance.detail for o in report.observations)
    wired = _probe(http_server(NO_PORTAL), listener, FakeRunner({"nmcli": "no:Other:2412 MHz:WPA2\n"}))
    assert "no active Wi-Fi connection" in wired.unavailable[0].reason


def test_probe_dns_failure_and_dead_check_url(listener: int) -> None:
    report = _probe(
        f"http://127.0.0.1:{_closed_port()}/generate_204",
        5683,
        FakeRunner({"nmcli": NMCLI_24}),
        host="nonexistent.invalid",
    )
    assert set(_values(report)) == {"network_band", "network_security"}
    reasons = {u.id: u.reason for u in report.unavailable}
    assert "nonexistent.invalid does not resolve" in reasons["port_5683_reachable"]
    assert "connection refused" in reasons["captive_portal"]
    assert report.facts["cloud_dns_ok"] is False


def test_probe_never_raises_on_garbage_tool_output(
    http_server: Callable[[Reply], str], listener: int
) -> None:
    runner = FakeRunner({"nmcli": "yes:\x00\xff:not-a-frequency:\n:::::\n"})
    report = _probe(http_server(NO_PORTAL), listener, runner)
    assert "network_band" in {u.id for u in report.unavailable}
    assert _values(report)["network_security"] == "open"


# Second round of mutation testing (docs/reliability.md): how sure each reading is, and what its detail says.


def test_every_host_reading_is_less_than_certain(http_server: Callable[[Reply], str], listener: int) -> None:
    """One computer's view of the network is evidence about the device's network, never proof."""
    runners = [
        FakeRunner({"nmcli": NMCLI_24}),
        FakeRunner({"nmcli": "yes:Home:5180 MHz:WPA2\nno:Home:2412 MHz:WPA2\n"}),
        FakeRunner({"nmcli": "yes:Fast:5180 MHz:WPA2 WPA3\n"}),
    ]
    for runner in runners:
        report = _probe(http_server(NO_PORTAL), listener, runner)
        assert {o.id for o in report.observations} >= {"network_band", "port_5683_reachable"}
        assert all(0 < o.confidence < 1 for o in report.observations), report.observations
    closed = _probe(http_server(PORTAL_REDIRECT), _closed_port(), FakeRunner({"nmcli": NMCLI_24}))
    assert all(0 < o.confidence < 1 for o in closed.observations), closed.observations


def test_a_band_the_scan_confirms_is_surer_than_the_link_alone(
    http_server: Callable[[Reply], str], listener: int
) -> None:
    iw = FakeRunner(
        {
            "iw dev": "\tInterface wlan0\n",
            "iw dev wlan0 link": "Connected to aa:bb (on wlan0)\n\tSSID: Net\n\tfreq: 2437\n",
        }
    )
    alone = next(
        o for o in _probe(http_server(NO_PORTAL), listener, iw).observations if o.id == "network_band"
    )
    scanned = _probe(http_server(NO_PORTAL), listener, FakeRunner({"nmcli": NMCLI_24})).observations
    seen = next(o for o in scanned if o.id == "network_band")
    assert alone.value == seen.value == "band_2_4ghz" and alone.confidence < seen.confidence
    assert "(2437 MHz)" in alone.provenance.detail  # the frequency read is quoted


def test_a_link_without_a_frequency_leaves_the_band_unknown(
    http_server: Callable[[Reply], str], listener: int
) -> None:
    iw = FakeRunner(
        {"iw dev": "\tInterface wlan0\n", "iw dev wlan0 link": "Connected to aa:bb (on wlan0)\n\tSSID: Net\n"}
    )
    report = _probe(http_server(NO_PORTAL), listener, iw)
    assert "network_band" not in _values(report)
    (why,) = [u.reason for u in report.unavailable if u.id == "network_band"]
    assert why.startswith("iw did not report the frequency")


def test_unknown_security_words_are_quoted_in_60_characters(
    http_server: Callable[[Reply], str], listener: int
) -> None:
    words = "SOMETHING-NEW " * 10
    report = _probe(http_server(NO_PORTAL), listener, FakeRunner({"nmcli": f"yes:Net:2412 MHz:{words}\n"}))
    (why,) = [u.reason for u in report.unavailable if u.id == "network_security"]
    assert why == f"nmcli reported an unrecognised security {words.strip()[:60]!r}"
