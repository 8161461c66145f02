"""Test helpers shared across the suite (not fixtures; those live in conftest.py)."""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    """An in-memory keyring backend: no test ever touches the real keychain."""

    @properties.classproperty
    def priority(cls) -> float:
        # never picked by keyring's own discovery (it would shadow a real keychain in keychain runs)
        raise RuntimeError("test backend, installed explicitly by tests/conftest.py")

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.entries[(service, username)]
        except KeyError:
            raise PasswordDeleteError("no such entry") from None
