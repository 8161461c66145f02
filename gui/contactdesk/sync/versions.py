"""Is the server's copy of a contact still the one a local edit was based on?

The rule, chosen by what the copies carry rather than by platform name:

- both copies carry the same ``updated_at`` (TextFlow stamps every write, and its stamps
  move on even for two writes in one second): same version, nothing else to look at;
- otherwise the values of the provider's editable fields decide. For Flexacore (its list
  and show answers carry no timestamps) that is phone, first and last name. For TextFlow
  a new stamp with the same editable values means someone changed only what this app
  cannot edit (the contact replied STOP): the edit can still go, since the client sends
  only the fields the edit changed, so it cannot undo that.

Values are compared the way the servers store them: surrounding blanks trimmed, an empty
text the same as none, tags as a set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from contactdesk.core.models import Contact
from contactdesk.core.schema import FieldSpec


def _norm(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, tuple | list):
        return frozenset(str(v).strip() for v in value if str(v).strip())
    if isinstance(value, Mapping):
        return frozenset((str(k), str(v)) for k, v in value.items())
    return value


class VersionCheck:
    """Compares server copies on ``keys`` (the provider's editable fields)."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = tuple(keys)
        if not self.keys:
            raise ValueError("a version check needs at least one field to compare")

    @classmethod
    def for_fields(cls, fields: Sequence[FieldSpec]) -> VersionCheck:
        return cls(f.key for f in fields if f.editable)

    def same_values(self, a: Contact, b: Contact) -> bool:
        """Whether ``a`` and ``b`` hold the same editable values."""
        return all(_norm(getattr(a, k)) == _norm(getattr(b, k)) for k in self.keys)

    def differing(self, a: Contact, b: Contact) -> list[str]:
        """The editable fields whose values differ (for logs and the conflict view)."""
        return [k for k in self.keys if _norm(getattr(a, k)) != _norm(getattr(b, k))]

    def same_version(self, base: Contact | None, current: Contact) -> bool:
        """Whether ``current`` (fetched now) is the version ``base`` was read as.

        ``base`` is ``None`` only for an edit whose base was never known; such an edit
        is not checked (there is nothing to compare with).
        """
        if base is None:
            return True
        if base.updated_at and base.updated_at == current.updated_at:
            return True
        return self.same_values(base, current)
