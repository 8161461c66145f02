"""Walking every page of a Flexacore listing, pages 2.. fetched concurrently.

Ultimate SMS pages with Laravel's length-aware paginator (25 a page, no cursor, no
ORDER BY): page 1 tells ``last_page``, and then the remaining pages can be asked for at
once. A change to the list during the walk shifts rows between pages, so the walk checks
that the totals agree and that it saw each row once, and starts over if not.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from contactdesk.core.errors import UnexpectedAnswer
from contactdesk.core.models import Page

log = logging.getLogger(__name__)

T = TypeVar("T")

#: whole walks tried before giving up on a list that keeps changing
WALK_ATTEMPTS = 3


class PageWalker:
    """Fetches pages 2..N on a small pool of its own threads (at most ``max_concurrency``).

    The pool is made on first use and kept, so the HTTP layer's per-thread keep-alive
    sessions are reused from one listing to the next. `close` lets the threads go.
    """

    def __init__(self, max_concurrency: int) -> None:
        self.max_concurrency = max(1, max_concurrency)
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self.max_concurrency, thread_name_prefix="flexacore-page"
                )
            return self._pool

    def walk(self, fetch: Callable[[int], Page[T]], key: Callable[[T], str]) -> list[T]:
        """Every item of the listing, in server order, each once (``key``: its uid).

        A list with holes would look like deletions to whoever mirrors it, so a walk that
        saw the list change is repeated rather than returned.
        """
        for _ in range(WALK_ATTEMPTS):
            first = fetch(1)
            pages = [first, *self._rest(fetch, first.pages)]
            seen: dict[str, T] = {}
            for page in pages:
                for item in page.items:
                    seen.setdefault(key(item).casefold(), item)
            if all(p.total == first.total for p in pages) and len(seen) == first.total:
                return list(seen.values())
            log.debug("listing changed while it was read (%d of %d)", len(seen), first.total)
        raise UnexpectedAnswer(
            "The list kept changing while Contact Desk read it (someone is editing it). "
            "It will be read again shortly."
        )

    def _rest(self, fetch: Callable[[int], Page[T]], last: int) -> list[Page[T]]:
        if last <= 1:
            return []
        pool = self._executor()
        futures: list[Future[Page[T]]] = [pool.submit(fetch, n) for n in range(2, last + 1)]
        try:
            return [f.result() for f in futures]
        except BaseException:
            # one page failed: the listing fails; do not leave the rest queued
            for f in futures:
                f.cancel()
            raise

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
