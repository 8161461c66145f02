"""Provider kinds as data: name, default address, key wording, and how to build a client.

The account dialog, the composition root and practice mode ask this module instead of
naming client classes. Client modules are imported only when first needed, so opening
the app does not pay for the provider it does not use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from contactdesk.core.models import ProviderKind
from contactdesk.core.schema import Capabilities, FieldSpec, RatePlan
from contactdesk.providers.base import Provider
from contactdesk.providers.ratelimit import RateLimiter

__all__ = [
    "ProviderInfo",
    "capabilities",
    "create_provider",
    "default_plan",
    "fields",
    "info",
    "kinds",
    "plan_named",
]

Timeout = tuple[float, float]


class _ProviderClass(Protocol):
    """What the registry reads from a client class: its declared capabilities and fields."""

    capabilities: Capabilities
    fields: Sequence[FieldSpec]


def _flexacore_class() -> type[_ProviderClass]:
    from contactdesk.providers.flexacore import FlexacoreClient

    return FlexacoreClient


def _textflow_class() -> type[_ProviderClass]:
    from contactdesk.providers.textflow import TextFlowClient

    return TextFlowClient


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    """One provider kind as the UI presents it.

    ``key_label``/``key_help`` word the key field of the account dialog the way the
    platform itself does ("API token" on Flexacore, "API key" on TextFlow).
    """

    kind: ProviderKind
    name: str
    default_base_url: str
    key_label: str
    key_help: str
    _load: Callable[[], type[_ProviderClass]]

    @property
    def capabilities(self) -> Capabilities:
        return self._load().capabilities

    @property
    def fields(self) -> Sequence[FieldSpec]:
        return self._load().fields


_KINDS: dict[ProviderKind, ProviderInfo] = {
    ProviderKind.FLEXACORE: ProviderInfo(
        kind=ProviderKind.FLEXACORE,
        name="Flexacore (Ultimate SMS)",
        default_base_url="https://one.flexacore.com/api/v3",
        key_label="API token",
        key_help="In Flexacore open Developers, generate a token and paste it here.",
        _load=_flexacore_class,
    ),
    ProviderKind.TEXTFLOW: ProviderInfo(
        kind=ProviderKind.TEXTFLOW,
        name="TextFlow",
        default_base_url="https://textflow.telair.net/api",
        key_label="API key",
        key_help="In TextFlow open the API settings and copy the key that starts with sk_live_.",
        _load=_textflow_class,
    ),
}


def kinds() -> tuple[ProviderKind, ...]:
    """Every provider kind, in the order the account dialog lists them."""
    return tuple(_KINDS)


def info(kind: ProviderKind | str) -> ProviderInfo:
    """The description of ``kind`` (accepts the stored text form, e.g. ``"textflow"``)."""
    return _KINDS[ProviderKind(kind)]


def capabilities(kind: ProviderKind | str) -> Capabilities:
    return info(kind).capabilities


def fields(kind: ProviderKind | str) -> Sequence[FieldSpec]:
    return info(kind).fields


def default_plan(kind: ProviderKind | str) -> RatePlan | None:
    """The plan to pace by until the person picks one: the most cautious one listed first."""
    plans = capabilities(kind).rate_plans
    return plans[0] if plans else None


def plan_named(kind: ProviderKind | str, name: str | None) -> RatePlan | None:
    """The plan of ``kind`` called ``name`` (as stored in the account), else the default."""
    for plan in capabilities(kind).rate_plans:
        if name is not None and plan.name.casefold() == name.strip().casefold():
            return plan
    return default_plan(kind)


def create_provider(
    kind: ProviderKind | str,
    key: str,
    *,
    base_url: str | None = None,
    plan: RatePlan | None = None,
    limiter: RateLimiter | None = None,
    timeout: Timeout = (5.0, 30.0),
    **options: Any,
) -> Provider:
    """A connected client for ``kind``; ``base_url`` defaults to the platform's own.

    Pass the account's shared ``limiter`` so every client of one key shares its budget;
    ``options`` go to the client (e.g. ``sending_server`` for Flexacore).
    """
    entry = info(kind)
    # every client takes (base_url, key, *, plan, limiter, timeout, **options)
    client_class = cast("Callable[..., Provider]", entry._load())
    return client_class(
        base_url or entry.default_base_url,
        key,
        plan=plan if plan is not None or limiter is not None else default_plan(kind),
        limiter=limiter,
        timeout=timeout,
        **options,
    )
