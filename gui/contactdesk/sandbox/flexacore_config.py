"""Settings of the Flexacore (Ultimate SMS 3.1.0) simulator, with named size presets.

Everything that differs between Ultimate SMS builds or deployments (throttling, the
libphonenumber step, `sending_server` on group update, pagination labels, the
trailing-slash redirect of the stock ``.htaccess``) is a setting here, so tests and
practice mode can pick the behaviour they need (spec §10, §11).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: the eight contact/group permissions `config/customer-permissions.php` grants by default
ALL_PERMISSIONS: frozenset[str] = frozenset(
    {
        "view_contact_group",
        "create_contact_group",
        "update_contact_group",
        "delete_contact_group",
        "view_contact",
        "create_contact",
        "update_contact",
        "delete_contact",
    }
)

#: contacts per group of the main customer, by preset name
PRESETS: dict[str, tuple[int, ...]] = {
    "default": (40, 400, 2500),
    "small": (5, 30, 60),
    "large": (500, 9_500, 90_000),
}

#: Sanctum's default `stateful` domains; the server's own host is added per request
DEFAULT_STATEFUL = ("localhost", "localhost:3000", "127.0.0.1", "127.0.0.1:8000", "::1")


@dataclass(frozen=True)
class FlexacoreConfig:
    """How the simulated server behaves and what data it starts with.

    ``clock`` returns epoch seconds; it drives timestamps, uids and the throttle window, so
    a test can inject a fake clock and advance time without sleeping.
    """

    seed: int = 0
    #: contacts per group of the main customer (one group per entry)
    group_sizes: tuple[int, ...] = PRESETS["default"]
    #: contacts in the second customer's only group (shows that binding is unscoped)
    other_group_size: int = 3
    #: share of contacts marked "unsubscribe" in every group but the first
    unsubscribed_share: float = 0.04
    regions: tuple[str, ...] = ("BD", "GB", "NG", "US")
    #: None: no rate limit (3.1.0); N: 3.0.1's `throttle:api` with N requests per minute per IP
    throttle_per_minute: int | None = None
    #: run 3.1.0's libphonenumber parse after a contact is stored
    phone_check: bool = True
    #: 3.1.0 requires `sending_server` on group update
    sending_server_required: bool = True
    #: ids that exist in `sending_servers` (any other id fails the foreign key)
    sending_server_ids: frozenset[int] = frozenset({1, 2})
    previous_label: str = "pagination.previous"
    next_label: str = "pagination.next"
    #: the real server resolves any customer's group; True limits binding to the caller's
    strict_ownership: bool = False
    #: abilities of the practice token (a snapshot, as Sanctum takes at minting)
    token_abilities: frozenset[str] = ALL_PERMISSIONS
    #: the main customer's live Gate permissions (checked by the FormRequests)
    permissions: frozenset[str] = ALL_PERMISSIONS
    #: PHP major version, for the wording of PHP warnings turned into errors
    php_major: int = 8
    #: the stock `public/.htaccess` 301-redirects paths that end in a slash
    redirect_trailing_slash: bool = True
    stateful_domains: tuple[str, ...] = DEFAULT_STATEFUL
    clock: Callable[[], float] = field(default=time.time, compare=False, repr=False)

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> FlexacoreConfig:
        """A config with the group sizes of preset ``name`` ("default", "small", "large")."""
        try:
            sizes = PRESETS[name]
        except KeyError:
            raise ValueError(f"unknown preset {name!r}; known: {sorted(PRESETS)}") from None
        return cls(group_sizes=sizes, **overrides)

    def with_changes(self, **changes: Any) -> FlexacoreConfig:
        return dataclasses.replace(self, **changes)


#: settings that may be changed on a running simulator (over the admin path too)
RUNTIME_SETTINGS = (
    "throttle_per_minute",
    "phone_check",
    "sending_server_required",
    "previous_label",
    "next_label",
    "strict_ownership",
    "php_major",
    "redirect_trailing_slash",
)
