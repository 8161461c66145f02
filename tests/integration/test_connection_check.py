"""`providers.check`: every outcome of "Test connection" over real HTTP to the simulators.

The simulators run on a frozen clock (rate-limit windows never roll over mid-test), and
the clients that retry are given a fake-clock limiter, so backoff and Retry-After waits
cost no real time.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from contactdesk.core.models import ProviderKind
from contactdesk.providers import registry
from contactdesk.providers.check import (
    ConnectionReport,
    Outcome,
    check_connection,
    check_settings,
)
from contactdesk.providers.ratelimit import RateLimiter
from contactdesk.sandbox.practice import PracticeSandbox
from contactdesk.sandbox.server import FaultPlan
from contactdesk.sandbox.textflow_limits import ApiKeySpec, SimClock

# 2026-01-01T00:00:15Z: a quarter into a rate-limit window, and it stays there
T0 = 1_767_225_615.0


class FakeClock:
    """Our limiter's time: moves only when it sleeps (the simulators' clock stays put)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


@pytest.fixture(scope="module")
def sandbox() -> Iterator[PracticeSandbox]:
    with PracticeSandbox("small", clock=SimClock(start=T0)) as sb:
        yield sb


def probe(kind: ProviderKind, key: str, base_url: str, **options: Any) -> ConnectionReport:
    """check_connection through a real client whose waits are on a fake clock."""
    clock = FakeClock()
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep, wall_clock=lambda: T0)
    provider = registry.create_provider(
        kind, key, base_url=base_url, limiter=limiter, timeout=(3.0, 5.0), **options
    )
    try:
        return check_connection(provider)
    finally:
        provider.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def assert_no_key(report: ConnectionReport, *keys: str) -> None:
    for key in keys:
        assert key not in repr(report)
        assert key not in report.message
        assert key not in (report.detail or "")


# -- it works ----------------------------------------------------------------------------------


def test_flexacore_works_and_counts_groups(sandbox: PracticeSandbox) -> None:
    report = check_settings(
        ProviderKind.FLEXACORE, sandbox.flexacore_key, base_url=sandbox.flexacore_url
    )
    groups = len(sandbox.flexacore.group_uids())
    assert report.outcome is Outcome.WORKS
    assert report.works
    assert report.message == f"Works: {groups} groups"
    assert report.count == groups
    assert_no_key(report, sandbox.flexacore_key)


def test_textflow_works_and_counts_contacts(sandbox: PracticeSandbox) -> None:
    report = check_settings(
        "textflow", sandbox.textflow_key, base_url=sandbox.textflow_url, plan="starter"
    )
    contacts = len(sandbox.textflow.contacts())
    assert report.outcome is Outcome.WORKS
    assert report.message == f"Works: {contacts} contacts"


def test_textflow_check_is_one_request(sandbox: PracticeSandbox) -> None:
    """Cheap: one call asking for a single contact, not a page of a hundred."""
    key = "sk_live_check_cheap_0001"
    sandbox.textflow.add_key(ApiKeySpec(key))
    report = check_settings("textflow", key, base_url=sandbox.textflow_url, plan="custom:50")
    assert report.works
    assert sandbox.textflow.usage(key).total == 1


def test_a_pasted_address_with_the_endpoint_still_works(sandbox: PracticeSandbox) -> None:
    report = check_settings(
        ProviderKind.TEXTFLOW,
        sandbox.textflow_key,
        base_url=sandbox.textflow_url + "/v1/contacts/",
    )
    assert report.works


# -- the key -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(ProviderKind))
def test_a_wrong_key_is_refused_in_plain_words(
    sandbox: PracticeSandbox, kind: ProviderKind
) -> None:
    wrong = (
        "49|wrongwrongwrongwrongwrongwrongwrongwrong12"
        if kind is ProviderKind.FLEXACORE
        else ("sk_live_not_a_real_key_0000")
    )
    url = sandbox.flexacore_url if kind is ProviderKind.FLEXACORE else sandbox.textflow_url
    report = check_settings(kind, wrong, base_url=url)
    assert report.outcome is Outcome.KEY_REFUSED
    assert report.message.startswith("The key was refused.")
    assert "paste it here" in report.message
    assert_no_key(report, wrong)


def test_a_revoked_key_is_refused(sandbox: PracticeSandbox) -> None:
    key = "sk_live_revoked_later_0002"
    sandbox.textflow.add_key(ApiKeySpec(key))
    assert check_settings("textflow", key, base_url=sandbox.textflow_url).works
    sandbox.textflow.change_key(key, active=False)
    report = check_settings("textflow", key, base_url=sandbox.textflow_url)
    assert report.outcome is Outcome.KEY_REFUSED
    assert "revoked" in report.message
    assert_no_key(report, key)


def test_a_key_with_a_space_is_refused_before_anything_is_sent(sandbox: PracticeSandbox) -> None:
    report = check_settings("textflow", "sk_live_half a_key", base_url=sandbox.textflow_url)
    assert report.outcome is Outcome.KEY_REFUSED
    assert "spaces or line breaks" in report.message
    assert_no_key(report, "sk_live_half a_key")


@pytest.mark.parametrize(
    "abilities",
    [
        pytest.param((), id="no-abilities"),
        pytest.param(("view_contact_group",), id="groups-but-not-contacts"),
    ],
)
def test_a_flexacore_token_without_contact_permission(
    sandbox: PracticeSandbox, abilities: tuple[str, ...]
) -> None:
    """403 ability: the token was made without (all of) the contact permissions."""
    token = sandbox.flexacore.mint_token(abilities=abilities)
    report = check_settings(ProviderKind.FLEXACORE, token, base_url=sandbox.flexacore_url)
    assert report.outcome is Outcome.NO_PERMISSION
    assert report.warning
    assert "no permission to read contacts" in report.message
    assert "generate a new token" in report.message
    assert_no_key(report, token)


def test_a_textflow_plan_without_api_access(sandbox: PracticeSandbox) -> None:
    key = "sk_live_no_api_access_0003"
    sandbox.textflow.add_key(ApiKeySpec(key, api_access=False))
    report = check_settings("textflow", key, base_url=sandbox.textflow_url)
    assert report.outcome is Outcome.NO_PERMISSION
    assert "API access" in report.message


# -- the address -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(ProviderKind))
def test_a_wrong_path_is_not_the_contacts_api(sandbox: PracticeSandbox, kind: ProviderKind) -> None:
    if kind is ProviderKind.FLEXACORE:
        key, url = sandbox.flexacore_key, sandbox.flexacore_server.root_url + "/sms"
    else:
        key, url = sandbox.textflow_key, sandbox.textflow_server.root_url + "/sms"
    report = probe(kind, key, url)
    assert report.outcome is Outcome.NOT_CONTACTS_API
    assert "Contacts API" in report.message
    assert "Check the server address" in report.message


def test_the_other_platforms_address_is_not_the_contacts_api(sandbox: PracticeSandbox) -> None:
    report = probe(ProviderKind.TEXTFLOW, sandbox.textflow_key, sandbox.flexacore_url)
    assert report.outcome is Outcome.NOT_CONTACTS_API
    assert_no_key(report, sandbox.textflow_key)


def test_a_closed_port_could_not_be_reached() -> None:
    port = free_port()
    report = probe(ProviderKind.FLEXACORE, "49|abcdefabcdef", f"http://127.0.0.1:{port}")
    assert report.outcome is Outcome.UNREACHABLE
    assert report.message.startswith(f"Could not reach 127.0.0.1:{port}")
    assert "Check the server address" in report.message


def test_an_unknown_host_is_not_found() -> None:
    """.invalid never resolves (RFC 6761)."""
    report = probe(ProviderKind.TEXTFLOW, "sk_live_abcdef", "https://contactdesk-check.invalid/api")
    assert report.outcome is Outcome.HOST_NOT_FOUND
    assert "No server called contactdesk-check.invalid was found" in report.message


def test_plain_http_to_another_computer_is_refused_unsent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    looked_up: list[object] = []
    real = socket.getaddrinfo

    def recording(host: object, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(host)
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", recording)
    report = check_settings(
        ProviderKind.TEXTFLOW, "sk_live_abcdef123", base_url="http://example.com/api"
    )
    assert report.outcome is Outcome.INSECURE
    assert "http://" in report.message
    assert "https://" in report.message
    assert looked_up == []  # not even a name lookup: nothing left this computer


def test_an_untrusted_certificate_is_a_certificate_problem(sandbox: PracticeSandbox) -> None:
    """The TextFlow simulator behind TLS with a self-signed certificate."""
    server = make_server("127.0.0.1", 0, sandbox.textflow.wsgi, threaded=True, ssl_context="adhoc")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        report = check_settings(
            ProviderKind.TEXTFLOW,
            sandbox.textflow_key,
            base_url=f"https://127.0.0.1:{server.server_port}/api",
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert report.outcome is Outcome.CERTIFICATE
    assert "certificate problem" in report.message
    assert_no_key(report, sandbox.textflow_key)


# -- the server --------------------------------------------------------------------------------


def test_rate_limited_says_the_key_was_not_refused(sandbox: PracticeSandbox) -> None:
    key = "sk_live_one_a_minute_0004"
    sandbox.textflow.add_key(ApiKeySpec(key, plan="Custom", per_minute=1))
    assert probe(ProviderKind.TEXTFLOW, key, sandbox.textflow_url).works
    report = probe(ProviderKind.TEXTFLOW, key, sandbox.textflow_url)
    assert report.outcome is Outcome.RATE_LIMITED
    assert report.warning
    assert "The key was not refused" in report.message
    assert sandbox.textflow.usage(key).rejected >= 1


def test_a_failing_server_is_its_problem(sandbox: PracticeSandbox) -> None:
    sandbox.flexacore_server.faults = FaultPlan(error_rate=1.0)
    try:
        report = probe(ProviderKind.FLEXACORE, sandbox.flexacore_key, sandbox.flexacore_url)
    finally:
        sandbox.flexacore_server.clear_faults()
    assert report.outcome is Outcome.SERVER_PROBLEM
    assert not report.works


def test_a_bad_address_is_explained() -> None:
    report = check_settings(
        ProviderKind.TEXTFLOW, "sk_live_abcdef", base_url="https://textflow.example/api?x=1"
    )
    assert report.outcome is Outcome.BAD_ADDRESS
    assert "?" in report.message
