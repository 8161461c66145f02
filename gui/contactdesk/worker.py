"""Background workers and the bridge the UI uses to reach them (qasync or Qt signals).

Each account gets one worker thread that runs its blocking calls (HTTP, SQLite sync) one
after another, so an account's requests never race each other and a slow platform never
holds up another account. The UI reaches a worker in one of two ways:

* ``await worker.run(fn, *args)`` from a qasync coroutine, or
* ``worker.call(fn, *args, on_done=callback)`` from plain Qt code; the callback runs on
  the UI thread through a queued signal.

Either way the answer is a value, ``Ok(value)`` or ``Err(ProviderError)``: nothing is
raised across threads. A bug in our own code becomes ``Err(WorkerCrashed)`` and its
traceback goes to the log.

Cancellation follows vorta's jobs manager: drain the queue (queued jobs end as
``Err(Cancelled)`` without running), then ask the running job to stop; a job started with
``submit_cancellable`` sees that through its ``threading.Event``. A running ``requests``
call cannot be interrupted, so the worker threads are daemons: a stuck call never keeps
the app from exiting (a ``ThreadPoolExecutor`` would be joined at interpreter exit).
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeAlias, TypeVar, TypeVarTuple

from PySide6.QtCore import QObject, Qt, Signal, Slot

from contactdesk.core.errors import ProviderError

if TYPE_CHECKING:
    # asyncio is imported where it is used: it costs ~25 ms of start-up, and the window
    # shows its cached contacts before the qasync loop exists
    import asyncio

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")
Ts = TypeVarTuple("Ts")


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ok(Generic[T]):
    """A call that succeeded, with its return value."""

    value: T


@dataclass(frozen=True, slots=True)
class Err:
    """A call that failed, with a typed error whose ``message`` can be shown as is."""

    error: ProviderError


Result: TypeAlias = Ok[T] | Err


class WorkerCrashed(ProviderError):
    """Our own code failed on a worker thread: a bug. The traceback is in the log."""


class Cancelled(ProviderError):
    """The job was dropped before it ran (the user cancelled, or the app is closing)."""

    transient = True


_CRASHED = (
    "Something went wrong inside Contact Desk. Nothing was lost; try again. If it happens "
    "again, send the log file to support."
)
_CANCELLED = "Stopped before it started."


# -- generations ------------------------------------------------------------------------------


class Generation:
    """Numbers successive requests for the same thing so only the newest answer is used.

    ``ticket = gen.next()`` when asking; when the answer arrives, drop it unless
    ``gen.is_current(ticket)`` (the user typed again, switched account, ...).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current = 0

    def next(self) -> int:
        with self._lock:
            self._current += 1
            return self._current

    def is_current(self, ticket: int) -> bool:
        with self._lock:
            return ticket == self._current

    @property
    def current(self) -> int:
        with self._lock:
            return self._current


# -- the per-account worker -------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class _Job:
    fn: Callable[[], Any]
    label: str
    epoch: int
    stop: threading.Event
    future: Future[Any] = field(default_factory=Future)


class _Courier(QObject):
    """Carries results from worker threads to the thread it lives on (the UI thread).

    Signals:
        arrived(object, object): a delivery callable and the result to hand it.
    """

    arrived = Signal(object, object)

    def __init__(self) -> None:
        super().__init__()
        # Queued even when emitted on the UI thread itself, so on_done never runs
        # re-entrantly inside call().
        self.arrived.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @Slot(object, object)
    def _deliver(self, deliver: Callable[[Any], None], result: Any) -> None:
        deliver(result)


def _label(fn: Callable[..., Any]) -> str:
    return str(getattr(fn, "__qualname__", None) or type(fn).__name__)


def _resolve(future: Future[Any], result: Result[Any]) -> None:
    # False means someone cancelled the future itself (an awaiting task was cancelled).
    if future.set_running_or_notify_cancel():
        future.set_result(result)


class AccountWorker:
    """Runs one account's blocking calls in order on its own daemon thread.

    Create it on the UI thread: ``call`` delivers results to the thread it was created
    on. No public Signals (``call`` uses an internal queued signal).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._epoch = 0  # bumped by every cancel; jobs from an older epoch never start
        self._current: _Job | None = None
        self._closed = False
        self._courier = _Courier()
        self._thread = threading.Thread(target=self._loop, name=f"worker-{name}", daemon=True)
        self._thread.start()

    # -- submitting ------------------------------------------------------------------------

    def submit(self, fn: Callable[[*Ts], T], *args: *Ts) -> Future[Result[T]]:
        """Queue ``fn(*args)``; the future's result is always a ``Result``, never an exception."""
        return self._enqueue(functools.partial(fn, *args), _label(fn)).future

    def submit_cancellable(
        self, fn: Callable[[threading.Event, *Ts], T], *args: *Ts
    ) -> Future[Result[T]]:
        """Like ``submit``; ``fn`` gets an Event that is set when the user cancels, so a long
        job (paging through 100,000 contacts) can stop between requests."""
        stop = threading.Event()
        return self._enqueue(functools.partial(fn, stop, *args), _label(fn), stop).future

    async def run(self, fn: Callable[[*Ts], T], *args: *Ts) -> Result[T]:
        """Await ``fn(*args)`` from a qasync coroutine; resumes on the UI thread."""
        import asyncio

        job = self._enqueue(functools.partial(fn, *args), _label(fn))
        try:
            return await asyncio.wrap_future(job.future)
        except asyncio.CancelledError:
            # The awaiting task was cancelled: a queued job is dropped by wrap_future,
            # a running one is asked to stop; its late result goes nowhere.
            job.stop.set()
            raise

    def call(
        self,
        fn: Callable[[*Ts], T],
        *args: *Ts,
        on_done: Callable[[Result[T]], None],
        generation: Generation | None = None,
    ) -> Future[Result[T]]:
        """Run ``fn(*args)``; ``on_done(result)`` is then called on the UI thread.

        With ``generation``, this call takes ``generation.next()`` now and ``on_done`` is
        skipped if another call took a newer one before the result arrived.
        """
        ticket = generation.next() if generation is not None else 0

        def deliver(result: Result[T]) -> None:
            if generation is not None and not generation.is_current(ticket):
                log.debug("worker %s: dropped a stale result of %s", self.name, _label(fn))
                return
            on_done(result)

        def hand_over(future: Future[Result[T]]) -> None:
            result = Err(Cancelled(_CANCELLED)) if future.cancelled() else future.result()
            self._courier.arrived.emit(deliver, result)

        future = self.submit(fn, *args)
        future.add_done_callback(hand_over)
        return future

    def _enqueue(
        self, fn: Callable[[], Any], label: str, stop: threading.Event | None = None
    ) -> _Job:
        with self._lock:
            job = _Job(fn, label, self._epoch, stop or threading.Event())
            if self._closed:
                _resolve(job.future, Err(Cancelled("Contact Desk is closing.")))
                return job
            self._queue.put(job)
        return job

    # -- stopping --------------------------------------------------------------------------

    def cancel_pending(self) -> int:
        """Drain, then stop: queued jobs end as ``Err(Cancelled)`` without running and the
        running job's stop Event is set. Returns how many queued jobs were dropped."""
        with self._lock:
            self._epoch += 1
            if self._current is not None:
                self._current.stop.set()
        return self._drain()

    def shutdown(
        self, *, wait: bool = False, cancel_futures: bool = True, timeout: float | None = None
    ) -> bool:
        """Stop taking jobs. ``cancel_futures`` drops queued ones (else they run first).

        Never hangs unless asked to: with ``wait`` it waits at most ``timeout`` seconds.
        Returns whether the thread has finished.
        """
        with self._lock:
            self._closed = True
            if cancel_futures:
                self._epoch += 1
                if self._current is not None:
                    self._current.stop.set()
        if cancel_futures:
            self._drain()
        self._queue.put(None)  # after the drain, so the loop still sees it
        if wait:
            return self.join(timeout)
        return not self._thread.is_alive()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end (after ``shutdown``); True if it has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._current is not None

    def _drain(self) -> int:
        dropped = 0
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return dropped
            if job is not None:
                _resolve(job.future, Err(Cancelled(_CANCELLED)))
                dropped += 1

    # -- the thread ------------------------------------------------------------------------

    def _loop(self) -> None:
        while (job := self._queue.get()) is not None:
            with self._lock:
                stale = job.epoch < self._epoch
                if not stale:
                    self._current = job
            if stale:
                _resolve(job.future, Err(Cancelled(_CANCELLED)))
                continue
            try:
                if job.future.set_running_or_notify_cancel():
                    job.future.set_result(self._execute(job))
            finally:
                with self._lock:
                    self._current = None

    def _execute(self, job: _Job) -> Result[Any]:
        try:
            return Ok(job.fn())
        except ProviderError as exc:
            return Err(exc)
        except BaseException:
            # BaseException too: a SystemExit here would end the thread and leave every
            # queued caller waiting forever.
            log.exception("worker %s: %s failed", self.name, job.label)
            return Err(WorkerCrashed(_CRASHED))


class WorkerPool:
    """One ``AccountWorker`` per account, made on first use. Create and use it on the UI thread.

    No Signals.
    """

    def __init__(self) -> None:
        self._workers: dict[str, AccountWorker] = {}

    def worker(self, account_id: str) -> AccountWorker:
        found = self._workers.get(account_id)
        if found is None:
            found = self._workers[account_id] = AccountWorker(account_id[:12])
        return found

    def close(self, account_id: str) -> None:
        """The account was removed: drop its queued jobs and let its thread end."""
        found = self._workers.pop(account_id, None)
        if found is not None:
            found.shutdown(wait=False, cancel_futures=True)

    def cancel_all(self) -> int:
        return sum(w.cancel_pending() for w in self._workers.values())

    def shutdown(
        self, *, wait: bool = False, cancel_futures: bool = True, timeout: float | None = None
    ) -> bool:
        """Stop every worker; ``timeout`` bounds the whole wait. True if all threads ended."""
        workers = list(self._workers.values())
        self._workers.clear()
        for w in workers:
            w.shutdown(wait=False, cancel_futures=cancel_futures)
        finished = True
        deadline = None if timeout is None else time.monotonic() + timeout
        for w in workers:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            finished = w.join(left if wait else 0.0) and finished
        return finished


# -- tasks created by the UI ------------------------------------------------------------------


class TaskKeeper:
    """Keeps UI-created asyncio tasks alive until they finish, and reports their failures.

    qasync 0.28's ``asyncSlot`` drops its task, and the loop holds tasks only weakly, so a
    running coroutine can be garbage-collected mid-flight; tasks spawned here cannot.
    ``on_error`` is called on the UI thread with any exception a task ends in (after it is
    logged with its traceback). No Signals.
    """

    def __init__(self, on_error: Callable[[BaseException], None] | None = None) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._on_error = on_error

    def spawn(self, coro: Coroutine[Any, Any, T], *, name: str | None = None) -> asyncio.Task[T]:
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            coro.close()  # or Python warns "coroutine was never awaited"
            raise
        task = loop.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def slot(self, fn: Callable[P, Coroutine[Any, Any, object]]) -> Callable[P, None]:
        """Wrap an ``async def`` so it can be connected to a Qt signal in place of asyncSlot."""

        @functools.wraps(fn)
        def start(*args: P.args, **kwargs: P.kwargs) -> None:
            self.spawn(fn(*args, **kwargs), name=_label(fn))

        return start

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    async def wait_idle(self) -> None:
        """Wait for every task spawned so far (for shutdown and tests)."""
        import asyncio

        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def __len__(self) -> int:
        return len(self._tasks)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            return
        log.error("task %s failed", task.get_name(), exc_info=exc)
        if self._on_error is not None:
            try:
                self._on_error(exc)
            except Exception:
                log.exception("the error handler for task %s failed", task.get_name())
