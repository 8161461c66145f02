"""Against a REAL Secret Service (gnome-keyring-daemon in a private D-Bus session).

Run with ``scripts/test-keychain.sh``; deselected from the default run. These tests fail,
never skip, when no Secret Service is reachable: a keychain run that tests nothing must
not look green.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import closing

import keyring
import pytest
import secretstorage
from jeepney import DBusAddress, new_method_call
from keyring.backends import SecretService

from contactdesk.accounts import Account
from contactdesk.core.models import ProviderKind
from contactdesk.secrets import (
    SERVICE,
    KeychainLocked,
    KeychainState,
    KeychainUnavailable,
    Secret,
    SecretStore,
)

pytestmark = pytest.mark.keychain


@pytest.fixture
def backend() -> SecretService.Keyring:
    if not SecretService.Keyring.viable:
        pytest.fail(
            "No Secret Service on the session bus. Run scripts/test-keychain.sh, which "
            "starts a throw-away gnome-keyring-daemon under dbus-run-session."
        )
    return SecretService.Keyring()


@pytest.fixture
def account(backend: SecretService.Keyring) -> Iterator[Account]:
    a = Account.new(ProviderKind.TEXTFLOW, "Real keychain", default_region="GB")
    yield a
    SecretStore(backend).delete(a)


def stored_items(account_id: str) -> list[tuple[dict[str, str], bytes]]:
    """What the daemon holds for this account, read with secretstorage directly."""
    with closing(secretstorage.dbus_init()) as bus:
        collection = secretstorage.get_default_collection(bus)
        assert not collection.is_locked()
        return [
            (item.get_attributes(), item.get_secret())
            for item in collection.search_items({"service": SERVICE, "username": account_id})
        ]


def test_store_read_replace_delete(backend: SecretService.Keyring, account: Account) -> None:
    store = SecretStore(backend)
    assert store.get(account) is None

    store.set(account, Secret("tf_live_first-key-0001"))
    ((attributes, value),) = stored_items(account.id)
    assert value == b"tf_live_first-key-0001"
    assert attributes["service"] == SERVICE
    assert not store.is_session_only(account)
    assert SecretStore(backend).get(account) == Secret("tf_live_first-key-0001")

    store.set(account, Secret("tf_live_second-key-0002"))
    assert [v for _, v in stored_items(account.id)] == [b"tf_live_second-key-0002"]
    assert SecretStore(backend).get(account) == Secret("tf_live_second-key-0002")

    store.delete(account)
    assert stored_items(account.id) == []
    assert SecretStore(backend).get(account) is None
    store.delete(account)  # already gone: fine


def test_keys_of_accounts_are_kept_apart(backend: SecretService.Keyring) -> None:
    store = SecretStore(backend)
    a = Account.new(ProviderKind.FLEXACORE, "A", default_region="GB")
    b = Account.new(ProviderKind.FLEXACORE, "B", default_region="GB")
    try:
        store.set(a, Secret("key-for-account-a"))
        store.set(b, Secret("key-for-account-b"))
        assert store.get(a) == Secret("key-for-account-a")
        assert store.get(b) == Secret("key-for-account-b")
        store.delete(a)
        assert store.get(a) is None
        assert store.get(b) == Secret("key-for-account-b")
    finally:
        store.delete(a)
        store.delete(b)


def test_startup_probe_names_the_secret_service(account: Account) -> None:
    """The probe as app start-up runs it: keyring's own choice of backend, 3 s deadline."""
    default = keyring.get_keyring()
    status = SecretStore().probe(timeout=3.0)
    print(f"\nkeyring default backend: {default}\nprobe: {status}")
    assert status.state is KeychainState.USABLE, status
    assert status.backend_name == "GNOME Keyring (Secret Service)"
    assert status.message == "Keys are kept in GNOME Keyring."
    # And the default really writes to the Secret Service.
    SecretStore().set(account, Secret("through-the-default-backend"))
    assert [v for _, v in stored_items(account.id)] == [b"through-the-default-backend"]


def _unlock_without_prompt(collection_path: str) -> None:
    """Unlock with the throw-away password, as gnome-keyring's PAM module does at login.

    The public Unlock call needs a password prompt, and there is no display here.
    """
    password = os.environ.get("CONTACTDESK_TEST_KEYRING_PASSWORD")
    if not password:
        pytest.fail("CONTACTDESK_TEST_KEYRING_PASSWORD is not set: run scripts/test-keychain.sh")
    service = DBusAddress(
        "/org/freedesktop/secrets",
        bus_name="org.freedesktop.secrets",
        interface="org.freedesktop.Secret.Service",
    )
    internal = DBusAddress(
        "/org/freedesktop/secrets",
        bus_name="org.freedesktop.secrets",
        interface="org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
    )
    with closing(secretstorage.dbus_init()) as bus:
        reply = bus.send_and_get_reply(
            new_method_call(service, "OpenSession", "sv", ("plain", ("s", "")))
        )
        session = reply.body[1]
        secret = (session, b"", password.encode(), "text/plain")
        bus.send_and_get_reply(
            new_method_call(
                internal, "UnlockWithMasterPassword", "o(oayays)", (collection_path, secret)
            )
        )


@pytest.fixture
def locked_collection() -> Iterator[None]:
    # keyring's Secret Service backend leaves its D-Bus socket open when unlocking fails
    # (it raises KeyringLocked before its ``closing``): collect it here, where the
    # test's filter expects it, not in whichever test happens to run the GC next.
    with closing(secretstorage.dbus_init()) as bus:
        collection = secretstorage.get_default_collection(bus)
        path = collection.collection_path
        collection.lock()
        assert collection.is_locked()
    try:
        yield
    finally:
        gc.collect()
        _unlock_without_prompt(path)
        with closing(secretstorage.dbus_init()) as bus:
            assert not secretstorage.Collection(bus, path).is_locked()


@pytest.mark.usefixtures("locked_collection")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_locked_keychain_is_reported_and_nothing_falls_back(
    backend: SecretService.Keyring,
) -> None:
    """Locked, with no way to show the unlock prompt (no display): said so, within 3 s."""
    account = Account.new(ProviderKind.FLEXACORE, "Locked", default_region="GB")
    store = SecretStore(backend, timeout=3.0)
    status = store.probe(timeout=3.0)
    print(f"\nprobe of a locked keychain: {status}")
    assert status.state in {KeychainState.LOCKED, KeychainState.TIMED_OUT}
    assert status.backend_name == "GNOME Keyring (Secret Service)"
    assert status.message.startswith("GNOME Keyring ")
    assert "session only" in status.message
    with pytest.raises((KeychainLocked, KeychainUnavailable)) as caught:
        store.set(account, Secret("must-not-be-kept-anywhere"))
    assert "must-not-be-kept" not in repr(caught.value)
    assert not store.is_session_only(account)
