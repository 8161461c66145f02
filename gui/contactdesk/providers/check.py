"""The "Test connection" check: one cheap call through the real client, in plain words.

Flexacore: the first page of groups ("Works: 12 groups"), then, when there is a group,
the first page of its contacts, because a token can be allowed to read groups and still
not contacts. TextFlow: the first page of contacts with ``limit=1`` ("Works: 340
contacts"). Every failure becomes one `ConnectionReport` whose ``message`` says what is
wrong and what to do; the server's own text, if any, stays in ``detail``.

No Qt. It blocks, so the UI runs it on a worker (``check_settings`` is what app.py hands
the account dialog). The key never appears in a report: the clients keep it out of their
errors, and ``check_settings`` scrubs the report once more before returning it.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, replace
from typing import Any, Protocol
from urllib.parse import urlsplit

from contactdesk.core.errors import (
    AuthRefused,
    InsecureURL,
    NetworkError,
    NotFound,
    PermissionDenied,
    ProviderError,
    RateLimited,
    ServerError,
    UnexpectedAnswer,
    ValidationFailed,
)
from contactdesk.core.models import ProviderKind
from contactdesk.core.schema import RatePlan
from contactdesk.providers import registry
from contactdesk.providers.base import Provider

__all__ = ["ConnectionReport", "Outcome", "check_connection", "check_settings", "report_for"]

log = logging.getLogger(__name__)

#: quicker than the clients' default: a person is waiting with the dialog open
CHECK_TIMEOUT = (5.0, 15.0)

#: what the transport layer puts first in ``NetworkError.detail`` (the root cause's type)
_NAME_NOT_FOUND = ("NameResolutionError", "gaierror")
_CERTIFICATE = ("SSL", "Certificate")
_NOT_REACHED = ("NewConnectionError", "ConnectTimeout", "ConnectionRefused", "ConnectTimeoutError")

REDACTED = "***"


class Outcome(enum.Enum):
    """What a connection test found."""

    WORKS = "works"
    KEY_REFUSED = "key_refused"
    NO_PERMISSION = "no_permission"
    HOST_NOT_FOUND = "host_not_found"
    UNREACHABLE = "unreachable"
    CERTIFICATE = "certificate"
    INSECURE = "insecure"
    NOT_CONTACTS_API = "not_contacts_api"
    RATE_LIMITED = "rate_limited"
    SERVER_PROBLEM = "server_problem"
    BAD_ADDRESS = "bad_address"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class ConnectionReport:
    """The answer to "does this account work?": ``message`` is one or two plain sentences.

    ``count`` is the number of groups (Flexacore) or contacts (TextFlow) when it works;
    ``detail`` is the server's or the network's own words, for "copy details for support".
    """

    outcome: Outcome
    message: str
    detail: str | None = None
    count: int | None = None

    @property
    def works(self) -> bool:
        return self.outcome is Outcome.WORKS

    @property
    def warning(self) -> bool:
        """The key itself is fine but something else stands in the way (ask again later,
        or a permission): shown with a warning icon rather than an error one."""
        return self.outcome in (Outcome.RATE_LIMITED, Outcome.NO_PERMISSION)


class SupportsReveal(Protocol):
    """A key held the way ``secrets.Secret`` holds it (providers cannot import secrets)."""

    def reveal(self) -> str: ...


# -- the check ---------------------------------------------------------------------------------


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _kind_of(provider: Provider) -> ProviderKind | None:
    from contactdesk.providers.flexacore import FlexacoreClient
    from contactdesk.providers.textflow import TextFlowClient

    if isinstance(provider, FlexacoreClient):
        return ProviderKind.FLEXACORE
    if isinstance(provider, TextFlowClient):
        return ProviderKind.TEXTFLOW
    return None


def _probe(provider: Provider, kind: ProviderKind | None) -> tuple[int, str]:
    """The cheap call: (how many, of what). Raises the client's ``ProviderError``."""
    if kind is ProviderKind.FLEXACORE:
        from contactdesk.providers.flexacore import FlexacoreClient

        assert isinstance(provider, FlexacoreClient)
        # page 1 only: ``list_groups`` would walk every page; the total is on the first
        groups = provider._groups_page(1)  # same package; no public one-page read
        if groups.items:
            # groups and contacts are separate token abilities: check the one browsing needs
            provider.list_contacts(group_id=groups.items[0].remote_id, page=1)
        return groups.total, _plural(groups.total, "group", "groups")
    if kind is ProviderKind.TEXTFLOW:
        from contactdesk.providers import textflow_answers
        from contactdesk.providers.textflow import CONTACTS, TextFlowClient

        assert isinstance(provider, TextFlowClient)
        # limit=1: the answer's pagination carries the total; no need for 100 contacts
        page = provider._call(  # same package; list_contacts has no limit
            "GET",
            CONTACTS,
            textflow_answers.contact_page,
            idempotent=True,
            params={"page": 1, "limit": 1},
        )
        return page.total, _plural(page.total, "contact", "contacts")
    # any other Provider: its own listing calls
    if provider.capabilities.groups:
        n = len(provider.list_groups())
        return n, _plural(n, "group", "groups")
    first = provider.list_contacts(page=1)
    return first.total, _plural(first.total, "contact", "contacts")


def check_connection(provider: Provider) -> ConnectionReport:
    """Make one cheap call through ``provider`` and say in plain words how it went."""
    kind = _kind_of(provider)
    base_url = str(getattr(provider, "base_url", "") or "")
    try:
        count, what = _probe(provider, kind)
    except ProviderError as err:
        report = report_for(err, kind=kind, base_url=base_url)
        log.info("connection test: %s (%s)", report.outcome.value, type(err).__name__)
        return report
    log.info("connection test: works")
    return ConnectionReport(Outcome.WORKS, f"Works: {what}", count=count)


def _plan(kind: ProviderKind, plan: str | None) -> RatePlan | None:
    """The account's stored plan ("starter", "custom:300", ...) as a request budget."""
    text = (plan or "").strip().lower()
    if text.startswith("custom:"):
        try:
            return RatePlan("Custom", max(1, int(text.split(":", 1)[1])), 60.0)
        except ValueError:
            return registry.default_plan(kind)
    return registry.plan_named(kind, text or None)


def check_settings(
    kind: ProviderKind | str,
    key: str | SupportsReveal,
    *,
    base_url: str,
    plan: str | None = None,
    sending_server: int | None = None,
    timeout: tuple[float, float] = CHECK_TIMEOUT,
) -> ConnectionReport:
    """Build a client from what the account dialog holds, test it, close it.

    Errors the client raises while being built (an http:// address for another computer,
    a key with a space in it, an address with a ``?``) are reported like any other.
    """
    value = key if isinstance(key, str) else key.reveal()
    which = ProviderKind(kind)
    options: dict[str, Any] = {}
    if which is ProviderKind.FLEXACORE and sending_server is not None:
        options["sending_server"] = sending_server
    try:
        provider = registry.create_provider(
            which,
            value,
            base_url=base_url.strip() or None,
            plan=_plan(which, plan),
            timeout=timeout,
            **options,
        )
    except ProviderError as err:
        report = report_for(err, kind=which, base_url=base_url, sent=False)
    else:
        try:
            report = check_connection(provider)
        finally:
            provider.close()
    return _scrub(report, value)


def _scrub(report: ConnectionReport, key: str) -> ConnectionReport:
    """Belt and braces: the clients already keep the key out of their messages."""
    if len(key) < 4:
        return report
    message = report.message.replace(key, REDACTED)
    detail = report.detail.replace(key, REDACTED) if report.detail else report.detail
    return replace(report, message=message, detail=detail)


# -- errors in plain words ---------------------------------------------------------------------


def _host(base_url: str) -> str:
    try:
        parts = urlsplit(base_url.strip())
    except ValueError:
        return "the server"
    return parts.netloc.rsplit("@", 1)[-1] or "the server"


def _cause_is(detail: str | None, names: tuple[str, ...]) -> bool:
    """Whether the root cause named at the start of ``detail`` ("NameResolutionError: ...")
    is one of ``names`` (matched loosely: urllib3 and ssl spell them several ways)."""
    cause = (detail or "").split(":", 1)[0].casefold()
    return any(n.casefold() in cause for n in names)


def report_for(
    err: ProviderError, *, kind: ProviderKind | None, base_url: str = "", sent: bool = True
) -> ConnectionReport:
    """The report for an error the test call ended in; ``sent=False`` for an error raised
    while building the client (nothing was sent)."""
    platform = registry.info(kind).name if kind is not None else "The platform"
    short = platform.split(" (", 1)[0]
    example = registry.info(kind).default_base_url if kind is not None else ""
    host = _host(base_url)
    detail = err.detail
    if isinstance(err, AuthRefused):
        if kind is ProviderKind.FLEXACORE:
            how = (
                "Flexacore does not accept this API token: it may be incomplete, or it was "
                "revoked. Generate a token in Flexacore (Developers) and paste it here."
            )
        elif kind is ProviderKind.TEXTFLOW:
            how = (
                "TextFlow does not accept this API key: it may be incomplete, or it was "
                "revoked. Copy the key again from TextFlow's API settings and paste it here."
            )
        else:
            how = "Copy the key again from the platform and paste it here."
        if not sent:
            # refused by the client's own check (a space in it): its words are more precise
            how = err.message
        return ConnectionReport(Outcome.KEY_REFUSED, f"The key was refused. {how}", detail)
    if isinstance(err, PermissionDenied):
        if kind is ProviderKind.FLEXACORE:
            words = (
                "The key works, but it has no permission to read contacts. Flexacore tokens "
                "keep the permissions the account had when they were made: generate a new "
                "token in Flexacore (Developers) and paste it here."
            )
        else:
            words = f"The key works, but it may not read contacts. {err.message}"
        return ConnectionReport(Outcome.NO_PERMISSION, words, detail)
    if isinstance(err, InsecureURL):
        return ConnectionReport(Outcome.INSECURE, err.message, detail)
    if isinstance(err, NetworkError):
        if _cause_is(detail, _NAME_NOT_FOUND):
            name = urlsplit(base_url.strip()).hostname or host
            return ConnectionReport(
                Outcome.HOST_NOT_FOUND,
                f"No server called {name} was found. Check the spelling of the server "
                "address, and that this computer is connected to the internet.",
                detail,
            )
        if _cause_is(detail, _CERTIFICATE) or "certificate" in err.message:
            return ConnectionReport(Outcome.CERTIFICATE, err.message, detail)
        if _cause_is(detail, _NOT_REACHED):
            return ConnectionReport(
                Outcome.UNREACHABLE,
                f"Could not reach {host}: nothing answered there. Check the server address "
                "(including any port number) and the internet connection.",
                detail,
            )
        return ConnectionReport(Outcome.UNREACHABLE, err.message, detail)
    if isinstance(err, RateLimited):
        wait = max(1, round(err.retry_after))
        return ConnectionReport(
            Outcome.RATE_LIMITED,
            f"{short} says too many requests were made with this key just now (the plan's "
            f"limit). The key was not refused: test again in about {wait} seconds.",
            detail,
        )
    if isinstance(err, UnexpectedAnswer | NotFound):
        hint = f" It normally looks like {example}" if example else ""
        return ConnectionReport(
            Outcome.NOT_CONTACTS_API,
            f"Something answered at {host}, but not the {short} Contacts API. Check the "
            f"server address.{hint}",
            detail,
        )
    if isinstance(err, ServerError):
        return ConnectionReport(Outcome.SERVER_PROBLEM, err.message, detail)
    if isinstance(err, ValidationFailed) and err.field == "base_url":
        return ConnectionReport(Outcome.BAD_ADDRESS, err.message, detail)
    return ConnectionReport(Outcome.OTHER, err.message, detail)
