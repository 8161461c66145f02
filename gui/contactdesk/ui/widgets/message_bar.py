"""One non-modal message bar for the whole window: plain words and a next step.

Errors never pop up modal boxes; they land here ("The key was refused." + "Update key").
Messages that arrive before the window exists are buffered by whoever owns the bar
(see ``MainWindow``), in the spirit of qutebrowser's message bridge.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStyle, QWidget


class Level(enum.Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class MessageAction:
    """A next step offered beside a message: a button label and what it does."""

    label: str
    callback: Callable[[], object]


@dataclass(slots=True)
class Message:
    text: str
    level: Level = Level.INFO
    actions: Sequence[MessageAction] = field(default_factory=tuple)
    #: hide by itself after this many milliseconds (0: stays until closed or replaced)
    timeout_ms: int = 0
    #: messages with the same key replace each other instead of stacking
    key: str = ""


_ICONS = {
    Level.INFO: QStyle.StandardPixmap.SP_MessageBoxInformation,
    Level.WARNING: QStyle.StandardPixmap.SP_MessageBoxWarning,
    Level.ERROR: QStyle.StandardPixmap.SP_MessageBoxCritical,
}


class MessageBar(QFrame):
    """A slim bar above the table showing one message at a time, with action buttons.

    Signals:
        action_triggered(str): the label of the action button the person pressed.
        dismissed(): the bar was closed by the person or timed out.
    """

    action_triggered = Signal(str)
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.setAccessibleName("Messages")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self._current: Message | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._timed_out)

        self._icon = QLabel(self)
        self._text = QLabel(self)
        self._text.setTextFormat(Qt.TextFormat.PlainText)
        self._text.setWordWrap(True)
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._text.setAccessibleName("Message")
        self._close = QPushButton("Close", self)
        self._close.setAccessibleName("Close message")
        self._close.setFlat(True)
        self._close.clicked.connect(self.dismiss)

        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(8, 4, 4, 4)
        self._layout.addWidget(self._icon)
        self._layout.addWidget(self._text, 1)
        self._buttons: list[QPushButton] = []
        self._layout.addWidget(self._close)
        self.hide()

    # -- public API ----------------------------------------------------------------------
    @property
    def current(self) -> Message | None:
        return self._current

    def text(self) -> str:
        return self._text.text() if self._current is not None else ""

    def action_buttons(self) -> list[QPushButton]:
        return list(self._buttons)

    def button(self, label: str) -> QPushButton | None:
        return next((b for b in self._buttons if b.text() == label), None)

    def show_message(self, message: Message) -> None:
        self._current = message
        self._timer.stop()
        for b in self._buttons:
            self._layout.removeWidget(b)
            b.deleteLater()
        self._buttons = []
        style = self.style()
        size = style.pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self._icon.setPixmap(style.standardIcon(_ICONS[message.level]).pixmap(size, size))
        self._icon.setAccessibleName(message.level.value)
        self._text.setText(message.text)
        self._apply_palette(message.level)
        for i, action in enumerate(message.actions):
            btn = QPushButton(action.label, self)
            btn.setAccessibleName(action.label)
            btn.clicked.connect(lambda _=False, a=action: self._run(a))
            self._layout.insertWidget(2 + i, btn)
            self._buttons.append(btn)
        self.show()
        if message.timeout_ms:
            self._timer.start(message.timeout_ms)

    def show_text(
        self,
        text: str,
        level: Level = Level.INFO,
        actions: Sequence[MessageAction] = (),
        *,
        timeout_ms: int = 0,
        key: str = "",
    ) -> None:
        self.show_message(Message(text, level, tuple(actions), timeout_ms, key))

    def clear_key(self, key: str) -> None:
        """Hide the message if it is the one with this key (e.g. "offline" once back online)."""
        if self._current is not None and self._current.key == key:
            self._hide()

    def dismiss(self) -> None:
        self._hide()
        self.dismissed.emit()

    # -- internals -----------------------------------------------------------------------
    def _hide(self) -> None:
        self._timer.stop()
        self._current = None
        self.hide()

    def _timed_out(self) -> None:
        self.dismiss()

    def _run(self, action: MessageAction) -> None:
        self._hide()
        self.action_triggered.emit(action.label)
        action.callback()

    def _apply_palette(self, level: Level) -> None:
        # semantic colours only, derived from the system palette so dark mode stays readable
        pal = self.palette()
        base = QPalette().color(QPalette.ColorRole.Window)
        if level is Level.INFO:
            t = QPalette().color(QPalette.ColorRole.Highlight)
        elif level is Level.WARNING:
            t = QColor(Qt.GlobalColor.darkYellow)
        else:
            t = QColor(Qt.GlobalColor.red)
        mix = QColor(
            (base.red() * 4 + t.red()) // 5,
            (base.green() * 4 + t.green()) // 5,
            (base.blue() * 4 + t.blue()) // 5,
        )
        pal.setColor(QPalette.ColorRole.Window, mix)
        self.setPalette(pal)
