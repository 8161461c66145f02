"""API keys in the system keychain, behind one small interface. The only module importing keyring.

Three rules shape it:

* A keychain can block: a locked GNOME Keyring waits for an unlock prompt that may never
  appear (secretstorage #33). Every keychain call therefore runs on a helper daemon thread
  and is given up after a deadline; a call still stuck makes later calls fail fast instead
  of piling up threads.
* No silent fallback. Without a usable keychain, saving a key fails with a typed error
  whose message says what to do; keeping the key "for this session only" (memory, never a
  file) is a separate call the UI makes only after the user chose it. Practice accounts
  always use memory.
* A key never reaches a log, repr or message: ``Secret`` hides it, and every key this store
  reads or writes is registered with ``SecretRegistry`` so ``RedactSecrets`` can scrub log
  records (message, args, traceback text) on the handlers it is installed on.
"""

from __future__ import annotations

import contextlib
import enum
import hmac
import logging
import sys
import threading
import urllib.parse
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import chainer, fail, null

from contactdesk.accounts import Account
from contactdesk.core.errors import ProviderError

log = logging.getLogger(__name__)
T = TypeVar("T")

SERVICE = "contactdesk"
#: Only ever read, never written: a read is enough to tell usable from locked or missing.
PROBE_USERNAME = "contactdesk-probe"
REDACTED = "***"
#: Shorter values would scrub ordinary words out of the logs; real keys are far longer.
MIN_REDACT_LENGTH = 6
#: Windows Credential Manager holds at most 2,560 bytes, and keyring stores UTF-16.
_WINDOWS_MAX_BYTES = 2560


class Secret:
    """An API key. ``repr``/``str``/``format`` never show it; ``reveal()`` is the one way out."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        value = value.strip()  # pasted keys often carry a newline or a space
        if not value:
            raise ValueError("The key is empty.")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{REDACTED}')"

    def __str__(self) -> str:
        return REDACTED

    def __format__(self, spec: str) -> str:
        return REDACTED

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    __hash__ = None  # type: ignore[assignment]  # equal keys need not be set members

    def __reduce__(self) -> str:
        raise TypeError("A Secret cannot be pickled; keys are never written to files.")


# -- redaction --------------------------------------------------------------------------------


class SecretRegistry:
    """Every key value seen this session, so log text can be scrubbed. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Replaced, never mutated, so ``redact`` can read it without the lock.
        self._values: tuple[str, ...] = ()

    def add(self, secret: Secret) -> None:
        value = secret.reveal()
        # The URL-encoded form is what shows up in a logged query string (Sanctum keys hold "|").
        forms = {value, urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)}
        with self._lock:
            merged = set(self._values) | {f for f in forms if len(f) >= MIN_REDACT_LENGTH}
            # Longest first, so a key that contains another is replaced whole.
            self._values = tuple(sorted(merged, key=len, reverse=True))

    def __bool__(self) -> bool:
        return bool(self._values)

    def redact(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, REDACTED)
        return text


class RedactSecrets(logging.Filter):
    """Replaces every registered key in a log record with ``***`` before any handler writes it."""

    def __init__(self, registry: SecretRegistry) -> None:
        super().__init__()
        self.registry = registry

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.registry:
            return True
        redact = self.registry.redact
        try:
            message = record.getMessage()
        except Exception:  # a broken format string; logging would print the raw args
            message = f"{record.msg} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            # Format the traceback now so the text the handler writes is the scrubbed one.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# -- typed errors -----------------------------------------------------------------------------


class KeychainError(ProviderError):
    """The keychain could not do what was asked; ``message`` says what to do next.

    A ``ProviderError`` so a provider call that needed the key ends in the same typed
    family the worker bridge returns as a value.
    """


class KeychainUnavailable(KeychainError):
    """There is no usable keychain on this computer."""


class KeychainLocked(KeychainError):
    """The keychain is locked and was not unlocked."""

    transient = True


class KeychainTimedOut(KeychainError):
    """The keychain did not answer in time (often: locked, waiting for a prompt)."""

    transient = True


class KeychainFailed(KeychainError):
    """The keychain answered with an error."""


# -- probing and naming -----------------------------------------------------------------------


class KeychainState(enum.StrEnum):
    USABLE = "usable"
    LOCKED = "locked"
    MISSING = "missing"
    TIMED_OUT = "timed_out"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class KeychainStatus:
    """What the start-up probe found. ``message`` is one plain paragraph for the user."""

    state: KeychainState
    backend_name: str
    message: str
    detail: str | None = None

    @property
    def usable(self) -> bool:
        return self.state is KeychainState.USABLE


@dataclass(frozen=True, slots=True)
class KeychainName:
    """How to name a keychain to a person: ``full`` in settings, ``short`` in sentences."""

    full: str
    short: str

    @property
    def subject(self) -> str:
        """``short`` at the start of a sentence ("The macOS Keychain is locked.")."""
        return self.short[:1].upper() + self.short[1:]


_PLAIN_NAMES = {
    "keyring.backends.SecretService.Keyring": None,  # named after the program behind it
    "keyring.backends.libsecret.Keyring": None,
    "keyring.backends.kwallet.DBusKeyring": KeychainName("KWallet", "KWallet"),
    "keyring.backends.kwallet.DBusKeyringKWallet4": KeychainName("KWallet", "KWallet"),
    "keyring.backends.Windows.WinVaultKeyring": KeychainName(
        "Windows Credential Manager", "Windows Credential Manager"
    ),
    "keyring.backends.macOS.Keyring": KeychainName("macOS Keychain", "the macOS Keychain"),
}
_SECRET_SERVICE = KeychainName("Secret Service", "the Secret Service keychain")
# Which program answers on the Secret Service bus, by its process name (/proc/<pid>/comm).
_SECRET_SERVICE_DAEMONS = (
    ("gnome-keyring", "GNOME Keyring"),
    ("kwalletd", "KWallet"),
    ("ksecretd", "KWallet"),
    ("keepassxc", "KeePassXC"),
)


def _class_path(backend: keyring.backend.KeyringBackend) -> str:
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def _effective(backend: keyring.backend.KeyringBackend) -> keyring.backend.KeyringBackend | None:
    """The backend that will really hold keys, or ``None`` when there is none."""
    if isinstance(backend, chainer.ChainerBackend):
        # The chainer writes to its first backend; that is the one to name.
        chained: list[keyring.backend.KeyringBackend] = list(backend.backends)
        return chained[0] if chained else None
    if isinstance(backend, fail.Keyring | null.Keyring):
        # The null backend "succeeds" and forgets: for us it is no keychain at all.
        return None
    return backend


def _secret_service_daemon() -> str | None:
    """Best effort: name the program behind the Secret Service (Linux only; may block)."""
    try:
        import jeepney  # type: ignore[import-untyped]  # ships no type information
        import secretstorage

        with secretstorage.dbus_init() as conn:
            reply = conn.send_and_get_reply(
                jeepney.DBus().GetConnectionUnixProcessID("org.freedesktop.secrets"), timeout=2
            )
        comm = Path(f"/proc/{int(reply.body[0])}/comm").read_text(encoding="utf-8").strip()
    except Exception:  # any failure only means a less specific name
        log.debug("could not tell which program provides the Secret Service", exc_info=True)
        return None
    for prefix, name in _SECRET_SERVICE_DAEMONS:
        if comm.startswith(prefix):
            return name
    return None


def keychain_name(backend: keyring.backend.KeyringBackend, *, ask_bus: bool) -> KeychainName:
    """A plain name, e.g. ("GNOME Keyring (Secret Service)", "GNOME Keyring").

    ``ask_bus`` asks D-Bus which program provides the Secret Service; that can block, so
    only do it on a thread with a deadline.
    """
    path = _class_path(backend)
    if path not in _PLAIN_NAMES:
        named = str(getattr(type(backend), "name", "") or type(backend).__name__)
        return KeychainName(named, named)
    known = _PLAIN_NAMES[path]
    if known is not None:
        return known
    daemon = _secret_service_daemon() if ask_bus else None
    return KeychainName(f"{daemon} (Secret Service)", daemon) if daemon else _SECRET_SERVICE


def _is_windows_vault(backend: keyring.backend.KeyringBackend) -> bool:
    return _class_path(backend) == "keyring.backends.Windows.WinVaultKeyring"


def setup_advice(platform: str) -> str:
    """What someone without a usable keychain can do, for their operating system."""
    if platform == "win32":
        return (
            "Windows Credential Manager should always be there: sign in with your own "
            "Windows account (not a temporary profile), then restart Contact Desk."
        )
    if platform == "darwin":
        return (
            "Open Keychain Access, check that your login keychain exists and is unlocked, "
            "then restart Contact Desk."
        )
    return (
        "Install and unlock GNOME Keyring or KWallet (on most desktops one is already "
        'there, often as "Passwords and Keys"), log in to your desktop session, '
        "then restart Contact Desk."
    )


_SESSION_HINT = (
    "Until then you can keep a key for this session only; you will be asked for it again next time."
)


class SecretStore:
    """API keys per account: in the system keychain, or in memory when the user chose that.

    Plain object, no Signals. Every keychain call can block for up to ``timeout`` seconds,
    so the UI calls it through the worker bridge, never directly on the UI thread.
    ``backend`` is a keyring backend, or ``None`` for keyring's default (resolved per call).
    """

    def __init__(
        self,
        backend: keyring.backend.KeyringBackend | None = None,
        *,
        registry: SecretRegistry | None = None,
        platform: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        self._backend = backend
        self.registry = registry if registry is not None else SecretRegistry()
        self._platform = platform or sys.platform
        # Long by default: a real unlock prompt may be waiting for someone to type.
        self._timeout = timeout
        self._session: dict[str, Secret] = {}
        self._session_lock = threading.Lock()
        self._stuck: threading.Thread | None = None
        self._names: dict[str, KeychainName] = {}

    def install_redaction(self, handler: logging.Handler) -> RedactSecrets:
        """Scrub every key this store has seen from records ``handler`` writes."""
        redaction = RedactSecrets(self.registry)
        handler.addFilter(redaction)
        return redaction

    # -- start-up probe ----------------------------------------------------------------------

    def probe(self, timeout: float = 3.0) -> KeychainStatus:
        """Find out, within ``timeout`` seconds, whether keys can be kept and where."""
        backend = self._backend or keyring.get_keyring()
        target = _effective(backend)
        advice = setup_advice(self._platform)
        missing = (
            "No keychain was found, so keys cannot be kept between sessions. "
            f"{advice} {_SESSION_HINT}"
        )
        if target is None:
            return KeychainStatus(KeychainState.MISSING, "none", missing)
        found = target

        def check() -> None:
            # Named first (asking the bus), so the name is known even if the read fails.
            self._name_of(found, ask_bus=True)
            # Read through ``backend`` itself: for a chainer that is what get/set will do.
            backend.get_password(SERVICE, PROBE_USERNAME)

        detail = None
        try:
            self._call(check, timeout)
        except keyring.errors.NoKeyringError:
            return KeychainStatus(KeychainState.MISSING, "none", missing)
        except TimeoutError:
            state, says = (
                KeychainState.TIMED_OUT,
                (
                    f"did not answer within {timeout:g} seconds. It may be locked and waiting "
                    f"for its password: unlock it, then restart Contact Desk. {_SESSION_HINT}"
                ),
            )
        except keyring.errors.KeyringLocked:
            state, says = (
                KeychainState.LOCKED,
                (f"is locked. Unlock it with your login password, then try again. {_SESSION_HINT}"),
            )
        except Exception as exc:
            state, says = KeychainState.FAILED, f"reported a problem. {advice} {_SESSION_HINT}"
            detail = self._detail(exc)
        else:
            name = self._name_of(found, ask_bus=False)
            return KeychainStatus(
                KeychainState.USABLE, name.full, f"Keys are kept in {name.short}."
            )
        name = self._name_of(found, ask_bus=False)
        return KeychainStatus(state, name.full, f"{name.subject} {says}", detail)

    # -- keys --------------------------------------------------------------------------------

    def get(self, account: Account) -> Secret | None:
        """The account's key, or ``None`` when none is kept. Raises ``KeychainError``."""
        with self._session_lock:
            kept = self._session.get(account.id)
        if kept is not None or account.practice:
            return kept
        value = self._keychain(lambda b: b.get_password(SERVICE, account.id), "read the key from")
        if not value or not value.strip():
            return None
        secret = Secret(value)
        self.registry.add(secret)
        return secret

    def set(self, account: Account, secret: Secret, *, session_only: bool = False) -> None:
        """Keep the key in the keychain, or in memory only when ``session_only`` (the user's
        explicit choice) or for a practice account. Raises ``KeychainError``; never falls back.
        """
        self.registry.add(secret)
        if session_only or account.practice:
            with self._session_lock:
                self._session[account.id] = secret
            return
        backend = _effective(self._backend or keyring.get_keyring())
        if (
            backend is not None
            and _is_windows_vault(backend)
            and len(secret.reveal().encode("utf-16-le")) > _WINDOWS_MAX_BYTES
        ):
            raise KeychainFailed(
                "This key is too long for Windows Credential Manager (at most 1,280 "
                "characters). Check that only the key was pasted."
            )
        self._keychain(
            lambda b: b.set_password(SERVICE, account.id, secret.reveal()), "save the key in"
        )
        with self._session_lock:
            # Now in the keychain; a session copy would hide a later change made there.
            self._session.pop(account.id, None)

    def delete(self, account: Account) -> None:
        """Forget the account's key everywhere. Deleting a key that is not there is fine."""
        with self._session_lock:
            self._session.pop(account.id, None)
        if account.practice:
            return
        backend = self._backend or keyring.get_keyring()
        if _effective(backend) is None:
            return  # no keychain, so it holds nothing of ours

        def remove(b: keyring.backend.KeyringBackend) -> None:
            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                b.delete_password(SERVICE, account.id)

        self._keychain(remove, "remove the key from")

    def is_session_only(self, account: Account) -> bool:
        """Whether the key is kept in memory for this session only (shown in account settings)."""
        with self._session_lock:
            return account.id in self._session

    # -- plumbing ----------------------------------------------------------------------------

    def _keychain(self, op: Callable[[keyring.backend.KeyringBackend], T], doing: str) -> T:
        """Run one keychain operation with a deadline and turn failures into typed errors."""
        backend = self._backend or keyring.get_keyring()
        effective = _effective(backend)
        if effective is None:
            raise KeychainUnavailable(
                f"There is no keychain on this computer to {doing.split(maxsplit=1)[0]} keys. "
                f"{setup_advice(self._platform)} {_SESSION_HINT}"
            )
        name = self._name_of(effective, ask_bus=False)
        try:
            return self._call(lambda: op(backend), self._timeout)
        except TimeoutError:
            raise KeychainTimedOut(
                f"{name.subject} did not answer in time. It may be locked and waiting for "
                f"its password: unlock it, then try again. {_SESSION_HINT}"
            ) from None
        except keyring.errors.KeyringLocked:
            raise KeychainLocked(
                f"Could not {doing} {name.short} because it is locked. Unlock it, then try "
                f"again. {_SESSION_HINT}"
            ) from None
        except keyring.errors.NoKeyringError:
            raise KeychainUnavailable(
                f"There is no keychain on this computer. {setup_advice(self._platform)} "
                f"{_SESSION_HINT}"
            ) from None
        except Exception as exc:
            detail = self._detail(exc)
            log.warning("keychain: could not %s %s: %s", doing, name.full, detail)
            raise KeychainFailed(
                f"Could not {doing} {name.short}. Try again; if it keeps failing, restart "
                f"your computer. {_SESSION_HINT}",
                detail=detail,
            ) from None

    def _name_of(self, backend: keyring.backend.KeyringBackend, *, ask_bus: bool) -> KeychainName:
        """The backend's plain name; what the bus told the probe is remembered for later."""
        path = _class_path(backend)
        if ask_bus:
            self._names[path] = keychain_name(backend, ask_bus=True)
        return self._names.get(path) or keychain_name(backend, ask_bus=False)

    def _call(self, fn: Callable[[], T], timeout: float) -> T:
        """Run ``fn`` on a daemon thread; ``TimeoutError`` if it has not returned in time.

        A daemon thread, because a blocked keychain call cannot be interrupted and must
        not keep the app from exiting.
        """
        stuck = self._stuck
        if stuck is not None and stuck.is_alive():
            raise TimeoutError("an earlier keychain call is still waiting")
        future: Future[T] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)

        thread = threading.Thread(target=run, name="keychain-call", daemon=True)
        thread.start()
        try:
            return future.result(timeout)
        except TimeoutError:
            self._stuck = thread  # still running (or not even started: same thing)
            raise

    def _detail(self, exc: BaseException) -> str:
        """Support text for an error: the backend's own words, with any known key scrubbed."""
        return self.registry.redact(f"{type(exc).__name__}: {exc}")
