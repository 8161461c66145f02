"""The user's accounts (which platform, which address, which plan) kept in ``accounts.toml``.

No secret is ever written here: API keys live in the system keychain (``secrets.py``),
keyed by ``Account.id``. Practice accounts exist in memory only and are never written.

The file is small and hand-editable, so reading is strict about meaning but plain about
errors: anything we cannot read raises ``AccountsFileError`` with a sentence a person can
act on, a copy of the unreadable file is kept next to it, and the store refuses to write
over it until the user chooses to start afresh (``start_fresh``) or fixes it (``reload``).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import tomllib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tomli_w

from contactdesk.core.models import ProviderKind
from contactdesk.paths import app_dirs

log = logging.getLogger(__name__)

FILE_NAME = "accounts.toml"
#: Bumped only for changes an older Contact Desk could not read correctly.
FILE_VERSION = 1

DEFAULT_BASE_URLS: Mapping[ProviderKind, str] = {
    ProviderKind.FLEXACORE: "https://one.flexacore.com/api/v3",
    ProviderKind.TEXTFLOW: "https://textflow.telair.net/api",
}
TEXTFLOW_PLANS = ("starter", "marketer")
DEFAULT_TEXTFLOW_PLAN = "starter"

_REGION = re.compile(r"[A-Z]{2}")
_CUSTOM_PLAN = re.compile(r"custom:([1-9][0-9]{0,8})")
_REQUIRED = ("id", "kind", "name", "base_url", "default_region", "created_at")
_KNOWN = {*_REQUIRED, "plan", "flexacore_sending_server"}


class InvalidAccount(ValueError):
    """An account value is not acceptable; ``message`` says which and why, in plain words."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class AccountsFileError(Exception):
    """``accounts.toml`` cannot be read (or written). ``backup`` is the copy we kept, if any."""

    def __init__(self, message: str, *, backup: Path | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.backup = backup


class UnknownAccount(KeyError):
    """No account has this id."""


def _now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def normalize_base_url(url: str) -> str:
    """Trim and check an address; the provider client does the platform-specific checks."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidAccount(
            "The address must start with https:// and name a server, "
            "for example https://one.flexacore.com/api/v3",
            field="base_url",
        )
    return url


def normalize_plan(kind: ProviderKind, plan: str | None) -> str | None:
    """TextFlow plans: "starter", "marketer" or "custom:<n>"; other platforms have none."""
    if kind is not ProviderKind.TEXTFLOW:
        if plan:
            raise InvalidAccount("Only TextFlow accounts have a plan.", field="plan")
        return None
    plan = (plan or DEFAULT_TEXTFLOW_PLAN).strip().lower()
    if plan in TEXTFLOW_PLANS or _CUSTOM_PLAN.fullmatch(plan):
        return plan
    raise InvalidAccount(
        'The plan must be "starter", "marketer" or "custom:" followed by a number '
        '(for example "custom:300").',
        field="plan",
    )


@dataclass(frozen=True, slots=True)
class Account:
    """One account on one SMS platform. Holds no secret: the key is in the keychain under ``id``.

    ``plan`` is set for TextFlow only (it decides the request budget). ``default_region``
    is how phone numbers typed without a country code are read. ``flexacore_sending_server``
    is needed by Flexacore to rename groups. ``practice`` accounts are never written to disk.
    """

    id: str
    kind: ProviderKind
    name: str
    base_url: str
    default_region: str
    created_at: str
    plan: str | None = None
    flexacore_sending_server: int | None = None
    practice: bool = False

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidAccount("Give the account a name.", field="name")
        if not _REGION.fullmatch(self.default_region):
            raise InvalidAccount(
                "The default country must be a two-letter code such as GB or US.",
                field="default_region",
            )
        if self.flexacore_sending_server is not None and (
            self.kind is not ProviderKind.FLEXACORE or self.flexacore_sending_server < 1
        ):
            raise InvalidAccount(
                "The sending server is a positive number, and only Flexacore accounts have one.",
                field="flexacore_sending_server",
            )

    @classmethod
    def new(
        cls,
        kind: ProviderKind,
        name: str,
        *,
        default_region: str,
        base_url: str | None = None,
        plan: str | None = None,
        flexacore_sending_server: int | None = None,
        practice: bool = False,
    ) -> Account:
        """A fresh account with a new id; the address defaults to the vendor's own."""
        return cls(
            id=uuid.uuid4().hex,
            kind=kind,
            name=name.strip(),
            base_url=normalize_base_url(base_url or DEFAULT_BASE_URLS[kind]),
            default_region=default_region.strip().upper(),
            created_at=_now_iso(),
            plan=normalize_plan(kind, plan),
            flexacore_sending_server=flexacore_sending_server,
            practice=practice,
        )

    def edited(self, **changes: Any) -> Account:
        """A copy with user edits applied and checked; ``id``, ``kind`` and ``created_at`` stay."""
        for fixed in ("id", "kind", "created_at", "practice"):
            if fixed in changes:
                raise InvalidAccount(f"The {fixed} of an account cannot change.", field=fixed)
        if "base_url" in changes:
            changes["base_url"] = normalize_base_url(changes["base_url"])
        if "plan" in changes:
            changes["plan"] = normalize_plan(self.kind, changes["plan"])
        if "default_region" in changes:
            changes["default_region"] = str(changes["default_region"]).strip().upper()
        return replace(self, **changes)


def _to_toml(account: Account) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": account.id,
        "kind": account.kind.value,
        "name": account.name,
        "base_url": account.base_url,
        "default_region": account.default_region,
        "created_at": account.created_at,
    }
    # TOML has no null: an absent key means "not set".
    if account.plan is not None:
        out["plan"] = account.plan
    if account.flexacore_sending_server is not None:
        out["flexacore_sending_server"] = account.flexacore_sending_server
    return out


def _from_toml(entry: object, number: int) -> Account:
    where = f"Account {number} in the accounts file"
    if not isinstance(entry, dict):
        raise InvalidAccount(f"{where} is not a table of settings.", field="")
    if isinstance(entry.get("name"), str) and entry["name"].strip():
        where = f'Account {number} ("{entry["name"]}")'
    missing = [k for k in _REQUIRED if k not in entry]
    if missing:
        raise InvalidAccount(f"{where} has no {', '.join(missing)}.", field=missing[0])
    for key in sorted(set(entry) - _KNOWN):
        # Never log the value: a hand-edited file may hold a pasted key.
        log.warning("accounts file: ignoring unknown setting %r of account %d", key, number)
    for key in (*_REQUIRED, "plan"):
        if key in entry and not isinstance(entry[key], str):
            raise InvalidAccount(f"{where}: {key} must be text in quotes.", field=key)
    try:
        kind = ProviderKind(entry["kind"])
    except ValueError:
        known = ", ".join(k.value for k in ProviderKind)
        raise InvalidAccount(
            f'{where} has kind "{entry["kind"]}"; it must be one of: {known}.', field="kind"
        ) from None
    server = entry.get("flexacore_sending_server")
    if server is not None and (not isinstance(server, int) or isinstance(server, bool)):
        raise InvalidAccount(
            f"{where}: flexacore_sending_server must be a whole number.",
            field="flexacore_sending_server",
        )
    try:
        return Account(
            id=entry["id"],
            kind=kind,
            name=entry["name"],
            base_url=normalize_base_url(entry["base_url"]),
            default_region=entry["default_region"].strip().upper(),
            created_at=entry["created_at"],
            plan=normalize_plan(kind, entry.get("plan")),
            flexacore_sending_server=server,
        )
    except InvalidAccount as exc:
        raise InvalidAccount(f"{where}: {exc.message}", field=exc.field) from None


def parse_accounts(text: str) -> list[Account]:
    """Read the file's text; raises ``InvalidAccount``/``tomllib.TOMLDecodeError`` on bad input."""
    data = tomllib.loads(text)
    version = data.get("version", FILE_VERSION)
    if not isinstance(version, int) or version > FILE_VERSION:
        raise InvalidAccount(
            "The accounts file was written by a newer version of Contact Desk. "
            "Update Contact Desk to use it.",
            field="version",
        )
    entries = data.get("accounts", [])
    if not isinstance(entries, list):
        raise InvalidAccount("The accounts file has no list of [[accounts]].", field="accounts")
    accounts = [_from_toml(e, n) for n, e in enumerate(entries, start=1)]
    seen: set[str] = set()
    for account in accounts:
        if account.id in seen:
            raise InvalidAccount(f'Two accounts share the id "{account.id}".', field="id")
        seen.add(account.id)
    return accounts


def render_accounts(accounts: Iterable[Account]) -> str:
    saved = [_to_toml(a) for a in accounts if not a.practice]
    header = "# Contact Desk accounts. API keys are not here: they are in the system keychain.\n"
    return header + tomli_w.dumps({"version": FILE_VERSION, "accounts": saved})


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` so a crash leaves either the old or the new file, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable. Windows cannot open a directory; there, and on
    # file systems that refuse it, the replace is still atomic, just not yet flushed.
    if os.name != "posix":
        return
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


class AccountStore:
    """The accounts of this computer's user: ``accounts.toml`` plus in-memory practice accounts.

    Not a QObject (no Signals); the UI re-reads ``list()`` after a change it made.
    Every change is written at once, atomically.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._accounts: dict[str, Account] | None = None
        self._practice: dict[str, Account] = {}
        self._broken: AccountsFileError | None = None

    @classmethod
    def default(cls) -> AccountStore:
        return cls(app_dirs().config / FILE_NAME)

    # -- reading ---------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the file again (after the user fixed it by hand). Raises ``AccountsFileError``."""
        self._accounts = None
        self._broken = None
        self._loaded()

    def _loaded(self) -> dict[str, Account]:
        if self._broken is not None:
            raise self._broken
        if self._accounts is None:
            try:
                self._accounts = {a.id: a for a in self._read()}
            except AccountsFileError as exc:
                self._broken = exc
                raise
        return self._accounts

    def _read(self) -> list[Account]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise AccountsFileError(
                f"Your accounts file could not be opened ({exc.strerror}). "
                f"Check that you may read {self.path}."
            ) from None
        try:
            return parse_accounts(raw.decode("utf-8"))
        except UnicodeDecodeError:
            problem = "it is not a text file"
        except tomllib.TOMLDecodeError as exc:
            problem = f"it is not valid TOML: {exc}"
        except InvalidAccount as exc:
            problem = exc.message
        backup = self._keep_copy(raw)
        kept = f"A copy was kept at {backup}. " if backup else ""
        raise AccountsFileError(
            f"Your accounts file could not be read: {problem} {kept}"
            f"Fix the file ({self.path}) and reload, or start with no accounts; "
            "your keys stay in the keychain either way.",
            backup=backup,
        )

    def _keep_copy(self, raw: bytes) -> Path | None:
        """Copy the unreadable bytes aside once (not once per start-up)."""
        for existing in self.path.parent.glob(f"{self.path.name}.unreadable-*"):
            try:
                if existing.read_bytes() == raw:
                    return existing
            except OSError:
                continue
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        backup = self.path.with_name(f"{self.path.name}.unreadable-{stamp}")
        try:
            shutil.copy2(self.path, backup)
        except OSError:
            log.exception("could not keep a copy of the unreadable accounts file")
            return None
        log.warning("accounts file unreadable; a copy was kept at %s", backup)
        return backup

    def list(self) -> list[Account]:
        """Saved accounts in file order, then practice accounts."""
        return [*self._loaded().values(), *self._practice.values()]

    def get(self, account_id: str) -> Account:
        found = self._practice.get(account_id) or self._loaded().get(account_id)
        if found is None:
            raise UnknownAccount(account_id)
        return found

    # -- changing --------------------------------------------------------------------------

    def add(self, account: Account) -> None:
        if account.practice:
            self._practice[account.id] = account
            return
        accounts = self._loaded()
        if account.id in accounts:
            raise InvalidAccount("An account with this id already exists.", field="id")
        self._save({**accounts, account.id: account})

    def update(self, account: Account) -> None:
        if account.practice:
            if account.id not in self._practice:
                raise UnknownAccount(account.id)
            self._practice[account.id] = account
            return
        accounts = self._loaded()
        if account.id not in accounts:
            raise UnknownAccount(account.id)
        self._save({**accounts, account.id: account})

    def remove(self, account_id: str) -> None:
        if self._practice.pop(account_id, None) is not None:
            return
        accounts = dict(self._loaded())
        if accounts.pop(account_id, None) is None:
            raise UnknownAccount(account_id)
        self._save(accounts)

    def start_fresh(self) -> None:
        """Continue with no saved accounts; a copy of the old file is kept first, always."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            raw = None
        except OSError as exc:
            raise AccountsFileError(
                f"Your accounts file could not be opened ({exc.strerror}), so it was left as it is."
            ) from None
        if raw is not None and self._keep_copy(raw) is None:
            raise AccountsFileError(
                "No copy of your accounts file could be kept, so it was left as it is. "
                f"Check that {self.path.parent} is writable and the disk is not full."
            )
        self._broken = None
        self._save({})

    def _save(self, accounts: dict[str, Account]) -> None:
        try:
            write_atomically(self.path, render_accounts(accounts.values()))
        except OSError as exc:
            raise AccountsFileError(
                f"Your accounts could not be saved ({exc.strerror}). "
                f"Check that {self.path.parent} exists, is writable and the disk is not full."
            ) from None
        self._accounts = accounts
