"""Add an account, change its settings, or update its key: one dialog, three modes.

The dialog itself never touches the keychain, the accounts file or the network.
"Test connection" runs the ``checker`` app.py passed in (``providers.check.check_settings``)
on the worker it was given; Save checks the form, then hands an ``AccountDraft`` to
whoever opened the dialog (``AccountsController``), which stores it off the UI thread and
answers with ``save_finished``. Platforms come in as data (``ProviderChoice``, which
``providers.registry.info`` satisfies), so this module needs no provider import.

The key field is a password field that takes a paste as it comes: spaces and line breaks
a copy picks up are removed (a key never contains any), and the dialog says it did so.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import Protocol, TypeVar

import phonenumbers
from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from contactdesk.accounts import TEXTFLOW_PLANS, Account, InvalidAccount
from contactdesk.core.errors import AuthRefused
from contactdesk.core.models import ProviderKind
from contactdesk.core.schema import Capabilities
from contactdesk.secrets import KeychainStatus, Secret
from contactdesk.worker import AccountWorker, Err, Generation, Result

W = TypeVar("W", bound=QWidget)

FALLBACK_REGION = "US"
CUSTOM_PLAN = "custom"
_WHITESPACE = frozenset(" \t\r\n\v\f\u00a0\u2028\u2029\u200b\ufeff")


class ProviderChoice(Protocol):
    """A platform as the dialog offers it (``providers.registry.ProviderInfo`` is one)."""

    @property
    def kind(self) -> ProviderKind: ...
    @property
    def name(self) -> str: ...
    @property
    def default_base_url(self) -> str: ...
    @property
    def key_label(self) -> str: ...
    @property
    def key_help(self) -> str: ...
    @property
    def capabilities(self) -> Capabilities: ...


class ReportLike(Protocol):
    """What a connection test answers (``providers.check.ConnectionReport`` is one)."""

    @property
    def works(self) -> bool: ...
    @property
    def warning(self) -> bool: ...
    @property
    def message(self) -> str: ...
    @property
    def detail(self) -> str | None: ...


class ConnectionChecker(Protocol):
    """Tests settings over the network; blocking, so it runs on a worker thread."""

    def __call__(
        self,
        kind: ProviderKind,
        key: Secret,
        *,
        base_url: str,
        plan: str | None,
        sending_server: int | None,
    ) -> ReportLike: ...


#: reads the account's stored key on the worker (for testing with the key left unchanged)
KeySource = Callable[[], Secret | None]


class Mode(Enum):
    ADD = "add"
    EDIT = "edit"
    KEY = "key"  # rotate: only the key is asked for


@dataclass(frozen=True, slots=True)
class AccountDraft:
    """What Save hands over: the account to store and, if one was typed, its new key."""

    account: Account
    key: Secret | None
    session_only: bool
    adding: bool


def countries() -> list[tuple[str, str]]:
    """(name, two-letter code) of every country phone numbers can belong to, by name."""
    out = []
    for code in phonenumbers.SUPPORTED_REGIONS:
        if len(code) != 2 or not code.isalpha():
            continue
        territory = QLocale.codeToTerritory(code)
        name = QLocale.territoryToString(territory) if territory.value else ""
        out.append((name if name and name != "Unknown" else code, code))
    return sorted(out, key=lambda pair: pair[0].casefold())


def system_region() -> str:
    code = QLocale.territoryToCode(QLocale.system().territory())
    return code if code in phonenumbers.SUPPORTED_REGIONS else FALLBACK_REGION


def clean_key(text: str) -> str:
    """The key without the spaces, tabs and line breaks a copy and paste brings along."""
    return "".join(ch for ch in text if ch not in _WHITESPACE and not ch.isspace())


def _plain(parent: QWidget, name: str, text: str = "", *, hidden: bool = False) -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setAccessibleName(name)
    label.setVisible(not hidden)
    return label


def _stacked(parent: QWidget, *widgets: QWidget) -> QWidget:
    box = QWidget(parent)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    for w in widgets:
        layout.addWidget(w)
    return box


class AccountDialog(QDialog):
    """The account form. Not modal: the window stays usable while it is open.

    Signals:
        save_requested(object): an ``AccountDraft``; the opener calls ``save_finished``.
    """

    save_requested = Signal(object)

    def __init__(
        self,
        providers: Sequence[ProviderChoice],
        *,
        worker: AccountWorker,
        checker: ConnectionChecker,
        mode: Mode = Mode.ADD,
        account: Account | None = None,
        key_source: KeySource | None = None,
        keychain: KeychainStatus | None = None,
        default_region: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        if mode is not Mode.ADD and account is None:
            raise ValueError("editing needs the account")
        self.setObjectName("accountDialog")
        self.mode = mode
        self.account = account
        self._providers = {p.kind: p for p in providers}
        self._worker = worker
        self._checker = checker
        self._key_source = key_source
        self._keychain = keychain
        self._new_id = uuid.uuid4().hex
        self._checks = Generation()
        self._saving = False
        self._url_touched = account is not None
        self._key_kept: bool | None = None
        self._session_only_now = False
        self.messages: dict[str, QLabel] = {}
        if mode is Mode.ADD:
            self.setWindowTitle("Add account")
        elif mode is Mode.EDIT:
            assert account is not None
            self.setWindowTitle(f"Account settings: {account.name}")
        else:
            assert account is not None
            self.setWindowTitle(f"Update the key for {account.name}")
        self.setAccessibleName(self.windowTitle())
        self._build(default_region)
        self._fill()
        if mode is Mode.KEY:
            self.key_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- building ----------------------------------------------------------------------------
    def _message(self, field: str, name: str) -> QLabel:
        label = _plain(self, f"{name}: problem", hidden=True)
        label.setObjectName(f"{field}Problem")
        font = label.font()
        font.setBold(True)  # stands out in any theme, and not by colour alone
        label.setFont(font)
        self.messages[field] = label
        return label

    def _row(
        self, label: str | QLabel, field: str, name: str, *editors: QWidget, help_text: str = ""
    ) -> QWidget:
        """A form row: the editor(s) side by side, a line of help, the field's problem."""
        line = QWidget(self)
        row = QHBoxLayout(line)
        row.setContentsMargins(0, 0, 0, 0)
        for i, editor in enumerate(editors):
            row.addWidget(editor, 1 if i == 0 else 0)
        parts: list[QWidget] = [line]
        if help_text:
            parts.append(_plain(self, f"{name} help", help_text))
            editors[0].setAccessibleDescription(help_text)
        if field == "key":
            parts.append(self.key_note)
        parts.append(self._message(field, name))
        stacked = _stacked(self, *parts)
        self.form.addRow(label, stacked)
        return stacked

    def _named(self, widget: W, name: str) -> W:
        widget.setAccessibleName(name)
        return widget

    def _build(self, default_region: str | None) -> None:
        self.form = QFormLayout()
        self.provider_box = self._named(QComboBox(self), "Platform")
        for p in self._providers.values():
            self.provider_box.addItem(p.name, p.kind)
        self.form.addRow("&Platform:", self.provider_box)
        self.name_edit = self._named(QLineEdit(self), "Account name")
        self.name_edit.setPlaceholderText("For example: Office TextFlow")
        self.name_edit.setMaxLength(200)
        self._row("Account &name:", "name", "Name", self.name_edit)
        self.url_edit = self._named(QLineEdit(self), "Server address")
        self._row(
            "Server &address:",
            "base_url",
            "Server address",
            self.url_edit,
            help_text="Filled in for the platform's own service. Change it only if your "
            "platform runs at another address (for example your company's own Ultimate SMS).",
        )

        self.key_edit = QLineEdit(self)
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setObjectName("keyEdit")
        self.show_key = self._named(QPushButton("Show", self), "Show the key")
        self.show_key.setCheckable(True)
        self.key_note = _plain(self, "Key note", hidden=True)
        self.key_label = QLabel("API &key:", self)
        self.key_label.setBuddy(self.key_edit)
        key_row = self._row(self.key_label, "key", "Key", self.key_edit, self.show_key)
        self.key_help = _plain(self, "Key help")
        key_layout = key_row.layout()
        assert isinstance(key_layout, QVBoxLayout)
        key_layout.insertWidget(1, self.key_help)

        self.plan_box = self._named(QComboBox(self), "Plan")
        self.custom_rate = self._named(QSpinBox(self), "Requests a minute allowed by your plan")
        self.custom_rate.setRange(1, 100_000)
        self.custom_rate.setValue(600)
        self.custom_rate.setSuffix(" requests a minute")
        self.plan_row = self._row(
            "P&lan:",
            "plan",
            "Plan",
            self.plan_box,
            self.custom_rate,
            help_text="Contact Desk stays within your plan's requests per minute, so TextFlow "
            "never has to turn it away.",
        )
        self.region_box = self._named(QComboBox(self), "Default country for phone numbers")
        for name, code in countries():
            self.region_box.addItem(name, code)
        region = (default_region or system_region()).upper()
        self.region_box.setCurrentIndex(max(0, self.region_box.findData(region)))
        self._row(
            "Default &country:",
            "default_region",
            "Country",
            self.region_box,
            help_text="A phone number typed without a country code is read as a number of "
            "this country.",
        )
        self.server_edit = self._named(QLineEdit(self), "Sending server number (optional)")
        self.server_edit.setPlaceholderText("Optional")
        self.server_edit.setMaxLength(9)
        self.server_row = self._row(
            "&Sending server:",
            "flexacore_sending_server",
            "Sending server",
            self.server_edit,
            help_text="Needed only to rename groups: Flexacore asks for the number of one of "
            "your sending servers (in Flexacore, under Sending Servers). Leave it empty "
            "otherwise.",
        )

        self.keychain_note = _plain(self, "Where keys are kept", hidden=True)
        self.session_only = self._named(
            QCheckBox("Keep the key for this session only", self),
            "Keep the key for this session only",
        )
        self.session_only.setVisible(False)
        self.test_button = self._named(QPushButton("&Test connection", self), "Test connection")
        self.test_icon = self._named(QLabel(self), "Connection test")
        self.test_result = _plain(self, "Connection test result")
        self.test_detail = _plain(self, "Connection test details", hidden=True)
        for label in (self.test_result, self.test_detail):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_icon)
        test_row.addWidget(self.test_result, 1)

        self.error_label = _plain(self, "Problem saving", hidden=True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.cancel_button = self._named(
            self.buttons.button(QDialogButtonBox.StandardButton.Cancel), "Cancel"
        )
        save_text = {Mode.ADD: "Add account", Mode.EDIT: "Save", Mode.KEY: "Save key"}[self.mode]
        self._named(self.save_button, save_text).setText(save_text)

        box = QVBoxLayout(self)
        box.addLayout(self.form)
        box.addWidget(self.keychain_note)
        box.addWidget(self.session_only)
        box.addLayout(test_row)
        box.addWidget(self.test_detail)
        box.addWidget(self.error_label)
        box.addWidget(self.buttons)

        self.provider_box.currentIndexChanged.connect(self._provider_changed)
        self.url_edit.textEdited.connect(self._url_edited)
        self.key_edit.textChanged.connect(self._key_changed)
        self.show_key.toggled.connect(self._show_key)
        self.plan_box.currentIndexChanged.connect(self._plan_changed)
        self.test_button.clicked.connect(self.test_connection)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        for edit in (self.name_edit, self.url_edit, self.server_edit):
            edit.textEdited.connect(lambda _t: self._clear_messages())

    def _fill(self) -> None:
        account = self.account
        if account is not None:
            self.provider_box.blockSignals(True)  # its own address, not the vendor's
            self.provider_box.setCurrentIndex(max(0, self.provider_box.findData(account.kind)))
            self.provider_box.blockSignals(False)
            self.provider_box.setEnabled(False)  # a different platform is another account
            self.name_edit.setText(account.name)
            self.url_edit.setText(account.base_url)
            self._url_touched = True
            self.region_box.setCurrentIndex(
                max(0, self.region_box.findData(account.default_region))
            )
            if account.flexacore_sending_server is not None:
                self.server_edit.setText(str(account.flexacore_sending_server))
        self._provider_changed()
        if account is not None and account.plan:
            self._select_plan(account.plan)
        if self.mode is Mode.KEY:
            # only the key is asked for; the rest stays visible for context
            for w in (
                self.name_edit,
                self.url_edit,
                self.plan_box,
                self.custom_rate,
                self.region_box,
                self.server_edit,
            ):
                w.setEnabled(False)
        self._update_key_placeholder()
        self._show_keychain()

    # -- platform, address, plan -------------------------------------------------------------
    @property
    def kind(self) -> ProviderKind:
        data = self.provider_box.currentData()
        return ProviderKind(data)

    @property
    def provider(self) -> ProviderChoice:
        return self._providers[self.kind]

    def _provider_changed(self) -> None:
        info = self.provider
        defaults = {p.default_base_url for p in self._providers.values()}
        current = self.url_edit.text().strip()
        if not self._url_touched or not current or current in defaults:
            self.url_edit.setText(info.default_base_url)
            self._url_touched = False
        self.url_edit.setPlaceholderText(info.default_base_url)
        label = info.key_label
        self.key_label.setText(f"{label[:1].upper()}{label[1:]}:")
        self.key_edit.setAccessibleName(label[:1].upper() + label[1:])
        self.key_help.setText(info.key_help)
        self.key_edit.setAccessibleDescription(info.key_help)
        self._fill_plans(info)
        has_plan = self.kind is ProviderKind.TEXTFLOW  # only TextFlow accounts have one
        self.form.setRowVisible(self.plan_row, has_plan)
        self.form.setRowVisible(self.server_row, self.kind is ProviderKind.FLEXACORE)
        self._forget_test()

    def _url_edited(self, text: str) -> None:
        self._url_touched = text.strip() not in ("", self.provider.default_base_url)
        self._forget_test()

    def _fill_plans(self, info: ProviderChoice) -> None:
        self.plan_box.blockSignals(True)
        self.plan_box.clear()
        for plan in info.capabilities.rate_plans:
            name = plan.name.casefold()
            if name in TEXTFLOW_PLANS and plan.requests is not None:
                self.plan_box.addItem(f"{plan.name}: {plan.requests:,} requests a minute", name)
        self.plan_box.addItem("Custom or Enterprise: the number your plan allows", CUSTOM_PLAN)
        self.plan_box.blockSignals(False)
        self._plan_changed()

    def _select_plan(self, plan: str) -> None:
        if plan.startswith("custom:"):
            self.plan_box.setCurrentIndex(self.plan_box.findData(CUSTOM_PLAN))
            self.custom_rate.setValue(int(plan.split(":", 1)[1]))
        else:
            self.plan_box.setCurrentIndex(max(0, self.plan_box.findData(plan)))

    def _plan_changed(self) -> None:
        self.custom_rate.setVisible(self.plan_box.currentData() == CUSTOM_PLAN)

    def plan(self) -> str | None:
        if self.kind is not ProviderKind.TEXTFLOW:
            return None
        chosen = str(self.plan_box.currentData() or "")
        return f"custom:{self.custom_rate.value()}" if chosen == CUSTOM_PLAN else chosen

    # -- the key -----------------------------------------------------------------------------
    def _key_changed(self, text: str) -> None:
        cleaned = clean_key(text)
        if cleaned != text:
            self.key_edit.setText(cleaned)  # re-enters with the clean text: no loop
            self.key_note.setText("Spaces and line breaks copied along with the key were removed.")
            self.key_note.show()
            return
        if not text:
            self.key_note.hide()
        self.messages["key"].hide()
        self._forget_test()

    def _show_key(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.key_edit.setEchoMode(mode)
        self.show_key.setText("Hide" if shown else "Show")
        self.show_key.setAccessibleName("Hide the key" if shown else "Show the key")

    def typed_key(self) -> Secret | None:
        text = clean_key(self.key_edit.text())
        return Secret(text) if text else None

    def set_key_kept(self, kept: bool | None) -> None:
        """Whether a key is stored for the account (``None``: could not tell)."""
        self._key_kept = kept
        self._update_key_placeholder()

    def set_session_only_now(self, session_only: bool) -> None:
        """The account's key is kept in memory for this session only."""
        self._session_only_now = session_only
        self._update_key_placeholder()

    def _update_key_placeholder(self) -> None:
        if self.mode is Mode.ADD:
            self.key_edit.setPlaceholderText(f"Paste the {self.provider.key_label} here")
        elif self.mode is Mode.KEY:
            self.key_edit.setPlaceholderText(f"Paste the new {self.provider.key_label} here")
        elif self._session_only_now:
            self.key_edit.setPlaceholderText("Unchanged (kept for this session only)")
        elif self._key_kept is False:
            self.key_edit.setPlaceholderText(
                f"No key is kept for this account: paste the {self.provider.key_label}"
            )
        else:
            self.key_edit.setPlaceholderText(f"Unchanged (kept in {self._keychain_name()})")

    def _keychain_name(self) -> str:
        status = self._keychain
        if status is not None and status.usable and status.backend_name:
            return status.backend_name
        return "the keychain"

    # -- the keychain ------------------------------------------------------------------------
    def set_keychain(self, status: KeychainStatus) -> None:
        """What the keychain probe found; without a usable keychain, say where keys are
        normally kept and offer keeping the key for this session only."""
        self._keychain = status
        self._update_key_placeholder()
        self._show_keychain()

    def _show_keychain(self) -> None:
        status = self._keychain
        missing = status is not None and not status.usable
        if status is not None and missing:
            self.keychain_note.setText(status.message)
        self.keychain_note.setVisible(missing)
        self.session_only.setVisible(missing or self.session_only.isChecked())

    def _offer_session_only(self, message: str) -> None:
        self.keychain_note.setText(message)
        self.keychain_note.show()
        self.session_only.show()

    # -- test connection ---------------------------------------------------------------------
    def test_connection(self) -> None:
        """Test what the form holds now, on the worker; the answer shows when it comes."""
        try:
            account = self._account_from_form(testing=True)
        except InvalidAccount as exc:
            self._show_invalid(exc)
            return
        typed = self.typed_key()
        source = self._key_source if self.mode is Mode.EDIT else None
        if typed is None and source is None:
            self._show_message("key", f"Paste the {self.provider.key_label} first.")
            return
        checker = self._checker

        def job() -> ReportLike:
            key = typed if typed is not None else source() if source is not None else None
            if key is None:
                raise AuthRefused(
                    "No key is kept for this account. Paste it in the key field, then test again."
                )
            return checker(
                account.kind,
                key,
                base_url=account.base_url,
                plan=account.plan,
                sending_server=account.flexacore_sending_server,
            )

        self._set_test_state(
            "Testing the connection…", QStyle.StandardPixmap.SP_BrowserReload, "Testing"
        )
        self.test_detail.hide()
        self._worker.call(job, on_done=self._tested, generation=self._checks)

    def _tested(self, result: Result[ReportLike]) -> None:
        if isinstance(result, Err):
            self._set_test_state(
                result.error.message, QStyle.StandardPixmap.SP_MessageBoxCritical, "Problem"
            )
            return
        report = result.value
        if report.works:
            icon, state = QStyle.StandardPixmap.SP_DialogApplyButton, "Works"
        elif report.warning:
            icon, state = QStyle.StandardPixmap.SP_MessageBoxWarning, "Warning"
        else:
            icon, state = QStyle.StandardPixmap.SP_MessageBoxCritical, "Problem"
        self._set_test_state(report.message, icon, state)
        if report.detail and not report.works:
            self.test_detail.setText(f"Details: {report.detail}")
            self.test_detail.show()

    def _set_test_state(self, text: str, icon: QStyle.StandardPixmap, state: str) -> None:
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self.test_icon.setPixmap(self.style().standardIcon(icon).pixmap(size, size))
        self.test_icon.setAccessibleName(state)  # the icon's meaning, for screen readers
        self.test_result.setText(text)

    def _forget_test(self) -> None:
        """The settings changed: an earlier answer no longer describes them."""
        if self.test_result.text():
            self._checks.next()  # drops a test still running
            self.test_icon.clear()
            self.test_result.clear()
            self.test_detail.hide()

    # -- saving ------------------------------------------------------------------------------
    def _account_from_form(self, *, testing: bool = False) -> Account:
        """The account the form describes; raises ``InvalidAccount`` naming the field.

        ``testing``: a connection test needs no name yet.
        """
        name = self.name_edit.text().strip()
        if testing and not name:
            name = self.provider.name
        server_text = self.server_edit.text().strip()
        server: int | None = None
        if self.kind is ProviderKind.FLEXACORE and server_text:
            if not server_text.isdigit() or int(server_text) < 1:
                raise InvalidAccount(
                    "The sending server is a whole number such as 1 (or leave it empty).",
                    field="flexacore_sending_server",
                )
            server = int(server_text)
        region = str(self.region_box.currentData() or "")
        if self.account is None:
            new = Account.new(
                self.kind,
                name,
                default_region=region,
                base_url=self.url_edit.text().strip() or self.provider.default_base_url,
                plan=self.plan(),
                flexacore_sending_server=server,
            )
            return replace(new, id=self._new_id)  # the same id however often Save is tried
        return self.account.edited(
            name=name,
            base_url=self.url_edit.text(),
            default_region=region,
            plan=self.plan(),
            flexacore_sending_server=server,
        )

    def save(self) -> None:
        """Check the form; if it is complete, ask the opener to store it."""
        if self._saving:
            return
        self._clear_messages()
        try:
            account = self._account_from_form()
        except InvalidAccount as exc:
            self._show_invalid(exc)
            return
        key = self.typed_key()
        if key is None and (self.mode is not Mode.EDIT or self._key_kept is False):
            self._show_message("key", f"Paste the {self.provider.key_label}.")
            self.key_edit.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self._set_saving(True)
        self.save_requested.emit(
            AccountDraft(
                account=account,
                key=key,
                session_only=not self.session_only.isHidden() and self.session_only.isChecked(),
                adding=self.mode is Mode.ADD,
            )
        )

    def save_finished(self, error: str | None = None, *, keychain: bool = False) -> None:
        """The opener's answer: closes on success, else shows what went wrong."""
        self._set_saving(False)
        if error is None:
            self.accept()
            return
        if keychain:
            self._offer_session_only(error)
            self._show_message(
                "key",
                "The key was not saved. Tick “Keep the key for this session only” to use it "
                "until Contact Desk closes, or fix the keychain and save again.",
            )
        else:
            self.error_label.setText(error)
            self.error_label.show()

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        self.save_button.setEnabled(not saving)
        self.cancel_button.setEnabled(not saving)
        if saving:
            self.error_label.setText(
                "Saving… If your keychain asks for its password, enter it there."
            )
            self.error_label.show()
        else:
            self.error_label.hide()

    @property
    def saving(self) -> bool:
        return self._saving

    def reject(self) -> None:
        if self._saving:
            return  # a keychain write cannot be called back; its answer closes the dialog
        super().reject()

    def done(self, result: int) -> None:
        self._checks.next()  # a test still running answers nobody
        super().done(result)

    # -- messages ----------------------------------------------------------------------------
    def _show_invalid(self, exc: InvalidAccount) -> None:
        if exc.field in self.messages:
            self._show_message(exc.field, exc.message)
        else:
            self.error_label.setText(exc.message)
            self.error_label.show()

    def _show_message(self, field: str, text: str) -> None:
        label = self.messages[field]
        label.setText(text)
        label.show()

    def _clear_messages(self) -> None:
        for label in self.messages.values():
            label.hide()
        if not self._saving:
            self.error_label.hide()
