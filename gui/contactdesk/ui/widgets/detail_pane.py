"""The read-only detail pane: every value of the selected contact, selectable, with Copy.

Built from the provider's ``FieldSpec`` list, like the table and the editor. All text is
plain text (names are user data).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from contactdesk.core.schema import FieldSpec, FieldType
from contactdesk.store.records import ContactState, StoredContact
from contactdesk.ui.models.columns import PhoneFormatter, format_datetime, plain_phone
from contactdesk.ui.models.row_views import state_words


def _plain_label(parent: QWidget, text: str = "") -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(
        Qt.TextInteractionFlag.TextSelectableByMouse
        | Qt.TextInteractionFlag.TextSelectableByKeyboard
    )
    label.setWordWrap(True)
    return label


def field_value_text(stored: StoredContact, spec: FieldSpec, phone: PhoneFormatter) -> str:
    c = stored.contact
    if spec.type is FieldType.PHONE:
        return phone(c.phone) if c.phone else ""
    if spec.type is FieldType.TAGS:
        return ", ".join(c.tags)
    if spec.type is FieldType.CUSTOM_FIELDS:
        return "\n".join(f"{k}: {v}" for k, v in c.custom_fields.items())
    if spec.key == "opted_out":
        if c.opted_out is None:
            return "Unknown: the platform did not say"
        return "Opted out: gets no messages" if c.opted_out else "No"
    if spec.type is FieldType.DATETIME:
        return format_datetime(getattr(c, spec.key, None))
    if (
        spec.type is FieldType.CHOICE
        and c.consent_status is not None
        and spec.key == "consent_status"
    ):
        return c.consent_status.capitalize()
    value = getattr(c, spec.key, None)
    if value is None:
        value = c.extra.get(spec.key)
    return "" if value is None else str(value)


class DetailPane(QScrollArea):
    """Shows one contact read-only.

    Signals:
        edit_requested(int): the person pressed Edit for this local id.
        copied(str): a value was copied to the clipboard (its field label).
    """

    edit_requested = Signal(int)
    copied = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailPane")
        self.setAccessibleName("Contact details")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._phone: PhoneFormatter = plain_phone
        self._fields: list[FieldSpec] = []
        self._stored: StoredContact | None = None
        body = QWidget(self)
        self._title = _plain_label(body)
        self._title.setAccessibleName("Contact name")
        font = self._title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self._title.setFont(font)
        self._state = _plain_label(body)
        self._state.setAccessibleName("Contact state")
        self._form_host = QWidget(body)
        self._form = QFormLayout(self._form_host)
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._values: dict[str, QLabel] = {}
        self._copy: dict[str, QToolButton] = {}
        self.edit_button = QPushButton("Edit…", body)
        self.edit_button.setAccessibleName("Edit contact")
        self.edit_button.clicked.connect(self._edit)
        self._empty = _plain_label(body, "Select a contact to see its details.")
        box = QVBoxLayout(body)
        box.addWidget(self._empty)
        box.addWidget(self._title)
        box.addWidget(self._state)
        box.addWidget(self._form_host)
        row = QHBoxLayout()
        row.addWidget(self.edit_button)
        row.addStretch(1)
        box.addLayout(row)
        box.addStretch(1)
        self.setWidget(body)
        self._render(None)

    def set_fields(self, fields: Sequence[FieldSpec], phone: PhoneFormatter = plain_phone) -> None:
        self._phone = phone
        self._fields = list(fields)
        while self._form.rowCount():
            self._form.removeRow(0)
        self._values.clear()
        self._copy.clear()
        for spec in self._fields:
            value = _plain_label(self._form_host)
            value.setAccessibleName(spec.label)
            # a long address must not push the Copy buttons out of sight: it is clipped
            # (the tooltip and Copy have all of it)
            value.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            copy = QToolButton(self._form_host)
            copy.setText("Copy")
            copy.setAccessibleName(f"Copy {spec.label}")
            copy.setToolTip(f"Copy {spec.label}")
            copy.clicked.connect(lambda _=False, k=spec.key: self.copy_value(k))
            line = QWidget(self._form_host)
            lay = QHBoxLayout(line)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.addWidget(value, 1)
            lay.addWidget(copy, 0, Qt.AlignmentFlag.AlignTop)
            label = QLabel(spec.label + ":", self._form_host)
            label.setTextFormat(Qt.TextFormat.PlainText)
            self._form.addRow(label, line)
            self._values[spec.key] = value
            self._copy[spec.key] = copy
        self._render(self._stored)

    @property
    def stored(self) -> StoredContact | None:
        return self._stored

    def value_text(self, key: str) -> str:
        label = self._values.get(key)
        return "" if label is None else label.text()

    def title_text(self) -> str:
        return self._title.text()

    def show_contact(self, stored: StoredContact | None) -> None:
        if stored is not None and stored == self._stored:
            return  # same contact, same values: nothing to lay out again (rows pour in)
        self._render(stored)

    def _render(self, stored: StoredContact | None) -> None:
        self._stored = stored
        has = stored is not None
        self._empty.setVisible(not has)
        for w in (self._title, self._state, self._form_host, self.edit_button):
            w.setVisible(has)
        if stored is None:
            return
        self._title.setText(stored.contact.display_name)
        words = state_words(stored)
        self._state.setText(words)
        self._state.setVisible(bool(words))
        self.edit_button.setEnabled(stored.state is not ContactState.DELETED)
        for spec in self._fields:
            text = field_value_text(stored, spec, self._phone)
            self._values[spec.key].setText(text or "—")
            self._values[spec.key].setToolTip(text)
            self._copy[spec.key].setEnabled(bool(text))

    def copy_value(self, key: str) -> None:
        if self._stored is None:
            return
        spec = next((s for s in self._fields if s.key == key), None)
        if spec is None:
            return
        text = field_value_text(self._stored, spec, self._phone)
        if spec.type is FieldType.PHONE:
            text = self._stored.contact.phone  # E.164 pastes anywhere
        QGuiApplication.clipboard().setText(text)
        self.copied.emit(spec.label)

    def _edit(self) -> None:
        if self._stored is not None:
            self.edit_requested.emit(self._stored.local_id)
