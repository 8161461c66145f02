"""The account dialog and AccountsController, driven as a person would, against the simulators.

Real widgets, real worker threads, real HTTP to a practice sandbox, the suite's in-memory
keyring (or keyring's own "fail" backend for a computer without a keychain), and the
real ``accounts.toml`` in the test's temp config dir.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from contactdesk.accounts import FILE_NAME, Account, AccountStore
from contactdesk.core.models import ProviderKind
from contactdesk.paths import app_dirs
from contactdesk.providers import registry
from contactdesk.providers.check import check_settings
from contactdesk.sandbox.practice import PracticeSandbox
from contactdesk.sandbox.server import FaultPlan
from contactdesk.sandbox.textflow_limits import ApiKeySpec
from contactdesk.secrets import SERVICE, Secret, SecretStore
from contactdesk.store import Store, account_store_path
from contactdesk.ui.accounts_controller import AccountsController
from contactdesk.ui.dialogs.account_dialog import AccountDialog
from contactdesk.ui.widgets.message_bar import MessageBar
from contactdesk.worker import WorkerPool
from tests.helpers import MemoryKeyring

WAIT_MS = 20_000  # an upper bound for answers from worker threads, never a timing assertion


@pytest.fixture(scope="module")
def sandbox() -> Iterator[PracticeSandbox]:
    with PracticeSandbox("small") as sb:
        yield sb


@dataclass
class Desk:
    """What app.py would build around the controller: a window with a message bar."""

    qtbot: QtBot
    window: QWidget
    bar: MessageBar
    accounts: AccountStore
    secrets: SecretStore
    pool: WorkerPool
    controller: AccountsController

    # -- doing things as a person would ---------------------------------------------------------
    def choose_platform(self, dialog: AccountDialog, kind: ProviderKind) -> None:
        dialog.provider_box.setFocus()
        dialog.provider_box.setCurrentIndex(dialog.provider_box.findData(kind))

    def type_into(self, edit: QLineEdit, text: str) -> None:
        edit.setFocus()
        edit.selectAll()
        if text:
            self.qtbot.keyClicks(edit, text)
        else:
            self.qtbot.keyClick(edit, Qt.Key.Key_Delete)

    def paste_key(self, dialog: AccountDialog, text: str) -> None:
        clipboard = QApplication.clipboard()
        clipboard.setText(text)
        dialog.key_edit.setFocus()
        dialog.key_edit.selectAll()
        self.qtbot.keyClick(dialog.key_edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
        clipboard.clear()

    def test_connection(self, dialog: AccountDialog) -> str:
        self.qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        self.qtbot.waitUntil(
            lambda: not dialog.test_result.text().startswith("Testing"), timeout=WAIT_MS
        )
        return dialog.test_result.text()

    def save(self, dialog: AccountDialog, *, expect: str | None = "added") -> None:
        if expect is None:
            self.qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
            self.qtbot.waitUntil(lambda: not dialog.saving, timeout=WAIT_MS)
            return
        signal = {
            "added": self.controller.account_added,
            "changed": self.controller.account_changed,
        }[expect]
        with self.qtbot.waitSignal(signal, timeout=WAIT_MS):
            self.qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        self.qtbot.waitUntil(lambda: not dialog.isVisible())

    def wait_probed(self, dialog: AccountDialog) -> None:
        self.qtbot.waitUntil(lambda: self.controller.keychain is not None, timeout=WAIT_MS)

    def add(
        self,
        sandbox: PracticeSandbox,
        kind: ProviderKind,
        name: str,
        key: str,
        *,
        expect: str | None = "added",
    ) -> AccountDialog:
        """Add an account through the dialog, the way the tests below all start."""
        dialog = self.controller.add_account()
        self.choose_platform(dialog, kind)
        self.type_into(dialog.name_edit, name)
        url = sandbox.textflow_url if kind is ProviderKind.TEXTFLOW else sandbox.flexacore_url
        self.type_into(dialog.url_edit, url)
        self.paste_key(dialog, key + "\n")
        self.wait_probed(dialog)
        self.save(dialog, expect=expect)
        return dialog

    def account_named(self, name: str) -> Account:
        return next(a for a in self.accounts.list() if a.name == name)


def build_desk(qtbot: QtBot, *, release_account: Callable[[str], None] | None = None) -> Desk:
    window = QWidget()
    window.setWindowTitle("Contact Desk")
    bar = MessageBar(window)
    QVBoxLayout(window).addWidget(bar)
    qtbot.addWidget(window)
    window.show()
    accounts = AccountStore.default()
    secrets = SecretStore(timeout=10.0)
    pool = WorkerPool()
    controller = AccountsController(
        window,
        accounts=accounts,
        secrets=secrets,
        pool=pool,
        checker=check_settings,
        providers=[registry.info(k) for k in registry.kinds()],
        messages=bar,
        release_account=release_account,
        default_region="GB",
    )
    return Desk(qtbot, window, bar, accounts, secrets, pool, controller)


@pytest.fixture
def desk(qtbot: QtBot) -> Iterator[Desk]:
    d = build_desk(qtbot)
    yield d
    d.pool.shutdown(wait=True, timeout=10.0)


def accounts_file() -> str:
    return (app_dirs().config / FILE_NAME).read_text(encoding="utf-8")


# -- adding ------------------------------------------------------------------------------------


def test_add_a_textflow_account_with_a_pasted_key(
    desk: Desk, sandbox: PracticeSandbox, memory_keyring: MemoryKeyring
) -> None:
    key = sandbox.textflow_key
    dialog = desk.controller.add_account()
    assert dialog.windowTitle() == "Add account"
    assert not dialog.isModal()  # a form, not a question: the window stays usable
    desk.choose_platform(dialog, ProviderKind.TEXTFLOW)
    assert dialog.url_edit.text() == registry.info("textflow").default_base_url
    assert dialog.key_label.text() == "API key:"
    assert dialog.key_edit.echoMode() is QLineEdit.EchoMode.Password
    desk.type_into(dialog.name_edit, "Office TextFlow")
    desk.type_into(dialog.url_edit, sandbox.textflow_url)

    desk.paste_key(dialog, key + "\r\n")
    assert dialog.key_edit.text() == key  # the line break a copy brings is gone
    assert dialog.key_note.isVisible()
    desk.qtbot.mouseClick(dialog.show_key, Qt.MouseButton.LeftButton)
    assert dialog.key_edit.echoMode() is QLineEdit.EchoMode.Normal
    assert dialog.show_key.text() == "Hide"
    desk.qtbot.mouseClick(dialog.show_key, Qt.MouseButton.LeftButton)
    assert dialog.key_edit.echoMode() is QLineEdit.EchoMode.Password

    contacts = len(sandbox.textflow.contacts())
    assert desk.test_connection(dialog) == f"Works: {contacts} contacts"
    assert dialog.test_icon.accessibleName() == "Works"

    desk.wait_probed(dialog)
    desk.save(dialog)
    account = desk.account_named("Office TextFlow")
    assert account.kind is ProviderKind.TEXTFLOW
    assert account.base_url == sandbox.textflow_url
    assert account.plan == "starter"
    assert account.default_region == "GB"
    text = accounts_file()
    assert "Office TextFlow" in text
    assert key not in text
    assert memory_keyring.entries[(SERVICE, account.id)] == key
    assert desk.controller.dialog() is None


def test_a_wrong_key_is_refused_and_the_address_follows_the_platform(
    desk: Desk, sandbox: PracticeSandbox
) -> None:
    dialog = desk.controller.add_account()
    desk.choose_platform(dialog, ProviderKind.FLEXACORE)
    assert dialog.url_edit.text() == registry.info("flexacore").default_base_url
    assert dialog.key_label.text() == "API token:"
    desk.choose_platform(dialog, ProviderKind.TEXTFLOW)  # untouched: follows the platform
    assert dialog.url_edit.text() == registry.info("textflow").default_base_url
    desk.type_into(dialog.url_edit, sandbox.textflow_url)
    desk.choose_platform(dialog, ProviderKind.FLEXACORE)  # typed by the person: kept
    desk.choose_platform(dialog, ProviderKind.TEXTFLOW)
    assert dialog.url_edit.text() == sandbox.textflow_url

    desk.paste_key(dialog, "sk_live_this_is_not_the_key\n")
    result = desk.test_connection(dialog)
    assert "key was refused" in result
    assert dialog.test_icon.accessibleName() == "Problem"
    assert dialog.test_detail.isVisible()  # the server's words, for support

    desk.paste_key(dialog, sandbox.textflow_key)
    assert dialog.test_result.text() == ""  # the old answer no longer describes the form
    assert desk.test_connection(dialog).startswith("Works: ")
    dialog.reject()


def test_flexacore_counts_groups_and_keeps_a_sending_server(
    desk: Desk, sandbox: PracticeSandbox
) -> None:
    dialog = desk.controller.add_account()
    desk.choose_platform(dialog, ProviderKind.FLEXACORE)
    assert not dialog.server_row.isHidden()
    assert dialog.plan_row.isHidden()  # only TextFlow accounts have a plan
    desk.type_into(dialog.name_edit, "Flexacore office")
    desk.type_into(dialog.url_edit, sandbox.flexacore_url)
    desk.paste_key(dialog, " " + sandbox.flexacore_key + "\n")
    desk.type_into(dialog.server_edit, "1")
    groups = len(sandbox.flexacore.group_uids())
    assert desk.test_connection(dialog) == f"Works: {groups} groups"
    desk.wait_probed(dialog)
    desk.save(dialog)
    assert desk.account_named("Flexacore office").flexacore_sending_server == 1


def test_testing_never_blocks_the_dialog(desk: Desk, sandbox: PracticeSandbox) -> None:
    dialog = desk.controller.add_account()
    desk.choose_platform(dialog, ProviderKind.TEXTFLOW)
    desk.type_into(dialog.url_edit, sandbox.textflow_url)
    desk.paste_key(dialog, sandbox.textflow_key)
    sandbox.textflow_server.faults = FaultPlan(latency=0.5)
    try:
        desk.qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        assert dialog.test_result.text() == "Testing the connection…"
        desk.type_into(dialog.name_edit, "Typed while testing")  # the UI answers meanwhile
        assert dialog.name_edit.text() == "Typed while testing"
        desk.qtbot.waitUntil(lambda: dialog.test_result.text().startswith("Works"), timeout=WAIT_MS)
    finally:
        sandbox.textflow_server.clear_faults()
    dialog.reject()


def test_problems_are_shown_inline_beside_their_field(desk: Desk, sandbox: PracticeSandbox) -> None:
    dialog = desk.controller.add_account()
    desk.choose_platform(dialog, ProviderKind.FLEXACORE)
    desk.save(dialog, expect=None)
    assert dialog.messages["name"].isVisible()
    assert dialog.messages["name"].text() == "Give the account a name."
    assert dialog.isVisible()

    desk.type_into(dialog.name_edit, "Office")
    desk.save(dialog, expect=None)
    assert dialog.messages["key"].text() == "Paste the API token."
    assert not dialog.messages["name"].isVisible()

    desk.paste_key(dialog, sandbox.flexacore_key)
    desk.type_into(dialog.server_edit, "twelve")
    desk.save(dialog, expect=None)
    assert "whole number" in dialog.messages["flexacore_sending_server"].text()

    desk.type_into(dialog.server_edit, "")
    desk.type_into(dialog.url_edit, "one.flexacore.com")
    desk.save(dialog, expect=None)
    assert "must start with https://" in dialog.messages["base_url"].text()
    assert desk.accounts.list() == []
    dialog.reject()


def test_every_control_has_an_accessible_name(desk: Desk) -> None:
    dialog = desk.controller.add_account()
    controls = [
        w
        for kind in (QLineEdit, QComboBox, QPushButton, QCheckBox, QSpinBox)
        for w in dialog.findChildren(kind)
        if not isinstance(w.parentWidget(), QAbstractSpinBox | QComboBox)
    ]
    assert len(controls) >= 10
    assert [w for w in controls if not w.accessibleName()] == []
    dialog.reject()


# -- editing, a new key, removing --------------------------------------------------------------


def test_edit_keeps_the_key_when_left_empty(
    desk: Desk, sandbox: PracticeSandbox, memory_keyring: MemoryKeyring
) -> None:
    desk.add(sandbox, ProviderKind.TEXTFLOW, "Shop", sandbox.textflow_key)
    account = desk.account_named("Shop")
    dialog = desk.controller.edit_account(account.id)
    assert dialog is not None
    assert dialog.windowTitle() == "Account settings: Shop"
    assert not dialog.provider_box.isEnabled()
    assert dialog.url_edit.text() == sandbox.textflow_url  # its own, not the vendor's
    assert dialog.key_edit.text() == ""
    desk.qtbot.waitUntil(
        lambda: dialog.key_edit.placeholderText() == "Unchanged (kept in helpers MemoryKeyring)",
        timeout=WAIT_MS,
    )
    # the stored key is used for the test when none is typed
    assert desk.test_connection(dialog).startswith("Works: ")
    desk.type_into(dialog.name_edit, "Shop floor")
    dialog.plan_box.setCurrentIndex(dialog.plan_box.findData("custom"))
    dialog.custom_rate.setValue(250)
    desk.save(dialog, expect="changed")
    changed = desk.accounts.get(account.id)
    assert changed.name == "Shop floor"
    assert changed.plan == "custom:250"
    assert memory_keyring.entries[(SERVICE, account.id)] == sandbox.textflow_key
    assert sandbox.textflow_key not in accounts_file()


def test_rotate_replaces_the_key(
    desk: Desk, sandbox: PracticeSandbox, memory_keyring: MemoryKeyring
) -> None:
    old = sandbox.flexacore.mint_token()
    desk.add(sandbox, ProviderKind.FLEXACORE, "Clinic", old)
    account = desk.account_named("Clinic")
    dialog = desk.controller.rotate_key(account.id)
    assert dialog is not None
    assert dialog.windowTitle() == "Update the key for Clinic"
    assert dialog.focusWidget() is dialog.key_edit
    assert not dialog.name_edit.isEnabled()
    desk.save(dialog, expect=None)  # a new key is what this dialog is for
    assert dialog.messages["key"].text() == "Paste the API token."
    new = sandbox.flexacore.mint_token()
    desk.paste_key(dialog, new + "\n")
    assert desk.test_connection(dialog).startswith("Works: ")
    desk.save(dialog, expect="changed")
    assert memory_keyring.entries[(SERVICE, account.id)] == new
    assert desk.accounts.get(account.id) == account  # nothing else changed


def test_a_refused_key_shows_a_banner_that_opens_the_key_dialog(
    desk: Desk, sandbox: PracticeSandbox
) -> None:
    desk.add(sandbox, ProviderKind.TEXTFLOW, "Front desk", sandbox.textflow_key)
    account = desk.account_named("Front desk")
    desk.controller.on_auth_refused(account.id)
    desk.qtbot.waitUntil(desk.bar.isVisible, timeout=WAIT_MS)
    assert desk.bar.text().startswith("The key for Front desk was refused.")
    button = desk.bar.button("Update key")
    assert button is not None
    desk.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = desk.controller.dialog(account.id)
    assert dialog is not None
    assert dialog.windowTitle() == "Update the key for Front desk"
    dialog.reject()


def _local_data(account: Account) -> list[Path]:
    path = account_store_path(account.id)
    Store.open(path).close()
    leftovers = [Path(f"{path}-wal"), Path(f"{path}-shm")]  # as after a crash
    for p in leftovers:
        p.write_bytes(b"\0" * 16)
    return [path, *leftovers]


def click_in_question(desk: Desk, label: str) -> QMessageBox:
    box = desk.controller.question
    assert box is not None
    assert box.isVisible()
    button = next(b for b in box.buttons() if b.text() == label)
    desk.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    return box


def test_remove_asks_then_deletes_the_key_and_local_data(
    desk: Desk, sandbox: PracticeSandbox, memory_keyring: MemoryKeyring
) -> None:
    desk.add(sandbox, ProviderKind.TEXTFLOW, "Old branch", sandbox.textflow_key)
    account = desk.account_named("Old branch")
    files = _local_data(account)
    other = account_store_path("someone-else")
    Store.open(other).close()

    box = desk.controller.remove_account(account.id)
    assert box is not None
    assert box.text() == "Remove the account “Old branch” from Contact Desk?"
    assert "Nothing is deleted on TextFlow" in box.informativeText()
    assert "its key" in box.informativeText()
    click_in_question(desk, "Cancel")
    assert desk.accounts.get(account.id) == account  # cancelled: all still there

    desk.controller.remove_account(account.id)
    with desk.qtbot.waitSignal(desk.controller.account_removed, timeout=WAIT_MS) as removed:
        click_in_question(desk, "Remove account")
    assert removed.args == [account.id]
    assert (SERVICE, account.id) not in memory_keyring.entries
    assert [a.id for a in desk.accounts.list()] == []
    assert "Old branch" not in accounts_file()
    assert [p for p in files if p.exists()] == []
    assert other.exists()  # another account's data is left alone


# -- no keychain -------------------------------------------------------------------------------


def test_without_a_keychain_the_key_can_be_kept_for_this_session_only(
    desk: Desk, sandbox: PracticeSandbox
) -> None:
    keyring.set_keyring(fail.Keyring())  # the suite's fixture puts its own back afterwards
    dialog = desk.controller.add_account()
    desk.qtbot.waitUntil(dialog.keychain_note.isVisible, timeout=WAIT_MS)
    assert dialog.keychain_note.text().startswith("No keychain was found")
    assert "GNOME Keyring or KWallet" in dialog.keychain_note.text()  # where keys normally go
    assert dialog.session_only.isVisible()
    assert not dialog.session_only.isChecked()  # never chosen for the person

    desk.choose_platform(dialog, ProviderKind.TEXTFLOW)
    desk.type_into(dialog.name_edit, "Laptop")
    desk.type_into(dialog.url_edit, sandbox.textflow_url)
    key = "sk_live_session_only_key_0005"
    sandbox.textflow.add_key(ApiKeySpec(key))
    desk.paste_key(dialog, key)
    desk.save(dialog, expect=None)
    assert dialog.isVisible()
    assert "The key was not saved" in dialog.messages["key"].text()
    assert "There is no keychain" in dialog.keychain_note.text()
    assert desk.accounts.list() == []  # no silent fallback: nothing was kept

    desk.qtbot.mouseClick(dialog.session_only, Qt.MouseButton.LeftButton)
    assert dialog.session_only.isChecked()
    desk.save(dialog)
    account = desk.account_named("Laptop")
    assert desk.secrets.is_session_only(account)
    assert desk.secrets.get(account) == Secret(key)
    dirs = app_dirs()
    for root in (dirs.config, dirs.data, dirs.cache, dirs.log):
        for path in root.rglob("*"):
            if path.is_file():
                assert key.encode() not in path.read_bytes(), path

    edit = desk.controller.edit_account(account.id)
    assert edit is not None
    assert edit.key_edit.placeholderText() == "Unchanged (kept for this session only)"
    edit.reject()


def test_next_session_without_a_keychain_asks_for_the_key_again(
    qtbot: QtBot, sandbox: PracticeSandbox
) -> None:
    keyring.set_keyring(fail.Keyring())
    first = build_desk(qtbot)
    try:
        first.add(sandbox, ProviderKind.TEXTFLOW, "Laptop", sandbox.textflow_key, expect=None)
        dialog = first.controller.dialog()
        assert dialog is not None
        first.qtbot.mouseClick(dialog.session_only, Qt.MouseButton.LeftButton)
        first.save(dialog)
    finally:
        first.pool.shutdown(wait=True, timeout=10.0)
    account_id = first.account_named("Laptop").id

    later = build_desk(qtbot)  # Contact Desk started again: the session's memory is gone
    try:
        later.controller.on_auth_refused(account_id)
        qtbot.waitUntil(later.bar.isVisible, timeout=WAIT_MS)
        assert later.bar.text().startswith("No key is kept for Laptop on this computer")
        edit = later.controller.edit_account(account_id)
        assert edit is not None
        qtbot.waitUntil(
            lambda: edit.key_edit.placeholderText().startswith("No key is kept"), timeout=WAIT_MS
        )
        later.save(edit, expect=None)
        assert edit.messages["key"].text() == "Paste the API key."
        edit.reject()
    finally:
        later.pool.shutdown(wait=True, timeout=10.0)
