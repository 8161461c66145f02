"""The shared HTTP policy over real HTTP: timeouts, retries, pacing, sessions, secrecy."""

from __future__ import annotations

import datetime
import ipaddress
import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from werkzeug.serving import make_server

from contactdesk.core.errors import (
    InsecureURL,
    NetworkError,
    ProviderError,
    RateLimited,
    ServerError,
    UnexpectedAnswer,
)
from contactdesk.core.schema import RatePlan
from contactdesk.providers.http import HttpAnswer, HttpPolicy, RateLimiter, retry_after_seconds
from contactdesk.sandbox.server import FaultPlan, FaultStats, SandboxServer
from tests.integration.http_policy_app import EchoApp, Scripted

KEY = "sk_test_Secret4Key9xyzQ"


class FakeClock:
    """Monotonic time that only moves when someone sleeps: no real waiting in tests."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.sleeps.append(seconds)
            self.now += seconds


def interpret(answer: HttpAnswer) -> Any:
    """A minimal client-side reading of an answer, like the real clients do."""
    if answer.status == 429:
        raise RateLimited("slow down", retry_after=retry_after_seconds(answer.headers))
    if answer.status >= 500:
        raise ServerError("server failed", detail=answer.snippet())
    if answer.body is None:
        raise UnexpectedAnswer("unreadable", detail=answer.snippet())
    return answer.body


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[EchoApp, SandboxServer]]:
    # one server per module: stopping one takes half a second (werkzeug's poll interval)
    app = EchoApp()
    with SandboxServer(app) as srv:
        yield app, srv


@pytest.fixture
def app(shared: tuple[EchoApp, SandboxServer]) -> EchoApp:
    app = shared[0]
    app.reset()
    return app


@pytest.fixture
def server(shared: tuple[EchoApp, SandboxServer], app: EchoApp) -> SandboxServer:
    srv = shared[1]
    srv.clear_faults()
    srv.injector.stats = FaultStats()  # a fault plan's limit counts injections since then
    return srv


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def policy(server: SandboxServer, clock: FakeClock) -> Iterator[HttpPolicy]:
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)
    pol = HttpPolicy(
        server.root_url, auth_headers={"X-API-Key": KEY}, limiter=limiter, timeout=(2.0, 2.0)
    )
    yield pol
    pol.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the happy path ------------------------------------------------------------


def test_sends_key_user_agent_and_json_accept(policy: HttpPolicy, app: EchoApp) -> None:
    body = policy.request(
        "GET", "/things", interpret=interpret, params={"page": 2}, idempotent=True
    )
    assert body["args"] == {"page": "2"}
    headers = app.seen[-1]["headers"]
    assert headers["X-Api-Key"] == KEY
    assert headers["User-Agent"].startswith("ContactDesk/")
    assert headers["Accept"] == "application/json"


def test_json_body_is_sent_and_parsed(policy: HttpPolicy, app: EchoApp) -> None:
    created = policy.request(
        "POST", "/items", interpret=interpret, json={"name": "Rina"}, idempotent=False
    )
    assert created == {"id": 1, "name": "Rina"}
    assert app.items == [{"id": 1, "name": "Rina"}]


# -- retries of idempotent requests ------------------------------------------------


def test_idempotent_request_recovers_from_server_errors(
    policy: HttpPolicy, server: SandboxServer, clock: FakeClock
) -> None:
    server.faults = FaultPlan(error_rate=1.0, limit=2)
    assert policy.request("GET", "/x", interpret=interpret, idempotent=True)["path"] == "/x"
    assert server.injector.stats.requests == 3
    # two backoffs, each within the full-jitter ceiling (0.5 s, then 1 s)
    assert len(clock.sleeps) == 2
    assert 0 <= clock.sleeps[0] <= 0.5
    assert 0 <= clock.sleeps[1] <= 1.0


def test_gives_up_after_max_attempts(policy: HttpPolicy, server: SandboxServer) -> None:
    server.faults = FaultPlan(error_rate=1.0)
    with pytest.raises(ServerError):
        policy.request("GET", "/x", interpret=interpret, idempotent=True)
    assert server.injector.stats.requests == 4


@pytest.mark.parametrize(
    "plan",
    [
        FaultPlan(html_proxy_rate=1.0, limit=1),
        FaultPlan(truncate_rate=1.0, limit=1),
        FaultPlan(non_json_rate=1.0, limit=1),
    ],
    ids=["html-proxy-page", "truncated-body", "non-json"],
)
def test_idempotent_request_recovers_from_unreadable_answers(
    policy: HttpPolicy, server: SandboxServer, plan: FaultPlan
) -> None:
    server.faults = plan
    assert policy.request("GET", "/x", interpret=interpret, idempotent=True)["path"] == "/x"
    assert server.injector.stats.requests == 2


def test_unreadable_answer_gives_body_none_and_keeps_text(
    policy: HttpPolicy, server: SandboxServer
) -> None:
    server.faults = FaultPlan(html_proxy_rate=1.0, limit=1)
    seen: list[HttpAnswer] = []
    policy.request("GET", "/x", interpret=seen.append, idempotent=True)
    assert seen[0].status == 502
    assert seen[0].body is None
    assert seen[0].looks_like_html
    assert "Bad Gateway" in seen[0].snippet()


def test_idempotent_write_recovers_from_reset_after_write(
    policy: HttpPolicy, server: SandboxServer
) -> None:
    server.faults = FaultPlan(reset_after_write=1.0, limit=1)
    assert policy.request("PUT", "/items/7", interpret=interpret, idempotent=True) == {
        "updated": "7"
    }
    assert server.injector.stats.requests == 2


def test_idempotent_read_recovers_from_a_connection_reset(
    policy: HttpPolicy, app: EchoApp, clock: FakeClock
) -> None:
    app.script("/x", Scripted(0), Scripted(0))
    assert policy.request("GET", "/x", interpret=interpret, idempotent=True)["path"] == "/x"
    assert len(app.seen) == 3
    assert len(clock.sleeps) == 2


def test_a_read_that_keeps_being_reset_says_so(policy: HttpPolicy, app: EchoApp) -> None:
    app.script("/x", *[Scripted(0)] * 4)
    with pytest.raises(NetworkError) as info:
        policy.request("GET", "/x", interpret=interpret, idempotent=True)
    assert "was interrupted" in info.value.message
    assert info.value.uncertain is False  # a GET changes nothing
    assert len(app.seen) == 4


# -- non-idempotent requests --------------------------------------------------------


@pytest.mark.parametrize("fault", ["reset_after_write", "reset_before_write"])
def test_create_is_never_retried_after_sending(
    policy: HttpPolicy, server: SandboxServer, app: EchoApp, fault: str
) -> None:
    server.faults = (
        FaultPlan(reset_after_write=1.0)
        if fault == "reset_after_write"
        else FaultPlan(reset_before_write=1.0)
    )
    with pytest.raises(NetworkError) as info:
        policy.request("POST", "/items", interpret=interpret, json={"n": 1}, idempotent=False)
    assert info.value.uncertain is True
    assert "not known whether the change was saved" in info.value.message
    assert server.injector.stats.requests == 1
    assert len(app.items) == (1 if fault == "reset_after_write" else 0)


def test_create_is_not_retried_on_server_error(policy: HttpPolicy, server: SandboxServer) -> None:
    server.faults = FaultPlan(error_rate=1.0, limit=1)
    with pytest.raises(ServerError):
        policy.request("POST", "/items", interpret=interpret, json={}, idempotent=False)
    assert server.injector.stats.requests == 1


def test_create_is_retried_when_nothing_was_sent(clock: FakeClock) -> None:
    """Connection refused: the request never left, so even a create may go again."""
    port = _free_port()
    app = EchoApp()
    started: list[SandboxServer] = []

    def sleep_then_start_server(seconds: float) -> None:
        clock.sleep(seconds)
        if not started:
            started.append(SandboxServer(app, port=port).start())

    limiter = RateLimiter(None, clock=clock, sleep=sleep_then_start_server)
    policy = HttpPolicy(
        f"http://127.0.0.1:{port}", auth_headers={"X-API-Key": KEY}, limiter=limiter
    )
    try:
        created = policy.request(
            "POST", "/items", interpret=interpret, json={"n": 1}, idempotent=False
        )
    finally:
        policy.close()
        for srv in started:
            srv.stop()
    assert created == {"id": 1, "n": 1}
    assert len(app.items) == 1


def test_unreachable_host_says_so_in_plain_words(clock: FakeClock) -> None:
    port = _free_port()
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)
    policy = HttpPolicy(f"http://127.0.0.1:{port}", auth_headers={}, limiter=limiter)
    with pytest.raises(NetworkError) as info:
        policy.request("GET", "/x", interpret=interpret, idempotent=True)
    policy.close()
    assert info.value.message == f"Could not reach 127.0.0.1:{port}. Check the internet connection."
    assert info.value.uncertain is False
    assert len(clock.sleeps) == 3  # four attempts in all


# -- timeouts --------------------------------------------------------------------


def test_a_hanging_read_ends_at_the_read_timeout(server: SandboxServer, clock: FakeClock) -> None:
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)
    policy = HttpPolicy(server.root_url, auth_headers={}, limiter=limiter, timeout=(2.0, 0.3))
    server.faults = FaultPlan(hang_rate=1.0)
    with pytest.raises(NetworkError) as info:
        policy.request("GET", "/x", interpret=interpret, idempotent=True)
    policy.close()
    assert "took too long to answer" in info.value.message
    assert info.value.uncertain is False  # a GET changes nothing
    assert server.injector.stats.requests == 1


# -- rate limits ------------------------------------------------------------------


def test_429_retry_after_is_honoured_even_for_a_create(
    policy: HttpPolicy, app: EchoApp, clock: FakeClock
) -> None:
    app.script("/items", Scripted(429, '{"error": "Rate limit exceeded"}', {"Retry-After": "7"}))
    before = clock.now
    created = policy.request("POST", "/items", interpret=interpret, json={}, idempotent=False)
    assert created["id"] == 1
    assert clock.now - before >= 7
    assert len(app.items) == 1


def test_retry_after_beyond_the_cap_is_raised_not_waited(
    policy: HttpPolicy, app: EchoApp, clock: FakeClock
) -> None:
    app.script("/x", Scripted(429, "{}", {"Retry-After": "3600"}))
    with pytest.raises(RateLimited) as info:
        policy.request("GET", "/x", interpret=interpret, idempotent=True)
    assert info.value.retry_after == 3600
    assert sum(clock.sleeps) == 0
    assert len(app.seen) == 1


def test_retry_after_on_a_503_stretches_the_backoff(
    policy: HttpPolicy, app: EchoApp, clock: FakeClock
) -> None:
    app.script("/x", Scripted(503, "{}", {"Retry-After": "5"}))
    policy.request("GET", "/x", interpret=interpret, idempotent=True)
    assert clock.sleeps == [5.0]


def test_ratelimit_headers_are_observed(
    server: SandboxServer, app: EchoApp, clock: FakeClock
) -> None:
    wall = 1_700_000_000.0
    limiter = RateLimiter(
        RatePlan("Starter", 100), clock=clock, sleep=clock.sleep, wall_clock=lambda: wall
    )
    policy = HttpPolicy(server.root_url, auth_headers={}, limiter=limiter)
    app.extra_headers = {
        "X-RateLimit-Limit": "100",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(int(wall + 30)),
    }
    policy.request("GET", "/x", interpret=interpret, idempotent=True)
    app.extra_headers = {}
    before = clock.now
    policy.request("GET", "/x", interpret=interpret, idempotent=True)
    policy.close()
    assert clock.now - before == pytest.approx(30)


# -- sessions and concurrency --------------------------------------------------------


def test_one_session_per_thread(policy: HttpPolicy, app: EchoApp) -> None:
    """(The sandbox server closes every connection, so keep-alive itself is not visible.)"""

    def two_calls() -> None:
        for _ in range(2):
            policy.request("GET", "/x", interpret=interpret, idempotent=True)

    threads = [threading.Thread(target=two_calls) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    two_calls()
    assert len(app.seen) == 8
    assert policy.open_sessions == 4
    policy.close()
    assert policy.open_sessions == 0


def test_concurrency_is_capped(server: SandboxServer, app: EchoApp, clock: FakeClock) -> None:
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)
    policy = HttpPolicy(server.root_url, auth_headers={}, limiter=limiter, max_concurrency=2)
    server.faults = FaultPlan(latency=0.05)
    threads = [
        threading.Thread(
            target=policy.request,
            args=("GET", "/x"),
            kwargs={"interpret": interpret, "idempotent": True},
        )
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    policy.close()
    assert len(app.seen) == 6
    assert app.max_in_flight <= 2


def test_close_then_use_again(policy: HttpPolicy) -> None:
    policy.request("GET", "/x", interpret=interpret, idempotent=True)
    policy.close()
    assert policy.request("GET", "/y", interpret=interpret, idempotent=True)["path"] == "/y"


def test_redirects_are_not_followed(policy: HttpPolicy, app: EchoApp) -> None:
    """A redirect would carry the key to wherever it points; the client sees the 3xx."""
    app.script("/x", Scripted(301, "", {"Location": "http://127.0.0.1:9/elsewhere"}))
    answers: list[HttpAnswer] = []
    policy.request("GET", "/x", interpret=answers.append, idempotent=True)
    assert answers[0].status == 301
    assert len(app.seen) == 1


def test_an_interpret_bug_on_odd_shapes_becomes_unexpected_answer(policy: HttpPolicy) -> None:
    def strict(answer: HttpAnswer) -> str:
        return str(answer.body["no such key"])

    with pytest.raises(UnexpectedAnswer):
        policy.request("POST", "/items", interpret=strict, json={}, idempotent=False)


# -- URLs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://example.com/api", "http://10.0.0.5/api", "ftp://example.com", "example.com"]
)
def test_insecure_or_invalid_urls_are_refused(url: str) -> None:
    with pytest.raises(InsecureURL):
        HttpPolicy(url, auth_headers={"X-API-Key": KEY}, limiter=RateLimiter(None))


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/api",
        "http://127.0.0.1:8080/api",
        "http://localhost:5000",
        "http://[::1]:5000/api/v3",
    ],
)
def test_https_and_loopback_urls_are_accepted(url: str) -> None:
    policy = HttpPolicy(url, auth_headers={"X-API-Key": KEY}, limiter=RateLimiter(None))
    assert policy.url("/v1/contacts") == url.rstrip("/") + "/v1/contacts"
    policy.close()


# -- the key stays secret ------------------------------------------------------------


def test_the_key_never_appears_in_messages_logs_or_reprs(
    server: SandboxServer, app: EchoApp, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    limiter = RateLimiter(RatePlan("Starter", 100), clock=clock, sleep=clock.sleep)
    policy = HttpPolicy(
        server.root_url,
        auth_headers={"Authorization": f"Bearer {KEY}"},
        limiter=limiter,
        timeout=(2.0, 0.3),
    )
    errors: list[ProviderError] = []
    plans = [
        FaultPlan(error_rate=1.0),
        FaultPlan(html_proxy_rate=1.0),
        FaultPlan(truncate_rate=1.0),
        FaultPlan(reset_after_write=1.0),
        FaultPlan(hang_rate=1.0),
    ]
    for plan in plans:
        server.faults = plan
        for method, idempotent in (("GET", True), ("POST", False)):
            try:
                policy.request(
                    method, "/items", interpret=interpret, json={}, idempotent=idempotent
                )
            except ProviderError as failure:
                errors.append(failure)
    server.clear_faults()
    # a server that echoes the key back in an unreadable page
    app.script(
        "/leak", Scripted(200, f"<html>debug: Bearer {KEY}</html>", content_type="text/html")
    )

    def strict(answer: HttpAnswer) -> str:
        return str(answer.body["x"])

    with pytest.raises(UnexpectedAnswer) as info:
        policy.request("GET", "/leak", interpret=strict, idempotent=True)
    errors.append(info.value)
    refused = HttpPolicy(
        f"http://127.0.0.1:{_free_port()}",
        auth_headers={"X-API-Key": KEY},
        limiter=RateLimiter(None, clock=clock, sleep=clock.sleep),
    )
    with pytest.raises(NetworkError) as refused_info:
        refused.request("GET", "/x", interpret=interpret, idempotent=True)
    errors.append(refused_info.value)
    texts = [repr(policy), repr(limiter), repr(refused), caplog.text]
    for err in errors:
        texts += [str(err), repr(err), err.message, err.detail or "", repr(err.__cause__)]
    policy.close()
    refused.close()
    assert len(errors) >= 10
    assert all(KEY not in text for text in texts)


# -- TLS -------------------------------------------------------------------------------------


def _office_pki(tmp_path: Path) -> tuple[Path, Path, Path]:
    """An "office" root CA and a certificate it issued for 127.0.0.1: (ca, cert, key) files."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Office Root CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = (tmp_path / "office-ca.pem", tmp_path / "server.pem", tmp_path / "server.key")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@pytest.fixture
def tls_server(app: EchoApp, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS server with a certificate from the office CA: (base URL, CA file)."""
    ca, cert, key = _office_pki(tmp_path)
    server = make_server("127.0.0.1", 0, app.wsgi, threaded=True, ssl_context=(str(cert), str(key)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_port}", ca
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_a_certificate_from_a_ca_the_system_trusts_is_accepted(
    tls_server: tuple[str, Path], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The office root CA is in the system store (here: SSL_CERT_FILE), not in certifi."""
    url, ca = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    policy = HttpPolicy(
        url, auth_headers={}, limiter=RateLimiter(None, clock=clock, sleep=clock.sleep)
    )
    try:
        assert policy.request("GET", "/x", interpret=interpret, idempotent=True)["path"] == "/x"
    finally:
        policy.close()


def test_an_untrusted_certificate_is_refused_in_plain_words(
    tls_server: tuple[str, Path], app: EchoApp, clock: FakeClock
) -> None:
    """Not issued by anyone the system trusts: refuse, explain, do not retry."""
    url, _ = tls_server
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)
    policy = HttpPolicy(url, auth_headers={"X-API-Key": KEY}, limiter=limiter)
    try:
        with pytest.raises(NetworkError) as info:
            policy.request("GET", "/x", interpret=interpret, idempotent=True)
    finally:
        policy.close()
    assert "certificate problem" in info.value.message
    assert KEY not in (info.value.detail or "")
    assert clock.sleeps == []  # retrying cannot fix a certificate
    assert app.seen == []  # and nothing, key included, was sent


def test_a_netrc_entry_never_replaces_our_credentials(
    policy: HttpPolicy, app: EchoApp, isolated_dirs: Path
) -> None:
    """Office machines may have ~/.netrc; requests would swap in its Basic auth."""
    netrc = isolated_dirs / ".netrc"
    netrc.write_text("machine 127.0.0.1 login someone password hunter2\n")
    netrc.chmod(0o600)
    bearer = HttpPolicy(
        policy.base_url,
        auth_headers={"Authorization": f"Bearer {KEY}"},
        limiter=policy.limiter,
    )
    try:
        bearer.request("GET", "/x", interpret=interpret, idempotent=True)
    finally:
        bearer.close()
    assert app.seen[-1]["headers"]["Authorization"] == f"Bearer {KEY}"
