"""FlexacoreClient under every fault the sandbox server injects, the 3.0.1 throttle, and the
promise that the API token never shows up in a message, a repr or a log record."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from contactdesk.core.errors import (
    AuthRefused,
    NetworkError,
    NotFound,
    PermissionDenied,
    ProviderError,
    RateLimited,
    ServerError,
    UnexpectedAnswer,
    ValidationFailed,
)
from contactdesk.core.models import Contact
from contactdesk.providers.flexacore import FlexacoreClient
from contactdesk.providers.ratelimit import RateLimiter
from contactdesk.sandbox.flexacore import ALL_PERMISSIONS, FlexacoreConfig, FlexacoreSim
from contactdesk.sandbox.server import FaultPlan, SandboxServer
from tests.integration.flexacore_helpers import FakeClock, client_for, running

PHONE = "+447911123456"
WIRE = "447911123456"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FlexacoreSim, SandboxServer]]:
    with running() as pair:
        yield pair


@pytest.fixture
def sim(served: tuple[FlexacoreSim, SandboxServer]) -> FlexacoreSim:
    sim, server = served
    sim.reset(FlexacoreConfig.preset("small"))
    server.clear_faults()
    server.injector.stats.injected = 0
    return sim


@pytest.fixture
def server(served: tuple[FlexacoreSim, SandboxServer], sim: FlexacoreSim) -> SandboxServer:
    return served[1]


def instant() -> RateLimiter:
    """No plan of our own, and backoff pauses that take no real time (a fake clock)."""
    clock = FakeClock()
    return RateLimiter(None, clock=clock.time, sleep=clock.sleep)


@pytest.fixture
def client(sim: FlexacoreSim, server: SandboxServer) -> Iterator[FlexacoreClient]:
    c = client_for(server, sim.token, limiter=instant())
    yield c
    c.close()


@pytest.fixture
def group(sim: FlexacoreSim) -> str:
    """The 60-contact group: three pages."""
    return max(sim.group_uids(), key=lambda uid: len(sim.contacts_in(uid)))


def inject(server: SandboxServer, **plan: Any) -> None:
    server.faults = FaultPlan(**plan)
    server.injector.stats.injected = 0
    server.injector.stats.by_kind = None


def injected(server: SandboxServer) -> int:
    return server.injector.stats.injected


def rows_with_phone(sim: FlexacoreSim, group: str) -> list[str]:
    return [r.uid for r in sim.contacts_in(group) if r.phone == WIRE]


# -- writes whose answer was lost -------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        {"reset_after_write": 1.0},  # applied, then the connection dropped unanswered
        {"reset_before_write": 1.0},  # dropped before it was applied
        {"error_rate": 1.0},  # a 5xx: PHP may or may not have inserted first
        {"html_proxy_rate": 1.0},  # a proxy's page instead of the answer
    ],
)
def test_create_after_a_lost_answer_makes_exactly_one_contact(
    sim: FlexacoreSim,
    server: SandboxServer,
    client: FlexacoreClient,
    group: str,
    fault: dict[str, float],
) -> None:
    inject(server, limit=1, **fault)
    made = client.create_contact(Contact(PHONE, first_name="Once"), group_id=group)
    assert injected(server) == 1
    assert rows_with_phone(sim, group) == [made.remote_id]
    assert made.first_name == "Once"


def test_lost_create_next_to_an_identical_existing_contact_adds_no_third(
    sim: FlexacoreSim, server: SandboxServer, client: FlexacoreClient, group: str
) -> None:
    existing = sim.add_contact(group, WIRE, "Twin", None)
    inject(server, reset_after_write=1.0, limit=1)
    made = client.create_contact(Contact(PHONE, first_name="Twin"), group_id=group)
    rows = rows_with_phone(sim, group)
    assert len(rows) == 2
    # the newest row (ours) is the one returned
    assert made.remote_id == rows[-1] != existing.uid


def test_create_that_keeps_failing_reports_an_uncertain_network_error(
    sim: FlexacoreSim, server: SandboxServer, client: FlexacoreClient, group: str
) -> None:
    inject(server, reset_before_write=1.0)
    with pytest.raises(NetworkError) as caught:
        client.create_contact(Contact(PHONE), group_id=group)
    assert caught.value.uncertain
    assert rows_with_phone(sim, group) == []


def test_create_group_after_a_lost_answer_makes_one_group(
    sim: FlexacoreSim, server: SandboxServer, client: FlexacoreClient
) -> None:
    inject(server, reset_after_write=1.0, limit=1)
    made = client.create_group("Lost and found")
    names = [sim.group(uid).name for uid in sim.group_uids()]  # type: ignore[union-attr]
    assert names.count("Lost and found") == 1
    assert sim.group(made.remote_id) is not None


def test_delete_after_a_lost_answer_counts_as_done(
    sim: FlexacoreSim, server: SandboxServer, client: FlexacoreClient, group: str
) -> None:
    row = sim.contacts_in(group)[0]
    inject(server, reset_after_write=1.0, limit=1)
    client.delete_contact(row.uid, group_id=group)  # no error: the retry's "not found" is success
    assert injected(server) == 1
    assert sim.contact(row.uid) is None
    assert len(sim.contacts_in(group)) == 59


def test_delete_after_a_5xx_is_sent_again(
    sim: FlexacoreSim, server: SandboxServer, client: FlexacoreClient, group: str
) -> None:
    row = sim.contacts_in(group)[0]
    inject(server, error_rate=1.0, limit=1)
    client.delete_contact(row.uid, group_id=group)
    assert sim.contact(row.uid) is None


def test_delete_group_after_a_lost_answer_counts_as_done(
    sim: FlexacoreSim, server: SandboxServer, client: FlexacoreClient
) -> None:
    uid = sim.add_group("Short-lived").uid
    inject(server, reset_after_write=1.0, limit=1)
    client.delete_group(uid)
    assert sim.group(uid) is None


def test_deleting_a_contact_that_was_already_gone_is_still_news(
    sim: FlexacoreSim, client: FlexacoreClient, group: str
) -> None:
    row = sim.contacts_in(group)[0]
    sim.delete_directly(row.uid)
    with pytest.raises(NotFound):
        client.delete_contact(row.uid, group_id=group)


@pytest.mark.parametrize("fault", ["reset_after_write", "reset_before_write", "error_rate"])
def test_update_is_retried_safely(
    sim: FlexacoreSim, server: SandboxServer, client: FlexacoreClient, group: str, fault: str
) -> None:
    row = sim.contacts_in(group)[2]
    base = client.get_contact(row.uid, group_id=group)
    inject(server, limit=1, **{fault: 1.0})
    updated = client.update_contact(base.with_changes(last_name="Retried"))
    assert updated.last_name == "Retried"
    assert sim.contact(row.uid).last_name == "Retried"  # type: ignore[union-attr]
    assert injected(server) == 1


# -- reads ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        {"error_rate": 1.0, "limit": 3},
        {"html_proxy_rate": 1.0, "limit": 3},
        {"truncate_rate": 1.0, "limit": 3},
        {"non_json_rate": 1.0, "limit": 3},
        # fewer faults than attempts per request, so even the unluckiest request gets through
        {"error_rate": 0.3, "truncate_rate": 0.2, "html_proxy_rate": 0.2, "seed": 7, "limit": 3},
    ],
)
def test_reads_recover_from_bad_answers(
    sim: FlexacoreSim,
    server: SandboxServer,
    client: FlexacoreClient,
    group: str,
    fault: dict[str, Any],
) -> None:
    expected = [r.uid for r in sim.contacts_in(group)]
    inject(server, **fault)
    assert [c.remote_id for c in client.list_all(group_id=group)] == expected
    assert len(client.list_groups()) == 3
    assert client.get_contact(expected[0], group_id=group).remote_id == expected[0]
    assert injected(server) >= 1


def test_slow_uneven_answers_keep_the_server_order(
    sim: FlexacoreSim, server: SandboxServer, client: FlexacoreClient, group: str
) -> None:
    # pages answered out of order (jitter) are still put together in page order
    expected = [r.uid for r in sim.contacts_in(group)]
    inject(server, latency=0.02, latency_jitter=0.1, seed=3)
    assert [c.remote_id for c in client.list_all(group_id=group)] == expected


def test_an_answer_slower_than_the_read_timeout_is_a_network_error(
    server: SandboxServer, client: FlexacoreClient, group: str
) -> None:
    inject(server, latency=1.5)  # the client's read timeout is 1 s
    with pytest.raises(NetworkError, match="took too long"):
        client.get_group(group)


def test_a_read_that_keeps_failing_ends_in_a_typed_error(
    server: SandboxServer, client: FlexacoreClient, group: str
) -> None:
    inject(server, html_proxy_rate=1.0)
    with pytest.raises(UnexpectedAnswer, match="cannot read"):
        client.list_contacts(group_id=group)
    inject(server, error_rate=1.0)
    with pytest.raises(ServerError):
        client.list_contacts(group_id=group)


def test_a_hung_read_ends_at_the_timeout(
    sim: FlexacoreSim, server: SandboxServer, client: FlexacoreClient, group: str
) -> None:
    inject(server, hang_rate=1.0, limit=1)
    with pytest.raises(NetworkError, match="took too long"):
        client.list_contacts(group_id=group)
    # the next call is answered normally
    assert client.list_contacts(group_id=group).total == 60


def test_an_unreachable_server_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = FlexacoreClient(
        f"http://127.0.0.1:{port}", "49|" + "k" * 40, timeout=(1.0, 1.0), limiter=instant()
    )
    with pytest.raises(NetworkError, match="Could not reach"):
        client.list_groups()
    client.close()


# -- the 3.0.1 throttle ("Too Many Attempts." at HTTP 200, no headers) ------------------------


def throttled(sim: FlexacoreSim, clock: FakeClock, per_minute: int) -> None:
    sim.reset(FlexacoreConfig.preset("small", throttle_per_minute=per_minute, clock=clock.time))


def burn_the_minute(server: SandboxServer, token: str, requests_count: int) -> None:
    """Another program behind the same office IP uses up the per-IP budget (3.0.1 keys by IP)."""
    with requests.Session() as other:
        for _ in range(requests_count):
            other.get(
                server.root_url + "/api/v3/contacts",
                headers={"Accept": "application/json", "Authorization": f"Bearer {token}"},
                timeout=5,
            ).close()


def test_throttle_is_recovered_by_waiting_it_out(sim: FlexacoreSim, server: SandboxServer) -> None:
    clock = FakeClock()
    throttled(sim, clock, per_minute=4)
    client = client_for(
        server, sim.token, limiter=RateLimiter(None, clock=clock.time, sleep=clock.sleep)
    )
    group = max(sim.group_uids(), key=lambda uid: len(sim.contacts_in(uid)))
    expected = [r.uid for r in sim.contacts_in(group)]
    burn_the_minute(server, sim.token, 4)
    assert [c.remote_id for c in client.list_all(group_id=group)] == expected
    # "Too Many Attempts." carries no Retry-After: the client held off for a minute, no more
    assert 60 in clock.slept
    assert max(clock.slept) <= 60
    client.close()


def test_a_throttled_create_is_sent_again_once(sim: FlexacoreSim, server: SandboxServer) -> None:
    clock = FakeClock()
    throttled(sim, clock, per_minute=4)
    client = client_for(
        server, sim.token, limiter=RateLimiter(None, clock=clock.time, sleep=clock.sleep)
    )
    group = sim.group_uids()[0]
    burn_the_minute(server, sim.token, 4)
    made = client.create_contact(Contact(PHONE), group_id=group)
    # the throttle refused the POST before any work, so sending it again made exactly one row
    assert rows_with_phone(sim, group) == [made.remote_id]
    assert 60 in clock.slept
    client.close()


def test_client_paces_itself_from_the_throttle_headers(
    sim: FlexacoreSim, server: SandboxServer
) -> None:
    clock = FakeClock()
    throttled(sim, clock, per_minute=4)
    client = client_for(
        server, sim.token, limiter=RateLimiter(None, clock=clock.time, sleep=clock.sleep)
    )
    group = max(sim.group_uids(), key=lambda uid: len(sim.contacts_in(uid)))
    for _ in range(3):  # 9 reads against 4 a minute: paced, never refused
        assert len(client.list_all(group_id=group)) == 60
    assert clock.slept
    assert 60 not in clock.slept
    client.close()


def test_throttle_that_never_lifts_is_rate_limited(
    sim: FlexacoreSim, server: SandboxServer
) -> None:
    server_clock = FakeClock()  # the server's window never moves on
    throttled(sim, server_clock, per_minute=1)
    ours = FakeClock()
    client = client_for(
        server, sim.token, limiter=RateLimiter(None, clock=ours.time, sleep=ours.sleep)
    )
    client.list_groups()
    with pytest.raises(RateLimited, match="slow down") as caught:
        client.list_groups()
    assert caught.value.retry_after == 60
    client.close()


# -- the token never leaks --------------------------------------------------------------------


def _every_error(
    sim: FlexacoreSim, server: SandboxServer, group: str, wrong: str, made: list[FlexacoreClient]
) -> list[Callable[[], object]]:
    """Calls that end in each kind of error (clients made go to ``made``, to be closed)."""
    good = sim.token
    uid = sim.contacts_in(group)[0].uid
    no_view = sim.mint_token(abilities=ALL_PERMISSIONS - {"view_contact"})

    def new(token: str = good, **kwargs: Any) -> FlexacoreClient:
        kwargs.setdefault("limiter", instant())
        made.append(client_for(server, token, **kwargs))
        return made[-1]

    def faulty(**plan: Any) -> FlexacoreClient:
        inject(server, **plan)
        return new()

    def never_lifting_throttle() -> None:
        frozen = FakeClock()
        sim.configure(throttle_per_minute=0)
        sim.config = sim.config.with_changes(clock=frozen.time)
        ours = FakeClock()
        try:
            new(limiter=RateLimiter(None, clock=ours.time, sleep=ours.sleep)).list_groups()
        finally:
            sim.configure(throttle_per_minute=None)

    return [
        lambda: new(wrong).list_groups(),  # AuthRefused
        lambda: new(good + " x"),  # AuthRefused before anything is sent
        lambda: new(no_view).list_all(group_id=group),  # PermissionDenied
        lambda: new().get_contact("6065ecdc9184f", group_id=group),  # NotFound
        lambda: new().create_contact(Contact("+0170"), group_id=group),  # ValidationFailed
        lambda: new(sending_server=None).rename_group(group, "R"),
        lambda: new(sending_server=99).rename_group(group, "R"),
        lambda: FlexacoreClient(server.root_url + "/nope", good).list_groups(),
        lambda: faulty(error_rate=1.0).list_groups(),  # ServerError
        lambda: faulty(html_proxy_rate=1.0).list_groups(),  # UnexpectedAnswer
        lambda: faulty(truncate_rate=1.0).list_groups(),
        lambda: faulty(non_json_rate=1.0).list_groups(),
        lambda: faulty(reset_before_write=1.0).create_contact(Contact(PHONE), group_id=group),
        lambda: faulty(reset_after_write=1.0).delete_contact(uid, group_id=group),
        lambda: faulty(hang_rate=1.0, limit=1).list_groups(),  # NetworkError
        lambda: FlexacoreClient("http://one.flexacore.com/api/v3", good),  # InsecureURL
        never_lifting_throttle,  # RateLimited
    ]


def test_the_token_never_appears_in_errors_reprs_or_logs(
    sim: FlexacoreSim, server: SandboxServer, group: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "49|" + "W" * 40
    secrets = [sim.token, sim.token.split("|", 1)[1], wrong, wrong.split("|", 1)[1]]
    errors: list[ProviderError] = []
    made: list[FlexacoreClient] = []
    for call in _every_error(sim, server, group, wrong, made):
        try:
            call()
        except ProviderError as err:
            errors.append(err)
        server.clear_faults()
    kinds = {type(e) for e in errors}
    assert {
        AuthRefused,
        PermissionDenied,
        NotFound,
        ValidationFailed,
        ServerError,
        UnexpectedAnswer,
        NetworkError,
        RateLimited,
    } <= kinds, kinds
    client = client_for(server, sim.token)
    texts = [caplog.text, repr(client), str(vars(client)), repr(client.limiter)]
    for error in errors:
        texts += [str(error), repr(error), error.message, error.detail or ""]
        texts.append(str(error.__cause__ or ""))
    for secret in secrets:
        for text in texts:
            assert secret not in text
    assert len(errors) == 17
    for c in [client, *made]:
        c.close()
