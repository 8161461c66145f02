"""Pages of one listing, in order, optionally read a few ahead on helper threads.

Reading ahead hides the network's round trip behind the store's merge. Pages are still
handed out strictly in order, so the caller's checkpoint ("last page stored") stays
exact. On cancel no new page is asked for, but the pages already asked for are still
handed out (and stored), so a resumed refresh never fetches a page twice.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Generic, TypeVar

from contactdesk.core.models import Page

log = logging.getLogger(__name__)

T = TypeVar("T")

_Job = tuple[Future[Page[T]], Callable[[], Page[T]]]


class _HelperThreads(Generic[T]):
    """A few daemon threads running page fetches (daemons: a hung request never keeps
    the app from exiting, as in ``worker.py``)."""

    def __init__(self, width: int) -> None:
        self._jobs: queue.SimpleQueue[_Job[T] | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._loop, name=f"sync-pages-{i}", daemon=True)
            for i in range(width)
        ]
        for thread in self._threads:
            thread.start()

    def _loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            future, fn = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except BaseException as exc:  # handed to the reader, which re-raises it
                future.set_exception(exc)

    def submit(self, fn: Callable[[], Page[T]]) -> Future[Page[T]]:
        future: Future[Page[T]] = Future()
        self._jobs.put((future, fn))
        return future

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join()


class PageFetcher(Generic[T]):
    """Iterate ``(number, page)`` from ``start`` on, until the caller stops or ``cancel``.

    ``last()`` is the last page number known so far (``None``: unknown); it bounds how
    far ahead ``width`` > 1 reads. ``cancelled`` tells whether the iteration ended
    because of ``cancel``. Always ``close()`` (it waits for requests still running).
    """

    def __init__(
        self,
        fetch: Callable[[int], Page[T]],
        *,
        start: int,
        last: Callable[[], int | None],
        width: int,
        cancel: threading.Event,
    ) -> None:
        self._fetch = fetch
        self._start = start
        self._last = last
        self._width = max(1, width)
        self._cancel = cancel
        self._helpers: _HelperThreads[T] | None = None
        self._pending: deque[tuple[int, Future[Page[T]]]] = deque()
        self.cancelled = False

    def __iter__(self) -> Iterator[tuple[int, Page[T]]]:
        if self._width == 1:
            return self._one_by_one()
        return self._ahead()

    def _one_by_one(self) -> Iterator[tuple[int, Page[T]]]:
        number = self._start
        while not self._cancel.is_set():
            yield number, self._fetch(number)
            number += 1
        self.cancelled = True

    def _ahead(self) -> Iterator[tuple[int, Page[T]]]:
        helpers = self._helpers = _HelperThreads(self._width)
        number = self._start
        while True:
            while not self._cancel.is_set() and len(self._pending) < self._width:
                last = self._last()
                # past the known end only when nothing is in flight: the caller stops at
                # the last page, and a list that grew meanwhile is read on one by one
                if self._pending and (last is None or number > last):
                    break
                self._pending.append((number, helpers.submit(_bind(self._fetch, number))))
                number += 1
            if not self._pending:
                self.cancelled = True
                return
            done, future = self._pending.popleft()
            yield done, future.result()

    def close(self) -> None:
        for _, future in self._pending:
            future.cancel()
        self._pending.clear()
        if self._helpers is not None:
            self._helpers.close()
            self._helpers = None


def _bind(fetch: Callable[[int], Page[T]], number: int) -> Callable[[], Page[T]]:
    return lambda: fetch(number)
