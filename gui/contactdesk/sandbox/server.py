"""A threaded werkzeug HTTP server on 127.0.0.1 with fault injection, shared by both simulators.

A simulator is a plain WSGI application plus a way to tell writes from reads
(Flexacore reads are POSTs, so the HTTP verb alone cannot tell). The server wraps it in
`FaultInjector`, which can add latency, answer 500/502/503, reset the connection before
or after a write is applied, hang a read, truncate a body, answer non-JSON or an HTML
proxy page. Faults are off by default and set from Python (`SandboxServer.faults`) or
over HTTP at ``/__sandbox__/faults`` (a path the real APIs do not have).
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import socket
import struct
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, Protocol

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

ADMIN_PREFIX = "/__sandbox__"

HTML_PROXY_PAGE = (
    "<html><head><title>502 Bad Gateway</title></head>"
    "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)


@dataclass
class FaultPlan:
    """Which faults to inject. Rates are shares of matching requests, 0.0 to 1.0.

    ``limit`` caps how many faults fire in total (``None``: no cap), so a test can say
    "the next write is reset after it is applied, then behave" with rate 1.0 and limit 1.
    """

    latency: float = 0.0  # seconds added to every answer
    latency_jitter: float = 0.0  # up to this many seconds more, at random
    error_rate: float = 0.0  # answer 500/502/503 without touching state
    reset_before_write: float = 0.0  # drop the connection before the write is applied
    reset_after_write: float = 0.0  # apply the write, then drop the connection unanswered
    hang_rate: float = 0.0  # reads only: never answer (until the client gives up)
    truncate_rate: float = 0.0  # send only the first half of the body
    non_json_rate: float = 0.0  # answer 200 with a body that is not JSON
    html_proxy_rate: float = 0.0  # answer 502 with a proxy's HTML page
    limit: int | None = None
    seed: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultPlan:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        return cls(**data)


class WriteClassifier(Protocol):
    def __call__(self, environ: WSGIEnvironment) -> bool: ...


@dataclass
class FaultStats:
    """What the injector did, for tests and the admin path."""

    requests: int = 0
    injected: int = 0
    by_kind: dict[str, int] | None = None

    def count(self, kind: str) -> None:
        self.injected += 1
        if self.by_kind is None:
            self.by_kind = {}
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1


class _Dropped(ConnectionResetError):
    """Raised after we reset a connection on purpose; werkzeug treats it as a drop."""


def _reset_connection(environ: WSGIEnvironment) -> None:
    sock: socket.socket | None = environ.get("werkzeug.socket")
    if sock is not None:
        # linger 0 turns the close into a TCP RST, like a proxy or NAT dropping the flow
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    raise _Dropped("connection reset by the sandbox fault injector")


class FaultInjector:
    """WSGI middleware that applies a `FaultPlan` to every non-admin request."""

    def __init__(
        self,
        app: WSGIApplication,
        is_write: WriteClassifier,
        stopping: threading.Event,
        admin: Callable[[Request], Response | None] | None = None,
    ) -> None:
        self.app = app
        self.is_write = is_write
        self.plan = FaultPlan()
        self.stats = FaultStats()
        self._stopping = stopping
        self._admin = admin
        self._lock = threading.Lock()
        self._rng = random.Random(0)

    def set_plan(self, plan: FaultPlan) -> None:
        with self._lock:
            self.plan = plan
            self.stats = FaultStats()  # ``limit`` counts the faults of this plan only
            self._rng = random.Random(plan.seed)

    def _roll(self, rate: float, kind: str) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            if self.plan.limit is not None and self.stats.injected >= self.plan.limit:
                return False
            hit = rate >= 1.0 or self._rng.random() < rate
            if hit:
                self.stats.count(kind)
            return hit

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        if path.startswith(ADMIN_PREFIX):
            return self._serve_admin(environ, start_response)
        with self._lock:
            self.stats.requests += 1
            plan = self.plan
            jitter = self._rng.random() * plan.latency_jitter if plan.latency_jitter else 0.0
        if plan.latency or jitter:
            self._stopping.wait(plan.latency + jitter)
        write = self.is_write(environ)
        if self._roll(plan.error_rate, "error"):
            status = self._rng.choice((500, 502, 503))
            body = json.dumps({"message": "Server Error"}).encode()
            return _send(start_response, status, body, "application/json")
        if self._roll(plan.html_proxy_rate, "html_proxy"):
            return _send(start_response, 502, HTML_PROXY_PAGE.encode(), "text/html")
        if write and self._roll(plan.reset_before_write, "reset_before_write"):
            _reset_connection(environ)
        if not write and self._roll(plan.hang_rate, "hang"):
            # never answer: wait until the client gives up (we notice the server stopping)
            self._stopping.wait(600)
            _reset_connection(environ)
        # run the real application and capture its answer
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"] = status
            captured["headers"] = headers
            return lambda _data: None

        body_iter = self.app(environ, capture)
        try:
            body = b"".join(body_iter)
        finally:
            close = getattr(body_iter, "close", None)
            if close is not None:
                close()
        if write and self._roll(plan.reset_after_write, "reset_after_write"):
            _reset_connection(environ)
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        if self._roll(plan.truncate_rate, "truncate"):
            body = body[: max(1, len(body) // 2)]
        elif self._roll(plan.non_json_rate, "non_json"):
            body = b"OK<br>Service temporarily degraded"
            headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
            headers.append(("Content-Type", "text/plain; charset=utf-8"))
        headers.append(("Content-Length", str(len(body))))
        start_response(captured["status"], headers)
        return [body]

    def _serve_admin(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        request = Request(environ)
        sub = request.path[len(ADMIN_PREFIX) :]
        if sub == "/faults":
            if request.method in ("POST", "PUT"):
                data = request.get_json(force=True, silent=True)
                try:
                    if not isinstance(data, dict):
                        raise TypeError("send a JSON object of fault settings")
                    self.set_plan(FaultPlan.from_json(data))
                except (ValueError, TypeError) as exc:
                    return Response(
                        json.dumps({"error": str(exc)}), 400, mimetype="application/json"
                    )(environ, start_response)
            elif request.method == "DELETE":
                self.set_plan(FaultPlan())
            payload = {"plan": asdict(self.plan), "stats": asdict(self.stats)}
            return Response(json.dumps(payload), mimetype="application/json")(
                environ, start_response
            )
        if self._admin is not None:
            response = self._admin(request)
            if response is not None:
                return response(environ, start_response)
        return Response(
            json.dumps({"error": "unknown admin path"}), 404, mimetype="application/json"
        )(environ, start_response)


def _send(start_response: StartResponse, status: int, body: bytes, ctype: str) -> list[bytes]:
    reason = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
    start_response(
        f"{status} {reason.get(status, 'Error')}",
        [("Content-Type", ctype), ("Content-Length", str(len(body)))],
    )
    return [body]


class _QuietHandler(WSGIRequestHandler):
    """Request handler that closes the connection after an injected drop and logs at DEBUG."""

    def connection_dropped(
        self, error: BaseException, environ: WSGIEnvironment | None = None
    ) -> None:
        self.close_connection = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s -> %s", self.command, self.path.split("?")[0], code)

    def log_error(self, format: str, *args: Any) -> None:
        log.debug("sandbox: %s", format % args)


class SandboxApp(Protocol):
    """What a simulator offers the server."""

    def wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]: ...
    def is_write(self, environ: WSGIEnvironment) -> bool: ...
    def admin(self, request: Request) -> Response | None: ...


class SandboxServer:
    """Runs one simulator on 127.0.0.1 on a port the OS picks, in a daemon thread.

    Usable as a context manager. ``base_url`` is what a client is configured with
    (each simulator documents the suffix it expects, e.g. ``/api/v3``).
    """

    def __init__(self, app: SandboxApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._stopping = threading.Event()
        self.injector = FaultInjector(app.wsgi, app.is_write, self._stopping, app.admin)
        self._server: BaseWSGIServer = make_server(
            host, port, self.injector, threaded=True, request_handler=_QuietHandler
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def faults(self) -> FaultPlan:
        return self.injector.plan

    @faults.setter
    def faults(self, plan: FaultPlan) -> None:
        self.injector.set_plan(plan)

    def clear_faults(self) -> None:
        self.injector.set_plan(FaultPlan())

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() answers in ~50 ms, not the default 0.5 s
            name=f"sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is None:  # never started: shutdown() would wait for a loop that never ran
            self._server.server_close()
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
