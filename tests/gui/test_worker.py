"""The worker bridge under a real qasync loop: values not exceptions, UI thread stays live,
stale answers dropped, cancel drains then stops, shutdown never hangs. Events, not sleeps."""

from __future__ import annotations

import asyncio
import gc
import logging
import subprocess
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
import qasync
from PySide6.QtCore import QObject, QTimer, Signal
from pytestqt.qtbot import QtBot

from contactdesk.core.errors import NotFound
from contactdesk.worker import (
    AccountWorker,
    Cancelled,
    Err,
    Generation,
    Ok,
    Result,
    TaskKeeper,
    WorkerCrashed,
    WorkerPool,
)

T = TypeVar("T")
WAIT = 10.0  # generous upper bound for Events; never a timing assertion


@pytest.fixture
def run_async(qapp: Any) -> Iterator[Callable[[Coroutine[Any, Any, T]], T]]:
    """Run a coroutine to completion on a qasync loop (Python 3.11: asyncio.Runner)."""
    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:

        def run(coro: Coroutine[Any, Any, T]) -> T:
            return runner.run(asyncio.wait_for(coro, WAIT))

        yield run


@pytest.fixture
def worker() -> Iterator[AccountWorker]:
    w = AccountWorker("test")
    yield w
    w.shutdown(wait=True, timeout=WAIT)


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Released at teardown whatever happens, so no blocked job outlives its test."""
    event = threading.Event()
    yield event
    event.set()


def blocker(started: threading.Event, release: threading.Event, value: T) -> Callable[[], T]:
    def block() -> T:
        started.set()
        assert release.wait(WAIT)
        return value

    return block


# -- results arrive as values on the UI thread ------------------------------------------------


def test_run_returns_the_value_on_the_ui_thread(
    worker: AccountWorker, run_async: Callable[[Coroutine[Any, Any, Any]], Any]
) -> None:
    ran_on: list[threading.Thread] = []

    def add(a: int, b: int) -> int:
        ran_on.append(threading.current_thread())
        return a + b

    async def scenario() -> tuple[Result[int], threading.Thread]:
        result = await worker.run(add, 2, 3)
        return result, threading.current_thread()

    result, resumed_on = run_async(scenario())
    assert result == Ok(5)
    assert resumed_on is threading.main_thread()
    assert len(ran_on) == 1
    assert ran_on[0] is not threading.main_thread()


def test_provider_errors_arrive_as_values(
    worker: AccountWorker, run_async: Callable[[Coroutine[Any, Any, Any]], Any]
) -> None:
    gone = NotFound("That contact was deleted on the server.")

    def fetch() -> str:
        raise gone

    result = run_async(worker.run(fetch))
    assert result == Err(gone)
    match result:
        case Err(error):
            assert error.message == "That contact was deleted on the server."
        case Ok():
            pytest.fail("expected an error")


def test_a_bug_becomes_a_plain_error_and_its_traceback_is_logged(
    worker: AccountWorker,
    run_async: Callable[[Coroutine[Any, Any, Any]], Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    def buggy() -> None:
        {}["missing"]  # type: ignore[index]

    with caplog.at_level(logging.ERROR, logger="contactdesk.worker"):
        result = run_async(worker.run(buggy))
    assert isinstance(result, Err)
    assert isinstance(result.error, WorkerCrashed)
    assert "went wrong" in result.error.message
    (record,) = caplog.records
    assert record.exc_info is not None
    assert record.exc_info[0] is KeyError
    assert "buggy" in record.getMessage()
    # The worker survives its job's bug.
    assert run_async(worker.run(len, "abc")) == Ok(3)


def test_call_delivers_on_the_ui_thread_through_a_signal(
    worker: AccountWorker, qtbot: QtBot
) -> None:
    got: list[tuple[Result[int], threading.Thread]] = []
    worker.call(pow, 2, 10, on_done=lambda r: got.append((r, threading.current_thread())))
    qtbot.waitUntil(lambda: bool(got), timeout=int(WAIT * 1000))
    assert got == [(Ok(1024), threading.main_thread())]


# -- stale answers ----------------------------------------------------------------------------


def test_a_stale_generation_is_dropped(
    worker: AccountWorker, qtbot: QtBot, release: threading.Event
) -> None:
    """The user typed "ann" then "anna": the slower "ann" answer must not win."""
    search = Generation()
    started = threading.Event()
    shown: list[Result[str]] = []
    first = worker.call(
        blocker(started, release, "results for ann"), on_done=shown.append, generation=search
    )
    assert started.wait(WAIT)
    worker.call(lambda: "results for anna", on_done=shown.append, generation=search)
    release.set()
    qtbot.waitUntil(lambda: bool(shown), timeout=int(WAIT * 1000))
    # Results are delivered in order, so the stale one was already seen and dropped.
    assert first.result(WAIT) == Ok("results for ann")
    assert shown == [Ok("results for anna")]


def test_generation_with_run(
    worker: AccountWorker, run_async: Callable[[Coroutine[Any, Any, Any]], Any]
) -> None:
    gen = Generation()

    async def scenario() -> list[str]:
        shown: list[str] = []

        async def load(word: str) -> None:
            ticket = gen.next()
            result = await worker.run(str.upper, word)
            if gen.is_current(ticket) and isinstance(result, Ok):
                shown.append(result.value)

        older = asyncio.ensure_future(load("ann"))
        newer = asyncio.ensure_future(load("anna"))
        await asyncio.gather(older, newer)
        return shown

    assert run_async(scenario()) == ["ANNA"]


# -- the UI thread stays live -----------------------------------------------------------------


def test_ui_thread_keeps_ticking_while_a_worker_runs_a_long_call(
    worker: AccountWorker,
    run_async: Callable[[Coroutine[Any, Any, Any]], Any],
    release: threading.Event,
) -> None:
    started = threading.Event()

    async def scenario() -> tuple[Result[str], bool]:
        ticks = 0
        five_ticks = asyncio.Event()

        def tick() -> None:
            nonlocal ticks
            ticks += 1
            if ticks == 5:
                five_ticks.set()

        timer = QTimer()
        timer.setInterval(1)
        timer.timeout.connect(tick)
        timer.start()
        call = asyncio.ensure_future(worker.run(blocker(started, release, "done")))
        await five_ticks.wait()  # only reachable if the UI thread is not blocked
        still_busy = worker.busy and not call.done()
        timer.stop()
        release.set()
        return await call, still_busy

    result, still_busy = run_async(scenario())
    assert started.is_set()
    assert still_busy
    assert result == Ok("done")


# -- cancelling -------------------------------------------------------------------------------


def test_cancel_drains_the_queue_then_stops_the_running_job(
    worker: AccountWorker, release: threading.Event
) -> None:
    started = threading.Event()
    ran: list[str] = []

    def page_through(stop: threading.Event, first_page: int) -> str:
        started.set()
        # A real job would fetch a page, then check ``stop`` before the next one.
        return f"stopped after page {first_page}" if stop.wait(WAIT) else "never told to stop"

    long_job = worker.submit_cancellable(page_through, 1)
    assert started.wait(WAIT)
    queued = [worker.submit(ran.append, "a"), worker.submit(ran.append, "b")]
    assert worker.cancel_pending() == 2
    for future in queued:
        result = future.result(WAIT)
        assert isinstance(result, Err)
        assert isinstance(result.error, Cancelled)
    assert long_job.result(WAIT) == Ok("stopped after page 1")
    assert ran == []
    # The worker carries on with new work.
    assert worker.submit(ran.append, "c").result(WAIT) == Ok(None)
    assert ran == ["c"]


def test_cancelling_an_awaiting_task_drops_its_queued_job(
    worker: AccountWorker,
    run_async: Callable[[Coroutine[Any, Any, Any]], Any],
    release: threading.Event,
) -> None:
    started = threading.Event()
    ran: list[str] = []

    async def scenario() -> None:
        first = asyncio.ensure_future(worker.run(blocker(started, release, 1)))
        second = asyncio.ensure_future(worker.run(ran.append, "should not run"))
        await asyncio.sleep(0)  # let both submit
        second.cancel()
        with pytest.raises(asyncio.CancelledError):
            await second
        release.set()
        assert await first == Ok(1)
        assert await worker.run(ran.append, "runs") == Ok(None)

    run_async(scenario())
    assert ran == ["runs"]


# -- shutting down ----------------------------------------------------------------------------


def test_shutdown_does_not_hang_on_a_stuck_call(release: threading.Event, qtbot: QtBot) -> None:
    worker = AccountWorker("stuck")
    started = threading.Event()
    stuck = worker.submit(blocker(started, release, "late"))
    assert started.wait(WAIT)
    queued = worker.submit(len, "never")
    delivered: list[Result[int]] = []
    worker.call(len, "never either", on_done=delivered.append)

    finished = worker.shutdown(wait=False, cancel_futures=True)

    assert not finished  # the stuck call is still running, and we did not wait for it
    dropped = queued.result(0)  # resolved at once, not left hanging
    assert isinstance(dropped, Err)
    assert isinstance(dropped.error, Cancelled)
    qtbot.waitUntil(lambda: bool(delivered), timeout=int(WAIT * 1000))
    assert isinstance(delivered[0], Err)
    after = worker.submit(len, "too late")
    assert isinstance(after.result(0), Err)
    # Once the call returns, the thread ends by itself.
    release.set()
    assert stuck.result(WAIT) == Ok("late")
    assert worker.join(WAIT)


_EXIT_WITH_A_STUCK_CALL = """
import threading
from contactdesk.worker import WorkerPool

pool = WorkerPool()
started = threading.Event()
pool.worker("a").submit(lambda: (started.set(), threading.Event().wait()))
started.wait()
print("finished" if pool.shutdown(wait=True, timeout=0.1) else "still running")
"""


def test_the_app_can_exit_while_a_call_is_stuck_forever() -> None:
    """A call that never returns (no timeout, dead server) must not keep the process alive."""
    done = subprocess.run(
        [sys.executable, "-c", _EXIT_WITH_A_STUCK_CALL],
        capture_output=True,
        text=True,
        timeout=WAIT * 3,  # a hang guard, not a timing assertion
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "still running"


def test_pool_gives_each_account_its_own_worker(release: threading.Event) -> None:
    pool = WorkerPool()
    started = threading.Event()
    a, b = pool.worker("account-a"), pool.worker("account-b")
    assert pool.worker("account-a") is a
    assert a is not b
    slow = a.submit(blocker(started, release, "a"))
    assert started.wait(WAIT)
    # Account B is not held up by account A's slow call.
    assert b.submit(str.upper, "b").result(WAIT) == Ok("B")
    assert not slow.done()
    assert pool.shutdown(wait=False) is False
    release.set()
    assert slow.result(WAIT) == Ok("a")
    assert a.join(WAIT)
    assert b.join(WAIT)


# -- tasks the UI starts ----------------------------------------------------------------------


def test_task_keeper_holds_tasks_until_done_and_forgets_them_after(
    run_async: Callable[[Coroutine[Any, Any, Any]], Any],
) -> None:
    keeper = TaskKeeper()
    finished: list[str] = []

    async def background(gate: asyncio.Event) -> None:
        await gate.wait()
        finished.append("done")

    async def scenario() -> int:
        gate = asyncio.Event()
        keeper.spawn(background(gate), name="save")  # result deliberately not kept
        gc.collect()
        held = len(keeper)
        gate.set()
        await keeper.wait_idle()
        return held

    assert run_async(scenario()) == 1
    assert finished == ["done"]
    assert len(keeper) == 0


def test_task_failures_are_logged_and_reported(
    run_async: Callable[[Coroutine[Any, Any, Any]], Any], caplog: pytest.LogCaptureFixture
) -> None:
    reported: list[BaseException] = []
    keeper = TaskKeeper(on_error=reported.append)

    async def fails() -> None:
        raise ValueError("broken controller")

    async def waits_forever() -> None:
        await asyncio.Event().wait()

    async def scenario() -> None:
        keeper.spawn(fails(), name="save-contact")
        forever = keeper.spawn(waits_forever())
        await asyncio.sleep(0)
        forever.cancel()
        await keeper.wait_idle()

    with caplog.at_level(logging.ERROR, logger="contactdesk.worker"):
        run_async(scenario())
    assert [str(e) for e in reported] == ["broken controller"]  # the cancel is not an error
    (record,) = caplog.records
    assert "save-contact" in record.getMessage()
    assert record.exc_info is not None
    assert record.exc_info[0] is ValueError


def test_keeper_slot_runs_a_coroutine_from_a_qt_signal(
    run_async: Callable[[Coroutine[Any, Any, Any]], Any],
) -> None:
    class Button(QObject):
        clicked = Signal(str)

    keeper = TaskKeeper()
    seen: list[str] = []

    async def on_click(text: str) -> None:
        await asyncio.sleep(0)
        seen.append(text)

    async def scenario() -> None:
        button = Button()
        button.clicked.connect(keeper.slot(on_click))
        button.clicked.emit("Save")
        await keeper.wait_idle()

    run_async(scenario())
    assert seen == ["Save"]


def test_spawn_outside_a_loop_fails_cleanly() -> None:
    async def nothing() -> None:
        return None

    # Warnings are errors here, so a "never awaited" warning would fail this test.
    with pytest.raises(RuntimeError):
        TaskKeeper().spawn(nothing())
    gc.collect()
