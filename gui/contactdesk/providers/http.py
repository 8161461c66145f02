"""The one HTTP policy both provider clients use: timeouts, retries, pacing, TLS, redaction.

A client describes *what* to ask and how to read the answer (``interpret``); this module
decides *how* to ask: one keep-alive ``requests.Session`` per thread, a (connect, read)
timeout on every call, at most ``max_concurrency`` requests in flight, the account's
`RateLimiter` before every attempt, and retries only where a retry cannot do harm.

Retry rules (why they are what they are):
- An idempotent request (GET, PUT, DELETE, and Flexacore's read-only POSTs) is retried on
  transient errors: 5xx, 429, an unreadable body, a dropped connection.
- A request that is not idempotent (create) is retried only when nothing can have reached
  the server (the connection was never made) or the server refused it outright (429).
  If the connection broke after sending, the write may have been applied: we raise
  ``NetworkError(uncertain=True)`` and the client decides (e.g. look the phone up).
- A read timeout is not retried by default: a server that stayed silent for the whole
  read timeout rarely answers the second time, and the person is waiting.
- Redirects are not followed: ``requests`` would forward the ``X-API-Key`` header to
  wherever the redirect points, and a Laravel trailing-slash 301 turns a POST into a GET.
"""

from __future__ import annotations

import ipaddress
import json as jsonlib
import logging
import random
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
import truststore
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from requests.models import PreparedRequest
from requests.structures import CaseInsensitiveDict

from contactdesk import __version__
from contactdesk.core.errors import (
    InsecureURL,
    NetworkError,
    ProviderError,
    RateLimited,
    UnexpectedAnswer,
)
from contactdesk.providers.ratelimit import RateLimiter

__all__ = [
    "HttpAnswer",
    "HttpPolicy",
    "RateLimiter",
    "is_loopback",
    "retry_after_seconds",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

_MAYBE_SAVED = " It is not known whether the change was saved; it will be checked."

#: how much of an unreadable body we keep in ``detail`` for "copy details for support"
DETAIL_CHARS = 300


@dataclass(frozen=True)
class HttpAnswer:
    """One HTTP answer that arrived: status, headers (case-insensitive), parsed JSON body.

    ``body`` is ``None`` when the body is empty, not JSON or truncated; ``text`` is the raw
    text, for diagnostics (it never holds our key: the key only travels in request headers).
    """

    status: int
    headers: Mapping[str, str]
    body: Any
    text: str

    def snippet(self, limit: int = DETAIL_CHARS) -> str:
        """The start of the raw text, for an error's ``detail``."""
        text = " ".join(self.text.split())
        return text if len(text) <= limit else text[:limit] + "…"

    @property
    def looks_like_html(self) -> bool:
        ctype = self.headers.get("Content-Type", "")
        return "html" in ctype.lower() or self.text.lstrip()[:15].lower().startswith(
            ("<!doctype", "<html")
        )


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this computer (plain http is acceptable only there)."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def retry_after_seconds(headers: Mapping[str, str], default: float = 60.0) -> float:
    """Seconds a ``Retry-After`` header asks for (delta seconds or an HTTP date)."""
    raw = headers.get("Retry-After")
    if raw is None:
        return default
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


class _Redactor:
    """Removes the credentials from any text before it goes into a message or a log."""

    def __init__(self, auth_headers: Mapping[str, str]) -> None:
        secrets: set[str] = set()
        for value in auth_headers.values():
            if len(value) >= 4:
                secrets.add(value)
            # "Bearer <token>": the token alone may show up in text too
            tail = value.rsplit(" ", 1)[-1]
            if len(tail) >= 4:
                secrets.add(tail)
        # longest first, so a token inside "Bearer <token>" is not half-replaced
        self._secrets = sorted(secrets, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text


class _TrustStoreAdapter(HTTPAdapter):
    """Verifies TLS against the operating system's trust store (office root CAs work)."""

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        pool_kwargs["ssl_context"] = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        proxy_kwargs.setdefault("ssl_context", truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
        return super().proxy_manager_for(proxy, **proxy_kwargs)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        if verify is True and url.lower().startswith("https"):
            # the default would load certifi's bundle into our context; the OS store is the truth
            conn.cert_reqs = "CERT_REQUIRED"
            conn.ca_certs = None
            conn.ca_cert_dir = None
            return
        # the stubs leave cert_verify untyped
        base: Any = super()
        base.cert_verify(conn, url, verify, cert)


class _HeadersOnly(AuthBase):
    """Our credentials travel in explicit headers; this stops requests reading ~/.netrc.

    Without an ``auth``, a session that trusts the environment (needed for office proxy
    settings) looks the host up in ~/.netrc and would replace our Authorization header.
    """

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        return request


class _TransportFailure(Exception):
    """Internal: no answer arrived. ``sent`` says whether the request may have left us."""

    def __init__(self, error: NetworkError, *, sent: bool, retryable: bool) -> None:
        super().__init__(error.message)
        self.error = error
        self.sent = sent
        self.retryable = retryable


def _root_cause(exc: BaseException) -> BaseException:
    # requests wraps urllib3's MaxRetryError, which holds the real reason
    seen: set[int] = set()
    current: BaseException = exc
    while id(current) not in seen:
        seen.add(id(current))
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            current = reason
            continue
        if current.args and isinstance(current.args[0], BaseException):
            current = current.args[0]
            continue
        break
    return current


class HttpPolicy:
    """Sends requests to one base URL with the shared timeout, retry, pacing and TLS rules.

    Thread-safe: every thread gets its own keep-alive session; the limiter and the
    concurrency cap are shared. ``repr`` and every message leave the credentials out.
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth_headers: Mapping[str, str],
        limiter: RateLimiter,
        timeout: tuple[float, float] = (5.0, 30.0),
        max_attempts: int = 4,
        backoff: float = 0.5,
        backoff_cap: float = 8.0,
        retry_after_cap: float = 60.0,
        max_concurrency: int = 4,
        user_agent: str = f"ContactDesk/{__version__}",
        retry_timeouts: bool = False,
    ) -> None:
        parts = urlsplit(base_url.strip())
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        if scheme not in ("http", "https") or not host:
            raise InsecureURL(
                "This server address is not valid. It should start with https://",
                detail=f"scheme={scheme or '-'}",
            )
        if scheme == "http" and not is_loopback(host):
            raise InsecureURL(
                f"The address for {host} starts with http://, which would send the key "
                "unprotected. Use the https:// address instead."
            )
        self.base_url = base_url.strip().rstrip("/")
        self.host = parts.netloc.rsplit("@", 1)[-1]
        self.limiter = limiter
        self._auth_headers = dict(auth_headers)
        self._redact = _Redactor(auth_headers)
        self._timeout = timeout
        self._max_attempts = max(1, max_attempts)
        self._backoff = backoff
        self._backoff_cap = backoff_cap
        self._retry_after_cap = retry_after_cap
        self._retry_timeouts = retry_timeouts
        self._pool_size = max(1, max_concurrency)
        self._slots = threading.BoundedSemaphore(self._pool_size)
        self._user_agent = user_agent
        self._local = threading.local()
        self._lock = threading.Lock()
        self._sessions: list[requests.Session] = []
        self._generation = 0
        self._jitter = random.SystemRandom()

    def __repr__(self) -> str:
        return f"HttpPolicy({self.base_url!r})"

    # -- sessions ---------------------------------------------------------------

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is not None and self._local.generation == self._generation:
            return session
        session = requests.Session()
        size = self._pool_size
        session.mount("https://", _TrustStoreAdapter(pool_connections=2, pool_maxsize=size))
        session.mount("http://", HTTPAdapter(pool_connections=2, pool_maxsize=size))
        session.headers["User-Agent"] = self._user_agent
        session.headers["Accept"] = "application/json"
        with self._lock:
            self._sessions.append(session)
            self._local.generation = self._generation
        self._local.session = session
        return session

    @property
    def open_sessions(self) -> int:
        """How many thread sessions are open (one per thread that sent something)."""
        with self._lock:
            return len(self._sessions)

    def close(self) -> None:
        """Close every thread's session; a later request opens a fresh one."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
            self._generation += 1
        for session in sessions:
            session.close()

    # -- requests ---------------------------------------------------------------

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        interpret: Callable[[HttpAnswer], T],
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        idempotent: bool,
        headers: Mapping[str, str] | None = None,
    ) -> T:
        """Send, retry where safe, and return ``interpret(answer)``; raise a ProviderError."""
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= self._max_attempts
            self.limiter.acquire()
            try:
                answer = self._exchange(
                    method, path, json=json, params=params, headers=headers, idempotent=idempotent
                )
            except _TransportFailure as failure:
                may_retry = failure.retryable and (idempotent or not failure.sent)
                if last or not may_retry:
                    raise failure.error from None
                delay = self._backoff_delay(attempt)
                log.debug("%s %s: %s; retry %d in %.2f s", method, path, failure, attempt, delay)
                self.limiter.sleep(delay)
                continue
            self.limiter.observe(answer.headers)
            try:
                return self._interpret(interpret, answer)
            except RateLimited as err:
                # a 429 was refused before any work, so even a create may go again
                self.limiter.penalize(min(err.retry_after, self._retry_after_cap))
                if last or err.retry_after > self._retry_after_cap:
                    raise
                log.debug("%s %s: rate limited for %.1f s", method, path, err.retry_after)
            except ProviderError as err:
                if last or not (idempotent and err.transient):
                    raise
                delay = self._backoff_delay(attempt)
                if "Retry-After" in answer.headers:
                    wanted = retry_after_seconds(answer.headers, default=0.0)
                    delay = max(delay, min(wanted, self._retry_after_cap))
                kind = type(err).__name__
                log.debug("%s %s: %s; retry %d in %.2f s", method, path, kind, attempt, delay)
                self.limiter.sleep(delay)

    def _backoff_delay(self, attempt: int) -> float:
        # full jitter: spreads the retries of many clients instead of synchronising them
        ceiling = min(self._backoff_cap, self._backoff * (2 ** (attempt - 1)))
        return self._jitter.uniform(0.0, ceiling)

    def _interpret(self, interpret: Callable[[HttpAnswer], T], answer: HttpAnswer) -> T:
        try:
            return interpret(answer)
        except ProviderError:
            raise
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            # the server's answer had a shape the client did not expect
            log.warning("answer with an unexpected shape: %s", type(exc).__name__)
            raise UnexpectedAnswer(
                f"{self.host} sent an answer this app cannot read. Try again later.",
                detail=self._redact(answer.snippet()),
            ) from None

    def _exchange(
        self,
        method: str,
        path: str,
        *,
        json: Any,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        idempotent: bool,
    ) -> HttpAnswer:
        merged = dict(self._auth_headers)
        if headers:
            merged.update(headers)
        session = self._session()
        started = time.monotonic()
        with self._slots:
            try:
                response = session.request(
                    method,
                    self.url(path),
                    json=json,
                    params=params,
                    headers=merged,
                    auth=_HeadersOnly(),
                    timeout=self._timeout,
                    allow_redirects=False,
                )
                try:
                    content = response.content
                finally:
                    response.close()
            except requests.RequestException as exc:
                raise self._transport_failure(exc, method, path, idempotent) from None
        log.debug(
            "%s %s -> %d (%.0f ms)",
            method,
            path,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return self._answer(response, content)

    @staticmethod
    def _answer(response: requests.Response, content: bytes) -> HttpAnswer:
        body: Any = None
        if content.strip():
            try:
                body = jsonlib.loads(content)
            except ValueError:
                body = None  # HTML page, plain text, truncated JSON: interpret decides
        try:
            text = content.decode(response.encoding or "utf-8", errors="replace")
        except LookupError:
            text = content.decode("utf-8", errors="replace")
        headers: Mapping[str, str] = CaseInsensitiveDict(response.headers)
        return HttpAnswer(status=response.status_code, headers=headers, body=body, text=text)

    def _transport_failure(
        self, exc: requests.RequestException, method: str, path: str, idempotent: bool
    ) -> _TransportFailure:
        host = self.host
        cause = _root_cause(exc)
        detail = self._redact(f"{type(cause).__name__}: {cause}")[:DETAIL_CHARS]
        log.debug("%s %s: no answer (%s)", method, path, type(cause).__name__)
        # a request that reached the server may have changed something (GET never does; a POST the
        # caller calls idempotent is a read, like Flexacore's POST /all, /search and /show)
        write = not _is_safe_method(method) and not (method.upper() == "POST" and idempotent)
        if isinstance(exc, requests.exceptions.SSLError) or isinstance(cause, ssl.SSLError):
            message = (
                f"There is a certificate problem with {host}, so the connection is not safe "
                "and nothing was sent. If your office network inspects secure traffic, ask "
                "IT to install its certificate on this computer."
            )
            return _TransportFailure(
                NetworkError(message, detail=detail), sent=False, retryable=False
            )
        if isinstance(exc, requests.exceptions.ConnectTimeout) or isinstance(
            cause, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError
        ):
            message = f"Could not reach {host}. Check the internet connection."
            return _TransportFailure(
                NetworkError(message, detail=detail), sent=False, retryable=True
            )
        if isinstance(exc, requests.exceptions.ReadTimeout):
            message = f"{host} took too long to answer."
            if not idempotent:
                message += _MAYBE_SAVED
            return _TransportFailure(
                NetworkError(message, uncertain=write, detail=detail),
                sent=True,
                retryable=self._retry_timeouts,
            )
        if isinstance(
            exc,
            requests.exceptions.ConnectionError
            | requests.exceptions.ChunkedEncodingError
            | requests.exceptions.ContentDecodingError,
        ):
            message = f"The connection to {host} was interrupted before it answered."
            if not idempotent:
                message += _MAYBE_SAVED
            return _TransportFailure(
                NetworkError(message, uncertain=write, detail=detail), sent=True, retryable=True
            )
        message = f"Could not talk to {host}. Check the server address in account settings."
        return _TransportFailure(NetworkError(message, detail=detail), sent=False, retryable=False)


def _is_safe_method(method: str) -> bool:
    return method.upper() in ("GET", "HEAD", "OPTIONS")
