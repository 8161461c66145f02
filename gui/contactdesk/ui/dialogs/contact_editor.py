"""The contact editor, built from the provider's ``FieldSpec`` list.

The phone is checked as it is typed; when the number is probably missing a country code
(or was mangled by a spreadsheet) the fix is offered as a button ("Use +44 7911 123456")
and applied only when pressed. Opt-out is shown, never edited: only the person can opt
back in. Saving hands the contact to ``on_save``; the dialog closes when the caller says
the local write succeeded (``saved``) and shows the error otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from contactdesk.core.models import Contact, Group
from contactdesk.core.phones import format_display, parse_phone
from contactdesk.core.schema import Capabilities, FieldSpec, FieldType
from contactdesk.store import StoredContact
from contactdesk.ui.widgets.field_editors import CustomFieldsEdit, TagsEdit

NO_CONSENT = "Not recorded"

#: looks up contacts already holding a phone (E.164), leaving out the one being edited
DuplicateLookup = Callable[[str], list[StoredContact]]


def _plain(parent: QWidget, text: str = "", name: str = "") -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    if name:
        label.setAccessibleName(name)
    return label


def opt_out_words(value: bool | None) -> str:
    if value:
        return (
            "Opted out: this person asked not to receive messages. Only they can opt back "
            "in (for example by replying START); an edit here never changes it."
        )
    if value is None:
        return "Not known: the platform has not said whether this person opted out."
    return "Not opted out."


class ContactEditor(QDialog):
    """Add or edit one contact.

    Signals:
        save_requested(object): the ``Contact`` to save (the caller then calls ``saved``).
        open_existing(int): the person chose "Open the existing contact" (a local id).
    """

    save_requested = Signal(object)
    open_existing = Signal(int)

    def __init__(
        self,
        fields: Sequence[FieldSpec],
        capabilities: Capabilities,
        *,
        region: str,
        original: StoredContact | None = None,
        groups: Sequence[Group] = (),
        group_id: str | None = None,
        tags: Sequence[str] = (),
        duplicates: DuplicateLookup | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("contactEditor")
        self._fields = [f for f in fields if f.editable and f.type is not FieldType.BOOL]
        self._all_fields = list(fields)
        self._caps = capabilities
        self._region = region
        self._original = original
        self._duplicates = duplicates
        self._dup_ids: list[int] = []
        self._saving = False
        self._force_close = False
        base = original.contact if original is not None else Contact(phone="", tags=tuple(tags))
        if original is None and group_id:
            base = replace(base, group_id=group_id)
        self._base = base
        self.setWindowTitle("Edit contact" if original else "New contact")
        self.setAccessibleName(self.windowTitle())
        self.editors: dict[str, QWidget] = {}
        self.messages: dict[str, QLabel] = {}

        form = QFormLayout()
        self.group_box: QComboBox | None = None
        if capabilities.groups:
            self.group_box = QComboBox(self)
            self.group_box.setAccessibleName("Group")
            for g in groups:
                self.group_box.addItem(g.name, g.remote_id)
            if base.group_id is not None:
                self.group_box.setCurrentIndex(max(0, self.group_box.findData(base.group_id)))
            # moving a contact between groups is not something the API can do
            self.group_box.setEnabled(original is None)
            form.addRow(_plain(self, "Group:"), self.group_box)
        for spec in self._fields:
            self._add_field(form, spec)
        self.phone_fix = QPushButton(self)
        self.phone_fix.setObjectName("phoneFix")
        self.phone_fix.setFlat(True)
        self.phone_fix.setCursor(Qt.CursorShape.PointingHandCursor)
        self.phone_fix.hide()
        self.phone_fix.clicked.connect(self._apply_fix)
        self._fix: str | None = None
        self.duplicate_note = _plain(self, name="Duplicate warning")
        self.duplicate_note.hide()
        self.open_existing_button = QPushButton("Open the existing contact", self)
        self.open_existing_button.hide()
        self.open_existing_button.clicked.connect(self._open_existing)
        opt_spec = next((f for f in self._all_fields if f.key == "opted_out"), None)
        self.opt_out = _plain(self, opt_out_words(base.opted_out), "Opt-out status")
        if opt_spec is None:
            self.opt_out.hide()
        elif base.opted_out:
            font = self.opt_out.font()
            font.setBold(True)
            self.opt_out.setFont(font)
        self.sms_note = _plain(
            self,
            "Adding a contact to a group may send that group's welcome text message.",
            "Welcome message note",
        )
        self.sms_note.setVisible(capabilities.create_may_send_sms and original is None)
        self.error = _plain(self, name="Error")
        self.error.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setAccessibleName("Save contact")
        self.buttons.accepted.connect(self.request_save)
        self.buttons.rejected.connect(self.reject)
        for seq in (QKeySequence.StandardKey.Save, QKeySequence("Ctrl+Return")):
            QShortcut(QKeySequence(seq), self, self.request_save)

        box = QVBoxLayout(self)
        box.addLayout(form)
        for w in (
            self.phone_fix,
            self.duplicate_note,
            self.open_existing_button,
            self.opt_out,
            self.sms_note,
            self.error,
        ):
            box.addWidget(w)
        box.addWidget(self.buttons)
        self._dup_timer = QTimer(self)
        self._dup_timer.setSingleShot(True)
        self._dup_timer.setInterval(200)
        self._dup_timer.timeout.connect(self._check_duplicates)
        self._load(base)
        self._validate()
        self.resize(480, self.sizeHint().height())

    # -- building ------------------------------------------------------------------------
    def _add_field(self, form: QFormLayout, spec: FieldSpec) -> None:
        label = spec.label + (" *" if spec.required else "")
        editor: QWidget
        if spec.type is FieldType.TAGS:
            tags = TagsEdit(self)
            tags.tags_changed.connect(self._validate)
            editor = tags
        elif spec.type is FieldType.CUSTOM_FIELDS:
            custom = CustomFieldsEdit(self)
            custom.fields_changed.connect(self._validate)
            editor = custom
        elif spec.type is FieldType.CHOICE:
            combo = QComboBox(self)
            combo.addItem(NO_CONSENT, None)
            for choice in spec.choices:
                combo.addItem(choice.capitalize(), choice)
            combo.currentIndexChanged.connect(lambda _i: self._validate())
            editor = combo
        else:
            line = QLineEdit(self)
            line.textChanged.connect(lambda _t: self._validate())
            if spec.type is FieldType.PHONE:
                line.setPlaceholderText("e.g. +44 7911 123456")
                line.textChanged.connect(lambda _t: self._dup_timer.start())
            editor = line
        editor.setAccessibleName(spec.label)
        if spec.help:
            editor.setToolTip(spec.help)
        message = _plain(self, name=f"{spec.label} problem")
        message.hide()
        host = QWidget(self)
        lay = QVBoxLayout(host)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(editor)
        lay.addWidget(message)
        form.addRow(_plain(self, label + ":"), host)
        self.editors[spec.key] = editor
        self.messages[spec.key] = message

    def _load(self, c: Contact) -> None:
        for spec in self._fields:
            w = self.editors[spec.key]
            if isinstance(w, TagsEdit):
                w.set_tags(c.tags)
            elif isinstance(w, CustomFieldsEdit):
                w.set_fields(c.custom_fields)
            elif isinstance(w, QComboBox):
                w.setCurrentIndex(max(0, w.findData(getattr(c, spec.key, None))))
            elif isinstance(w, QLineEdit):
                value = getattr(c, spec.key, None)
                if spec.type is FieldType.PHONE and value:
                    value = format_display(value, self._region)
                w.setText(value or "")

    # -- reading -------------------------------------------------------------------------
    def line(self, key: str) -> QLineEdit:
        w = self.editors[key]
        assert isinstance(w, QLineEdit)
        return w

    def phone_e164(self) -> str | None:
        spec = next((f for f in self._fields if f.type is FieldType.PHONE), None)
        if spec is None:
            return self._base.phone
        return parse_phone(self.line(spec.key).text(), self._region).e164

    def contact(self) -> Contact:
        """What the form says now (opt-out and ids always as they were)."""
        values: dict[str, object] = {}
        for spec in self._fields:
            w = self.editors[spec.key]
            if isinstance(w, TagsEdit):
                values[spec.key] = w.tags()
            elif isinstance(w, CustomFieldsEdit):
                values[spec.key] = w.fields()
            elif isinstance(w, QComboBox):
                values[spec.key] = w.currentData()
            elif isinstance(w, QLineEdit):
                if spec.type is FieldType.PHONE:
                    values[spec.key] = self.phone_e164() or w.text().strip()
                else:
                    values[spec.key] = w.text().strip() or None
        if self.group_box is not None and self._original is None:
            values["group_id"] = self.group_box.currentData()
        return self._base.with_changes(**values)

    @property
    def dirty(self) -> bool:
        return self.contact() != self._base

    # -- checking ------------------------------------------------------------------------
    def _validate(self) -> bool:
        ok = True
        for spec in self._fields:
            w = self.editors[spec.key]
            problem: str | None = None
            if isinstance(w, QLineEdit):
                text = w.text().strip()
                if spec.type is FieldType.PHONE:
                    problem = self._check_phone(text, spec)
                elif not text and spec.required:
                    problem = f"Enter the {spec.label.lower()}."
                elif text and spec.validator is not None:
                    problem = spec.validator(text)
            label = self.messages[spec.key]
            label.setText(problem or "")
            label.setVisible(bool(problem))
            ok = ok and problem is None
        if self.group_box is not None and self.group_box.currentData() is None:
            ok = False
        self.save_button.setEnabled(ok and not self._saving)
        return ok

    def _check_phone(self, text: str, spec: FieldSpec) -> str | None:
        self._fix = None
        self.phone_fix.hide()
        if not text:
            return "Enter a phone number." if spec.required else None
        parsed = parse_phone(text, self._region)
        if parsed.e164 is None:
            if parsed.suggestion is not None:
                self._fix = parsed.suggestion
                shown = parsed.suggestion_display or parsed.suggestion
                self.phone_fix.setText(f"Use {shown}")
                self.phone_fix.setAccessibleName(f"Use {shown}")
                self.phone_fix.show()
            return parsed.error
        if spec.validator is not None:
            return spec.validator(parsed.e164)
        return None

    def _apply_fix(self) -> None:
        spec = next((f for f in self._fields if f.type is FieldType.PHONE), None)
        if spec is not None and self._fix is not None:
            self.line(spec.key).setText(format_display(self._fix, self._region))

    def _check_duplicates(self) -> None:
        phone = self.phone_e164()
        found: list[StoredContact] = []
        if (
            phone
            and self._duplicates is not None
            and phone != (self._original.contact.phone if self._original else None)
        ):
            found = self._duplicates(phone)
        self._dup_ids = [s.local_id for s in found]
        if found:
            self.duplicate_note.setText(
                f"{found[0].contact.display_name} already has this number. Open that contact "
                "instead, or save to add another contact with the same number."
            )
            self.save_button.setText("Add anyway" if self._original is None else "Save anyway")
        else:
            self.save_button.setText("Save")
        self.duplicate_note.setVisible(bool(found))
        self.open_existing_button.setVisible(bool(found))

    def check_now(self) -> None:
        """Run the (debounced) duplicate check at once."""
        self._dup_timer.stop()
        self._check_duplicates()

    @property
    def duplicate_ids(self) -> list[int]:
        return list(self._dup_ids)

    def _open_existing(self) -> None:
        if self._dup_ids:
            self._force_close = True
            self.open_existing.emit(self._dup_ids[0])
            self.reject()

    # -- saving --------------------------------------------------------------------------
    def request_save(self) -> None:
        if self._saving or not self._validate():
            return
        if not self.dirty and self._original is not None:
            self._force_close = True
            self.accept()
            return
        self._saving = True
        self.save_button.setEnabled(False)
        self.error.hide()
        self.save_requested.emit(self.contact())

    def saved(self, error: str | None) -> None:
        """The caller's answer to ``save_requested``: ``None`` closes, a message stays open."""
        self._saving = False
        if error is None:
            self._force_close = True
            self.accept()
            return
        self.error.setText(error)
        self.error.show()
        self._validate()

    # -- unsaved-changes guard -------------------------------------------------------------
    def reject(self) -> None:
        if self._force_close or not self.dirty:
            super().reject()
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Unsaved changes",
            "You changed this contact. Discard your changes?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("discardChanges")
        box.button(QMessageBox.StandardButton.Cancel).setText("Keep editing")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda r: self._discard_answer(r, box))
        box.open()

    def _discard_answer(self, result: int, box: QMessageBox) -> None:
        del result
        box.deleteLater()
        if box.standardButton(box.clickedButton()) == QMessageBox.StandardButton.Discard:
            self._force_close = True
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._force_close or not self.dirty:
            super().closeEvent(event)
            return
        event.ignore()
        self.reject()
