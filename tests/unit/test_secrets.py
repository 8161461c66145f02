"""The keychain interface against in-memory, missing, locked and blocking backends."""

from __future__ import annotations

import io
import logging
import pickle
import threading
import urllib.parse
from collections.abc import Iterator

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.compat import properties
from keyring.errors import KeyringLocked

from contactdesk.accounts import Account
from contactdesk.core.models import ProviderKind
from contactdesk.secrets import (
    SERVICE,
    KeychainFailed,
    KeychainLocked,
    KeychainState,
    KeychainTimedOut,
    KeychainUnavailable,
    Secret,
    SecretStore,
)
from tests.helpers import MemoryKeyring

KEY = "17|Abc123SecretValueForTests"


class _TestOnly(KeyringBackend):
    """Base for backends built by hand: never picked by keyring's own discovery."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("test backend, not for discovery")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise NotImplementedError

    def delete_password(self, service: str, username: str) -> None:
        raise NotImplementedError


class LockedKeyring(_TestOnly):
    """What keyring's Secret Service backend raises when the unlock prompt is dismissed."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("Failed to unlock the collection!")

    set_password = get_password  # type: ignore[assignment]


class BlockingKeyring(_TestOnly):
    """A locked keyring waiting on a prompt nobody answers: blocks until released."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.entered = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.entered.set()
        self.release.wait(30)
        return None


class BrokenKeyring(_TestOnly):
    """A backend whose error text repeats what it was given (some do)."""

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError(f"D-Bus said no to {password}")


def account(practice: bool = False) -> Account:
    return Account.new(ProviderKind.FLEXACORE, "Shop", default_region="GB", practice=practice)


@pytest.fixture
def blocking() -> Iterator[BlockingKeyring]:
    backend = BlockingKeyring()
    yield backend
    backend.release.set()
    for t in threading.enumerate():
        if t.name == "keychain-call":
            t.join(10)


# -- Secret -----------------------------------------------------------------------------------


def test_secret_never_shows_its_value() -> None:
    s = Secret(f"  {KEY}\n")
    assert s.reveal() == KEY
    for shown in (repr(s), str(s), f"{s}", f"{s!r}", "%s" % s, repr([s]), repr({"k": s})):  # noqa: UP031
        assert "Abc123" not in shown
    with pytest.raises(TypeError):
        pickle.dumps(s)
    assert Secret(KEY) == s
    assert Secret(KEY + "x") != s
    with pytest.raises(ValueError, match="empty"):
        Secret(" \n")


# -- keys in a working keychain ---------------------------------------------------------------


def test_store_read_replace_delete(memory_keyring: MemoryKeyring) -> None:
    store = SecretStore()  # keyring's default: the in-memory keyring from conftest
    a = account()
    assert store.get(a) is None
    store.set(a, Secret(KEY))
    assert memory_keyring.entries == {(SERVICE, a.id): KEY}
    assert SecretStore().get(a) == Secret(KEY)  # a new session reads it back
    store.set(a, Secret("second-key-value"))
    assert SecretStore().get(a) == Secret("second-key-value")
    store.delete(a)
    assert memory_keyring.entries == {}
    store.delete(a)  # deleting what is not there is fine
    assert not store.is_session_only(a)


def test_probe_names_a_usable_keychain() -> None:
    status = SecretStore(MemoryKeyring()).probe()
    assert status.usable
    assert status.state is KeychainState.USABLE
    assert status.message == f"Keys are kept in {status.backend_name}."


# -- no keychain: explicit session-only keys --------------------------------------------------


def test_no_keychain_refuses_to_save_then_session_only_works_on_request() -> None:
    store = SecretStore(fail.Keyring(), platform="linux")
    a = account()
    status = store.probe()
    assert status.state is KeychainState.MISSING
    assert "GNOME Keyring or KWallet" in status.message
    assert "session only" in status.message
    with pytest.raises(KeychainUnavailable) as caught:
        store.set(a, Secret(KEY))
    assert "session only" in caught.value.message
    assert not store.is_session_only(a)  # no silent fallback
    with pytest.raises(KeychainUnavailable):
        store.get(a)

    store.set(a, Secret(KEY), session_only=True)
    assert store.is_session_only(a)
    assert store.get(a) == Secret(KEY)
    # The next session starts without it: it was never written anywhere.
    with pytest.raises(KeychainUnavailable):
        SecretStore(fail.Keyring()).get(a)
    store.delete(a)
    assert not store.is_session_only(a)


def test_the_null_backend_counts_as_no_keychain() -> None:
    """keyring's null backend accepts keys and forgets them: that must not look like success."""
    store = SecretStore(null.Keyring())
    assert store.probe().state is KeychainState.MISSING
    with pytest.raises(KeychainUnavailable):
        store.set(account(), Secret(KEY))


@pytest.mark.parametrize(
    ("platform", "words"),
    [
        ("linux", "GNOME Keyring or KWallet"),
        ("win32", "Windows Credential Manager"),
        ("darwin", "Keychain Access"),
    ],
)
def test_missing_keychain_advice_fits_the_system(platform: str, words: str) -> None:
    status = SecretStore(fail.Keyring(), platform=platform).probe()
    assert words in status.message


def test_practice_keys_stay_in_memory(memory_keyring: MemoryKeyring) -> None:
    store = SecretStore()
    p = account(practice=True)
    store.set(p, Secret(KEY))
    assert memory_keyring.entries == {}
    assert store.get(p) == Secret(KEY)
    assert SecretStore().get(p) is None


def test_saving_to_the_keychain_ends_a_session_only_key(memory_keyring: MemoryKeyring) -> None:
    store = SecretStore()
    a = account()
    store.set(a, Secret("session-only-key"), session_only=True)
    store.set(a, Secret(KEY))
    assert not store.is_session_only(a)
    memory_keyring.entries[(SERVICE, a.id)] = "changed-in-keychain"
    assert store.get(a) == Secret("changed-in-keychain")


# -- locked and blocking keychains ------------------------------------------------------------


def test_locked_keychain_is_reported() -> None:
    store = SecretStore(LockedKeyring())
    status = store.probe()
    assert status.state is KeychainState.LOCKED
    assert "locked" in status.message
    with pytest.raises(KeychainLocked, match="Unlock it"):
        store.get(account())


def test_blocking_keychain_probe_times_out_and_says_so(blocking: BlockingKeyring) -> None:
    store = SecretStore(blocking, timeout=0.2)
    status = store.probe(timeout=0.2)
    assert blocking.entered.wait(10)
    assert status.state is KeychainState.TIMED_OUT
    assert not status.usable
    assert "did not answer within 0.2 seconds" in status.message
    assert "unlock" in status.message
    # While that call is stuck, more calls fail at once instead of piling up threads.
    before = sum(t.name == "keychain-call" for t in threading.enumerate())
    with pytest.raises(KeychainTimedOut, match="did not answer"):
        store.get(account())
    assert store.probe().state is KeychainState.TIMED_OUT
    assert sum(t.name == "keychain-call" for t in threading.enumerate()) == before
    # Once the keychain answers, the store works again.
    blocking.release.set()
    for t in threading.enumerate():
        if t.name == "keychain-call":
            t.join(10)
    assert store.probe().state is KeychainState.USABLE


def test_failure_text_never_carries_the_key() -> None:
    store = SecretStore(BrokenKeyring())
    with pytest.raises(KeychainFailed) as caught:
        store.set(account(), Secret(KEY))
    err = caught.value
    for text in (err.message, str(err), repr(err), err.detail or ""):
        assert "Abc123" not in text
    assert err.detail == "RuntimeError: D-Bus said no to ***"


# -- redaction --------------------------------------------------------------------------------


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO, logging.Handler]]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, out, handler
    logger.removeHandler(handler)
    logger.propagate = True


def test_log_records_are_scrubbed_of_every_key_the_store_saw(
    captured: tuple[logging.Logger, io.StringIO, logging.Handler],
    memory_keyring: MemoryKeyring,
) -> None:
    logger, out, handler = captured
    store = SecretStore()
    store.install_redaction(handler)
    a, b = account(), account()
    store.set(a, Secret(KEY))
    memory_keyring.entries[(SERVICE, b.id)] = "read-from-the-keychain-only"
    assert store.get(b) is not None

    logger.info("sending with %s", KEY)
    logger.warning("GET /contacts?api_token=%s", urllib.parse.quote(KEY, safe=""))
    logger.info(f"read back {'read-from-the-keychain-only'}")  # noqa: G004  # in msg, not args
    try:
        raise ValueError(f"server echoed {KEY}")
    except ValueError:
        logger.exception("request failed")
    # A broken call must not make logging print the raw args either.
    logger.info("broken format %s %s", KEY)  # noqa: PLE1206

    text = out.getvalue()
    assert "Abc123" not in text
    assert "read-from-the-keychain-only" not in text
    assert text.count("***") >= 5
    assert "ValueError: server echoed ***" in text
    assert "sending with ***" in text


def test_redaction_leaves_records_alone_before_any_key_is_known(
    captured: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, out, handler = captured
    SecretStore(MemoryKeyring()).install_redaction(handler)
    logger.info("plain %s", "text")
    assert out.getvalue() == "INFO plain text\n"
