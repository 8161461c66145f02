"""Errors in plain words, each with the next step a person can take.

The providers already word their messages for people; this adds which account it is
about, what we were doing, and the button that helps (Retry, Update key, Open account
settings, Show pending changes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contactdesk.core.errors import (
    AuthRefused,
    Duplicate,
    LimitReached,
    PermissionDenied,
    ProviderError,
    RateLimited,
    ValidationFailed,
)
from contactdesk.ui.session import Problem
from contactdesk.ui.widgets.message_bar import Level, MessageAction

if TYPE_CHECKING:
    from contactdesk.ui.main_window import MainWindow


def _is_keychain(err: ProviderError) -> bool:
    # secrets.KeychainError is a ProviderError; matched by name so ui needs no import of it
    return any(c.__name__ == "KeychainError" for c in type(err).__mro__)


def describe_problem(
    problem: Problem, account_name: str, window: MainWindow
) -> tuple[str, list[MessageAction]]:
    err = problem.error
    session = window.session(problem.account_id)
    who = f"{account_name}: " if account_name else ""
    retry = MessageAction("Retry", session.retry_all if session is not None else (lambda: None))
    settings = MessageAction(
        "Open account settings", lambda: window.update_key_requested.emit(problem.account_id)
    )
    pending = MessageAction("Show pending changes", window.actions_.show_pending)
    if isinstance(err, AuthRefused):
        update = MessageAction(
            "Update key", lambda: window.update_key_requested.emit(problem.account_id)
        )
        return f"{who}{err.message}", [update]
    if _is_keychain(err):
        return f"{who}{err.message}", [retry, settings]
    if isinstance(err, PermissionDenied):
        return f"{who}{err.message}", [settings]
    if isinstance(err, RateLimited):
        return (
            f"{who}The plan's request limit was reached. Contact Desk waits "
            f"{int(err.retry_after + 0.999)} s and carries on by itself.",
            [],
        )
    if problem.doing == "send" and isinstance(err, ValidationFailed | Duplicate | LimitReached):
        return f"{who}A change was refused: {err.message}", [pending]
    if err.transient:
        kept = (
            " Your changes are kept here and will be sent when it is back."
            if problem.doing in ("send", "sync")
            else ""
        )
        return f"{who}{err.message}{kept}", [retry]
    return f"{who}{err.message}", [retry] if problem.doing in ("send", "sync") else []


def show_problem(window: MainWindow, problem: Problem) -> None:
    """Put the problem in the window's message bar (one message per account and task)."""
    session = window.session(problem.account_id)
    name = session.account.name if session is not None else ""
    text, actions = describe_problem(problem, name, window)
    window.message_bar.show_text(
        text,
        Level.ERROR if actions else Level.WARNING,
        actions,
        key=f"{problem.account_id}:{problem.doing}",
    )


def problem_cleared(window: MainWindow, account_id: str, kind: str) -> None:
    """The problem went away (the platform answers again): say so briefly."""
    for doing in ("sync", "send"):
        window.message_bar.clear_key(f"{account_id}:{doing}")
    if kind == "offline":
        session = window.session(account_id)
        name = session.account.name if session else "The platform"
        window.message_bar.show_text(
            f"{name} is reachable again. Waiting changes were sent.",
            Level.INFO,
            timeout_ms=4000,
            key=f"{account_id}:back",
        )
