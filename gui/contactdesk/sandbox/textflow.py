"""The TextFlow "Contacts API v1" practice simulator.

Serve it with ``SandboxServer(TextFlowSim(TextFlowConfig(preset="small"))).start()``; a
client's base URL is ``server.root_url + "/api"`` and the endpoints live under
``/v1/contacts``, as in the public doc. Behaviour follows
``shared/spec/textflow-v1-contract.md``, including every [sim] choice; the simulator's
own additions (admin hooks, Python helpers) are for tests and practice only.

Admin hooks (under ``/__sandbox__``, never rate limited, no key needed):
``GET state``, ``POST reset``, ``POST|DELETE opt-out/<id>``, ``POST clock {"advance": s}``,
``POST settings {"rate_limit_headers": bool, "tags_match": "any"|"all"}``; ``faults`` is
handled by the server itself.
"""

from __future__ import annotations

import json
import random
import string
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from contactdesk.sandbox.textflow_limits import (
    ApiKeySpec,
    KeyUsage,
    RateDecision,
    RateLimiter,
    SimClock,
)
from contactdesk.sandbox.textflow_records import (
    WRITABLE,
    ApiError,
    ContactRecord,
    parse_changes,
)
from contactdesk.sandbox.textflow_store import ContactStore, practice_records

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

PRESETS: dict[str, int] = {"small": 120, "default": 5000, "large": 100_000}
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
TagsMatch = Literal["any", "all"]
SNAKE_TO_WIRE = {attr: wire for wire, attr in WRITABLE.items()} | {"phone_number": "phoneNumber"}


def practice_key(seed: int) -> str:
    """The practice key for ``seed``: ``sk_test_`` and 32 letters/digits, the same every run."""
    rng = random.Random(f"textflow-key:{seed}")
    return "sk_test_" + "".join(rng.choices(string.ascii_letters + string.digits, k=32))


@dataclass(frozen=True)
class TextFlowConfig:
    """How to build a TextFlow simulator.

    ``count`` overrides the preset's size. The practice key (see `practice_key`) is always
    present, on ``practice_plan`` / ``practice_per_minute`` (``None``: not rate limited);
    ``keys`` adds more, each with its own plan, limits and switches. ``clock`` is shared
    with the caller so tests can advance time; by default it is the wall clock.
    """

    preset: str = "default"
    seed: int = 7
    count: int | None = None
    practice_plan: str = "Marketer"
    practice_per_minute: int | None = 300
    keys: tuple[ApiKeySpec, ...] = ()
    rate_limit_headers: bool = True
    tags_match: TagsMatch = "any"
    clock: SimClock | None = None
    opted_out_share: float = 0.03

    @property
    def size(self) -> int:
        if self.count is not None:
            return self.count
        if self.preset not in PRESETS:
            raise ValueError(f"unknown preset {self.preset!r}; pick one of {sorted(PRESETS)}")
        return PRESETS[self.preset]


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        headers=headers,
        content_type="application/json; charset=utf-8",
    )


def _helper_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Request-body names for a helper's keyword arguments, in either spelling.

    An unknown name is an error here (the API ignores it), so a typo in a test cannot
    silently make a no-op "colleague's change".
    """
    out: dict[str, Any] = {}
    for name, value in fields.items():
        wire = SNAKE_TO_WIRE.get(name, name)
        if wire not in WRITABLE:
            raise TypeError(f"not a writable contact field: {name}")
        out[wire] = value
    return out


def _int_param(raw: str | None, default: int) -> int:
    # [sim] a missing, non-numeric or below-1 value falls back to the default, no error
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        return default
    return value if value >= 1 else default


class TextFlowSim:
    """A WSGI app that behaves like TextFlow's Contacts API v1 (`SandboxApp` protocol).

    Thread-safe: one lock covers the contacts, keys and rate-limit counters. Settings
    ``rate_limit_headers`` and ``tags_match`` may be changed while it runs.
    """

    def __init__(self, config: TextFlowConfig | None = None) -> None:
        self.config = config or TextFlowConfig()
        self.clock = self.config.clock or SimClock()
        self.api_key = practice_key(self.config.seed)
        self._lock = threading.RLock()
        self.rate_limit_headers = self.config.rate_limit_headers
        self.tags_match: TagsMatch = self.config.tags_match
        self._routes = Map(
            [
                Rule("/api/v1/contacts", methods=["GET"], endpoint="list"),
                Rule("/api/v1/contacts", methods=["POST"], endpoint="create"),
                Rule("/api/v1/contacts/<ref>", methods=["GET"], endpoint="get"),
                Rule("/api/v1/contacts/<ref>", methods=["PUT"], endpoint="update"),
                Rule("/api/v1/contacts/<ref>", methods=["DELETE"], endpoint="delete"),
            ]
        )
        self._admin_routes = Map(
            [
                Rule("/__sandbox__/state", methods=["GET"], endpoint="state"),
                Rule("/__sandbox__/reset", methods=["POST"], endpoint="reset"),
                Rule("/__sandbox__/opt-out/<int:cid>", methods=["POST", "DELETE"], endpoint="opt"),
                Rule("/__sandbox__/clock", methods=["GET", "POST"], endpoint="clock"),
                Rule("/__sandbox__/settings", methods=["GET", "POST"], endpoint="settings"),
            ]
        )
        self.reset()

    # ---- state

    def reset(self) -> None:
        """Back to the seeded practice data, keys and settings; counters cleared.

        The clock is left alone: time never runs backwards.
        """
        now = int(self.clock.now())
        records = practice_records(
            self.config.size,
            seed=self.config.seed,
            now=now,
            opted_out_share=self.config.opted_out_share,
        )
        practice = ApiKeySpec(
            self.api_key, self.config.practice_plan, self.config.practice_per_minute
        )
        with self._lock:
            self._store = ContactStore(records)
            self._keys = {spec.key: spec for spec in (practice, *self.config.keys)}
            self._limiter = RateLimiter(self.clock)
            self._uuid_rng = random.Random(f"textflow-uuid:{self.config.seed}")
            self.rate_limit_headers = self.config.rate_limit_headers
            self.tags_match = self.config.tags_match

    def _now(self) -> int:
        return int(self.clock.now())

    # ---- SandboxApp

    def is_write(self, environ: WSGIEnvironment) -> bool:
        return environ.get("REQUEST_METHOD", "GET") in {"POST", "PUT", "PATCH", "DELETE"}

    def wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        return self._handle(request)(environ, start_response)

    def _handle(self, request: Request) -> Response:
        adapter = self._routes.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except MethodNotAllowed as exc:
            error = ApiError("METHOD_NOT_ALLOWED")
            return _json(error.status, error.body(), {"Allow": ", ".join(exc.valid_methods or [])})
        except HTTPException:
            return _json(404, ApiError("NOT_FOUND").body())
        # read the body before taking the lock: a slow client must not stall everyone
        raw = request.get_data(cache=True)
        headers: dict[str, str] = {}
        with self._lock:
            try:
                spec = self._authenticate(request)
                decision = self._limiter.hit(spec.key, spec.per_minute)
                headers = self._rate_headers(decision)
                if not decision.allowed:
                    raise ApiError("RATE_LIMIT_EXCEEDED")
                status, body = self._dispatch(endpoint, args, request, raw, spec)
            except ApiError as exc:
                status, body = exc.status, exc.body()
        return _json(status, body, headers)

    def _rate_headers(self, decision: RateDecision) -> dict[str, str]:
        return decision.headers() if self.rate_limit_headers else {}

    def _authenticate(self, request: Request) -> ApiKeySpec:
        key = request.headers.get("X-API-Key", "").strip()
        if not key:
            raise ApiError("API_KEY_REQUIRED")
        spec = self._keys.get(key)
        if spec is None or not spec.active:
            raise ApiError("INVALID_API_KEY")
        if not spec.api_access:
            raise ApiError("API_ACCESS_DISABLED")
        return spec

    def _dispatch(
        self, endpoint: str, args: Mapping[str, Any], request: Request, raw: bytes, spec: ApiKeySpec
    ) -> tuple[int, dict[str, Any]]:
        if endpoint == "list":
            return 200, self._list(request)
        if endpoint == "create":
            changes = parse_changes(self._body(request, raw), creating=True)
            record = self._store.create(
                changes,
                now=self._now(),
                new_uuid=str(uuid.UUID(int=self._uuid_rng.getrandbits(128), version=4)),
                contact_limit=spec.contact_limit,
            )
            message = "Contact created successfully"
            return 201, {
                "success": True,
                "message": message,
                "data": record.to_wire(with_opt_out=False),
            }
        record = self._store.find(args["ref"])
        if endpoint == "get":
            return 200, {"success": True, "data": record.to_wire()}
        if endpoint == "update":
            changes = parse_changes(self._body(request, raw), creating=False)
            self._store.update(record, changes, now=self._now())
            message = "Contact updated successfully"
            return 200, {
                "success": True,
                "message": message,
                "data": record.to_wire(with_opt_out=False),
            }
        self._store.delete(record, now=self._now())
        return 200, {"success": True, "message": "Contact deleted successfully"}

    @staticmethod
    def _body(request: Request, raw: bytes) -> object:
        # [sim] like an Express json() parser: a body that is not sent as JSON is not read,
        # so a form-encoded create fails for its missing phone rather than being guessed at
        if not request.mimetype or not (
            request.mimetype == "application/json" or request.mimetype.endswith("+json")
        ):
            return {}
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ApiError("INVALID_JSON") from None

    def _list(self, request: Request) -> dict[str, Any]:
        page = _int_param(request.args.get("page"), 1)
        limit = min(_int_param(request.args.get("limit"), DEFAULT_LIMIT), MAX_LIMIT)
        search = request.args.get("search", "").strip()
        tags = [t.strip() for t in request.args.get("tags", "").split(",") if t.strip()]
        result = self._store.page(
            page=page, limit=limit, search=search, tags=tags, match_all=self.tags_match == "all"
        )
        pages = -(-result.total // limit)
        return {
            "success": True,
            "data": [r.to_wire() for r in result.items],
            "pagination": {"page": page, "limit": limit, "total": result.total, "pages": pages},
        }

    # ---- admin hooks

    def admin(self, request: Request) -> Response | None:
        adapter = self._admin_routes.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except HTTPException:
            return None
        body = request.get_json(force=True, silent=True) or {}
        try:
            if endpoint == "reset":
                self.reset()
            elif endpoint == "opt":
                self.opt_out(args["cid"], opted_out=request.method == "POST")
            elif endpoint == "clock" and request.method == "POST":
                self.clock.advance(float(body.get("advance", 0)))
            elif endpoint == "settings" and request.method == "POST":
                self.configure(
                    rate_limit_headers=body.get("rate_limit_headers"),
                    tags_match=body.get("tags_match"),
                )
        except KeyError as exc:
            return _json(404, {"error": str(exc)})
        except (ValueError, TypeError) as exc:
            return _json(400, {"error": str(exc)})
        return _json(200, self.state())

    def state(self) -> dict[str, Any]:
        """A summary for the admin path: counts, clock, settings, keys by label only."""
        with self._lock:
            return {
                "contacts": self._store.live_count,
                "deleted": self._store.deleted_count,
                "opted_out": sum(1 for r in self._store.live_newest_first() if r.opted_out),
                "clock": self.clock.now(),
                "settings": {
                    "rate_limit_headers": self.rate_limit_headers,
                    "tags_match": self.tags_match,
                },
                "keys": [
                    {
                        "label": spec.label,
                        "plan": spec.plan,
                        "per_minute": spec.per_minute,
                        "contact_limit": spec.contact_limit,
                        "api_access": spec.api_access,
                        "active": spec.active,
                        "requests": self._limiter.usage.get(spec.key, KeyUsage()).total,
                    }
                    for spec in self._keys.values()
                ],
            }

    # ---- Python helpers for tests and benchmarks

    def configure(
        self, *, rate_limit_headers: bool | None = None, tags_match: str | None = None
    ) -> None:
        """Switch a [sim] variant while running; ``None`` leaves a setting as it is."""
        with self._lock:
            if rate_limit_headers is not None:
                self.rate_limit_headers = bool(rate_limit_headers)
            if tags_match is not None:
                if tags_match not in ("any", "all"):
                    raise ValueError("tags_match is 'any' or 'all'")
                self.tags_match = "all" if tags_match == "all" else "any"

    def add_key(self, spec: ApiKeySpec) -> None:
        with self._lock:
            self._keys[spec.key] = spec

    def change_key(self, key: str, **changes: Any) -> ApiKeySpec:
        """Change a key's plan, limits or switches (e.g. ``api_access=False``) at once."""
        with self._lock:
            if key not in self._keys:
                raise KeyError("no such API key")  # never echo a key into a message
            spec = replace(self._keys[key], **changes)
            self._keys[key] = spec
            return spec

    def usage(self, key: str | None = None) -> KeyUsage:
        """A copy of the request counters of ``key`` (default: the practice key)."""
        with self._lock:
            return self._limiter.usage.get(key or self.api_key, KeyUsage()).copy()

    def contacts(self, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Every live contact as the API would show it, newest first (deleted ones last)."""
        with self._lock:
            out = [r.to_wire() for r in self._store.live_newest_first()]
            if include_deleted:
                gone = [r for r in self._store.all_records() if not r.live]
                out += [{**r.to_wire(), "deleted_at": r.deleted_at} for r in gone]
            return out

    def contact(self, contact_id: int) -> dict[str, Any] | None:
        """One contact by id as the API would show it; ``None`` if unknown or deleted."""
        with self._lock:
            record = self._store.get(contact_id)
            return record.to_wire() if record is not None and record.live else None

    def create_directly(self, phone: str, **fields: Any) -> dict[str, Any]:
        """Create a contact as if someone used the platform's web UI.

        Fields as in a request body (``firstName``) or as in an answer (``first_name``);
        same rules as POST, but no key, no rate limit and no contact limit.
        """
        with self._lock:
            body = {"phoneNumber": phone, **_helper_fields(fields)}
            changes = parse_changes(body, creating=True)
            new_uuid = str(uuid.UUID(int=self._uuid_rng.getrandbits(128), version=4))
            record = self._store.create(
                changes, now=self._now(), new_uuid=new_uuid, contact_limit=None
            )
            return record.to_wire()

    def update_directly(self, contact_id: int, **fields: Any) -> dict[str, Any]:
        """A colleague's edit on the platform; fields as for `create_directly`, rules as PUT."""
        with self._lock:
            record = self._live(contact_id)
            changes = parse_changes(_helper_fields(fields), creating=False)
            self._store.update(record, changes, now=self._now())
            return record.to_wire()

    def delete_directly(self, contact_id: int) -> None:
        with self._lock:
            self._store.delete(self._live(contact_id), now=self._now())

    def opt_out(self, contact_id: int, *, opted_out: bool = True) -> dict[str, Any]:
        """Mark a contact opted out (a keyword reply on the platform); it counts as a change."""
        with self._lock:
            record = self._live(contact_id)
            record.opted_out = opted_out
            self._store.touch(record, self._now())
            return record.to_wire()

    def _live(self, contact_id: int) -> ContactRecord:
        record = self._store.get(contact_id)
        if record is None or not record.live:
            raise KeyError(f"no live contact with id {contact_id}")
        return record
