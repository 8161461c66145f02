"""Small builders for test contacts (plain data; no store logic here)."""

from __future__ import annotations

from typing import Any

from contactdesk.core.models import Contact
from contactdesk.store import ContactQuery, StoredContact, StoreReader


def server_contact(n: int, **changes: object) -> Contact:
    """A contact as a server would send it: remote id ``r<n>`` and a unique phone."""
    base = Contact(
        phone=f"+1555{n:07d}",
        first_name=f"First{n}",
        last_name=f"Last{n}",
        email=f"person{n}@example.com",
        remote_id=f"r{n}",
        updated_at=f"2026-01-01T00:00:{n % 60:02d}Z",
    )
    return base.with_changes(**changes)


def search(store: StoreReader, text: str = "", **query: Any) -> list[StoredContact]:
    """Every row of a table query, in order (through the windowed API the UI uses)."""
    with store.query(ContactQuery(text=text, **query)) as rs:
        rows = rs.window(0, rs.count)
    assert all(r is not None for r in rows)
    return [r for r in rows if r is not None]


def names(store: StoreReader, text: str = "", **query: Any) -> list[str]:
    return [s.contact.display_name for s in search(store, text, **query)]
