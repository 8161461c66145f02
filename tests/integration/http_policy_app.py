"""A tiny WSGI app for testing the HTTP policy over real HTTP, behind the sandbox server.

Not a test module: `SandboxServer` wraps it in the fault injector, so every fault the
simulators get (resets, hangs, truncation, HTML proxy pages) is available here too.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


@dataclass
class Scripted:
    """One canned answer for a path, served once before the default behaviour.

    ``status`` 0 means: drop the connection (TCP reset) instead of answering, which the
    sandbox's fault injector only does for writes.
    """

    status: int
    body: str = "{}"
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


class EchoApp:
    """Echoes what it received; ``/items`` creates; canned answers can be queued per path."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.seen: list[dict[str, Any]] = []
        self.scripts: dict[str, list[Scripted]] = {}
        self.extra_headers: dict[str, str] = {}
        self.in_flight = 0
        self.max_in_flight = 0

    def script(self, path: str, *answers: Scripted) -> None:
        with self.lock:
            self.scripts.setdefault(path, []).extend(answers)

    def wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.seen.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "port": environ.get("REMOTE_PORT"),
                    "headers": dict(request.headers),
                }
            )
            queue = self.scripts.get(request.path)
            canned = queue.pop(0) if queue else None
        try:
            response = self._answer(request, canned)
        finally:
            with self.lock:
                self.in_flight -= 1
        for key, value in self.extra_headers.items():
            response.headers[key] = value
        return response(environ, start_response)

    def _answer(self, request: Request, canned: Scripted | None) -> Response:
        if canned is not None and canned.status == 0:
            _reset(request.environ)
        if canned is not None:
            return Response(
                canned.body,
                canned.status,
                headers=canned.headers,
                content_type=canned.content_type,
            )
        if request.path == "/items" and request.method == "POST":
            with self.lock:
                item = {"id": len(self.items) + 1, **(request.get_json(silent=True) or {})}
                self.items.append(item)
            return _json(item, 201)
        if request.path.startswith("/items/") and request.method == "PUT":
            return _json({"updated": request.path.rsplit("/", 1)[-1]})
        return _json(
            {
                "method": request.method,
                "path": request.path,
                "args": dict(request.args),
                "port": request.environ.get("REMOTE_PORT"),
            }
        )

    def is_write(self, environ: WSGIEnvironment) -> bool:
        return str(environ.get("REQUEST_METHOD", "GET")) in {"POST", "PUT", "PATCH", "DELETE"}

    def admin(self, request: Request) -> Response | None:
        return None


def _reset(environ: WSGIEnvironment) -> None:
    sock: socket.socket | None = environ.get("werkzeug.socket")
    if sock is not None:
        # linger 0 turns the close into a TCP RST
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    raise ConnectionResetError("reset by the test app")


def _json(payload: object, status: int = 200) -> Response:
    return Response(json.dumps(payload), status, content_type="application/json")
