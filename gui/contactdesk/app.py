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


def setup_logging(log_dir: Path, secrets: SecretStore, *, debug: bool) -> logging.Handler:
    """A rotating log file in the platform log dir; keys are scrubbed before writing."""
    import logging
    import logging.handlers

    log_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        log_dir / LOG_FILE, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    )
    secrets.install_redaction(handler)
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
        self, dirs: AppDirs, secrets: SecretStore, accounts: AccountStore, pool: WorkerPool
    ) -> None:
        self.dirs = dirs
        self.secrets = secrets
        self.accounts = accounts
        self.pool = pool
        self.sandbox: PracticeSandbox | None = None
        self.sessions: list[AccountSession] = []
        self.practice_dir = dirs.cache / "practice"

    def data_dir(self, account: Account) -> Path:
        return self.practice_dir if account.practice else self.dirs.data

    def open_session(self, account: Account) -> AccountSession:
        from contactdesk.store import Store, StoreReader, account_store_path
        from contactdesk.ui.interim_sync import InterimSync
        from contactdesk.ui.session import AccountSession

        fields, caps, carried = provider_schema(account)
        path = account_store_path(account.id, data_dir=self.data_dir(account))
        reader = StoreReader.open(path)
        compare = [f.key for f in fields if f.editable and f.type.value not in ("bool", "datetime")]
        session = AccountSession(
            account,
            fields=fields,
            capabilities=caps,
            reader=reader,
            worker=self.pool.worker(account.id),
            open_store=lambda: Store.open(path),
            open_remote=lambda on_wait: self.open_remote(account, on_wait),
            engine=InterimSync(groups=caps.groups, carried=carried, compare=compare),
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


def provider_schema(account: Account) -> tuple[Any, Any, frozenset[str] | None]:
    """(fields, capabilities, contact fields the listing carries) of the account's platform."""
    from contactdesk.core.models import ProviderKind
    from contactdesk.providers import registry

    # Flexacore's contact list carries only the phone and the names (the group is the
    # list's own); TextFlow's carries every field
    carried = (
        frozenset({"phone", "first_name", "last_name", "group_id"})
        if account.kind is ProviderKind.FLEXACORE
        else None
    )
    return registry.fields(account.kind), registry.capabilities(account.kind), carried


def account_plan(account: Account) -> Any:
    """The request budget to pace by: the account's plan ("custom:300" = 300 a minute)."""
    from contactdesk.core.schema import RatePlan
    from contactdesk.providers import registry

    plan = account.plan or ""
    if plan.startswith("custom:"):
        return RatePlan("Custom", int(plan.split(":", 1)[1]), 60.0)
    return registry.plan_named(account.kind, plan or None)


# -- running -----------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    import asyncio
    import time

    started = time.perf_counter()
    from PySide6.QtWidgets import QApplication

    from contactdesk.paths import app_dirs
    from contactdesk.secrets import SecretStore

    dirs = app_dirs().ensure()
    secrets = SecretStore()
    handler = setup_logging(dirs.log, secrets, debug=args.debug)
    reporter = CrashReporter()
    previous_hook = sys.excepthook
    sys.excepthook = reporter.excepthook
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "contactdesk"])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("contactdesk")
    import qasync

    try:
        with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
            runner.get_loop().set_exception_handler(reporter.loop_handler)
            return runner.run(
                _main(app, args, dirs=dirs, secrets=secrets, reporter=reporter, started=started)
            )
    finally:
        sys.excepthook = previous_hook
        import logging

        logging.getLogger().removeHandler(handler)
        handler.close()


async def _main(
    app: QApplication,
    args: argparse.Namespace,
    *,
    dirs: AppDirs,
    secrets: SecretStore,
    reporter: CrashReporter,
    started: float,
) -> int:
    import asyncio

    from contactdesk.accounts import AccountsFileError, AccountStore
    from contactdesk.ui.main_window import MainWindow
    from contactdesk.ui.ui_state import FILE_NAME, UiState
    from contactdesk.worker import WorkerPool

    closing = asyncio.Event()
    app.aboutToQuit.connect(closing.set)
    app.setQuitOnLastWindowClosed(False)  # closing goes through our shutdown first
    accounts = AccountStore.default()
    wiring = Wiring(dirs, secrets, accounts, WorkerPool())
    window = MainWindow(UiState(dirs.config / FILE_NAME))
    reporter.attach(window)
    window.close_requested.connect(closing.set)

    def open_accounts(new: Sequence[Account]) -> None:
        for account in new:
            try:
                window.add_session(wiring.open_session(account))
            except Exception as exc:  # a broken store must not stop the other accounts
                reporter.report(exc)

    def practice() -> None:
        new = wiring.start_practice(args.practice_preset)
        open_accounts(new)
        if not args.no_sync:
            for s in window.sessions:
                if s.account in new:
                    s.refresh()

    window.practice_requested.connect(practice)
    try:
        saved = accounts.list()
    except AccountsFileError as exc:
        saved = []
        window.show_message(exc.message)
    open_accounts(saved)
    window.show()
    if args.exit_when_shown:
        return await _report_shown(app, window, started)
    if not args.no_sync:
        for s in window.sessions:
            s.refresh()
    if args.practice:
        practice()
    if args.self_check:
        from contactdesk.ui.self_check import run_self_check

        code = await run_self_check(window, secrets)
        wiring.shutdown()
        return code
    await closing.wait()
    window.close_sessions()
    wiring.shutdown()
    return 0


async def _report_shown(app: QApplication, window: MainWindow, started: float) -> int:
    """For the start-up bench: wait until the table has painted rows, print the time."""
    import asyncio
    import time

    while window.table_model.rowCount() == 0 or not window.table.isVisible():
        await asyncio.sleep(0.005)
    app.processEvents()
    elapsed = time.perf_counter() - started
    print(f"shown {window.table_model.rowCount()} {elapsed:.4f}", flush=True)
    window.close_sessions()
    return 0


if __name__ == "__main__":
    sys.exit(main())
