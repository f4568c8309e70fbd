"""The cloud client against servers that misbehave in the body: truncated, dripping, huge; and API URLs that
would send the token in clear. Real HTTP on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from photon_doctor.probes.base import ProbeContext
from photon_doctor.probes.cloud import CloudProbe
from photon_doctor.probes.cloud_client import (
    MAX_BODY_BYTES,
    CloudClient,
    CloudUnreachable,
    InsecureApiUrl,
    MalformedResponse,
    check_api_url,
)

TOKEN = "0123456789abcdef0123456789abcdef01234567"
Serve = Callable[[socket.socket], None]


@pytest.fixture()
def raw_server() -> Iterator[Callable[[Serve], str]]:
    """A one-connection-at-a-time TCP server on 127.0.0.1 whose replies a test writes byte by byte."""
    stop = threading.Event()
    threads: list[threading.Thread] = []
    socks: list[socket.socket] = []

    def start(serve: Serve) -> str:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)
        sock.settimeout(0.1)
        socks.append(sock)

        def loop() -> None:
            while not stop.is_set():
                try:
                    conn, _ = sock.accept()
                except OSError:
                    continue
                with conn:
                    conn.settimeout(5)
                    request = b""
                    while b"\r\n\r\n" not in request:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        request += chunk
                    try:
                        serve(conn)
                    except OSError:
                        pass

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        threads.append(thread)
        return f"http://127.0.0.1:{sock.getsockname()[1]}"

    yield start
    stop.set()
    for thread in threads:
        thread.join(5)
    for sock in socks:
        sock.close()


def _head(length: int) -> bytes:
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()


def test_a_truncated_body_is_described_in_words(raw_server: Callable[[Serve], str]) -> None:
    url = raw_server(lambda conn: conn.sendall(_head(500) + b'[{"id": "abc"'))
    with CloudClient(url, TOKEN, timeout=2) as client, pytest.raises(CloudUnreachable) as caught:
        client.list_devices()
    message = str(caught.value)
    assert (
        "broke off after 13 bytes" in message
        and "before the whole answer" in message
        and "ChunkedEncodingError" not in message
    )


def test_a_dripping_body_is_given_up_within_the_timeout(raw_server: Callable[[Serve], str]) -> None:
    def drip(conn: socket.socket) -> None:
        body = b"[" + b" " * 400 + b"]"
        conn.sendall(_head(len(body)))
        for byte in body:
            conn.sendall(bytes([byte]))
            time.sleep(0.01)

    url = raw_server(drip)
    with CloudClient(url, TOKEN, timeout=0.5) as client, pytest.raises(CloudUnreachable) as caught:
        client.list_devices()
    assert "too slowly" in str(caught.value)
    assert client.trace[-1] == "GET /v1/devices -> too slow"  # what the probe's provenance quotes


def test_a_huge_body_is_not_read(raw_server: Callable[[Serve], str]) -> None:
    size = MAX_BODY_BYTES + 1024 * 1024

    def huge(conn: socket.socket) -> None:
        conn.sendall(_head(size))
        block = b" " * 65536
        for _ in range(size // len(block)):
            conn.sendall(block)

    url = raw_server(huge)
    with CloudClient(url, TOKEN, timeout=5) as client, pytest.raises(MalformedResponse) as caught:
        client.list_devices()
    assert "larger than 4 MB" in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://api.example.com",
        "http://10.0.0.5:8080",
        "ftp://api.particle.io",
        "api.particle.io",
        "http://",
        "http://127.0.0.1.example.com",
    ],
)
def test_urls_that_would_send_the_token_in_clear_are_refused(url: str) -> None:
    with pytest.raises(InsecureApiUrl) as caught:
        CloudClient(url, TOKEN)
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    "url", ["https://api.particle.io", "http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:80"]
)
def test_https_and_loopback_urls_are_accepted(url: str) -> None:
    assert check_api_url(url) == url


def test_the_cloud_probe_says_why_it_did_not_send_the_token(raw_server: Callable[[Serve], str]) -> None:
    report = CloudProbe().run(ProbeContext(api_url="http://api.example.com", token=TOKEN, timeout=1))
    assert report.observations == ()
    assert "in clear" in report.unavailable[0].reason and TOKEN not in report.unavailable[0].reason


# Second round of mutation testing (docs/reliability.md).


def _json_reply(body: bytes, extra: str = "") -> Serve:
    return lambda conn: conn.sendall(
        (
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}"
            "Connection: close\r\n\r\n"
        ).encode()
        + body
    )


def test_a_gzipped_answer_is_read(raw_server: Callable[[Serve], str]) -> None:
    """A server (or a proxy on the way) may compress the answer; it is decoded, not taken for garbage."""
    url = raw_server(_json_reply(gzip.compress(b'[{"id": "abc"}]'), "Content-Encoding: gzip\r\n"))
    with CloudClient(url, TOKEN, timeout=2) as client:
        assert client.list_devices() == [{"id": "abc"}]


def test_an_answer_of_exactly_the_cap_is_read(raw_server: Callable[[Serve], str]) -> None:
    body = b"[" + b" " * (MAX_BODY_BYTES - 2) + b"]"
    assert len(body) == MAX_BODY_BYTES
    url = raw_server(_json_reply(body))
    with CloudClient(url, TOKEN, timeout=5) as client:
        assert client.list_devices() == []


@pytest.mark.parametrize(
    "answer", [{"diagnostics": {"updated_at": "2026-12-01T00:00:00Z"}}, {"diagnostics": 5}, {"other": {}}]
)
def test_vitals_without_a_payload_are_a_malformed_response(
    raw_server: Callable[[Serve], str], answer: dict[str, object]
) -> None:
    url = raw_server(_json_reply(json.dumps(answer).encode()))
    with CloudClient(url, TOKEN, timeout=2) as client, pytest.raises(MalformedResponse) as caught:
        client.vitals("0123456789abcdef01234567")
    assert str(caught.value) == "the Particle cloud's vitals answer has no diagnostics payload"


def test_a_connection_closed_without_an_answer_is_said_to_be_dropped(
    raw_server: Callable[[Serve], str],
) -> None:
    url = raw_server(lambda conn: None)  # reads the request, closes without a word
    with CloudClient(url, TOKEN, timeout=2) as client, pytest.raises(CloudUnreachable) as caught:
        client.list_devices()
    assert str(caught.value).endswith(": the connection was dropped")


def test_a_host_name_that_does_not_resolve_is_said_so() -> None:
    """``.invalid`` never resolves (RFC 2606); the resolver's own words differ by platform."""
    host = "photon-doctor-test.invalid"
    try:
        socket.getaddrinfo(host, 443)
    except socket.gaierror as exc:
        if exc.errno != socket.EAI_NONAME:
            pytest.skip(f"this resolver cannot say a name is unknown ({exc})")
    else:
        pytest.skip(f"this resolver answers even for {host}")
    with (
        CloudClient(f"https://{host}", TOKEN, timeout=2) as client,
        pytest.raises(CloudUnreachable) as caught,
    ):
        client.list_devices()
    assert (
        str(caught.value) == f"cannot connect to the Particle cloud at {host}: the host name does not resolve"
    )
