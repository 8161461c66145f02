"""Shared pieces of the Flexacore client tests: a fake clock and two deployment wrappers.

The wrappers are not mocks of our code: they change how the *simulated server* is
deployed (under a path prefix) or which build it behaves like (an older libphonenumber),
and pass everything else through to the real simulator over real HTTP.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from contactdesk.providers.flexacore import FlexacoreClient
from contactdesk.providers.ratelimit import RateLimiter
from contactdesk.sandbox.flexacore import FlexacoreConfig, FlexacoreSim
from contactdesk.sandbox.server import SandboxServer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

#: a short read timeout so a hung read ends the test quickly
FAST_TIMEOUT = (2.0, 1.0)


class FakeClock:
    """Time for both the simulator's throttle window and our limiter: sleeping advances it."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def time(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self._now += max(0.0, seconds)
            self.slept.append(seconds)


class Prefixed:
    """The simulator installed below a path prefix (Ultimate SMS in a sub-folder)."""

    def __init__(self, sim: FlexacoreSim, prefix: str) -> None:
        self.sim = sim
        self.prefix = prefix

    def _strip(self, environ: WSGIEnvironment) -> bool:
        path = str(environ.get("PATH_INFO", ""))
        if not path.startswith(self.prefix + "/"):
            return False
        environ["PATH_INFO"] = path[len(self.prefix) :]
        return True

    def wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not self._strip(environ):
            return Response("<html>Not Found</html>", 404, content_type="text/html")(
                environ, start_response
            )
        return self.sim.wsgi(environ, start_response)

    def is_write(self, environ: WSGIEnvironment) -> bool:
        inner = dict(environ)
        return self._strip(inner) and self.sim.is_write(inner)

    def admin(self, request: Request) -> Response | None:
        return self.sim.admin(request)


class OldPhoneLibrary:
    """A server whose libphonenumber cannot read the numbers in ``unreadable``.

    Ultimate SMS 3.1.0 saves the contact first and parses the phone afterwards, so such a
    server answers "Could not interpret numbers after plus-sign." for a row it has saved.
    """

    def __init__(self, sim: FlexacoreSim, unreadable: set[str]) -> None:
        self.sim = sim
        self.unreadable = unreadable

    def wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        raw = Request(environ).get_data()
        # the simulator reads the body again: give it a fresh stream
        environ["wsgi.input"] = io.BytesIO(raw)
        environ["CONTENT_LENGTH"] = str(len(raw))
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = None
        if not (
            str(environ.get("PATH_INFO", "")).endswith("/store")
            and isinstance(payload, dict)
            and payload.get("phone") in self.unreadable
        ):
            return self.sim.wsgi(environ, start_response)
        captured: list[str] = []

        def keep(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> object:
            captured.append(status)
            return lambda _data: None

        body = b"".join(self.sim.wsgi(environ, keep))  # type: ignore[arg-type]
        assert captured[0].startswith("200")
        assert b'"success"' in body
        error = b'{"status":"error","message":"Could not interpret numbers after plus-sign."}'
        return Response(error, 200, content_type="application/json")(environ, start_response)

    def is_write(self, environ: WSGIEnvironment) -> bool:
        return self.sim.is_write(environ)

    def admin(self, request: Request) -> Response | None:
        return self.sim.admin(request)


@contextmanager
def running(
    config: FlexacoreConfig | None = None,
) -> Iterator[tuple[FlexacoreSim, SandboxServer]]:
    """A small-preset simulator on 127.0.0.1, stopped afterwards."""
    sim = FlexacoreSim(config if config is not None else FlexacoreConfig.preset("small"))
    server = SandboxServer(sim).start()
    try:
        yield sim, server
    finally:
        server.stop()


def client_for(
    server: SandboxServer,
    token: str,
    *,
    sending_server: int | None = 1,
    limiter: RateLimiter | None = None,
    timeout: tuple[float, float] = FAST_TIMEOUT,
) -> FlexacoreClient:
    return FlexacoreClient(
        server.root_url + "/api/v3",
        token,
        sending_server=sending_server,
        limiter=limiter,
        timeout=timeout,
    )
