"""A started TextFlow simulator and a requests session that speaks to it, for one test."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from contactdesk.sandbox.server import SandboxServer
from contactdesk.sandbox.textflow import TextFlowSim

# 2026-01-01T00:00:15Z: a quarter of the way into a rate-limit window, so Retry-After is 45
T0 = 1_767_225_615.0
WINDOW_START = 1_767_225_600
_DEFAULT = object()


@dataclass
class TextFlowHarness:
    """One simulator behind a real HTTP server, and a session that uses the practice key.

    ``call`` sends the practice key unless ``key=None`` (no header) or another key is given.
    """

    sim: TextFlowSim
    server: SandboxServer
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def base_url(self) -> str:
        return self.server.root_url + "/api"

    @property
    def key(self) -> str:
        return self.sim.api_key

    def url(self, path: str = "") -> str:
        return f"{self.base_url}/v1/contacts{path}"

    def call(
        self, method: str, path: str = "", *, key: Any = _DEFAULT, **kwargs: Any
    ) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if key is _DEFAULT:
            key = self.key
        if key is not None:
            headers["X-API-Key"] = key
        kwargs.setdefault("timeout", 5)
        return self.session.request(method, self.url(path), headers=headers, **kwargs)

    def get(self, path: str = "", **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str = "", **kwargs: Any) -> requests.Response:
        return self.call("POST", path, **kwargs)

    def put(self, path: str = "", **kwargs: Any) -> requests.Response:
        return self.call("PUT", path, **kwargs)

    def delete(self, path: str = "", **kwargs: Any) -> requests.Response:
        return self.call("DELETE", path, **kwargs)

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 5)
        return self.session.request(method, f"{self.server.root_url}/__sandbox__/{path}", **kwargs)

    def all_pages(self, **params: Any) -> list[dict[str, Any]]:
        """Every contact the list endpoint returns for ``params``, page after page."""
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self.get(params={**params, "page": page, "limit": 100}).json()
            out += body["data"]
            if page >= body["pagination"]["pages"]:
                return out
            page += 1

    def close(self) -> None:
        self.session.close()
        self.server.stop()
