"""A practice Flexacore server: Ultimate SMS 3.1.0's contacts API v3, quirks included.

Serve it with ``SandboxServer(FlexacoreSim(FlexacoreConfig(...))).start()``; a client's
base URL is ``server.root_url + "/api/v3"`` and its key is ``sim.token``. The behaviour
follows ``shared/spec/flexacore-v3-contract.md``; this module holds the routes and the
request pipeline in the order Laravel runs it (spec §2):

    route match -> Sanctum stateful/CSRF -> (throttle, 3.0.1 only) -> auth:sanctum ->
    bind group, then contact -> ForceJsonResponse -> handler (Gate, validation, ability, logic)

Errors raised before ForceJsonResponse are shaped by the client's own ``Accept`` header
(HTML pages without it); later ones are always JSON. The endpoints themselves live in
``flexacore_api``, the data in ``flexacore_store``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from contactdesk.sandbox.flexacore_api import ENDPOINTS, WRITE_ENDPOINTS, Call, contact_row
from contactdesk.sandbox.flexacore_config import (
    ALL_PERMISSIONS,
    PRESETS,
    RUNTIME_SETTINGS,
    FlexacoreConfig,
)
from contactdesk.sandbox.flexacore_laravel import (
    MSG_CSRF,
    MSG_THROTTLED,
    MSG_UNAUTHENTICATED,
    LaravelError,
    Throttle,
    expects_json,
    from_frontend,
    render_error,
    request_input,
)
from contactdesk.sandbox.flexacore_store import (
    CONTACT_COLUMNS,
    MAIN_CUSTOMER_ID,
    MAIN_TOKEN_ID,
    OTHER_CUSTOMER_ID,
    AccessToken,
    ContactRow,
    FlexacoreStore,
    GroupRow,
    build_store,
    import_people,
    new_token_secret,
)
from contactdesk.sandbox.server import ADMIN_PREFIX

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["ALL_PERMISSIONS", "PRESETS", "FlexacoreConfig", "FlexacoreSim"]

API_PREFIX = "/api/v3"
#: Laravel's Router::$verbs: the order "Supported methods" are listed in
VERBS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})  # VerifyCsrfToken lets these pass


def _route(path: str, methods: list[str], name: str) -> Rule:
    """A rule under ``/api/v3`` named like the Laravel route (``api.contact.store``)."""
    return Rule(API_PREFIX + path, methods=methods, endpoint=name)


ROUTES = Map(
    [
        _route("/contacts/<group_id>/all", ["POST"], "api.contact.all"),
        _route("/contacts/<group_id>/search/<uid>", ["POST"], "api.contact.search"),
        _route("/contacts/<group_id>/store", ["POST"], "api.contact.store"),
        _route("/contacts/<group_id>/update/<uid>", ["PATCH"], "api.contact.update"),
        _route("/contacts/<group_id>/delete/<uid>", ["DELETE"], "api.contact.delete"),
        # werkzeug adds HEAD to a GET rule, as Laravel's Route::get does
        _route("/contacts", ["GET"], "api.contacts.index"),
        _route("/contacts", ["POST"], "api.contacts.store"),
        _route("/contacts/<group_id>/show", ["POST"], "api.contacts.show"),
        # the resource parameter is named {contact} but holds a *group* uid
        _route("/contacts/<contact>", ["PUT", "PATCH"], "api.contacts.update"),
        _route("/contacts/<contact>", ["DELETE"], "api.contacts.destroy"),
    ],
    merge_slashes=False,
    redirect_defaults=False,
)

MODEL_GROUP = "App\\Models\\ContactGroups"
MODEL_CONTACT = "App\\Models\\Contacts"


class FlexacoreSim:
    """The simulator: a WSGI app for `SandboxServer` plus helpers that bypass HTTP.

    The helpers (``group_uids``, ``contacts_in``, ``add_contact``, ``update_directly`` ...)
    let tests set up and check state, and play "a colleague's change" on the server.
    Rows they return are copies; change data through the helpers only.
    """

    def __init__(self, config: FlexacoreConfig | None = None) -> None:
        self.config = config if config is not None else FlexacoreConfig()
        self.store: FlexacoreStore = build_store(self.config)
        self._throttle = Throttle()
        self._adapter = ROUTES.bind("localhost")
        self._minted = 0

    def __repr__(self) -> str:
        with self.store.lock:
            counts = (len(self.store.groups), len(self.store.contacts))
        return f"FlexacoreSim(seed={self.config.seed}, groups={counts[0]}, contacts={counts[1]})"

    # --- SandboxApp ----------------------------------------------------------------------

    def wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        response = self._respond(Request(environ))
        return response(environ, start_response)

    def is_write(self, environ: WSGIEnvironment) -> bool:
        """Writes by route, not by verb: the read endpoints C1, C2 and G3 are POSTs."""
        path = str(environ.get("PATH_INFO", ""))
        if len(path) > 1 and path.endswith("/"):
            if self.config.redirect_trailing_slash:
                return False  # answered by the 301, nothing is applied
            path = path.rstrip("/")
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        try:
            endpoint, _ = self._adapter.match(path, method=method)
        except (NotFound, MethodNotAllowed):
            return False
        return endpoint in WRITE_ENDPOINTS

    def admin(self, request: Request) -> Response | None:
        """``/__sandbox__/state`` (GET), ``/reset`` (POST), ``/settings`` (GET, POST)."""
        sub = request.path[len(ADMIN_PREFIX) :]
        if sub == "/state" and request.method == "GET":
            return _admin_json(self.state())
        if sub == "/reset" and request.method == "POST":
            body = request.get_json(force=True, silent=True) or {}
            try:
                changes = _reset_changes(body)
            except ValueError as exc:
                return _admin_json({"error": str(exc)}, 400)
            self.reset(self.config.with_changes(**changes) if changes else None)
            return _admin_json(self.state())
        if sub == "/settings" and request.method in ("GET", "POST"):
            if request.method == "POST":
                try:
                    self.configure(**(request.get_json(force=True, silent=True) or {}))
                except (TypeError, ValueError) as exc:
                    return _admin_json({"error": str(exc)}, 400)
            return _admin_json({k: getattr(self.config, k) for k in RUNTIME_SETTINGS})
        return None

    # --- the pipeline --------------------------------------------------------------------

    def _respond(self, request: Request) -> Response:
        wants_json = expects_json(request)
        path = request.path
        if len(path) > 1 and path.endswith("/"):
            if self.config.redirect_trailing_slash:
                return _redirect_without_slash(request)
            path = path.rstrip("/") or "/"  # Laravel itself ignores the slash
        method = request.method.upper()
        try:
            endpoint, args = self._adapter.match(path, method=method)
        except MethodNotAllowed as exc:
            allowed = [v for v in VERBS if v in (exc.valid_methods or ())]
            if method == "OPTIONS":
                return Response(
                    "",
                    200,
                    headers={"Allow": ",".join(allowed)},
                    content_type="text/html; charset=UTF-8",
                )
            message = (
                f"The {method} method is not supported for this route. "
                f"Supported methods: {', '.join(allowed)}."
            )
            return render_error(LaravelError(message, html_status=404), wants_json)
        except NotFound:
            # Laravel's router throws NotFound without a message
            return render_error(LaravelError("", html_status=404), wants_json)
        # read the body before taking the lock: a slow upload must not stall other requests
        request.get_data(cache=True)
        with self.store.lock:
            return self._run_route(request, endpoint, dict(args), wants_json)

    def _run_route(
        self, request: Request, endpoint: str, args: dict[str, str], wants_json: bool
    ) -> Response:
        config = self.config
        source = request.headers.get("Referer") or request.headers.get("Origin")
        if (
            source
            and request.method.upper() not in READING_METHODS
            and from_frontend(source, (*config.stateful_domains, request.host))
        ):
            return render_error(LaravelError(MSG_CSRF, html_status=419), wants_json)
        limit_headers: list[tuple[str, str]] = []
        if config.throttle_per_minute is not None:
            allowed = self._throttle.hit(
                request.remote_addr or "", config.clock(), config.throttle_per_minute
            )
            if allowed is None:
                return render_error(LaravelError(MSG_THROTTLED, html_status=404), wants_json)
            limit_headers = allowed
        response = self._authenticated(request, endpoint, args, wants_json)
        for name, value in limit_headers:
            response.headers[name] = value
        return response

    def _authenticated(
        self, request: Request, endpoint: str, args: dict[str, str], wants_json: bool
    ) -> Response:
        handler, binds_contact = ENDPOINTS[endpoint]
        now = self.config.clock()
        try:
            token = self._authenticate(request, now)
            group = self._bind_group(args.get("group_id", args.get("contact", "")), token)
            contact = self._bind_contact(args["uid"], token) if binds_contact else None
        except LaravelError as exc:
            return render_error(exc, wants_json)
        # ForceJsonResponse has rewritten Accept: from here on every error is JSON
        call = Call(
            request=request,
            data=request_input(request),
            token=token,
            customer=self.store.customers[token.customer_id],
            group=group,
            contact=contact,
            store=self.store,
            config=self.config,
            now=now,
        )
        try:
            return handler(call)
        except LaravelError as exc:
            return render_error(exc, True)

    def _authenticate(self, request: Request, now: float) -> AccessToken:
        header = request.headers.get("Authorization", "")
        plain = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        token = self.store.find_token(plain) if plain else None
        if token is None or token.customer_id not in self.store.customers:
            raise LaravelError(MSG_UNAUTHENTICATED, html_status=401)
        token.last_used_at = int(now)
        return token

    def _bind_group(self, uid: str, token: AccessToken) -> GroupRow | None:
        if not uid:
            return None  # the group list and group create have no binding
        group = self.store.find_group(uid)
        if group is None or (
            self.config.strict_ownership and group.customer_id != token.customer_id
        ):
            raise LaravelError(f"No query results for model [{MODEL_GROUP}] {uid}")
        return group

    def _bind_contact(self, uid: str, token: AccessToken) -> ContactRow:
        contact = self.store.find_contact(uid)
        if contact is None or (
            self.config.strict_ownership and contact.customer_id != token.customer_id
        ):
            raise LaravelError(f"No query results for model [{MODEL_CONTACT}] {uid}")
        return contact

    # --- keys and customers --------------------------------------------------------------

    @property
    def token(self) -> str:
        """The practice key of the main customer: ``49|`` + 40 characters, fixed per seed."""
        with self.store.lock:
            return self.store.tokens[MAIN_TOKEN_ID].plain_text

    @property
    def other_token(self) -> str:
        """The key of the second customer (who owns one group of their own)."""
        with self.store.lock:
            return next(
                t.plain_text
                for t in self.store.tokens.values()
                if t.customer_id == OTHER_CUSTOMER_ID
            )

    customer_id = MAIN_CUSTOMER_ID
    other_customer_id = OTHER_CUSTOMER_ID

    def mint_token(
        self, *, customer_id: int = MAIN_CUSTOMER_ID, abilities: Iterable[str] | None = None
    ) -> str:
        """A new key for ``customer_id`` with these abilities (default: all eight)."""
        with self.store.lock:
            if customer_id not in self.store.customers:
                raise KeyError(f"no customer {customer_id}")
            self._minted += 1
            secret = new_token_secret(self.config.seed, self._minted)
            chosen = ALL_PERMISSIONS if abilities is None else frozenset(abilities)
            return self.store.mint_token(customer_id, chosen, secret).plain_text

    def add_customer(
        self, name: str = "Another Customer", *, permissions: Iterable[str] = ALL_PERMISSIONS
    ) -> int:
        with self.store.lock:
            return self.store.add_customer(name, frozenset(permissions))

    def set_permissions(self, customer_id: int, permissions: Iterable[str]) -> None:
        """Change a customer's live Gate permissions (existing tokens keep their abilities)."""
        with self.store.lock:
            self.store.customers[customer_id].permissions = frozenset(permissions)

    # --- data helpers (no HTTP) ----------------------------------------------------------

    def group_uids(self, customer_id: int = MAIN_CUSTOMER_ID) -> list[str]:
        with self.store.lock:
            return [g.uid for g in self.store.groups_of(customer_id)]

    @property
    def other_group_uid(self) -> str:
        return self.group_uids(OTHER_CUSTOMER_ID)[0]

    def group(self, uid: str) -> GroupRow | None:
        with self.store.lock:
            found = self.store.find_group(uid)
            return None if found is None else dataclasses.replace(found)

    def contacts_in(self, group_uid: str) -> list[ContactRow]:
        """Every contact of the group in list order, with ``status`` (which the API hides)."""
        with self.store.lock:
            group = self._group_or_raise(group_uid)
            return [dataclasses.replace(c) for c in self.store.members(group.id)]

    def contact(self, uid: str) -> ContactRow | None:
        with self.store.lock:
            found = self.store.find_contact(uid)
            return None if found is None else dataclasses.replace(found)

    def contact_json(self, uid: str) -> dict[str, Any]:
        """The full row as the update endpoint would return it."""
        with self.store.lock:
            found = self.store.find_contact(uid)
            if found is None:
                raise KeyError(uid)
            return contact_row(found)

    def add_contact(
        self,
        group_uid: str,
        phone: str,
        first_name: str | None = None,
        last_name: str | None = None,
        **columns: Any,
    ) -> ContactRow:
        """Insert a contact as the web UI or an import would (``status`` etc. allowed)."""
        _check_columns(columns)
        with self.store.lock:
            group = self._group_or_raise(group_uid)
            now = self.config.clock()
            row = self.store.insert_contact(group, phone, first_name, last_name, now, **columns)
            self.store.refresh_count(group, now)
            return dataclasses.replace(row)

    def update_directly(self, contact_uid: str, **changes: Any) -> ContactRow:
        """Change a contact as a colleague in the web UI would; ``updated_at`` moves on."""
        _check_columns(changes)
        with self.store.lock:
            row = self.store.find_contact(contact_uid)
            if row is None:
                raise KeyError(contact_uid)
            for key, value in changes.items():
                setattr(row, key, value)
            if "updated_at" not in changes:
                row.updated_at = max(int(self.config.clock()), row.updated_at + 1)
            return dataclasses.replace(row)

    def delete_directly(self, contact_uid: str) -> bool:
        with self.store.lock:
            row = self.store.find_contact(contact_uid)
            if row is None:
                return False
            self.store.delete_contact(row)
            self.store.refresh_count(self.store.groups[row.group_id], self.config.clock())
            return True

    def add_group(
        self, name: str, *, customer_id: int = MAIN_CUSTOMER_ID, size: int = 0, seed: int = 1
    ) -> GroupRow:
        """A new group, filled with ``size`` generated people (phones seeded by ``seed``)."""
        with self.store.lock:
            now = self.config.clock()
            group = self.store.insert_group(customer_id, name, now)
            if size:
                import_people(self.store, group, size, seed=seed, now=now)
            return dataclasses.replace(group)

    def delete_group_directly(self, group_uid: str) -> int:
        """Delete a group and its contacts; returns how many contacts went with it."""
        with self.store.lock:
            return self.store.delete_group(self._group_or_raise(group_uid))

    def _group_or_raise(self, uid: str) -> GroupRow:
        group = self.store.find_group(uid)
        if group is None:
            raise KeyError(uid)
        return group

    @property
    def sms_sent(self) -> list[tuple[str, str]]:
        """Welcome and signup messages "sent" on contact creation: (phone, text)."""
        with self.store.lock:
            return list(self.store.sms_sent)

    # --- settings and state --------------------------------------------------------------

    def configure(self, **settings: Any) -> None:
        """Change runtime settings (``RUNTIME_SETTINGS``) without touching the data."""
        unknown = set(settings) - set(RUNTIME_SETTINGS)
        if unknown:
            raise ValueError(f"not a runtime setting: {sorted(unknown)}")
        with self.store.lock:
            self.config = self.config.with_changes(**settings)

    def reset(self, config: FlexacoreConfig | None = None) -> None:
        """Throw away every change and reseed (from ``config`` when given)."""
        fresh_config = config if config is not None else self.config
        fresh = build_store(fresh_config)
        with self.store.lock:
            # swap the contents under the old lock, so requests in flight see old or new
            old_lock = self.store.lock
            fresh.lock = old_lock
            self.config = fresh_config
            self.store = fresh
            self._throttle = Throttle()
            self._minted = 0

    def state(self) -> dict[str, Any]:
        """Counts for the admin path and for tests (no keys in here)."""
        with self.store.lock:
            groups = []
            for g in self.store.groups.values():
                members = self.store.members(g.id)
                groups.append(
                    {
                        "uid": g.uid,
                        "name": g.name,
                        "customer_id": g.customer_id,
                        "contacts": len(members),
                        "unsubscribed": sum(1 for c in members if c.status != "subscribe"),
                        "subscribers_count": g.subscribers_count,
                    }
                )
            return {
                "seed": self.config.seed,
                "customers": len(self.store.customers),
                "tokens": len(self.store.tokens),
                "groups": groups,
                "contacts": len(self.store.contacts),
                "sms_sent": len(self.store.sms_sent),
            }


# --- helpers -----------------------------------------------------------------------------


def _redirect_without_slash(request: Request) -> Response:
    """Apache's rule from the stock ``.htaccess``: 301 to the same URL without the slash."""
    target = request.host_url.rstrip("/") + (request.path.rstrip("/") or "/")
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    body = f'<html><body><h1>Moved Permanently</h1><a href="{target}">here</a></body></html>'
    return Response(body, 301, headers={"Location": target}, content_type="text/html")


def _check_columns(columns: dict[str, Any]) -> None:
    fixed = {"id", "uid", "customer_id", "group_id"}
    bad = set(columns) - (set(CONTACT_COLUMNS) - fixed)
    if bad:
        raise ValueError(f"not a changeable contact column: {sorted(bad)}")


def _reset_changes(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    changes: dict[str, Any] = {}
    if "preset" in body:
        if body["preset"] not in PRESETS:
            raise ValueError(f"unknown preset; known: {sorted(PRESETS)}")
        changes["group_sizes"] = PRESETS[body["preset"]]
    if "seed" in body:
        changes["seed"] = int(body["seed"])
    return changes


def _admin_json(payload: object, status: int = 200) -> Response:
    return Response(json.dumps(payload), status, mimetype="application/json")
