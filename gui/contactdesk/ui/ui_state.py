"""Window geometry, splitter sizes and table columns, remembered between runs.

A ``QSettings`` INI file in the platform config dir (``ui.ini``), never the registry or
a plist, so it sits next to ``accounts.toml`` and tests can redirect it. Holds no
secret and no contact data.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

FILE_NAME = "ui.ini"


class UiState:
    """Small typed accessors over one ``QSettings`` file. No Signals."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._s = QSettings(str(path), QSettings.Format.IniFormat)

    def _bytes(self, key: str) -> QByteArray | None:
        value = self._s.value(key)
        if isinstance(value, QByteArray) and not value.isEmpty():
            return value
        return None

    # window
    def geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    def window_state(self) -> QByteArray | None:
        return self._bytes("window/state")

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self._s.setValue("window/geometry", geometry)
        self._s.setValue("window/state", state)

    def splitter(self) -> QByteArray | None:
        return self._bytes("window/splitter")

    def save_splitter(self, state: QByteArray) -> None:
        self._s.setValue("window/splitter", state)

    # table columns, per account (each platform has its own columns)
    def header(self, account_id: str) -> QByteArray | None:
        return self._bytes(f"columns/{account_id}")

    def save_header(self, account_id: str, state: QByteArray) -> None:
        self._s.setValue(f"columns/{account_id}", state)

    def forget_header(self, account_id: str) -> None:
        self._s.remove(f"columns/{account_id}")

    # where the person was
    def last_selection(self) -> tuple[str, str, str]:
        """(account id, entry kind, entry key) of the sidebar row last shown."""
        value = self._s.value("window/last_selection", "")
        parts = str(value).split("\t") if value else []
        padded = [*parts, "", "", ""]
        return padded[0], padded[1], padded[2]

    def save_last_selection(self, account_id: str, kind: str, key: str) -> None:
        self._s.setValue("window/last_selection", f"{account_id}\t{kind}\t{key}")

    def sync(self) -> None:
        self._s.sync()
