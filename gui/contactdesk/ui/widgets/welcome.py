"""The first-run page: no accounts yet, so offer to add one or to try practice mode."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from contactdesk import APP_NAME


class WelcomePage(QWidget):
    """Shown instead of the table while there is no account.

    Signals:
        add_account_requested(): the person chose "Add an account".
        practice_requested(): the person chose "Try practice mode".
    """

    add_account_requested = Signal()
    practice_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePage")
        title = QLabel(f"Welcome to {APP_NAME}", self)
        title.setTextFormat(Qt.TextFormat.PlainText)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        title.setFont(font)
        body = QLabel(
            "Browse, search and edit the contacts of your SMS platform accounts.\n"
            "Add your account with its API key, or look around first with practice "
            "accounts: nothing real is touched and no message is sent.",
            self,
        )
        body.setTextFormat(Qt.TextFormat.PlainText)
        body.setWordWrap(True)
        self.add_button = QPushButton("Add an account", self)
        self.add_button.setAccessibleName("Add an account")
        self.add_button.setDefault(True)
        self.practice_button = QPushButton("Try practice mode", self)
        self.practice_button.setAccessibleName("Try practice mode")
        self.add_button.clicked.connect(self.add_account_requested)
        self.practice_button.clicked.connect(self.practice_requested)

        box = QVBoxLayout(self)
        box.addStretch(1)
        for w in (title, body, self.add_button, self.practice_button):
            box.addWidget(w, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addStretch(2)
        body.setMaximumWidth(520)
