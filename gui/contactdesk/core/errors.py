"""The small typed error family every provider call can end in.

Each error carries ``message``: plain words a non-technical person can act on.
Messages never contain the API key; ``detail`` may hold the server's own text
(shown as plain text, never as markup) for "copy details for support".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contactdesk.core.models import Contact


class ProviderError(Exception):
    """Base of every error a provider call can return."""

    #: whether repeating the same request later may succeed (drives outbox retries)
    transient: bool = False

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class AuthRefused(ProviderError):
    """The key was refused (missing, wrong, revoked)."""


class PermissionDenied(ProviderError):
    """The key works but may not do this (token ability, plan without API access)."""


class NotFound(ProviderError):
    """The contact or group does not exist (any more)."""


class ValidationFailed(ProviderError):
    """The server (or our own check before sending) rejected a value."""

    def __init__(
        self, message: str, *, field: str | None = None, detail: str | None = None
    ) -> None:
        super().__init__(message, detail=detail)
        self.field = field


class Duplicate(ProviderError):
    """A contact with that phone already exists; ``existing`` is it, when known."""

    def __init__(
        self, message: str, *, existing: Contact | None = None, detail: str | None = None
    ) -> None:
        super().__init__(message, detail=detail)
        self.existing = existing


class LimitReached(ProviderError):
    """The plan's contact limit is reached."""


class RateLimited(ProviderError):
    """Too many requests; ``retry_after`` seconds until the budget refills."""

    transient = True

    def __init__(self, message: str, *, retry_after: float, detail: str | None = None) -> None:
        super().__init__(message, detail=detail)
        self.retry_after = retry_after


class ServerError(ProviderError):
    """The server failed (5xx, or an exception text in a 200 envelope)."""

    transient = True


class NetworkError(ProviderError):
    """No answer: host not found, connection refused or reset, timeout, TLS failure."""

    transient = True

    def __init__(self, message: str, *, uncertain: bool = False, detail: str | None = None) -> None:
        super().__init__(message, detail=detail)
        #: True when a write may have been applied before the connection failed
        self.uncertain = uncertain


class UnexpectedAnswer(ProviderError):
    """The server answered something we cannot read (HTML, truncated JSON, wrong shape)."""

    transient = True


class InsecureURL(ProviderError):
    """The base URL is plain http to a host that is not this computer."""
