"""Composition root and command line: builds every service once and passes it in.

Imports stay lazy (inside functions) so ``--version`` answers without loading Qt.
Start-up order matters: QApplication first, then the qasync loop (``asyncio.Runner``
with a ``loop_factory``: ``asyncio.run`` only takes one from Python 3.12), then the
window. The main coroutine waits for the window to close (or ``aboutToQuit``), then
stops the sessions, the workers and the practice simulators.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from contactdesk import APP_NAME, __version__

if TYPE_CHECKING:
    import asyncio
    import logging
    from pathlib import Path

    from PySide6.QtWidgets import QApplication

    from contactdesk.accounts import Account, AccountStore
    from contactdesk.paths import AppDirs
    from contactdesk.sandbox.practice import PracticeSandbox
    from contactdesk.secrets import SecretStore
    from contactdesk.ui.accounts_controller import AccountsController
    from contactdesk.ui.main_window import MainWindow
    from contactdesk.ui.remote import RemoteContacts
    from contactdesk.ui.session import AccountSession
    from contactdesk.worker import WorkerPool

LOG_FILE = "contactdesk.log"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="contactdesk", description=f"{APP_NAME} {__version__}")
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument(
        "--practice",
        action="store_true",
        help="start the practice simulators and open two practice accounts (keys in memory only)",
    )
    parser.add_argument(
        "--self-check",
        action="store_true",
        help="start offscreen in practice mode, sync, search, print one JSON line and exit",
    )
    parser.add_argument("--practice-preset", default="default", help=argparse.SUPPRESS)
    # bench/ui_bench.py: print when the window shows its first contacts, then quit
    parser.add_argument("--exit-when-shown", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-sync", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--debug", action="store_true", help="log more detail to the log file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.self_check:
        import os

        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        args.practice = True
        if args.practice_preset == "default":
            args.practice_preset = "small"
    return run(args)


# -- logging and unexpected errors -------------------------------------------------------------


def setup_logging(log_dir: Path, *, debug: bool) -> logging.Handler:
    """A rotating log file in the platform log dir.

    Key redaction is added by ``Wiring.secrets`` when the ``SecretStore`` is made, which is
    before any key is read (keyring is slow to import, so it waits until it is needed).
    """
    import logging
    import logging.handlers

    log_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        log_dir / LOG_FILE, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    return handler


class CrashReporter:
    """Logs anything that reaches the top and tells the person in the window (plainly).

    Messages that arrive before the window exists are kept and shown once it does.
    """

    def __init__(self) -> None:
        self.window: MainWindow | None = None
        self.early: list[BaseException] = []

    def report(self, exc: BaseException) -> None:
        import logging

        logging.getLogger("contactdesk").error(
            "unexpected error", exc_info=(type(exc), exc, exc.__traceback__)
        )
        if self.window is None:
            self.early.append(exc)
        else:
            self.window.report_unexpected(exc)

    def attach(self, window: MainWindow) -> None:
        self.window = window
        for exc in self.early:
            window.report_unexpected(exc)
        self.early.clear()

    def excepthook(self, etype: type[BaseException], exc: BaseException, tb: Any) -> None:
        if issubclass(etype, KeyboardInterrupt):
            sys.__excepthook__(etype, exc, tb)
            return
        self.report(exc)

    def loop_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, BaseException):
            self.report(exc)
        else:
            import logging

            logging.getLogger("contactdesk").error("event loop: %s", context.get("message"))


# -- wiring ------------------------------------------------------------------------------------


class Wiring:
    """Builds an ``AccountSession`` per account and owns what they share."""

    def __init__(
        self,
        dirs: AppDirs,
        secrets: SecretStore | None,
        accounts: AccountStore,
        pool: WorkerPool,
        *,
        log_handler: logging.Handler | None = None,
    ) -> None:
        self.dirs = dirs
        self._secrets = secrets
        self._log_handler = log_handler
        self._secrets_lock = threading.Lock()
        self.accounts = accounts
        self.pool = pool
        self.sandbox: PracticeSandbox | None = None
        self.sessions: list[AccountSession] = []
        self.practice_dir = dirs.cache / "practice"

    @property
    def secrets(self) -> SecretStore:
        """The keychain interface, made on first use (any thread), redacting the log."""
        with self._secrets_lock:
            if self._secrets is None:
                from contactdesk.secrets import SecretStore

                self._secrets = SecretStore()
                if self._log_handler is not None:
                    self._secrets.install_redaction(self._log_handler)
            return self._secrets

    def data_dir(self, account: Account) -> Path:
        return self.practice_dir if account.practice else self.dirs.data

    def open_session(self, account: Account) -> AccountSession:
        from contactdesk.store import Store, StoreReader, account_store_path
        from contactdesk.ui.session import AccountSession
        from contactdesk.ui.sync_bridge import AccountSyncEngine

        fields, caps = provider_schema(account)
        path = account_store_path(account.id, data_dir=self.data_dir(account))
        reader = StoreReader.open(path)
        session = AccountSession(
            account,
            fields=fields,
            capabilities=caps,
            reader=reader,
            worker=self.pool.worker(account.id),
            open_store=lambda: Store.open(path),
            open_remote=lambda on_wait: self.open_remote(account, on_wait),
            engine=AccountSyncEngine(account_plan(account)),
        )
        self.sessions.append(session)
        return session

    def open_remote(self, account: Account, on_wait: Any) -> RemoteContacts:
        """Runs on the account's worker thread (the keychain may block)."""
        from contactdesk.core.errors import AuthRefused
        from contactdesk.core.models import ProviderKind
        from contactdesk.providers import registry
        from contactdesk.providers.ratelimit import RateLimiter

        secret = self.secrets.get(account)
        if secret is None:
            raise AuthRefused(
                "No API key is kept for this account. Open account settings and paste it."
            )
        limiter = RateLimiter(account_plan(account))
        limiter.on_wait = on_wait
        options: dict[str, Any] = {}
        if account.kind is ProviderKind.FLEXACORE:
            options["sending_server"] = account.flexacore_sending_server
        remote: RemoteContacts = registry.create_provider(
            account.kind, secret.reveal(), base_url=account.base_url, limiter=limiter, **options
        )
        return remote

    def start_practice(self, preset: str) -> list[Account]:
        """Both simulators in-process, two practice accounts, keys in memory only."""
        import shutil
        from dataclasses import replace

        from contactdesk.accounts import Account
        from contactdesk.core.models import ProviderKind
        from contactdesk.sandbox.practice import PracticeSandbox
        from contactdesk.secrets import Secret

        if self.sandbox is not None:
            return []
        # the simulators start from their seed every time: so does the practice mirror
        shutil.rmtree(self.practice_dir, ignore_errors=True)
        self.sandbox = sandbox = PracticeSandbox(preset=preset).start()
        # fixed ids: the practice accounts keep their column layout between runs
        made = [
            (
                Account.new(
                    ProviderKind.FLEXACORE,
                    "Flexacore",
                    default_region="GB",
                    base_url=sandbox.flexacore_url,
                    flexacore_sending_server=1,  # the simulator's sending server
                    practice=True,
                ),
                sandbox.flexacore_key,
            ),
            (
                Account.new(
                    ProviderKind.TEXTFLOW,
                    "TextFlow",
                    default_region="US",
                    base_url=sandbox.textflow_url,
                    plan="marketer",
                    practice=True,
                ),
                sandbox.textflow_key,
            ),
        ]
        made = [(replace(a, id=f"practice-{a.kind.value}"), key) for a, key in made]
        for account, key in made:
            self.accounts.add(account)
            self.secrets.set(account, Secret(key), session_only=True)
        return [a for a, _ in made]

    def shutdown(self) -> None:
        for s in self.sessions:
            s.close()
        self.pool.shutdown(wait=True, timeout=3.0)
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None


def provider_schema(account: Account) -> tuple[Any, Any]:
    """(fields, capabilities) of the account's platform.

    Read from the schema modules, not the registry: the registry loads the client class,
    which imports requests (a fifth of a second at start-up, before any request is made).
    """
    from contactdesk.core.models import ProviderKind

    if account.kind is ProviderKind.FLEXACORE:
        from contactdesk.providers import flexacore_schema

        return flexacore_schema.FIELDS, flexacore_schema.CAPABILITIES
    from contactdesk.providers import textflow_schema

    return textflow_schema.FIELDS, textflow_schema.CAPABILITIES


def account_plan(account: Account) -> Any:
    """The request budget to pace by: the account's plan ("custom:300" = 300 a minute)."""
    from contactdesk.core.schema import RatePlan
    from contactdesk.providers import registry

    plan = account.plan or ""
    if plan.startswith("custom:"):
        return RatePlan("Custom", int(plan.split(":", 1)[1]), 60.0)
    return registry.plan_named(account.kind, plan or None)


# -- running -----------------------------------------------------------------------------------


def tune_threads() -> None:
    """Hand the GIL to the UI thread sooner: syncing, search and HTTP threads run Python
    too. Painting the table calls back into Python several hundred times (data, flags,
    row counts), and each call may wait a whole switch interval for the GIL: with two
    busy threads a paint took ~120 ms at 1 ms, ~35 ms at 0.2 ms (5 ms is the default)."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)


#: how long a thread holds the GIL before another that asked for it gets it
SWITCH_INTERVAL_S = 0.0002


def settle_heap() -> None:
    """Keep what start-up made (modules, Qt wrappers, the window) out of the cycle
    collector's full passes. A full pass walks every tracked object while holding the
    GIL, on whichever thread's allocation set it off: during a big download the sync
    threads set it off often, and the UI thread stalled 30-50 ms each time. These objects
    live as long as the app; anything made later is collected as usual."""
    import gc

    gc.freeze()


def run(args: argparse.Namespace) -> int:
    import time

    started = time.perf_counter()
    tune_threads()
    from PySide6.QtWidgets import QApplication

    from contactdesk.paths import app_dirs

    dirs = app_dirs().ensure()
    handler = setup_logging(dirs.log, debug=args.debug)
    reporter = CrashReporter()
    previous_hook = sys.excepthook
    sys.excepthook = reporter.excepthook
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "contactdesk"])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("contactdesk")
    try:
        # the window and the cached contacts show before asyncio and qasync load
        desk = Desk(app, args, dirs=dirs, handler=handler, reporter=reporter)
        if args.exit_when_shown:
            return _report_shown(app, desk, started)
        settle_heap()
        import asyncio

        import qasync

        with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
            runner.get_loop().set_exception_handler(reporter.loop_handler)
            return runner.run(desk.run())
    finally:
        sys.excepthook = previous_hook
        import logging

        logging.getLogger().removeHandler(handler)
        handler.close()


class Desk:
    """The running app: window, accounts and their sessions, practice mode."""

    def __init__(
        self,
        app: QApplication,
        args: argparse.Namespace,
        *,
        dirs: AppDirs,
        handler: logging.Handler,
        reporter: CrashReporter,
    ) -> None:
        from contactdesk.accounts import AccountsFileError, AccountStore
        from contactdesk.ui.main_window import MainWindow
        from contactdesk.ui.ui_state import FILE_NAME, UiState
        from contactdesk.worker import WorkerPool

        self.app = app
        self.args = args
        self.reporter = reporter
        app.setQuitOnLastWindowClosed(False)  # closing goes through our shutdown first
        self.accounts = AccountStore.default()
        self.wiring = Wiring(dirs, None, self.accounts, WorkerPool(), log_handler=handler)
        self.window = window = MainWindow(UiState(dirs.config / FILE_NAME))
        reporter.attach(window)
        window.practice_requested.connect(self.practice)
        self._accounts_ui: AccountsController | None = None
        window.add_account_requested.connect(lambda: self.accounts_ui().add_account())
        window.update_key_requested.connect(lambda a: self.accounts_ui().rotate_key(a))
        window.account_settings_requested.connect(lambda a: self.accounts_ui().edit_account(a))
        window.remove_account_requested.connect(lambda a: self.accounts_ui().remove_account(a))
        try:
            saved = self.accounts.list()
        except AccountsFileError as exc:
            saved = []
            window.show_message(exc.message)
        self.open_accounts(saved)
        window.show()

    def open_accounts(self, new: Sequence[Account]) -> None:
        for account in new:
            try:
                self.window.add_session(self.wiring.open_session(account))
            except Exception as exc:  # a broken store must not stop the other accounts
                self.reporter.report(exc)

    def accounts_ui(self) -> AccountsController:
        """Add / settings / update key / remove, made when first needed (it needs the
        keychain, and keyring is slow to import)."""
        if self._accounts_ui is None:
            from contactdesk.providers import check, registry
            from contactdesk.store import account_store_path
            from contactdesk.ui.accounts_controller import AccountsController

            wiring = self.wiring
            ui = AccountsController(
                self.window,
                accounts=self.accounts,
                secrets=wiring.secrets,
                pool=wiring.pool,
                checker=check.check_settings,
                providers=[registry.info(k) for k in registry.kinds()],
                messages=self.window.message_bar,
                release_account=self.window.remove_session,
                store_path=lambda a: account_store_path(a.id, data_dir=wiring.data_dir(a)),
            )
            ui.account_added.connect(self._account_added)
            ui.account_changed.connect(self._account_changed)
            ui.account_removed.connect(self.window.remove_session)
            self._accounts_ui = ui
        return self._accounts_ui

    def _account_added(self, account_id: str) -> None:
        account = self.accounts.get(account_id)
        self.open_accounts([account])
        session = self.window.session(account_id)
        if session is not None:
            from contactdesk.ui.models.account_tree_model import EntryKind

            self.window.select(account_id, EntryKind.ALL)
            if not self.args.no_sync:
                session.refresh()

    def _account_changed(self, account_id: str) -> None:
        """New settings or a new key: the session's client was built with the old ones."""
        self.window.remove_session(account_id)
        self._account_added(account_id)

    def practice(self) -> None:
        new = self.wiring.start_practice(self.args.practice_preset)
        self.open_accounts(new)
        if not self.args.no_sync:
            for s in self.window.sessions:
                if s.account in new:
                    s.refresh()

    async def run(self) -> int:
        import asyncio

        closing = asyncio.Event()
        self.app.aboutToQuit.connect(closing.set)
        self.window.close_requested.connect(closing.set)
        if not self.args.no_sync:
            for s in self.window.sessions:
                s.refresh()
        if self.args.practice:
            self.practice()
        if self.args.self_check:
            from contactdesk.ui.self_check import run_self_check

            code = await run_self_check(self.window, self.wiring.secrets)
            self.shutdown()
            return code
        await closing.wait()
        self.shutdown()
        return 0

    def shutdown(self) -> None:
        self.window.close_sessions()
        self.wiring.shutdown()


def _report_shown(app: QApplication, desk: Desk, started: float) -> int:
    """For the start-up bench: wait until the table has rows on screen, print the time."""
    import time

    window = desk.window
    deadline = time.monotonic() + 60
    while window.table_model.rowCount() == 0 or not window.table.isVisible():
        if time.monotonic() > deadline:
            return 1
        app.processEvents()
        time.sleep(0.001)
    app.processEvents()  # paint them
    elapsed = time.perf_counter() - started
    print(f"shown {window.table_model.rowCount()} {elapsed:.4f}", flush=True)
    desk.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
