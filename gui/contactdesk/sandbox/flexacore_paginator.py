"""Laravel 8.77's ``LengthAwarePaginator::toArray()``, as the list endpoints return it (spec §3.1).

Kept apart from the routes because its rules (page resolution, the ``links`` window with
its "..." gaps, URLs for pages past the end) are intricate and tested on their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contactdesk.sandbox.flexacore_laravel import filter_int

PER_PAGE = 25
ON_EACH_SIDE = 3  # Laravel's default; makes the window start at 14 pages


def resolve_page(value: Any) -> int:
    """The page resolver: a valid integer of at least 1, anything else means page 1."""
    page = filter_int(value)
    return page if page is not None and page >= 1 else 1


class LengthAwarePaginator:
    """One page of ``total`` rows; ``path`` is the request URL without query or slash."""

    def __init__(
        self,
        items: Sequence[object],
        *,
        total: int,
        page: int,
        path: str,
        previous_label: str = "pagination.previous",
        next_label: str = "pagination.next",
        per_page: int = PER_PAGE,
    ) -> None:
        self.items = list(items)
        self.total = total
        self.page = page
        self.path = path
        self.per_page = per_page
        self.previous_label = previous_label
        self.next_label = next_label
        self.last_page = max(-(-total // per_page), 1)

    def url(self, page: int) -> str:
        return f"{self.path}?page={max(page, 1)}"

    def _range(self, start: int, end: int) -> list[tuple[int, str]]:
        return [(p, self.url(p)) for p in range(start, end + 1)]

    def _elements(self) -> list[list[tuple[int, str]] | None]:
        """UrlWindow: runs of page links; None stands for a "..." gap."""
        last, current = self.last_page, self.page
        if last < ON_EACH_SIDE * 2 + 8:
            return [self._range(1, last)]
        window = ON_EACH_SIDE + 4
        start, finish = self._range(1, 2), self._range(last - 1, last)
        if current <= window:
            return [self._range(1, window + ON_EACH_SIDE), None, finish]
        if current > last - window:
            return [start, None, self._range(last - (window + ON_EACH_SIDE - 1), last)]
        slider = self._range(current - ON_EACH_SIDE, current + ON_EACH_SIDE)
        return [start, None, slider, None, finish]

    def links(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [
            {"url": self.previous_url(), "label": self.previous_label, "active": False}
        ]
        for element in self._elements():
            if element is None:
                out.append({"url": None, "label": "...", "active": False})
                continue
            out.extend(
                {"url": url, "label": str(p), "active": p == self.page} for p, url in element
            )
        out.append({"url": self.next_url(), "label": self.next_label, "active": False})
        return out

    def previous_url(self) -> str | None:
        return self.url(self.page - 1) if self.page > 1 else None

    def next_url(self) -> str | None:
        return self.url(self.page + 1) if self.page < self.last_page else None

    def to_dict(self) -> dict[str, Any]:
        first = (self.page - 1) * self.per_page + 1 if self.items else None
        return {
            "current_page": self.page,
            "data": self.items,
            "first_page_url": self.url(1),
            "from": first,
            "last_page": self.last_page,
            "last_page_url": self.url(self.last_page),
            "links": self.links(),
            "next_page_url": self.next_url(),
            "path": self.path,
            "per_page": self.per_page,
            "prev_page_url": self.previous_url(),
            "to": None if first is None else first + len(self.items) - 1,
            "total": self.total,
        }
