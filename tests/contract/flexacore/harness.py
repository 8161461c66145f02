"""A Flexacore simulator behind real HTTP, a fake clock, and a requests session that uses it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import requests

from contactdesk.sandbox.flexacore import FlexacoreConfig, FlexacoreSim
from contactdesk.sandbox.server import SandboxServer

# 2026-01-01T00:00:00Z: well after the seeded data (2022), so new uids sort after old ones
T0 = 1_767_225_600.0
DEFAULT = object()
JSON = {"Accept": "application/json"}
PERMISSION_403 = "Sorry, but you do not have permissions to access this page."
INVALID = "The given data was invalid."
UNAUTHENTICATED = "Unauthenticated."
GROUP_MODEL = "App\\Models\\ContactGroups"
CONTACT_MODEL = "App\\Models\\Contacts"


class FakeClock:
    """Epoch seconds that only move when a test says so (``advance``); never sleeps."""

    def __init__(self, start: float = T0) -> None:
        self._lock = threading.Lock()
        self._now = start

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def set(self, value: float) -> None:
        with self._lock:
            self._now = value


def small_config(clock: FakeClock, **changes: Any) -> FlexacoreConfig:
    """The "small" preset (3 groups of 5/30/60 contacts) on the fake clock."""
    return FlexacoreConfig.preset("small", clock=clock, **changes)


@dataclass
class Flexa:
    """One simulator, its server and a session that sends the practice key and JSON Accept.

    ``call`` sends the practice key unless ``token=None`` (no header) or another is given,
    and ``Accept: application/json`` unless ``accept=False`` (requests then sends */*).
    """

    sim: FlexacoreSim
    server: SandboxServer
    clock: FakeClock
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def root(self) -> str:
        return self.server.root_url

    @property
    def base_url(self) -> str:
        return self.server.root_url + "/api/v3"

    @property
    def groups(self) -> list[str]:
        return self.sim.group_uids()

    def url(self, path: str) -> str:
        return self.base_url + path

    def call(
        self,
        method: str,
        path: str,
        *,
        token: Any = DEFAULT,
        accept: bool = True,
        **kwargs: Any,
    ) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if accept:
            headers.setdefault("Accept", "application/json")
        if token is DEFAULT:
            token = self.sim.token
        if token is not None:
            headers.setdefault("Authorization", f"Bearer {token}")
        kwargs.setdefault("timeout", 5)
        kwargs.setdefault("allow_redirects", False)
        return self.session.request(method, self.url(path), headers=headers, **kwargs)

    def body(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """The JSON body of an HTTP 200 answer (most Flexacore errors are HTTP 200 too)."""
        response = self.call(method, path, **kwargs)
        assert response.status_code == 200, (response.status_code, response.text[:300])
        assert response.headers["Content-Type"].startswith("application/json")
        data = response.json()
        assert isinstance(data, dict)
        return data

    def admin(self, method: str, sub: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 5)
        return self.session.request(method, f"{self.root}/__sandbox__/{sub}", **kwargs)

    def first_contact(self, group_uid: str) -> str:
        return self.sim.contacts_in(group_uid)[0].uid


def error(message: str) -> dict[str, Any]:
    """The HANDLER's exception envelope: no ``data`` key."""
    return {"status": "error", "message": message}


def api_error(message: str) -> dict[str, Any]:
    """ApiResponser's error envelope (sent with a real 403/404)."""
    return {"status": "error", "message": message, "data": None}
