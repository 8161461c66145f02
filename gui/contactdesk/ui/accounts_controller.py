"""Adding, changing and removing accounts, and what happens when a key is refused.

``AccountsController`` opens the account dialog, stores what it hands back, and removes
accounts after asking. Every keychain, accounts-file and disk operation runs on a worker
(the keychain can block for as long as an unlock prompt waits), so the window never
freezes; answers come back as values and are shown in plain words.

Dependencies, all handed in by app.py:

* ``parent``: the window the dialogs and the question belong to;
* ``accounts`` (``AccountStore``) and ``secrets`` (``SecretStore``);
* ``pool`` (``WorkerPool``): keychain and settings jobs run on its worker named
  ``SETTINGS_WORKER``, connection tests on ``CHECK_WORKER``; removing an account's files
  runs on that account's own worker, after whatever its session queued there on closing;
* ``checker``: ``providers.check.check_settings`` (ui may not import providers);
* ``providers``: the platforms to offer (``registry.info(k) for k in registry.kinds()``);
* ``messages``: where banners go (the window's ``MessageBar``);
* ``release_account`` (optional): called on the UI thread just before an account's local
  files are deleted; the app closes the account's session there;
* ``store_files`` (optional): the account's local database file (default: the platform
  data dir's ``accounts/<id>.sqlite3``); it and its companions are deleted on removal.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from contactdesk.accounts import (
    Account,
    AccountsFileError,
    AccountStore,
    InvalidAccount,
    UnknownAccount,
)
from contactdesk.core.errors import ProviderError
from contactdesk.secrets import (
    KeychainError,
    KeychainStatus,
    KeychainUnavailable,
    Secret,
    SecretStore,
)
from contactdesk.store import account_store_path
from contactdesk.ui.dialogs.account_dialog import (
    AccountDialog,
    AccountDraft,
    ConnectionChecker,
    Mode,
    ProviderChoice,
)
from contactdesk.ui.widgets.message_bar import Level, MessageAction
from contactdesk.worker import Err, Ok, Result, WorkerPool

log = logging.getLogger(__name__)

SETTINGS_WORKER = "account-settings"
#: connection tests get their own worker: a slow server must not hold up a Save
CHECK_WORKER = "account-check"
_ADD = "+add"  # the dialogs map's key for the one "Add account" dialog


class MessageSink(Protocol):
    """Where banners go; ``ui.widgets.message_bar.MessageBar`` is one."""

    def show_text(
        self,
        text: str,
        level: Level = ...,
        actions: Sequence[MessageAction] = ...,
        *,
        timeout_ms: int = ...,
        key: str = ...,
    ) -> None: ...

    def clear_key(self, key: str) -> None: ...


class AccountNotSaved(ProviderError):
    """The accounts file could not be written (or read); ``message`` says why."""


class LocalDataNotRemoved(ProviderError):
    """The account is gone, but some of its local files could not be deleted."""


def auth_key(account_id: str) -> str:
    """The message-bar key of the "key was refused" banner of an account."""
    return f"{account_id}:auth"


def store_files(path: Path) -> list[Path]:
    """The database file and its companions (``-wal``, ``-shm``, ``-journal``, copies)."""
    if not path.parent.is_dir():
        return []
    return sorted(p for p in path.parent.glob(f"{path.name}*") if p.is_file())


class AccountsController(QObject):
    """Add / edit / update key / remove accounts, and the "key was refused" banner.

    Signals:
        account_added(str): a new account was saved (its id).
        account_changed(str): an account's settings or key changed (its id); sessions
            holding a client built with the old settings should rebuild it.
        account_removed(str): an account, its key and its local data are gone (its id).
    """

    account_added = Signal(str)
    account_changed = Signal(str)
    account_removed = Signal(str)

    def __init__(
        self,
        parent: QWidget,
        *,
        accounts: AccountStore,
        secrets: SecretStore,
        pool: WorkerPool,
        checker: ConnectionChecker,
        providers: Sequence[ProviderChoice],
        messages: MessageSink,
        release_account: Callable[[str], None] | None = None,
        store_path: Callable[[Account], Path] | None = None,
        default_region: str | None = None,
    ) -> None:
        super().__init__(parent)
        self._parent = parent
        self._accounts = accounts
        self._secrets = secrets
        self._pool = pool
        self._checker = checker
        self._providers = tuple(providers)
        self._messages = messages
        self._release = release_account
        self._store_path = store_path or (lambda a: account_store_path(a.id))
        self._default_region = default_region
        self._keychain: KeychainStatus | None = None
        self._dialogs: dict[str, AccountDialog] = {}
        self._question: QMessageBox | None = None

    # -- what tests and the window can look at -----------------------------------------------
    @property
    def keychain(self) -> KeychainStatus | None:
        """What the last keychain probe found (``None`` until one finished)."""
        return self._keychain

    def dialog(self, account_id: str | None = None) -> AccountDialog | None:
        """The open dialog for ``account_id`` (``None``: the "Add account" dialog)."""
        return self._dialogs.get(account_id or _ADD)

    @property
    def question(self) -> QMessageBox | None:
        """The removal question, while it is open."""
        return self._question

    # -- opening the dialog ------------------------------------------------------------------
    def add_account(self) -> AccountDialog:
        return self._open(Mode.ADD, None)

    def edit_account(self, account_id: str) -> AccountDialog | None:
        account = self._find(account_id)
        return self._open(Mode.EDIT, account) if account is not None else None

    def rotate_key(self, account_id: str) -> AccountDialog | None:
        """The account dialog, titled "Update the key for <name>", on the key field."""
        account = self._find(account_id)
        return self._open(Mode.KEY, account) if account is not None else None

    def _find(self, account_id: str) -> Account | None:
        try:
            return self._accounts.get(account_id)
        except (UnknownAccount, AccountsFileError):
            self._messages.show_text(
                "That account is no longer set up on this computer.", Level.WARNING
            )
            return None

    def _open(self, mode: Mode, account: Account | None) -> AccountDialog:
        slot = account.id if account is not None else _ADD
        found = self._dialogs.get(slot)
        if found is not None and (found.mode is mode or found.saving):
            found.raise_()
            found.activateWindow()
            return found
        if found is not None:
            found.reject()
        settings = self._pool.worker(SETTINGS_WORKER)
        key_source = _key_reader(self._secrets, account) if account is not None else None
        dialog = AccountDialog(
            self._providers,
            worker=self._pool.worker(CHECK_WORKER),
            checker=self._checker,
            mode=mode,
            account=account,
            key_source=key_source,
            keychain=self._keychain,
            default_region=self._default_region,
            parent=self._parent,
        )
        self._dialogs[slot] = dialog
        dialog.save_requested.connect(lambda draft, d=dialog: self._save(d, draft))
        dialog.finished.connect(lambda _r, s=slot, d=dialog: self._closed(s, d))
        if self._keychain is None or not self._keychain.usable:
            # again each time until it works: it may have been unlocked meanwhile
            settings.call(self._secrets.probe, on_done=functools.partial(self._probed, dialog))
        if account is not None:
            dialog.set_session_only_now(self._secrets.is_session_only(account))
            if mode is Mode.EDIT:
                settings.call(
                    _key_kept(self._secrets, account),
                    on_done=functools.partial(self._kept, dialog),
                )
        dialog.show()
        dialog.activateWindow()
        if mode is Mode.KEY:
            dialog.key_edit.setFocus()
        return dialog

    def _closed(self, slot: str, dialog: AccountDialog) -> None:
        if self._dialogs.get(slot) is dialog:
            del self._dialogs[slot]
        dialog.deleteLater()

    def _probed(self, dialog: AccountDialog, result: Result[KeychainStatus]) -> None:
        if isinstance(result, Ok):
            self._keychain = result.value
            if self._is_open(dialog):
                dialog.set_keychain(result.value)

    def _kept(self, dialog: AccountDialog, result: Result[bool]) -> None:
        if isinstance(result, Ok) and self._is_open(dialog):
            dialog.set_key_kept(result.value)

    def _is_open(self, dialog: AccountDialog) -> bool:
        return any(d is dialog for d in self._dialogs.values())

    # -- saving ------------------------------------------------------------------------------
    def _save(self, dialog: AccountDialog, draft: AccountDraft) -> None:
        accounts, secrets = self._accounts, self._secrets

        def job() -> None:
            _store(accounts, secrets, draft)

        self._pool.worker(SETTINGS_WORKER).call(
            job, on_done=lambda r: self._saved(dialog, draft, r)
        )

    def _saved(self, dialog: AccountDialog, draft: AccountDraft, result: Result[None]) -> None:
        account = draft.account
        if isinstance(result, Err):
            err = result.error
            log.info("account %s not saved: %s", account.id[:8], type(err).__name__)
            if self._is_open(dialog):
                dialog.save_finished(err.message, keychain=isinstance(err, KeychainError))
            else:
                self._messages.show_text(err.message, Level.ERROR)
            return
        log.info("account %s saved (%s)", account.id[:8], "added" if draft.adding else "changed")
        if draft.key is not None:
            self._messages.clear_key(auth_key(account.id))
        if self._is_open(dialog):
            dialog.save_finished(None)
        if draft.adding:
            self.account_added.emit(account.id)
        else:
            self.account_changed.emit(account.id)

    # -- a refused key -----------------------------------------------------------------------
    def on_auth_refused(self, account_id: str) -> None:
        """A call with the account's key was refused: say so, offer to paste a new one.

        A key that is not there at all (kept for one session only, or no keychain) is
        refused too; the banner then says that instead. Finding out reads the keychain,
        so the banner appears when the worker has answered.
        """
        try:
            account = self._accounts.get(account_id)
        except (UnknownAccount, AccountsFileError):
            return  # removed meanwhile: nothing to update
        self._pool.worker(SETTINGS_WORKER).call(
            _key_kept(self._secrets, account),
            on_done=functools.partial(self._show_refused, account),
        )

    def _show_refused(self, account: Account, kept: Result[bool]) -> None:
        action = MessageAction("Update key", lambda: self.rotate_key(account.id))
        if isinstance(kept, Ok) and not kept.value:
            text = (
                f"No key is kept for {account.name} on this computer, so it cannot connect. "
                "Paste the key to carry on; your changes are kept here meanwhile."
            )
        else:
            text = (
                f"The key for {account.name} was refused. Your changes are kept here until "
                "a working key is in place."
            )
        self._messages.show_text(text, Level.ERROR, [action], key=auth_key(account.id))

    # -- removing ----------------------------------------------------------------------------
    def remove_account(self, account_id: str) -> QMessageBox | None:
        """Ask first (naming the account and what goes); the answer does the rest."""
        account = self._find(account_id)
        if account is None:
            return None
        if self._question is not None:
            self._question.reject()
        platform = next((p.name for p in self._providers if p.kind is account.kind), "")
        platform = platform.split(" (", 1)[0] or "the platform"
        if self._secrets.is_session_only(account):
            where = "memory, for this session only"
        elif self._keychain is not None and self._keychain.usable:
            where = self._keychain.backend_name
        else:
            where = "the keychain"
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Remove account",
            f"Remove the account “{account.name}” from Contact Desk?",
            QMessageBox.StandardButton.Cancel,
            self._parent,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)  # the name is the user's own text
        box.setInformativeText(
            "On this computer, its local copy of the contacts, any changes not yet sent, "
            f"and its key (kept in {where}) are removed.\n\n"
            f"Nothing is deleted on {platform}: the contacts, groups and the key itself "
            "stay there, and you can add the account again later."
        )
        remove = box.addButton("Remove account", QMessageBox.ButtonRole.DestructiveRole)
        remove.setAccessibleName("Remove account")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda _r, b=box, r=remove: self._answered(b, r, account))
        self._question = box
        box.open()
        return box

    def _answered(self, box: QMessageBox, remove: QPushButton, account: Account) -> None:
        if self._question is box:
            self._question = None
        box.deleteLater()
        if box.clickedButton() is remove:
            self._forget_key(account)

    def _forget_key(self, account: Account) -> None:
        """First the key (the step most likely to fail, e.g. a locked keychain): until it
        is gone, nothing else is touched, so a failed removal can simply be tried again."""
        found = self._dialogs.get(account.id)
        if found is not None and not found.saving:
            found.reject()  # its settings are about to go
        secrets = self._secrets
        self._pool.worker(SETTINGS_WORKER).call(
            secrets.delete, account, on_done=lambda r: self._key_forgotten(account, r)
        )

    def _key_forgotten(self, account: Account, result: Result[None]) -> None:
        if isinstance(result, Err):
            self._messages.show_text(
                f"“{account.name}” was not removed: {result.error.message}", Level.ERROR
            )
            return
        if self._release is not None:
            self._release(account.id)  # the session lets go of the store file
        accounts, path = self._accounts, self._store_path(account)

        def job() -> None:
            _remove_local(accounts, account, path)

        # the account's own worker: runs after the job that closes its store
        self._pool.worker(account.id).call(job, on_done=lambda r: self._removed(account, r))

    def _removed(self, account: Account, result: Result[None]) -> None:
        self._pool.close(account.id)
        self._messages.clear_key(auth_key(account.id))
        if isinstance(result, Err):
            self._messages.show_text(result.error.message, Level.ERROR)
            if not isinstance(result.error, LocalDataNotRemoved):
                # still in the accounts file, but its session was let go: open it again
                self.account_changed.emit(account.id)
                return
        log.info("account %s removed", account.id[:8])
        self.account_removed.emit(account.id)


# -- worker-side jobs (no Qt) ------------------------------------------------------------------


def _key_reader(secrets: SecretStore, account: Account) -> Callable[[], Secret | None]:
    def read() -> Secret | None:
        return secrets.get(account)

    return read


def _key_kept(secrets: SecretStore, account: Account) -> Callable[[], bool]:
    """Whether a key is kept; ``KeychainError`` (other than "no keychain") when unknown."""

    def kept() -> bool:
        try:
            return secrets.get(account) is not None
        except KeychainUnavailable:
            return False  # no keychain, and not kept for this session either

    return kept


def _store(accounts: AccountStore, secrets: SecretStore, draft: AccountDraft) -> None:
    """The key first (a keychain that says no leaves nothing half-saved), then the file."""
    account = draft.account
    if draft.key is not None:
        secrets.set(account, draft.key, session_only=draft.session_only)
    try:
        if draft.adding:
            accounts.add(account)
        else:
            accounts.update(account)
    except (AccountsFileError, InvalidAccount) as exc:
        if draft.adding and draft.key is not None:
            with contextlib.suppress(KeychainError):
                secrets.delete(account)  # no account, so no key either
        raise AccountNotSaved(exc.message) from None
    except UnknownAccount:
        raise AccountNotSaved(
            "This account was removed meanwhile, so its settings were not saved."
        ) from None


def _remove_local(accounts: AccountStore, account: Account, path: Path) -> None:
    try:
        accounts.remove(account.id)
    except UnknownAccount:
        pass  # already gone from the file: still clear up its data
    except AccountsFileError as exc:
        raise AccountNotSaved(f"“{account.name}” was not removed: {exc.message}") from None
    left: list[str] = []
    for file in store_files(path):
        try:
            file.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            left.append(f"{file} ({exc.strerror})")
    if left:
        raise LocalDataNotRemoved(
            f"“{account.name}” was removed, but some of its local files could not be "
            f"deleted. You can delete them yourself: {', '.join(left)}"
        )
