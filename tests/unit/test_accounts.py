"""accounts.toml: round trips, practice accounts stay in memory, no secret on disk, and an
unreadable file is reported plainly, copied aside and never overwritten unasked."""

from __future__ import annotations

import logging
import os
import re
import tomllib
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contactdesk.accounts import (
    DEFAULT_BASE_URLS,
    Account,
    AccountsFileError,
    AccountStore,
    InvalidAccount,
    UnknownAccount,
    parse_accounts,
    render_accounts,
)
from contactdesk.core.models import ProviderKind
from contactdesk.secrets import Secret, SecretStore
from tests.helpers import MemoryKeyring


def flexacore(name: str = "Shop", **kw: object) -> Account:
    return Account.new(ProviderKind.FLEXACORE, name, default_region="GB", **kw)  # type: ignore[arg-type]


def textflow(name: str = "Clinic", **kw: object) -> Account:
    return Account.new(ProviderKind.TEXTFLOW, name, default_region="us", **kw)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> AccountStore:
    return AccountStore(tmp_path / "config" / "accounts.toml")


# -- the Account value ------------------------------------------------------------------------


def test_new_account_has_vendor_defaults_and_fresh_identity() -> None:
    a, b = flexacore(), textflow()
    assert a.base_url == "https://one.flexacore.com/api/v3"
    assert b.base_url == "https://textflow.telair.net/api"
    assert a.base_url == DEFAULT_BASE_URLS[ProviderKind.FLEXACORE]
    assert re.fullmatch(r"[0-9a-f]{32}", a.id)
    assert a.id != b.id
    assert a.plan is None
    assert b.plan == "starter"
    assert b.default_region == "US"
    created = datetime.fromisoformat(a.created_at)
    assert created.utcoffset() is not None
    assert created.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_any_ultimate_sms_deployment_address_is_accepted_and_trimmed() -> None:
    a = flexacore(base_url="  https://sms.example.org/api/v3/  ")
    assert a.base_url == "https://sms.example.org/api/v3"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"base_url": "one.flexacore.com/api/v3"}, "base_url"),
        ({"base_url": "ftp://x.example/api"}, "base_url"),
        ({"default_region": "GBR"}, "default_region"),
        ({"name": "   "}, "name"),
    ],
)
def test_bad_values_are_refused_with_a_plain_message(changes: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidAccount) as caught:
        flexacore().edited(**changes)
    assert caught.value.field == field
    assert caught.value.message[0].isupper()


def test_textflow_plans() -> None:
    assert textflow(plan="Marketer").plan == "marketer"
    assert textflow(plan="custom:300").plan == "custom:300"
    for bad in ("gold", "custom:", "custom:0", "custom:-5", "custom:abc"):
        with pytest.raises(InvalidAccount, match="plan"):
            textflow(plan=bad)
    with pytest.raises(InvalidAccount, match="Only TextFlow"):
        flexacore(plan="starter")


def test_sending_server_is_flexacore_only_and_positive() -> None:
    assert flexacore(flexacore_sending_server=3).flexacore_sending_server == 3
    with pytest.raises(InvalidAccount):
        textflow(flexacore_sending_server=3)
    with pytest.raises(InvalidAccount):
        flexacore(flexacore_sending_server=0)


def test_identity_fields_cannot_be_edited() -> None:
    a = flexacore()
    with pytest.raises(InvalidAccount):
        a.edited(id="0" * 32)
    with pytest.raises(InvalidAccount):
        a.edited(kind=ProviderKind.TEXTFLOW)
    renamed = a.edited(name="Shop (main)", default_region="ie")
    assert (renamed.id, renamed.name, renamed.default_region) == (a.id, "Shop (main)", "IE")


# -- the store --------------------------------------------------------------------------------


def test_round_trip_through_the_file(store: AccountStore) -> None:
    a = flexacore(flexacore_sending_server=7)
    b = textflow(plan="custom:120", base_url="https://tf.example.com/api")
    store.add(a)
    store.add(b)
    again = AccountStore(store.path)
    assert again.list() == [a, b]
    assert again.get(b.id) == b


def test_missing_file_means_no_accounts_and_is_not_created_by_reading(
    store: AccountStore,
) -> None:
    assert store.list() == []
    assert not store.path.exists()


def test_update_and_remove(store: AccountStore) -> None:
    a, b = flexacore(), textflow()
    store.add(a)
    store.add(b)
    store.update(a.edited(name="Renamed"))
    store.remove(b.id)
    again = AccountStore(store.path)
    assert [x.name for x in again.list()] == ["Renamed"]
    with pytest.raises(UnknownAccount):
        again.get(b.id)
    with pytest.raises(UnknownAccount):
        again.remove(b.id)
    with pytest.raises(UnknownAccount):
        again.update(b)
    with pytest.raises(InvalidAccount):
        again.add(again.list()[0])


def test_practice_accounts_are_never_written(store: AccountStore) -> None:
    real = flexacore()
    practice = textflow("Practice TextFlow", practice=True)
    store.add(practice)
    store.add(real)
    store.update(practice.edited(name="Practice 2"))
    assert [a.name for a in store.list()] == ["Shop", "Practice 2"]
    text = store.path.read_text(encoding="utf-8")
    assert practice.id not in text
    assert "Practice" not in text
    assert AccountStore(store.path).list() == [real]
    store.remove(practice.id)
    assert store.list() == [real]


def test_no_secret_ever_reaches_the_file(store: AccountStore) -> None:
    keyring = MemoryKeyring()
    secrets = SecretStore(keyring)
    key = "42|s3cr3tKeyThatMustNeverBeOnDisk"
    a = flexacore()
    store.add(a)
    secrets.set(a, Secret(key))
    store.update(a.edited(name="Shop after key"))
    assert keyring.entries[("contactdesk", a.id)] == key
    raw = store.path.read_bytes()
    assert key.encode() not in raw
    assert b"s3cr3t" not in raw
    saved = tomllib.loads(raw.decode())["accounts"][0]
    assert not {k for k in saved if re.search("key|token|secret|password", k)}
    leftovers = [p.name for p in store.path.parent.iterdir() if p != store.path]
    assert leftovers == []  # no temp file left behind either


def test_a_failed_write_leaves_the_old_file_intact(
    store: AccountStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = flexacore()
    store.add(a)
    before = store.path.read_bytes()

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(AccountsFileError, match="could not be saved"):
        store.add(textflow())
    monkeypatch.undo()
    assert store.path.read_bytes() == before
    assert [p.name for p in store.path.parent.iterdir()] == ["accounts.toml"]
    assert store.list() == [a]  # memory still agrees with the disk


def test_default_store_lives_in_the_platform_config_dir(isolated_dirs: Path) -> None:
    store = AccountStore.default()
    assert store.path.name == "accounts.toml"
    assert store.path.is_relative_to(isolated_dirs)
    store.add(flexacore())
    assert store.path.exists()


# -- unreadable and hand-edited files ---------------------------------------------------------


def test_corrupt_file_is_reported_copied_and_not_overwritten(store: AccountStore) -> None:
    store.path.parent.mkdir(parents=True)
    garbage = b'version = 1\n[[accounts]]\nid = "abc\nname = oops\n'
    store.path.write_bytes(garbage)
    with pytest.raises(AccountsFileError) as caught:
        store.list()
    err = caught.value
    assert "could not be read" in err.message
    assert "line" in err.message  # says where
    assert err.backup is not None
    assert err.backup.read_bytes() == garbage
    assert str(err.backup) in err.message
    # Refuses to write over it until the user decides.
    with pytest.raises(AccountsFileError):
        store.add(flexacore())
    assert store.path.read_bytes() == garbage
    # A second start-up does not pile up copies.
    with pytest.raises(AccountsFileError):
        AccountStore(store.path).list()
    assert len(list(store.path.parent.glob("accounts.toml.unreadable-*"))) == 1


def test_start_fresh_keeps_the_copy(store: AccountStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(b"\xff\xfe not text")
    with pytest.raises(AccountsFileError, match="not a text file") as caught:
        store.list()
    store.start_fresh()
    assert store.list() == []
    a = flexacore()
    store.add(a)
    assert AccountStore(store.path).list() == [a]
    assert caught.value.backup is not None
    assert caught.value.backup.read_bytes() == b"\xff\xfe not text"


def test_reload_after_the_user_fixed_the_file(store: AccountStore) -> None:
    good = render_accounts([flexacore()])
    store.path.parent.mkdir(parents=True)
    store.path.write_text(good.replace('kind = "flexacore"', 'kind = "flexicore"'))
    with pytest.raises(AccountsFileError, match='"flexicore"'):
        store.list()
    store.path.write_text(good)
    store.reload()
    assert len(store.list()) == 1


def _entry(**override: object) -> str:
    fields: dict[str, object] = {
        "id": "a" * 32,
        "kind": "flexacore",
        "name": "Shop",
        "base_url": "https://one.flexacore.com/api/v3",
        "default_region": "GB",
        "created_at": "2025-01-02T03:04:05Z",
    }
    fields.update(override)
    body = "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in fields.items() if v is not None)
    return f"version = 1\n[[accounts]]\n{body}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (_entry(kind="sms77"), 'Account 1 ("Shop") has kind "sms77"'),
        (_entry(default_region=None), "has no default_region"),
        (_entry(default_region="Britain"), "two-letter code"),
        (_entry(flexacore_sending_server="three"), "whole number"),
        (_entry(name=5), "name must be text"),
        (_entry(kind="textflow", plan="platinum"), "plan must be"),
        (_entry() + _entry().removeprefix("version = 1\n"), "share the id"),
        (_entry().replace("version = 1", "version = 2"), "newer version"),
        ('accounts = "none"\n', "no list of [[accounts]]"),
    ],
)
def test_hand_edited_mistakes_are_named(text: str, expected: str) -> None:
    with pytest.raises(InvalidAccount, match=re.escape(expected)):
        parse_accounts(text)


def test_hand_edited_file_without_optional_fields_reads(store: AccountStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(_entry(kind="textflow", base_url="https://tf.example/api/"))
    (a,) = store.list()
    assert a.plan == "starter"
    assert a.base_url == "https://tf.example/api"


def test_a_pasted_key_in_the_file_is_not_logged_and_dropped_on_save(
    store: AccountStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(_entry(api_key="77|pastedByHandDoNotKeep"))
    with caplog.at_level(logging.WARNING, logger="contactdesk.accounts"):
        (a,) = store.list()
    assert "api_key" in caplog.text
    assert "pastedByHand" not in caplog.text
    store.update(a.edited(name="Shop"))
    assert "pastedByHand" not in store.path.read_text()


@given(
    name=st.text(min_size=1).filter(lambda s: s.strip() != ""),
    server=st.one_of(st.none(), st.integers(min_value=1, max_value=2**31)),
)
def test_any_name_survives_the_file(name: str, server: int | None) -> None:
    a = Account(
        id="b" * 32,
        kind=ProviderKind.FLEXACORE,
        name=name,
        base_url="https://one.flexacore.com/api/v3",
        default_region="GB",
        created_at="2025-01-02T03:04:05Z",
        flexacore_sending_server=server,
    )
    assert parse_accounts(render_accounts([a])) == [a]
