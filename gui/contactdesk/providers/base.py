"""The provider-neutral contract every client implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from contactdesk.core.models import Contact, Group, Page
from contactdesk.core.schema import Capabilities, FieldSpec


@runtime_checkable
class Provider(Protocol):
    """A connection to one account on one platform.

    Blocking: every method runs on the account's worker thread, never on the UI thread.
    Every failure is raised as a ``core.errors.ProviderError`` subclass and nothing else.
    ``group_id`` is required by providers with groups (Flexacore) and ignored otherwise.
    """

    capabilities: Capabilities
    fields: Sequence[FieldSpec]

    def list_groups(self) -> list[Group]: ...
    def create_group(self, name: str) -> Group: ...
    def rename_group(self, group_id: str, name: str) -> Group: ...
    def delete_group(self, group_id: str) -> None: ...

    def list_contacts(
        self, *, group_id: str | None = None, page: int = 1, search: str | None = None
    ) -> Page[Contact]: ...
    def get_contact(self, remote_id: str, *, group_id: str | None = None) -> Contact: ...
    def find_by_phone(self, phone_e164: str, *, group_id: str | None = None) -> list[Contact]: ...
    def create_contact(self, contact: Contact, *, group_id: str | None = None) -> Contact: ...
    def update_contact(
        self, contact: Contact, *, group_id: str | None = None, base: Contact | None = None
    ) -> Contact: ...
    def delete_contact(self, remote_id: str, *, group_id: str | None = None) -> None: ...

    def close(self) -> None: ...
